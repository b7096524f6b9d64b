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
    program: str | None = None,
    payer: str | None = None,
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
    tick: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Check claim-line files set-wise and write ``lines``, ``findings``, ``summary``.

    The engine (``adapters/batch``) decides in SQL every encounter no rule speaks to
    and streams the rest, in encounter order, through :meth:`Checker.check`: for every
    encounter the result equals ``check``'s report. ``tick(done, total)`` follows the
    encounters the rules check (for a progress bar). 837 and FHIR files are read as
    :func:`check_claims` reads them (``program``: for claims that name none, else the
    ``payer`` profile's, else ``medicare``), each claim's provider with it
    (``adapters.claims.reader``), and their encounters checked as it checks them.
    ``payer``: the payer profile of encounters and claims that name none, as
    ``check --payer``. ``workers`` processes run the rules (default: one per core; 1,
    or a batch the rules see less than 2,000 encounters of, checks in this process).

    Returns:
        The summary (also written to ``OUTPUT/summary.json``).

    Raises:
        ClaimInputError: ``payer`` is unknown, or ``program`` contradicts it (before
            any input is read); an input lacks a required column, or cannot be read
            as its kind (the file and line named, never the row's text).
        X12ParseError, FhirMappingError: a claims file cannot be read as a whole.
    """
    import shutil
    import tempfile
    import time

    from fluorocode.adapters.batch.inputs import ClaimsContext, claims_to_parquet

    started = time.perf_counter()
    checker = Checker(home, max_lines, payer=payer)
    program = checker.claims_program(program)
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    claims_dir = Path(tempfile.mkdtemp(prefix=".batch-claims-", dir=out))
    try:
        context = ClaimsContext(
            program,
            checker.payers.by_x12_id,
            checker.payers.by_fhir_id,
            checker.payer_programs,
            payer,
        )
        paths = claims_to_parquet([Path(p) for p in inputs], claims_dir, context)
        summary = _run_job(
            checker,
            paths,
            out,
            engine,
            csv,
            memory_limit,
            threads,
            spark_master,
            program,
            workers,
            progress,
            tick,
            started,
        )
    finally:
        shutil.rmtree(claims_dir, ignore_errors=True)
    (out / "summary.json").write_bytes(encode_pretty(summary))
    return summary


def _run_job(
    checker: Checker,
    paths: list[Path],
    out: Path,
    engine: str,
    csv: bool,
    memory_limit: str,
    threads: int | None,
    spark_master: str | None,
    program: str,
    workers: int | None,
    progress: Callable[[str], None] | None,
    tick: Callable[[int, int], None] | None,
    started: float,
) -> dict[str, Any]:
    """One job over the claim-line inputs: SQL, then the engine's share; the summary."""
    import time

    from fluorocode.adapters.batch.editions import EditionMap
    from fluorocode.adapters.batch.rows import ResultWriter

    payer = checker.default_payer
    editions = EditionMap(checker.registry)
    job: Any
    if engine == "spark":
        from fluorocode.adapters.batch.spark_job import SparkJob

        job = SparkJob(
            paths,
            out,
            editions,
            checker.max_lines,
            spark_master,
            progress,
            program,
            payer,
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
            payer,
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
        # the engine's statuses, encounter by encounter (adapters.batch.summary)
        counts.update({f"status:{s}": n for s, n in writer.counts.items()})
        summary: dict[str, Any] = job.summarise(counts, time.perf_counter() - started)
    finally:
        job.close()
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
    where = (str(checker.home), checker.max_lines, checker.default_payer)
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
def _worker_checker(home: str, max_lines: int | None, payer: str | None) -> Checker:
    """A batch worker process's one ``Checker`` (its editions loaded once)."""
    return Checker(home, max_lines, payer=payer)


def _check_chunk(
    chunk: Sequence[Any],
    checker: Checker | None = None,
    where: tuple[str, int | None, str | None] | None = None,
) -> tuple[int, Any, Any, dict[str, int]]:
    """Check encounters (``adapters.batch.encounters.Pending``) into output rows,
    with ``checker`` or, in a worker process, the one for ``where`` (home, cap,
    default payer)."""
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
