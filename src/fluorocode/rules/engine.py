"""The engine: run every rule in decision-table order and merge what they decide.

Order (design.md): edition, known codes, code validity, PTP, the payer's extra
bundles, integral fluoroscopy, guidance codes, add-on codes, documentation, modifier 26,
MUE, the note, and last the four-modifier limit. Each rule sees the decisions of the
rules before it; actions merge by precedence remove > hold > modify > keep.

An edition answers a claim only with the tables it needs: without the PTP table of the
claim type, or for a date of service before that table's first edit, the report is
``no_data`` and says why, and no rule runs (no rule could say anything true).

A rule that raises does not stop the check: its failure becomes an
``engine.rule-error`` finding (status ``error``, never a pass) naming the rule, it is
logged by type and place (never by message, which may quote the claim), and the other
rules still run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fluorocode.domain.claim import Encounter
from fluorocode.domain.codes import PRICING_MODIFIERS, ClaimType
from fluorocode.domain.edits import EditionInfo, EditLookup, Table
from fluorocode.domain.findings import (
    ACTION_RANK,
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
from fluorocode.rules.base import (
    FLUORO,
    LineState,
    Outcome,
    Rule,
    RuleContext,
    claim_edits,
    line_indices,
)
from fluorocode.rules.cl01_known_codes import KnownCodesRule
from fluorocode.rules.cl02_modifier_limit import ModifierLimitRule
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
from fluorocode.rules.payers import PayerProfile, baseline, report_block
from fluorocode.rules.py01_payer_bundle import PayerBundleRule

RULES: tuple[Rule, ...] = (
    DemoEditionRule(),
    KnownCodesRule(),
    CodeDeletedRule(),
    PtpRule(),
    PayerBundleRule(),
    IntegralRule(),
    GuidanceCodeRule(),
    AddOnRule(),
    DocumentationRule(),
    Modifier26Rule(),
    MueRule(),
    NoteRule(),
    ModifierLimitRule(),
)

#: Members asked of every line, as module constants (a class lookup is slow on 3.11)
_KEEP, _REMOVE = Action.KEEP, Action.REMOVE

NO_DATA_CITATION = "CMS NCCI edit files: an edition answers only what its tables cover"

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
    finding = Finding("edition.no-data", Status.NO_DATA, (), why, {}, NO_DATA_CITATION)
    return Report(encounter.id, ReportStatus.NO_DATA, None, lines, (finding,))


def _coverage_gap(encounter: Encounter, edits: EditLookup, table: Table) -> str | None:
    """Why this edition cannot answer this claim at all, or None when it can."""
    info = edits.info
    if not edits.has_table(table):
        name = f"The {info.program.value} {info.quarter} edition"
        held = ", ".join(sorted(info.tables)) or "no tables"
        return (
            f"{name} has no {table.value} table (it holds {held}), so a "
            f"{encounter.claim_type.value} claim cannot be checked against it. Import the "
            "CMS PTP files of this quarter (fluorocode editions import)."
        )
    first = edits.first_effective(table)
    dos = encounter.date_of_service
    if first is not None and dos < first:
        name = f"The {info.program.value} {info.quarter} edition"
        return (
            f"The date of service {dos.isoformat()} is before the first edit of {name}'s "
            f"{table.value} table ({first.isoformat()}): it has no data for that date, "
            "and the claim was not checked."
        )
    return None


def evaluate(
    encounter: Encounter,
    edits: EditLookup,
    rules: Sequence[Rule] = RULES,
    payer: PayerProfile | None = None,
) -> Report:
    """Check one encounter against one edition, under ``payer`` (default: the built-in
    profile of the encounter's program, whose reports carry no ``payer`` block)."""
    if payer is None:
        payer = baseline(encounter.program)
    ptp_table, mue_table, _ = _TABLES[encounter.claim_type]
    gap = _coverage_gap(encounter, edits, ptp_table)
    if gap is not None:
        return no_edition_report(encounter, gap)
    edition, table_evidence = _edition_of(edits, encounter.claim_type)
    findings: list[Finding] = []
    dos = encounter.date_of_service
    rows = edits.ptp_among(ptp_table, (*encounter.codes, FLUORO))
    in_force = tuple([r for r in rows if r.in_force(dos)])
    states = [
        LineState(i, ln.code, ln.modifiers, ln.units, _KEEP)
        for i, ln in enumerate(encounter.lines)
    ]
    # rules change lines' actions, modifiers and units, never their codes
    claim_ptp = claim_edits(in_force, states)
    indices = line_indices(states)
    prompts: dict[tuple[str, int], Prompt] = {}
    suggestions: list[Suggestion] = []
    applied: set[str] = set()

    def context(lines: tuple[LineState, ...]) -> RuleContext:
        return RuleContext(
            encounter,
            edits,
            ptp_table,
            mue_table,
            in_force,
            claim_ptp,
            lines,
            edition,
            table_evidence,
            payer,
            indices,
        )

    ctx = context(tuple(states))
    for rule in rules:
        try:
            outcome = rule.evaluate(ctx)
        except Exception as exc:  # contain a rule's crash: report it, never pass it
            findings.append(_rule_error(rule, exc))
            continue
        # most rules decide nothing about most claims: each part is looked at only
        # when there is something in it
        if outcome.changes_lines():
            merged = _merge(states, outcome)
            if merged is not None:
                states = merged
                ctx = context(tuple(states))  # the next rule sees the decisions
        if outcome.findings:
            findings += outcome.findings
        for p in outcome.prompts:
            prompts.setdefault((p.kind, p.line), p)
        if outcome.suggestions:
            suggestions += outcome.suggestions
        if outcome.departures:
            applied |= outcome.departures
    removed = {s.index for s in states if s.action is _REMOVE}
    lines = tuple(states)  # a line's state is its result (``base.LineState``)
    final_findings = tuple(findings)
    return Report(
        encounter_id=encounter.id,
        status=report_status(lines, final_findings),
        edition=edition,
        lines=lines,
        findings=final_findings,
        prompts=tuple(p for p in prompts.values() if p.line not in removed),
        suggestions=tuple(suggestions),
        payer=None if payer.is_baseline else report_block(payer, applied),
    )


#: The edition block and the per-table edition evidence of each (edition, claim type),
#: built once and shared by every report of that edition: they are read, never written
#: (issue 11). Keyed by the identity of the edition's ``info``, which an entry holds on
#: to, so a key cannot be reused by another edition while its entry lives.
_EDITIONS: dict[
    tuple[int, ClaimType],
    tuple[EditionInfo, dict[str, Any], dict[Table, dict[str, Any]]],
] = {}
_EDITIONS_KEPT = 64


def _edition_of(
    edits: EditLookup, claim_type: ClaimType
) -> tuple[dict[str, Any], dict[Table, dict[str, Any]]]:
    info = edits.info
    key = (id(info), claim_type)
    entry = _EDITIONS.get(key)
    if entry is None or entry[0] is not info:
        if len(_EDITIONS) >= _EDITIONS_KEPT:
            _EDITIONS.clear()
        entry = _EDITIONS[key] = (info, edition_block(edits, claim_type), {})
    return entry[1], entry[2]


def _rule_error(rule: Rule, exc: Exception) -> Finding:
    """The ``engine.rule-error`` finding of a crashed rule, logged without the message."""
    # only a crash needs them: a check never imports logging (issue 11: start-up)
    import logging
    import traceback

    frame = traceback.extract_tb(exc.__traceback__)[-1:]
    place = f"{frame[0].filename}:{frame[0].lineno}" if frame else "?"
    logging.getLogger("fluorocode.rules").error(
        "rule %s (%s) could not run: %s at %s",
        rule.code,
        rule.name,
        type(exc).__name__,
        place,
    )
    return Finding(
        "engine.rule-error",
        Status.ERROR,
        (),
        f"Rule {rule.code} ({rule.name}) could not run ({type(exc).__name__}); the claim "
        "was not fully checked.",
        {"rule": rule.code, "name": rule.name, "error": type(exc).__name__},
        "fluorocode engine: a rule that cannot run is never a pass",
    )


def _merge(states: list[LineState], outcome: Outcome) -> list[LineState] | None:
    """The lines after ``outcome``'s decisions, or None when it changed none of them."""
    actions, adds = outcome.actions, outcome.add_modifiers
    drops, units_of = outcome.drop_modifiers, outcome.units
    merged: list[LineState] | None = None
    # most decisions are actions alone: no set of lines to build then
    decided = (
        actions.keys() | adds.keys() | drops.keys() | units_of.keys()
        if adds or drops or units_of
        else actions.keys()
    )
    for i in decided:
        s = states[i]
        drop = drops.get(i, ())
        mods = tuple(m for m in s.modifiers if m not in drop) if drop else s.modifiers
        for m in adds.get(i, ()):
            if m not in mods:
                # a pricing modifier (26, TC) goes first, as claim forms expect
                mods = (m, *mods) if m in PRICING_MODIFIERS else (*mods, m)
        units = units_of.get(i, s.units)
        action = actions.get(i, _KEEP)
        if ACTION_RANK[action] < ACTION_RANK[s.action]:
            action = s.action
        if (mods != s.modifiers or units != s.units) and action is _KEEP:
            action = Action.MODIFY
        if (mods, units, action) != (s.modifiers, s.units, s.action):
            if merged is None:
                merged = list(states)
            merged[i] = LineState(i, s.code, mods, units, action)
    return merged
