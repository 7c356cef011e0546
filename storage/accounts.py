"""The admin web's own records (core.ports.AccountRepository): API tokens, the secrets every
process shares, refused logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.page_views import TokenInfo
from storage.models import AdminSecretRow, ApiTokenRow, LoginFailureRow
from storage.page_views import token_info


class SqlAccounts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -- API tokens ----------------------------------------------------------------------------

    async def add_token(
        self, official_id: int, token_hash: str, label: str, now: datetime
    ) -> TokenInfo:
        row = ApiTokenRow(official_id=official_id, token_hash=token_hash, label=label[:100],
                          created_at=now)
        self._session.add(row)
        await self._session.flush()
        return token_info(row)

    async def revoke_token(self, official_id: int, token_id: int, now: datetime) -> bool:
        result = await self._session.execute(update(ApiTokenRow).where(
            ApiTokenRow.id == token_id, ApiTokenRow.official_id == official_id,
            ApiTokenRow.revoked_at.is_(None)).values(revoked_at=now))
        return bool(getattr(result, "rowcount", 0))

    async def official_for_token(self, token_hash: str, now: datetime) -> int | None:
        """The official a live token belongs to (and mark it used), or None."""
        row = await self._session.scalar(select(ApiTokenRow).where(
            ApiTokenRow.token_hash == token_hash, ApiTokenRow.revoked_at.is_(None)))
        if row is None:
            return None
        row.last_used_at = now
        await self._session.flush()
        return row.official_id

    # -- shared secrets ------------------------------------------------------------------------

    async def shared_secret(self, name: str, fresh: str, now: datetime) -> str:
        """The stored secret called name; the first caller stores fresh, later ones read it."""
        session = self._session
        found = await session.get(AdminSecretRow, name)
        if found is not None:
            return found.value
        try:
            async with session.begin_nested():
                session.add(AdminSecretRow(name=name, value=fresh, created_at=now))
        except IntegrityError:  # another process stored one first: use theirs
            pass
        stored = await session.scalar(
            select(AdminSecretRow.value).where(AdminSecretRow.name == name))
        assert stored is not None
        return stored

    # -- login throttling ----------------------------------------------------------------------

    async def recent_failures(self, login: str, address: str, since: datetime
                              ) -> tuple[int, int]:
        """Failures since a moment: (for this login, from this address)."""
        by_login = await self._session.scalar(
            select(func.count()).select_from(LoginFailureRow).where(
                LoginFailureRow.login == login, LoginFailureRow.at > since)
        )
        by_address = await self._session.scalar(
            select(func.count()).select_from(LoginFailureRow).where(
                LoginFailureRow.address == address, LoginFailureRow.at > since)
        )
        return int(by_login or 0), int(by_address or 0)

    async def add_failure(self, login: str, address: str, at: datetime) -> None:
        self._session.add(LoginFailureRow(login=login[:100], address=address[:64], at=at))
        await self._session.flush()

    async def forget_failures(self, login: str, before: datetime) -> None:
        """After a good login the account's count starts again; old rows of anyone are dropped."""
        await self._session.execute(delete(LoginFailureRow).where(
            or_(LoginFailureRow.login == login, LoginFailureRow.at < before)))
