"""The admin web's own records (core.ports.AccountRepository): API tokens, the secrets every
process shares, session generations, refused logins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.page_views import TokenInfo
from storage.models import AdminSecretRow, ApiTokenRow, LoginFailureRow, SessionGenerationRow
from storage.page_views import token_info
from storage.sql import utc


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

    async def official_for_token(self, token_hash: str, now: datetime, made_after: datetime
                                 ) -> int | None:
        """The official a live token made after made_after belongs to (marked used), or None."""
        row = await self._session.scalar(select(ApiTokenRow).where(
            ApiTokenRow.token_hash == token_hash, ApiTokenRow.revoked_at.is_(None),
            ApiTokenRow.created_at > made_after))
        if row is None:
            return None
        row.last_used_at = now
        await self._session.flush()
        return row.official_id

    async def revoke_tokens(self, official_id: int, now: datetime) -> int:
        result = await self._session.execute(update(ApiTokenRow).where(
            ApiTokenRow.official_id == official_id, ApiTokenRow.revoked_at.is_(None)
        ).values(revoked_at=now))
        return int(getattr(result, "rowcount", 0) or 0)

    # -- session generations -------------------------------------------------------------------

    async def session_generation(self, official_id: int) -> int:
        found = await self._session.scalar(select(SessionGenerationRow.generation).where(
            SessionGenerationRow.official_id == official_id))
        return int(found or 0)

    async def end_sessions(self, official_id: int, now: datetime) -> int:
        """Bump the generation in one statement, so two processes never hand out the same one."""
        bumped = await self._session.scalar(update(SessionGenerationRow).where(
            SessionGenerationRow.official_id == official_id
        ).values(generation=SessionGenerationRow.generation + 1, changed_at=now
                 ).returning(SessionGenerationRow.generation))
        if bumped is not None:
            return int(bumped)
        try:
            async with self._session.begin_nested():
                self._session.add(SessionGenerationRow(official_id=official_id, generation=1,
                                                       changed_at=now))
        except IntegrityError:  # another process made the row first: bump theirs
            return await self.end_sessions(official_id, now)
        return 1

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
                              ) -> tuple[int, datetime | None]:
        """Failures of this login from this address since a moment: (how many, the last)."""
        count, last = (await self._session.execute(
            select(func.count(), func.max(LoginFailureRow.at)).where(
                LoginFailureRow.login == login[:100], LoginFailureRow.address == address[:64],
                LoginFailureRow.at > since)
        )).one()
        return int(count or 0), utc(last)

    async def add_failure(self, login: str, address: str, at: datetime) -> None:
        self._session.add(LoginFailureRow(login=login[:100], address=address[:64], at=at))
        await self._session.flush()

    async def forget_failures(self, login: str, address: str, before: datetime) -> None:
        """After a good login its count from that address starts again; anyone's old rows go."""
        await self._session.execute(delete(LoginFailureRow).where(or_(
            and_(LoginFailureRow.login == login[:100], LoginFailureRow.address == address[:64]),
            LoginFailureRow.at < before)))
