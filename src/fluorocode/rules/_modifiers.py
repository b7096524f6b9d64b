"""Which modifiers on a column-2 line may bypass an indicator-1 PTP edit.

NCCI Policy Manual ch. I (domain.md §2): anatomic modifiers (E1-E4, FA, F1-F9, TA,
T1-T9, LT, RT, LC, LD, LM, RC, RI) count only where the two lines' anatomic modifiers
differ (a different site); the others (24, 25, 27, 57, 58, 59, 78, 79, 91, XE, XS, XP, XU)
always. 26, TC, 50, 51, 76 and 77 never do. A payer profile may accept fewer
(``rules.payers``, ``ptp_bypass_modifiers``): ``accepted`` is its set.
"""

from __future__ import annotations

from fluorocode.domain.codes import ANATOMIC_MODIFIERS, PTP_ASSOCIATED_MODIFIERS
from fluorocode.rules.base import LineState


def bypass_modifiers(
    column2: LineState,
    column1: LineState,
    accepted: frozenset[str] = PTP_ASSOCIATED_MODIFIERS,
) -> list[str]:
    """The column-2 line's modifiers that may bypass an indicator-1 edit with column 1
    (``accepted``: the payer's bypass modifiers, NCCI's by default)."""
    anatomic_1 = set(column1.modifiers) & ANATOMIC_MODIFIERS
    return [
        m
        for m in column2.modifiers
        if m in accepted and (m not in ANATOMIC_MODIFIERS or m not in anatomic_1)
    ]
