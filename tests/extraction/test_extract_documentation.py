"""Indication, images saved, separate report and stand-alone study (domain.md §5.5)."""

from __future__ import annotations

import pytest

from fluorocode.extraction import extract

from . import phrases as P


@pytest.mark.parametrize(("text", "indication"), P.INDICATION)
def test_indication(text: str, indication: str) -> None:
    facts = extract(text)
    assert facts.indication == indication
    (evidence,) = facts.evidence_for("indication")
    assert evidence.text == text[evidence.start : evidence.end]
    assert " ".join(evidence.text.split()).startswith(indication.split(";")[0][:20])


@pytest.mark.parametrize("text", P.NO_INDICATION)
def test_no_indication(text: str) -> None:
    assert extract(text).indication is None


def test_long_indication_is_capped() -> None:
    reason = " ".join(["severe pain"] * 80)
    facts = extract(f"INDICATION: {reason}.\nUnder fluoroscopy the needle was placed.")
    assert facts.indication is not None
    assert len(facts.indication) <= 240
    assert reason.startswith(facts.indication)


@pytest.mark.parametrize(("text", "saved"), P.IMAGES)
def test_images_saved(text: str, saved: bool | None) -> None:
    facts = extract(text)
    assert facts.images_saved is saved
    if saved is not None:
        (evidence,) = facts.evidence_for("images_saved")
        assert evidence.text == text[evidence.start : evidence.end]


@pytest.mark.parametrize(("text", "report"), P.REPORT)
def test_separate_report(text: str, report: bool | None) -> None:
    assert extract(text).separate_report is report


@pytest.mark.parametrize(("text", "standalone"), P.STANDALONE)
def test_standalone(text: str, standalone: bool | None) -> None:
    facts = extract(text)
    assert facts.standalone is standalone
    if standalone is not None:
        assert facts.evidence_for("standalone")


def test_documentation_needs_a_fluoroscopy_mention() -> None:
    text = "INDICATION: Hip fracture.\nImages were saved to PACS. See radiology report."
    facts = extract(text)
    assert (facts.indication, facts.images_saved, facts.separate_report) == (
        None,
        None,
        None,
    )
