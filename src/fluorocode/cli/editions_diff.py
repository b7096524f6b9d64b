"""``fluorocode editions diff``: what changed between two editions (docs/editions.md).

Parse the two editions (program and quarter in any case, as the other ``editions``
commands), call ``Checker.diff_editions`` and stream the answer: JSON or CSV whole, or
a table for people (the summary, then the first :data:`TABLE_ROWS` changes unless
``--output`` asks for them all). ``--output`` writes a temporary file beside FILE and
renames it, so FILE is never seen half-written.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from fluorocode.api import Checker
from fluorocode.cli._options import PROGRAM, format_option, home_option, quarter
from fluorocode.domain.edits import Table

if TYPE_CHECKING:
    from fluorocode.adapters.store.diff_output import DiffReport

#: Changes the table format shows on the terminal before it says how many it left out.
TABLE_ROWS = 50


@click.command("diff")
@click.argument("program_a", type=PROGRAM)
@click.argument("quarter_a", callback=quarter)
@click.argument("program_b", type=PROGRAM)
@click.argument("quarter_b", callback=quarter)
@click.option(
    "--codes",
    multiple=True,
    help="Only changes where either code is one of these (comma-separated; "
    "repeatable).",
)
@click.option(
    "--table",
    "tables",
    multiple=True,
    type=click.Choice([t.value for t in Table], case_sensitive=False),
    help="Compare only this table (repeatable; default: every table either holds).",
)
@format_option("table", "json", "csv", default="table")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write every change to FILE instead of standard output.",
)
@home_option
def diff_command(
    program_a: str,
    quarter_a: str,
    program_b: str,
    quarter_b: str,
    codes: tuple[str, ...],
    tables: tuple[str, ...],
    fmt: str,
    output: str | None,
    home: str | None,
) -> None:
    """Show what CMS added, deleted and changed from one edition to another.

    PTP rows are matched on column 1, column 2 and effective date; MUE and PFS rows on
    the code; AOC rows on primary and add-on code. The summary counts each table's
    changes by kind; a table only one edition holds is named, not compared.

    Example: fluorocode editions diff medicare 2024Q3 medicare 2024Q4 --codes 76000
    """
    report = Checker(home).diff_editions(
        f"{program_a}/{quarter_a}", f"{program_b}/{quarter_b}", tables, codes
    )
    if fmt == "json":
        chunks = report.json_chunks()
    elif fmt == "csv":
        chunks = report.csv_chunks()
    else:
        chunks = _table(report, None if output else TABLE_ROWS)
    if output:
        _write(Path(output), chunks)
    else:
        for chunk in chunks:
            click.echo(chunk, nl=False)


def _write(path: Path, chunks: Iterable[str]) -> None:
    """Write ``chunks`` to a temporary file beside ``path``, then rename it."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            for chunk in chunks:
                f.write(chunk)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _table(report: DiffReport, limit: int | None) -> Iterator[str]:
    """The summary, then the changes one a line (at most ``limit`` of them)."""
    old, new = report.editions
    summary = report.summary()
    total = summary["changes"]
    yield f"{_name(old)} -> {_name(new)}: {total:,} changes"
    if summary["codes"]:
        yield f" touching {', '.join(summary['codes'])}"
    yield "\n"
    for table, entry in summary["tables"].items():
        if not entry["compared"]:
            yield f"  {table:<24} only in {entry['only_in']}: not compared\n"
            continue
        counts = ", ".join(f"{k} {n:,}" for k, n in entry["changes"].items() if n)
        rows = f"{entry['from_rows']:,} -> {entry['to_rows']:,} rows"
        yield f"  {table:<24} {rows:<28} {counts or 'no changes'}\n"
    if not total:
        return
    yield "Changes:\n"
    for change in islice(report.changes(), limit):
        yield _line(change) + "\n"
    if limit is not None and total > limit:
        yield (
            f"... {total - limit:,} more: --output FILE writes them all "
            "(or --format json / csv)\n"
        )


def _name(edition: dict[str, Any]) -> str:
    version = f" ({edition['version']})" if edition["version"] else ""
    return f"{edition['program']} {edition['quarter']}{version}"


def _line(change: dict[str, Any]) -> str:
    before, after = change["before"], change["after"]
    head = (
        f"  {change['table']:<24} {change['kind']:<22} {' '.join(change['codes']):<12}"
    )
    if before is not None and after is not None:
        what = "; ".join(
            f"{n} {_shown(n, before[n])} -> {_shown(n, after[n])}"
            for n in change["changed"]
        )
        if change["kind"].startswith("ptp.") and "effective" not in change["changed"]:
            what = f"effective {_shown('effective', before['effective'])}: {what}"
    else:
        row = after if after is not None else before
        what = ", ".join(f"{n} {_shown(n, v)}" for n, v in row.items())
    detail = f" ({change['detail']})" if change["detail"] else ""
    return f"{head} {what}{detail}"


def _shown(name: str, value: Any) -> str:
    if value is None:
        return "open" if name == "deletion" else "-"
    return str(value)
