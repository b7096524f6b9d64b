"""What a check returns: findings, line actions, prompts and the report (contract.md).

A report is ``clean`` only when every line is ``keep`` and no finding is ``fail``,
``no_data`` or ``error``: missing data is never silently a pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

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
        return _ACTION_RANK[self._value_]


_ACTION_RANK = {"keep": 0, "modify": 1, "hold": 2, "remove": 3}


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


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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
    if any(f.status is Status.NO_DATA for f in findings):
        return ReportStatus.NO_DATA
    if any(f.status is Status.ERROR for f in findings):
        # a rule that could not run leaves the claim unverified: a person must look
        return ReportStatus.NEEDS_PROVIDER_INPUT
    if actions & {Action.MODIFY, Action.REMOVE}:
        return ReportStatus.CORRECTED
    if any(f.status is Status.FAIL for f in findings):
        # a failing finding with no action to take still needs a person's eyes
        return ReportStatus.NEEDS_PROVIDER_INPUT
    return ReportStatus.CLEAN
