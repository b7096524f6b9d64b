"""Issue 12 benchmark: ``editions diff`` of the full real tables against floors.

Editions: the real 2024Q3 tables (PTP practitioner 2,546,017 rows and outpatient
hospital 1,775,818, both MUE tables, AOC) imported as 2024Q3, and the same files with
about 1 % of the PTP rows changed (every 97th row's indicator flipped, every 101st
removed) and every 50th MUE value raised, imported as 2024Q4.

Figures, best of ``--repeat`` runs, each beside floors measured in the same run:
- the diff itself (every table compared: the summary's counts known) and the diff
  written whole as JSON to /dev/null (every change record built and serialised);
- floor 1: reading every compared column of both editions' PTP tables from their maps
  into memory (what any whole-table comparison must at least do);
- floor 2: sorting both editions' PTP keys together (numpy, stable): the least any
  sort-based matching of the rows does;
- floor 3: a bare DuckDB scan of both editions' PTP Parquet copies (every column read,
  ``max`` of each);
- reference: DuckDB's ``EXCEPT ALL`` both ways over those Parquet copies (the rows of
  each side without an identical row in the other: only stage 1 of the diff).

Usage: python benchmarks/bench_diff.py [--work DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
from _common import cms_files, timed

HEAD = 6  # PTP TXT notice and header lines


def derive_q4(files: dict[str, list[Path]], out: Path) -> list[Path]:
    """The 2024Q4 files: the 2024Q3 ones with known changes (module docstring)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for table, paths in files.items():
        for path in paths:
            name = path.name.replace("v302r0", "v303r0").replace("07-01-", "10-01-")
            target = out / name.replace("AOC_V2024Q2", "AOC_V2024Q3")
            written.append(target)
            if target.exists():
                continue
            lines = path.read_bytes().decode("latin-1").split("\r\n")
            if table.startswith("ptp"):
                body = []
                for n, line in enumerate(lines[HEAD:]):
                    cells = line.split("\t")
                    if n % 101 == 100 or not line:
                        continue
                    if n % 97 == 96 and cells[5] in ("0", "1"):
                        cells[5] = "1" if cells[5] == "0" else "0"
                    body.append("\t".join(cells))
                lines = [*lines[:HEAD], *body, ""]
            elif table.startswith("mue"):
                for n, line in enumerate(lines):
                    cells = line.split(",")
                    if n % 50 == 49 and len(cells) == 4 and cells[1].isdigit():
                        cells[1] = str(int(cells[1]) + 1)
                        lines[n] = ",".join(cells)
            target.write_bytes("\r\n".join(lines).encode("latin-1"))
    return written


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "fluorocode-bench"
    )
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()

    import duckdb

    from fluorocode.adapters.store.layout import parquet_file
    from fluorocode.api import Checker
    from fluorocode.domain.codes import Program
    from fluorocode.domain.edits import Table

    files = cms_files(a.work / "cms")
    home = a.work / "diff-home"
    checker = Checker(home)
    if not checker.registry.exists(Program.MEDICARE, "2024Q3"):
        checker.import_editions([p for ps in files.values() for p in ps])
    if not checker.registry.exists(Program.MEDICARE, "2024Q4"):
        checker.import_editions(derive_q4(files, a.work / "cms-2024q4"))
    old = checker.registry.open(Program.MEDICARE, "2024Q3")
    new = checker.registry.open(Program.MEDICARE, "2024Q4")
    ptp = (Table.PTP_PRACTITIONER, Table.PTP_OUTPATIENT_HOSPITAL)

    def diff() -> None:
        report = checker.diff_editions("medicare/2024Q3", "medicare/2024Q4")
        report.summary()

    def diff_json() -> None:
        report = checker.diff_editions("medicare/2024Q3", "medicare/2024Q4")
        with open(os.devnull, "w", encoding="utf-8") as sink:
            for chunk in report.json_chunks():
                sink.write(chunk)

    def read_columns() -> None:
        for edition in (old, new):
            for table in ptp:
                for column in edition.columns(table).values():
                    np.array(column)

    parquet = {
        side: [str(e.path / parquet_file(t)) for t in ptp]
        for side, e in (("a", old), ("b", new))
    }
    db = duckdb.connect()

    def sort_keys() -> None:
        for table in ptp:
            keys = (old.columns(table)["key"], new.columns(table)["key"])
            np.argsort(np.concatenate(keys), kind="stable")

    columns = ", ".join(
        f"max({c})"
        for c in (
            "column1",
            "column2",
            "effective",
            "deletion",
            "indicator",
            "rationale",
            "pre_1996",
        )
    )

    def scan() -> None:
        for paths in parquet.values():
            db.execute(f"SELECT {columns} FROM read_parquet(?)", [paths]).fetchall()

    def except_all() -> None:
        for table in range(len(ptp)):
            a_path, b_path = parquet["a"][table], parquet["b"][table]
            for x, y in ((a_path, b_path), (b_path, a_path)):
                db.execute(
                    "SELECT count(*) FROM (SELECT * FROM read_parquet(?) EXCEPT ALL "
                    "SELECT * FROM read_parquet(?))",
                    [x, y],
                ).fetchall()

    report = checker.diff_editions("medicare/2024Q3", "medicare/2024Q4")
    print(f"changes: {report.summary()['changes']:,}")
    for table, entry in report.summary()["tables"].items():
        counts = {k: n for k, n in entry["changes"].items() if n}
        print(f"  {table}: {entry['from_rows']:,} -> {entry['to_rows']:,} {counts}")
    figures = [
        ("diff (summary)", timed(diff, a.repeat)),
        ("diff, JSON written", timed(diff_json, a.repeat)),
        ("floor: read PTP columns", timed(read_columns, a.repeat)),
        ("floor: sort PTP keys", timed(sort_keys, a.repeat)),
        ("floor: DuckDB scan", timed(scan, a.repeat)),
        ("DuckDB EXCEPT ALL", timed(except_all, a.repeat)),
    ]
    for name, seconds in figures:
        print(f"{name:<26} {seconds:7.3f} s")


if __name__ == "__main__":
    main()
