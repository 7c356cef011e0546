"""The province's allocation plan and each commune's assignment, from the records (plan III.3).

preview() reads and plans; commit() takes the programme's allocation lock, plans again inside
the same transaction and records what the plan says: transfers (phones lot by lot, so that a
donor can follow them, and money), then one support per person served. A fingerprint of the
plan ties a commit to the preview an official read: if anything changed meanwhile, or another
commit came first, the fingerprints differ and nothing is written.

The order of planning, from the bottom up, so that stock moves no further than it must:
1. what was pledged for a commune goes there, whoever received it (an earmark);
2. each commune's own stock goes to its own queue first;
3. each district shares its stock among its communes, then the province among all communes,
   higher tiers first across them (core.allocation.plan_transfers);
4. phones are planned before money: a whole phone moves the other members of its household
   into the second part-of-the-price tier of their class.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo

from core.allocation import (
    Assignment,
    Entry,
    Plan,
    assign,
    pay,
    plan_transfers,
    uncovered_demand,
)
from core.errors import RuleError
from core.model import (
    Actor,
    AuditEntry,
    Level,
    Role,
    Support,
    SupportKind,
    SupportStatus,
    Transfer,
    Unit,
)
from core.ports import UnitOfWork
from core.posting import Posting, check_committable, removed
from core.priority import Candidate, Ranked, rank
from core.priority import Support as Queue
from core.services.audit import entry
from core.services.handover import person
from core.services.ledger import append_all
from core.services.units import province_of

LOCK = "allocation"
COMMITTING_ROLES = (Role.PROVINCE, Role.DISTRICT, Role.COMMUNE)
PARTS = (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE)  # the units that commit a part
DEFAULT_PER_PERSON = 500_000  # dong: the support level of Thong tu 14/2022/TT-BTTTT


@dataclass(frozen=True, slots=True)
class Move:
    """Phones of one receipt, or money, to go from a holder to a commune."""

    from_unit: Unit
    to_unit: Unit
    phones: int = 0
    money: int = 0
    receipt_id: int | None = None
    earmark: bool = False  # pledged for this commune, not shared by the plan


@dataclass(frozen=True, slots=True)
class CommunePlan:
    """One commune: its stock before the plan, what the plan sends it, and who gets what."""

    commune: Unit
    phones_held: int
    money_held: int
    phones_in: int
    money_in: int
    assignment: Assignment
    lots: tuple[tuple[int, int], ...]  # (receipt_id, phones) its phones come from, oldest first


@dataclass(frozen=True, slots=True)
class AllocationView:
    """The whole plan as an official reads it; nothing in it is written yet."""

    on: date
    per_person: int
    province: Unit
    phones: Plan  # the province's own phones shared among communes
    money: Plan  # the province's own money, in shares of per_person
    moves: tuple[Move, ...]
    communes: tuple[CommunePlan, ...]
    fingerprint: str = ""
    # Whose part a commit of this view writes (plan III.4): None, everything (the system's
    # run); a province or district, the moves out of its stock (its distribution to
    # communes), nobody named; a commune, its own list from what it holds.
    part: Unit | None = None

    @property
    def written_moves(self) -> tuple[Move, ...]:
        if self.part is None:
            return self.moves
        return tuple(m for m in self.moves if m.from_unit.id == self.part.id)

    @property
    def written_lists(self) -> tuple[CommunePlan, ...]:
        if self.part is None:
            return self.communes
        return tuple(c for c in self.communes if c.commune.id == self.part.id)

    def count(self, support: Queue) -> int:
        """People given this support by what a commit of the view writes."""
        return sum(1 for c in self.written_lists for e in c.assignment.entries
                   if e.support is support and not e.waiting)


@dataclass(frozen=True, slots=True)
class Committed:
    plan_id: int
    transfers: int
    whole: int
    partial: int


# ---- planning ---------------------------------------------------------------------------------


@dataclass
class _Stock:
    """A unit's phones lot by lot and its money, drawn down while planning."""

    lots: list[list[int]]  # [receipt_id, phones], oldest first
    money: int
    money_lots: dict[int, int] = field(default_factory=dict)  # receipt_id -> money in it

    @property
    def phones(self) -> int:
        return sum(n for _, n in self.lots)

    def take_lot(self, receipt_id: int) -> int:
        """Every phone left of one receipt; how many."""
        phones = sum(n for r, n in self.lots if r == receipt_id)
        self.lots = [lot for lot in self.lots if lot[0] != receipt_id]
        return phones

    def take_phones(self, n: int) -> list[tuple[int, int]]:
        """n phones, oldest lot first, as (receipt_id, phones)."""
        taken: list[tuple[int, int]] = []
        for lot in self.lots:
            k = min(n, lot[1])
            if k:
                taken.append((lot[0], k))
                lot[1] -= k
                n -= k
        self.lots = [lot for lot in self.lots if lot[1] > 0]
        return taken


