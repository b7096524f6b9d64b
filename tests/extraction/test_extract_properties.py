"""Hypothesis: unit round trips, and extraction never raises on arbitrary text."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fluorocode.extraction import NoteFacts, extract


@pytest.fixture(scope="module", autouse=True)
def _warm() -> None:
    """Compile the patterns and build the unit registry outside Hypothesis' deadline."""
    extract("Fluoroscopy time 1:32. Air kerma 1 mGy; DAP 1 Gy·cm².")


def _plain(value: float) -> str:
    """A decimal spelling without exponent, as a note would write it."""
    text = f"{value:.9f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


# Values written with at most 3 decimals (as devices display them), from 0.001 up.
milligray = st.integers(min_value=1, max_value=49_999_000).map(lambda n: n / 1000)
gy_cm2 = st.integers(min_value=1, max_value=9_999_000).map(lambda n: n / 1000)


@given(milligray, st.sampled_from([("mGy", 1.0), ("cGy", 10.0), ("Gy", 1000.0)]))
def test_air_kerma_round_trips_through_every_unit(
    mgy: float, unit: tuple[str, float]
) -> None:
    name, factor = unit
    facts = extract(f"Reference air kerma {_plain(mgy / factor)} {name}.")
    assert facts.air_kerma_mgy is not None
    assert math.isclose(facts.air_kerma_mgy, mgy, rel_tol=1e-6, abs_tol=1e-6)


@given(
    gy_cm2,
    st.sampled_from(
        [
            ("Gy·cm²", 1.0),
            ("µGy·m²", 0.01),
            ("uGy*m2", 0.01),
            ("cGy·cm²", 0.01),
            ("mGy·cm²", 0.001),
            ("dGy·cm²", 0.1),
            ("Gy-cm2", 1.0),
        ]
    ),
)
def test_dose_area_product_round_trips(gycm2: float, unit: tuple[str, float]) -> None:
    name, factor = unit
    facts = extract(f"DAP {_plain(gycm2 / factor)} {name}.")
    assert facts.dose_area_product_gycm2 is not None
    assert math.isclose(facts.dose_area_product_gycm2, gycm2, rel_tol=1e-6)


@given(gy_cm2)
def test_gycm2_to_ugym2_and_back(gycm2: float) -> None:
    as_ugym2 = extract(f"KAP {_plain(gycm2 * 100)} µGy·m²").dose_area_product_gycm2
    assert as_ugym2 is not None
    back = extract(f"KAP {_plain(as_ugym2)} Gy·cm²").dose_area_product_gycm2
    assert back is not None
    assert math.isclose(back, gycm2, rel_tol=1e-9)


@given(st.integers(min_value=0, max_value=36_000))
def test_seconds_become_minutes(seconds: int) -> None:
    facts = extract(f"Fluoroscopy time: {seconds} seconds.")
    assert facts.minutes == round(seconds / 60, 2)


@given(st.integers(min_value=0, max_value=599), st.integers(min_value=0, max_value=59))
def test_clock_and_words_agree(minutes: int, seconds: int) -> None:
    clock = extract(f"Fluoro time {minutes}:{seconds:02d}").minutes
    words = extract(f"Fluoroscopy time {minutes} minutes {seconds} seconds").minutes
    assert clock == words == round(minutes + seconds / 60, 2)


def _check(text: str) -> None:
    facts = extract(text)
    assert isinstance(facts, NoteFacts)
    for ev in facts.evidence:
        assert text[ev.start : ev.end] == ev.text
    for name in ("minutes", "air_kerma_mgy", "dose_area_product_gycm2"):
        value = getattr(facts, name)
        assert value is None or (value >= 0 and math.isfinite(value))
        if value is not None:
            assert facts.evidence_for(name)


@settings(max_examples=300)
@given(st.text())
def test_never_raises_on_arbitrary_text(text: str) -> None:
    _check(text)


FRAGMENTS = (
    "fluoroscopy|Fluoro|C-arm|time|FT|:| |  |.|. |\n|1|0|1:32|00:48|12.4|1,250|-|–"
    "|minutes|min|s|seconds|mGy|cGy|Gy|Gy·cm²|µGy·m²|cGy/cm²|milligray|dose|air kerma"
    "|DAP|without|not|was|needed|will|plan|prior|INDICATION:|HISTORY|1.  |images|saved"
    "|no|separate|report|barium swallow|under|fractions|skin dose|İ|🙂|(|)|mini"
).split("|")


@settings(max_examples=500)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60).map("".join))
def test_never_raises_on_note_like_noise(text: str) -> None:
    _check(text)
