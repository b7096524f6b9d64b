"""Type of bill (UB-04 form locator 4): which institutional bills the edits apply to.

The first two digits are the facility type and the bill classification (NUBC UB-04
manual, "Type of Bill"); the third is the frequency, which does not matter here.

Source for which bills get NCCI PTP edits: domain.md §2 and §7 [S12]: the hospital
(outpatient) table is applied through the IOCE to outpatient institutional claims
(12X, 13X, 14X, 85X, 22X/23X, 72X, 74X, 76X), and PTP edits are not applied to inpatient
facility claims. 83X (hospital outpatient surgery in an ambulatory surgical center) is
read as outpatient as well. The nominal place of service each bill gets is what the
encounter needs; for institutional claims the engine uses it only as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BillType", "classify"]

#: Outpatient bills checked with the outpatient-hospital tables -> nominal POS.
OUTPATIENT = {
    "12": ("hospital inpatient, Part B only", "22"),
    "13": ("hospital outpatient", "22"),
    "14": ("hospital, other (not registered)", "22"),
    "22": ("skilled nursing, inpatient Part B", "31"),
    "23": ("skilled nursing, outpatient", "32"),
    "72": ("clinic, hospital-based or independent renal dialysis", "65"),
    "74": ("clinic, outpatient rehabilitation facility", "62"),
    "76": ("clinic, community mental health center", "53"),
    "83": ("ambulatory surgical center (hospital outpatient)", "24"),
    "85": ("critical access hospital, outpatient", "22"),
}
#: Inpatient bills: the PTP/MUE outpatient edits do not apply.
INPATIENT = {
    "11": "hospital inpatient (Part A)",
    "18": "hospital swing bed",
    "21": "skilled nursing, inpatient (Part A)",
    "28": "skilled nursing, swing bed",
    "41": "religious non-medical health care institution, inpatient",
    "65": "intermediate care, level I",
    "66": "intermediate care, level II",
    "81": "hospice (non-hospital based)",
    "82": "hospice (hospital based)",
    "86": "residential facility",
}


@dataclass(frozen=True, slots=True)
class BillType:
    """What a type of bill means for these edits."""

    code: str
    outpatient: bool
    place_of_service: str | None
    why: str | None  # for a bill the edits do not apply to: the finding's message


def classify(code: str) -> BillType:
    """Classify a three- (or four-, with the leading 0) digit type of bill."""
    digits = code[1:] if len(code) == 4 and code.startswith("0") else code
    head = digits[:2]
    if head in OUTPATIENT:
        return BillType(digits, True, OUTPATIENT[head][1], None)
    if head in INPATIENT:
        return BillType(
            digits,
            False,
            None,
            f"Type of bill {digits} is an inpatient bill ({INPATIENT[head]}): NCCI PTP "
            "and MUE outpatient edits do not apply to inpatient facility claims, so "
            "the claim was not checked.",
        )
    return BillType(
        digits,
        False,
        None,
        f"Type of bill {digits or '(none)'} is not one fluorocode knows the edits for "
        "(outpatient bills 12X, 13X, 14X, 22X, 23X, 72X, 74X, 76X, 83X, 85X): the "
        "claim was not checked.",
    )
