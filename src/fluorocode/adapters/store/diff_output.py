"""An editions diff as records, streamed JSON and streamed CSV (docs/editions.md).

JSON: ``{"from": edition, "to": edition, "summary": {...}, "changes": [...]}``, one
change per line, the summary first (the counts are known before any record is built).
CSV: a header, then one row per change with the fixed columns of :data:`CSV_COLUMNS`;
a cell a spreadsheet would read as a formula is neutralised (``audit.export``).
Records are built a few thousand at a time, so tens of thousands of changes stream
without being held in memory as text or dicts.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from fluorocode.adapters.audit.export import neutralise
from fluorocode.adapters.store.diff import REMOVED, EditionDiff, TableDiff
from fluorocode.adapters.store.edition import CompiledEdition
from fluorocode.adapters.store.layout import OPEN_DELETION, kind_of
from fluorocode.domain.codes import CODE_SPACE, key_code

#: Each table kind's before/after columns: (output name, array column, how to show it).
_SHOWN: dict[str, tuple[tuple[str, str, str], ...]] = {
    "ptp": (
        ("effective", "effective", "date"),
        ("deletion", "deletion", "date"),
        ("modifier_indicator", "indicator", "int"),
        ("rationale", "rationale", "label"),
        ("pre_1996", "pre_1996", "bool"),
    ),
    "mue": (
        ("mue_value", "value", "int"),
        ("mai", "mai", "int"),
        ("rationale", "rationale", "label"),
    ),
    "aoc": (
        ("edit_type", "edit_type", "int"),
        ("effective", "effective", "date"),
        ("deletion", "deletion", "date"),
    ),
    "pfs": (
        ("status", "status", "label"),
        ("pctc", "pctc", "label"),
        ("global_days", "global_days", "label"),
    ),
}
_FIELDS = list(dict.fromkeys(name for shown in _SHOWN.values() for name, _, _ in shown))
#: The CSV's columns, whatever the tables: a change fills those of its table.
CSV_COLUMNS = (
    "table",
    "kind",
    "detail",
    "code_1",
    "code_2",
    "changed",
    *(f"{when}_{name}" for name in _FIELDS for when in ("before", "after")),
)
_CHUNK = 4096


def edition_of(edition: CompiledEdition) -> dict[str, Any]:
    info = edition.info
    return {
        "program": info.program.value,
        "quarter": info.quarter,
        "version": info.version,
    }


def summary(diff: EditionDiff) -> dict[str, Any]:
    """Counts per table and kind; a table only one edition holds says which."""
    tables: dict[str, Any] = {}
    for t in diff.tables:
        entry: dict[str, Any] = {
            "from_rows": t.from_rows,
            "to_rows": t.to_rows,
            "compared": t.compared,
            "changes": t.counts() if t.compared else {},
        }
        if not t.compared:
            held = diff.old if t.from_rows is not None else diff.new
            entry["only_in"] = f"{held.info.program.value}/{held.info.quarter}"
        tables[t.table.value] = entry
    return {"changes": len(diff), "codes": list(diff.codes), "tables": tables}


def changes(diff: EditionDiff) -> Iterator[dict[str, Any]]:
    """Every change as a record, in order (module ``diff``), built chunk by chunk."""
    for table in diff.tables:
        for start in range(0, len(table), _CHUNK):
            yield from _records(diff, table, start, start + _CHUNK)


def _records(
    diff: EditionDiff, t: TableDiff, start: int, stop: int
) -> Iterator[dict[str, Any]]:
    kind = kind_of(t.table)
    shown = _SHOWN[kind]
    kinds = t.kinds
    before = _side(diff.old, t, t.before[start:stop])
    after = _side(diff.new, t, t.after[start:stop])
    pair = kind in ("ptp", "aoc")
    for i, code in enumerate(t.kind[start:stop].tolist()):
        old, new = before[i], after[i]
        key = old["key"] if old is not None else new["key"]  # type: ignore[index]
        if pair:
            first, second = key_code(key // CODE_SPACE), key_code(key % CODE_SPACE)
            # AOC keys are add-on first; the change names (primary, add-on)
            codes = [second, first] if kind == "aoc" else [first, second]
        else:
            codes = [key_code(key)]
        b = {name: old[name] for name, _, _ in shown} if old is not None else None
        a = {name: new[name] for name, _, _ in shown} if new is not None else None
        yield {
            "table": t.table.value,
            "kind": kinds[code],
            "detail": _detail(kind, code, b, a),
            "codes": codes,
            "changed": [n for n, _, _ in shown if b[n] != a[n]] if b and a else [],
            "before": b,
            "after": a,
        }


def _detail(
    kind: str, code: int, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> str | None:
    if kind != "ptp" or code != REMOVED:
        return None
    if after is None:
        return "row-removed"
    assert before is not None  # a deletion is a pair of rows
    return (
        "deletion-date-set" if before["deletion"] is None else "deletion-date-earlier"
    )


def _side(
    edition: CompiledEdition, t: TableDiff, rows: np.ndarray[Any, Any]
) -> list[dict[str, Any] | None]:
    """The shown columns of ``rows`` of ``edition`` (None where a row is -1)."""
    arrays = edition.columns(t.table)
    safe = np.maximum(rows, 0)
    columns: dict[str, list[Any]] = {"key": np.take(arrays["key"], safe).tolist()}
    for name, column, how in _SHOWN[kind_of(t.table)]:
        values = np.take(arrays[column], safe).tolist()
        if how == "label":
            labels = edition.labels(t.table, column)
            values = [labels[v] for v in values]
        elif how == "date":
            values = [_date(v) for v in values]
        elif how == "bool":
            values = [bool(v) for v in values]
        columns[name] = values
    names = list(columns)
    present = (rows >= 0).tolist()
    return [
        dict(zip(names, row, strict=True)) if ok else None
        for ok, row in zip(present, zip(*columns.values(), strict=True), strict=True)
    ]


@lru_cache(maxsize=4096)
def _date(value: int) -> str | None:
    """A YYYYMMDD integer as ISO text; the open deletion and 0 (none) as None."""
    if value in (0, OPEN_DELETION):
        return None
    return f"{value // 10000:04d}-{value // 100 % 100:02d}-{value % 100:02d}"


def json_chunks(diff: EditionDiff) -> Iterator[str]:
    """The diff as one JSON document, in pieces of about a chunk of changes each."""
    head = {
        "from": edition_of(diff.old),
        "to": edition_of(diff.new),
        "summary": summary(diff),
    }
    yield json.dumps(head, allow_nan=False)[:-1] + ', "changes": ['
    lines: list[str] = []
    first = True
    for change in changes(diff):
        lines.append(("\n" if first else ",\n") + json.dumps(change, allow_nan=False))
        first = False
        if len(lines) >= _CHUNK:
            yield "".join(lines)
            lines.clear()
    yield "".join(lines) + ("\n]}\n" if not first else "]}\n")


def csv_chunks(diff: EditionDiff) -> Iterator[str]:
    """The diff as CSV (:data:`CSV_COLUMNS`), in pieces of about a chunk of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    rows = 0
    for change in changes(diff):
        writer.writerow(_csv_row(change))
        rows += 1
        if rows % _CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _csv_row(change: dict[str, Any]) -> list[Any]:
    codes = change["codes"]
    before, after = change["before"] or {}, change["after"] or {}
    row: list[Any] = [
        change["table"],
        change["kind"],
        change["detail"] or "",
        codes[0],
        codes[1] if len(codes) > 1 else "",
        ";".join(change["changed"]),
    ]
    for name in _FIELDS:
        for side in (before, after):
            value = side.get(name)
            row.append("" if value is None else _cell(value))
    return row


def _cell(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else neutralise(value)


@dataclass(frozen=True, slots=True)
class DiffReport:
    """An editions diff with its renderings: what ``Checker.diff_editions`` answers."""

    diff: EditionDiff

    @property
    def editions(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The old and the new edition: program, quarter, version."""
        return edition_of(self.diff.old), edition_of(self.diff.new)

    def summary(self) -> dict[str, Any]:
        return summary(self.diff)

    def changes(self) -> Iterator[dict[str, Any]]:
        return changes(self.diff)

    def json_chunks(self) -> Iterator[str]:
        return json_chunks(self.diff)

    def csv_chunks(self) -> Iterator[str]:
        return csv_chunks(self.diff)
