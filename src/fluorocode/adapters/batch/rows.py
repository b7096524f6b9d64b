"""Reports as rows: the flat, documented schemas of ``lines`` and ``findings``.

``lines.parquet``: one row per input line.

==================== =========================================================
column               meaning
==================== =========================================================
claim_id             the claim, as written
date_of_service      as written (an encounter is claim id + date + provider)
provider             the rendering NPI or any id ("" when none)
place_of_service     the encounter's place of service, as written
line                 the input line number
code                 the line's code, as written
submitted_modifiers  the modifiers as written (``:``-joined)
action               keep / modify / hold / remove (null when ``rejected``)
modifiers            the modifiers to submit (``:``-joined)
units                the units to submit
rules                the finding ids that name this line, in report order
prompts              the kinds of the questions asked about this line
status               the encounter's report status (contract.md)
edition              the quarter of the edition that answered (null: none)
==================== =========================================================

``findings.parquet``: one row per finding (or, for a ``rejected`` encounter, one row
per input error, rule ``input.invalid``, status ``rejected``): ``claim_id``,
``date_of_service``, ``provider``, ``finding`` (its order in the report), ``rule``,
``status``, ``lines`` (input line numbers), ``message``, ``citation``, ``evidence``
(the finding's evidence object as JSON) and, flattened from it, ``edit_column_1``,
``edit_column_2``, ``edit_effective``, ``edit_deletion``, ``edit_modifier_indicator``,
``edit_rationale`` (PTP rows), ``mue_code``, ``mue_value``, ``mue_mai`` (MUE rows) and
``edition_quarter``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from fluorocode.domain.findings import Report, ReportStatus
from fluorocode.jsoncodec import encode

_S = pa.string()
_I = pa.int64()

LINE_SCHEMA = pa.schema(
    [
        ("claim_id", _S),
        ("date_of_service", _S),
        ("provider", _S),
        ("place_of_service", _S),
        ("line", _I),
        ("code", _S),
        ("submitted_modifiers", _S),
        ("action", _S),
        ("modifiers", _S),
        ("units", _I),
        ("rules", pa.list_(_S)),
        ("prompts", pa.list_(_S)),
        ("status", _S),
        ("edition", _S),
    ]
)

FINDING_SCHEMA = pa.schema(
    [
        ("claim_id", _S),
        ("date_of_service", _S),
        ("provider", _S),
        ("finding", _I),
        ("rule", _S),
        ("status", _S),
        ("lines", pa.list_(_I)),
        ("message", _S),
        ("citation", _S),
        ("evidence", _S),
        ("edit_column_1", _S),
        ("edit_column_2", _S),
        ("edit_effective", _S),
        ("edit_deletion", _S),
        ("edit_modifier_indicator", _I),
        ("edit_rationale", _S),
        ("mue_code", _S),
        ("mue_value", _I),
        ("mue_mai", _I),
        ("edition_quarter", _S),
    ]
)


@dataclass(frozen=True, slots=True)
class SourceLine:
    """One input line of an encounter the engine checked, as written."""

    line: int | None
    code: str | None
    modifiers: str | None
    units: int | None


@dataclass(frozen=True, slots=True)
class EncounterKey:
    claim_id: str | None
    date_of_service: str | None
    provider: str
    place_of_service: str | None = None


class RowBuffer:
    """Reports flattened into the rows of ``lines`` and ``findings``, in memory.

    ``take`` hands them over as Arrow tables (cheap to pickle: a worker process of
    ``api.run_batch`` returns them to the writer).
    """

    def __init__(self) -> None:
        self._line_rows: dict[str, list[Any]] = {n: [] for n in LINE_SCHEMA.names}
        self._finding_rows: dict[str, list[Any]] = {n: [] for n in FINDING_SCHEMA.names}
        self.counts: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._line_rows["claim_id"]) + len(self._finding_rows["claim_id"])

    def take(self) -> tuple[pa.Table, pa.Table]:
        """The rows so far as (lines, findings) tables; the buffer is emptied."""
        tables = (
            pa.table(self._line_rows, schema=LINE_SCHEMA),
            pa.table(self._finding_rows, schema=FINDING_SCHEMA),
        )
        for rows in (self._line_rows, self._finding_rows):
            for v in rows.values():
                v.clear()
        return tables

    def add(
        self, key: EncounterKey, source: Sequence[SourceLine], report: Report
    ) -> None:
        status = report.status.value
        self.counts[status] = self.counts.get(status, 0) + 1
        number = [s.line for s in source]
        quarter = report.edition.get("quarter") if report.edition else None
        per_line: dict[int, list[str]] = {}
        for f in report.findings:
            for i in f.lines:
                rules = per_line.setdefault(i, [])
                if f.rule not in rules:
                    rules.append(f.rule)
        prompts: dict[int, list[str]] = {}
        for p in report.prompts:
            prompts.setdefault(p.line, []).append(p.kind.value)
        results = {r.index: r for r in report.lines if not r.suggested}
        rows = self._line_rows
        for i, s in enumerate(source):
            r = results.get(i)
            rows["claim_id"].append(key.claim_id)
            rows["date_of_service"].append(key.date_of_service)
            rows["provider"].append(key.provider)
            rows["place_of_service"].append(key.place_of_service)
            rows["line"].append(s.line)
            rows["code"].append(s.code)
            rows["submitted_modifiers"].append(s.modifiers)
            rows["action"].append(r.action.value if r else None)
            rows["modifiers"].append(":".join(r.modifiers) if r else None)
            rows["units"].append(r.units if r else s.units)
            rows["rules"].append(per_line.get(i, []))
            rows["prompts"].append(prompts.get(i, []))
            rows["status"].append(status)
            rows["edition"].append(quarter)
        if report.status is ReportStatus.REJECTED:
            for n, e in enumerate(report.errors):
                self._finding(
                    key,
                    n,
                    "input.invalid",
                    "rejected",
                    [],
                    f"{e.field}: {e.message}",
                    "",
                    {"field": e.field, "kind": e.kind},
                    quarter,
                )
        for n, f in enumerate(report.findings):
            lines = [number[i] if 0 <= i < len(number) else None for i in f.lines]
            self._finding(
                key,
                n,
                f.rule,
                f.status.value,
                lines,
                f.message,
                f.citation,
                f.evidence,
                quarter,
            )

    def _finding(
        self,
        key: EncounterKey,
        n: int,
        rule: str,
        status: str,
        lines: list[int | None],
        message: str,
        citation: str,
        evidence: Any,
        quarter: str | None,
    ) -> None:
        out = self._finding_rows
        values = {
            "claim_id": key.claim_id,
            "date_of_service": key.date_of_service,
            "provider": key.provider,
            "finding": n,
            "rule": rule,
            "status": status,
            "lines": lines,
            "message": message,
            "citation": citation,
            **evidence_columns(evidence, quarter),
        }
        for name, value in values.items():
            out[name].append(value)


def evidence_columns(
    evidence: Mapping[str, Any], quarter: str | None
) -> dict[str, Any]:
    """A finding's ``evidence`` column (its JSON) and the columns flattened from it;
    ``quarter``: the report's, for evidence that names no edition."""
    edit = evidence.get("edit")
    edit = edit if isinstance(edit, dict) else {}
    mue = evidence.get("mue")
    mue = mue if isinstance(mue, dict) else {}
    edition = evidence.get("edition")
    return {
        "evidence": encode(dict(evidence)).decode(),
        "edit_column_1": edit.get("column_1"),
        "edit_column_2": edit.get("column_2"),
        "edit_effective": edit.get("effective"),
        "edit_deletion": edit.get("deletion"),
        "edit_modifier_indicator": edit.get("modifier_indicator"),
        "edit_rationale": edit.get("rationale"),
        "mue_code": mue.get("code"),
        "mue_value": mue.get("mue_value"),
        "mue_mai": mue.get("mai"),
        "edition_quarter": (
            edition.get("quarter") if isinstance(edition, dict) else quarter
        ),
    }


