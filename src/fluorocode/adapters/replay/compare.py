"""Two checks of one encounter: their verdicts, what differs, and the edit rows why.

A *verdict* is what the audit trail keeps of a report (``adapters.audit.records``): the
status, each line's decision (index, code, modifiers, units, action) and each
finding's rule, status and lines. Two verdicts *differ* when the status differs, or a
line's action, modifiers or units, or the findings (rule and status) on a line or on
the encounter as a whole.

An *edit row* is a row a finding rests on, from its evidence: a PTP row
(``evidence.edit``), an MUE row (``evidence.mue``) or AOC rows (``evidence.aoc``),
with the table and the edition it was read from. A row made the difference when no
finding of the other report cites the same table and columns (the editions are not
compared: they differ by design). ``counterpart`` says how the other edition holds
the same row (PTP by column 1, column 2 and effective date, MUE by code, AOC by
add-on and primary), or None when it holds none.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fluorocode.adapters.audit.records import AuditRecord
from fluorocode.domain.edits import EditLookup, Table

_LINE_KEYS = ("index", "code", "modifiers", "units", "action")
_EDITION_KEYS = ("program", "quarter", "version", "table", "demo")


@dataclass(frozen=True, slots=True)
class Verdict:
    """A check's decisions, as the audit trail keeps them (module docstring)."""

    status: str
    edition: dict[str, Any] | None
    lines: tuple[dict[str, Any], ...]
    findings: tuple[dict[str, Any], ...]

    @classmethod
    def of_report(cls, report: Mapping[str, Any]) -> Verdict:
        """The verdict of a report in the contract's JSON form."""
        edition = report.get("edition")
        return cls(
            report["status"],
            None
            if edition is None
            else {k: edition[k] for k in _EDITION_KEYS if k in edition},
            tuple({k: line[k] for k in _LINE_KEYS} for line in report.get("lines", ())),
            tuple(
                {"rule": f["rule"], "status": f["status"], "lines": list(f["lines"])}
                for f in report.get("findings", ())
            ),
        )

    @classmethod
    def of_record(cls, record: AuditRecord) -> Verdict:
        """The verdict an audit record keeps."""
        return cls.of_report(
            {
                "status": record.status,
                "edition": record.edition,
                "lines": record.lines,
                "findings": record.findings,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "edition": self.edition,
            "lines": [dict(line) for line in self.lines],
            "findings": [dict(f) for f in self.findings],
        }


def _findings_by_line(verdict: Verdict) -> dict[int | None, set[tuple[str, str]]]:
    """(rule, status) of the findings on each line; None: on the encounter as a whole."""
    out: dict[int | None, set[tuple[str, str]]] = {}
    for f in verdict.findings:
        for line in f["lines"] or [None]:
            out.setdefault(line, set()).add((f["rule"], f["status"]))
    return out


def differences(before: Verdict, after: Verdict) -> list[str]:
    """What differs between two verdicts, in words (``line 1: action``); [] if nothing."""
    out = ["status"] if before.status != after.status else []
    lines_before = {line["index"]: line for line in before.lines}
    lines_after = {line["index"]: line for line in after.lines}
    found_before, found_after = _findings_by_line(before), _findings_by_line(after)
    for index in sorted(lines_before.keys() | lines_after.keys()):
        old, new = lines_before.get(index), lines_after.get(index)
        if old is None or new is None:
            out.append(f"line {index}")
            continue
        out += [
            f"line {index}: {key}"
            for key in ("action", "modifiers", "units")
            if old[key] != new[key]
        ]
        if found_before.get(index, set()) != found_after.get(index, set()):
            out.append(f"line {index}: findings")
    if found_before.get(None, set()) != found_after.get(None, set()):
        out.append("encounter: findings")
    return out


@dataclass(frozen=True, slots=True)
class EditRow:
    """One edit row a finding cites: its kind, table, columns and edition."""

    kind: str  # "ptp", "mue" or "aoc"
    table: str
    columns: str  # the row's columns as canonical JSON: hashable and comparable
    edition: str  # the edition block as canonical JSON

    @property
    def key(self) -> tuple[str, str, str]:
        return self.kind, self.table, self.columns

    def to_dict(self, side: str, other: dict[str, Any] | None) -> dict[str, Any]:
        return {
            "side": side,
            "table": self.table,
            "edition": json.loads(self.edition),
            "row": json.loads(self.columns),
            "in_other_edition": other,
        }


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def edit_rows(report: Mapping[str, Any]) -> dict[tuple[str, str, str], EditRow]:
    """Every edit row the report's findings cite, by (kind, table, columns)."""
    edition = report.get("edition") or {}
    claim_table = edition.get("table", "practitioner")
    out: dict[tuple[str, str, str], EditRow] = {}
    for f in report.get("findings", ()):
        for row in _rows_of(f.get("evidence") or {}, edition, claim_table):
            out.setdefault(row.key, row)
    return out


def _rows_of(
    evidence: Mapping[str, Any], edition: Mapping[str, Any], claim_table: str
) -> Iterator[EditRow]:
    source = evidence.get("edition") or {
        k: edition[k] for k in ("program", "quarter", "version", "demo") if k in edition
    }
    where = _canonical(source)
    if isinstance(evidence.get("edit"), Mapping):
        # FL06 cites a PTP row without naming its table: the claim type's
        table = evidence.get("table") or f"ptp_{claim_table}"
        yield EditRow("ptp", table, _canonical(evidence["edit"]), where)
    if isinstance(evidence.get("mue"), Mapping):
        table = evidence.get("table") or f"mue_{claim_table}"
        yield EditRow("mue", table, _canonical(evidence["mue"]), where)
    for row in evidence.get("aoc") or ():
        if isinstance(row, Mapping):
            yield EditRow("aoc", Table.AOC.value, _canonical(row), where)


def rows_that_differ(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
    before_edition: EditLookup | None,
    after_edition: EditLookup | None,
) -> list[dict[str, Any]]:
    """The edit rows cited by one report and not the other, each with its counterpart.

    ``before`` None (an audit record whose edition cannot be opened again): every row
    the after report cites, with how the before edition (if any) holds it.
    """
    rows_before = edit_rows(before) if before is not None else {}
    rows_after = edit_rows(after)
    out = [
        row.to_dict("before", counterpart(row, after_edition))
        for key, row in rows_before.items()
        if key not in rows_after
    ]
    out += [
        row.to_dict("after", counterpart(row, before_edition))
        for key, row in rows_after.items()
        if key not in rows_before
    ]
    return out


def counterpart(row: EditRow, other: EditLookup | None) -> dict[str, Any] | None:
    """How ``other`` holds the same row (module docstring), or None."""
    if other is None:
        return None
    try:
        table = Table(row.table)
    except ValueError:
        return None
    if not other.has_table(table):
        return None
    columns = json.loads(row.columns)
    if row.kind == "ptp":
        c1, c2 = columns.get("column_1"), columns.get("column_2")
        for edit in other.ptp_among(table, [c1, c2]):
            if (edit.column1, edit.column2) == (c1, c2) and (
                edit.effective.isoformat() == columns.get("effective")
            ):
                return dict(edit.evidence())
        return None
    if row.kind == "mue":
        mue = other.mue(table, columns.get("code", ""))
        return None if mue is None else dict(mue.evidence())
    for aoc in other.aoc_for_addon(columns.get("addon", "")):
        if aoc.primary == columns.get("primary"):
            return {
                "addon": aoc.addon,
                "primary": aoc.primary,
                "edit_type": aoc.edit_type,
            }
    return None
