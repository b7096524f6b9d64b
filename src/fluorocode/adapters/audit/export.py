"""Export the audit trail as CSV (one row per checked encounter) or JSON lines.

JSON lines carry each record whole (``AuditRecord.to_dict``). CSV flattens it: scalar
columns as they are, the edition split into its fields, and the structured parts
(sources, lines, findings, answers, errors) as compact JSON in one column each, plus a
``decisions`` column a person can read (``0 29880-RT keep; 1 76000-26-XE modify``).

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or
carriage return before one) as a formula: an encounter id ``=HYPERLINK(...)`` would
become a live link in the reviewer's spreadsheet. Every such CSV cell is written with a
leading ``'``, as OWASP's "CSV Injection" guidance advises; the JSON lines export is
data, not a sheet, and keeps values as they are.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import Any, TextIO

from fluorocode.adapters.audit.records import AuditRecord

FORMATS = ("csv", "jsonl")
CSV_COLUMNS = (
    "id",
    "at",
    "key",
    "request_id",
    "position",
    "encounter_id",
    "input_sha256",
    "status",
    "program",
    "quarter",
    "version",
    "table",
    "demo",
    "decisions",
    "sources",
    "lines",
    "findings",
    "answers",
    "errors",
)


def decisions(record: AuditRecord) -> str:
    """Each line's decision in a few words: ``index code-modifiers action``."""
    return "; ".join(
        f"{line['index']} {'-'.join([line['code'], *line['modifiers']])} "
        f"{line['action']}"
        for line in record.lines
    )


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


#: The first characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: ``'`` before a formula's first character."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(record: AuditRecord) -> dict[str, Any]:
    """One record as a CSV row, every cell neutralised (module docstring)."""
    edition = record.edition or {}
    row = {
        "id": record.id,
        "at": record.at,
        "key": record.key_name,
        "request_id": record.request_id,
        "position": record.position,
        "encounter_id": record.encounter_id or "",
        "input_sha256": record.input_sha256,
        "status": record.status,
        "program": edition.get("program", ""),
        "quarter": edition.get("quarter", ""),
        "version": edition.get("version", ""),
        "table": edition.get("table", ""),
        "demo": "" if not edition else str(bool(edition.get("demo"))).lower(),
        "decisions": decisions(record),
        "sources": _compact(record.sources),
        "lines": _compact(record.lines),
        "findings": _compact(record.findings),
        "answers": _compact(record.answers),
        "errors": _compact(record.errors),
    }
    return {name: neutralise(value) for name, value in row.items()}


def export(records: Iterable[AuditRecord], fmt: str, out: TextIO) -> int:
    """Write ``records`` to ``out`` as ``csv`` or ``jsonl``; return how many."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; one of {FORMATS}")
    count = 0
    if fmt == "csv":
        # CRLF rows (RFC 4180): the writer then quotes a cell holding a lone \r too
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for record in records:
            writer.writerow(csv_row(record))
            count += 1
    else:
        for record in records:
            out.write(json.dumps(record.to_dict(), ensure_ascii=False) + "\n")
            count += 1
    return count
