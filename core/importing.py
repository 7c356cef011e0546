"""Residents' lists from spreadsheets: which column is which, and one row into checked values.

Pure: the reader (documents/spreadsheets.py) hands over the cells of each row by field name, this
module turns them into an ImportRow or says which field is wrong and why (a catalogue key).
Header names and values are compared folded (core.names.fold: no diacritics, lower case), so
"Ho va ten", the same in capitals with its diacritics, and "full_name" all name the same column.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TypeVar

from core.ages import is_adult
from core.citizen_ids import (
    CITIZEN_ID_LENGTH,
    LEGACY_ID_LENGTH,
    check_citizen_id,
    normalise_citizen_id,
    normalise_legacy_id,
)
from core.codes import household_code
from core.dates import OLDEST_YEAR, format_date, parse_date
from core.errors import RuleError
from core.model import Gender, Policy, Poverty, Unit
from core.names import fold, name_key, normalise_name
from core.phones import normalise_phone

# Folded header texts (ASCII once folded) and the field each names.
HEADERS: Mapping[str, str] = {
    **dict.fromkeys(("ma ho", "ma ho gia dinh", "ma so ho", "household code"), "household_code"),
    **dict.fromkeys(("chu ho", "ho ten chu ho", "ten chu ho", "household head"), "household_head"),
    **dict.fromkeys(("thon", "thon/ban", "thon, ban", "ban", "thon ban", "village", "ten thon",
                     "thon/ban/to dan pho", "thon, ban, to dan pho", "thon/to"), "village"),
    **dict.fromkeys(("phan loai ho", "loai ho", "phan loai", "poverty", "ho ngheo/can ngheo",
                     "phan loai ho ngheo", "loai ho ngheo"), "poverty"),
    **dict.fromkeys(("dien chinh sach", "chinh sach", "doi tuong chinh sach", "policy"), "policy"),
    **dict.fromkeys(("ho va ten", "ho ten", "full name", "name", "ho va ten thanh vien"),
                    "full_name"),
    **dict.fromkeys(
        ("ngay sinh", "ngay thang nam sinh", "ngay, thang, nam sinh", "date of birth", "dob"),
        "date_of_birth",
    ),
    # Since 1 July 2024 (Luat Can cuoc 2023) the number is the "so dinh danh ca nhan" on a
    # "the can cuoc"; the CCCD cards stay valid and old lists still say CMND or CCCD.
    **dict.fromkeys(
        ("so cccd", "cccd", "so cccd/cmnd", "cccd/cmnd", "so dinh danh", "citizen id",
         "so dinh danh ca nhan", "so dinh danh ca nhan/cccd", "ma dinh danh",
         "so dinh danh ca nhan (so the can cuoc/cccd)", "so the can cuoc", "so can cuoc",
         "personal identification number", "so cmnd/cccd", "cmnd/cccd", "cmnd", "so cmnd",
         "can cuoc", "can cuoc cong dan", "so can cuoc cong dan", "the can cuoc",
         "ma so dinh danh ca nhan", "dinh danh ca nhan", "id number"),
        "citizen_id",
    ),
    **dict.fromkeys(
        ("co dttm", "co dien thoai thong minh", "dttm", "has smartphone", "smartphone"),
        "has_smartphone",
    ),
    **dict.fromkeys(("so dien thoai", "dien thoai", "sdt", "so dt", "phone"), "phone"),
    **dict.fromkeys(("stt", "so thu tu", "tt", "no", "#"), "stt"),
    **dict.fromkeys(("gioi tinh", "gender", "sex"), "gender"),
    # the poverty review's list (Quyet dinh 24/2021/QD-TTg), one row per person
    **dict.fromkeys(("la chu ho", "chu ho (x)", "danh dau chu ho", "household head marker"),
                    "head_marker"),
    **dict.fromkeys(("quan he voi chu ho", "quan he", "quan he voi chu ho gia dinh",
                     "relation to head", "relation"), "relation"),
    **dict.fromkeys(("dan toc", "ethnicity"), "ethnicity"),
    **dict.fromkeys(("ma xa", "ma xa/phuong", "ma xa, phuong", "commune code"), "commune_code"),
    **dict.fromkeys(("so quyet dinh", "so qd", "so quyet dinh cong nhan", "decision number"),
                    "decision_number"),
    **dict.fromkeys(("ngay quyet dinh", "ngay qd", "ngay ky quyet dinh",
                     "ngay quyet dinh cong nhan", "decision date"), "decision_date"),
}
# A household's columns: a member's row may leave them blank in the review's list, where the
# household's head row carries them.
HOUSEHOLD_FIELDS = ("household_code", "village", "poverty", "policy", "decision_number",
                    "decision_date", "commune_code")
_HEAD_RELATIONS = frozenset({"chu ho", "ban than", "la chu ho", "head"})
COMMUNE_CODE_LENGTH = 5
# A header row must name these; the village is required later, with its own message.
HEADER_MINIMUM = frozenset({"full_name", "date_of_birth"})
HEADER_MIN_MATCHES = 3
REQUIRED_COLUMNS = ("full_name", "date_of_birth", "village")

_POVERTY: Mapping[str, Poverty] = {
    **dict.fromkeys(("ho ngheo", "ngheo", "hn", "poor"), Poverty.POOR),
    **dict.fromkeys(
        ("ho can ngheo", "can ngheo", "hcn", "near poor", "near-poor", "nearpoor"),
        Poverty.NEAR_POOR,
    ),
    **dict.fromkeys(("", "khong", "none", "no", "-", "ho khong ngheo"), Poverty.NONE),
}
_POLICY: Mapping[str, Policy] = {
    **dict.fromkeys(
        ("nguoi co cong", "co cong", "gia dinh nguoi co cong", "nguoi co cong voi cach mang",
         "gia dinh nguoi co cong voi cach mang", "nguoi co cong voi cm", "merit"),
        Policy.MERIT,
    ),
    **dict.fromkeys(
        ("chinh sach xa hoi", "gia dinh chinh sach xa hoi", "gia dinh chinh sach",
         "chinh sach", "cs xa hoi", "csxh", "social"),
        Policy.SOCIAL,
    ),
    **dict.fromkeys(("", "khong", "none", "no", "-"), Policy.NONE),
}
_YES = frozenset({"co", "x", "yes", "y", "true", "1", "c", "v"})
_NO = frozenset({"", "khong", "no", "n", "false", "0", "k", "-"})
_GENDERS: Mapping[str, Gender | None] = {
    **dict.fromkeys(("nam", "male", "m"), Gender.MALE),
    **dict.fromkeys(("nu", "female", "f"), Gender.FEMALE),
    "": None,
}
_NO_ID = frozenset({"", "khong", "khong co", "chua co", "none", "-"})
# Words that open the lines below the list (totals, place and date, signatures).
_FOOTER = re.compile(
    r"^(tong cong|tong so|tong:|cong:|tm\.|tm |chu tich|nguoi lap|xac nhan|ky ten|"
    r"truong thon|can bo|ngay \d+ thang)|, ngay .* thang .* nam",
    re.ASCII,
)
_COLUMN_NUMBER = re.compile(r"\(?\d{1,2}\)?")
# Words put before a village's name, left off in the file or in our data.
_VILLAGE_PREFIXES = ("thon ", "ban ", "xom ", "lang ", "to ")

_UNDERSCORES = str.maketrans("_", " ")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One checked row: values normalised, ready for the registry."""

    line: int
    full_name: str
    date_of_birth: date
    village: str
    household_code: str | None
    household_head: str | None
    poverty: Poverty
    policy: Policy
    has_smartphone: bool
    citizen_id: str | None = None
    legacy_id: str | None = None
    gender: Gender | None = None
    phone: str | None = None
    ethnicity: str | None = None
    commune_code: str | None = None  # the commune the list says the person lives in
    # The poverty review's layout: the line of the household's head (its own for a head),
    # None for a list without head markers.
    household_group: int | None = None
    recognised: bool = False  # the class was recognised by the commune's decision
    review_year: int | None = None  # the year of that decision, when its date is listed