@dataclass
class _Planner:
    """The plan being built: stock per unit, and the moves decided so far."""

    communes: list[Unit]
    candidates: Mapping[int, list[Candidate]]
    homes: Mapping[int, Mapping[int, int]]
    stock: dict[int, _Stock]
    on: date
    per_person: int
    moves: list[Move] = field(default_factory=list)
    # what has come to each commune so far, and each commune's queues: asked for again and
    # again while ten thousand communes are shared among, so kept rather than recomputed
    incoming: dict[int, list[Move]] = field(default_factory=dict)
    whole_queues: dict[int, list[Ranked]] = field(default_factory=dict)
    phones_only: dict[tuple[int, int], Assignment] = field(default_factory=dict)

    def send_earmarks(self, holders: Sequence[Unit], earmarks: Mapping[int, int]) -> None:
        by_id = {c.id: c for c in self.communes}
        for holder in holders:
            stock = self.stock[holder.id]
            for receipt_id, commune_id in sorted(earmarks.items()):
                to = by_id.get(commune_id)
                if to is None or to.id == holder.id:  # a commune's own earmark stays
                    continue
                phones = stock.take_lot(receipt_id)
                # never more than the unit holds: supports draw money from its pool
                money = min(stock.money_lots.pop(receipt_id, 0), max(stock.money, 0))
                if phones or money:
                    stock.money -= money
                    self._move(holder, to, phones, money, receipt_id, earmark=True)

    def share_phones(self, holder: Unit, served: list[Unit]) -> Plan:
        stock = self.stock[holder.id]
        need = {c.id: uncovered_demand(self._whole_queue(c), self._phones(c)) for c in served}
        plan = plan_transfers(stock.phones, need)
        for commune in served:
            for receipt_id, n in stock.take_phones(plan.transferred[commune.id]):
                self._move(holder, commune, n, 0, receipt_id)
        return plan

    def share_money(self, holder: Unit, served: list[Unit]) -> Plan:
        stock = self.stock[holder.id]
        need = {c.id: uncovered_demand(self._partial_queue(c), self._money(c) // self.per_person)
                for c in served}
        plan = plan_transfers(stock.money // self.per_person, need)
        for commune in served:
            money = plan.transferred[commune.id] * self.per_person
            if money:
                stock.money -= money
                self._move(holder, commune, 0, money, None)
        return plan

    def commune_plan(self, commune: Unit) -> CommunePlan:
        own = self.stock[commune.id]
        came = self.incoming.get(commune.id, [])
        lots: dict[int, int] = {r: n for r, n in own.lots}
        for m in came:
            if m.phones and m.receipt_id is not None:
                lots[m.receipt_id] = lots.get(m.receipt_id, 0) + m.phones
        result = pay(self._assign_phones_only(commune, self._phones(commune)),
                     self._money(commune), self.per_person)
        return CommunePlan(
            commune=commune, phones_held=own.phones, money_held=own.money,
            phones_in=sum(m.phones for m in came), money_in=sum(m.money for m in came),
            assignment=result, lots=tuple(sorted(lots.items())),
        )

    def _move(self, holder: Unit, to: Unit, phones: int, money: int, receipt_id: int | None,
              earmark: bool = False) -> None:
        move = Move(holder, to, phones, money, receipt_id, earmark)
        self.moves.append(move)
        self.incoming.setdefault(to.id, []).append(move)

    def _phones(self, commune: Unit) -> int:
        came = sum(m.phones for m in self.incoming.get(commune.id, ()))
        return self.stock[commune.id].phones + came

    def _money(self, commune: Unit) -> int:
        came = sum(m.money for m in self.incoming.get(commune.id, ()))
        return self.stock[commune.id].money + came

    def _whole_queue(self, commune: Unit) -> list[Ranked]:
        if commune.id not in self.whole_queues:
            self.whole_queues[commune.id] = rank(self.candidates[commune.id], Queue.WHOLE,
                                                 self.on)
        return self.whole_queues[commune.id]

    def _partial_queue(self, commune: Unit) -> list[Ranked]:
        given = self._assign_phones_only(commune, self._phones(commune))
        return [e.ranked for e in given.entries if e.ranked.support is Queue.PARTIAL]

    def _assign_phones_only(self, commune: Unit, phones: int) -> Assignment:
        key = (commune.id, phones)
        if key not in self.phones_only:
            self.phones_only[key] = assign(self.candidates[commune.id], phones, 0,
                                           self.per_person, self.on,
                                           households=self.homes[commune.id])
        return self.phones_only[key]


async def preview(
    uow: UnitOfWork, dataset: str, on: date, per_person: int = DEFAULT_PER_PERSON,
    unit: Unit | None = None,
) -> AllocationView:
    """The plan and every commune's list as they would be committed now; with `unit`, the
    part that unit commits (see AllocationView.part): a commune's list is planned from what
    the commune holds now, not from what a distribution not yet committed would send it."""
    if per_person <= 0:
        raise RuleError("allocation-per-person-invalid")
    if unit is not None and (unit.dataset != dataset or unit.level not in PARTS):
        raise RuleError("allocation-unit-invalid")
    if unit is not None and unit.level is Level.COMMUNE:
        # one commune's own list: its province and the communes its earmarks name, read
        # one by one, not the dataset's tens of thousands of units
        return await _own_preview(uow, dataset, on, per_person, unit)
    units = await uow.units.all(dataset)
    province = province_of(units)
    if province is None:
        raise RuleError("allocation-no-province", dataset=dataset)
    communes = sorted((u for u in units if u.level is Level.COMMUNE), key=lambda u: u.id)
    districts = sorted((u for u in units if u.level is Level.DISTRICT), key=lambda u: u.id)
    holders = [*districts, province]
    listed = communes
    held = await uow.receipts.holdings_by_unit([u.id for u in [*holders, *communes]])
    stock = {
        unit_id: _Stock([[r, n] for r, n in h.lots], h.money, dict(h.money_lots))
        for unit_id, h in held.items()
    }
    # Earmarks are moved when they are received; what an older record left elsewhere (at a
    # holder, or at another commune) goes to its commune first.
    keepers = [*holders, *communes]
    receipts = {r for h in keepers for r, _ in held[h.id].lots} | {
        r for h in keepers for r, _ in held[h.id].money_lots}
    candidates, homes = await uow.residents.waiting_in([c.id for c in listed])
    candidates = await _as_posted(uow, listed, candidates)
    planner = _Planner(communes=communes, candidates=candidates, homes=homes, stock=stock, on=on,
                       per_person=per_person)
    planner.send_earmarks(keepers, await uow.receipts.earmarks(sorted(receipts)))
    phones = _share(planner, planner.share_phones, districts, province, communes)
    money = _share(planner, planner.share_money, districts, province, communes)
    view = AllocationView(
        on=on, per_person=per_person, province=province, phones=phones, money=money,
        moves=tuple(planner.moves), communes=tuple(planner.commune_plan(c) for c in listed),
        part=unit,
    )
    return replace(view, fingerprint=fingerprint(view))


async def _own_preview(uow: UnitOfWork, dataset: str, on: date, per_person: int,
                       commune: Unit) -> AllocationView:
    """preview(unit=commune): the commune's list from what it holds, its earmarks for other
    communes sent on; no distribution is planned."""
    province = await _province_above(uow, commune)
    if province is None:
        raise RuleError("allocation-no-province", dataset=dataset)
    planner = await _own_planner(uow, dataset, on, per_person, [commune])
    view = AllocationView(
        on=on, per_person=per_person, province=province, phones=plan_transfers(0, {}),
        money=plan_transfers(0, {}), moves=tuple(planner.moves),
        communes=(planner.commune_plan(commune),), part=commune,
    )
    return replace(view, fingerprint=fingerprint(view))


async def _province_above(uow: UnitOfWork, unit: Unit) -> Unit | None:
    """The province a unit lies in, up its parents."""
    seen = unit
    while seen.level is not Level.PROVINCE and seen.parent_id is not None:
        parent = await uow.units.get(seen.parent_id)
        if parent is None:
            break
        seen = parent
    if seen.level is Level.PROVINCE:
        return seen
    return province_of(await uow.units.all(unit.dataset))  # no parent recorded: as before


async def _own_planner(uow: UnitOfWork, dataset: str, on: date, per_person: int,
                       listed: Sequence[Unit]) -> _Planner:
    """A planner over these communes' own stock with their earmarks for other communes sent:
    each commune's list as its own preview plans it."""
    held = await uow.receipts.holdings_by_unit([c.id for c in listed])
    stock = {
        unit_id: _Stock([[r, n] for r, n in h.lots], h.money, dict(h.money_lots))
        for unit_id, h in held.items()
    }
    receipts = {r for c in listed for r, _ in held[c.id].lots} | {
        r for c in listed for r, _ in held[c.id].money_lots}
    earmarks = await uow.receipts.earmarks(sorted(receipts))
    # the communes the earmarks name, as the dataset's units (another dataset's: none)
    named = {c.id: c for c in listed}
    for commune_id in sorted(set(earmarks.values()) - named.keys()):
        found = await uow.units.get(commune_id)
        if found is not None and found.dataset == dataset and found.level is Level.COMMUNE:
            named[found.id] = found
    candidates, homes = await uow.residents.waiting_in([c.id for c in listed])
    candidates = await _as_posted(uow, listed, candidates)
    planner = _Planner(communes=sorted(named.values(), key=lambda u: u.id),
                       candidates=candidates, homes=homes, stock=stock, on=on,
                       per_person=per_person)
    planner.send_earmarks(listed, earmarks)
    return planner


async def own_lists(uow: UnitOfWork, dataset: str, on: date, communes: Sequence[Unit],
                    per_person: int = DEFAULT_PER_PERSON) -> list[CommunePlan]:
    """Each commune's list as preview(unit=commune) plans it (from what the commune holds
    now, its earmarks sent on), for a page of a province's or district's communes at once:
    the same queries as one commune's, over these communes only, never the whole province."""
    if per_person <= 0:
        raise RuleError("allocation-per-person-invalid")
    if any(c.dataset != dataset or c.level is not Level.COMMUNE for c in communes):
        raise RuleError("allocation-unit-invalid")
    listed = sorted(communes, key=lambda u: u.id)
    if not listed:
        return []
    planner = await _own_planner(uow, dataset, on, per_person, listed)
    # one commune's earmark for another on this page: preview(unit=other) would not count
    # it (nothing is distributed to a commune's own list), so neither does its line here
    planner.incoming.clear()
    return [planner.commune_plan(c) for c in listed]


async def _as_posted(uow: UnitOfWork, communes: Sequence[Unit],
                     candidates: dict[int, list[Candidate]]) -> dict[int, list[Candidate]]:
    """Each commune's candidates as its posting allows, once its list is posted: those it
    showed, less those an answer to an objection took off (the list committed is the list
    the public could object to)."""
    kept = dict(candidates)
    for posting in await uow.postings.current_in([c.id for c in communes]):
        gone = removed(await uow.postings.objections(posting.id))
        allowed = {line.resident_id for line in posting.lines if line.number not in gone}
        kept[posting.commune_id] = [c for c in candidates.get(posting.commune_id, [])
                                    if c.resident_id in allowed]
    return kept


def _share(planner: _Planner, share: Callable[[Unit, list[Unit]], Plan],
           districts: Sequence[Unit], province: Unit, communes: list[Unit]) -> Plan:
    """Each district among its own communes, then the province among all; the province's plan."""
    for district in districts:
        mine = [c for c in communes if c.parent_id == district.id]
        if mine:
            share(district, mine)
    result: Plan = share(province, communes)
    return result


def fingerprint(view: AllocationView) -> str:
    """SHA-256 over what the plan would write: the same data gives the same fingerprint."""
    content = {
        "on": view.on.isoformat(),
        "per_person": view.per_person,
        "part": view.part.id if view.part else None,
        "moves": [[m.from_unit.id, m.to_unit.id, m.phones, m.money, m.receipt_id]
                  for m in view.written_moves],
        "lists": [[c.commune.id, [[e.resident_id, e.support.value if e.support else None]
                                  for e in c.assignment.entries if not e.waiting]]
                  for c in view.written_lists],
    }
    canonical = json.dumps(content, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


# ---- committing -------------------------------------------------------------------------------


async def commit(
    uow: UnitOfWork,
    actor: Actor,
    dataset: str,
    on: date,
    now: datetime,
    per_person: int = DEFAULT_PER_PERSON,
    expected: str | None = None,
    unit: Unit | None = None,
    tz: tzinfo = UTC,
) -> Committed:
    """Record the part of the plan that `unit` commits (an official: their own unit's, by
    default; the system: everything by default) as it stands now; refused if it is not the
    one previewed (`expected`) or there is nothing to do. The caller commits the unit of
    work."""
    part = _part(actor, unit)
    part_unit = None if part is None else (
        unit if unit is not None else await uow.units.get(part))
    await uow.locks.take(LOCK)  # two commits take turns; the second plans from the first's result
    view = await preview(uow, dataset, on, per_person, unit=part_unit)
    if expected is not None and expected != view.fingerprint:
        raise RuleError("allocation-changed")
    whole, partial = view.count(Queue.WHOLE), view.count(Queue.PARTIAL)
    moves = view.written_moves
    if not moves and not whole and not partial:
        raise RuleError("allocation-nothing")
    postings = await _posted(uow, view, now, tz) if whole or partial else []
    plan_id = await uow.plans.add(now, actor.official_id, view.fingerprint, {
        "on": on.isoformat(), "per_person": per_person, "transfers": len(moves),
        "whole": whole, "partial": partial, "unit": part_unit.code if part_unit else None,
    })
    written = _Written(uow, actor, plan_id, now)
    await written.moves(moves)
    await written.assignments(view.written_lists, per_person)
    for commune, posting in postings:
        await written.posting_closed(posting, commune)
    await uow.audit.append(*written.audit)
    await append_all(uow, written.ledger, now)
    await uow.locks.bump(LOCK)
    return Committed(plan_id, len(moves), whole, partial)


async def _posted(uow: UnitOfWork, view: AllocationView, now: datetime, tz: tzinfo
                  ) -> list[tuple[Unit, Posting]]:
    """The postings a commit closes: a commune's own list is committed only after its
    posting, the period ended and every objection answered (issue 18); the system's whole
    run waits for the postings there are. Nothing for a part that names nobody."""
    part = view.part
    if part is not None and part.level is not Level.COMMUNE:
        return []
    naming = [c.commune for c in view.written_lists
              if any(not e.waiting for e in c.assignment.entries)]
    found = {p.commune_id: p for p in await uow.postings.current_in([c.id for c in naming])}
    closing = []
    for commune in naming:
        posting = found.get(commune.id)
        if posting is None and part is None:
            continue  # the system's run: a list never posted is committed as before
        objections = await uow.postings.objections(posting.id) if posting else []
        try:
            closing.append((commune, check_committable(posting, objections, now, tz)))
        except RuleError as err:
            if part is not None:
                raise
            raise RuleError("posting-whole-run-waiting", commune=commune.name) from err
    return closing


def _part(actor: Actor, unit: Unit | None) -> int | None:
    """The id of the unit whose part the actor commits (None: everything, the system only).
    An official commits only what their own unit holds: a province or district officer its
    distribution, a commune officer its list."""
    if actor.system:
        return unit.id if unit is not None else None
    if actor.role not in COMMITTING_ROLES or actor.unit_id is None:
        raise RuleError("allocation-not-allowed")
    if unit is not None and unit.id != actor.unit_id:
        raise RuleError("allocation-not-allowed")
    return actor.unit_id


@dataclass
class _Written:
    """What a commit writes, in a few batched statements rather than a million: the rows
    first, then their audit lines and ledger entries, kept here meanwhile (the ledger's
    chained at the end); each receipt's origin is looked up once."""

    uow: UnitOfWork
    actor: Actor
    plan_id: int
    now: datetime
    audit: list[AuditEntry] = field(default_factory=list)
    ledger: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    origins: dict[int | None, dict[str, object]] = field(default_factory=dict)

    async def moves(self, moves: Sequence[Move]) -> None:
        transfers = await self.uow.receipts.add_transfers(*(Transfer(
            id=0, from_unit_id=m.from_unit.id, to_unit_id=m.to_unit.id, at=self.now,
            phones=m.phones, money=m.money, receipt_id=m.receipt_id, plan_id=self.plan_id,
            recorded_by=self.actor.official_id,
        ) for m in moves))
        for move, transfer in zip(moves, transfers, strict=True):
            self.audit.append(entry(self.actor, self.now, "transfer", "transfer", transfer.id,
                                    move.to_unit.id, after=transfer))
            self.ledger.append(("transfer", {
                "from": move.from_unit.code, "to": move.to_unit.code, "phones": move.phones,
                "money": move.money, **await self._origin(move.receipt_id),
                "plan": self.plan_id, "earmark": move.earmark,
            }))

    async def assignments(self, communes: Sequence[CommunePlan], per_person: int) -> None:
        planned = [(c, e, s) for c in communes for e, s in self._supports(c, per_person)]
        supports = await self.uow.supports.add(*(s for _, _, s in planned))
        tiers: dict[str, dict[str, dict[str, int]]] = {}  # commune -> kind -> tier -> people
        for (commune, line, _), support in zip(planned, supports, strict=True):
            self.audit.append(entry(self.actor, self.now, "assign", "support", support.id,
                                    commune.commune.id, after=support))
            # No tier and no place in the queue beside the support's number: in a small
            # village they point at a merit family. The tiers go out as counts per commune.
            self.ledger.append(("assignment", {
                "support": person(support.id), "commune": commune.commune.code,
                "kind": support.kind.value, "amount": support.amount,
                **await self._origin(support.receipt_id), "plan": self.plan_id,
            }))
            by_kind = tiers.setdefault(commune.commune.code, {}).setdefault(
                support.kind.value, {})
            by_kind[str(line.tier)] = by_kind.get(str(line.tier), 0) + 1
        for code, counts in tiers.items():
            self.ledger.append(("assignment_tiers", {
                "commune": code, "plan": self.plan_id, "tiers": counts}))

    async def posting_closed(self, posting: Posting, commune: Unit) -> None:
        """The posting's list is committed: its period is over, in the ledger by counts."""
        await self.uow.postings.close(posting.id, self.now, self.plan_id)
        objections = await self.uow.postings.objections(posting.id)
        self.ledger.append(("posting_close", {
            "commune": commune.code, "posting": posting.id,
            "plan": self.plan_id, "objections": len(objections),
            "removed": len(removed(objections))}))

    def _supports(self, commune: CommunePlan, per_person: int) -> list[tuple[Entry, Support]]:
        """Each served line of the commune's list with its support, phones drawn lot by lot."""
        lots = [[r, n] for r, n in commune.lots]
        served = []
        for line in commune.assignment.entries:
            if line.waiting:
                continue
            whole = line.support is Queue.WHOLE
            served.append((line, Support(
                id=0, resident_id=line.resident_id,
                kind=SupportKind.WHOLE if whole else SupportKind.PARTIAL,
                commune_id=commune.commune.id, status=SupportStatus.ASSIGNED,
                created_at=self.now, amount=0 if whole else per_person,
                holder_unit_id=commune.commune.id, receipt_id=_draw(lots) if whole else None,
                plan_id=self.plan_id, recorded_by=self.actor.official_id,
            )))
        return served

    async def _origin(self, receipt_id: int | None) -> dict[str, object]:
        """The receipt's number and its pledge's code, so a donor's page can follow it."""
        if receipt_id not in self.origins:
            self.origins[receipt_id] = await _origin(self.uow, receipt_id)
        return self.origins[receipt_id]


def _draw(lots: list[list[int]]) -> int | None:
    """One phone from the oldest lot that has one: the receipt it came from."""
    for lot in lots:
        if lot[1] > 0:
            lot[1] -= 1
            return lot[0]
    return None


async def _origin(uow: UnitOfWork, receipt_id: int | None) -> dict[str, object]:
    """The receipt's number and its pledge's code, so a donor's page can follow the phone."""
    if receipt_id is None:
        return {"receipt": None, "pledge": None}
    receipt = await uow.receipts.get(receipt_id)
    pledge = await uow.pledges.get(receipt.pledge_id) if receipt and receipt.pledge_id else None
    return {"receipt": receipt.number if receipt else None,
            "pledge": pledge.code if pledge else None}
