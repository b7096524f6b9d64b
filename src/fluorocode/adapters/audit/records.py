"""One audit record per checked encounter: who, when, what went in, what came out.

What is kept (and what is not):

- ``input_sha256``: SHA-256 of the encounter's canonical JSON (keys sorted, no spaces,
  UTF-8), so a stored claim can be proven to be the one that was checked without
  keeping it;
- the edition (program, quarter, version, table, demo) and its source files' SHA-256;
- each line's decision (code, modifiers, units, action) and each finding's rule, status
  and lines (not its message or evidence);
- the provider's answers of a checked encounter (``answers_of``): the distinct
  indication's confirmation and basis, minutes, doses with their units, images saved,
  separate report; for the indication only that one was given (``true``), never its
  words;
- a rejected encounter's errors as field and kind (``errors_of``), never their
  messages, which may quote the input; a field name the caller made up (an unknown
  field) is kept as ``*``.

Never submitted free text: not the note, not the indication's words, not a rejected
value (a "code" that was a patient's name), not an unknown field's name. A rejected
encounter keeps no answers (nothing in it was validated); its ``input_sha256`` still
proves what was sent. The caller's encounter id is kept: it is how the caller finds
the record.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fluorocode.domain.encounter_schema import ENCOUNTER_SCHEMA

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


def _property_names(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            yield name
            yield from _property_names(sub)
        for key in ("items", "then", "else"):
            yield from _property_names(schema.get(key))


#: Every field name an encounter may have (from the one schema): the only names an
#: error's field keeps; any other was made up by the caller and may be anything.
KNOWN_FIELDS = frozenset(_property_names(ENCOUNTER_SCHEMA))
_PART = re.compile(r"(?P<name>[^\[\]]*)(?P<index>(?:\[\d{1,9}\])*)\Z")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,39}\Z")


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


def _number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def answers_of(obj: Any) -> dict[str, Any]:
    """The provider's answers in a checked (valid) encounter, without free text.

    Each value is kept only in the shape the contract gives it (a finite number, a
    boolean, a dose's number and unit, the distinct indication's confirmation and
    basis); the indication is ``true``: one was given, its words are not kept.
    """
    doc = obj.get("documentation") if isinstance(obj, dict) else None
    fluoro = doc.get("fluoroscopy") if isinstance(doc, dict) else None
    if not isinstance(fluoro, dict):
        return {}
    out: dict[str, Any] = {}
    for name in ANSWER_FIELDS:
        value = fluoro.get(name)
        if name == "indication":
            if isinstance(value, str) and value.strip():
                out[name] = True
        elif name == "minutes":
            if _number(value):
                out[name] = value
        elif name in ("images_saved", "separate_report"):
            if isinstance(value, bool):
                out[name] = value
        elif name in ("air_kerma", "dose_area_product"):
            if (
                isinstance(value, dict)
                and _number(value.get("value"))
                and isinstance(value.get("unit"), str)
            ):
                out[name] = {"value": value["value"], "unit": value["unit"]}
        elif isinstance(value, dict):  # distinct_indication
            kept = {
                k: value[k]
                for k in ("confirmed", "basis")
                if isinstance(value.get(k), bool | str)
            }
            out[name] = kept
    return out


def field_of(field: str) -> str:
    """An error's field path with every name the caller made up replaced by ``*``."""
    if field == "$":
        return field
    parts = []
    for part in field.split("."):
        match = _PART.match(part)
        if match is None:
            parts.append("*")
        elif match["name"] in KNOWN_FIELDS or (not match["name"] and not parts):
            parts.append(part)
        else:
            parts.append("*" + match["index"])
    return ".".join(parts)


def errors_of(errors: Any) -> list[dict[str, str]]:
    """A rejected report's errors as field and kind only (a message may quote input)."""
    out = []
    for error in errors or ():
        field = error.get("field") if isinstance(error, Mapping) else None
        kind = error.get("kind") if isinstance(error, Mapping) else None
        out.append(
            {
                "field": field_of(field) if isinstance(field, str) else "*",
                "kind": kind
                if isinstance(kind, str) and _KIND.match(kind)
                else "invalid",
            }
        )
    return out


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
        answers={} if report["status"] == "rejected" else answers_of(obj),
        errors=errors_of(report.get("errors")),
    )
