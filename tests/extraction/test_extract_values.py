"""Fluoroscopy time and dose: every phrasing family and every unit (domain.md §5.2)."""

from __future__ import annotations

import math

import pytest

from fluorocode.extraction import extract

from . import phrases as P


@pytest.mark.parametrize(("text", "minutes"), P.TIME)
def test_time_phrasings(text: str, minutes: float) -> None:
    facts = extract(text)
    assert facts.minutes == minutes
    (evidence,) = facts.evidence_for("minutes")
    assert evidence.text == text[evidence.start : evidence.end]
    assert evidence.pattern.startswith("time.")


@pytest.mark.parametrize("text", P.TIME_NOT_READ)
def test_time_traps(text: str) -> None:
    assert extract(text).minutes is None


def test_unitless_time_is_minutes_with_a_warning() -> None:
    facts = extract("Fluoroscopy time 2.5")
    assert facts.minutes == 2.5
    assert [w.message for w in facts.warnings] == ["no unit written; read as minutes"]


def test_time_bound_is_not_a_value() -> None:
    facts = extract("Fluoroscopy time of less than 1 minute.")
    assert facts.minutes is None
    assert facts.fluoroscopy_used is True
    (warning,) = facts.warnings
    assert warning.field == "minutes" and "bound" in warning.message


def test_total_time_wins_and_the_other_is_reported() -> None:
    facts = extract("Fluoroscopy time 1.5 mins; total fluoroscopy time 2.5 mins.")
    assert facts.minutes == 2.5
    (warning,) = facts.warnings
    assert warning.value == 1.5


@pytest.mark.parametrize(("text", "mgy"), P.AIR_KERMA)
def test_air_kerma_phrasings_and_units(text: str, mgy: float) -> None:
    facts = extract(text)
    assert facts.air_kerma_mgy is not None
    assert math.isclose(facts.air_kerma_mgy, mgy, rel_tol=1e-9)
    (evidence,) = facts.evidence_for("air_kerma_mgy")
    assert evidence.text == text[evidence.start : evidence.end]


@pytest.mark.parametrize(("text", "gycm2"), P.DAP)
def test_dose_area_product_units(text: str, gycm2: float) -> None:
    facts = extract(text)
    assert facts.dose_area_product_gycm2 is not None
    assert math.isclose(facts.dose_area_product_gycm2, gycm2, rel_tol=1e-9)


@pytest.mark.parametrize("text", P.DOSE_NOT_READ)
def test_dose_traps(text: str) -> None:
    facts = extract(text)
    assert facts.air_kerma_mgy is None
    assert facts.dose_area_product_gycm2 is None


def test_slash_in_a_dap_unit_is_read_as_a_product_and_warned() -> None:
    facts = extract("DAP 3.5 cGy/cm²")
    assert facts.dose_area_product_gycm2 == 0.035
    (warning,) = facts.warnings
    assert "slash" in warning.message


def test_total_dose_wins_among_several() -> None:
    text = (
        "Plane A air kerma 300 mGy, plane B air kerma 200 mGy, total air kerma 500 mGy."
    )
    facts = extract(text)
    assert facts.air_kerma_mgy == 500.0
    assert sorted(w.value for w in facts.warnings if w.value) == [200.0, 300.0]


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("Fluoroscopy time 900 minutes.", "minutes", 900.0),
        ("Fluoroscopy time -2 min.", "minutes", -2.0),
        ("Under fluoroscopy. Air kerma -2 mGy.", "air_kerma_mgy", -2.0),
        ("Under fluoroscopy. Air kerma 60,000 mGy.", "air_kerma_mgy", 60000.0),
        ("Under fluoroscopy. Air kerma 51 Gy.", "air_kerma_mgy", 51000.0),
        ("DAP 20,000 Gy·cm².", "dose_area_product_gycm2", 20000.0),
        ("DAP -1 Gy·cm².", "dose_area_product_gycm2", -1.0),
    ],
)
def test_implausible_values_are_flagged_not_kept(
    text: str, field: str, value: float
) -> None:
    facts = extract(text)
    assert getattr(facts, field) is None
    assert not facts.evidence_for(field)
    (warning,) = [w for w in facts.warnings if w.field == field]
    assert warning.value == value
    assert warning.start is not None and warning.end is not None
    assert "not kept" in warning.message


def test_values_at_the_limits_are_kept() -> None:
    facts = extract("Fluoroscopy time 600 minutes. Air kerma 50,000 mGy.")
    assert facts.minutes == 600.0
    assert facts.air_kerma_mgy == 50000.0
    assert facts.warnings == ()


def test_a_stated_zero_time_means_not_used() -> None:
    facts = extract("FLUOROSCOPY TIME:  0 minutes.")
    assert facts.minutes == 0.0
    assert facts.fluoroscopy_used is False
