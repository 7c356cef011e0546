"""Citizen ID numbers: the 12-digit CCCD, its encoded facts, and the old 9-digit CMND."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

from core.errors import RuleError
from core.model import Gender

CITIZEN_ID_LENGTH = 12
LEGACY_ID_LENGTH = 9

# Digits 1-3: where the BIRTH was registered (Thong tu 07/2016/TT-BCA, 59/2021/TT-BCA),
# the 63 provinces before the 2025 merger; ids issued since keep these codes.
PROVINCE_CODES: Mapping[str, str] = MappingProxyType(
    {
        "001": "Ha Noi",
        "002": "Ha Giang",
        "004": "Cao Bang",
        "006": "Bac Kan",
        "008": "Tuyen Quang",
        "010": "Lao Cai",
        "011": "Dien Bien",
        "012": "Lai Chau",
        "014": "Son La",
        "015": "Yen Bai",
        "017": "Hoa Binh",
        "019": "Thai Nguyen",
        "020": "Lang Son",
        "022": "Quang Ninh",
        "024": "Bac Giang",
        "025": "Phu Tho",
        "026": "Vinh Phuc",
        "027": "Bac Ninh",
        "030": "Hai Duong",
        "031": "Hai Phong",
        "033": "Hung Yen",
        "034": "Thai Binh",
        "035": "Ha Nam",
        "036": "Nam Dinh",
        "037": "Ninh Binh",
        "038": "Thanh Hoa",
        "040": "Nghe An",
        "042": "Ha Tinh",
        "044": "Quang Binh",
        "045": "Quang Tri",
        "046": "Thua Thien Hue",
        "048": "Da Nang",
        "049": "Quang Nam",
        "051": "Quang Ngai",
        "052": "Binh Dinh",
        "054": "Phu Yen",
        "056": "Khanh Hoa",
        "058": "Ninh Thuan",
        "060": "Binh Thuan",
        "062": "Kon Tum",
        "064": "Gia Lai",
        "066": "Dak Lak",
        "067": "Dak Nong",
        "068": "Lam Dong",
        "070": "Binh Phuoc",
        "072": "Tay Ninh",
        "074": "Binh Duong",
        "075": "Dong Nai",
        "077": "Ba Ria - Vung Tau",
        "079": "Ho Chi Minh",
        "080": "Long An",
        "082": "Tien Giang",
        "083": "Ben Tre",
        "084": "Tra Vinh",
        "086": "Vinh Long",
        "087": "Dong Thap",
        "089": "An Giang",
        "091": "Kien Giang",
        "092": "Can Tho",
        "093": "Hau Giang",
        "094": "Soc Trang",
        "095": "Bac Lieu",
        "096": "Ca Mau",
    }
)

_SEPARATORS = str.maketrans("", "", ".-")


@dataclass(frozen=True, slots=True)
class CitizenIdFacts:
    """What a CCCD number says about its holder (digits 1-6; digits 7-12 are a serial)."""

    province_code: str
    gender: Gender
    century: int  # 1900, 2000, 2100, 2200 or 2300
    birth_year_suffix: int  # last two digits of the birth year

    @property
    def birth_year(self) -> int:
        return self.century + self.birth_year_suffix


def _digits_only(raw: str, not_digits_key: str) -> str:
    """Drop the spaces, dots and dashes people type between groups; refuse anything else."""
    text = "".join(raw.split()).translate(_SEPARATORS)
    # isascii: str.isdigit() also accepts superscripts and other scripts' digits
    if text and not (text.isascii() and text.isdigit()):
        raise RuleError(not_digits_key)
    return text


def normalise_citizen_id(raw: str) -> str:
    """The 12 digits of a CCCD number, or a RuleError saying what is wrong with it."""
    number = _digits_only(raw, "rules-cccd-not-digits")
    if len(number) != CITIZEN_ID_LENGTH:
        raise RuleError("rules-cccd-length", digits=len(number))
    if number[:3] not in PROVINCE_CODES:
        raise RuleError("rules-cccd-province", code=number[:3])
    return number


def normalise_legacy_id(raw: str) -> str:
    """The 9 digits of an old CMND number; kept as a legacy ID, no birth facts to check."""
    number = _digits_only(raw, "rules-cmnd-not-digits")
    if len(number) != LEGACY_ID_LENGTH:
        raise RuleError("rules-cmnd-length", digits=len(number))
    return number


def decode_citizen_id(number: str) -> CitizenIdFacts:
    """Province, gender and birth year encoded in digits 1-6 of a CCCD number."""
    digits = normalise_citizen_id(number)
    code = int(digits[3])  # even: male, odd: female; each pair is one century from 1900
    return CitizenIdFacts(
        province_code=digits[:3],
        gender=Gender.FEMALE if code % 2 else Gender.MALE,
        century=1900 + 100 * (code // 2),
        birth_year_suffix=int(digits[4:6]),
    )


def gender_from_citizen_id(number: str) -> Gender:
    return decode_citizen_id(number).gender


def check_citizen_id(number: str, date_of_birth: date, gender: Gender | None = None) -> None:
    """Refuse a CCCD number whose century, birth year or gender disagrees with the person."""
    facts = decode_citizen_id(number)
    birth_year = date_of_birth.year
    if facts.century != birth_year // 100 * 100:
        raise RuleError(
            "rules-cccd-century",
            id_century=facts.century,
            id_century_last=facts.century + 99,
            birth_year=birth_year,
        )
    if facts.birth_year_suffix != birth_year % 100:
        raise RuleError(
            "rules-cccd-year", id_year=f"{facts.birth_year_suffix:02d}", birth_year=birth_year
        )
    if gender is not None and facts.gender != gender:
        raise RuleError(
            "rules-cccd-gender",
            id_gender=facts.gender.value,
            gender=Gender(gender).value,
            id_gender_label=f"key:rules-gender-{facts.gender.value}",
            gender_label=f"key:rules-gender-{Gender(gender).value}",
        )
