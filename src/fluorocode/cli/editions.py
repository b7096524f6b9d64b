"""``fluorocode editions``: import, fetch, list, show and remove CMS editions.

Program names and quarters are matched case-insensitively everywhere (issue 8):
``medicare 2024q3`` is ``medicare 2024Q3``.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import click

from fluorocode.api import Checker, edition_to_dict
from fluorocode.cli._options import PROGRAM, format_option, home_option, quarter
from fluorocode.cli.editions_diff import diff_command
from fluorocode.domain.codes import Program
from fluorocode.domain.edits import EditionInfo


@click.group("editions")
def editions_group() -> None:
    """Manage the CMS NCCI editions checks run against.

    Example: fluorocode editions import ~/Downloads/medicare-ncci-2026q3-*.zip
    """


@editions_group.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--program",
    type=PROGRAM,
    default=None,
    help="Override the program read from the file names (medicaid: also for Medicaid "
    "files named by table, setting and quarter only).",
)
@click.option("--replace", is_flag=True, help="Replace an edition of the same quarter.")
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
@home_option
def import_command(
    files: tuple[str, ...],
    program: str | None,
    replace: bool,
    quiet: bool,
    home: str | None,
) -> None:
    """Import official CMS files (TXT, CSV, XLSX or the CMS zips) as one edition.

    Example: fluorocode editions import ccipra-v302r0-f*.TXT MCR_MUE_*.csv AOC_*.txt
    """
    started = time.perf_counter()

    def progress(message: str) -> None:
        if not quiet:
            click.echo(f"[{time.perf_counter() - started:6.1f}s] {message}", err=True)

    info = Checker(home).import_editions(
        [Path(f) for f in files],
        Program(program) if program else None,
        replace,
        progress,
    )
    click.echo(_line(info))


@editions_group.command("fetch")
@click.argument("quarter", callback=quarter)
@click.option(
    "--program",
    type=PROGRAM,
    default=Program.MEDICARE.value,
    show_default=True,
    help="Medicaid: --download-only, then fluorocode editions import the zips.",
)
@click.option(
    "--version",
    "ptp_version",
    default=None,
    help="Medicare PTP release, e.g. v322r1 (default: predicted from QUARTER, r0).",
)
@click.option(
    "--accept-ama-license",
    is_flag=True,
    help="Accept the AMA CPT license CMS puts in front of the PTP zips (required).",
)
@click.option("--download-only", is_flag=True, help="Download, do not import.")
@click.option(
    "--dest",
    type=click.Path(file_okay=False),
    default=None,
    help="Download directory (default: <home>/downloads/<program>-<quarter>).",
)
@click.option(
    "--base-url",
    default=None,
    help="Where the zips are (default: $FLUOROCODE_CMS_BASE_URL, else "
    "https://www.cms.gov/files/zip/).",
)
@click.option("--replace", is_flag=True, help="Replace an edition of the same quarter.")
@click.option(
    "--timeout", type=float, default=60.0, show_default=True, help="Seconds per read."
)
@click.option(
    "--retries",
    type=click.IntRange(0, 10),
    default=4,
    show_default=True,
    help="Retries per file after a timeout, a dropped connection or HTTP 5xx.",
)
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
@home_option
def fetch_command(
    quarter: str,
    program: str,
    ptp_version: str | None,
    accept_ama_license: bool,
    download_only: bool,
    dest: str | None,
    base_url: str | None,
    replace: bool,
    timeout: float,
    retries: int,
    quiet: bool,
    home: str | None,
) -> None:
    """Download the official CMS zips of QUARTER and import them as one edition.

    Medicare: the practitioner and hospital PTP zips (parts f1, f2, ... until CMS
    answers 404; the version in their names is predicted from QUARTER unless --version
    is given) and the MUE tables; the hospital and DME MUE names are inferred and
    skipped when absent. Interrupted downloads resume; every file's SHA-256 is kept in
    fetch.json beside the downloads, and printed as "sha256  path" lines.

    Example: fluorocode editions fetch 2026Q3 --accept-ama-license
    """
    started = time.perf_counter()
    meter = _Meter(quiet)

    def progress(message: str) -> None:
        if not quiet:
            meter.end_line()
            click.echo(f"[{time.perf_counter() - started:6.1f}s] {message}", err=True)

    try:
        result, info = Checker(home).fetch(
            Program(program),
            quarter,
            version=ptp_version,
            base_url=base_url,
            dest=Path(dest) if dest else None,
            accept_ama_license=accept_ama_license,
            download_only=download_only,
            replace=replace,
            timeout=timeout,
            retries=retries,
            progress=progress,
            meter=meter,
        )
    finally:
        meter.end_line()
    for f in result.files:
        click.echo(f"{f.sha256}  {f.path}")
    for url in result.missing:
        click.echo(f"fluorocode: not found, skipped: {url}", err=True)
    if info is not None:
        click.echo(_line(info))


class _Meter:
    """Download progress on stderr: a bar on a terminal, else a line every 5 s."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.open = False
        self.last = 0.0

    def __call__(self, name: str, done: int, total: int | None) -> None:
        if self.quiet:
            return
        finished = total is not None and done >= total
        now = time.monotonic()
        size = f"{done / 1e6:.1f}" + (f" of {total / 1e6:.1f} MB" if total else " MB")
        if sys.stderr.isatty():
            if not finished and now - self.last < 0.1:
                return  # redraw at most ten times a second
            self.last = now
            bar = ""
            if total:
                filled = 30 * done // total
                percent = 100 * done // total
                bar = f"[{'#' * filled}{'.' * (30 - filled)}] {percent:3d}% "
            tail = f" {bar}{size}"
            room = shutil.get_terminal_size().columns - 1 - len(tail)
            label = name if len(name) <= room else "..." + name[-max(room - 3, 8) :]
            click.echo(f"\r{label}{tail}", nl=False, err=True)
            self.open = True
            if finished:
                self.end_line()
        elif finished or now - self.last >= 5.0:
            self.last = now
            click.echo(f"  {name}: {size}", err=True)

    def end_line(self) -> None:
        if self.open:
            click.echo("", err=True)
            self.open = False


