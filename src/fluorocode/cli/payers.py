"""``fluorocode payers``: list, show and validate payer profiles (docs/payers.md)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from fluorocode.api import Checker, validate_payer_file
from fluorocode.cli._options import format_option, home_option


@click.group("payers")
def payers_group() -> None:
    """Payer profiles: the built-in medicare and medicaid, and <home>/payers/*.toml.

    Example: fluorocode payers list
    """


@payers_group.command("list")
@format_option("json", "table", default="table")
@home_option
def list_command(fmt: str, home: str | None) -> None:
    """List the payer profiles: id, base program, departures, X12 payer ids.

    Example: fluorocode payers list --format json
    """
    profiles = Checker(home).payer_profiles()
    if fmt == "json":
        click.echo(json.dumps(profiles, indent=2))
        return
    for p in profiles:
        departures = ", ".join(d["id"] for d in p["departures"]) or "none (NCCI)"
        ids = ", ".join(p["x12_payer_ids"]) or "-"
        click.echo(
            f"{p['id']:<24} {p['base_program']:<9} departures: {departures}   "
            f"X12 payer ids: {ids}"
        )


@payers_group.command("show")
@click.argument("name")
@home_option
def show_command(name: str, home: str | None) -> None:
    """Print one profile as JSON: its departures, each with its source.

    Example: fluorocode payers show medicare
    """
    profiles = {p["id"]: p for p in Checker(home).payer_profiles()}
    if name not in profiles:
        raise click.BadParameter(
            f"unknown payer profile {name!r}; known: {', '.join(sorted(profiles))}",
            param_hint="NAME",
        )
    click.echo(json.dumps(profiles[name], indent=2))


@payers_group.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def validate_command(file: Path) -> None:
    """Check a profile file strictly; print it as JSON, or the file, key and fault.

    Exit status 0 when valid, 2 when not. Copy a valid file to
    <home>/payers/ID.toml to use it.

    Example: fluorocode payers validate examples/payers/example-commercial.toml
    """
    click.echo(json.dumps(validate_payer_file(file), indent=2))
