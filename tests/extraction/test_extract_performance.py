"""Fast and linear: a typical note in well under a millisecond, 5 MB does not blow up.

The budgets here are loose smoke limits (the machine is shared); the measured figures
come from ``benchmarks/bench_notes.py``.
"""

from __future__ import annotations

import time

import pytest

from fluorocode.extraction import extract

from . import phrases as P

TYPICAL = " ".join(P.all_phrases())[:3500]


def _seconds(text: str) -> float:
    start = time.perf_counter()
    extract(text)
    return time.perf_counter() - start


def test_typical_note_is_fast() -> None:
    extract(TYPICAL)  # warm: patterns compiled, pint registry built
    best = min(_seconds(TYPICAL) for _ in range(20))
    assert best < 0.005, f"{best * 1e3:.2f} ms for a {len(TYPICAL)}-character note"


def test_five_megabyte_note() -> None:
    text = ((TYPICAL + "\n") * (5_000_000 // len(TYPICAL) + 1))[:5_000_000]
    elapsed = _seconds(text)
    facts = extract(text[:4000])
    assert facts.fluoroscopy_used is True
    assert elapsed < 30, f"{elapsed:.1f} s for 5 MB"


@pytest.mark.parametrize(
    "unit",
    [
        "a",
        "fluoroscopy ",
        "fluoroscopy time ",
        "without fluoroscopy was not ",
        "12 mGy ",
        "1,2,3.4 5:55 ",
        "(((((",
        "INDICATION:\n",
        "Fluoroscopy time 1:32. ",
        "9" * 40 + " ",
        "the C-arm was draped but not used and ",
    ],
)
def test_adversarial_megabyte_is_linear(unit: str) -> None:
    text = (unit * (1_000_000 // len(unit) + 1))[:1_000_000]
    elapsed = _seconds(text)
    assert elapsed < 10, f"{elapsed:.1f} s for 1 MB of {unit!r}"


def test_pathological_repetition_is_capped_with_a_warning() -> None:
    facts = extract("Air kerma 12 mGy. " * 5000)
    assert facts.air_kerma_mgy == 12.0
    assert any(w.field == "note" and "1000" in w.message for w in facts.warnings)
