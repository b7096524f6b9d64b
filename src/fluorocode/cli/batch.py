"""``fluorocode batch``: claim-line files in, ``lines``/``findings``/``summary`` out.

contract.md, "Claims files and batches"; README, "Batch".
"""

from __future__ import annotations

import sys
from typing import Any

import click

from fluorocode.api import BATCH_ENGINES, Checker, run_batch
from fluorocode.cli._options import home_option
from fluorocode.errors import ClaimInputError


@click.command("batch")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(file_okay=False),
    help="Directory for lines.parquet, findings.parquet and summary.json (Spark: any "
    "path Spark can write).",
)
@click.option(
    "--engine",
    type=click.Choice(list(BATCH_ENGINES)),
    default="duckdb",
    show_default=True,
    help="duckdb: embedded, one machine; spark: pyspark, local or a cluster.",
)
@click.option("--csv", is_flag=True, help="Also write lines.csv and findings.csv.")
@click.option(
    "--memory-limit",
    default="2GB",
    show_default=True,
    help="DuckDB's memory limit; beyond it, DuckDB spills to OUTPUT/.batch-*/.",
)
@click.option("--threads", type=int, default=None, help="DuckDB threads (all cores).")
@click.option(
    "--master",
    default=None,
    help="Spark master (default: spark-submit's, else local[*]).",
)
@click.option(
    "--program",
    type=click.Choice(["medicare", "medicaid"]),
    default=None,
    help="Program of claims that do not name one (X12 SBR09 MB/MA/MC; FHIR Claims) "
    "[default: the --payer profile's program, else medicare].",
)
@click.option(
    "--payer",
    default=None,
    metavar="NAME",
    help="Payer profile of encounters and claims that name none (a payer column, an "
    "837's NM1*PR or a FHIR Claim's insurer may name one: docs/payers.md); default: "
    "the built-in profile of each one's program.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that run the rules on the encounters SQL does not decide "
    "(default: one per core).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress on standard error.")
@home_option
def batch_command(
    inputs: tuple[str, ...],
    output: str,
    engine: str,
    csv: bool,
    memory_limit: str,
    threads: int | None,
    master: str | None,
    program: str | None,
    payer: str | None,
    workers: int | None,
    quiet: bool,
    home: str | None,
) -> None:
    """Check claim-line CSV / Parquet files, JSON lines of encounters, 837s or FHIR
    Claims, set-wise.

    INPUT files hold the columns claim_id, line, date_of_service, place_of_service,
    claim_type, program, provider, code, modifiers (up to 4, joined by ':'), units
    and optionally payer (a payer profile id); an encounter is claim id + date of
    service + provider. X12 837P/837I files and FHIR R4 Claims or Bundles give one
    encounter per claim and date of service (provider: the rendering, else billing
    NPI; FHIR Claim.provider; lines numbered by LX / item sequence). For each
    encounter the result equals `fluorocode check`'s report. Prints the summary
    (JSON).

    Example: fluorocode batch claims-2024-*.csv --output audit/ --csv
    """
    try:  # before any input is read, as check --payer
        Checker(home, payer=payer).claims_program(program)
    except ClaimInputError as exc:
        (error,) = exc.errors
        raise click.BadParameter(error.message, param_hint=f"--{error.field}") from None
    state: dict[str, Any] = {}

    def say(message: str) -> None:
        if not quiet:
            click.echo(f"fluorocode batch: {message}", err=True)

    def tick(done: int, total: int) -> None:
        if quiet:
            return
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = click.progressbar(
                length=total, label="rules", file=sys.stderr, show_pos=True
            )
            bar.__enter__()
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    summary = run_batch(
        inputs,
        output,
        home=home,
        engine=engine,
        csv=csv,
        memory_limit=memory_limit,
        threads=threads,
        spark_master=master,
        program=program,
        payer=payer,
        workers=workers,
        progress=say,
        tick=tick,
    )
    from fluorocode.jsoncodec import encode_pretty

    click.echo(encode_pretty(summary).decode())
