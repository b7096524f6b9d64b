"""``fluorocode audit``: the audit trail of the service's checks."""

from __future__ import annotations

import os
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

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

    A file given with --output is written whole or not at all, readable by its owner
    only (mode 0600). In CSV, a cell that a spreadsheet would run as a formula (it
    begins with = + - @, a tab or a carriage return) gets a leading quote.

    Example: fluorocode audit export --format csv --output audit.csv
    """
    if since is not None:
        since = _utc(since)
    if output == "-":
        count = export_audit(home, fmt, sys.stdout, since)
    else:
        count = _export_to_file(Path(output), home, fmt, since)
    click.echo(f"fluorocode: {count} record(s) exported", err=True)


def _export_to_file(path: Path, home: str | None, fmt: str, since: str | None) -> int:
    """Export into ``path`` atomically, readable by its owner only (0600).

    The records go to a new private file beside ``path``, flushed to disk, which then
    replaces ``path`` in one rename: a reader never sees half an export, a failed
    export leaves the old file as it was, and the audit trail's content is never
    readable by others, even for a moment.
    """
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise click.FileError(str(path), hint=exc.strerror) from exc
    try:
        with open(fd, "w", encoding="utf-8", newline="") as out:
            count = export_audit(home, fmt, out, since)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count


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
