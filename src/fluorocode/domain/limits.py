"""Plausibility limits and review levels of fluoroscopy documentation (domain.md §5.4).

The one definition of "impossible", "implausible" and "at a review level" for the
three measured values a 76000 needs: fluoroscopy time (minutes), reference air kerma
(mGy) and dose-area product (Gy·cm²). The note reader refuses a value that is not
plausible (it never keeps one as documented) and the documentation rule (FL04) flags
one as invalid; both judge through :func:`judge`, so they cannot disagree.

==========================  ==========  ========================  =======================
value                       impossible  implausible (reject)      review level (warn)
==========================  ==========  ========================  =======================
``minutes``                 negative    over 600 min              over 60 min
``air_kerma_mgy``           negative    over 50,000 mGy           at or over 5,000 mGy
``dose_area_product_gycm2`` negative    over 10,000 Gy·cm²        at or over 500 Gy·cm²
==========================  ==========  ========================  =======================

(Not a number is impossible too.)
The reject limits are design choices (domain.md §5.4, "Suggested validation rules");
the review levels are the ACR-AAPM / NCRP 168 "substantial radiation dose level"
triggers (§5.3). A value exactly at a reject limit is plausible. Zero is a possible
value (a stated time of zero means fluoroscopy was not used); whether zero is
acceptable for a billed 76000 is the rule's question, not a limit.

Pure: the standard library only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

__all__ = [
    "AIR_KERMA_MGY",
    "DOSE_AREA_PRODUCT_GYCM2",
    "LIMITS",
    "MINUTES",
    "Judgement",
    "Limit",
    "Verdict",
    "judge",
]


class Verdict(Enum):
    """How a value stands against its limits, from best to worst."""

    PLAUSIBLE = "plausible"
    REVIEW = "review"  # plausible, at a substantial-radiation review level
    IMPLAUSIBLE = "implausible"  # over the reject limit
    IMPOSSIBLE = "impossible"  # negative, or not a number

    @property
    def refused(self) -> bool:
        """The value cannot stand as documented (impossible or implausible)."""
        return self in (Verdict.IMPLAUSIBLE, Verdict.IMPOSSIBLE)


@dataclass(frozen=True, slots=True)
class Limit:
    """The limits of one measured value.

    Attributes:
        field: the value's name in a note reading (``minutes``, ``air_kerma_mgy``,
            ``dose_area_product_gycm2``).
        label: the value in plain words ("fluoroscopy time").
        unit: the normalised unit the limits are in (``min``, ``mGy``, ``Gy·cm²``).
        maximum: the largest plausible value; anything over it is implausible.
        review: the review level.
        review_inclusive: the review level itself is already under review (dose:
            "at or over"); otherwise only values over it are (time: "over 60 min").
    """

    field: str
    label: str
    unit: str
    maximum: float
    review: float
    review_inclusive: bool

    def at_review_level(self, value: float) -> bool:
        """True for a plausible value at the review level (see ``review_inclusive``)."""
        over = value >= self.review if self.review_inclusive else value > self.review
        return over and 0 <= value <= self.maximum


MINUTES = Limit("minutes", "fluoroscopy time", "min", 600.0, 60.0, False)
AIR_KERMA_MGY = Limit("air_kerma_mgy", "air kerma", "mGy", 50_000.0, 5_000.0, True)
DOSE_AREA_PRODUCT_GYCM2 = Limit(
    "dose_area_product_gycm2", "dose-area product", "Gy·cm²", 10_000.0, 500.0, True
)

#: Every limit by its field name.
LIMITS: dict[str, Limit] = {
    limit.field: limit for limit in (MINUTES, AIR_KERMA_MGY, DOSE_AREA_PRODUCT_GYCM2)
}


@dataclass(frozen=True, slots=True)
class Judgement:
    """The verdict on one value, and why in plain words (empty when plausible)."""

    verdict: Verdict
    reason: str = ""

    @property
    def refused(self) -> bool:
        """The value cannot stand as documented."""
        return self.verdict.refused


def judge(field: str, value: float) -> Judgement:
    """Judge one value of a field against its limits.

    Args:
        field: a key of :data:`LIMITS`.
        value: the value, already normalised to the limit's unit.

    Returns:
        The verdict; ``reason`` names the value, the unit and the limit crossed.

    Raises:
        KeyError: ``field`` has no limits (a programming error, not bad input).
    """
    limit = LIMITS[field]
    shown = f"{limit.label} {value:g} {limit.unit}"
    if math.isnan(value):
        return Judgement(Verdict.IMPOSSIBLE, f"{limit.label} is not a number")
    if value < 0:
        return Judgement(Verdict.IMPOSSIBLE, f"{shown} is negative")
    if value > limit.maximum:
        return Judgement(
            Verdict.IMPLAUSIBLE,
            f"{shown} is over the plausible limit of {limit.maximum:,.0f} {limit.unit}",
        )
    if limit.at_review_level(value):
        level = "over" if not limit.review_inclusive else "at or over"
        return Judgement(
            Verdict.REVIEW,
            f"{shown} is {level} the review level of {limit.review:,.0f} {limit.unit}",
        )
    return Judgement(Verdict.PLAUSIBLE)
