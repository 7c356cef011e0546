"""PTB's calls to the Bot API carried by aiohttp instead of httpx.

python-telegram-bot lets an application bring its own HTTP transport (telegram.request.
BaseRequest, an interface meant for this): PTB still builds every request (form fields, files)
and reads every answer (errors, flood limits, retries); this class only moves the bytes. It is
here for CPU: a call costs about 1 ms through httpx and 0.25 ms through aiohttp on our machines,
and a chat update makes one or two calls (answer the button, send the reply). Polling keeps
PTB's own httpx transport: one long call at a time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

if TYPE_CHECKING:  # PTB's name for "a value, or DEFAULT_NONE when the caller gave none"
    from telegram._utils.types import ODVInput

# PTB's own defaults (HTTPXRequest), in seconds; None waits for ever.
CONNECT = 5.0
READ = 5.0
POOL = 1.0
POOL_SIZE = 256  # concurrent calls; PTB's default of 1 would queue every chat behind one


def _seconds(value: ODVInput[float], default: float | None) -> float | None:
    """A timeout given to one call, or the default when the caller left it unset."""
    return value if value is None or isinstance(value, int | float) else default


class AiohttpRequest(BaseRequest):
    """PTB's transport over aiohttp: the app's shared ClientSession once share() gave it one,
    else a session of its own, opened by PTB's initialize() and closed by its shutdown()."""

    def __init__(self, pool_size: int = POOL_SIZE, read_timeout: float | None = READ) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None
        self._shared = False

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    def share(self, session: aiohttp.ClientSession) -> None:
        """Carry every call over this session, which belongs to the app: never closed here."""
        self._session = session
        self._shared = True

    async def initialize(self) -> None:
        if self._shared:
            return
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size)
            )

    async def shutdown(self) -> None:
        if not self._shared and self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """The status and body of one call; a transport failure as PTB's own errors."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        connect = _seconds(connect_timeout, CONNECT)
        pool = _seconds(pool_timeout, POOL)
        # aiohttp has no write timeout; the outbox bounds a whole send anyway.
        timeout = aiohttp.ClientTimeout(
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=_seconds(read_timeout, self._read_timeout),
        )
        try:
            async with self._session.request(
                method, url, data=_body(request_data), timeout=timeout,
                headers={"User-Agent": self.USER_AGENT},
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """A form as PTB's HTTPXRequest sends it: url-encoded, or multipart when it has files."""
    if request_data is None:
        return None
    if not request_data.contains_files:
        return request_data.json_parameters
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
