"""``fluorocode check``: encounters or claims files in, reports (and corrected claims) out.

contract.md, "The command line" and "Claims files and batches"; docs/claims.md.
"""

from __future__ import annotations

import itertools
import os
import sys
import textwrap
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

import click

from fluorocode.api import (
    Checker,
    ClaimCheck,
    check_claims,
    check_fhir_document,
    claims_format,
)
from fluorocode.cli._input import (
    BadLine,
    Shape,
    UnreadableInput,
    open_input,
    read_documents,
)
from fluorocode.cli._options import format_option, home_option
from fluorocode.cli._table import Summary, render_report, render_source
from fluorocode.domain.findings import Report, ReportStatus
from fluorocode.errors import ClaimInputError, FieldError
from fluorocode.jsoncodec import encode, encode_pretty

_CLAIMS = ("x12", "fhir")
_NOTHING = object()


@click.command("check")
@click.argument("encounters", metavar="FILE")
@format_option(
    "json",
    "table",
    "x12",
    "fhir",
    default="json",
    help="json: the contract's reports; table: for people; x12 / fhir: write the "
    "corrected claims file to --output (the reports, as JSON, to standard output).",
)
@click.option(
    "--input-format",
    type=click.Choice(["auto", "json", "x12", "fhir"]),
    default="auto",
    show_default=True,
    help="What FILE holds; auto: X12 when it starts with ISA, FHIR when it names a "
    "resourceType, else the contract's JSON or JSON lines.",
)
@click.option(
    "--output",
    "output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Where --format x12 / fhir writes the corrected claims file.",
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
    help="Payer profile of encounters and claims that name none (an 837's NM1*PR or "
    "a FHIR Claim's insurer may name one: docs/payers.md; fluorocode payers list); "
    "default: the built-in profile of each one's program.",
)
@home_option
def check_command(
    encounters: str,
    fmt: str,
    input_format: str,
    output: str | None,
    program: str | None,
    payer: str | None,
    home: str | None,
) -> None:
    """Check encounters (JSON, JSON lines) or claims files (X12 837P/837I, FHIR R4).

    FILE is one encounter, a JSON array of them, JSON lines, an X12 5010 837 file or a
    FHIR Claim or Bundle (- for stdin). Prints one report, an array, or JSON lines, in
    input order; a claims file gives one report per claim and date of service. Exit
    status 0 when nothing was rejected, 1 when anything was, 2 for a usage error or
    an unreadable file.

    Example: fluorocode check claims.837 --format x12 --output corrected.837
    """
    if fmt in _CLAIMS and output is None:
        raise click.UsageError(f"--format {fmt} writes a file: give --output FILE")
    if output is not None and fmt not in _CLAIMS:
        raise click.UsageError("--output goes with --format x12 or fhir")
    checker = Checker(home, payer=payer)
    try:
        program = checker.claims_program(program)
    except ClaimInputError as exc:
        (error,) = exc.errors
        raise click.BadParameter(error.message, param_hint=f"--{error.field}") from None
    stream = open_input(encounters)
    if encounters != "-":
        click.get_current_context().call_on_close(stream.close)
    kind = (
        input_format
        if input_format != "auto"
        else claims_format(stream.peek(4096)[:4096])
    )
    printer = _Printer(sys.stdout, "table" if fmt == "table" else "json")
    fhir_doc: list[Any] = []  # a FHIR resource found by reading the input as JSON
    if kind == "json":
        shape, docs = read_documents(stream, encounters)
        first = next(docs, _NOTHING)
        if _is_fhir(shape, first):
            kind = "fhir"
            fhir_doc.append(first)
        elif fmt in _CLAIMS:
            raise click.UsageError(f"--format {fmt} needs an X12 or FHIR claims file")
        else:
            printer.shape = shape
            rest = docs if first is _NOTHING else itertools.chain([first], docs)
            printer.run(_json_reports(checker, rest))
            return
    if fmt in _CLAIMS and fmt != kind:
        raise click.UsageError(f"--format {fmt} cannot be written from a {kind} file")
    with _atomic(output) as target:
        try:
            checks: Iterable[ClaimCheck]
            if fhir_doc:
                checks = check_fhir_document(
                    fhir_doc[0],
                    encounters,
                    checker=checker,
                    program=program,
                    output=target,
                )
            else:
                checks = check_claims(
                    stream,
                    encounters,
                    checker=checker,
                    input_format=kind,
                    program=program,
                    output=target,
                )
            printer.run(iter(checks))
        except ClaimInputError as exc:
            raise UnreadableInput(str(exc)) from None


def _is_fhir(shape: Shape, first: Any) -> bool:
    return shape is Shape.OBJECT and isinstance(first, dict) and "resourceType" in first


def _json_reports(checker: Checker, docs: Iterator[Any]) -> Iterator[Report]:
    for doc in docs:
        yield _bad_line(doc) if isinstance(doc, BadLine) else checker.check(doc)


class _Printer:
    """Reports to standard output as they come: JSON, JSON lines or tables."""

    def __init__(self, out: TextIO, fmt: str) -> None:
        self.out, self.fmt, self.shape = out, fmt, Shape.ARRAY

    def run(self, reports: Iterator[Report | ClaimCheck]) -> None:
        rejected = False
        summary = Summary()
        count = 0
        for item in reports:
            report = item.report if isinstance(item, ClaimCheck) else item
            source = dict(item.source) if isinstance(item, ClaimCheck) else None
            rejected |= report.status is ReportStatus.REJECTED
            summary.add(report, source)
            doc = item.to_dict()
            if self.fmt == "table":
                text = render_report(report, color=self.out.isatty())
                if source is not None:
                    text += "\n" + render_source(source)
                self.out.write(text + "\n")
            elif self.shape is Shape.LINES:
                self.out.write(encode(doc).decode("utf-8") + "\n")
            elif self.shape is Shape.OBJECT:
                self.out.write(encode_pretty(doc).decode("utf-8") + "\n")
            else:
                pretty = encode_pretty(doc).decode("utf-8")
                self.out.write(
                    ("[\n" if count == 0 else ",\n") + textwrap.indent(pretty, "  ")
                )
            count += 1
        if self.fmt == "json" and self.shape is Shape.ARRAY:
            self.out.write("\n]\n" if count else "[]\n")
        if self.fmt == "table" and summary.total > 1:
            self.out.write("\n" + summary.render(color=self.out.isatty()) + "\n")
        self.out.flush()
        if rejected:
            sys.exit(1)


class _atomic:
    """The output file written beside its target and renamed only when complete."""

    def __init__(self, path: str | None) -> None:
        self.path = Path(path) if path else None
        self.tmp: Path | None = None
        self.file: TextIO | None = None

    def __enter__(self) -> TextIO | None:
        if self.path is None:
            return None
        self.tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        try:
            # newline="": X12 line breaks are written exactly as they were read
            self.file = open(self.tmp, "w", encoding="utf-8", newline="")
        except OSError as exc:
            raise UnreadableInput(f"cannot write {self.path}: {exc.strerror}") from exc
        return self.file

    def __exit__(self, kind: object, exc: object, tb: object) -> None:
        if self.file is None or self.tmp is None or self.path is None:
            return
        self.file.close()
        done = kind is None or (isinstance(exc, SystemExit) and exc.code in (0, 1))
        if done:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def _bad_line(doc: BadLine) -> Report:
    return Report(
        None,
        ReportStatus.REJECTED,
        None,
        errors=(FieldError(f"line {doc.line}", doc.message),),
    )