@dataclass(frozen=True, slots=True)
class RowError:
    """Why a row was refused: its line in the file, the field, and a catalogue key."""

    line: int
    field: str | None
    key: str
    # dataclasses.field by its full name: 'field' is also an attribute of this class
    params: Mapping[str, object] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ResidentExport:
    """One resident as the export lists it: units and household by name and code."""

    id: int
    commune: str
    commune_code: str
    village: str
    village_code: str
    household: str
    household_head: str
    full_name: str
    date_of_birth: date
    gender: str | None
    citizen_id: str | None
    legacy_id: str | None
    poverty: str
    policy: str
    has_smartphone: bool
    phone: str | None
    status: str
    approved_at: datetime | None
    # what the priority reads about the household, so that an outside reader can redo the
    # order (DESIGN 'The plan's rules'): the register's answer for the household, and the
    # devices its members are known to hold, by route (active supports, this person's too)
    household_has_smartphone: bool = False
    household_whole_phones: int = 0  # this programme's whole phones
    household_other_programme: int = 0  # devices on another programme's list
    household_direct_gifts: int = 0  # phones given directly by an agency or a person
    household_shop_offers: int = 0  # phones from a shop's or company's offer
    support: str | None = None  # this person's own active support, by kind
    ethnicity: str | None = None  # as the poverty review lists it


