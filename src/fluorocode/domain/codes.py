"""HCPCS/CPT codes, modifiers, places of service and the closed sets CMS defines.

Sources: CMS place-of-service code set and IOM 100-04 ch. 26 (facility vs non-facility,
domain.md §4); NCCI Policy Manual ch. I, "Modifiers and Modifier Indicators" (PTP-associated
modifiers, domain.md §2).
"""

from __future__ import annotations

import re
from enum import Enum, IntEnum, StrEnum

# matched with ``fullmatch``: ``$`` alone would let a trailing newline through
CODE_RE = re.compile(r"[0-9A-Z]{5}")
MODIFIER_RE = re.compile(r"[0-9A-Z]{2}")

#: Codes are five characters of [0-9A-Z]; read as base-36 they fit in 26 bits, so a
#: (column 1, column 2) pair fits in one 64-bit integer: the compiled store's sort key.
CODE_SPACE = 36**5


def is_code(text: str) -> bool:
    """True when ``text`` has the shape of a HCPCS/CPT code (5 of [0-9A-Z])."""
    return CODE_RE.fullmatch(text) is not None


def is_modifier_shape(text: str) -> bool:
    """True when ``text`` has the shape of a modifier (2 of [0-9A-Z])."""
    return MODIFIER_RE.fullmatch(text) is not None


def code_key(code: str) -> int:
    """The integer key of a code: its base-36 value (``int('76000', 36)``)."""
    return int(code, 36)


def pair_key(column1: str, column2: str) -> int:
    """The integer key of an ordered code pair, ``key(c1) * 36**5 + key(c2)``."""
    return int(column1, 36) * CODE_SPACE + int(column2, 36)


def key_code(key: int) -> str:
    """Inverse of :func:`code_key`: the five-character code of a key."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = []
    for _ in range(5):
        key, rem = divmod(key, 36)
        out.append(digits[rem])
    return "".join(reversed(out))


def numeric_code(code: str) -> int | None:
    """The integer value of an all-digit CPT code, else None (HCPCS II, Cat III, PLA)."""
    return int(code) if code.isdigit() else None


class Program(StrEnum):
    """Which NCCI edit family applies."""

    MEDICARE = "medicare"
    MEDICAID = "medicaid"


class ClaimType(StrEnum):
    """Professional claims use the practitioner tables; institutional, the hospital ones."""

    PROFESSIONAL = "professional"
    INSTITUTIONAL = "institutional"


class ModifierIndicator(IntEnum):
    """PTP modifier indicator (NCCI Policy Manual ch. I)."""

    NOT_ALLOWED = 0
    ALLOWED = 1
    NOT_APPLICABLE = 9  # deleted back to its effective date: never in force


class MueAdjudication(IntEnum):
    """MUE adjudication indicator (MAI)."""

    LINE = 1  # claim-line edit
    DATE_OF_SERVICE_POLICY = 2  # absolute: no modifier or appeal raises it
    DATE_OF_SERVICE_CLINICAL = 3  # may be paid on appeal with documentation


class Setting(Enum):
    """Site of service for PFS purposes."""

    FACILITY = "facility"
    NON_FACILITY = "non-facility"


#: Facility places of service (domain.md §4, from the CMS POS set / IOM 100-04 ch. 26).
FACILITY_POS = frozenset(
    "02 06 08 19 21 22 23 24 26 31 34 41 42 51 52 53 56 61".split()
)
#: Non-facility places of service (domain.md §4).
NON_FACILITY_POS = frozenset(
    (
        "01 03 04 05 07 09 10 11 12 13 14 15 16 17 18 20 25 27 32 33 49 50 54 55 57 58"
        " 60 62 65 66 71 72 81 99"
    ).split()
)
#: Hospital patients: the hospital is paid the technical component, so the practitioner
#: bills the professional component only (IOM 100-04 ch. 13, domain.md §0.7).
HOSPITAL_POS = frozenset({"19", "21", "22", "23"})


def setting_of(place_of_service: str) -> Setting | None:
    """Facility or non-facility for a two-digit POS code; None when unknown."""
    if place_of_service in FACILITY_POS:
        return Setting.FACILITY
    if place_of_service in NON_FACILITY_POS:
        return Setting.NON_FACILITY
    return None


#: Modifiers that may bypass an indicator-1 PTP edit, by kind (NCCI Policy Manual ch. I).
ANATOMIC_MODIFIERS = frozenset(
    ["E1", "E2", "E3", "E4", "FA", "TA", "LT", "RT", "LC", "LD", "LM", "RC", "RI"]
    + [f"F{i}" for i in range(1, 10)]
    + [f"T{i}" for i in range(1, 10)]
)
GLOBAL_SURGERY_MODIFIERS = frozenset({"24", "25", "57", "58", "78", "79"})
OTHER_PTP_MODIFIERS = frozenset({"27", "59", "91", "XE", "XS", "XP", "XU"})
PTP_ASSOCIATED_MODIFIERS = (
    ANATOMIC_MODIFIERS | GLOBAL_SURGERY_MODIFIERS | OTHER_PTP_MODIFIERS
)
#: Never a bypass: payment/bilateral/repeat modifiers (domain.md §2).
NEVER_BYPASS_MODIFIERS = frozenset({"26", "TC", "50", "51", "76", "77"})
X_MODIFIERS = frozenset({"XE", "XS", "XP", "XU"})
#: Pricing modifiers: reported in the first modifier position.
PRICING_MODIFIERS = frozenset({"26", "TC"})

#: The distinct-indication bases of the contract and the X{EPSU} modifier each maps to.
BASIS_MODIFIER = {
    "separate-encounter": "XE",
    "separate-site": "XS",
    "separate-practitioner": "XP",
    "unusual-non-overlapping": "XU",
}
