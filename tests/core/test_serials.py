"""Serials and IMEIs: one form for what officials copy, and the IMEI's check digit."""

from __future__ import annotations

from core.serials import is_bad_imei, luhn_ok, normalise_serial

IMEI = "352099001761481"  # a well-formed IMEI: its last digit is the Luhn check


def test_an_imei_carries_a_luhn_digit() -> None:
    assert luhn_ok(IMEI)
    assert not luhn_ok(IMEI[:-1] + "9")
    assert luhn_ok("79927398713")  # the classic worked example


def test_only_fifteen_digits_that_fail_the_check_are_a_bad_imei() -> None:
    assert is_bad_imei(IMEI[:-1] + "9")
    assert not is_bad_imei(IMEI)
    assert not is_bad_imei(IMEI[:-1])  # fourteen digits: a serial, not an IMEI
    assert not is_bad_imei("R58N12ABCDE")
    assert not is_bad_imei("35209900176148\u00b2")  # a superscript two is not a digit here


def test_a_serial_is_kept_in_one_form() -> None:
    assert normalise_serial(" r58n 12ab\u00a0cde ") == "R58N12ABCDE"
    assert normalise_serial("e\u0301") == "\u00c9"  # NFD typed, NFC kept
