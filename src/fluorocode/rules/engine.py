"""The engine: run every rule in decision-table order and merge what they decide.

Order (design.md): edition, code validity, PTP, integral fluoroscopy, guidance codes,
add-on codes, documentation, modifier 26, MUE, the note. Each rule sees the decisions of
the rules before it; actions merge by precedence remove > hold > modify > keep.

A rule that raises does not stop the check: its failure becomes an ``error`` finding
(never a pass) and the other rules still run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from fluorocode.domain.claim import Encounter
from fluorocode.domain.codes import PRICING_MODIFIERS, ClaimType
from fluorocode.domain.edits import EditLookup, Table
from fluorocode.domain.findings import (
    Action,
    Finding,
    LineResult,
    Prompt,
    PromptKind,
    Report,
    ReportStatus,
    Status,
    Suggestion,
    report_status,
)
from fluorocode.rules.base import FLUORO, LineState, Outcome, Rule, RuleContext
from fluorocode.rules.ed01_edition import DemoEditionRule
from fluorocode.rules.fl01_code_deleted import CodeDeletedRule
from fluorocode.rules.fl02_integral import IntegralRule
from fluorocode.rules.fl03_guidance import GuidanceCodeRule
from fluorocode.rules.fl04_documentation import DocumentationRule
from fluorocode.rules.fl05_modifier_26 import Modifier26Rule
from fluorocode.rules.fl06_note import NoteRule
from fluorocode.rules.nc01_ptp import PtpRule
from fluorocode.rules.nc02_mue import MueRule
from fluorocode.rules.nc03_aoc import AddOnRule

RULES: tuple[Rule, ...] = (
    DemoEditionRule(),
    CodeDeletedRule(),
    PtpRule(),
    IntegralRule(),
    GuidanceCodeRule(),
    AddOnRule(),
    DocumentationRule(),
    Modifier26Rule(),
    MueRule(),
    NoteRule(),
)

_TABLES = {
    ClaimType.PROFESSIONAL: (
        Table.PTP_PRACTITIONER,
        Table.MUE_PRACTITIONER,
        "practitioner",
    ),
    ClaimType.INSTITUTIONAL: (
        Table.PTP_OUTPATIENT_HOSPITAL,
        Table.MUE_OUTPATIENT_HOSPITAL,
        "outpatient_hospital",
    ),
}


def edition_block(edits: EditLookup, claim_type: ClaimType) -> dict[str, Any]:
    """The report's ``edition`` object (contract.md)."""
    info = edits.info
    return {
        "program": info.program.value,
        "table": _TABLES[claim_type][2],
        "quarter": info.quarter,
        "version": info.version,
        "demo": info.demo,
        "sources": [
            {"file": s.file, "sha256": s.sha256, "table": s.table} for s in info.sources
        ],
    }


def no_edition_report(encounter: Encounter, why: str) -> Report:
    """``no_data``: nothing could be checked, and the report says why."""
    lines = tuple(
        LineResult(i, line.code, line.modifiers, line.units, Action.KEEP)
        for i, line in enumerate(encounter.lines)
    )
    finding = Finding(
        "edition.no-data", Status.NO_DATA, (), why, {}, "design.md, Editions"
    )
    return Report(encounter.id, ReportStatus.NO_DATA, None, lines, (finding,))


