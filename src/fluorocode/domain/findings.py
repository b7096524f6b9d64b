"""What a check returns: findings, line actions, prompts and the report (contract.md).

A report is ``clean`` only when every line is ``keep`` and no finding is ``fail``,
``no_data`` or ``error``: missing data is never silently a pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from enum import StrEnum
from typing import Any

from fluorocode.domain.values import value_type
from fluorocode.errors import FieldError


class Status(StrEnum):
    FAIL = "fail"
    BYPASSED = "bypassed"
    PASS = "pass"
    INFO = "info"
    NO_DATA = "no_data"
    ERROR = "error"  # the rule itself could not run; never a pass


class Action(StrEnum):
    KEEP = "keep"
    MODIFY = "modify"
    HOLD = "hold"
    REMOVE = "remove"

    @property
    def rank(self) -> int:
        """Precedence: remove > hold > modify > keep."""
        return ACTION_RANK[self]


#: ``Action.rank`` as a table, for the engine's per-line merging (a lookup, not a call)
ACTION_RANK: dict[Action, int] = {
    Action.KEEP: 0,
    Action.MODIFY: 1,
    Action.HOLD: 2,
    Action.REMOVE: 3,
}


class ReportStatus(StrEnum):
    CLEAN = "clean"
    CORRECTED = "corrected"
    NEEDS_PROVIDER_INPUT = "needs_provider_input"
    NO_DATA = "no_data"
    REJECTED = "rejected"


class PromptKind(StrEnum):
    CONFIRM_DISTINCT_INDICATION = "confirm_distinct_indication"
    FLUOROSCOPY_DOCUMENTATION = "fluoroscopy_documentation"
    # added by fluorocode (contract: fields and kinds may be added)
    CONFIRM_DISTINCT_SERVICE = "confirm_distinct_service"
    CONFIRM_UNITS = "confirm_units"
    CONFIRM_CODE = "confirm_code"  # a code or modifier CMS does not list (CL01)
    CHOOSE_MODIFIERS = "choose_modifiers"  # more than four modifiers on a line (CL02)


@value_type
class Finding:
    """One rule's verdict on one or more lines, with the evidence it rests on."""

    rule: str
    status: Status
    lines: tuple[int, ...]
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    citation: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "status": self.status.value,
            "lines": list(self.lines),
            "message": self.message,
            "evidence": dict(self.evidence),
            "citation": self.citation,
        }


@value_type
class Prompt:
    """A structured question the provider must answer before the line can go out."""

    kind: PromptKind
    line: int
    question: str
    missing: tuple[str, ...] = ()
    options: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "line": self.line,
            "question": self.question,
        }
        if self.kind is PromptKind.FLUOROSCOPY_DOCUMENTATION:
            out["missing"] = list(self.missing)
        if self.options:
            out["options"] = list(self.options)
        return out


@value_type
class LineResult:
    """A claim line as it should go out, with its action."""

    index: int
    code: str
    modifiers: tuple[str, ...]
    units: int
    action: Action
    suggested: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "index": self.index,
            "code": self.code,
            "modifiers": list(self.modifiers),
            "units": self.units,
            "action": self.action.value,
        }
        if self.suggested:
            out["suggested"] = True
        return out


@value_type
class Suggestion:
    """A line the caller may add (never added silently), and why."""

    code: str
    rule: str
    message: str
    modifiers: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "modifiers": list(self.modifiers),
            "rule": self.rule,
            "message": self.message,
        }


@value_type
class Report:
    """The answer for one encounter (contract.md, "Output: one report")."""

    encounter_id: str | None
    status: ReportStatus
    edition: Mapping[str, Any] | None
    lines: tuple[LineResult, ...] = ()
    findings: tuple[Finding, ...] = ()
    prompts: tuple[Prompt, ...] = ()
    suggestions: tuple[Suggestion, ...] = ()
    errors: tuple[FieldError, ...] = ()
    #: the payer profile and the departures it applied; None for a program's built-in
    #: NCCI profile, whose report is the contract's as it always was (docs/payers.md)
    payer: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "encounter_id": self.encounter_id,
            "status": self.status.value,
            "edition": dict(self.edition) if self.edition is not None else None,
            "lines": [line.to_dict() for line in self.lines],
            "findings": [f.to_dict() for f in self.findings],
            "prompts": [p.to_dict() for p in self.prompts],
            "suggestions": [s.to_dict() for s in self.suggestions],
        }
        if self.payer is not None:
            out["payer"] = dict(self.payer)
        if self.status is ReportStatus.REJECTED:
            out["errors"] = [e.to_dict() for e in self.errors]
        return out


def report_status(
    lines: tuple[LineResult, ...], findings: tuple[Finding, ...]
) -> ReportStatus:
    """The report status from line actions and findings.

    A hold needs the provider first; otherwise missing data wins over any verdict, so a
    claim is never called clean on data that was not there.
    """
    actions = {line.action for line in lines}
    if Action.HOLD in actions:
        return ReportStatus.NEEDS_PROVIDER_INPUT
    statuses = {f.status for f in findings}  # one pass, however many findings
    if Status.NO_DATA in statuses:
        return ReportStatus.NO_DATA
    if Status.ERROR in statuses:
        # a rule that could not run leaves the claim unverified: a person must look
        return ReportStatus.NEEDS_PROVIDER_INPUT
    if Action.MODIFY in actions or Action.REMOVE in actions:
        return ReportStatus.CORRECTED
    if Status.FAIL in statuses:
        # a failing finding with no action to take still needs a person's eyes
        return ReportStatus.NEEDS_PROVIDER_INPUT
    return ReportStatus.CLEAN
