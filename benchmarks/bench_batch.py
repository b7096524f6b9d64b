"""Benchmark ``fluorocode batch`` against the bare DuckDB join of the same lines (issue 10).

Makes claim lines from the real 2024Q3 edition (``../shared/data/ncci-2024q3``, imported
into ``--home`` unless one is given): codes drawn from the edition's MUE codes, and
``--pair-rate`` of the encounters carrying an in-force PTP pair (0.3, as
``tools/gen_cms_ptp.py``), 1-4 other lines each (~2.9 lines an encounter). Then, in the
same run, on the same file:

1. the bare join: read the CSV once into DuckDB, pair the codes of each encounter,
   join the pairs to the in-force PTP rows on the date (the floor any batch engine
   pays);
2. ``fluorocode batch`` end to end (lines.parquet, findings.parquet, summary.json),
   with the time of each stage, in a child process whose peak RSS is the batch's own
   (issue 10: 10 million lines within 4 GB; ``--lines 10000000``);
3. the write floor: the batch's own ``lines.parquet`` and ``findings.parquet``, held in
   memory, written again as the batch writes them. The bare join plus this is what any
   engine producing these outputs pays before it validates, routes or decides a line.

    .venv/bin/python benchmarks/bench_batch.py --lines 1000000 [--home DIR] [--threads 2]
        [--workers N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import duckdb

from fluorocode.api import Checker

SHARED = Path(__file__).resolve().parents[2] / "shared"


def real_home(target: Path) -> Path:
    if (target / "editions").exists():
        return target
    tool = SHARED / "tools" / "ncci_tsv_to_cms.py"
    files: list[Path] = []
    for kind in (
        ["ptp", "--table", "practitioner"],
        ["ptp", "--table", "outpatient_hospital"],
        ["mue", "--table", "practitioner"],
        ["mue", "--table", "outpatient_hospital"],
        ["aoc"],
    ):
        out = subprocess.run(
            [sys.executable, str(tool), *kind, "--out", str(target / "cms")],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        files += [Path(p) for p in out.split()]
    Checker(target).import_editions(files)
    return target


def make_lines(edition: Path, path: Path, lines: int, pair_rate: float) -> int:
    db = duckdb.connect()
    db.execute("SELECT setseed(0.42)").fetchall()
    n_enc = int(lines / (2.5 + 2 * pair_rate))
    db.execute(
        f"""CREATE TABLE pool AS SELECT list(code) AS codes FROM (
              SELECT m.code FROM '{edition}/mue_practitioner.parquet' m
              WHERE m.value >= 4 AND m.code NOT IN (SELECT addon FROM '{edition}/aoc.parquet')
                AND m.code NOT IN ('76000', '76001', '77001', '77002', '77003')
              ORDER BY m.code)"""
    ).fetchall()
    db.execute(
        f"""CREATE TABLE pairs AS SELECT row_number() OVER (ORDER BY column1, column2) - 1
              AS p, column1, column2 FROM '{edition}/ptp_practitioner.parquet'
            WHERE indicator <> 9 AND effective <= 20240701 AND deletion >= 20240930"""
    ).fetchall()
    (npairs,) = db.execute("SELECT count(*) FROM pairs").fetchone() or (0,)
    db.execute(
        f"""CREATE TABLE encs AS SELECT e, 1 + CAST(floor(random() * 4) AS INT) AS n,
              random() < {pair_rate} AS haspair,
              CAST(floor(random() * {npairs}) AS BIGINT) AS p,
              DATE '2024-07-01' + CAST(floor(random() * 92) AS INT) AS dos
            FROM range({n_enc}) t(e)"""
    ).fetchall()
    db.execute(
        f"""COPY (
          WITH base AS (
            SELECT e, dos, i, (SELECT codes FROM pool)[1 + CAST(floor(random() *
              len((SELECT codes FROM pool))) AS INT)] AS code
            FROM (SELECT e, dos, unnest(range(n)) AS i FROM encs)
          ),
          pair AS (
            SELECT e, dos, 10 AS i, column1 AS code FROM encs JOIN pairs USING (p)
            WHERE haspair
            UNION ALL
            SELECT e, dos, 11 AS i, column2 AS code FROM encs JOIN pairs USING (p)
            WHERE haspair
          )
          SELECT 'C' || e AS claim_id, i + 1 AS line, dos AS date_of_service,
                 '11' AS place_of_service, 'professional' AS claim_type,
                 'medicare' AS program, 'NPI' || (e % 500) AS provider, code,
                 '' AS modifiers, 1 AS units
          FROM (SELECT * FROM base UNION ALL SELECT * FROM pair)
        ) TO '{path}' (HEADER)"""
    ).fetchall()
    (count,) = db.execute(f"SELECT count(*) FROM read_csv('{path}')").fetchone() or (0,)
    return int(count)


def bare_join(edition: Path, path: Path, threads: int) -> tuple[float, int]:
    """The floor: read the lines once into DuckDB, pair the codes of each encounter
    (claim id + date + provider), join the pairs to the in-force PTP rows on the date.
    Timed from the read: every batch engine pays both."""
    db = duckdb.connect()
    db.execute(f"SET threads = {threads}").fetchall()
    started = time.perf_counter()
    db.execute(
        f"""CREATE TABLE l AS
            SELECT DISTINCT claim_id, date_of_service, provider, code,
                   CAST(replace(date_of_service, '-', '') AS INT) AS d
            FROM read_csv('{path}', header = true, all_varchar = true)"""
    ).fetchall()
    (hits,) = db.execute(
        f"""SELECT count(*) FROM l a JOIN l b
              ON a.claim_id = b.claim_id AND a.date_of_service = b.date_of_service
             AND a.provider = b.provider AND a.code <> b.code
            JOIN read_parquet('{edition}/ptp_practitioner.parquet') p
              ON p.column1 = a.code AND p.column2 = b.code
            WHERE p.indicator <> 9 AND p.effective <= a.d AND p.deletion >= a.d"""
    ).fetchone() or (0,)
    return time.perf_counter() - started, int(hits)


def write_floor(out: Path, threads: int) -> float:
    """Seconds to write the batch's two result files from memory, as the batch does."""
    db = duckdb.connect()
    db.execute(f"SET threads = {threads}").fetchall()
    seconds = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as scratch:
        for name in ("lines", "findings"):
            db.execute(
                f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{out}/{name}.parquet')"
            ).fetchall()
            started = time.perf_counter()
            db.execute(
                f"""COPY {name} TO '{scratch}/{name}.parquet'
                    (FORMAT parquet, COMPRESSION zstd)"""
            ).fetchall()
            seconds += time.perf_counter() - started
    return seconds


