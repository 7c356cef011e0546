"""A deterministic demo population for the pilot villages: sample data, no real person.

Households and people follow the province's make-up (the peoples' shares of the 2019
census, poverty and policy classes, who already owns a smartphone). The names themselves
live in ``bot/data/demo-names.json``: the caller loads them with ``load_demo_names`` and
passes them in, so no Vietnamese text lives in code. The same arguments always give the
same population.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from importlib.resources.abc import Traversable
from typing import TypeVar

T = TypeVar("T")

POVERTY_CLASSES = ("poor", "near_poor", "none")
POLICY_CLASSES = ("merit", "social", "none")

# Rough shares for the pilot communes (they were chosen among the poorer ones).
_POVERTY_WEIGHTS = {"poor": 22.0, "near_poor": 14.0, "none": 64.0}
_POLICY_WEIGHTS = {"merit": 5.0, "social": 9.0, "none": 86.0}
_SIZE_WEIGHTS = {1: 7.0, 2: 17.0, 3: 22.0, 4: 25.0, 5: 17.0, 6: 12.0}
# Chance that an adult of working age owns a smartphone, by the household's class.
_SMARTPHONE = {"poor": 0.3, "near_poor": 0.45, "none": 0.72}
_NO_ID = 0.05
_PHONE_IF_SMARTPHONE = 0.5
_PHONE_IF_BASIC = 0.2  # a basic phone, or a relative's number, given as contact
# Digits 1-3 of a citizen ID: where the birth was registered (0 + pre-2025 GSO code).
_BIRTH_PROVINCES = {
    "006": 85.0,  # Bac Kan
    "019": 4.0,  # Thai Nguyen
    "020": 2.5,  # Lang Son
    "004": 2.5,  # Cao Bang
    "008": 2.0,  # Tuyen Quang
    "001": 2.5,  # Ha Noi
    "079": 1.5,  # Ho Chi Minh City
}
_SEXES = ("male", "female")
_MOBILE_PREFIXES = ("96", "97", "98", "91", "94", "90", "93", *(f"3{d}" for d in range(2, 10)))


@dataclass(frozen=True, slots=True)
class DemoPerson:
    full_name: str
    date_of_birth: date
    gender: str  # "male" | "female"
    citizen_id: str | None
    has_smartphone: bool
    phone: str | None  # E.164, "+84..."


@dataclass(frozen=True, slots=True)
class DemoHousehold:
    code: str  # "<commune code>-H001", unique within the commune
    commune_code: str
    village_code: str
    head_name: str
    poverty: str  # "poor" | "near_poor" | "none"
    policy: str  # "merit" | "social" | "none"
    members: tuple[DemoPerson, ...]  # the head first

    @property
    def has_smartphone(self) -> bool:
        """Whether anyone in the household already has a smartphone."""
        return any(m.has_smartphone for m in self.members)


@dataclass(frozen=True, slots=True)
class _Weighted:
    values: tuple[str, ...]
    weights: tuple[float, ...]

    def pick(self, rng: random.Random) -> str:
        return rng.choices(self.values, weights=self.weights)[0]


@dataclass(frozen=True, slots=True)
class _Group:
    key: str
    surnames: _Weighted
    middle: Mapping[str, _Weighted]
    given: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class _Peoples:
    groups: Mapping[str, _Group]
    shares: _Weighted


@dataclass(frozen=True, slots=True)
class _Ids:
    """Citizen IDs and phone numbers handed out so far: both stay unique."""

    citizen_ids: set[str]
    phones: set[str]


@dataclass(frozen=True, slots=True)
class _Sketch:
    """One member before names and numbers: who they are in the household."""

    group: str
    gender: str
    age: int
    surname: str


def load_demo_names(path: Traversable) -> dict[str, object]:
    """Read the demo name lists (``bot/data/demo-names.json``: a Path, or a package resource)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError("demo names: a JSON object expected")
    return data


def villages_from_units(units: Iterable[Mapping[str, object]]) -> list[tuple[str, str]]:
    """The (commune code, village code) pairs of a units file's ``units`` list."""
    return [(str(u["parent"]), str(u["code"])) for u in units if u.get("level") == "village"]


