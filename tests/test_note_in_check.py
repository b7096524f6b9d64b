"""``check`` reads the note: it fills what the structured block leaves absent, only that."""

from __future__ import annotations

from pathlib import Path

from fluorocode.api import Checker

NOTE = (
    "INDICATION: Suspected diaphragm paralysis. A fluoroscopic sniff test was performed. "
    "Fluoroscopy time 2 minutes 15 seconds. Air kerma 4.1 mGy. Images were saved."
)


def check(tmp_path: Path, codes: list[str], note: str, fluoro: dict | None = None):  # type: ignore[no-untyped-def,type-arg]
    enc = {
        "id": "n",
        "date_of_service": "2024-08-15",
        "place_of_service": "11",
        "billing": {"global_billing": True},
        "lines": [{"code": c} for c in codes],
        "note": note,
    }
    if fluoro is not None:
        enc["documentation"] = {"fluoroscopy": fluoro}
    return Checker(tmp_path).check(enc)


def test_note_fills_absent_fields_with_evidence(tmp_path: Path) -> None:
    report = check(tmp_path, ["99213", "76000"], NOTE)
    (missing,) = [
        f for f in report.findings if f.rule == "fluoro.documentation-missing"
    ]
    assert missing.evidence["documented"]["minutes"] == 2.25
    assert missing.evidence["documented"]["air_kerma_mgy"] == 4.1
    spans = {s["field"] for s in missing.evidence["from_note"]}
    assert {"minutes", "air_kerma"} <= spans
    (prompt,) = [
        p for p in report.prompts if p.kind.value == "fluoroscopy_documentation"
    ]
    assert "minutes" not in prompt.missing and "dose" not in prompt.missing
    assert "separate_report" in prompt.missing


def test_structured_values_win_over_the_note(tmp_path: Path) -> None:
    report = check(tmp_path, ["99213", "76000"], NOTE, {"minutes": 1.0})
    (finding,) = [
        f for f in report.findings if f.rule == "fluoro.documentation-missing"
    ]
    assert finding.evidence["documented"]["minutes"] == 1.0


def test_an_impossible_value_in_the_note_is_invalid_not_missing(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        ["99213", "76000"],
        NOTE.replace("2 minutes 15 seconds", "900 minutes"),
    )
    rules = {(f.rule, f.status.value) for f in report.findings}
    assert ("fluoro.documentation-invalid", "fail") in rules
    assert report.lines[1].action.value == "hold"


def test_note_with_bundled_fluoroscopy_adds_nothing(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        ["29880"],
        "Arthroscopic meniscectomy. Fluoroscopy was used to confirm portal placement.",
    )
    assert ("fluoro.not-separately-billable", "info") in {
        (f.rule, f.status.value) for f in report.findings
    }
    assert report.suggestions == ()


def test_a_standalone_study_in_the_note_is_suggested_never_added(
    tmp_path: Path,
) -> None:
    report = check(tmp_path, ["99213"], NOTE)
    assert [s.code for s in report.suggestions] == ["76000"]
    assert [ln.code for ln in report.lines] == ["99213"]
