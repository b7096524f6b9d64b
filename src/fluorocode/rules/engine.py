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
from fluorocode.domain.codes import ClaimType
from fluorocode.domain.edits import EditLookup, Table
from fluorocode.domain.findings import (
    Action,
    Finding,
    LineResult,
    Prompt,
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
    ClaimType.PROFESSIONAL: (Table.PTP_PRACTITIONER, Table.MUE_PRACTITIONER, "practitioner"),
    ClaimType.INSTITUTIONAL: (
        Table.PTP_OUTPATIENT_HOSPITAL, Table.MUE_OUTPATIENT_HOSPITAL, "outpatient_hospital"),
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
        "sources": [{"file": s.file, "sha256": s.sha256, "table": s.table}
                    for s in info.sources],
    }


def no_edition_report(encounter: Encounter, why: str) -> Report:
    """``no_data``: nothing could be checked, and the report says why."""
    lines = tuple(
        LineResult(i, line.code, line.modifiers, line.units, Action.KEEP)
        for i, line in enumerate(encounter.lines)
    )
    finding = Finding("edition.no-data", Status.NO_DATA, (), why, {}, "design.md, Editions")
    return Report(encounter.id, ReportStatus.NO_DATA, None, lines, (finding,))


def evaluate(encounter: Encounter, edits: EditLookup,
             rules: Sequence[Rule] = RULES) -> Report:
    """Check one encounter against one edition."""
    ptp_table, mue_table, _ = _TABLES[encounter.claim_type]
    edition = edition_block(edits, encounter.claim_type)
    findings: list[Finding] = []
    if not edits.has_table(ptp_table):
        findings.append(Finding(
            "ptp.bundled", Status.NO_DATA, (),
            f"The edition has no {ptp_table.value} table, so no PTP edit was checked. "
            "Import the CMS PTP files of this quarter.", {"edition": edition},
            "CMS NCCI PTP edits"))
    dos = encounter.date_of_service
    rows = edits.ptp_among(ptp_table, (*encounter.codes, FLUORO))
    in_force = tuple(r for r in rows if r.in_force(dos))
    states = [LineState(i, ln.code, ln.modifiers, ln.units, Action.KEEP)
              for i, ln in enumerate(encounter.lines)]
    prompts: list[Prompt] = []
    suggestions: list[Suggestion] = []
    for rule in rules:
        ctx = RuleContext(encounter, edits, ptp_table, mue_table, in_force, tuple(states),
                          edition)
        try:
            outcome = rule.evaluate(ctx)
        except Exception as exc:  # contain a rule's crash: report it, never pass it
            findings.append(Finding(
                rule.name, Status.ERROR, (),
                f"Rule {rule.code} could not run ({type(exc).__name__}); the claim was "
                "not fully checked.", {}, ""))
            continue
        states = _merge(states, outcome)
        findings.extend(outcome.findings)
        prompts.extend(p for p in outcome.prompts
                       if all((q.kind, q.line) != (p.kind, p.line) for q in prompts))
        suggestions.extend(outcome.suggestions)
    for s in states:
        if len(s.modifiers) > 4:  # a claim line carries four modifiers at most
            states[s.index] = replace(s, action=max(s.action, Action.HOLD, key=_rank))
            findings.append(Finding(
                "claim.modifier-limit", Status.FAIL, (s.index,),
                f"Line {s.index} would need {len(s.modifiers)} modifiers "
                f"({', '.join(s.modifiers)}); a claim line carries four. Review which "
                "ones the record supports.", {}, "CMS-1500 / 837P: four modifiers per line"))
    removed = {s.index for s in states if s.action is Action.REMOVE}
    lines = tuple(LineResult(s.index, s.code, s.modifiers, s.units, s.action) for s in states)
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
    merged = []
    for s in states:
        action = outcome.actions.get(s.index, Action.KEEP)
        drop = set(outcome.drop_modifiers.get(s.index, ()))
        mods = tuple(m for m in s.modifiers if m not in drop)
        mods += tuple(m for m in outcome.add_modifiers.get(s.index, ()) if m not in mods)
        units = outcome.units.get(s.index, s.units)
        new_action = action if action.rank > s.action.rank else s.action
        if (mods != s.modifiers or units != s.units) and new_action is Action.KEEP:
            new_action = Action.MODIFY
        merged.append(replace(s, modifiers=mods, units=units, action=new_action))
    return merged


def _rank(action: Action) -> int:
    return action.rank