def demo_population(
    villages: Sequence[tuple[str, str]],
    names: Mapping[str, object],
    seed: int = 2023,
    households_per_village: int = 12,
    today: date = date(2023, 9, 1),
) -> list[DemoHousehold]:
    """Households for each (commune code, village code), the same for the same arguments.

    Every commune with at least nine households has all nine poverty x policy classes.
    """
    rng = random.Random(seed)  # noqa: S311 - demo data must be reproducible, not secret
    peoples = _parse_names(names)
    slots = [(c, v) for c, v in villages for _ in range(households_per_village)]
    classes = _assign_classes(rng, [c for c, _ in slots])
    ids = _Ids(set(), set())
    numbers: dict[str, int] = {}
    households = []
    for (commune, village), (poverty, policy) in zip(slots, classes, strict=True):
        numbers[commune] = numbers.get(commune, 0) + 1
        code = f"{commune}-H{numbers[commune]:03d}"
        members = _members(rng, peoples, poverty, today, ids)
        households.append(
            DemoHousehold(code, commune, village, members[0].full_name, poverty, policy, members)
        )
    return households


def _assign_classes(rng: random.Random, communes: Sequence[str]) -> list[tuple[str, str]]:
    """A (poverty, policy) class per slot; each commune gets every class at least once."""
    classes = [(_pick(rng, _POVERTY_WEIGHTS), _pick(rng, _POLICY_WEIGHTS)) for _ in communes]
    every = [(p, q) for p in POVERTY_CLASSES for q in POLICY_CLASSES]
    for commune in dict.fromkeys(communes):
        slots = [i for i, c in enumerate(communes) if c == commune]
        chosen = rng.sample(slots, min(len(every), len(slots)))
        for index, cls in zip(chosen, every, strict=False):
            classes[index] = cls
    return classes


def _members(
    rng: random.Random, peoples: _Peoples, poverty: str, today: date, ids: _Ids
) -> tuple[DemoPerson, ...]:
    sketches = _sketch_household(rng, peoples)
    used: set[str] = set()
    people = []
    for s in sketches:
        middle = peoples.groups[s.group].middle[s.gender].pick(rng)
        given = _given_name(rng, peoples.groups[s.group], s.gender, used | {middle})
        used.add(given)
        people.append(_person(rng, f"{s.surname} {middle} {given}", s, poverty, today, ids))
    return tuple(people)


def _sketch_household(rng: random.Random, peoples: _Peoples) -> list[_Sketch]:
    """Head, maybe a spouse, maybe an elderly parent, then children."""
    size = _pick(rng, _SIZE_WEIGHTS)
    group = peoples.shares.pick(rng)
    head_gender = "male" if rng.random() < 0.82 else "female"
    head_age = int(rng.triangular(22, 80, 42))
    head = _Sketch(group, head_gender, head_age, _surname(rng, peoples, group))
    sketches = [head]
    if size >= 2 and rng.random() < 0.9:
        sketches.append(_spouse(rng, peoples, head))
    if len(sketches) < size and head.age < 55 and rng.random() < 0.25:
        sketches.append(_elder(rng, peoples, head))
    father = next((s for s in sketches[:2] if s.gender == "male"), head)
    youngest_parent = min(s.age for s in sketches[:2])
    while len(sketches) < size:
        age = rng.randint(max(0, youngest_parent - 42), max(0, youngest_parent - 18))
        gender = rng.choice(("male", "female"))
        sketches.append(_Sketch(father.group, gender, age, father.surname))
    return sketches


def _spouse(rng: random.Random, peoples: _Peoples, head: _Sketch) -> _Sketch:
    group = head.group if rng.random() < 0.85 else peoples.shares.pick(rng)
    gender = "female" if head.gender == "male" else "male"
    shift = rng.randint(-8, 3) if gender == "female" else rng.randint(-3, 8)
    return _Sketch(group, gender, max(19, head.age + shift), _surname(rng, peoples, group))


def _elder(rng: random.Random, peoples: _Peoples, head: _Sketch) -> _Sketch:
    """The head's father keeps the head's surname; a mother has her own."""
    gender = rng.choice(("male", "female"))
    surname = head.surname if gender == "male" else _surname(rng, peoples, head.group)
    return _Sketch(head.group, gender, min(95, head.age + rng.randint(20, 32)), surname)


