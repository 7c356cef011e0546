"""In-memory units of work for service tests that need no database (cosmicpython's
FakeUnitOfWork): repositories over plain dicts that implement core.ports' Protocols.

A unit of work works on a copy of the committed data; commit() makes the copy the committed
data, and leaving the block without commit() throws the copy away, as a rollback does.
Repositories a test needs and this file lacks (receipts, supports, handovers, reports, views)
fail loudly rather than pretend.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self

from core import ports
from core.importing import ResidentExport
from core.model import (
    AuditEntry,
    ChatState,
    Household,
    Invite,
    LedgerEntry,
    Official,
    OutboxMessage,
    Pledge,
    PledgeStatus,
    Resident,
    Unit,
)
from core.names import name_key
from core.ports import Waiting
from core.priority import Candidate


@dataclass
class FakeData:
    """Everything the fake repositories hold: the "database" one factory shares."""

    units: dict[int, Unit] = field(default_factory=dict)
    mappings: set[tuple[int, int]] = field(default_factory=set)
    households: dict[int, Household] = field(default_factory=dict)
    residents: dict[int, Resident] = field(default_factory=dict)
    officials: dict[int, Official] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    chats: dict[int, ChatState] = field(default_factory=dict)
    updates: dict[tuple[str, str], list[dict[str, object]]] = field(default_factory=dict)
    update_times: dict[tuple[str, str], datetime] = field(default_factory=dict)
    invites: dict[int, tuple[str, Invite]] = field(default_factory=dict)
    pledges: dict[int, Pledge] = field(default_factory=dict)
    outbox: dict[int, OutboxMessage] = field(default_factory=dict)
    ledger: list[LedgerEntry] = field(default_factory=list)
    locks: dict[str, int] = field(default_factory=dict)
    plans: list[tuple[datetime, int | None, str, dict[str, object]]] = field(
        default_factory=list)
    reminder_stops: dict[int, datetime] = field(default_factory=dict)
    last_id: int = 0

    def next_id(self) -> int:
        """One sequence for every table: ids are unique, as the tests only need."""
        self.last_id += 1
        return self.last_id


class FakeUnits:
    def __init__(self, data: FakeData) -> None:
        self._d = data

    async def get(self, unit_id: int) -> Unit | None:
        return self._d.units.get(unit_id)

    async def by_code(self, dataset: str, code: str) -> Unit | None:
        return next((u for u in self._d.units.values()
                     if u.dataset == dataset and u.code == code), None)

    async def matching(self, dataset: str, name_key_: str) -> list[Unit]:
        return [u for u in self._sorted() if u.dataset == dataset and (
            name_key(u.name) == name_key_ or name_key(u.name).endswith(f" {name_key_}"))]

    async def children(self, unit_id: int) -> list[Unit]:
        return sorted((u for u in self._d.units.values() if u.parent_id == unit_id),
                      key=lambda u: u.code)

    async def all(self, dataset: str) -> list[Unit]:
        return [u for u in self._sorted() if u.dataset == dataset]

    async def datasets(self) -> list[str]:
        return sorted({u.dataset for u in self._d.units.values()})

    async def save(self, unit: Unit) -> Unit:
        if not unit.id or unit.id not in self._d.units:
            unit = replace(unit, id=self._d.next_id())
        self._d.units[unit.id] = unit
        return unit

    async def add_mapping(self, from_id: int, to_id: int) -> bool:
        if (from_id, to_id) in self._d.mappings:
            return False
        self._d.mappings.add((from_id, to_id))
        return True

    async def mapped_to(self, unit_id: int) -> list[Unit]:
        return [self._d.units[t] for f, t in sorted(self._d.mappings) if f == unit_id]

    def _sorted(self) -> list[Unit]:
        return [self._d.units[i] for i in sorted(self._d.units)]


class FakeHouseholds:
    def __init__(self, data: FakeData) -> None:
        self._d = data

    async def get(self, household_id: int) -> Household | None:
        return self._d.households.get(household_id)

    async def by_code(self, commune_id: int, code: str) -> Household | None:
        return next((h for h in self._d.households.values()
                     if h.commune_id == commune_id and h.code == code), None)

    async def in_village(self, village_id: int) -> list[Household]:
        return sorted((h for h in self._d.households.values() if h.village_id == village_id),
                      key=lambda h: h.code)

    async def add(self, household: Household) -> Household:
        saved = replace(household, id=self._d.next_id())
        self._d.households[saved.id] = saved
        return saved

    async def update(self, household: Household) -> None:
        if household.id not in self._d.households:
            raise LookupError(household.id)
        self._d.households[household.id] = household

    async def count_in_commune(self, commune_id: int) -> int:
        return sum(1 for h in self._d.households.values() if h.commune_id == commune_id)


class FakeResidents:
    def __init__(self, data: FakeData, now: datetime) -> None:
        self._d = data
        self._now = now

    async def get(self, resident_id: int) -> Resident | None:
        return self._d.residents.get(resident_id)

    async def by_citizen_id(self, citizen_id: str) -> Resident | None:
        return next((r for r in self._d.residents.values() if r.citizen_id == citizen_id),
                    None)

    async def same_person(self, commune_id: int, name_key_: str, born: date) -> list[Resident]:
        return [r for r in self._all() if r.commune_id == commune_id
                and name_key(r.full_name) == name_key_ and r.date_of_birth == born]

    async def in_household(self, household_id: int) -> list[Resident]:
        return [r for r in self._all() if r.household_id == household_id]

    async def in_units(self, unit_ids: Sequence[int]) -> list[Resident]:
        ids = set(unit_ids)
        return [r for r in self._all() if r.commune_id in ids or r.village_id in ids]

    async def add(self, resident: Resident) -> Resident:
        saved = replace(resident, id=self._d.next_id(),
                        registered_at=resident.registered_at or self._now)
        self._d.residents[saved.id] = saved
        return saved

    async def update(self, resident: Resident) -> None:
        if resident.id not in self._d.residents:
            raise LookupError(resident.id)
        self._d.residents[resident.id] = replace(
            resident, registered_at=resident.registered_at or self._now)

    async def export_rows(self, unit_ids: Sequence[int] | None) -> list[ResidentExport]:
        raise NotImplementedError("export_rows joins four tables: test it on the database")

    async def waiting_in(self, commune_ids: Sequence[int]) -> Waiting:
        raise NotImplementedError("the candidates are SQL: test them on the database")

    async def candidates(self, commune_id: int) -> list[Candidate]:
        raise NotImplementedError("the candidates are SQL: test them on the database")

    def _all(self) -> list[Resident]:
        return [self._d.residents[i] for i in sorted(self._d.residents)]


class FakeOfficials:
    def __init__(self, data: FakeData) -> None:
        self._d = data

    async def get(self, official_id: int) -> Official | None:
        return self._d.officials.get(official_id)

    async def by_login(self, login: str) -> Official | None:
        return next((o for o in self._d.officials.values() if o.login == login), None)

    async def in_unit(self, unit_id: int) -> list[Official]:
        return [self._d.officials[i] for i in sorted(self._d.officials)
                if self._d.officials[i].unit_id == unit_id and self._d.officials[i].active]

    async def add(self, official: Official) -> Official:
        saved = replace(official, id=self._d.next_id())
        self._d.officials[saved.id] = saved
        return saved

    async def update(self, official: Official) -> None:
        if official.id not in self._d.officials:
            raise LookupError(official.id)
        self._d.officials[official.id] = official


class FakeAudit:
    def __init__(self, data: FakeData, kept: list[AuditEntry]) -> None:
        self._d = data
        self._kept = kept

    async def append(self, *entries: AuditEntry) -> None:
        self._d.audit.extend(entries)

    async def keep(self, *entries: AuditEntry) -> None:
        self._kept.extend(entries)

    async def redact(self, entity: str, entity_id: int, fields: Sequence[str]) -> None:
        def blanked(values: dict[str, object] | None) -> dict[str, object] | None:
            return None if values is None else {
                k: (None if k in fields else v) for k, v in values.items()}

        self._d.audit[:] = [
            replace(e, before=blanked(e.before), after=blanked(e.after))
            if (e.entity, e.entity_id) == (entity, entity_id) else e
            for e in self._d.audit]

    async def for_entity(self, entity: str, entity_id: int) -> list[AuditEntry]:
        return [e for e in self._d.audit if (e.entity, e.entity_id) == (entity, entity_id)]


class FakeChats:
    def __init__(self, data: FakeData) -> None:
        self._d = data

    async def get_or_create(self, channel: str, chat_id: str, now: datetime) -> ChatState:
        chat, _earlier = await self.open(channel, chat_id, now)
        return chat

    async def open(
        self, channel: str, chat_id: str, now: datetime, update_id: str | None = None
    ) -> tuple[ChatState, list[dict[str, object]] | None]:
        found = next((c for c in self._d.chats.values()
                      if (c.channel, c.chat_id) == (channel, chat_id)), None)
        if found is None:
            found = ChatState(id=self._d.next_id(), channel=channel, chat_id=chat_id,
                              last_seen_at=now)
            self._d.chats[found.id] = found
        earlier = self._d.updates.get((channel, update_id)) if update_id else None
        # a copy, as a row read from a database: changing it changes nothing until save()
        return copy.deepcopy(found), None if earlier is None else list(earlier)

    async def save(self, chat: ChatState) -> None:
        self._d.chats[chat.id] = copy.deepcopy(chat)

    async def get(self, chat_ref: int) -> ChatState | None:
        chat = self._d.chats.get(chat_ref)
        return copy.deepcopy(chat) if chat else None

    async def record_update(
        self, channel: str, update_id: str, now: datetime, replies: list[dict[str, object]]
    ) -> bool:
        if (channel, update_id) in self._d.updates:
            return False
        self._d.updates[channel, update_id] = list(replies)
        self._d.update_times[channel, update_id] = now
        return True

    async def forget_updates(self, before: datetime) -> int:
        old = [key for key, at in self._d.update_times.items() if at < before]
        for key in old:
            del self._d.updates[key], self._d.update_times[key]
        return len(old)

    async def forget_replies(self) -> None:
        for key in self._d.updates:
            self._d.updates[key] = []

    async def linked_to(self, official_id: int) -> list[ChatState]:
        linked = [c for c in self._d.chats.values() if c.official_id == official_id]
        linked.sort(key=lambda c: c.last_seen_at or datetime.min, reverse=True)
        return copy.deepcopy(linked)

    async def earlier_replies(self, channel: str, update_id: str) -> list[dict[str, object]]:
        return list(self._d.updates.get((channel, update_id), []))


class FakeInvites:
    def __init__(self, data: FakeData) -> None:
        self._d = data

    async def add(
        self, code_hash: str, official_id: int, now: datetime, expires_at: datetime,
        created_by: int | None = None,
    ) -> Invite:
        invite = Invite(id=self._d.next_id(), official_id=official_id, expires_at=expires_at)
        self._d.invites[invite.id] = (code_hash, invite)
        return invite

    async def by_hash(self, code_hash: str) -> Invite | None:
        return next((i for h, i in self._d.invites.values() if h == code_hash), None)

    async def get(self, invite_id: int) -> Invite | None:
        found = self._d.invites.get(invite_id)
        return found[1] if found else None

    async def revoke(self, invite_id: int, by: int | None, now: datetime) -> bool:
        code_hash, invite = self._d.invites[invite_id]
        if invite.used_at is not None or invite.revoked_at is not None:
            return False
        self._d.invites[invite_id] = (code_hash, replace(invite, revoked_at=now))
        return True

    async def mark_used(self, invite_id: int, chat_ref: int, now: datetime) -> bool:
        code_hash, invite = self._d.invites[invite_id]
        if invite.used_at is not None:
            return False
        self._d.invites[invite_id] = (code_hash, replace(invite, used_at=now))
        return True


class FakePledges:
    def __init__(self, data: FakeData) -> None:
        self._d = data

    async def add(self, pledge: Pledge) -> Pledge:
        saved = replace(pledge, id=self._d.next_id())
        self._d.pledges[saved.id] = saved
        return saved

    async def by_code(self, code: str) -> Pledge | None:
        return next((p for p in self._d.pledges.values() if p.code == code), None)

    async def get(self, pledge_id: int) -> Pledge | None:
        return self._d.pledges.get(pledge_id)

    async def all(self, commune_ids: Sequence[int] | None = None) -> list[Pledge]:
        found = [self._d.pledges[i] for i in sorted(self._d.pledges)]
        if commune_ids is None:
            return found
        return [p for p in found if p.commune_id in set(commune_ids)]

    async def update_status(self, pledge_id: int, status: PledgeStatus) -> None:
        self._d.pledges[pledge_id] = replace(self._d.pledges[pledge_id], status=status)


class FakeOutbox:
    def __init__(self, data: FakeData) -> None:
        self._d = data

    async def add(self, message: OutboxMessage) -> bool:
        return bool(await self.add_all([message]))

    async def add_all(self, messages: Sequence[OutboxMessage]) -> set[str]:
        queued: set[str] = set()
        for m in messages:
            if any(o.dedupe_key == m.dedupe_key for o in self._d.outbox.values()):
                continue
            saved = replace(m, id=self._d.next_id(), attempts=0, dead=False)
            self._d.outbox[saved.id] = saved
            queued.add(m.dedupe_key)
        return queued

    async def claim(
        self, channels: Sequence[str], now: datetime, until: datetime, limit: int
    ) -> list[OutboxMessage]:
        # No leases here: one fake sender at a time; the head of each chat's queue only.
        heads: dict[tuple[str, str], OutboxMessage] = {}
        for m in self._waiting():
            heads.setdefault((m.channel, m.chat_id), m)
        return [m for m in heads.values()
                if m.channel in channels and m.not_before <= now][:limit]

    async def mark_sent(self, message_id: int, now: datetime) -> None:
        m = self._d.outbox[message_id]
        if m.sent_at is None:
            self._d.outbox[message_id] = replace(m, sent_at=now)

    async def mark_failed(
        self, message_id: int, error: str, retry_at: datetime, dead: bool
    ) -> None:
        m = self._d.outbox[message_id]
        if m.sent_at is None:
            self._d.outbox[message_id] = replace(
                m, attempts=m.attempts + 1, last_error=error[:200], not_before=retry_at,
                dead=dead)

    async def pull(
        self, channel: str, chat_id: str, after: int, now: datetime, limit: int
    ) -> list[OutboxMessage]:
        found = [m for _, m in sorted(self._d.outbox.items())
                 if (m.channel, m.chat_id) == (channel, chat_id) and m.id > after
                 and not m.dead][:limit]
        for m in found:
            await self.mark_sent(m.id, now)
        return found

    def _waiting(self) -> list[OutboxMessage]:
        return [m for _, m in sorted(self._d.outbox.items())
                if m.sent_at is None and not m.dead]


class FakeLocks:
    def __init__(self, data: FakeData) -> None:
        self._d = data

    async def take(self, name: str) -> int:
        return self._d.locks.setdefault(name, 0)

    async def bump(self, name: str) -> None:
        self._d.locks[name] = self._d.locks.get(name, 0) + 1


class FakeLedger:
    def __init__(self, data: FakeData) -> None:
        self._d = data

    async def last(self) -> LedgerEntry | None:
        return self._d.ledger[-1] if self._d.ledger else None

    async def add(self, *entries: LedgerEntry) -> list[LedgerEntry]:
        saved = [replace(e, id=self._d.next_id()) for e in entries]
        self._d.ledger.extend(saved)
        return saved

    async def all(self) -> list[LedgerEntry]:
        return list(self._d.ledger)

    async def page(self, after: int, limit: int) -> list[LedgerEntry]:
        return [e for e in self._d.ledger if e.id > after][:limit]

    async def mentioning(self, values: Sequence[str]) -> list[LedgerEntry]:
        wanted = set(values)
        return [e for e in self._d.ledger if wanted & {str(v) for v in e.payload.values()}]


class FakePlans:
    def __init__(self, data: FakeData) -> None:
        self._d = data

    async def add(self, at: datetime, by: int | None, fingerprint: str,
                  summary: dict[str, object]) -> int:
        self._d.plans.append((at, by, fingerprint, summary))
        return len(self._d.plans)


class FakeReminderStops:
    def __init__(self, data: FakeData) -> None:
        self._d = data

    async def stop(self, chat_ref: int, now: datetime) -> bool:
        if chat_ref in self._d.reminder_stops:
            return False
        self._d.reminder_stops[chat_ref] = now
        return True

    async def stopped(self, chat_refs: Sequence[int]) -> set[int]:
        return set(chat_refs) & set(self._d.reminder_stops)


class Missing:
    """A repository this fake does not have: any use names it, so a test that needs it
    moves to the database instead of passing on a pretence."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        raise NotImplementedError(f"FakeUnitOfWork has no {self._name}.{attr}: use the database")


