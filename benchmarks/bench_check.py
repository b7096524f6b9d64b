"""Issue 3 benchmark: checking encounters against the full real 2024Q3 edition.

- A 10-line encounter checked in-process (``Checker.check`` on its JSON object: input
  validation, edition selection, every rule): median and p99, beside the bare cost of
  the 45 pair lookups (both orders) of its codes, measured in the same run.
- 100,000 encounters through ``fluorocode check`` as JSON lines (one process, start-up
  included): encounters per second, beside ``python -c pass`` start-up alone.
- The first check as a whole process (issue 11): ``fluorocode check`` of one 10-line
  encounter, start to exit, median of ``--runs`` runs, beside ``python -c pass`` in the
  same run (target under 150 ms): as an installed tool runs (its modules' bytecode
  cached, here in a private ``PYTHONPYCACHEPREFIX``), and, when the environment sets
  ``PYTHONDONTWRITEBYTECODE`` (an editable install then compiles every module on every
  start), as this environment runs it too. Wall time on a shared machine varies with
  load: the CPU time (user + system) of the same runs is printed beside it.

Usage: python benchmarks/bench_check.py [--work DIR | --home HOME] [--encounters N]
[--runs N]; ``--home`` uses an edition already imported there (e.g. ``/tmp/fc-home``),
``--encounters 0`` skips the JSON-lines run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import SHARED, cms_files, percentiles

#: a typical 10-line claim: a visit, labs, plain films, a vaccine, and 76000
TYPICAL = [
    "99213",
    "76000",
    "71046",
    "73560",
    "36415",
    "85025",
    "80053",
    "93000",
    "G0008",
    "90686",
]
#: a dense worst case: 23 in-force PTP edits among its codes, 26 findings
TEN = [
    "29880",
    "76000",
    "29877",
    "20610",
    "99213",
    "77002",
    "64483",
    "27096",
    "73560",
    "36415",
]


def ensure_home(work: Path) -> Path:
    from fluorocode.api import Checker

    home = work / "home-full"
    checker = Checker(home)
    if not checker.registry.list():
        files = cms_files(work / "cms")
        checker.import_editions([p for group in files.values() for p in group])
    return home


def encounter(i: int, codes: list[str], pos: str = "22") -> dict[str, object]:
    return {
        "id": f"e{i}",
        "date_of_service": "2024-08-15",
        "place_of_service": pos,
        "lines": [{"code": c, "modifiers": [], "units": 1} for c in codes],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "fluorocode-bench"
    )
    ap.add_argument(
        "--home", type=Path, default=None, help="a home with the edition imported"
    )
    ap.add_argument("--encounters", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=15, help="whole-process runs")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    home = args.home or ensure_home(args.work)

    from fluorocode.api import Checker
    from fluorocode.domain.edits import Table

    checker = Checker(home)
    edition = checker.registry.editions()[0]
    for label, codes, target in (("typical", TYPICAL, 100), ("dense", TEN, 200)):
        enc = encounter(0, codes)
        report = checker.check(enc)
        for _ in range(200):
            checker.check(enc)
        checks, lookups = [], []
        pairs = [(a, b) for i, a in enumerate(codes) for b in codes[i + 1 :]]
        assert len(pairs) == 45
        for _ in range(3000):
            start = time.perf_counter_ns()
            checker.check(enc)
            checks.append(time.perf_counter_ns() - start)
            start = time.perf_counter_ns()
            for a, b in pairs:
                edition.ptp_pair(Table.PTP_PRACTITIONER, a, b)
                edition.ptp_pair(Table.PTP_PRACTITIONER, b, a)
            lookups.append(time.perf_counter_ns() - start)
        report_size(label, report)
        (cm, cp), (lm, lp) = percentiles(checks), percentiles(lookups)
        print(
            f"{label} 10-line encounter ({len(report.findings)} findings): check "
            f"median {cm:7.1f} us  p99 {cp:7.1f} us (target median < {target} us)"
        )
        print(
            f"  baseline 45 pairs x 2 orders    median {lm:7.1f} us  p99 {lp:7.1f} us  "
            f"ratio {cm / lm:4.2f}x"
        )

    first_check(home, args.work, args.runs)
    if args.encounters:
        bulk(home, args.work, args.encounters)


def report_size(label: str, report: object) -> None:
    """The report's JSON size, beside what it would be if every finding resting on a
    table repeated that table's source files (as before issue 11)."""
    from fluorocode.jsoncodec import encode

    body = json.loads(encode(report.to_dict()))  # type: ignore[attr-defined]
    size = len(encode(body))
    sources = body["edition"]["sources"]
    for finding in body["findings"]:
        table = finding["evidence"].get("table")
        if table:
            finding["evidence"]["sources"] = [
                s for s in sources if s.get("table") in (table, "demo")
            ]
    print(
        f"  {label} report {size:,} bytes; with sources per finding "
        f"{len(encode(body)):,} bytes"
    )