def _surname(rng: random.Random, peoples: _Peoples, group: str) -> str:
    return peoples.groups[group].surnames.pick(rng)


def _given_name(rng: random.Random, group: _Group, gender: str, avoid: set[str]) -> str:
    """A given name not in ``avoid`` (the household's, the middle name) when possible."""
    choices = group.given[gender]
    name = rng.choice(choices)
    for _ in range(8):
        if name not in avoid:
            break
        name = rng.choice(choices)
    return name


def _person(
    rng: random.Random, full_name: str, s: _Sketch, poverty: str, today: date, ids: _Ids
) -> DemoPerson:
    born = _birth_date(rng, s.age, today)
    smartphone = _owns_smartphone(rng, poverty, s.age)
    citizen_id = None if rng.random() < _NO_ID else _citizen_id(rng, born, s.gender, ids)
    chance = _PHONE_IF_SMARTPHONE if smartphone else _PHONE_IF_BASIC
    phone = _phone(rng, ids) if s.age >= 18 and rng.random() < chance else None
    return DemoPerson(full_name, born, s.gender, citizen_id, smartphone, phone)


def _owns_smartphone(rng: random.Random, poverty: str, age: int) -> bool:
    if age < 12:
        return False
    chance = _SMARTPHONE[poverty]
    if age < 18:
        chance *= 0.5
    elif age >= 60:
        chance *= 0.35
    return rng.random() < chance


def _birth_date(rng: random.Random, age: int, today: date) -> date:
    """A date of birth that makes the person exactly ``age`` years old on ``today``."""
    latest = _years_before(today, age)
    earliest = _years_before(today, age + 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randrange((latest - earliest).days + 1))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def _citizen_id(rng: random.Random, born: date, gender: str, ids: _Ids) -> str:
    """Province of birth registration, century and gender, year, six random digits."""
    province = _pick(rng, _BIRTH_PROVINCES)
    digit = (0 if born.year < 2000 else 2) + (1 if gender == "female" else 0)
    while True:
        number = f"{province}{digit}{born.year % 100:02d}{rng.randrange(10**6):06d}"
        if number not in ids.citizen_ids:
            ids.citizen_ids.add(number)
            return number


def _phone(rng: random.Random, ids: _Ids) -> str:
    while True:
        number = f"+84{rng.choice(_MOBILE_PREFIXES)}{rng.randrange(10**7):07d}"
        if number not in ids.phones:
            ids.phones.add(number)
            return number


def _pick(rng: random.Random, weights: Mapping[T, float]) -> T:
    return rng.choices(tuple(weights), weights=tuple(weights.values()))[0]


def _parse_names(names: Mapping[str, object]) -> _Peoples:
    """Check and convert the demo names document (see ``bot/data/demo-names.json``)."""
    groups_raw = _mapping(names.get("groups"), "groups")
    groups: dict[str, _Group] = {}
    shares: dict[str, float] = {}
    for key, raw in groups_raw.items():
        g = _mapping(raw, key)
        shares[key] = _number(g.get("share"), f"{key}.share")
        groups[key] = _Group(
            key,
            _weights(g.get("surnames"), f"{key}.surnames"),
            {sex: _weights(_mapping(g.get("middle"), key).get(sex), key) for sex in _SEXES},
            {sex: _strings(_mapping(g.get("given"), key).get(sex), key) for sex in _SEXES},
        )
    if not groups:
        raise ValueError("demo names: no groups")
    return _Peoples(groups, _Weighted(tuple(shares), tuple(shares.values())))


def _mapping(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ValueError(f"demo names: {where} must be an object")
    return value


def _number(value: object, where: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise ValueError(f"demo names: {where} must be a non-negative number")
    return float(value)


def _weights(value: object, where: str) -> _Weighted:
    table = _mapping(value, where)
    if not table:
        raise ValueError(f"demo names: {where} is empty")
    return _Weighted(tuple(table), tuple(_number(w, where) for w in table.values()))


def _strings(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(f"demo names: {where} must be a non-empty list of names")
    return tuple(value)
