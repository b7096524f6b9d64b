"""``editions list --format table``: the programs' editions side by side, per quarter.

One block per quarter (newest first); its columns are the programs that have an edition
for it (Medicare, then Medicaid), headed by program and version (``demo`` for the
built-in edition, ``-`` when the program's files carry no version); its rows are the
tables either edition holds, with each edition's row count, ``-`` where one lacks the
table. A Medicaid edition's add-on code and fee schedule tables come from Medicare's
files (docs/medicaid.md) and are marked ``(medicare file)``. The JSON format is the
contract's and is not affected.
"""

from __future__ import annotations

from collections.abc import Sequence

from fluorocode.domain.codes import Program
from fluorocode.domain.edits import EditionInfo, Table

__all__ = ["editions_table"]

_ORDER = list(Program)
_TABLES = [t.value for t in Table]
_BORROWED = {Table.PFS.value}


def _heading(info: EditionInfo) -> str:
    version = "demo" if info.demo else (info.version or "-")
    return f"{info.program.value} {version}"


def _cell(info: EditionInfo, table: str) -> str:
    rows = info.tables.get(table)
    if rows is None:
        return "-"
    mark = (
        " (medicare file)"
        if info.program is Program.MEDICAID and table in _BORROWED
        else ""
    )
    return f"{rows:,}{mark}"


def editions_table(infos: Sequence[EditionInfo]) -> str:
    """The table (see the module docstring); "no editions" for an empty list."""
    if not infos:
        return "no editions"
    blocks = []
    for quarter in sorted({i.quarter for i in infos}, reverse=True):
        group = sorted(
            (i for i in infos if i.quarter == quarter),
            key=lambda i: _ORDER.index(i.program),
        )
        names = sorted(
            {t for i in group for t in i.tables},
            key=lambda t: (_TABLES.index(t) if t in _TABLES else len(_TABLES), t),
        )
        rows = [[quarter, *(_heading(i) for i in group)]]
        rows += [[t, *(_cell(i, t) for i in group)] for t in names]
        widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
        lines = [
            "  ".join(
                cell.ljust(w) if k == 0 else cell.rjust(w)
                for k, (cell, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
            for row in rows
        ]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
