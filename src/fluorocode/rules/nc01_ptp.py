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

Each column-2 line is judged against every column-1 line (the strictest outcome
stands), but findings are grouped: one finding per edit row and outcome, naming all the
lines it concerns, so a claim's findings grow with its lines, not with their pairs.

**Passes when:** no in-force edit pairs the line with another line on the claim.

**Bypass:** indicator 1 only, by a PTP-associated modifier on the column-2 line:
anatomic (E1-E4, FA, F1-F9, TA, T1-T9, LT, RT, LC, LD, LM, RC, RI) only where the two
lines' anatomic modifiers differ; 24, 25, 27, 57, 58, 59, 78, 79, 91, XE, XS, XP, XU.
Never 26, TC, 50, 51, 76, 77. For 76000: the provider's confirmed distinct indication,
which appends XE/XS/XP/XU by its basis (``ptp.bypassed``). A payer profile's
``ptp_bypass_modifiers`` narrows the modifiers (docs/payers.md): a modifier NCCI accepts
and the payer does not leaves the line held, and a confirmed indication appends 59 where
the payer does not accept the basis's X modifier; such findings cite the departure.

**Evidence emitted:** the edit row (column 1, column 2, effective, deletion, modifier
indicator, rationale), the edition and the table it was read from (the table's source
files and checksums are in the report's ``edition.sources``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

from fluorocode.domain.codes import (
    ANATOMIC_MODIFIERS,
    PTP_ASSOCIATED_MODIFIERS,
    ModifierIndicator,
)
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
    line_refs,
)

CITATION = (
    "CMS NCCI PTP edits; NCCI Policy Manual ch. I (modifiers and modifier indicators)"
)

# The NCCI messages, as ``str.format`` templates: the rule fills them in per finding,
# and the batch renders the very same templates in SQL (``adapters.batch.ptp_sql``).
# ``where`` is ``WHERE`` filled in; ``tried`` is ``BUNDLED_TRIED`` filled in, or "".
WHERE = "{c2} ({refs2}) is column 2 of an NCCI PTP edit with {c1} ({refs1})"
BUNDLED = (
    "{c2} ({refs2}) is bundled into {c1} ({refs1}) by an NCCI PTP edit with modifier "
    "indicator 0 ({rationale}).{tried} {c2} is not separately billable with it: leave "
    "it off the claim."
)
BUNDLED_TRIED = " The modifier {listed} cannot bypass it."
BYPASSED = (
    "{where}, modifier indicator 1; {listed} bypasses it. Keep it only if the record "
    "documents the distinct service."
)
REQUIRED = (
    "{where}, modifier indicator 1 ({rationale}), and carries no PTP-associated "
    "modifier. A modifier may be added only if the record documents a distinct "
    "service; otherwise {c2} is not billable with {c1}."
)
#: Between the modifiers a message names (sorted, each once).
MODIFIER_SEPARATOR = ", "


def finding_evidence(edit: PtpEdit, table: Mapping[str, Any]) -> dict[str, Any]:
    """A finding's evidence: the edit row, and the edition and table it was read from."""
    return {"edit": edit.evidence(), **table}


