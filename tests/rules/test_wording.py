"""Issue 8, wording: what a finding says must be true of the claim as it goes out."""

from __future__ import annotations

import re
from typing import Any

from fluorocode.domain.encounter_input import parse_encounter
from fluorocode.domain.findings import Action, Report, Status
from fluorocode.errors import EditFileFormatError
from fluorocode.rules.engine import RULES, evaluate

from ._editions import build_edition


def check(lines: list[dict[str, Any]], **extra: Any) -> Report:
    encounter = {
        "id": "w",
        "date_of_service": "2024-08-15",
        "place_of_service": "22",
        "lines": lines,
        **extra,
    }
    return evaluate(parse_encounter(encounter), build_edition())


def test_no_finding_tells_anyone_to_hold_a_line_another_rule_removes() -> None:
    # 76000 meets 29880 (indicator 1: not asked) and 33289 (indicator 0: removed)
    report = check([{"code": "29880"}, {"code": "33289"}, {"code": "76000"}])
    assert report.lines[2].action is Action.REMOVE
    required = [f for f in report.findings if f.rule == "ptp.modifier-required"]
    assert required, "the indicator-1 edit is still reported, as a fact"
    for finding in report.findings:
        assert not re.search(r"\bhold\b", finding.message, re.IGNORECASE), finding
    assert not [p for p in report.prompts if p.line == 2]


def test_modifier_26_added_is_information_not_a_failure() -> None:
    report = check([{"code": "71046"}, {"code": "76000"}])
    (finding,) = [f for f in report.findings if f.rule == "fluoro.modifier-26"]
    assert finding.status is Status.INFO and "is appended" in finding.message
    assert report.lines[1].modifiers[0] == "26"


def test_articles_read_right_for_guidance_add_ons() -> None:
    report = check([{"code": "77002"}])
    (finding,) = [f for f in report.findings if f.rule == "aoc.primary-missing"]
    assert "is a guidance add-on code" in finding.message
    assert " an guidance" not in finding.message


def test_a_file_error_names_a_column_once() -> None:
    message = str(EditFileFormatError("f.TXT", "not a code", 3, "column2"))
    assert "column column" not in message and "column2" in message
    assert (
        str(EditFileFormatError("m.csv", "bad", 2, 4)) == "m.csv, line 2, column 4: bad"
    )


def test_citations_name_public_sources_never_a_file_of_this_repository() -> None:
    # design.md and domain.md are the team's notes, not in the repository or public
    reports = [
        check([{"code": "29880"}, {"code": "76000"}]),
        check([{"code": "27506"}, {"code": "76000"}]),
        check([{"code": "77002"}, {"code": "99999"}], note="fluoroscopy was used"),
    ]
    citations = {f.citation for r in reports for f in r.findings}
    assert citations
    for citation in citations:
        assert ".md" not in citation, citation
    for rule in RULES:
        module = __import__(type(rule).__module__, fromlist=["CITATION"])
        assert ".md" not in getattr(module, "CITATION", ""), rule.code


def test_policy_sources_in_evidence_are_public_too() -> None:
    from fluorocode.rules.policy import fluoro_policy

    policy = fluoro_policy()
    sources = [f.source for f in policy.integral] + [policy.imaging_included.source]
    sources += [d.source for d in policy.deleted.values()] + [policy.pctc_source]
    for source in sources:
        assert ".md" not in source, source