class FakeUnitOfWork:
    """core.ports.UnitOfWork over FakeData: commit() keeps the changes, leaving the block
    without it drops them."""

    def __init__(self, committed: FakeData, now: datetime) -> None:
        self._committed = committed
        self._now = now
        self.committed = False  # True once commit() was called (cosmicpython's flag)
        self._data = FakeData()
        self._kept: list[AuditEntry] = []  # audit.keep(): written on commit or rollback

    async def __aenter__(self) -> Self:
        self._open(copy.deepcopy(self._committed))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()

    async def commit(self) -> None:
        self._data.audit.extend(self._kept)
        self._kept.clear()
        self._committed.__dict__.update(copy.deepcopy(self._data).__dict__)
        self.committed = True

    async def rollback(self) -> None:
        self._committed.audit.extend(self._kept)
        self._kept.clear()
        self._open(copy.deepcopy(self._committed))

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[object]:
        """A nested transaction: an error inside puts back what was there before it."""
        before = copy.deepcopy(self._data)
        try:
            yield self
        except BaseException:
            self._data.__dict__.update(before.__dict__)
            raise

    def _open(self, data: FakeData) -> None:
        self._data = data
        self.units: ports.UnitRepository = FakeUnits(data)
        self.households: ports.HouseholdRepository = FakeHouseholds(data)
        self.residents: ports.ResidentRepository = FakeResidents(data, self._now)
        self.officials: ports.OfficialRepository = FakeOfficials(data)
        self.audit: ports.AuditRepository = FakeAudit(data, self._kept)
        self.chats: ports.ChatRepository = FakeChats(data)
        self.invites: ports.InviteRepository = FakeInvites(data)
        self.pledges: ports.PledgeRepository = FakePledges(data)
        self.outbox: ports.OutboxRepository = FakeOutbox(data)
        self.ledger: ports.LedgerRepository = FakeLedger(data)
        self.locks: ports.LockRepository = FakeLocks(data)
        self.plans: ports.PlanRepository = FakePlans(data)
        self.reminders: ports.ReminderRepository = FakeReminderStops(data)
        self.receipts: Any = Missing("receipts")
        self.supports: Any = Missing("supports")
        self.handovers: Any = Missing("handovers")
        self.reports: Any = Missing("reports")
        self.aftercare: Any = Missing("aftercare")
        self.figures: Any = Missing("figures")
        self.views: Any = Missing("views")
        self.postings: Any = Missing("postings")


class FakeUnitOfWorkFactory:
    """core.ports.UnitOfWorkFactory: every unit of work it makes shares one FakeData.
    `now` stands for the clock that the SQL repositories read where a caller gives no time."""

    def __init__(self, now: datetime, data: FakeData | None = None) -> None:
        self.data = data if data is not None else FakeData()
        self._now = now

    def __call__(self) -> ports.UnitOfWork:
        return FakeUnitOfWork(self.data, self._now)