class _FieldError(Exception):
    def __init__(self, field_name: str, key: str, params: Mapping[str, object]) -> None:
        super().__init__(key)
        self.field = field_name
        self.key = key
        self.params = params


# -- headers ---------------------------------------------------------------------------------


def header_field(text: object) -> str | None:
    """The field a header cell names, or None for a column we do not read."""
    if not isinstance(text, str):
        return None
    folded = fold(text.translate(_UNDERSCORES)).strip(" :.*")
    # "So dinh danh ca nhan (so the can cuoc/CCCD)", "Ngay sinh (nn/tt/nnnn)": a bracketed
    # note after a known name names the same column
    return HEADERS.get(folded) or HEADERS.get(folded.split("(")[0].strip(" :.*"))


def header_fields(cells: Sequence[object]) -> dict[int, str] | None:
    """Column index -> field if these cells are a header row, else None."""
    found: dict[int, str] = {}
    for i, cell in enumerate(cells):
        name = header_field(cell)
        if name is not None and name not in found.values():
            found[i] = name
    names = set(found.values())
    if HEADER_MINIMUM <= names and len(names) >= HEADER_MIN_MATCHES:
        return found
    return None


def missing_columns(fields: Iterable[str]) -> list[str]:
    present = set(fields)
    return [name for name in REQUIRED_COLUMNS if name not in present]


# -- cells -----------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """A cell as text: NFC, single spaces; a whole float without its '.0'."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        return format_date(value)
    return _text(str(value))


@functools.lru_cache(maxsize=16384)
def _text(value: str) -> str:
    """Cached: a list's villages, classes and yes/no cells repeat on every row."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def is_blank(value: object) -> bool:
    return cell_text(value) == ""


def is_data_row(values: Mapping[str, object]) -> bool:
    """False for the lines that are not people: empty, totals, place and date, signatures,
    and the row of column numbers ("(1)", "(2)" ...) that official forms put under a header."""
    if all(is_blank(v) for k, v in values.items() if k != "stt"):
        return False
    if _COLUMN_NUMBER.fullmatch(cell_text(values.get("full_name"))):
        return False  # a name is never a number
    no_name, no_date = is_blank(values.get("full_name")), is_blank(values.get("date_of_birth"))
    if no_name and no_date:
        return False
    if _is_footer(values.get("full_name")) or _is_footer(values.get("date_of_birth")):
        return False  # signature blocks sit under the name and date columns
    if not (no_name or no_date):
        return True
    return not any(_is_footer(v) for v in values.values())


def _is_footer(value: object) -> bool:
    return _is_footer_text(cell_text(value))


@functools.lru_cache(maxsize=4096)
def _is_footer_text(text: str) -> bool:
    """Cached: a list's villages, classes and yes/no cells repeat on every row."""
    return _FOOTER.search(fold(text)) is not None


def parse_poverty(value: object) -> Poverty:
    return _lookup(_POVERTY, value, "import-bad-poverty")


def parse_policy(value: object) -> Policy:
    return _lookup(_POLICY, value, "import-bad-policy")


def parse_yes_no(value: object) -> bool:
    if isinstance(value, bool):
        return value
    folded = fold(cell_text(value)).rstrip(".")
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise RuleError("import-bad-yes-no", value=cell_text(value))


def parse_gender(value: object) -> Gender | None:
    return _lookup(_GENDERS, value, "import-bad-gender")


def _lookup(table: Mapping[str, T], value: object, key: str) -> T:
    folded = fold(cell_text(value)).replace("_", " ").rstrip(".")
    if folded in table:
        return table[folded]
    raise RuleError(key, value=cell_text(value))


def parse_birth_date(value: object, today: date) -> date:
    """A date cell (real Excel date) or a date typed as text or as a number (ddmmyyyy)."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        if value.year < OLDEST_YEAR:
            raise RuleError("rules-date-too-old", year=value.year)
        if value > today:
            raise RuleError("rules-date-future")
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # 1021958 typed into a number cell was 01021958 (ddmmyyyy) before Excel dropped the 0
        return parse_date(str(int(value)).zfill(8), today)
    return parse_date(cell_text(value), today)


def citizen_id_text(value: object) -> str:
    """The ID as typed; a number cell lost its leading zeros, so they are put back."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        digits = str(int(value))
        return digits.zfill(LEGACY_ID_LENGTH if len(digits) <= LEGACY_ID_LENGTH else 12)
    return cell_text(value)


