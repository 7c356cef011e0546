"""Numbered pages: "x-y of N" and the page numbers offered, worked out by hand."""

from __future__ import annotations

import pytest

from admin.paging import Page, page_at
from core.errors import RuleError


def test_the_rows_of_a_page_and_the_last_one_short() -> None:
    second = Page(2, 50, 62)
    assert (second.first, second.last, second.pages, second.offset) == (51, 62, 2, 50)
    assert Page(1, 50, 0).first == 0 and Page(1, 50, 0).last == 0  # "0-0 of 0"
    assert Page(1, 50, 0).pages == 1 and Page(1, 50, 50).pages == 1


def test_the_numbers_offered_are_the_ends_and_two_each_side() -> None:
    assert Page(5, 50, 1000).numbers() == [1, None, 3, 4, 5, 6, 7, None, 20]
    assert Page(1, 50, 1000).numbers() == [1, 2, 3, None, 20]
    assert Page(4, 50, 1000).numbers() == [1, 2, 3, 4, 5, 6, None, 20]  # no gap of one
    assert Page(1, 50, 10).numbers() == [1]


def test_the_page_asked_is_kept_within_the_list() -> None:
    assert page_at(None, 62).number == 1
    assert page_at("2", 62).number == 2
    assert page_at("99", 62).number == 2  # past the end: the last
    assert page_at("0", 62).number == 1
    assert page_at("3", 0).number == 1
    with pytest.raises(RuleError):
        page_at("-1", 62)
