"""Batches: the set-wise engines (DuckDB, Spark), the rule engine's share in worker
processes, and the audit report (issue 10)."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fluorocode.adapters.claims.model import (
    SourceEncounter,
)
from fluorocode.api.checker import Checker
from fluorocode.api.claims import check_source
from fluorocode.jsoncodec import encode_pretty

if TYPE_CHECKING:
    pass


BATCH_ENGINES = ("duckdb", "spark")


def run_batch(
    inputs: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    home: str | os.PathLike[str] | None = None,
    engine: str = "duckdb",
    csv: bool = False,
    max_lines: int | None = None,
    memory_limit: str = "2GB",
    threads: int | None = None,
    spark_master: str | None = None,
    program: str = "medicare",
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
    tick: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Check claim-line files set-wise and write ``lines``, ``findings``, ``summary``.

    The engine (``adapters/batch``) decides in SQL every encounter no rule speaks to
    and streams the rest, in encounter order, through :meth:`Checker.check`: for every
    encounter the result equals ``check``'s report. ``tick(done, total)`` follows the
    encounters the rules check (for a progress bar). 837 files are read with
    ``adapters.claims.reader`` (``program``: for claims whose SBR09 names none), and
    their encounters checked as :func:`check_claims` checks them. ``workers``
    processes run the rules (default: one per core; 1, or a batch the rules see less
    than 2,000 encounters of, checks in this process).

    Returns:
        The summary (also written to ``OUTPUT/summary.json``).
    """
    import time

    from fluorocode.adapters.batch.editions import EditionMap
    from fluorocode.adapters.batch.rows import ResultWriter

    started = time.perf_counter()
    checker = Checker(home, max_lines)
    out = Path(output)
    paths = [Path(p) for p in inputs]
    editions = EditionMap(checker.registry)
    job: Any
    if engine == "spark":
        from fluorocode.adapters.batch.spark_job import SparkJob

        job = SparkJob(
            paths, out, editions, checker.max_lines, spark_master, progress, program
        )
    elif engine == "duckdb":
        from fluorocode.adapters.batch.duckdb_job import DuckDbJob

        job = DuckDbJob(
            paths,
            out,
            editions,
            checker.max_lines,
            memory_limit,
            threads,
            progress,
            program,
        )
    else:
        raise ValueError(f"unknown batch engine {engine!r}: one of {BATCH_ENGINES}")
    try:
        counts = job.prepare()
        if progress:
            progress(f"checking {counts['engine']:,} encounters with the rules")
        writer = ResultWriter(
            job.tmp / "engine-lines.parquet", job.tmp / "engine-f.parquet"
        )
        done, total = 0, counts["engine"]
        for n, lines, findings, statuses in _check_pending(
            checker, job.pending(), _batch_workers(workers, total)
        ):
            writer.write(lines, findings, statuses)
            done += n
            if tick:
                tick(done, total)
        writer.close()
        job.finish(job.tmp / "engine-lines.parquet", job.tmp / "engine-f.parquet", csv)
        summary: dict[str, Any] = job.summarise(counts, time.perf_counter() - started)
    finally:
        job.close()
    (out / "summary.json").write_bytes(encode_pretty(summary))
    return summary


def write_audit_report(
    batch_dir: str | os.PathLike[str],
    output: str | os.PathLike[str],
    rvu: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """The practice self-audit page of a batch output (``adapters.batch.report_html``)."""
    from fluorocode.adapters.batch.report_html import write_report

    return write_report(Path(batch_dir), Path(output), Path(rvu) if rvu else None)


#: Encounters a worker checks per task: large enough that pickling is cheap beside
#: the rules, small enough that the workers stay busy to the end.
_BATCH_CHUNK = 2_000


def _batch_workers(workers: int | None, pending: int) -> int:
    """One process per core unless told; never more than there are chunks, so a
    small batch is checked here (a worker costs about a second to start)."""
    wanted = workers if workers is not None else os.cpu_count() or 1
    return max(1, min(wanted, -(-pending // _BATCH_CHUNK)))


def _check_pending(
    checker: Checker, pending: Iterator[Any], workers: int
) -> Iterator[tuple[int, Any, Any, dict[str, int]]]:
    """The engine's share: (encounters, line rows, finding rows, statuses) per chunk.

    With ``workers`` > 1 the chunks go to spawned processes (fork is unsafe beside
    DuckDB's and Spark's threads), a few at a time so memory stays bounded; the
    results come back in order, as Arrow tables.
    """
    import itertools

    chunks = iter(lambda: list(itertools.islice(pending, _BATCH_CHUNK)), [])
    if workers <= 1:
        for chunk in chunks:
            yield _check_chunk(chunk, checker)
        return
    where = (str(checker.home), checker.max_lines)
    import collections
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    queue: collections.deque[Future[tuple[int, Any, Any, dict[str, int]]]] = (
        collections.deque()
    )
    with ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        for chunk in chunks:
            queue.append(pool.submit(_check_chunk, chunk, None, where))
            if len(queue) > 2 * workers:
                yield queue.popleft().result()
        while queue:
            yield queue.popleft().result()


@functools.cache
def _worker_checker(home: str, max_lines: int | None) -> Checker:
    """A batch worker process's one ``Checker`` (its editions loaded once)."""
    return Checker(home, max_lines)


def _check_chunk(
    chunk: Sequence[Any],
    checker: Checker | None = None,
    where: tuple[str, int | None] | None = None,
) -> tuple[int, Any, Any, dict[str, int]]:
    """Check encounters (``adapters.batch.encounters.Pending``) into output rows,
    with ``checker`` or, in a worker process, the one for ``where`` (home, cap)."""
    from fluorocode.adapters.batch.rows import RowBuffer

    if checker is None:
        assert where is not None
        checker = _worker_checker(*where)
    rows = RowBuffer()
    for item in chunk:
        if item.report is not None:
            report = item.report
        elif isinstance(item.obj, SourceEncounter):
            report = check_source(checker, item.obj)
        else:
            report = checker.check(item.obj)
        rows.add(item.key, item.source, report)
    lines, findings = rows.take()
    return len(chunk), lines, findings, dict(rows.counts)
