"""``fluorocode check``: encounters in, reports out (contract.md, "The command line")."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from fluorocode.api import Checker
from fluorocode.cli._input import BadLine, Shape, open_input, read_documents
from fluorocode.cli._options import format_option, home_option
from fluorocode.cli._table import render_report
from fluorocode.domain.findings import Report, ReportStatus
from fluorocode.errors import FieldError


@click.command("check")
@click.argument("encounters", metavar="ENCOUNTER.json")
@format_option(
    "json",
    "table",
    default="json",
    help="json: the contract's shape; table: for people.",
)
@home_option
def check_command(encounters: str, fmt: str, home: str | None) -> None:
    """Check one encounter, a JSON array of them, or JSON lines (- for stdin).

    Prints one report, an array, or JSON lines, in input order. Exit status 0 when no
    encounter was rejected, 1 when any was, 2 for a usage error or unreadable file.

    Example: fluorocode check examples/knee-arthroscopy-with-fluoro.json --format table
    """
    checker = Checker(home)
    stream = open_input(encounters)
    if stream is not sys.stdin:
        click.get_current_context().call_on_close(stream.close)
    shape, docs = read_documents(stream, encounters)
    rejected = False
    out = sys.stdout
    reports: list[dict[str, Any]] = []
    for doc in docs:
        report = _bad_line(doc) if isinstance(doc, BadLine) else checker.check(doc)
        rejected |= report.status is ReportStatus.REJECTED
        if fmt == "table":
            out.write(render_report(report, color=out.isatty()) + "\n")
        elif shape is Shape.LINES:
            out.write(json.dumps(report.to_dict(), ensure_ascii=False) + "\n")
        else:
            reports.append(report.to_dict())
    if fmt == "json" and shape is not Shape.LINES:
        body: Any = reports[0] if shape is Shape.OBJECT else reports
        out.write(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
    out.flush()
    if rejected:
        sys.exit(1)


def _bad_line(doc: BadLine) -> Report:
    return Report(
        None,
        ReportStatus.REJECTED,
        None,
        errors=(FieldError(f"line {doc.line}", doc.message),),
    )