def wall_ms(
    command: list[str], runs: int, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """Median and fastest wall time of ``runs`` runs of ``command``, in ms."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def run_ms(command: list[str], env: dict[str, str] | None) -> tuple[float, float]:
    """One run of ``command``: its wall time and its CPU time (user + system), in ms."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = wall_ms(command, 1, env)[0]
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu * 1000


def first_check(home: Path, work: Path, runs: int) -> None:
    """``fluorocode check`` of one encounter as a whole process, start to exit."""
    path = work / "one-encounter.json"
    path.write_text(json.dumps(encounter(0, TYPICAL)), encoding="utf-8")
    tool = str(Path(sys.executable).parent / "fluorocode")
    command = [tool, "check", str(path), "--home", str(home)]
    installed = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    installed["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    setups = [("as installed (bytecode cached)", installed)]
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        setups.append(("compiling every module (PYTHONDONTWRITEBYTECODE)", None))
    for _, env in setups:  # page cache, and the bytecode cache filled
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    # interleaved, so every variant sees the same machine
    bare: list[tuple[float, float]] = []
    checks: list[list[tuple[float, float]]] = [[] for _ in setups]
    for _ in range(runs):
        bare.append(run_ms([sys.executable, "-c", "pass"], None))
        for times, (_, env) in zip(checks, setups, strict=True):
            times.append(run_ms(command, env))
    for times, (label, _) in zip(checks, setups, strict=True):
        wall, cpu = [statistics.median(t[i] for t in times) for i in (0, 1)]
        print(
            f"fluorocode check, one encounter, whole process, {label}: median "
            f"{wall:6.1f} ms (CPU {cpu:5.1f} ms)  fastest "
            f"{min(t[0] for t in times):6.1f} ms (target < 150 ms)"
        )
    wall, cpu = [statistics.median(t[i] for t in bare) for i in (0, 1)]
    print(f"  python -c pass: median {wall:5.1f} ms (CPU {cpu:5.1f} ms)")


def bulk(home: Path, work: Path, encounters: int) -> None:
    rng = random.Random(76000)
    tsv = SHARED / "data/ncci-2024q3/ptp_practitioner_fluoro_pairs.tsv"
    fluoro_partners = [
        ln.split("\t")[0]
        for ln in tsv.read_text().splitlines()[1:]
        if ln.split("\t")[1] == "76000"
    ]
    with gzip.open(SHARED / "data/ncci-2024q3/ptp_practitioner.tsv.gz", "rt") as f:
        next(f)
        pool = [ln.split("\t", 2)[:2] for _, ln in zip(range(400_000), f, strict=False)]
    path = work / "encounters.jsonl"
    with open(path, "w", encoding="utf-8") as out:
        for i in range(encounters):
            codes = list(rng.choice(pool))
            if rng.random() < 0.3:
                codes = [rng.choice(fluoro_partners), "76000"]
            codes += [c for c in rng.sample(TEN, rng.randint(0, 3)) if c not in codes]
            out.write(
                json.dumps(encounter(i, codes, rng.choice(["11", "22", "24"]))) + "\n"
            )
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    startup = time.perf_counter() - start
    start = time.perf_counter()
    with open(path, "rb") as src:
        subprocess.run(
            [
                str(Path(sys.executable).parent / "fluorocode"),
                "check",
                "-",
                "--home",
                str(home),
            ],
            stdin=src,
            stdout=subprocess.DEVNULL,
            check=True,
        )
    wall = time.perf_counter() - start
    print(
        f"fluorocode check, {encounters:,} encounters as JSON lines: {wall:6.1f} s, "
        f"{encounters / wall:8,.0f} encounters/s (bare python start-up {startup:.2f} s)"
    )


if __name__ == "__main__":
    main()
