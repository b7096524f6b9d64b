"""NC01 ptp: NCCI procedure-to-procedure edits between every two lines of the claim.

**Policy source:** CMS NCCI PTP edit files of the edition in force on the date of
service (practitioner table for professional claims, outpatient-hospital table for
institutional claims); NCCI Policy Manual ch. I, "Modifiers and Modifier Indicators"
(domain.md §2).

An edit is in force when ``effective <= date of service <= deletion`` and its modifier
indicator is not 9. Both code orders are looked up; the column-2 line is the one at risk.

**Fails when:**
- indicator 0 pairs a line (as column 2) with another line: ``ptp.bundled``, remove the
  column-2 line; no modifier changes this;
- indicator 1 and the column-2 line carries no PTP-associated modifier:
  ``ptp.modifier-required``, hold the line with a ``confirm_distinct_service`` prompt.
  For 76000 the provider's distinct-indication answer decides instead (hold while not
  asked, remove when denied), and a modifier alone never clears it.

**Passes when:** no in-force edit pairs the line with another line on the claim.

**Bypass:** indicator 1 only, by a PTP-associated modifier on the column-2 line:
anatomic (E1-E4, FA, F1-F9, TA, T1-T9, LT, RT, LC, LD, LM, RC, RI) only where the two
lines' anatomic modifiers differ; 24, 25, 27, 57, 58, 59, 78, 79, 91, XE, XS, XP, XU.
Never 26, TC, 50, 51, 76, 77. For 76000: the provider's confirmed distinct indication,
which appends XE/XS/XP/XU by its basis (``ptp.bypassed``).

**Evidence emitted:** the edit row (column 1, column 2, effective, deletion, modifier
indicator, rationale), the edition, and the checksums of the table's source files.
"""

from __future__ import annotations

from typing import ClassVar

from fluorocode.domain.codes import PTP_ASSOCIATED_MODIFIERS, ModifierIndicator
from fluorocode.domain.edits import PtpEdit
from fluorocode.domain.findings import Action, Finding, Prompt, PromptKind, Status
from fluorocode.rules import _confirmation
from fluorocode.rules._modifiers import bypass_modifiers
from fluorocode.rules.base import (
    FLUORO,
    LineState,
    Outcome,
    RuleContext,
    edition_evidence,
)

CITATION = (
    "CMS NCCI PTP edits; NCCI Policy Manual ch. I (modifiers and modifier indicators)"
)


class PtpRule:
    code: ClassVar[str] = "NC01"
    name: ClassVar[str] = "ptp"
    emits: ClassVar[tuple[str, ...]] = (
        "ptp.bundled",
        "ptp.modifier-required",
        "ptp.bypassed",
    )

    def evaluate(self, ctx: RuleContext) -> Outcome:
        out = Outcome()
        for edit in ctx.claim_edits():
            for line2 in ctx.lines_with(edit.column2):
                # judged against every column-1 line: the strictest outcome stands
                for line1 in ctx.lines_with(edit.column1):
                    if line1.index != line2.index:
                        self._judge(ctx, out, edit, line2, line1)
        return out

    def _judge(
        self,
        ctx: RuleContext,
        out: Outcome,
        edit: PtpEdit,
        line2: LineState,
        line1: LineState,
    ) -> None:
        evidence = {"edit": edit.evidence(), **edition_evidence(ctx, ctx.ptp_table)}
        lines = (line1.index, line2.index)
        c1, c2 = edit.column1, edit.column2
        if edit.indicator is ModifierIndicator.NOT_ALLOWED:
            out.act(line2.index, Action.REMOVE)
            tried = [m for m in line2.modifiers if m in PTP_ASSOCIATED_MODIFIERS]
            extra = (
                f" The modifier {', '.join(tried)} cannot bypass it." if tried else ""
            )
            out.findings.append(
                Finding(
                    "ptp.bundled",
                    Status.FAIL,
                    lines,
                    f"{c2} (line {line2.index}) is bundled into {c1} (line {line1.index}) by an "
                    f"NCCI PTP edit with modifier indicator 0 ({edit.rationale}).{extra} "
                    f"Leave {c2} off the claim.",
                    evidence,
                    CITATION,
                )
            )
            return
        if c2 == FLUORO:
            answer = ctx.encounter.documentation.distinct_indication
            decision = _confirmation.decide(line2, line1, answer)
            _confirmation.apply(
                out, line2, decision, partner=f"{c1} on line {line1.index}"
            )
            rule = (
                "ptp.bypassed"
                if decision.status is Status.BYPASSED
                else "ptp.modifier-required"
            )
            out.findings.append(
                Finding(
                    rule,
                    decision.status,
                    lines,
                    f"76000 (line {line2.index}) is column 2 of an NCCI PTP edit with {c1} "
                    f"(line {line1.index}), modifier indicator 1 ({edit.rationale}). "
                    + _confirmation.next_step(decision),
                    evidence,
                    CITATION,
                )
            )
            return
        bypass = bypass_modifiers(line2, line1)
        if bypass:
            out.findings.append(
                Finding(
                    "ptp.bypassed",
                    Status.BYPASSED,
                    lines,
                    f"{c2} (line {line2.index}) is column 2 of an NCCI PTP edit with {c1} "
                    f"(line {line1.index}), modifier indicator 1; {', '.join(bypass)} bypasses "
                    "it. Keep it only if the record documents the distinct service.",
                    evidence,
                    CITATION,
                )
            )
            return
        out.act(line2.index, Action.HOLD)
        out.prompt(
            Prompt(
                PromptKind.CONFIRM_DISTINCT_SERVICE,
                line2.index,
                f"Was {c2} on line {line2.index} a distinct service from {c1} on line "
                f"{line1.index} (separate encounter, anatomic site, practitioner, or an "
                "unusual non-overlapping service)? If the record shows it, add the modifier "
                "that says which (XE, XS, XP, XU, or an anatomic modifier); otherwise leave "
                f"{c2} off.",
                options=("XE", "XS", "XP", "XU", "59", "remove"),
            )
        )
        out.findings.append(
            Finding(
                "ptp.modifier-required",
                Status.FAIL,
                lines,
                f"{c2} (line {line2.index}) is column 2 of an NCCI PTP edit with {c1} "
                f"(line {line1.index}), modifier indicator 1 ({edit.rationale}), and carries "
                "no PTP-associated modifier. Hold it: add a modifier only if the record "
                f"documents a distinct service, else leave {c2} off.",
                evidence,
                CITATION,
            )
        )
