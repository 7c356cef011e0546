"""The demo exercises issue 18's parts: a receipt from each source, a direct gift and a shop's
offer used once, Con Minh's villages surveyed but Na Dam (the demo village head's), and a
village without signal; the month's report shows each (bot/data/demo-programme.json)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from core.priority import VIETNAM
from tests.bot.test_cli import demo_copy, phocap


@pytest.fixture(scope="module")
def report(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    folder = demo_copy(demo_template, tmp_path_factory.mktemp("demo-programme"))
    month = datetime.now(VIETNAM).strftime("%Y-%m")  # init ran on today's clock
    done = phocap(folder, "report", "--month", month, "--format", "json")
    assert done.returncode == 0, done.stderr
    return {u["code"]: u for u in json.loads(done.stdout)["units"]}


def test_each_source_and_each_gift_is_reported(report: dict[str, dict]) -> None:
    con_minh = report["02173"]["to_date"]
    assert (con_minh["direct_gifts"], con_minh["shop_offers"]) == (1, 1)
    assert (con_minh["received_money_state_budget"], con_minh["received_phones_business"],
            con_minh["received_money_organisation"], con_minh["received_money_individual"]
            ) == (3_000_000, 1, 1_000_000, 500_000)
    assert report["06"]["to_date"]["received_money"] == 4_500_000


def test_surveyed_villages_give_a_figure_the_others_are_counted_apart(
        report: dict[str, dict]) -> None:
    con_minh = report["02173"]
    assert con_minh["survey"] == {**con_minh["survey"], "surveyed": 6, "unsurveyed": 1,
                                  "no_signal": 1}
    assert 0 < con_minh["coverage"]["adults"]["end"] < 1
    giao_hieu = report["01870"]  # nothing surveyed there: no figure, never 100 %
    assert giao_hieu["coverage"]["adults"]["end"] is None
    assert giao_hieu["survey"]["unsurveyed"] > 0 and giao_hieu["survey"]["surveyed"] == 0
    assert report["06"]["survey"]["surveyed"] == 6
