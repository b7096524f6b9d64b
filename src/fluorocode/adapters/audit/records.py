"""One audit record per checked encounter: who, when, what went in, what came out.

What is kept (and what is not):

- ``input_sha256``: SHA-256 of the encounter's canonical JSON (keys sorted, no spaces,
  UTF-8), so a stored claim can be proven to be the one that was checked without
  keeping it;
- the edition (program, quarter, version, table, demo) and its source files' SHA-256;
- each line's decision (code, modifiers, units, action) and each finding's rule, status
  and lines (not its message or evidence);
- the provider's answers: ``documentation.fluoroscopy`` as given (the distinct
  indication confirmation and its basis, indication, minutes, doses, images saved,
  separate report). Never the note.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: The documentation fields a provider answers (contract.md), kept in the audit.
ANSWER_FIELDS = (
    "distinct_indication",
    "indication",
    "minutes",
    "air_kerma",
    "dose_area_product",
    "images_saved",
    "separate_report",
)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One checked encounter as the audit trail keeps it (module docstring)."""

    at: str
    key_name: str
    request_id: str
    position: int
    encounter_id: str | None
    input_sha256: str
    status: str
    edition: dict[str, Any] | None
    sources: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)
    errors: list[dict[str, str]] = field(default_factory=list)
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "key": self.key_name,
            "request_id": self.request_id,
            "position": self.position,
            "encounter_id": self.encounter_id,
            "input_sha256": self.input_sha256,
            "status": self.status,
            "edition": self.edition,
            "sources": self.sources,
            "lines": self.lines,
            "findings": self.findings,
            "answers": self.answers,
            "errors": self.errors,
        }


def canonical_sha256(obj: Any) -> str:
    """SHA-256 of ``obj`` as canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def answers_of(obj: Any) -> dict[str, Any]:
    """The provider's answers in an encounter object, as given (never the note)."""
    doc = obj.get("documentation") if isinstance(obj, dict) else None
    fluoro = doc.get("fluoroscopy") if isinstance(doc, dict) else None
    if not isinstance(fluoro, dict):
        return {}
    return {k: fluoro[k] for k in ANSWER_FIELDS if k in fluoro}


def now_utc() -> str:
    """The current time as ISO 8601 UTC with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_of(
    obj: Any,
    report: Mapping[str, Any],
    *,
    key_name: str,
    request_id: str,
    position: int = 0,
    at: str | None = None,
) -> AuditRecord:
    """The audit record of checking ``obj`` (the encounter as sent).

    Args:
        obj: the encounter exactly as the caller sent it.
        report: its report in the contract's JSON form (``Report.to_dict()``), the
            form the caller was answered with.
        key_name: who asked (the API key's name).
        request_id: the request that carried it.
        position: its index in the request's array (0 for a single encounter).
        at: when (default: now).
    """
    edition = dict(report["edition"]) if report.get("edition") is not None else None
    sources: list[dict[str, Any]] = []
    if edition is not None:
        sources = [
            {"file": s.get("file"), "sha256": s.get("sha256")}
            for s in edition.pop("sources", ())
        ]
    return AuditRecord(
        at=at or now_utc(),
        key_name=key_name,
        request_id=request_id,
        position=position,
        encounter_id=report.get("encounter_id"),
        input_sha256=canonical_sha256(obj),
        status=report["status"],
        edition=edition,
        sources=sources,
        lines=list(report.get("lines", ())),
        findings=[
            {"rule": f["rule"], "status": f["status"], "lines": f["lines"]}
            for f in report.get("findings", ())
        ],
        answers=answers_of(obj),
        errors=list(report.get("errors", ())),
    )
