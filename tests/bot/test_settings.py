"""Settings: defaults of the contract, PHOCAP_* overrides, phocap.toml, clear refusals."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.settings import Secret, SettingsError, load_settings


def test_defaults_are_those_of_the_contract(tmp_path: Path) -> None:
    s = load_settings({}, tmp_path / "none.toml")
    assert s.database_url == "sqlite+aiosqlite:///phocap.db"
    assert (s.host, s.port, s.timezone, s.report_day, s.locale) == (
        "127.0.0.1", 8080, "Asia/Ho_Chi_Minh", 15, "vi")
    assert s.public_url is None


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    toml = tmp_path / "phocap.toml"
    toml.write_text('port = 9000\nlocale = "en"\n', encoding="utf-8")
    s = load_settings({"PHOCAP_PORT": "9100"}, toml)
    assert (s.port, s.locale) == (9100, "en")


def test_secrets_do_not_show_in_reprs() -> None:
    s = load_settings({"PHOCAP_TELEGRAM_TOKEN": "123:abc"}, Path("/nonexistent"))
    assert "123:abc" not in repr(s)
    assert isinstance(s.telegram_token, Secret) and s.telegram_token.reveal() == "123:abc"


@pytest.mark.parametrize(
    ("env", "name", "key"),
    [
        ({"PHOCAP_PORT": "eighty"}, "PHOCAP_PORT", "settings-not-a-number"),
        ({"PHOCAP_PORT": "70000"}, "PHOCAP_PORT", "settings-out-of-range"),
        ({"PHOCAP_REPORT_DAY": "31"}, "PHOCAP_REPORT_DAY", "settings-out-of-range"),
        ({"PHOCAP_TIMEZONE": "Mars/Base"}, "PHOCAP_TIMEZONE", "settings-timezone"),
        ({"PHOCAP_LOCALE": "fr"}, "PHOCAP_LOCALE", "settings-locale"),
        ({"PHOCAP_PUBLIC_URL": "ftp://x"}, "PHOCAP_PUBLIC_URL", "settings-not-a-url"),
        ({"PHOCAP_DATABASE_URL": "mysql://x"}, "PHOCAP_DATABASE_URL", "settings-database-url"),
        ({"PHOCAP_COOKIE_SECURE": "yes"}, "PHOCAP_COOKIE_SECURE", "settings-cookie-secure"),
        ({"PHOCAP_TRUSTED_PROXIES": "10.0.0.1, proxy"}, "PHOCAP_TRUSTED_PROXIES",
         "settings-trusted-proxies"),
        ({"PHOCAP_ADMIN_PASSWORD": "a"}, "PHOCAP_ADMIN_PASSWORD", "password-too-short"),
        ({"PHOCAP_ADMIN_PASSWORD": "123456789"}, "PHOCAP_ADMIN_PASSWORD", "password-too-short"),
        ({"PHOCAP_SESSION_IDLE_MINUTES": "0"}, "PHOCAP_SESSION_IDLE_MINUTES",
         "settings-out-of-range"),
        ({"PHOCAP_TOKEN_DAYS": "0"}, "PHOCAP_TOKEN_DAYS", "settings-out-of-range"),
    ],
)
def test_bad_values_are_refused_naming_the_setting(env: dict[str, str], name: str, key: str
                                                   ) -> None:
    with pytest.raises(SettingsError) as err:
        load_settings(env, Path("/nonexistent"))
    assert (err.value.name, err.value.key) == (name, key)


def test_the_outbox_lease_is_a_setting_in_seconds_within_bounds(tmp_path: Path) -> None:
    assert load_settings(environ={}, toml_path=tmp_path / "none.toml").outbox_lease == 120
    short = load_settings(environ={"PHOCAP_OUTBOX_LEASE": "2"}, toml_path=tmp_path / "n.toml")
    assert short.outbox_lease == 2
    with pytest.raises(SettingsError) as err:
        load_settings(environ={"PHOCAP_OUTBOX_LEASE": "1"}, toml_path=tmp_path / "n.toml")
    assert err.value.key == "settings-out-of-range"


def test_the_doors_settings_and_their_defaults(tmp_path: Path) -> None:
    s = load_settings({}, tmp_path / "none.toml")
    assert (s.session_idle_minutes, s.session_lifetime_hours, s.token_days) == (480, 12, 90)
    assert (s.cookie_secure, s.proxies) == ("auto", ())
    set_ = load_settings({"PHOCAP_TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16",
                          "PHOCAP_ADMIN_PASSWORD": "0123456789"}, tmp_path / "none.toml")
    assert [str(p) for p in set_.proxies] == ["10.0.0.5/32", "10.1.0.0/16"]


def test_the_import_outside_ids_limit_is_a_setting_within_bounds(tmp_path: Path) -> None:
    """Issue 15, item 1: how many other communes' IDs one import may meet."""
    assert load_settings(environ={}, toml_path=tmp_path / "none.toml").import_outside_ids == 20
    none = load_settings(environ={"PHOCAP_IMPORT_OUTSIDE_IDS": "0"}, toml_path=tmp_path / "n.toml")
    assert none.import_outside_ids == 0
    with pytest.raises(SettingsError) as err:
        load_settings(environ={"PHOCAP_IMPORT_OUTSIDE_IDS": "10001"},
                      toml_path=tmp_path / "n.toml")
    assert err.value.key == "settings-out-of-range"


def test_the_plan_the_documents_cite_is_a_setting_left_blank_by_default(tmp_path: Path) -> None:
    blank = load_settings(environ={}, toml_path=tmp_path / "none.toml")
    assert (blank.plan_number, blank.plan_day) == ("", None)
    s = load_settings(environ={"PHOCAP_PLAN_NUMBER": "369", "PHOCAP_PLAN_DATE": "14/6/2023"},
                      toml_path=tmp_path / "none.toml")
    assert (s.plan_number, s.plan_day) == ("369", date(2023, 6, 14))
    with pytest.raises(SettingsError) as err:
        load_settings(environ={"PHOCAP_PLAN_DATE": "31/02/2023"}, toml_path=tmp_path / "n.toml")
    assert (err.value.name, err.value.key) == ("PHOCAP_PLAN_DATE", "settings-plan-date")
