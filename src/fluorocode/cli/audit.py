"""``fluorocode audit``: the audit trail of the service's checks."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from fluorocode.api import AUDIT_FORMATS, export_audit
from fluorocode.cli._options import format_option, home_option


@click.group("audit")
def audit_group() -> None:
    """Read the audit trail: every check the service answered, who asked, what it said.

    Example: fluorocode audit export --format csv > audit.csv
    """


@audit_group.command("export")
@format_option(
    *AUDIT_FORMATS,
    default="jsonl",
    help="csv: one row per checked encounter; jsonl: one JSON object per line.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    default="-",
    show_default=True,
    help="File to write (- for standard output).",
)
@click.option(
    "--since",
    default=None,
    help="Only checks at or after this UTC time (ISO 8601, e.g. 2026-07-01).",
)
@home_option
def export_command(fmt: str, output: str, since: str | None, home: str | None) -> None:
    """Export every recorded check, oldest first.

    Each record: id, time, key name, encounter id, SHA-256 of the encounter as sent,
    status, edition and source checksums, each line's decision, each finding's rule
    and the provider's answers. Never the note.

    Example: fluorocode audit export --format csv --output audit.csv
    """
    if since is not None:
        since = _utc(since)
    if output == "-":
        count = export_audit(home, fmt, sys.stdout, since)
    else:
        with open(output, "w", encoding="utf-8", newline="") as out:
            count = export_audit(home, fmt, out, since)
    click.echo(f"fluorocode: {count} record(s) exported", err=True)


def _utc(text: str) -> str:
    """An ISO date or time as the audit trail writes times (UTC, ms, ``Z``)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise click.BadParameter(
            f"{text!r} is not an ISO date or time", param_hint="--since"
        ) from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds") + "Z"
