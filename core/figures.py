"""The monthly report's figures (plan VI.1-VI.2), computed from counts that storage sums up.

Storage hands over small records: for each unit, what happened there in a window (a Tally),
the transfers between units (Movements) and where people stood at a moment (a Standing).
Each record is attached to the finest unit it is known at: people to their village, a
receipt to the unit that received it, a pledge to the commune it is earmarked for (else the
province). This module rolls them up the unit tree, works out coverage and its change, and
never touches SQL, so a report over a million residents is a few hundred numbers here.

Coverage (DESIGN "Coverage", plan II.2): counted over the villages of the pilot communes
whose survey is done (ra soat xong) at the moment, each with the adult population its
officials keep: 1 - (adults known to have no smartphone and not yet served there / those
villages' adults); households likewise. A village not yet surveyed is counted apart (how
many, and the people registered there still uncovered), never as 100 %; a unit with no
surveyed village has no figure (None).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta, tzinfo

from core.errors import RuleError
from core.model import Level, Unit
from core.priority import TIERS, VIETNAM

ZERO_TIERS: tuple[int, ...] = (0,) * TIERS
_MONTH = re.compile(r"(\d{4})-(\d{1,2})", re.ASCII)


# ---- the period --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month as officials count it: from the first day 00:00 local time to the
    next month's first day 00:00 local time."""

    year: int
    month: int
    tz: tzinfo = VIETNAM

    @property
    def start(self) -> datetime:
        """The first instant of the month, in UTC."""
        return _local_midnight(date(self.year, self.month, 1), self.tz)

    @property
    def end(self) -> datetime:
        """The first instant of the next month, in UTC (excluded from the month)."""
        return _local_midnight(self.first_day_after, self.tz)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def first_day_after(self) -> date:
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    @property
    def last_day(self) -> date:
        return self.first_day_after - timedelta(days=1)

    @property
    def label(self) -> str:
        """YYYY-MM, as the command takes it."""
        return f"{self.year:04d}-{self.month:02d}"