def split_id(value: object) -> tuple[str | None, str | None]:
    """(citizen ID, legacy 9-digit CMND) from the ID cell; both None when there is none."""
    text = citizen_id_text(value)
    if fold(text) in _NO_ID:
        return None, None
    compact = "".join(text.split()).replace(".", "").replace("-", "")
    if len(compact) == LEGACY_ID_LENGTH:
        return None, normalise_legacy_id(text)
    if (compact.isdigit() and LEGACY_ID_LENGTH < len(compact) < CITIZEN_ID_LENGTH
            and not compact.startswith("0")):
        # saved as a number somewhere before it became text (a CSV from Excel): every
        # province code starts with 0, so the zeros it lost are put back (DESIGN "Identity
        # numbers"); a text that kept its 0 and is short lost a digit elsewhere: a typo
        return normalise_citizen_id(compact.zfill(CITIZEN_ID_LENGTH)), None
    return normalise_citizen_id(text), None


def _optional_name(value: object) -> str | None:
    return normalise_name(cell_text(value)) if not is_blank(value) else None


def _phone(value: object) -> str | None:
    return normalise_phone(cell_text(value)) if not is_blank(value) else None


def _household_code(value: object) -> str | None:
    return household_code(cell_text(value)) if not is_blank(value) else None


def _ethnicity(value: object) -> str | None:
    return cell_text(value)[:50] or None


def _commune_code(value: object) -> str | None:
    """A commune's 5-digit code, its leading zeros put back when a number lost them."""
    text = cell_text(value)
    return text.zfill(COMMUNE_CODE_LENGTH) if text.isdigit() else text or None


def _decision_date(value: object, today: date) -> date | None:
    return None if is_blank(value) else parse_birth_date(value, today)


# -- rows ------------------------------------------------------------------------------------


def parse_row(line: int, values: Mapping[str, object], today: date) -> ImportRow | RowError:
    """One data row as an ImportRow, or the first thing wrong with it."""
    try:
        return _parse(line, values, today)
    except _FieldError as err:
        return RowError(line, err.field, err.key, err.params)


def _check(field_name: str, parse: Callable[[object], T], value: object) -> T:
    """parse(value), with a RuleError turned into an error on this field."""
    try:
        return parse(value)
    except RuleError as err:
        raise _FieldError(field_name, err.key, err.params) from None


def _required(values: Mapping[str, object], field_name: str) -> object:
    value = values.get(field_name)
    if is_blank(value):
        raise _FieldError(field_name, "import-required", {})
    return value


def _parse(line: int, values: Mapping[str, object], today: date) -> ImportRow:
    full_name = _check("full_name", lambda v: normalise_name(cell_text(v)),
                       _required(values, "full_name"))
    born = _check("date_of_birth", lambda v: parse_birth_date(v, today),
                  _required(values, "date_of_birth"))
    if not is_adult(born, today):
        raise _FieldError("date_of_birth", "registry-minor", {"born": format_date(born)})
    gender = _check("gender", parse_gender, values.get("gender"))
    citizen_id, legacy_id = _check("citizen_id", split_id, values.get("citizen_id"))
    if citizen_id:
        _check("citizen_id", lambda v: check_citizen_id(citizen_id, born, gender), None)
    decided = _check("decision_date", lambda v: _decision_date(v, today),
                     values.get("decision_date"))
    return ImportRow(
        line=line,
        full_name=full_name,
        date_of_birth=born,
        village=cell_text(_required(values, "village")),
        household_code=_check("household_code", _household_code, values.get("household_code")),
        household_head=_check("household_head", _optional_name, values.get("household_head")),
        poverty=_check("poverty", parse_poverty, values.get("poverty")),
        policy=_check("policy", parse_policy, values.get("policy")),
        has_smartphone=_check("has_smartphone", parse_yes_no, values.get("has_smartphone")),
        citizen_id=citizen_id,
        legacy_id=legacy_id,
        gender=gender,
        phone=_check("phone", _phone, values.get("phone")),
        ethnicity=_ethnicity(values.get("ethnicity")),
        commune_code=_commune_code(values.get("commune_code")),
        recognised=decided is not None or not is_blank(values.get("decision_number")),
        review_year=decided.year if decided else None,
    )


def parse_rows(
    rows: Iterable[tuple[int, Mapping[str, object]]], today: date
) -> list[ImportRow | RowError]:
    """Every data row parsed (other lines left out), later duplicates inside the file refused;
    in the poverty review's layout, each row with the household it belongs to."""
    parsed: list[ImportRow | RowError] = []
    for line, values, head in by_head(_people(rows)):
        row = parse_row(line, values, today)
        if head == 0:
            row = RowError(line, "relation", "import-no-head-above")
        elif isinstance(row, ImportRow) and head is not None:
            row = replace(row, household_group=head)
        parsed.append(row)
    return refuse_file_duplicates(parsed)


