"""What the engine's speed work (issue 11, round 2) must not change.

Value types made cheap still behave as values; NC01's evidence, built once per edit row
and shared, is still ``finding_evidence``'s, and a finding that adds to it never
changes what the others share; the single-judgement shortcut and the grouping give the
same findings as grouping always would.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
from datetime import date
from typing import Any

from fluorocode.domain.claim import ClaimLine, Encounter
from fluorocode.domain.encounter_input import parse_encounter
from fluorocode.domain.findings import Action, Finding, LineResult, Report, Status
from fluorocode.rules import nc01_ptp
from fluorocode.rules._confirmation import Decision
from fluorocode.rules.base import table_evidence
from fluorocode.rules.engine import evaluate
from payers._profiles import ONLY_59, profile

from ._editions import build_edition


def check(lines: list[Any], **extra: Any) -> Report:
    encounter = {
        "id": "speed",
        "date_of_service": "2024-08-15",
        "place_of_service": "22",
        "lines": lines,
    }
    payer = extra.pop("payer", None)
    return evaluate(
        parse_encounter({**encounter, **extra}), build_edition(), payer=payer
    )


def test_value_types_compare_hash_replace_and_pickle_as_frozen_dataclasses_did() -> (
    None
):
    line = LineResult(1, "76000", ("26",), 1, Action.MODIFY)
    same = LineResult(1, "76000", ("26",), 1, Action.MODIFY)
    assert line == same and hash(line) == hash(same) and line is not same
    assert {line, same} == {line}
    moved = dataclasses.replace(line, action=Action.HOLD)
    assert moved.action is Action.HOLD and line.action is Action.MODIFY
    assert pickle.loads(pickle.dumps(line)) == line
    assert copy.deepcopy(line) == line
    assert not hasattr(line, "__dict__")  # slots: nothing can be added to one
    # a decision is a dict key in FL02's grouping
    decision = Decision(Status.FAIL, Action.HOLD, None, "not asked")
    assert {decision: 1}[Decision(Status.FAIL, Action.HOLD, None, "not asked")] == 1
    encounter = Encounter("e", date(2024, 8, 15), "22", (ClaimLine("76000"),))
    assert pickle.loads(pickle.dumps(encounter)) == encounter
    finding = Finding("r", Status.PASS, (0,), "m", {"a": 1}, "c")
    assert finding.to_dict()["evidence"] == {"a": 1}


def test_ptp_evidence_is_finding_evidence_and_shared_by_every_check_of_a_row() -> None:
    lines = [{"code": "29880"}, {"code": "29875"}]
    first, second = check(lines), check(lines)
    (one,) = [f for f in first.findings if f.rule.startswith("ptp.")]
    (two,) = [f for f in second.findings if f.rule.startswith("ptp.")]
    edition = build_edition()
    (edit,) = [
        e
        for e in edition.ptp_among(first_table(), ["29880", "29875"])
        if e.column1 == "29880" and e.column2 == "29875"
    ]
    assert first.edition is not None
    table = table_evidence(first.edition, first_table())
    assert one.evidence == nc01_ptp.finding_evidence(edit, table) == two.evidence
    assert one.evidence is two.evidence  # built once for the row
    assert one.to_dict() == two.to_dict()


def test_a_payer_departure_is_added_to_a_copy_never_to_the_shared_evidence() -> None:
    lines = [{"code": "29880"}, {"code": "29875", "modifiers": ["XS"]}]
    medicare = check(lines)
    payer = check(lines, payer=profile(ONLY_59))
    (held,) = [f for f in payer.findings if f.rule == "ptp.modifier-required"]
    assert held.evidence["payer_departure"]["id"] == "ptp_bypass_modifiers"
    again = check(lines)
    (bypassed,) = [f for f in again.findings if f.rule == "ptp.bypassed"]
    assert "payer_departure" not in bypassed.evidence
    assert medicare.to_dict() == again.to_dict()
    assert {k: v for k, v in held.evidence.items() if k != "payer_departure"} == (
        bypassed.evidence
    )


def test_lines_of_one_code_are_grouped_into_one_finding_per_row_and_outcome() -> None:
    # two 29875 lines and two 29880 lines of two anatomic variants: four judgements
    lines = [
        {"code": "29880"},
        {"code": "29875"},
        {"code": "29880", "modifiers": ["RT"]},
        {"code": "29875"},
    ]
    report = check(lines)
    ptp = [f for f in report.findings if f.rule.startswith("ptp.")]
    assert [(f.rule, f.lines) for f in ptp] == [("ptp.modifier-required", (0, 2, 1, 3))]
    assert "29875 (lines 1 and 3)" in ptp[0].message
    assert "29880 (lines 0 and 2)" in ptp[0].message
    # (the second line of each code is MUE's to remove: one per day, MAI 2)
    assert report.lines[1].action is Action.HOLD


def first_table() -> Any:
    from fluorocode.domain.edits import Table

    return Table.PTP_PRACTITIONER


def test_messages_parsed_once_read_as_format_map_would() -> None:
    fields = {
        "c1": "29880",
        "c2": "29875",
        "refs1": "lines 0 and 2",
        "refs2": "line {1}",  # a value is never read as a template
        "rationale": "CPT Separate procedure definition",
        "tried": " The modifier XS cannot bypass it.",
    }
    for template in (nc01_ptp.WHERE, nc01_ptp.BUNDLED, "{{c1}} {c1}}}{c2}"):
        assert nc01_ptp._Filled(template)(fields) == template.format_map(fields)
    required = nc01_ptp.REQUIRED.format_map(
        {**fields, "where": nc01_ptp.WHERE.format_map(fields)}
    )
    assert nc01_ptp._REQUIRED_TEXT(fields) == required
