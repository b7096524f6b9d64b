"""Issue 8: a check's work and output grow with its lines, never with their pairs.

Before the fix, 2,000 alternating 29880-RT/76000 lines gave 1,002,002 findings and 1.76 GB
of output, and 100,000 lines were OOM-killed. Now an encounter has at most 50 lines
(professional) or 999 (institutional) and the PTP and integral findings are grouped by
edit row and outcome.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from fluorocode.domain.encounter_input import parse_encounter
from fluorocode.domain.findings import Action, ReportStatus
from fluorocode.errors import ClaimInputError
from fluorocode.rules.engine import evaluate

from ._editions import build_edition


def alternating(n: int, claim_type: str = "institutional") -> dict[str, Any]:
    lines = [
        {"code": "29880", "modifiers": ["RT"]} if i % 2 == 0 else {"code": "76000"}
        for i in range(n)
    ]
    return {
        "id": "many",
        "date_of_service": "2024-08-15",
        "place_of_service": "22",
        "claim_type": claim_type,
        "lines": lines,
    }


def report_size(n: int) -> tuple[int, int]:
    report = evaluate(parse_encounter(alternating(n)), build_edition())
    body = json.dumps(report.to_dict())
    return len([f for f in report.findings if f.rule.startswith("ptp.")]), len(body)


def test_output_grows_linearly_with_the_lines() -> None:
    small_findings, small = report_size(100)
    large_findings, large = report_size(999)
    # one PTP finding per edit row and outcome, not one per pair of lines
    assert large_findings == small_findings == 1
    # ten times the lines, about ten times the bytes (each line, prompt and index once)
    assert large < 12 * small, (small, large)


def test_the_grouped_finding_names_every_line_and_decides_each() -> None:
    report = evaluate(parse_encounter(alternating(999)), build_edition())
    ptp = [f for f in report.findings if f.rule == "ptp.modifier-required"]
    assert len(ptp) == 1
    assert set(ptp[0].lines) == set(range(999))
    assert "and 495 more" in ptp[0].message  # the message names five, the list all
    held = [ln for ln in report.lines if ln.code == "76000"]
    assert {ln.action for ln in held} == {Action.HOLD}
    # distinct indication, documentation and units: one of each per held line
    assert len(report.prompts) == 3 * len(held)
    assert report.status is ReportStatus.NEEDS_PROVIDER_INPUT


@pytest.mark.parametrize(
    ("claim_type", "cap"), [("professional", 50), ("institutional", 999)]
)
def test_lines_over_the_cap_are_refused_before_any_work(
    claim_type: str, cap: int
) -> None:
    parse_encounter(alternating(cap, claim_type))
    with pytest.raises(ClaimInputError) as caught:
        parse_encounter(alternating(100_000, claim_type))
    (error,) = caught.value.errors
    assert (error.field, error.kind) == ("lines", "too_many_lines")
    assert f"at most {cap}" in error.message


def test_the_line_cap_is_a_setting() -> None:
    with pytest.raises(ClaimInputError):
        parse_encounter(alternating(11, "institutional"), max_lines=10)
    assert len(parse_encounter(alternating(60), max_lines=60).lines) == 60
