"""How fast fluorocode.extraction reads notes, beside a bare-regex baseline.

Usage::

    .venv/bin/python benchmarks/bench_notes.py [NOTES_DIR] [--repeat N]

NOTES_DIR defaults to ``../shared/data/notes``. Reports, for the real notes:

* notes per second and microseconds per note for ``extract`` (best of ``--repeat``
  passes over all notes, after one warm-up pass that compiles the patterns and builds
  the unit registry);
* the same for a baseline measured in the same run: one ``re.search("fluoro", text)``
  per note, i.e. the cheapest possible keyword pass;
* the time to read one 5 MB note made of the real notes repeated, and of a few
  adversarial 5 MB texts (one repeated token), each once.

No note text is printed. The machine may be shared: "best of" keeps the figure close to
what the code costs rather than what the neighbours cost.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from fluorocode.extraction import extract, load_patterns

DEFAULT_NOTES = Path(__file__).resolve().parent.parent.parent / "shared/data/notes"
FIVE_MB = 5_000_000
ADVERSARIAL = {
    "one letter": "a",
    "fluoroscopy x N": "fluoroscopy ",
    "fluoroscopy time x N": "fluoroscopy time ",
    "negations x N": "without fluoroscopy was not ",
    "dose values x N": "12 mGy ",
}


def _best_pass(texts: list[str], fn: Callable[[str], object], repeat: int) -> float:
    """Best wall time of ``repeat`` passes of ``fn`` over all texts, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            fn(text)
        best = min(best, time.perf_counter() - start)
    return best


def _once(text: str) -> float:
    start = time.perf_counter()
    extract(text)
    return time.perf_counter() - start


def _fill(unit: str, size: int = FIVE_MB) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notes_dir", nargs="?", type=Path, default=DEFAULT_NOTES)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    paths = sorted(args.notes_dir.glob("mts-*.txt"))
    if not paths:
        print(f"no notes at {args.notes_dir}")
        return 2
    texts = [p.read_text(encoding="utf-8") for p in paths]
    sizes = [len(t) for t in texts]

    start = time.perf_counter()
    load_patterns()
    compile_ms = (time.perf_counter() - start) * 1e3
    for text in texts:  # warm-up: first dose builds the unit registry
        extract(text)

    fluoro = re.compile("fluoro")
    base = _best_pass(texts, fluoro.search, args.repeat)
    ours = _best_pass(texts, extract, args.repeat)
    per_note = sorted(min(_once(t) for _ in range(3)) for t in texts)

    n = len(texts)
    print(f"notes: {n}, mean {statistics.mean(sizes):.0f} chars (max {max(sizes)})")
    print(f"pattern set compile (first load): {compile_ms:.1f} ms")
    print(
        f"baseline re.search('fluoro'): {n / base:>10,.0f} notes/s "
        f"({base / n * 1e6:8.1f} us/note)"
    )
    print(
        f"extract():                    {n / ours:>10,.0f} notes/s "
        f"({ours / n * 1e6:8.1f} us/note, {ours / base:.0f}x the baseline)"
    )
    print(
        f"extract() per note: median {per_note[n // 2] * 1e6:.0f} us, "
        f"p95 {per_note[int(n * 0.95)] * 1e6:.0f} us, max {per_note[-1] * 1e6:.0f} us"
    )

    big = _fill("\n".join(texts) + "\n")
    print(f"5 MB note of real notes repeated: {_once(big):.2f} s")
    for name, unit in ADVERSARIAL.items():
        print(f"5 MB adversarial ({name}): {_once(_fill(unit)):.2f} s")
    print(
        f"SUMMARY notes/s={n / ours:,.0f} us/note={ours / n * 1e6:.0f} "
        f"baseline_notes/s={n / base:,.0f} five_mb_s={_once(big):.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