def evaluate(
    encounter: Encounter, edits: EditLookup, rules: Sequence[Rule] = RULES
) -> Report:
    """Check one encounter against one edition."""
    ptp_table, mue_table, _ = _TABLES[encounter.claim_type]
    edition = edition_block(edits, encounter.claim_type)
    findings: list[Finding] = []
    if not edits.has_table(ptp_table):
        findings.append(
            Finding(
                "ptp.bundled",
                Status.NO_DATA,
                (),
                f"The edition has no {ptp_table.value} table, so no PTP edit was checked. "
                "Import the CMS PTP files of this quarter.",
                {"edition": edition},
                "CMS NCCI PTP edits",
            )
        )
    dos = encounter.date_of_service
    rows = edits.ptp_among(ptp_table, (*encounter.codes, FLUORO))
    in_force = tuple(r for r in rows if r.in_force(dos))
    states = [
        LineState(i, ln.code, ln.modifiers, ln.units, Action.KEEP)
        for i, ln in enumerate(encounter.lines)
    ]
    prompts: list[Prompt] = []
    suggestions: list[Suggestion] = []
    ctx = RuleContext(
        encounter, edits, ptp_table, mue_table, in_force, tuple(states), edition, {}
    )
    for rule in rules:
        if len(ctx.lines) != len(states) or any(
            a is not b for a, b in zip(ctx.lines, states, strict=True)
        ):
            ctx = replace(ctx, lines=tuple(states))  # the next rule sees the decisions
        try:
            outcome = rule.evaluate(ctx)
        except Exception as exc:  # contain a rule's crash: report it, never pass it
            findings.append(
                Finding(
                    rule.name,
                    Status.ERROR,
                    (),
                    f"Rule {rule.code} could not run ({type(exc).__name__}); the claim was "
                    "not fully checked.",
                    {},
                    "",
                )
            )
            continue
        states = _merge(states, outcome)
        findings.extend(outcome.findings)
        prompts.extend(
            p
            for p in outcome.prompts
            if all((q.kind, q.line) != (p.kind, p.line) for q in prompts)
        )
        suggestions.extend(outcome.suggestions)
    for s in states:
        if len(s.modifiers) > 4:  # a claim line carries four modifiers at most
            states[s.index] = replace(s, action=max(s.action, Action.HOLD, key=_rank))
            prompts.append(
                Prompt(
                    PromptKind.CONFIRM_DISTINCT_SERVICE,
                    s.index,
                    f"Line {s.index} ({s.code}) would carry {len(s.modifiers)} modifiers "
                    f"({', '.join(s.modifiers)}). Which four does the record support? "
                    "Split the line or drop the ones it does not.",
                    options=s.modifiers,
                )
            )
            findings.append(
                Finding(
                    "claim.modifier-limit",
                    Status.FAIL,
                    (s.index,),
                    f"Line {s.index} would need {len(s.modifiers)} modifiers "
                    f"({', '.join(s.modifiers)}); a claim line carries four. Review which "
                    "ones the record supports.",
                    {},
                    "CMS-1500 / 837P: four modifiers per line",
                )
            )
    removed = {s.index for s in states if s.action is Action.REMOVE}
    lines = tuple(
        LineResult(s.index, s.code, s.modifiers, s.units, s.action) for s in states
    )
    final_findings = tuple(findings)
    return Report(
        encounter_id=encounter.id,
        status=report_status(lines, final_findings),
        edition=edition,
        lines=lines,
        findings=final_findings,
        prompts=tuple(p for p in prompts if p.line not in removed),
        suggestions=tuple(suggestions),
    )


def _merge(states: list[LineState], outcome: Outcome) -> list[LineState]:
    if not (
        outcome.actions
        or outcome.add_modifiers
        or outcome.drop_modifiers
        or outcome.units
    ):
        return states
    touched = (
        outcome.actions.keys()
        | outcome.add_modifiers.keys()
        | outcome.drop_modifiers.keys()
        | outcome.units.keys()
    )
    if not touched:
        return states
    merged = list(states)
    for i in touched:
        s = states[i]
        drop = set(outcome.drop_modifiers.get(i, ()))
        mods = tuple(m for m in s.modifiers if m not in drop)
        for m in outcome.add_modifiers.get(i, ()):
            if m not in mods:
                # a pricing modifier (26, TC) goes first, as claim forms expect
                mods = (m, *mods) if m in PRICING_MODIFIERS else (*mods, m)
        units = outcome.units.get(i, s.units)
        action = max(s.action, outcome.actions.get(i, Action.KEEP), key=_rank)
        if (mods != s.modifiers or units != s.units) and action is Action.KEEP:
            action = Action.MODIFY
        merged[i] = replace(s, modifiers=mods, units=units, action=action)
    return merged


def _rank(action: Action) -> int:
    return action.rank
