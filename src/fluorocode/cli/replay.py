"""``fluorocode replay``: which saved encounters change verdict under another edition.

docs/replay.md. The logic is ``fluorocode.api.replay`` (``adapters/replay``); this
module reads the input (contract encounters, or a claims file with the readers
``check`` uses), prints the results and the summary, and reports progress on standard
error.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO

import click

from fluorocode.adapters.replay.run import BadItem, Replayed, ReplayRun
from fluorocode.api import Checker, claims_format, replay
from fluorocode.api.claims import claims_encounters, fhir_document_encounters
from fluorocode.cli._input import BadLine, Shape, open_input, read_documents
from fluorocode.cli._options import format_option, home_option
from fluorocode.errors import ClaimInputError
from fluorocode.jsoncodec import encode, encode_pretty

_NOTHING = object()


@click.command("replay")
@click.argument("file", metavar="FILE", required=False)
@click.option(
    "--edition",
    required=True,
    help="The edition to re-check against: PROGRAM/QUARTER or 'PROGRAM QUARTER' "
    "(medicare/2024Q4), any case.",
)
@click.option(
    "--audit",
    "use_audit",
    is_flag=True,
    help="Replay the audit trail's records instead of FILE.",
)
@click.option(
    "--since",
    default=None,
    help="With --audit: only checks at or after this UTC time (ISO 8601, e.g. "
    "2026-07-01).",
)
@click.option("--key", "key_name", default=None, help="With --audit: only this key's.")
@click.option(
    "--program",
    type=click.Choice(["medicare", "medicaid"]),
    default=None,
    help="With a claims FILE: the program of claims that do not name one, as for "
    "check [default: medicare].",
)
@format_option(
    "json",
    "jsonl",
    "table",
    default="json",
    help="json: one object (summary, changed, not_replayable); jsonl: one line per "
    "changed or not replayable encounter, then the summary; table: for people.",
)
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
@home_option
def replay_command(
    file: str | None,
    edition: str,
    use_audit: bool,
    since: str | None,
    key_name: str | None,
    program: str | None,
    fmt: str,
    quiet: bool,
    home: str | None,
) -> None:
    """Re-check saved encounters against another edition; list those that change.

    FILE holds contract encounters as `check` reads them (one object, a JSON array or
    JSON lines; - for stdin) or is a claims file (X12 837, FHIR Claim or Bundle: one
    encounter per claim and date of service, named by claim id and date); with --audit
    the audit trail's records are replayed instead. "Before" is the check under the
    edition the date of service selects (for a record: what it recorded); "after" the
    check under --edition. Each changed encounter is printed with before and after and
    the edit rows that made the difference; then the summary. Exit status 0 when it
    ran, 2 for a usage error, an unknown edition or an unreadable file.

    Example: fluorocode replay --edition medicare/2024Q4 encounters.jsonl
    """
    if use_audit == (file is not None):
        raise click.UsageError("give FILE or --audit (one of them)")
    if not use_audit and (since is not None or key_name is not None):
        raise click.UsageError("--since and --key go with --audit")
    if use_audit and program is not None:
        raise click.UsageError("--program goes with a claims FILE")
    started = time.monotonic()

    def progress(message: str) -> None:
        click.echo(f"[{time.monotonic() - started:6.1f}s] {message}", err=True)

    checker = Checker(home)
    say = None if quiet else progress
    if use_audit:
        run = replay(
            edition,
            checker=checker,
            since=since,
            key_name=key_name,
            progress=say,
        )
    else:
        assert file is not None
        run = _replay_file(edition, file, checker, program, say)
    out = sys.stdout
    # unchanged encounters are counted, not listed
    listed = (item for item in run if item.kind != "unchanged")
    if fmt == "json":
        blocks: dict[str, list[dict[str, Any]]] = {"changed": [], "not_replayable": []}
        for item in listed:
            blocks[item.kind].append(item.to_dict())
        doc = {"summary": run.summary.to_dict(), **blocks}
        out.write(encode_pretty(doc).decode("utf-8") + "\n")
    elif fmt == "jsonl":
        for item in listed:  # streamed: a long replay holds one item at a time
            out.write(_json(item.to_dict()) + "\n")
        out.write(_json({"kind": "summary", **run.summary.to_dict()}) + "\n")
    else:
        _print_table(listed, out)
        out.write(_summary_line(run.summary.to_dict()) + "\n")
    out.flush()


def _replay_file(
    edition: str,
    path: str,
    checker: Checker,
    given_program: str | None,
    say: Callable[[str], None] | None,
) -> ReplayRun:
    """Replay FILE: its contract encounters, or its claims read as ``check`` reads a
    claims file (X12 when it starts with ISA, FHIR when it is a resource)."""
    try:
        program = checker.claims_program(given_program)
    except ClaimInputError as exc:
        (error,) = exc.errors
        raise click.BadParameter(error.message, param_hint=f"--{error.field}") from None
    stream = open_input(path)
    if path != "-":
        click.get_current_context().call_on_close(stream.close)
    kind = claims_format(stream.peek(4096)[:4096])
    if kind != "json":
        claims = claims_encounters(
            stream, path, checker=checker, input_format=kind, program=program
        )
        return replay(edition, claims=claims, checker=checker, progress=say)
    shape, docs = read_documents(stream, path)
    first = next(docs, _NOTHING)
    if shape is Shape.OBJECT and isinstance(first, dict) and "resourceType" in first:
        # a FHIR resource whose resourceType is not among its first bytes
        claims = fhir_document_encounters(first, path, checker=checker, program=program)
        return replay(edition, claims=claims, checker=checker, progress=say)
    if given_program is not None:
        raise click.UsageError("--program goes with a claims FILE (X12, FHIR)")
    rest = docs if first is _NOTHING else itertools.chain([first], docs)
    return replay(edition, _encounters(rest), checker=checker, progress=say)


def _encounters(docs: Iterator[Any]) -> Iterator[Any]:
    """The documents of a JSON FILE, a line that is not JSON as a ``BadItem``."""
    for doc in docs:
        yield (
            BadItem(f"line {doc.line}", doc.message)
            if isinstance(doc, BadLine)
            else doc
        )


def _json(value: Any) -> str:
    return encode(value).decode("utf-8")


def _print_table(items: Iterator[Replayed], out: TextIO) -> None:
    for item in items:
        if "record" in item.where:
            where = f"record {item.where['record']}"
        elif "claim" in item.where:
            date = item.where["date_of_service"]
            where = f"claim {item.where['claim']}" + (f", {date}" if date else "")
        else:
            where = f"position {item.where['position']}"
        head = f"Encounter {item.encounter_id} ({where})"
        if item.reason is not None:
            out.write(f"{head}: not replayable: {item.reason}\n\n")
            continue
        assert item.before is not None and item.after is not None
        out.write(
            f"{head}: {item.before.status} -> {item.after.status}   "
            f"({'; '.join(item.changes)})\n"
        )
        after = {line["index"]: line for line in item.after.lines}
        for line in item.before.lines:
            new = after.get(line["index"], {})
            out.write(
                f"  {line['index']:>2} {line['code']:<6} "
                f"{_decision(line):<22} -> {_decision(new) if new else '-'}\n"
            )
        for row in item.edit_rows:
            other = row["in_other_edition"]
            edition = row["edition"]
            cols = " ".join(
                f"{k}={v}" for k, v in row["row"].items() if k != "rationale"
            )
            out.write(
                f"  {row['side']:<6} {edition.get('program')} {edition.get('quarter')} "
                f"{row['table']}: {cols}"
                + ("   (not in the other edition)\n" if other is None else "\n")
            )
        if item.reproduced is False:
            out.write(
                "  note: re-checked under its recorded edition, the record's "
                "verdict was not reproduced\n"
            )
        out.write("\n")


def _decision(line: dict[str, Any]) -> str:
    mods = "-".join(line["modifiers"]) or "·"
    return f"{line['action']} {mods} x{line['units']}"


def _summary_line(summary: dict[str, Any]) -> str:
    e = summary["edition"]
    return (
        f"Replayed against {e['program']} {e['quarter']}: {summary['checked']} checked, "
        f"{summary['changed']} changed, {summary['unchanged']} unchanged, "
        f"{summary['not_replayable']} not replayable"
    )
