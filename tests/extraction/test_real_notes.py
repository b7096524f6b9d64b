"""The real MTSamples notes against their labels (../shared/data/notes, never copied).

Runs ``benchmarks/notes_eval.py`` and holds the figures reached; see that script for how
labels map to fields. Skipped (failed in CI) when the shared material is missing.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from .test_extract_ruleset import check_search_hints

REPO = Path(__file__).resolve().parents[2]


def _notes_eval() -> ModuleType:
    path = REPO / "benchmarks" / "notes_eval.py"
    spec = importlib.util.spec_from_file_location("notes_eval", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def evaluation(shared_data: Path) -> object:
    return _notes_eval().evaluate(shared_data / "notes")


def test_fluoroscopy_used(evaluation: object) -> None:
    score = evaluation.score("fluoroscopy_used")  # type: ignore[attr-defined]
    assert score.precision >= 0.95 and score.recall >= 0.95, score.misses


def test_every_labelled_time_and_dose_is_read_exactly(evaluation: object) -> None:
    for field in ("minutes", "air_kerma_mgy", "dose_area_product_gycm2"):
        score = evaluation.score(field)  # type: ignore[attr-defined]
        assert score.misses == [], (field, score.misses)
    assert evaluation.score("minutes").tp >= 9  # type: ignore[attr-defined]


def test_indication(evaluation: object) -> None:
    score = evaluation.score("indication")  # type: ignore[attr-defined]
    assert score.precision >= 0.95 and score.recall >= 0.95, score.misses


def test_search_hints_hold_on_the_real_notes(shared_data: Path) -> None:
    notes = sorted((shared_data / "notes").glob("mts-*.txt"))
    assert len(notes) >= 100
    check_search_hints([p.read_text(encoding="utf-8") for p in notes])
