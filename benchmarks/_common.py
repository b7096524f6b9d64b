"""Shared benchmark helpers: the real 2024-07-01 tables written in CMS layout, timing."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
TOOL = SHARED / "tools" / "ncci_tsv_to_cms.py"


def cms_files(out: Path) -> dict[str, list[Path]]:
    """Write (once) the real July 2024 tables in CMS's own layout under ``out``."""
    jobs = {
        "ptp_practitioner": (["ptp", "--table", "practitioner"], "pra"),
        "ptp_outpatient_hospital": (["ptp", "--table", "outpatient_hospital"], "oph"),
        "mue_practitioner": (["mue", "--table", "practitioner"], "mue"),
        "mue_outpatient_hospital": (["mue", "--table", "outpatient_hospital"], "mue"),
        "aoc": (["aoc"], "aoc"),
    }
    files: dict[str, list[Path]] = {}
    for name, (args, sub) in jobs.items():
        target = out / sub
        marker = target / f".done-{name}"
        if not marker.exists():
            printed = subprocess.run(
                [sys.executable, str(TOOL), *args, "--out", str(target)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            marker.write_text(printed)
        files[name] = [Path(p) for p in marker.read_text().split()]
    return files


def timed(fn: Callable[[], object], repeat: int = 5) -> float:
    """Best wall time of ``repeat`` runs (the least noisy estimate on a shared machine)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def percentiles(samples_ns: list[int]) -> tuple[float, float]:
    """Median and p99 in microseconds."""
    ordered = sorted(samples_ns)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) / 1000, p99 / 1000
