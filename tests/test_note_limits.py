"""Issue 8: one place owns the plausibility limits, and a bound is never a value.

A note saying "fluoroscopy time less than 1 minute" used to make a claim ``clean`` with
1.0 minute documented: the reader refused the bound, and ``read_note`` brought the
refused number back as a value. Now only a value refused as implausible comes back (so
FL04 flags it as invalid); a bound leaves the time undocumented.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fluorocode.api import Checker
from fluorocode.cli import cli
from fluorocode.domain import limits
from fluorocode.domain.claim import Dose, FluoroDocumentation
from fluorocode.domain.limits import LIMITS, Verdict, judge
from fluorocode.extraction import WarningKind, extract, load_patterns
from fluorocode.extraction import reader as extraction_reader
from fluorocode.rules import fl04_documentation as fl04

BOUND_NOTE = "Fluoroscopy time less than 1 minute."

# Everything FL04 asks for except the time, so the note decides the outcome.
DOCUMENTED_BUT_TIME = {
    "indication": "Suspected diaphragm paralysis",
    "air_kerma": {"value": 3.2, "unit": "mGy"},
    "images_saved": True,
    "separate_report": True,
}


def _check(tmp_path: Path, note: str) -> Any:
    return Checker(tmp_path).check(
        {
            "id": "issue-8",
            "date_of_service": "2024-08-15",
            "place_of_service": "11",
            "billing": {"global_billing": True},
            "lines": [{"code": "76000"}],
            "documentation": {"fluoroscopy": DOCUMENTED_BUT_TIME},
            "note": note,
        }
    )


def _prompt(report: Any) -> Any:
    (prompt,) = [
        p for p in report.prompts if p.kind.value == "fluoroscopy_documentation"
    ]
    return prompt


# --- the regression ------------------------------------------------------------------


def test_a_bound_in_the_note_leaves_minutes_undocumented(tmp_path: Path) -> None:
    report = _check(tmp_path, BOUND_NOTE)
    assert report.status.value != "clean"
    assert _prompt(report).missing == ("minutes",)
    (missing,) = [
        f
        for f in report.findings
        if f.rule == "fluoro.documentation-missing" and f.status.value == "fail"
    ]
    assert missing.evidence["documented"]["minutes"] is None
    assert "fluoro.documentation-invalid" not in {f.rule for f in report.findings}
    assert report.lines[0].action.value == "hold"


def test_the_same_claim_with_a_stated_time_is_clean(tmp_path: Path) -> None:
    report = _check(tmp_path, "Fluoroscopy time 0.8 minutes.")
    assert report.status.value == "clean", report.to_dict()


def test_an_implausible_time_in_the_note_is_still_invalid(tmp_path: Path) -> None:
    report = _check(tmp_path, "Fluoroscopy time 9000 minutes.")
    invalid = [f for f in report.findings if f.rule == "fluoro.documentation-invalid"]
    assert [f.status.value for f in invalid] == ["fail"]
    assert _prompt(report).missing == ("minutes",)
    assert report.status.value != "clean"


def test_a_bound_with_another_stated_value_brings_neither_back(tmp_path: Path) -> None:
    # The first time is kept when none is labelled total: here the bound. The other
    # (implausible) number is only an ``other_value`` warning and is not a value either.
    note = "Fluoroscopy time under 1 min. Fluoroscopy time 900 min."
    facts = extract(note)
    assert {w.kind for w in facts.warnings} == {
        WarningKind.BOUND,
        WarningKind.OTHER_VALUE,
    }
    report = _check(tmp_path, note)
    assert _prompt(report).missing == ("minutes",)
    assert "fluoro.documentation-invalid" not in {f.rule for f in report.findings}


def test_extract_on_the_command_line_gives_null_and_a_bound_warning(
    tmp_path: Path,
) -> None:
    path = tmp_path / "note.txt"
    path.write_text(BOUND_NOTE + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["extract", str(path)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["minutes"] is None
    assert out["fluoroscopy_used"] is True
    (warning,) = out["warnings"]
    assert warning["field"] == "minutes"
    assert warning["kind"] == "bound"


# --- warning kinds -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("note", "field", "kind"),
    [
        (BOUND_NOTE, "minutes", "bound"),
        ("Fluoroscopy time 900 minutes.", "minutes", "implausible"),
        ("Fluoroscopy time -2 min.", "minutes", "implausible"),
        ("Under fluoroscopy. Air kerma 60,000 mGy.", "air_kerma_mgy", "implausible"),
        ("DAP -1 Gy·cm².", "dose_area_product_gycm2", "implausible"),
        ("Fluoroscopy time 2.5", "minutes", "assumed_unit"),
        ("DAP 3.5 cGy/cm²", "dose_area_product_gycm2", "slash_unit"),
        (
            "Fluoroscopy time 1.5 mins; total fluoroscopy time 2.5 mins.",
            "minutes",
            "other_value",
        ),
    ],
)
def test_every_warning_has_a_stable_kind(note: str, field: str, kind: str) -> None:
    (warning,) = extract(note).to_dict()["warnings"]
    assert (warning["field"], warning["kind"]) == (field, kind)
    assert list(warning) == ["field", "kind", "message", "value", "start", "end"]


def test_a_truncated_reading_says_so() -> None:
    facts = extract("Air kerma 12 mGy. " * 1100 + "Fluoroscopy was used.")
    (truncated,) = [w for w in facts.warnings if w.field == "note"]
    assert truncated.kind is WarningKind.TRUNCATED


# --- one definition of the limits ----------------------------------------------------


def test_the_rule_and_the_reader_share_one_definition() -> None:
    assert extraction_reader.judge is limits.judge
    assert fl04.judge is limits.judge
    # no copy of a number is kept beside the rule
    assert not [name for name in vars(fl04) if name.startswith(("MAX_", "REVIEW_"))]
    assert "limits" not in load_patterns().to_dict()


def _note_for(field: str, value: float) -> str:
    if field == "minutes":
        return f"Fluoroscopy time {value:g} minutes."
    if field == "air_kerma_mgy":
        return f"Under fluoroscopy. Air kerma {value:g} mGy."
    return f"Under fluoroscopy. DAP {value:g} Gy·cm²."


def _doc_for(field: str, value: float) -> FluoroDocumentation:
    if field == "minutes":
        return FluoroDocumentation(minutes=value)
    if field == "air_kerma_mgy":
        return FluoroDocumentation(air_kerma=Dose(value, "mGy", value))
    return FluoroDocumentation(dose_area_product=Dose(value, "Gy·cm²", value))


@pytest.mark.parametrize("field", sorted(LIMITS))
@pytest.mark.parametrize("where", ["below review", "review", "maximum", "over", "neg"])
def test_the_reader_refuses_exactly_what_the_rule_calls_invalid(
    field: str, where: str
) -> None:
    limit = LIMITS[field]
    value = {
        "below review": limit.review / 2,
        "review": limit.review + 1,
        "maximum": limit.maximum,
        "over": limit.maximum + 1,
        "neg": -1.0,
    }[where]
    facts = extract(_note_for(field, value))
    refused_by_reader = getattr(facts, field) is None
    invalid_for_rule = bool(fl04.invalid_values(_doc_for(field, value)))
    assert refused_by_reader == invalid_for_rule == judge(field, value).refused
    reviewed = bool(fl04.review_levels(_doc_for(field, value)))
    assert reviewed == (judge(field, value).verdict is Verdict.REVIEW)


# --- the limits themselves (domain.md §5.4) ------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "verdict"),
    [
        ("minutes", 0.0, Verdict.PLAUSIBLE),
        ("minutes", 60.0, Verdict.PLAUSIBLE),  # review is "over 60 min"
        ("minutes", 60.01, Verdict.REVIEW),
        ("minutes", 600.0, Verdict.REVIEW),  # at the limit: plausible
        ("minutes", 600.01, Verdict.IMPLAUSIBLE),
        ("minutes", -0.5, Verdict.IMPOSSIBLE),
        ("air_kerma_mgy", 4_999.0, Verdict.PLAUSIBLE),
        ("air_kerma_mgy", 5_000.0, Verdict.REVIEW),  # "at or over 5,000 mGy"
        ("air_kerma_mgy", 50_000.0, Verdict.REVIEW),
        ("air_kerma_mgy", 50_001.0, Verdict.IMPLAUSIBLE),
        ("dose_area_product_gycm2", 499.0, Verdict.PLAUSIBLE),
        ("dose_area_product_gycm2", 500.0, Verdict.REVIEW),
        ("dose_area_product_gycm2", 10_000.5, Verdict.IMPLAUSIBLE),
        ("dose_area_product_gycm2", math.nan, Verdict.IMPOSSIBLE),
        ("air_kerma_mgy", math.inf, Verdict.IMPLAUSIBLE),
    ],
)
def test_judge_follows_domain_5_4(field: str, value: float, verdict: Verdict) -> None:
    judgement = judge(field, value)
    assert judgement.verdict is verdict
    assert judgement.refused == (verdict in (Verdict.IMPLAUSIBLE, Verdict.IMPOSSIBLE))
    assert bool(judgement.reason) == (verdict is not Verdict.PLAUSIBLE)


def test_zero_minutes_is_a_value_for_the_reader_but_invalid_for_a_billed_76000() -> (
    None
):
    assert extract("FLUOROSCOPY TIME: 0 minutes.").minutes == 0.0
    assert [item for item, _ in fl04.invalid_values(_doc_for("minutes", 0.0))] == [
        "minutes"
    ]