def _people(rows: Iterable[tuple[int, Mapping[str, object]]]
            ) -> list[tuple[int, Mapping[str, object]]]:
    """The rows that are people, up to the list's end: its totals, place and date or first
    signature line (the signers' names below it are nobody to register)."""
    out: list[tuple[int, Mapping[str, object]]] = []
    for line, values in rows:
        if is_data_row(values):
            out.append((line, values))
        elif any(_is_footer(v) for v in values.values()):
            break
    return out


def by_head(rows: Sequence[tuple[int, Mapping[str, object]]]
            ) -> list[tuple[int, Mapping[str, object], int | None]]:
    """The poverty review's layout, one row per person: each household head starts a
    household and the rows after it belong to it, a member's blank household columns being
    its head's. Each row with the line of its head (0: none above it); None throughout for a
    list that marks no heads."""
    out: list[tuple[int, Mapping[str, object], int | None]] = []
    head: tuple[int, Mapping[str, object]] | None = None
    for line, values in rows:
        if "head_marker" not in values and "relation" not in values:
            out.append((line, values, None))
        elif is_head(values):
            head = (line, values)
            out.append((line, values, line))
        elif head is None:
            out.append((line, values, 0))
        else:
            kept = head[1]
            filled = {**values, **{name: kept.get(name) for name in HOUSEHOLD_FIELDS
                                   if is_blank(values.get(name)) and name in kept}}
            out.append((line, filled, head[0]))
    return out


def is_head(values: Mapping[str, object]) -> bool:
    """The row of a household's head: marked (x, co, 1 ...), or related to the head as the
    head itself ("Chu ho", "Ban than")."""
    marker = fold(cell_text(values.get("head_marker"))).rstrip(".")
    relation = fold(cell_text(values.get("relation"))).rstrip(".")
    return (marker in _YES or marker in _HEAD_RELATIONS) or relation in _HEAD_RELATIONS


def refuse_file_duplicates(rows: Sequence[ImportRow | RowError]) -> list[ImportRow | RowError]:
    """A person listed twice (same ID, or same name and birth date): the later row is refused."""
    ids: dict[str, int] = {}
    people: dict[tuple[str, date], int] = {}
    out: list[ImportRow | RowError] = []
    for row in rows:
        if isinstance(row, RowError):
            out.append(row)
            continue
        number = row.citizen_id or row.legacy_id
        person = (name_key(row.full_name), row.date_of_birth)
        if number and number in ids:
            out.append(RowError(row.line, "citizen_id", "import-duplicate-in-file",
                                {"line": ids[number]}))
        elif person in people:
            out.append(RowError(row.line, "full_name", "import-duplicate-in-file",
                                {"line": people[person]}))
        else:
            if number:
                ids[number] = row.line
            people[person] = row.line
            out.append(row)
    return out


# -- villages --------------------------------------------------------------------------------


def _village_keys(name: str) -> set[str]:
    """The folded name, and the name without one leading 'Thon', 'Ban' ... word."""
    folded = fold(name)
    keys = {folded}
    for prefix in _VILLAGE_PREFIXES:
        if folded.startswith(prefix) and len(folded) > len(prefix):
            keys.add(folded[len(prefix):])
    return keys


def match_village(text: str, villages: Sequence[Unit]) -> list[Unit]:
    """The commune's villages that the text names (by code, or by name with or without a
    prefix, diacritics ignored); an exact match wins over a match without a prefix."""
    wanted = text.strip()
    by_code = [v for v in villages if v.code == wanted]
    if by_code:
        return by_code
    exact = [v for v in villages if fold(v.name) == fold(wanted)]
    if exact:
        return exact
    keys = _village_keys(wanted)
    return [v for v in villages if keys & _village_keys(v.name)]


def commune_named(titles: Sequence[str], communes: Iterable[Unit]) -> Unit | None:
    """The commune a list's title rows name ("UBND X\u00c3 C\u00d4N MINH", with or without
    diacritics), or None: the longest name found as whole words wins (a "xa Con Minh" inside
    a "xa Con Minh Ha" is not it)."""
    text = " " + " ".join(re.sub(r"[^\w]+", " ", fold(t)) for t in titles) + " "
    found = [c for c in communes if f" {fold(c.name)} " in text]
    return max(found, key=lambda c: len(c.name), default=None)
