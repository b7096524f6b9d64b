"""Was fluoroscopy used? Negation, plans, history and look-alike words, not keywords."""

from __future__ import annotations

import pytest

from fluorocode.extraction import extract

from . import phrases as P


@pytest.mark.parametrize("text", P.USED)
def test_used(text: str) -> None:
    facts = extract(text)
    assert facts.fluoroscopy_used is True
    (evidence,) = facts.evidence_for("fluoroscopy_used")
    assert evidence.text == text[evidence.start : evidence.end]


@pytest.mark.parametrize("text", P.NOT_USED)
def test_mentioned_but_not_used(text: str) -> None:
    facts = extract(text)
    assert facts.fluoroscopy_used is False
    (evidence,) = facts.evidence_for("fluoroscopy_used")
    assert evidence.text == text[evidence.start : evidence.end]


@pytest.mark.parametrize("text", P.NOT_MENTIONED)
def test_not_mentioned(text: str) -> None:
    facts = extract(text)
    assert facts.fluoroscopy_used is None
    assert facts.evidence == ()


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("Done without fluoroscopy.", "negation.without"),
        ("The C-arm was draped but not used.", "negation.not_needed_after"),
        ("We will plan an injection under fluoroscopy.", "hypothetical.plan"),
        ("Prior fluoroscopy showed a fracture.", "historical.previous"),
    ],
)
def test_the_deciding_modifier_is_the_evidence(text: str, pattern: str) -> None:
    (evidence,) = extract(text).evidence_for("fluoroscopy_used")
    assert evidence.pattern == pattern
    assert "fluoro" in evidence.text.lower() or "c-arm" in evidence.text.lower()


def test_one_affirmed_mention_is_enough() -> None:
    text = (
        "Fluoroscopy was not needed for the block. Later the C-arm confirmed the tip."
    )
    assert extract(text).fluoroscopy_used is True


def test_a_dose_alone_affirms_use() -> None:
    assert extract("X-ray dose 35 mGy.").fluoroscopy_used is True


def test_a_modifier_does_not_cross_a_sentence() -> None:
    text = "No sedation was given. Fluoroscopy confirmed the position."
    assert extract(text).fluoroscopy_used is True


def test_a_modifier_does_not_cross_a_terminator() -> None:
    text = "We will not sedate the patient but fluoroscopy was used throughout."
    assert extract(text).fluoroscopy_used is True