@editions_group.command("list")
@format_option("json", "table", default="table")
@home_option
def list_command(fmt: str, home: str | None) -> None:
    """List the editions (the built-in demo edition when none is imported).

    The table shows each quarter's programs side by side, table by table.

    Example: fluorocode editions list --format json
    """
    infos = Checker(home).editions()
    if fmt == "json":
        click.echo(json.dumps([edition_to_dict(i) for i in infos], indent=2))
        return
    from fluorocode.cli._editions_table import editions_table

    click.echo(editions_table(infos))


@editions_group.command("show")
@click.argument("program", type=PROGRAM)
@click.argument("quarter", callback=quarter)
@home_option
def show_command(program: str, quarter: str, home: str | None) -> None:
    """Show one edition's tables and source files with their checksums.

    Example: fluorocode editions show medicare 2024Q3
    """
    edition = Checker(home).registry.open(Program(program), quarter)
    click.echo(json.dumps(edition_to_dict(edition.info), indent=2))


@editions_group.command("remove")
@click.argument("program", type=PROGRAM)
@click.argument("quarter", callback=quarter)
@home_option
def remove_command(program: str, quarter: str, home: str | None) -> None:
    """Remove one edition.

    Example: fluorocode editions remove medicare 2024Q3
    """
    Checker(home).registry.remove(Program(program), quarter)
    click.echo(f"removed {program} {quarter}")


def _line(info: EditionInfo) -> str:
    tables = ", ".join(f"{name} {rows:,}" for name, rows in info.tables.items())
    label = " (demo)" if info.demo else ""
    return f"{info.program.value} {info.quarter} {info.version}{label}: {tables}"


editions_group.add_command(diff_command)