def parse_month(text: str, tz: tzinfo = VIETNAM) -> Month:
    """'2023-09' as a Month; a RuleError for anything else."""
    match = _MONTH.fullmatch(text.strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1900:
        raise RuleError("reports-month-invalid", text=text.strip())
    return Month(int(match[1]), int(match[2]), tz)


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


# ---- what storage hands over ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tally:
    """What happened in one window. From storage: one unit's own events; after roll-up: the
    unit and everything below it. The transferred_* fields are filled by the roll-up, from
    Movements; drawn_* are what supports took from the stock a unit held."""

    registered: int = 0  # registrations standing (not rejected) of adults without a smartphone
    approved: int = 0  # of those, approved by the commune in the window
    pledged_phones: int = 0
    pledged_money: int = 0
    pledged_offers: int = 0  # shops' offers pledged (counted, not valued)
    received_phones: int = 0
    received_money: int = 0
    transferred_in_phones: int = 0
    transferred_in_money: int = 0
    transferred_out_phones: int = 0
    transferred_out_money: int = 0
    assigned_whole: int = 0  # people assigned a donated phone
    assigned_partial: int = 0  # people assigned part of the price
    assigned_partial_money: int = 0  # the money those assignments take
    shop_offers: int = 0  # people served by a shop's or company's offer
    direct_gifts: int = 0  # people given a phone directly by an agency or a person
    other_programmes: int = 0  # people already given a device by another programme
    handed_over: int = 0  # whole phones and part-of-the-price supports handed over
    confirmed: int = 0  # handovers confirmed by the recipient (on the phone or on paper)
    drawn_phones: int = 0  # phones taken from this unit's stock by assignments
    drawn_money: int = 0  # money taken from this unit's funds by assignments
    # after the handover (plan III.5, VI.2), counted where the recipient lives
    answered_30: int = 0  # 30-day follow-ups answered
    using_30: int = 0  # of those, the phone used for VNeID, Zalo, public services or payments
    answered_90: int = 0
    using_90: int = 0
    cases_opened: int = 0  # cases opened: at the confirmation or at a follow-up
    guidance_sessions: int = 0  # guidance sessions held in the unit's villages
    guided: int = 0  # people who came to them
    own_purchases: int = 0  # people who bought their own phone: covered, not served by us
    # what was received, by its source (plan IV; core.model.ReceiptSource): phones, dong
    received_phones_state_budget: int = 0
    received_money_state_budget: int = 0
    received_phones_business: int = 0
    received_money_business: int = 0
    received_phones_organisation: int = 0
    received_money_organisation: int = 0
    received_phones_individual: int = 0
    received_money_individual: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def served(self) -> int:
        """Everyone served by any route."""
        return (self.assigned_whole + self.assigned_partial + self.shop_offers
                + self.direct_gifts + self.other_programmes)

    def adoption(self, day: int) -> float | None:
        """Share of the day's follow-up answers in which the phone is used; None: none."""
        answered, using = ((self.answered_30, self.using_30) if day == 30
                           else (self.answered_90, self.using_90))
        return using / answered if answered else None

    @property
    def on_hand_phones(self) -> int:
        """Phones still held: meaningful for a window since the programme began."""
        return (self.received_phones + self.transferred_in_phones
                - self.transferred_out_phones - self.drawn_phones)

    @property
    def on_hand_money(self) -> int:
        return (self.received_money + self.transferred_in_money
                - self.transferred_out_money - self.drawn_money)


@dataclass(frozen=True, slots=True)
class Movement:
    """Phones and money moved from one unit to another in a window (summed per pair)."""

    from_unit_id: int
    to_unit_id: int
    phones: int = 0
    money: int = 0


@dataclass(frozen=True, slots=True)
class Standing:
    """Where people stood at one moment, in one unit (or summed over a subtree)."""

    uncovered_adults: int = 0  # registered, no smartphone, not served
    uncovered_households: int = 0  # none of them has a smartphone or was served
    waiting_whole: tuple[int, ...] = ZERO_TIERS  # eligible, by whole-phone tier 1-4
    waiting_partial: tuple[int, ...] = ZERO_TIERS  # eligible, by part-of-the-price tier 1-4

    def __add__(self, other: Standing) -> Standing:
        return Standing(
            self.uncovered_adults + other.uncovered_adults,
            self.uncovered_households + other.uncovered_households,
            tuple(a + b for a, b in zip(self.waiting_whole, other.waiting_whole, strict=True)),
            tuple(a + b for a, b in zip(self.waiting_partial, other.waiting_partial,
                                        strict=True)),
        )

    @property
    def waiting(self) -> int:
        """People eligible and not served. Everyone eligible waits in both queues, so this is
        either queue's total, not their sum."""
        return sum(self.waiting_whole)


@dataclass(frozen=True, slots=True)
class Window:
    """Own tallies per unit id, and the movements, over one window."""

    tallies: Mapping[int, Tally] = field(default_factory=dict)
    movements: Sequence[Movement] = ()


@dataclass(frozen=True, slots=True)
class ReportInput:
    """Everything a report needs, as storage produced it."""

    month: Month
    units: Sequence[Unit]  # every unit of the dataset (villages too)
    in_month: Window
    to_date: Window  # from the programme's beginning to the month's end
    at_start: Mapping[int, Standing]  # own standings at the month's start
    at_end: Mapping[int, Standing]  # and at its end


# ---- what comes out ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Coverage:
    """A share at the month's start and end (None: no population estimate)."""

    start: float | None
    end: float | None

    @property
    def change(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Figures:
    """One unit's figures: with every unit below it, or (own=True) for the unit alone."""

    unit: Unit
    adults: int | None  # the adult population estimate used
    households: int | None
    month: Tally
    to_date: Tally
    start: Standing
    end: Standing
    adult_coverage: Coverage
    household_coverage: Coverage
    own: bool = False
    surveyed: int = 0  # pilot villages whose survey was done by the month's end
    unsurveyed: int = 0  # pilot villages not yet surveyed (or without an adult population)
    unsurveyed_uncovered: int = 0  # adults registered there without a phone, not yet served
    no_signal: int = 0  # pilot villages without mobile signal (vung lom song, plan VI.6)


@dataclass(frozen=True, slots=True)
class Report:
    """Every unit's figures for a month, and the tree to lay them out."""

    month: Month
    root: Unit
    figures: Mapping[int, Figures]  # unit id -> with everything below it
    own: Mapping[int, Figures]  # unit id -> the unit alone
    children: Mapping[int, tuple[int, ...]]

    @property
    def total(self) -> Figures:
        return self.figures[self.root.id]

    def subtree(self, unit_id: int | None = None) -> list[Figures]:
        """The unit and every unit below it, depth first, in code order."""
        out: list[Figures] = []
        stack = [self.root.id if unit_id is None else unit_id]
        while stack:
            current = stack.pop()
            out.append(self.figures[current])
            stack.extend(reversed(self.children.get(current, ())))
        return out

    def shown(self) -> list[Figures]:
        """What the report's text and JSON show: the root and the units below it down to
        communes (a commune's report: its villages)."""
        if self.root.level in (Level.COMMUNE, Level.VILLAGE):
            return self.subtree()
        return [f for f in self.subtree() if f.unit.level is not Level.VILLAGE]

    def rows(self) -> list[Figures]:
        """A table's lines under the root: the root's and each level's own figures (what was
        received or pledged there, not below), then each subordinate unit of the lowest level
        shown (communes; a commune's villages), depth first. Their counts sum to the root's,
        but for transfers: one between two lines is out of one and into the other."""
        leaf = _leaf_level(self.root.level)
        out: list[Figures] = []
        for f in self.subtree():
            if f.unit.level is leaf:
                out.append(f)
            elif _above(f.unit.level, leaf) and (
                f.unit.id == self.root.id or _has_events(self.own[f.unit.id])
            ):
                out.append(self.own[f.unit.id])
        return out


def _has_events(f: Figures) -> bool:
    return f.month != Tally() or f.to_date != Tally()


_ORDER = (Level.PROVINCE, Level.DISTRICT, Level.COMMUNE, Level.VILLAGE)


def _leaf_level(root: Level) -> Level:
    """Rows are communes under a province or district, villages under a commune."""
    if _above(root, Level.COMMUNE):
        return Level.COMMUNE
    return Level.VILLAGE if root is Level.COMMUNE else root


def _above(level: Level, other: Level) -> bool:
    return _ORDER.index(level) < _ORDER.index(other)


@dataclass(frozen=True, slots=True)
class MonthCoverage:
    """Where a unit stood at the end of a month (the current month: so far)."""

    month: Month
    uncovered_adults: int
    uncovered_households: int
    adults: float | None  # coverage share; None without a population estimate
    households: float | None


# ---- the computation --------------------------------------------------------------------------


def compute(data: ReportInput, root_id: int) -> Report:
    """The figures of root_id and every unit below it."""
    if root_id not in {u.id for u in data.units}:
        raise RuleError("reports-unit-unknown")
    return roll_up(data, [root_id]).report(root_id)


@dataclass(frozen=True, slots=True)
class Rollup:
    """Every unit's figures under some roots, rolled up in one pass: the report of any unit
    among them is a view of the same figures, so a run of many reports rolls up once."""

    month: Month
    units: Mapping[int, Unit]
    figures: Mapping[int, Figures]
    own: Mapping[int, Figures]  # not of a unit given summed
    children: Mapping[int, tuple[int, ...]]  # none under a unit given summed
    sums: Mapping[int, Summed]

    def report(self, unit_id: int) -> Report:
        if unit_id not in self.figures:
            raise RuleError("reports-unit-unknown")
        return Report(self.month, self.units[unit_id], self.figures, self.own, self.children)


# Tallies and standings are added up as flat lists of ints while rolling up: fifty thousand
# units times two windows is too many dataclass additions.
_TALLY = tuple(f.name for f in fields(Tally))
_IN_PHONES, _IN_MONEY, _OUT_PHONES, _OUT_MONEY = (_TALLY.index(f"transferred_{d}_{g}")
                                                  for d in ("in", "out")
                                                  for g in ("phones", "money"))
Vector = list[int]
# A unit and everything below it, summed: the month's and the to-date tallies, the standings
# at the month's start and end, the coverage base. Transfers across its border are not in
# it: they are added from the movements when its figures are made.
Summed = tuple[Vector, ...]


@dataclass(frozen=True, slots=True)
class Kept:
    """A commune's month so far as a dashboard keeps it: everything below it summed, and its
    residents by status."""

    sums: Summed
    statuses: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Stale:
    """What a dashboard found out of date: the communes whose rows changed since their
    figures were kept, the marks that said so, and the kept figures' generation when the
    marks were read."""

    generation: int
    marks: tuple[int, ...]
    communes: tuple[int, ...]


def roll_up(data: ReportInput, roots: Iterable[int] | None = None,
            summed: Mapping[int, Summed] | None = None) -> Rollup:
    """The figures of every unit under `roots` (None: under every top unit of the dataset),
    children before parents, each subtree summed from its children's sums. summed: units
    whose sums are known already (a commune's, kept from an earlier roll-up of the same
    month and rows): taken as they are, and nothing below them is read from data."""
    summed = summed or {}
    by_id = {u.id: u for u in data.units}
    children = _children(data.units)
    tops = [u.id for u in data.units if u.parent_id not in by_id] if roots is None else roots
    below = {k: v for k, v in children.items() if k not in summed}
    order = [node for top in tops for node in _postorder(top, below)]
    todo = [u for u in order if u not in summed]
    month_own, month_moved = _own_tallies(data.in_month, by_id, todo)
    to_date_own, to_date_moved = _own_tallies(data.to_date, by_id, todo)
    start_own = {u: _standing_vector(data.at_start.get(u)) for u in todo}
    end_own = {u: _standing_vector(data.at_end.get(u)) for u in todo}
    sums: dict[int, Summed] = {}
    figures = _Totals(by_id, month_moved.below, to_date_moved.below, sums)
    own = _Own(by_id)
    bases = _bases(data, by_id, start_own, end_own)
    for unit_id in order:  # children before parents: sums need them
        if unit_id in summed:
            sums[unit_id] = summed[unit_id]
            continue
        kids = below.get(unit_id, ())
        mine = (month_own[unit_id], to_date_own[unit_id], start_own[unit_id], end_own[unit_id],
                bases.get(unit_id, _NO_BASE))
        total = tuple(_add([part, *(sums[k][i] for k in kids)]) for i, part in enumerate(mine)
                      ) if kids else mine
        sums[unit_id] = total
        own.vectors[unit_id] = (month_moved.alone.plus(unit_id, mine[0]),
                                to_date_moved.alone.plus(unit_id, mine[1]), *mine[2:4])
    return Rollup(data.month, by_id, figures, own, below, sums)


class _Totals(Mapping[int, Figures]):
    """Each unit's figures with everything below it, made when first asked for from the
    summed vectors: a page shows a unit and its children, not the province's every village
    (five thousand Figures for the province's dashboard, of which it shows a dozen)."""

    def __init__(self, units: Mapping[int, Unit], month: _Crossed, to_date: _Crossed,
                 sums: dict[int, Summed]) -> None:
        self.units = units
        self.month, self.to_date = month, to_date
        self.sums = sums
        self._made: dict[int, Figures] = {}

    def __getitem__(self, unit_id: int) -> Figures:
        made = self._made.get(unit_id)
        if made is None:
            total = self.sums[unit_id]
            made = self._made[unit_id] = _figures_of(
                self.units[unit_id], self.month.plus(unit_id, total[0]),
                self.to_date.plus(unit_id, total[1]), total[2], total[3], total[4])
        return made

    def __iter__(self) -> Iterator[int]:
        return iter(self.sums)

    def __len__(self) -> int:
        return len(self.sums)


class _Own(Mapping[int, Figures]):
    """Each unit's own figures, made when first asked for: a report shows those of the
    units above its lowest level only, so the forty thousand villages' are rarely wanted."""

    def __init__(self, units: Mapping[int, Unit]) -> None:
        self.units = units
        self.vectors: dict[int, tuple[Vector, ...]] = {}
        self._made: dict[int, Figures] = {}

    def __getitem__(self, unit_id: int) -> Figures:
        made = self._made.get(unit_id)
        if made is None:
            month, to_date, start, end = self.vectors[unit_id]
            made = self._made[unit_id] = _figures_of(self.units[unit_id], month, to_date,
                                                     start, end, _NO_BASE, own=True)
        return made

    def __iter__(self) -> Iterator[int]:
        return iter(self.vectors)

    def __len__(self) -> int:
        return len(self.vectors)


class _Crossed(dict[int, Vector]):
    """Transfers across the borders of the units that have any (most have none)."""

    def credit(self, unit_id: int, phones: int, money: int, m: Movement) -> None:
        vector = self.setdefault(unit_id, [0] * len(_TALLY))
        vector[phones] += m.phones
        vector[money] += m.money

    def plus(self, unit_id: int, tally: Vector) -> Vector:
        crossed = self.get(unit_id)
        return tally if crossed is None else _add([tally, crossed])


@dataclass(frozen=True, slots=True)
class _Moved:
    """What crossed each unit's border: its subtree's (below) and its own (alone)."""

    below: _Crossed
    alone: _Crossed


def _own_tallies(window: Window, by_id: Mapping[int, Unit], order: Sequence[int]
                 ) -> tuple[dict[int, Vector], _Moved]:
    """Each unit's own tally as a vector, and the transfers across each border. A transfer
    counts out of every subtree that holds its sender but not its receiver, and into every
    one that holds the receiver but not the sender: the units on the path up from each end
    to their lowest common ancestor, which itself sees neither."""
    tallies = {u: _tally_vector(window.tallies.get(u)) for u in order}
    moved = _Moved(_Crossed(), _Crossed())
    for m in window.movements:
        senders, receivers = path_up(m.from_unit_id, by_id), path_up(m.to_unit_id, by_id)
        common = set(senders) & set(receivers)
        for unit_id in senders:
            if unit_id in common:
                break
            moved.below.credit(unit_id, _OUT_PHONES, _OUT_MONEY, m)
        for unit_id in receivers:
            if unit_id in common:
                break
            moved.below.credit(unit_id, _IN_PHONES, _IN_MONEY, m)
        if m.from_unit_id != m.to_unit_id:
            moved.alone.credit(m.from_unit_id, _OUT_PHONES, _OUT_MONEY, m)
            moved.alone.credit(m.to_unit_id, _IN_PHONES, _IN_MONEY, m)
    return tallies, moved


def path_up(unit_id: int, by_id: Mapping[int, Unit]) -> list[int]:
    """The unit and its ancestors, nearest first."""
    out = [unit_id]
    while (unit := by_id.get(out[-1])) is not None and unit.parent_id is not None:
        out.append(unit.parent_id)
    return out


def _tally_vector(t: Tally | None) -> Vector:
    return [0] * len(_TALLY) if t is None else [getattr(t, name) for name in _TALLY]


def _standing_vector(s: Standing | None) -> Vector:
    s = s or Standing()
    return [s.uncovered_adults, s.uncovered_households, *s.waiting_whole, *s.waiting_partial]


def _add(vectors: Sequence[Vector]) -> Vector:
    if len(vectors) == 1:
        return vectors[0]
    return list(map(sum, zip(*vectors, strict=True)))


def _figures_of(unit: Unit, month: Vector, to_date: Vector, start: Vector, end: Vector,
                base: Vector, own: bool = False) -> Figures:
    at_start, at_end = _standing(start), _standing(end)
    (adults_0, homes_0, uncovered_0, open_homes_0, adults_1, homes_1, uncovered_1, open_homes_1,
     surveyed, unsurveyed, unsurveyed_uncovered, no_signal) = base
    return Figures(
        unit=unit, adults=adults_1 or None, households=homes_1 or None,
        month=Tally(*month), to_date=Tally(*to_date), start=at_start, end=at_end,
        adult_coverage=Coverage(coverage(uncovered_0, adults_0), coverage(uncovered_1, adults_1)),
        household_coverage=Coverage(coverage(open_homes_0, homes_0),
                                    coverage(open_homes_1, homes_1)),
        own=own, surveyed=surveyed, unsurveyed=unsurveyed,
        unsurveyed_uncovered=unsurveyed_uncovered, no_signal=no_signal,
    )


# A unit's coverage base, summed up the tree like a tally: at the month's start, then its end,
# (adults, households, uncovered adults, uncovered households) of the villages counted; then
# the villages counted at the end, those not, the people uncovered in those not, and the
# villages without mobile signal.
_NO_BASE: Vector = [0] * 12


def _bases(data: ReportInput, by_id: Mapping[int, Unit], start: Mapping[int, Vector],
           end: Mapping[int, Vector]) -> dict[int, Vector]:
    """Each pilot village's own coverage base (the other units have none of their own)."""
    out: dict[int, Vector] = {}
    for village in pilot_villages(data.units):
        if village.id not in start:
            continue  # outside the roots rolled up
        base: Vector = []
        for at, standing in ((data.month.start, start[village.id]),
                             (data.month.end, end[village.id])):
            known = surveyed(village, at)
            base += [village.adult_population or 0, village.household_population or 0,
                     standing[0], standing[1]] if known else [0, 0, 0, 0]
        known = surveyed(village, data.month.end)
        base += [1, 0, 0] if known else [0, 1, end[village.id][0]]
        out[village.id] = [*base, int(village.no_signal)]
    return out


def surveyed(village: Unit, at: datetime) -> bool:
    """The village's coverage is known at `at`: its survey was done before, and its
    officials keep its adult population."""
    return (village.survey_done_at is not None and village.survey_done_at < at
            and bool(village.adult_population))


def pilot_villages(units: Sequence[Unit]) -> list[Unit]:
    """The villages of the pilot communes: the only places the programme's coverage counts."""
    pilots = {u.id for u in units if u.level is Level.COMMUNE and u.pilot}
    return [u for u in units if u.level is Level.VILLAGE and u.parent_id in pilots]


def _standing(v: Vector) -> Standing:
    return Standing(v[0], v[1], tuple(v[2:2 + TIERS]), tuple(v[2 + TIERS:]))


def coverage(uncovered: int, population: int | None) -> float | None:
    """1 - uncovered / population; None without an estimate. Never below 0: an estimate
    smaller than the people registered is the estimate's fault, not a negative share."""
    if not population:
        return None
    return max(0.0, 1 - uncovered / population)


def _children(units: Sequence[Unit]) -> dict[int, tuple[int, ...]]:
    """Each unit's children in code order."""
    out: dict[int, list[Unit]] = {}
    for u in units:
        if u.parent_id is not None:
            out.setdefault(u.parent_id, []).append(u)
    return {k: tuple(u.id for u in sorted(v, key=lambda u: u.code)) for k, v in out.items()}


def _postorder(root: int, children: Mapping[int, tuple[int, ...]]) -> list[int]:
    out: list[int] = []

    def visit(node: int) -> None:  # four levels deep: province, district, commune, village
        for child in children.get(node, ()):
            visit(child)
        out.append(node)

    visit(root)
    return out
