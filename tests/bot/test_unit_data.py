"""The shipped unit data: 2023 units, 2025 units, the mapping between them, demo names."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parents[2] / "bot" / "data"
LEVELS = ("province", "district", "commune", "village")
KEYS = {"code", "name", "level", "parent", "adults", "households", "address", "sample"}

# 2023 code -> (2023 district, 2025 code), as in DESIGN.md
PILOT = {
    "01837": ("058", "01843"),
    "02017": ("063", "02014"),
    "01912": ("061", "01912"),
    "02071": ("064", "02071"),
    "02122": ("065", "02086"),
    "01951": ("062", "01954"),
    "02173": ("066", "02185"),
    "01870": ("060", "01864"),
}
CON_MINH_SAMPLE_VILLAGES = {"N\u00e0 D\u0103m", "Khu\u1ed5i Lu\u00f4ng", "B\u1ea3n Chang"}


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def units_2023() -> dict[str, dict[str, Any]]:
    return by_code(load("units-2023.json"), "2023")


@pytest.fixture(scope="module")
def units_2025() -> dict[str, dict[str, Any]]:
    return by_code(load("units-2025.json"), "2025")


@pytest.fixture(scope="module")
def mapping() -> dict[str, str]:
    doc = load("unit-mapping-2025.json")
    assert (doc["from_dataset"], doc["to_dataset"]) == ("2023", "2025")
    pairs = [(m["from"], m["to"]) for m in doc["mapping"]]
    assert len({f for f, _ in pairs}) == len(pairs), "a unit is mapped twice"
    return dict(pairs)


def by_code(doc: dict[str, Any], dataset: str) -> dict[str, dict[str, Any]]:
    assert doc["dataset"] == dataset
    codes = Counter(u["code"] for u in doc["units"])
    assert [c for c, n in codes.items() if n > 1] == []
    return {u["code"]: u for u in doc["units"]}


def strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def of_level(units: dict[str, dict[str, Any]], level: str) -> list[dict[str, Any]]:
    return [u for u in units.values() if u["level"] == level]


@pytest.mark.parametrize(
    "name", ["units-2023.json", "units-2025.json", "unit-mapping-2025.json", "demo-names.json"]
)
def test_every_string_is_nfc(name: str) -> None:
    bad = [s for s in strings(load(name)) if unicodedata.normalize("NFC", s) != s]
    assert bad == []


@pytest.mark.parametrize("fixture", ["units_2023", "units_2025"])
def test_units_have_the_fields_and_a_parent_one_level_up(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    units = request.getfixturevalue(fixture)
    present = [lv for lv in LEVELS if of_level(units, lv)]
    assert len(of_level(units, "province")) == 1
    for unit in units.values():
        # a pilot commune carries its mark (DESIGN "Coverage"); no other unit does
        assert set(unit) == KEYS | ({"pilot"} if unit["level"] == "commune" else set()), (
            unit["code"])
        assert unit.get("pilot", True) is True
        assert unit["name"].strip() == unit["name"] != ""
        assert isinstance(unit["adults"], int) and unit["adults"] > 0
        assert isinstance(unit["households"], int) and 0 < unit["households"] < unit["adults"]
        index = present.index(unit["level"])
        if index == 0:
            assert unit["parent"] is None
        else:
            assert units[unit["parent"]]["level"] == present[index - 1], unit["code"]


def test_2023_province_districts_and_pilot_communes(units_2023: dict[str, Any]) -> None:
    assert units_2023["06"]["name"] == "T\u1ec9nh B\u1eafc K\u1ea1n"
    districts = {u["code"] for u in of_level(units_2023, "district")}
    assert districts == {"058", "060", "061", "062", "063", "064", "065", "066"}
    communes = {u["code"]: u["parent"] for u in of_level(units_2023, "commune")}
    assert communes == {code: district for code, (district, _) in PILOT.items()}


def test_2023_commune_estimates_are_plausible(units_2023: dict[str, Any]) -> None:
    for commune in of_level(units_2023, "commune"):
        villages = [u for u in units_2023.values() if u["parent"] == commune["code"]]
        low, high = (5000, 15000) if commune["code"] == "01837" else (1500, 6000)
        assert low <= commune["adults"] <= high, commune["code"]
        assert sum(v["adults"] for v in villages) <= commune["adults"]
        assert sum(v["households"] for v in villages) <= commune["households"]


@pytest.mark.parametrize("fixture", ["units_2023", "units_2025"])
def test_villages_are_sample_data_with_commune_based_codes(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    units = request.getfixturevalue(fixture)
    for unit in units.values():
        assert unit["sample"] is (unit["level"] == "village"), unit["code"]
    per_commune = Counter(v["parent"] for v in of_level(units, "village"))
    for village in of_level(units, "village"):
        assert re.fullmatch(re.escape(village["parent"]) + r"-\d\d", village["code"])
    for commune in of_level(units, "commune"):
        assert 4 <= per_commune[commune["code"]] <= 8, commune["code"]


def test_con_minh_has_the_villages_of_the_sample_list(units_2023: dict[str, Any]) -> None:
    names = {u["name"] for u in units_2023.values() if u["parent"] == "02173"}
    assert CON_MINH_SAMPLE_VILLAGES <= names


def test_2025_has_no_districts_and_the_merged_communes(units_2025: dict[str, Any]) -> None:
    assert units_2025["19"]["level"] == "province"
    assert of_level(units_2025, "district") == []
    communes = {u["code"] for u in of_level(units_2025, "commune")}
    assert communes == {new for _, new in PILOT.values()}


def test_every_2023_commune_and_village_maps_to_a_2025_unit(
    units_2023: dict[str, Any], units_2025: dict[str, Any], mapping: dict[str, str]
) -> None:
    for unit in units_2023.values():
        if unit["level"] not in ("commune", "village"):
            continue
        target = units_2025[mapping[unit["code"]]]
        assert target["level"] == unit["level"]
        assert target["adults"] >= unit["adults"]
        assert target["households"] >= unit["households"]
        if unit["level"] == "commune":
            assert target["code"] == PILOT[unit["code"]][1]
        else:
            assert target["name"] == unit["name"]
            assert target["parent"] == mapping[unit["parent"]]
    assert set(mapping) <= set(units_2023)


def test_every_2025_village_comes_from_2023(
    units_2025: dict[str, Any], mapping: dict[str, str]
) -> None:
    targets = set(mapping.values())
    assert {v["code"] for v in of_level(units_2025, "village")} <= targets
