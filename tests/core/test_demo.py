"""The demo population: deterministic, consistent IDs, every class, census-like names."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.demo import (
    POLICY_CLASSES,
    POVERTY_CLASSES,
    DemoHousehold,
    DemoPerson,
    demo_population,
    load_demo_names,
    villages_from_units,
)

DATA = Path(__file__).resolve().parents[2] / "bot" / "data"
TODAY = date(2023, 9, 1)
BIRTH_PROVINCES = {"006", "001", "019", "020", "004", "008", "079"}
PHONE = re.compile(r"\+84[39]\d{8}")


@pytest.fixture(scope="module")
def names() -> dict[str, Any]:
    return load_demo_names(DATA / "demo-names.json")


@pytest.fixture(scope="module")
def villages() -> list[tuple[str, str]]:
    doc = json.loads((DATA / "units-2023.json").read_text(encoding="utf-8"))
    return villages_from_units(doc["units"])


@pytest.fixture(scope="module")
def population(villages: list[tuple[str, str]], names: dict[str, Any]) -> list[DemoHousehold]:
    return demo_population(villages, names)


@pytest.fixture(scope="module")
def big_run(names: dict[str, Any]) -> list[DemoHousehold]:
    """About 3,000 households over eight communes, for the statistical checks."""
    villages = [(f"0{c}", f"0{c}-{v:02d}") for c in range(1000, 1008) for v in range(1, 11)]
    return demo_population(villages, names, seed=7, households_per_village=40)


def people(households: list[DemoHousehold]) -> list[DemoPerson]:
    return [m for h in households for m in h.members]


def age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def id_digits_match(person: DemoPerson) -> bool:
    """Digits 4-6 of a citizen ID: century and gender, then the last two of the birth year."""
    assert person.citizen_id is not None
    century = 0 if person.date_of_birth.year < 2000 else 2
    digit = century + (1 if person.gender == "female" else 0)
    return person.citizen_id[3:6] == f"{digit}{person.date_of_birth.year % 100:02d}"


def test_same_seed_gives_the_same_population(
    villages: list[tuple[str, str]], names: dict[str, Any], population: list[DemoHousehold]
) -> None:
    assert demo_population(villages, names) == population
    assert demo_population(villages, names, seed=2024) != population


def test_households_per_village_and_codes(
    villages: list[tuple[str, str]], population: list[DemoHousehold]
) -> None:
    assert len(population) == 12 * len(villages)
    assert Counter(h.village_code for h in population) == {v: 12 for _, v in villages}
    assert {(h.commune_code, h.village_code) for h in population} == set(villages)
    codes = [h.code for h in population]
    assert len(set(codes)) == len(codes)
    for h in population:
        assert re.fullmatch(re.escape(h.commune_code) + r"-H\d{3}", h.code)


def test_household_shape(population: list[DemoHousehold]) -> None:
    for h in population:
        assert 1 <= len(h.members) <= 6
        assert h.head_name == h.members[0].full_name
        assert age(h.members[0].date_of_birth, TODAY) >= 18
        assert h.has_smartphone == any(m.has_smartphone for m in h.members)
        assert h.poverty in POVERTY_CLASSES and h.policy in POLICY_CLASSES
    everyone = people(population)
    minors = sum(age(p.date_of_birth, TODAY) < 18 for p in everyone)
    assert 0.1 * len(everyone) < minors < 0.45 * len(everyone)


def test_every_commune_has_every_class(population: list[DemoHousehold]) -> None:
    seen: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for h in population:
        seen[h.commune_code].add((h.poverty, h.policy))
    every = {(p, q) for p in POVERTY_CLASSES for q in POLICY_CLASSES}
    assert len(seen) == 8
    assert all(classes == every for classes in seen.values())


def test_rare_classes_stay_rare(big_run: list[DemoHousehold]) -> None:
    poverty = Counter(h.poverty for h in big_run)
    policy = Counter(h.policy for h in big_run)
    assert poverty["none"] > poverty["poor"] > poverty["near_poor"]
    assert policy["none"] > policy["social"] > policy["merit"]


def test_citizen_ids_are_unique_and_agree_with_birth_and_gender(
    big_run: list[DemoHousehold],
) -> None:
    everyone = people(big_run)
    ids = [p.citizen_id for p in everyone if p.citizen_id is not None]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"\d{12}", i) and i[:3] in BIRTH_PROVINCES for i in ids)
    assert all(id_digits_match(p) for p in everyone if p.citizen_id is not None)
    assert 0.03 < 1 - len(ids) / len(everyone) < 0.07
    provinces = Counter(i[:3] for i in ids)
    assert provinces.most_common(1)[0][0] == "006"
    assert len(provinces) > 3


def test_phones_are_unique_vietnamese_mobiles(big_run: list[DemoHousehold]) -> None:
    everyone = people(big_run)
    phones = [p.phone for p in everyone if p.phone is not None]
    assert len(set(phones)) == len(phones)
    assert all(PHONE.fullmatch(p) for p in phones)
    owners = [p for p in everyone if p.has_smartphone and age(p.date_of_birth, TODAY) >= 18]
    with_phone = sum(p.phone is not None for p in owners)
    assert 0.4 < with_phone / len(owners) < 0.6


def test_more_smartphones_in_households_that_are_not_poor(
    big_run: list[DemoHousehold],
) -> None:
    def share(poverty: str) -> float:
        adults = [
            m
            for h in big_run
            if h.poverty == poverty
            for m in h.members
            if age(m.date_of_birth, TODAY) >= 18
        ]
        return sum(m.has_smartphone for m in adults) / len(adults)

    assert 0 < share("poor") < share("near_poor") < share("none") < 1


def test_names_are_nfc_and_built_from_the_name_lists(
    big_run: list[DemoHousehold], names: dict[str, Any]
) -> None:
    groups = names["groups"].values()
    surnames = {s for g in groups for s in g["surnames"]}
    middles = {m for g in groups for sex in g["middle"].values() for m in sex}
    given = {n for g in groups for sex in g["given"].values() for n in sex}
    for p in people(big_run):
        assert unicodedata.normalize("NFC", p.full_name) == p.full_name
        surname, middle, last = p.full_name.split(" ")
        assert surname in surnames and middle in middles and last in given
        assert p.gender in ("male", "female")


def test_female_names_use_female_middle_names(
    big_run: list[DemoHousehold], names: dict[str, Any]
) -> None:
    thi = "Th\u1ecb"
    for p in people(big_run):
        middle = p.full_name.split(" ")[1]
        assert (middle == thi) <= (p.gender == "female")


def test_surnames_follow_the_census_shares(
    big_run: list[DemoHousehold], names: dict[str, Any]
) -> None:
    groups = names["groups"]
    total = sum(g["share"] for g in groups.values())
    owners = Counter(s for g in groups.values() for s in g["surnames"])
    observed = Counter(p.full_name.split(" ")[0] for p in people(big_run))
    count = sum(observed.values())
    for key, group in groups.items():
        own = [s for s in group["surnames"] if owners[s] == 1]  # surnames of this people only
        weights = group["surnames"]
        expected = group["share"] / total * sum(weights[s] for s in own) / sum(weights.values())
        seen = sum(observed[s] for s in own) / count
        assert abs(seen - expected) < 0.03 + 0.2 * expected, key


def test_census_shares_in_the_names_file(names: dict[str, Any]) -> None:
    shares = {k: g["share"] for k, g in names["groups"].items()}
    assert shares == {"tay": 52.6, "dao": 17.9, "kinh": 12.0, "nung": 9.2, "hmong": 7.2}


def test_today_decides_who_is_a_minor(
    villages: list[tuple[str, str]], names: dict[str, Any]
) -> None:
    later = date(2030, 9, 1)
    for h in demo_population(villages[:3], names, today=later):
        assert age(h.members[0].date_of_birth, later) >= 18
        assert all(m.date_of_birth <= later for m in h.members)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    per_village=st.integers(1, 6),
    villages=st.lists(st.sampled_from(["01837", "02173", "01912"]), min_size=1, max_size=4),
)
def test_any_seed_gives_consistent_households(
    seed: int, per_village: int, villages: list[str]
) -> None:
    names = load_demo_names(DATA / "demo-names.json")
    pairs = [(c, f"{c}-{i:02d}") for i, c in enumerate(villages, 1)]
    households = demo_population(pairs, names, seed=seed, households_per_village=per_village)
    assert len(households) == per_village * len(pairs)
    assert len({h.code for h in households}) == len(households)
    ids = [p.citizen_id for p in people(households) if p.citizen_id is not None]
    assert len(set(ids)) == len(ids)
    assert all(id_digits_match(p) for p in people(households) if p.citizen_id is not None)
    if per_village * villages.count("02173") >= 9:
        classes = {(h.poverty, h.policy) for h in households if h.commune_code == "02173"}
        assert len(classes) == 9


def test_bad_names_document_is_refused() -> None:
    with pytest.raises(ValueError, match="groups"):
        demo_population([("02173", "02173-01")], {"groups": []})
