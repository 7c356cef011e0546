"""One typed settings object, read once at start from PHOCAP_* variables or phocap.toml."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.dates import parse_date
from core.errors import RuleError
from core.i18n import shipped_locales
from core.passwords import check_password

PREFIX = "PHOCAP_"


class Secret(str):
    """A string that does not show itself in logs or reprs."""

    def __repr__(self) -> str:
        return "Secret('**********')" if self else "Secret('')"

    def reveal(self) -> str:
        return str.__str__(self)


class SettingsError(ValueError):
    """A bad setting: name, value shown (unless secret) and the key of the reason."""

    def __init__(self, name: str, key: str, **params: object) -> None:
        super().__init__(f"{PREFIX}{name}: {key}")
        self.name = f"{PREFIX}{name}"
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite+aiosqlite:///phocap.db"
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None
    telegram_token: Secret = field(default_factory=Secret)
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_webhook_secret: Secret = field(default_factory=Secret)
    telegram_bot_username: str = ""  # for the handover QR's deep link t.me/<bot>?start=<code>
    zalo_token: Secret = field(default_factory=Secret)
    zalo_api_url: str = "https://bot-api.zaloplatforms.com"
    zalo_webhook_secret: Secret = field(default_factory=Secret)
    zalo_oa_app_id: str = ""
    zalo_oa_secret_key: Secret = field(default_factory=Secret)  # signs the webhooks
    zalo_oa_app_secret: Secret = field(default_factory=Secret)  # renews tokens: required
    zalo_oa_access_token: Secret = field(default_factory=Secret)
    zalo_oa_refresh_token: Secret = field(default_factory=Secret)
    zalo_oa_api_url: str = "https://openapi.zalo.me"
    zalo_oa_oauth_url: str = "https://oauth.zaloapp.com"
    # Minutes a signed OA event stays acceptable after its timestamp: older ones are refused
    # (a replay). Zalo itself delivers again after 30 s, 5, 15, 30 min and 1 h (about 2 h in
    # all), so the default leaves room for its last retry.
    zalo_oa_event_window: int = 180
    # Proactive (paid) OA messages a month, over all users; beyond it they wait in the outbox
    # for the next month. The Growth package holds 500 a month. 0: no cap.
    zalo_oa_monthly_cap: int = 500
    timezone: str = "Asia/Ho_Chi_Minh"
    report_day: int = 15
    support_per_person: int = 500_000  # dong of part of the price (Thong tu 14/2022/TT-BTTTT)
    posting_days: int = 7  # days a commune's list is posted for objections before its commit
    locale: str = "vi"
    secret_key: Secret = field(default_factory=Secret)
    admin_password: Secret = field(default_factory=Secret)
    dataset: str = "2023"
    log_level: str = "INFO"
    outbox_lease: int = 120  # seconds before a message claimed by a dead sender is sent again
    session_idle_minutes: int = 480  # an admin session unused this long ends
    session_lifetime_hours: int = 12  # an admin session ends this long after sign-in, used or not
    token_days: int = 90  # an API token ends this long after it was made
    trusted_proxies: str = ""  # addresses or networks whose X-Forwarded-For/-Proto are believed
    cookie_secure: str = "auto"  # auto: Secure when served over https; on; off
    import_outside_ids: int = 20  # IDs another commune holds that one import may meet
    import_max_rows: int = 30_000  # rows an uploaded list may have (as declared and as read)
    import_max_columns: int = 60
    import_seconds: int = 60  # CPU seconds the worker process may spend reading one file
    import_memory_mb: int = 1024  # the worker process's address space
    replay_hours: int = 24  # how long an update's id (and the web chat's answer) is kept
    upload_hours: int = 2  # how long an uploaded list waits for its "save"
    # The provincial plan that documents cite ("Can cu Ke hoach so .../KH-UBND ngay ..."): its
    # number and its date (dd/mm/yyyy). Unset, the documents leave "..." to fill in by hand.
    plan_number: str = ""
    plan_date: str = ""

    @property
    def plan_day(self) -> date | None:
        """The plan's date, or None when it is not set."""
        return parse_date(self.plan_date, date.max) if self.plan_date else None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def proxies(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """The trusted proxies as networks (a bare address is a network of one)."""
        return tuple(ip_network(part.strip(), strict=False)
                     for part in self.trusted_proxies.split(",") if part.strip())


_INT_RANGES = {"port": (1, 65535), "report_day": (1, 28),
               "support_per_person": (1_000, 100_000_000), "posting_days": (1, 90),
               "outbox_lease": (2, 3600),
               "session_idle_minutes": (5, 7 * 24 * 60), "session_lifetime_hours": (1, 24 * 30),
               "token_days": (1, 3650),
               "zalo_oa_event_window": (1, 7 * 24 * 60), "zalo_oa_monthly_cap": (0, 10_000_000),
               "import_outside_ids": (0, 10_000),
               "import_max_rows": (100, 10_000_000), "import_max_columns": (10, 16_384),
               "import_seconds": (5, 3600), "import_memory_mb": (256, 65_536),
               "replay_hours": (1, 720), "upload_hours": (1, 168)}

_URLS = ("public_url", "telegram_api_url", "zalo_api_url", "zalo_oa_api_url", "zalo_oa_oauth_url")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_COOKIE_SECURE = ("auto", "on", "off")
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as secret_token


def _convert(name: str, raw: Any, default: Any) -> Any:
    if isinstance(default, Secret):
        return Secret(str(raw))
    if isinstance(default, int) and not isinstance(default, bool):
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise SettingsError(name.upper(), "settings-not-a-number", value=raw) from None
        low, high = _INT_RANGES.get(name, (0, 2**31))
        if not low <= value <= high:
            raise SettingsError(
                name.upper(), "settings-out-of-range", value=value, low=low, high=high
            )
        return value
    text = str(raw).strip()
    return text or None if default is None else text


def _validate(s: Settings) -> None:
    for name in _URLS:
        value = getattr(s, name)
        if value and urlparse(value).scheme not in ("http", "https"):
            raise SettingsError(name.upper(), "settings-not-a-url", value=value)
    if not s.database_url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise SettingsError("DATABASE_URL", "settings-database-url", value=s.database_url)
    try:
        ZoneInfo(s.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError("TIMEZONE", "settings-timezone", value=s.timezone) from None
    if s.locale not in shipped_locales():
        raise SettingsError(
            "LOCALE", "settings-locale", value=s.locale, allowed=", ".join(shipped_locales())
        )
    if s.log_level.upper() not in _LOG_LEVELS:
        raise SettingsError("LOG_LEVEL", "settings-log-level", value=s.log_level)
    _check_webhook_secret(s)
    if s.cookie_secure not in _COOKIE_SECURE:
        raise SettingsError("COOKIE_SECURE", "settings-cookie-secure", value=s.cookie_secure)
    try:
        _ = s.proxies
    except ValueError:
        raise SettingsError("TRUSTED_PROXIES", "settings-trusted-proxies",
                            value=s.trusted_proxies) from None
    if s.admin_password:
        try:
            check_password(s.admin_password.reveal())
        except RuleError as err:
            raise SettingsError("ADMIN_PASSWORD", err.key, **err.params) from None
    _check_zalo_oa(s)
    try:
        _ = s.plan_day
    except RuleError:
        raise SettingsError("PLAN_DATE", "settings-plan-date", value=s.plan_date) from None


def _check_webhook_secret(s: Settings) -> None:
    """Refuse a webhook without a proper secret: anyone could post updates in a citizen's name."""
    if not s.telegram_token or not s.public_url:
        return
    secret = s.telegram_webhook_secret.reveal()
    if not secret:
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET", "settings-telegram-webhook-secret")
    if not _WEBHOOK_SECRET.fullmatch(secret):
        raise SettingsError("TELEGRAM_WEBHOOK_SECRET", "settings-telegram-webhook-secret-chars")


def _check_zalo_oa(s: Settings) -> None:
    """An OA channel renews its token with the app's secret key, not the OA secret key that
    signs webhooks: without it the first renewal, a day after deploy, would fail."""
    oa = s.zalo_oa_app_id and (s.zalo_oa_access_token or s.zalo_oa_refresh_token)
    if oa and not s.zalo_oa_app_secret:
        raise SettingsError("ZALO_OA_APP_SECRET", "settings-zalo-oa-app-secret")


def load_settings(
    environ: Mapping[str, str] | None = None, toml_path: Path | None = None
) -> Settings:
    """Settings from phocap.toml (if present), overridden by PHOCAP_* variables."""
    environ = os.environ if environ is None else environ
    path = toml_path or Path(environ.get(f"{PREFIX}CONFIG", "phocap.toml"))
    values: dict[str, Any] = {}
    if path.is_file():
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise SettingsError("CONFIG", "settings-toml", path=str(path), error=str(err)) from None
        values.update({k.lower(): v for k, v in file_values.items()})
    for key, raw in environ.items():
        if key.startswith(PREFIX):
            values[key[len(PREFIX) :].lower()] = raw
    defaults = Settings()
    known = {f.name for f in fields(Settings)}
    converted = {
        name: _convert(name, raw, getattr(defaults, name))
        for name, raw in values.items()
        if name in known
    }
    settings = Settings(**converted)
    _validate(settings)
    return settings
