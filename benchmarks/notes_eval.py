"""Evaluate fluorocode.extraction on the real MTSamples notes against their labels.

Usage::

    .venv/bin/python benchmarks/notes_eval.py [NOTES_DIR]

NOTES_DIR defaults to ``../shared/data/notes`` (beside the repository). Prints, per
field the labels cover, precision and recall, then every miss by note id and field with
the expected and extracted values, then one summary line. Never prints note text
(indication phrases are reported only as present/absent).

How labels (``index.csv``, see the notes' README) map to fields:

* ``fluoroscopy_used``: positive = ``yes``; negative = ``no`` and ``not_mentioned``;
  ``unclear`` is left out. The three-way agreement (yes -> true, no -> false,
  not_mentioned -> null) is printed as well.
* ``minutes``: a labelled value must be read exactly (to 0.005 min); a note without one
  must give null.
* ``dose``: the labelled value, normalised (mGy -> ``air_kerma_mgy``; an area unit ->
  ``dose_area_product_gycm2``), must be read exactly (relative 1e-6); a note without one
  must give null for both dose fields.
* ``indication``: positive = ``yes``; negative = ``diagnosis_only``, ``no`` and
  ``n/a``; ``unclear`` is left out.

The module is importable: :func:`evaluate` returns the figures for tests.
"""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fluorocode.extraction import NoteFacts, extract

DEFAULT_NOTES = Path(__file__).resolve().parent.parent.parent / "shared/data/notes"
MINUTES_TOLERANCE = 0.005


@dataclass
class Score:
    """Counts for one field, and the misses (note id, expected, got)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 1.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 1.0 when nothing was labelled."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Evaluation:
    """All figures of one run."""

    notes: int = 0
    scores: dict[str, Score] = field(default_factory=dict)
    three_way_agree: int = 0
    three_way_total: int = 0
    informational: dict[str, int] = field(default_factory=dict)

    def score(self, name: str) -> Score:
        """The score of one field (created on first use)."""
        return self.scores.setdefault(name, Score())


def _count(score: Score, note: str, expected: bool, got: bool, shown: str) -> None:
    if expected and got:
        score.tp += 1
    elif got:
        score.fp += 1
        score.misses.append((note, "absent/negative", shown))
    elif expected:
        score.fn += 1
        score.misses.append((note, "present/positive", shown))
    else:
        score.tn += 1


def _value_field(
    score: Score,
    note: str,
    expected: float | None,
    got: float | None,
    same: Callable[[float, float], bool],
) -> None:
    if expected is None:
        if got is None:
            score.tn += 1
        else:
            score.fp += 1
            score.misses.append((note, "null", f"{got:g}"))
        return
    if got is not None and same(expected, got):
        score.tp += 1
        return
    score.fn += 1
    if got is not None:
        score.fp += 1  # a wrong value is both a miss and a false reading
    score.misses.append((note, f"{expected:g}", "null" if got is None else f"{got:g}"))


def _dose_expected(row: dict[str, str]) -> tuple[float | None, float | None]:
    """(air kerma mGy, DAP Gy·cm²) expected from a label row."""
    if not row["dose_value"]:
        return None, None
    value = float(row["dose_value"])
    unit = row["dose_unit"].strip()
    if "2" in unit or "²" in unit:
        from fluorocode.domain.quantities import to_gy_cm2

        return None, to_gy_cm2(value, unit)
    from fluorocode.domain.quantities import to_mgy

    return to_mgy(value, unit), None


def evaluate(notes_dir: Path) -> Evaluation:
    """Run the extractor over every labelled note and score it."""
    ev = Evaluation()
    with (notes_dir / "index.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        note = row["id"]
        text = (notes_dir / f"{note}.txt").read_text(encoding="utf-8")
        facts = extract(text)
        ev.notes += 1
        _score_note(ev, note, row, facts)
    return ev


def _score_note(
    ev: Evaluation, note: str, row: dict[str, str], facts: NoteFacts
) -> None:
    used = row["fluoro_used"]
    if used != "unclear":
        _count(
            ev.score("fluoroscopy_used"),
            note,
            used == "yes",
            facts.fluoroscopy_used is True,
            str(facts.fluoroscopy_used).lower(),
        )
        expected3 = {"yes": True, "no": False, "not_mentioned": None}[used]
        ev.three_way_total += 1
        ev.three_way_agree += facts.fluoroscopy_used is expected3

    minutes = float(row["minutes"]) if row["minutes"] else None
    _value_field(
        ev.score("minutes"),
        note,
        minutes,
        facts.minutes,
        lambda a, b: abs(a - b) <= MINUTES_TOLERANCE,
    )

    kerma, dap = _dose_expected(row)
    close: Callable[[float, float], bool] = lambda a, b: math.isclose(  # noqa: E731
        a, b, rel_tol=1e-6
    )
    _value_field(ev.score("air_kerma_mgy"), note, kerma, facts.air_kerma_mgy, close)
    _value_field(
        ev.score("dose_area_product_gycm2"),
        note,
        dap,
        facts.dose_area_product_gycm2,
        close,
    )

    indication = row["indication_present"]
    if indication != "unclear":
        _count(
            ev.score("indication"),
            note,
            indication == "yes",
            facts.indication is not None,
            "present" if facts.indication is not None else "absent",
        )

    for name in ("images_saved", "separate_report", "standalone"):
        value = getattr(facts, name)
        if value is not None:
            key = f"{name}={str(value).lower()}"
            ev.informational[key] = ev.informational.get(key, 0) + 1


def report(ev: Evaluation) -> str:
    """The printed report: a table, the misses, a summary line."""
    lines = [f"notes evaluated: {ev.notes}", ""]
    lines.append(f"{'field':<26}{'P':>7}{'R':>7}{'tp':>5}{'fp':>5}{'fn':>5}{'tn':>5}")
    for name, s in ev.scores.items():
        lines.append(
            f"{name:<26}{s.precision:>7.3f}{s.recall:>7.3f}"
            f"{s.tp:>5}{s.fp:>5}{s.fn:>5}{s.tn:>5}"
        )
    lines.append("")
    lines.append(
        f"fluoroscopy_used three-way agreement (true/false/null): "
        f"{ev.three_way_agree}/{ev.three_way_total}"
    )
    if ev.informational:
        unlabelled = ", ".join(f"{k}: {v}" for k, v in sorted(ev.informational.items()))
        lines.append(f"unlabelled fields (counts only): {unlabelled}")
    lines.append("")
    misses = [(n, f, e, g) for f, s in ev.scores.items() for n, e, g in s.misses]
    lines.append(f"misses ({len(misses)}):")
    for note, name, expected, got in sorted(misses):
        lines.append(f"  {note:<10} {name:<26} expected {expected:<18} got {got}")
    used = ev.score("fluoroscopy_used")
    exact = all(not ev.score(f).misses for f in ("minutes", "air_kerma_mgy"))
    lines.append("")
    lines.append(
        f"SUMMARY notes={ev.notes} fluoroscopy_used P={used.precision:.3f} "
        f"R={used.recall:.3f} minutes+dose exact={'yes' if exact else 'no'} "
        f"indication P={ev.score('indication').precision:.3f} "
        f"R={ev.score('indication').recall:.3f} misses={len(misses)}"
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """Print the evaluation; exit 2 when the notes are not there."""
    notes_dir = Path(argv[1]) if len(argv) > 1 else DEFAULT_NOTES
    if not (notes_dir / "index.csv").exists():
        print(f"no labelled notes at {notes_dir}", file=sys.stderr)
        return 2
    print(report(evaluate(notes_dir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
