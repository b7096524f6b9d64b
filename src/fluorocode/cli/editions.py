"""``fluorocode editions``: import, list, show and remove CMS editions."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from fluorocode.api import Checker, edition_to_dict
from fluorocode.cli._options import home_option
from fluorocode.domain.codes import Program
from fluorocode.domain.edits import EditionInfo


@click.group("editions")
def editions_group() -> None:
    """Manage the CMS NCCI editions checks run against.

    Example: fluorocode editions import ~/Downloads/medicare-ncci-2026q3-*.zip
    """


@editions_group.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--program", type=click.Choice([p.value for p in Program]), default=None,
              help="Override the program read from the file names.")
@click.option("--replace", is_flag=True, help="Replace an edition of the same quarter.")
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
@home_option
def import_command(files: tuple[str, ...], program: str | None, replace: bool,
                   quiet: bool, home: str | None) -> None:
    """Import official CMS files (TXT, CSV, XLSX or the CMS zips) as one edition.

    Example: fluorocode editions import ccipra-v302r0-f*.TXT MCR_MUE_*.csv AOC_*.txt
    """
    started = time.perf_counter()

    def progress(message: str) -> None:
        if not quiet:
            click.echo(f"[{time.perf_counter() - started:6.1f}s] {message}", err=True)

    info = Checker(home).import_editions(
        [Path(f) for f in files], Program(program) if program else None, replace, progress)
    click.echo(_line(info))


@editions_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table",
              show_default=True)
@home_option
def list_command(fmt: str, home: str | None) -> None:
    """List the editions (the built-in demo edition when none is imported).

    Example: fluorocode editions list --format json
    """
    infos = Checker(home).editions()
    if fmt == "json":
        click.echo(json.dumps([edition_to_dict(i) for i in infos], indent=2))
        return
    for info in infos:
        click.echo(_line(info))


@editions_group.command("show")
@click.argument("program", type=click.Choice([p.value for p in Program]))
@click.argument("quarter")
@home_option
def show_command(program: str, quarter: str, home: str | None) -> None:
    """Show one edition's tables and source files with their checksums.

    Example: fluorocode editions show medicare 2024Q3
    """
    edition = Checker(home).registry.open(Program(program), quarter)
    click.echo(json.dumps(edition_to_dict(edition.info), indent=2))


@editions_group.command("remove")
@click.argument("program", type=click.Choice([p.value for p in Program]))
@click.argument("quarter")
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