#: ``run_batch`` in a fresh process (its peak RSS is the batch's alone): the stage
#: marks from the start, the wall time, the summary and the peak RSS, as JSON.
BATCH_CHILD = textwrap.dedent("""
    import json, resource, sys, time
    from fluorocode.api import run_batch
    if __name__ == "__main__":  # the rule workers are spawned: they import this
        src, out, home = json.loads(sys.argv[1])
        threads, workers = json.loads(sys.argv[2])
        stages = []
        started = time.perf_counter()
        summary = run_batch(
            [src], out, home=home, threads=threads, workers=workers,
            progress=lambda m: stages.append((time.perf_counter() - started, m)),
        )
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({"summary": summary, "seconds": seconds, "stages": stages,
                          "peak_rss_kb": peak}))
""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--pair-rate", type=float, default=0.3)
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=None, help="default: per core")
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-batch-"))
    work.mkdir(parents=True, exist_ok=True)
    home = real_home(args.home or work / "home")
    edition = next((home / "editions").glob("medicare-*")).resolve()
    src = work / "claims.csv"
    lines = make_lines(edition, src, args.lines, args.pair_rate)
    bare, hits = bare_join(edition, src, args.threads)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            BATCH_CHILD,
            json.dumps([str(src), str(work / "out"), str(home)]),
            json.dumps([args.threads, args.workers]),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    child = json.loads(out.splitlines()[-1])
    summary, total, stages = child["summary"], child["seconds"], child["stages"]
    writing = write_floor(work / "out", args.threads)
    marks = [(0.0, "start"), *stages, (total, "end")]
    profile = {
        m0: round(t1 - t0, 3)
        for (t0, m0), (t1, _) in zip(marks, marks[1:], strict=False)
    }
    result = {
        "lines": lines,
        "encounters": summary["encounters"],
        "encounters_checked_by_rules": summary["encounters_checked_by_rules"],
        "bare_join_seconds": round(bare, 3),
        "bare_join_lines_per_second": round(lines / bare),
        "bare_join_pairs_in_force": hits,
        "batch_seconds": round(total, 3),
        "batch_lines_per_second": round(lines / total),
        "batch_over_bare": round(total / bare, 2),
        "write_floor_seconds": round(writing, 3),
        "floor_over_bare": round((bare + writing) / bare, 2),
        "floor_lines_per_second": round(lines / (bare + writing)),
        "profile_seconds": profile,
        "batch_peak_rss_mb": round(child["peak_rss_kb"] / 1024),
        "threads": args.threads,
        "workers": args.workers,
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
