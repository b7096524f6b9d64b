"""Radiation dose units, normalised with pint through one explicit registry.

Air kerma is normalised to mGy, dose-area (kerma-area) product to Gy·cm² (domain.md §5.2).
Unit spellings are folded first (``µGy·m²``, ``uGy*m2``, ``Gy-cm2``, ``Gy cm2`` ...), then
pint does the arithmetic. The registry is private to this module and built on first use,
never pint's process-wide application registry; conversion factors are cached per
spelling, so a check pays for pint once per unit, not once per value.

A slash in a DAP unit (``cGy/cm²``) is a known journal/device misprint for a product
(domain.md §5.2): it is read as a product and reported through ``slash_as_product``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any

from fluorocode.errors import QuantityError

#: The spellings the contract lists (ASCII forms such as ``Gy*cm2`` and ``uGy*m2`` are
#: accepted too; :func:`fold_unit` reads them all).
AIR_KERMA_UNITS = ("mGy", "Gy", "cGy")
DAP_UNITS = ("Gy·cm²", "mGy·cm²", "cGy·cm²", "dGy·cm²", "µGy·m²", "Gy·m²")


class DoseKind(Enum):
    """What a dose value measures, with its canonical unit."""

    AIR_KERMA = "mGy"
    DOSE_AREA_PRODUCT = "Gy*cm^2"


_SUPERSCRIPTS = str.maketrans({"²": "2", "³": "3"})
_PREFIX_MICRO = re.compile(r"(?:µ|μ|\bu|\bmc)(?=Gy)")
_SEPARATORS = re.compile(r"\s*(?:·|\*|×|-|\.|\s|⋅|•)\s*")
_SLASH = re.compile(r"\s*/\s*")
_POWER = re.compile(r"\b(cm|m)\^?2\b")
_ALLOWED = re.compile(r"^(?:[mcdu]?Gy)(?:\*(?:cm|m)\^2)?$")


@dataclass(frozen=True, slots=True)
class UnitReading:
    """A folded unit spelling and how it was read."""

    canonical: str  # e.g. "uGy*m^2"
    slash_as_product: bool


def fold_unit(text: str) -> UnitReading:
    """Fold a dose unit spelling into a canonical pint expression.

    Raises:
        QuantityError: the text is not a gray-based dose unit.
    """
    s = text.strip().translate(_SUPERSCRIPTS)
    s = re.sub(r"(?i)\bgy\b|(?<=[mcdµμu])gy", "Gy", s)
    s = re.sub(r"(?i)gray", "Gy", s)
    s = _PREFIX_MICRO.sub("u", s)
    slash = bool(_SLASH.search(s))
    s = _SLASH.sub("*", s)
    s = _SEPARATORS.sub("*", s)
    s = _POWER.sub(lambda m: f"{m.group(1)}^2", s)
    s = re.sub(r"(?<=Gy)(?=(?:cm|m)\^2)", "*", s)
    if not _ALLOWED.match(s):
        raise QuantityError(f"unknown dose unit {text!r}")
    return UnitReading(canonical=s, slash_as_product=slash and "^2" in s)


@cache
def _registry() -> Any:
    import pint  # deferred: building a registry costs ~100 ms, paid on first use only

    return pint.UnitRegistry(autoconvert_offset_to_baseunit=False, cache_folder=None)


@cache
def unit_factor(unit: str, kind: DoseKind) -> float:
    """The factor that turns a value in ``unit`` into the canonical unit of ``kind``.

    Raises:
        QuantityError: unknown unit, or a unit of the other dose kind.
    """
    reading = fold_unit(unit)
    is_area = "^2" in reading.canonical
    if is_area != (kind is DoseKind.DOSE_AREA_PRODUCT):
        wanted = (
            "an air kerma (Gy)"
            if kind is DoseKind.AIR_KERMA
            else "a dose-area product (Gy·area)"
        )
        raise QuantityError(f"{unit!r} is not {wanted} unit")
    ureg = _registry()
    try:
        q = ureg.Quantity(1.0, reading.canonical).to(kind.value)
    except Exception as exc:  # pint raises several unrelated types; wrap them all
        raise QuantityError(f"cannot convert {unit!r}: {exc}") from exc
    return float(q.magnitude)


def to_mgy(value: float, unit: str) -> float:
    """Air kerma in mGy."""
    return value * unit_factor(unit, DoseKind.AIR_KERMA)


def to_gy_cm2(value: float, unit: str) -> float:
    """Dose-area product in Gy·cm²."""
    return value * unit_factor(unit, DoseKind.DOSE_AREA_PRODUCT)
