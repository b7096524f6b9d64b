"""The distinct-indication confirmation shared by the PTP (NC01) and integral (FL02) rules.

Design.md step 3: 76000 under an indicator-1 edit, or beside a service it is integral to,
is billable only if the provider confirms a distinct, unrelated indication. Not asked:
hold with a ``confirm_distinct_indication`` prompt. Confirmed: append the X{EPSU}
modifier of the basis (unless a PTP-associated modifier is already on the line).
Denied: remove. Fluoroscopy that guided the same procedure never qualifies. Under a
payer that does not accept the basis's X modifier, 59 is appended instead, and the
decision names the payer's departure (``rules.payers``).
"""

from __future__ import annotations

from fluorocode.domain.claim import DistinctIndication
from fluorocode.domain.codes import BASIS_MODIFIER
from fluorocode.domain.findings import Action, Prompt, PromptKind, Status
from fluorocode.domain.values import value_type
from fluorocode.rules._modifiers import bypass_modifiers
from fluorocode.rules.base import LineState, Outcome
from fluorocode.rules.payers import PayerProfile

QUESTION = (
    "Did the fluoroscopy on line {line} (76000) have its own indication, unrelated to "
    "{partner}? Answer yes only for a separate encounter, a separate anatomic site, a "
    "separate practitioner, or an unusual non-overlapping service. Fluoroscopy that "
    "guided or checked the same procedure never qualifies."
)
BASES = tuple(BASIS_MODIFIER)


@value_type
class Decision:
    status: Status
    action: Action
    modifier: str | None  # the X modifier to append, if any
    answer: str  # "not asked", "confirmed", "denied"
    departure: str | None = None  # the payer departure that shaped it, if any


# the two decisions that depend on nothing but the answer, made once
_NOT_ASKED = Decision(Status.FAIL, Action.HOLD, None, "not asked")
_DENIED = Decision(Status.FAIL, Action.REMOVE, None, "denied")


def decide(
    line: LineState,
    partner: LineState,
    answer: DistinctIndication,
    payer: PayerProfile | None = None,
) -> Decision:
    """What the provider's answer means for the 76000 line beside ``partner``."""
    if answer.confirmed is None:
        return _NOT_ASKED
    if answer.confirmed is False:
        return _DENIED
    assert answer.basis is not None  # input validation requires a basis with confirmed
    departure = payer.bypass_departure if payer is not None else None
    if departure is None:
        present = bypass_modifiers(line, partner)
        modifier = None if present else BASIS_MODIFIER[answer.basis]
        return Decision(
            Status.BYPASSED,
            Action.MODIFY if modifier else Action.KEEP,
            modifier,
            "confirmed",
        )
    assert payer is not None
    present = bypass_modifiers(line, partner, payer.bypass_modifiers)
    wanted = BASIS_MODIFIER[answer.basis]
    modifier = None if present else payer.confirmed_modifier(wanted)
    # the payer decided it when NCCI would have kept a modifier the payer refuses, or
    # appended an X modifier the payer does not accept
    changed = (not present and bool(bypass_modifiers(line, partner))) or (
        modifier is not None and modifier != wanted
    )
    return Decision(
        Status.BYPASSED,
        Action.MODIFY if modifier else Action.KEEP,
        modifier,
        "confirmed",
        departure.id if changed else None,
    )


def apply(outcome: Outcome, line: LineState, decision: Decision, partner: str) -> None:
    """Record the decision's action, modifier and prompt for ``line``."""
    outcome.act(line.index, decision.action)
    if decision.departure:
        outcome.departures.add(decision.departure)
    if decision.modifier:
        outcome.add_modifier(line.index, decision.modifier)
    kind = PromptKind.CONFIRM_DISTINCT_INDICATION
    if decision.answer == "not asked" and not outcome.asked(kind, line.index):
        outcome.prompt(
            Prompt(
                kind=kind,
                line=line.index,
                question=QUESTION.format(line=line.index, partner=partner),
                options=BASES,
            )
        )


def next_step(decision: Decision) -> str:
    """The plain-words instruction that ends a finding's message."""
    if decision.answer == "not asked":
        return (
            "76000 is billable here only if the provider confirms a distinct indication, "
            "which has not been asked yet."
        )
    if decision.answer == "denied":
        return "The provider said it had no distinct indication: 76000 is not billable."
    if decision.modifier:
        return f"The provider confirmed a distinct indication: {decision.modifier} is added."
    return (
        "The provider confirmed a distinct indication, and the line already carries a "
        "PTP-associated modifier."
    )