class ResultWriter:
    """Streams reports (``add``) or ready tables (``write``) into the Parquet files."""

    def __init__(self, lines_path: Path, findings_path: Path, chunk: int = 20_000):
        self._lines = pq.ParquetWriter(lines_path, LINE_SCHEMA, compression="zstd")
        self._findings = pq.ParquetWriter(
            findings_path, FINDING_SCHEMA, compression="zstd"
        )
        self._buffer = RowBuffer()
        self._chunk = chunk
        self.counts = self._buffer.counts

    def add(
        self, key: EncounterKey, source: Sequence[SourceLine], report: Report
    ) -> None:
        self._buffer.add(key, source, report)
        if len(self._buffer) >= self._chunk:
            self.write(*self._buffer.take())

    def write(
        self, lines: pa.Table, findings: pa.Table, counts: dict[str, int] | None = None
    ) -> None:
        """Tables of a ``RowBuffer`` (and its status counts) into the files."""
        if lines.num_rows:
            self._lines.write_table(lines)
        if findings.num_rows:
            self._findings.write_table(findings)
        for status, n in (counts or {}).items():
            self.counts[status] = self.counts.get(status, 0) + n

    def close(self) -> None:
        self.write(*self._buffer.take())
        self._lines.close()
        self._findings.close()