@dataclass
class _Group:
    """The lines that met one edit row with one outcome."""

    column1: set[int] = field(default_factory=set)
    column2: set[int] = field(default_factory=set)
    decision: _confirmation.Decision | None = None
    modifiers: set[str] = field(default_factory=set)  # bypassing / tried modifiers


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
        edits = ctx.claim_edits()
        if not edits:
            return out  # most claims: no in-force edit pairs two of their lines
        by_code = ctx.lines_by_code()
        # a column-1 code's variants, worked out once however many edits it heads
        variants: dict[str, list[tuple[LineState, list[int]]]] = {}
        for edit in edits:
            partners = variants.get(edit.column1)
            if partners is None:
                partners = variants[edit.column1] = _partner_variants(
                    by_code.get(edit.column1, ())
                )
            groups: dict[tuple[str, Status, str], _Group] = defaultdict(_Group)
            for line2 in by_code.get(edit.column2, ()):
                for rep, members in partners:
                    others = [i for i in members if i != line2.index]
                    if not others:
                        continue
                    key = self._judge(ctx, out, edit, line2, rep, others, groups)
                    group = groups[key]
                    group.column1.update(others)
                    group.column2.add(line2.index)
            for (rule, status, _), group in groups.items():
                out.findings.append(self._finding(ctx, edit, rule, status, group))
        return out

    def _judge(
        self,
        ctx: RuleContext,
        out: Outcome,
        edit: PtpEdit,
        line2: LineState,
        line1: LineState,
        partners: list[int],
        groups: dict[tuple[str, Status, str], _Group],
    ) -> tuple[str, Status, str]:
        """Act on ``line2`` against one column-1 variant; the finding group's key."""
        if edit.indicator is ModifierIndicator.NOT_ALLOWED:
            out.act(line2.index, Action.REMOVE)
            key = ("ptp.bundled", Status.FAIL, "")
            tried = [m for m in line2.modifiers if m in PTP_ASSOCIATED_MODIFIERS]
            groups[key].modifiers.update(tried)
            return key
        if edit.column2 == FLUORO:
            answer = ctx.encounter.documentation.distinct_indication
            decision = _confirmation.decide(line2, line1, answer, ctx.payer)
            _confirmation.apply(
                out, line2, decision, partner=f"{edit.column1} on {line_refs(partners)}"
            )
            rule = (
                "ptp.bypassed"
                if decision.status is Status.BYPASSED
                else "ptp.modifier-required"
            )
            key = (rule, decision.status, f"{decision.answer}:{decision.modifier}")
            groups[key].decision = decision
            return key
        payer = ctx.payer
        bypass = bypass_modifiers(line2, line1, payer.bypass_modifiers)
        if bypass:
            key = ("ptp.bypassed", Status.BYPASSED, "")
            groups[key].modifiers.update(bypass)
            return key
        out.act(line2.index, Action.HOLD)
        # a modifier NCCI accepts that this payer does not: the payer decided the hold
        refused = (
            bypass_modifiers(line2, line1) if payer.bypass_departure is not None else []
        )
        # the line's first question stands: a later one is not written at all
        if not out.asked(PromptKind.CONFIRM_DISTINCT_SERVICE, line2.index):
            out.prompt(
                Prompt(
                    PromptKind.CONFIRM_DISTINCT_SERVICE,
                    line2.index,
                    f"Was {edit.column2} on line {line2.index} a distinct service from "
                    f"{edit.column1} on {line_refs(partners)} (separate encounter, "
                    "anatomic site, practitioner, or an unusual non-overlapping "
                    "service)? If the record shows it, add the modifier that says which "
                    f"({_which(payer.bypass_modifiers)}); otherwise leave "
                    f"{edit.column2} off.",
                    options=_options(payer.bypass_modifiers),
                )
            )
        if refused and payer.bypass_departure is not None:
            out.departures.add(payer.bypass_departure.id)
            key = ("ptp.modifier-required", Status.FAIL, "payer")
            groups[key].modifiers.update(refused)
            return key
        return ("ptp.modifier-required", Status.FAIL, "")

    @staticmethod
    def _finding(
        ctx: RuleContext, edit: PtpEdit, rule: str, status: Status, group: _Group
    ) -> Finding:
        c1, c2 = edit.column1, edit.column2
        refs1, refs2 = line_refs(group.column1), line_refs(group.column2)
        fields = {"c1": c1, "c2": c2, "refs1": refs1, "refs2": refs2}
        where = WHERE.format(**fields)
        listed = MODIFIER_SEPARATOR.join(sorted(group.modifiers))
        if rule == "ptp.bundled":
            tried = BUNDLED_TRIED.format(listed=listed) if listed else ""
            message = BUNDLED.format(**fields, rationale=edit.rationale, tried=tried)
        elif group.decision is not None:  # 76000: the provider's answer decides
            message = (
                f"{where}, modifier indicator 1 ({edit.rationale}). "
                + _confirmation.next_step(group.decision)
            )
        elif rule == "ptp.modifier-required" and listed:  # refused by the payer
            accepted = ", ".join(_options(ctx.payer.bypass_modifiers)[:-1])
            message = (
                f"{where}, modifier indicator 1 ({edit.rationale}). {listed} bypasses "
                f"it under NCCI, but the payer {ctx.payer.name} does not accept it "
                f"(it accepts {accepted or 'only anatomic modifiers'}). A modifier it "
                "accepts may be added only if the record documents a distinct service; "
                f"otherwise {c2} is not billable with {c1}."
            )
        elif rule == "ptp.bypassed":
            message = BYPASSED.format(where=where, listed=listed)
        else:
            message = REQUIRED.format(**fields, where=where, rationale=edit.rationale)
        lines = (*sorted(group.column1), *sorted(group.column2))
        evidence = finding_evidence(edit, edition_evidence(ctx, ctx.ptp_table))
        departure = ctx.payer.bypass_departure
        citation = CITATION
        if departure is not None and (
            (rule == "ptp.modifier-required" and listed)
            or (group.decision is not None and group.decision.departure)
        ):
            evidence["payer_departure"] = departure.to_dict()
            citation = f"{CITATION}; payer {ctx.payer.id}: {departure.source}"
        return Finding(rule, status, lines, message, evidence, citation)


#: What the distinct-service prompt offers, in this order, where the payer accepts it.
_OFFERED = ("XE", "XS", "XP", "XU", "59")


@lru_cache(maxsize=256)  # one payer's answer, asked per held line
def _options(accepted: frozenset[str]) -> tuple[str, ...]:
    return (*(m for m in _OFFERED if m in accepted), "remove")


@lru_cache(maxsize=256)  # one payer's answer, asked per held line
def _which(accepted: frozenset[str]) -> str:
    """The modifiers the prompt names: "XE, XS, XP, XU, or an anatomic modifier"."""
    named = [m for m in _OFFERED[:4] if m in accepted] or [
        m for m in _OFFERED[4:] if m in accepted
    ]
    if accepted & ANATOMIC_MODIFIERS:
        return ", ".join(named) + ", or an anatomic modifier"
    return " or ".join(named)


def _partner_variants(
    lines: Iterable[LineState],
) -> list[tuple[LineState, list[int]]]:
    """Column-1 lines grouped by what a bypass depends on: their anatomic modifiers.

    Returns (a representative line, the indices of all lines like it), so a column-2
    line is judged once per variant rather than once per column-1 line.
    """
    variants: dict[frozenset[str], tuple[LineState, list[int]]] = {}
    for line in lines:
        key = frozenset(line.modifiers) & ANATOMIC_MODIFIERS
        if key in variants:
            variants[key][1].append(line.index)
        else:
            variants[key] = (line, [line.index])
    return list(variants.values())
