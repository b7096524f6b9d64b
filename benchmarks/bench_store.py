"""Issue 2 benchmark: import, open and pair lookup on the full real practitioner table.

Each figure is printed beside a baseline measured in the same run:
- import (4 practitioner PTP files, 2,546,017 rows) vs polars' bare parse of the same
  files and the csv module's parse with the garbage collector off;
- peak memory of the import (a child process, so the figure is the import's alone);
- store open vs nothing (target under 50 ms);
- pair lookup (median, p99) vs a plain Python dict of the same rows.

Usage: python benchmarks/bench_store.py [--work DIR]
"""

from __future__ import annotations

import argparse
import csv
import gc
import random
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from _common import cms_files, percentiles, timed


def polars_parse(paths: list[Path]) -> None:
    import polars as pl

    for p in paths:
        pl.read_csv(
            p,
            separator="\t",
            has_header=False,
            skip_rows=6,
            quote_char=None,
            infer_schema=False,
        )


def csv_parse(paths: list[Path]) -> None:
    gc.disable()
    try:
        for p in paths:
            with open(p, encoding="latin-1", newline="") as f:
                for _ in range(6):
                    f.readline()
                for _row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                    pass
    finally:
        gc.enable()


IMPORT_CHILD = textwrap.dedent("""
    import resource, sys, time
    from pathlib import Path
    from fluorocode.api import Checker
    paths = [Path(p) for p in sys.argv[2:]]
    start = time.perf_counter()
    Checker(sys.argv[1]).import_editions(paths, replace=True)
    wall = time.perf_counter() - start
    print(wall, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
""")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "fluorocode-bench"
    )
    ap.add_argument("--lookups", type=int, default=20000)
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    files = cms_files(args.work / "cms")
    ptp = files["ptp_practitioner"]
    print(
        f"practitioner PTP files: {len(ptp)}, {sum(p.stat().st_size for p in ptp) / 1e6:.0f} MB"
    )

    t_polars = timed(lambda: polars_parse(ptp), 3)
    t_csv = timed(lambda: csv_parse(ptp), 2)
    home = args.work / "home"
    runs = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", IMPORT_CHILD, str(home), *map(str, ptp)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        runs.append((float(out[0]), int(out[1])))
    t_import, peak_kb = min(runs)
    print(
        f"import (best of 3)          {t_import:7.2f} s   peak {peak_kb / 1024:6.0f} MB"
    )
    print(
        f"  baseline polars bare parse {t_polars:7.2f} s   ratio {t_import / t_polars:5.2f}x"
    )
    print(
        f"  baseline csv module, gc off{t_csv:7.2f} s   ratio {t_import / t_csv:5.2f}x "
        "(target <= 1.5x, peak < 1.5 GB)"
    )

    from fluorocode.adapters.store.edition import CompiledEdition
    from fluorocode.domain.edits import Table

    path = next(p for p in (home / "editions").iterdir() if not p.name.startswith("."))
    opens = []
    for _ in range(20):
        start = time.perf_counter_ns()
        edition = CompiledEdition(path)
        edition.ptp_pair(Table.PTP_PRACTITIONER, "29880", "76000")  # maps the arrays
        opens.append(time.perf_counter_ns() - start)
    open_med, open_p99 = percentiles(opens)
    print(
        f"store open + first lookup   median {open_med / 1000:6.2f} ms"
        f"  p99 {open_p99 / 1000:6.2f} ms (target < 50 ms)"
    )

    import gzip

    rows: dict[tuple[str, str], list[tuple[str, ...]]] = {}
    tsv = (
        Path(__file__).resolve().parent.parent.parent
        / "shared/data/ncci-2024q3/ptp_practitioner.tsv.gz"
    )
    with gzip.open(tsv, "rt", encoding="utf-8") as f:
        next(f)
        for line in f:
            c1, c2, *rest = line.rstrip("\n").split("\t")
            rows.setdefault((c1, c2), []).append(tuple(rest))
    rng = random.Random(76000)
    pairs = rng.sample(sorted(rows), args.lookups)
    edition = CompiledEdition(path)
    ours, base = [], []
    for c1, c2 in pairs:
        start = time.perf_counter_ns()
        edition.ptp_pair(Table.PTP_PRACTITIONER, c1, c2)
        ours.append(time.perf_counter_ns() - start)
        start = time.perf_counter_ns()
        rows.get((c1, c2))
        base.append(time.perf_counter_ns() - start)
    (om, op), (bm, bp) = percentiles(ours), percentiles(base)
    print(
        f"pair lookup (rows built)    median {om:6.2f} us  p99 {op:6.2f} us (target median < 5 us)"
    )
    print(
        f"  baseline Python dict      median {bm:6.2f} us  p99 {bp:6.2f} us  ratio {om / bm:5.1f}x"
    )
    print(
        f"  (dict baseline needs every row in memory: load not counted; peak of this process "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)"
    )


if __name__ == "__main__":
    main()
