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
  field) is kept as ``*``;
- what a replay needs (``replay_of``, docs/replay.md): the date of service, place of
  service, claim type, program, global-billing flag and payer profile id, each line as
  submitted (code, modifiers, units, all validated), and what the rules took from the
  note: whether it showed fluoroscopy used and a stand-alone study, and each
  documentation value it filled in, as a number or a boolean (the indication only as
  ``true``). These are facts the note yielded, not its text: a replay of a note-based
  check sees exactly what the check saw. A claims file's encounter (X12, FHIR) keeps
  the same block, from the encounter read from the claim (a claim has no note and no
  answers; its id is the caller's). ``replay_encounter`` rebuilds the encounter from
  them, or says why it cannot (``NotReplayable``).

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
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from fluorocode.domain.claim import Dose, Encounter, NoteReading
from fluorocode.domain.encounter_input import parse_encounter
from fluorocode.domain.encounter_schema import ENCOUNTER_SCHEMA
from fluorocode.errors import ClaimInputError, FieldError, FluorocodeError

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
    replay: dict[str, Any] | None = None

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
            "replay": self.replay,
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


def audit_time(text: str, field: str = "since") -> str:
    """An ISO date or time as the trail writes ``at`` (UTC, milliseconds, ``Z``), so
    it compares as text; a time without a zone is taken as UTC.

    Raises:
        ClaimInputError: not an ISO date or time (``field`` names it).
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ClaimInputError(
            [FieldError(field, f"{text!r} is not an ISO date or time", "invalid_time")]
        ) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds") + "Z"


def record_of(
    obj: Any,
    report: Mapping[str, Any],
    *,
    key_name: str,
    request_id: str,
    position: int = 0,
    at: str | None = None,
    checked: Encounter | None = None,
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
        checked: the encounter as the rules saw it (``Checker.check_traced``), for
            the replay block; None keeps none (a rejected encounter never has one).
    """
    rejected = report["status"] == "rejected"
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
        answers={} if rejected else answers_of(obj),
        errors=errors_of(report.get("errors")),
        replay=None if rejected or checked is None else replay_of(checked),
    )


# -- replay (docs/replay.md) -------------------------------------------------------------

#: The replay block's layout; a record of another layout is reported, never guessed at.
REPLAY_VERSION = 1
#: What a rebuilt encounter's indication says: the record keeps that one was documented
#: (the rules ask no more of it), never its words.
INDICATION_KEPT = "(documented; the words are not kept)"
#: A note-filled documentation field and the unit its value is kept in.
_NOTE_UNITS = {"air_kerma": "mGy", "dose_area_product": "Gy·cm²"}
#: The finding of a claim no edition checked (``api.claims.check_source``), and why
#: such a claim is not replayed.
_NOT_SUBJECT = "claim.not-subject"
NOT_SUBJECT_REASON = (
    "the claim is not subject to the edits (an inpatient bill, or no line to check): "
    "no edition checks it"
)


class NotReplayable(FluorocodeError):
    """An audit record from which the checked encounter cannot be rebuilt faithfully."""


def replay_of(encounter: Encounter) -> dict[str, Any]:
    """What a replay of ``encounter``'s check needs, without free text (module doc)."""
    out: dict[str, Any] = {
        "version": REPLAY_VERSION,
        "date_of_service": encounter.date_of_service.isoformat(),
        "place_of_service": encounter.place_of_service,
        "claim_type": encounter.claim_type.value,
        "program": encounter.program.value,
        "global_billing": encounter.global_billing,
        "payer": encounter.payer,
        "lines": [
            {"code": ln.code, "modifiers": list(ln.modifiers), "units": ln.units}
            for ln in encounter.lines
        ],
    }
    reading = encounter.note_reading
    if reading is not None:
        doc = encounter.documentation
        filled: dict[str, Any] = {}
        for name in reading.filled:
            value = getattr(doc, name, None)
            if name == "indication":
                filled[name] = value is not None
            elif isinstance(value, Dose):
                filled[name] = value.normalised
            elif isinstance(value, bool) or _number(value):
                filled[name] = value
        out["note"] = {
            "fluoroscopy_used": reading.fluoroscopy_used,
            "standalone": reading.standalone,
            "filled": filled,
        }
    return out


def replay_encounter(record: AuditRecord) -> Encounter:
    """The encounter a record's check saw, rebuilt from what the record keeps.

    Raises:
        NotReplayable: the record was rejected, is of a claim the edits do not apply
            to, keeps no replay block (written before replay data was kept: for a
            claims file, before its encounters were kept), or keeps one that no longer
            validates; the message says which.
    """
    if record.status == "rejected":
        raise NotReplayable("the encounter was rejected: nothing in it was checked")
    if any(f.get("rule") == _NOT_SUBJECT for f in record.findings):
        raise NotReplayable(NOT_SUBJECT_REASON)
    replay = record.replay
    if replay is None:
        raise NotReplayable(
            "the record keeps no replay data (recorded before fluorocode kept it; "
            "for a claims file, before it kept the claims' encounters)"
        )
    if not isinstance(replay, dict) or replay.get("version") != REPLAY_VERSION:
        raise NotReplayable("the record's replay data is of an unknown layout")
    fluoro = dict(record.answers)
    if fluoro.get("indication") is True:
        fluoro["indication"] = INDICATION_KEPT
    obj = {
        "id": record.encounter_id or f"record-{record.id}",
        "date_of_service": replay.get("date_of_service"),
        "place_of_service": replay.get("place_of_service"),
        "claim_type": replay.get("claim_type"),
        "program": replay.get("program"),
        "billing": {"global_billing": replay.get("global_billing")},
        "lines": replay.get("lines"),
        "documentation": {"fluoroscopy": fluoro},
    }
    if replay.get("payer") is not None:
        obj["payer"] = replay["payer"]
    try:
        encounter = parse_encounter(obj, max_lines=1_000_000)
    except ClaimInputError as exc:
        fields = ", ".join(sorted({e.field for e in exc.errors}))
        raise NotReplayable(
            f"the recorded encounter does not validate any more ({fields})"
        ) from None
    note = replay.get("note")
    if note is None:
        return encounter
    if not isinstance(note, dict) or not isinstance(note.get("filled"), dict):
        raise NotReplayable("the record's note facts are of an unknown layout")
    return _with_note_facts(encounter, note)


def _with_note_facts(encounter: Encounter, note: dict[str, Any]) -> Encounter:
    """``encounter`` with the note's kept facts filled in, as the check had them."""
    gaps: dict[str, Any] = {}
    for name, value in note["filled"].items():
        if name == "indication" and value is True:
            gaps[name] = INDICATION_KEPT
        elif name in _NOTE_UNITS and _number(value):
            gaps[name] = Dose(value, _NOTE_UNITS[name], value)
        elif name == "minutes" and _number(value):
            gaps[name] = value
        elif name in ("images_saved", "separate_report") and isinstance(value, bool):
            gaps[name] = value
        else:
            raise NotReplayable(f"the record's note fact {name!r} is not one it keeps")
    used, standalone = note.get("fluoroscopy_used"), note.get("standalone")
    if not all(v is None or isinstance(v, bool) for v in (used, standalone)):
        raise NotReplayable("the record's note facts are of an unknown layout")
    return replace(
        encounter,
        documentation=replace(encounter.documentation, **gaps),
        note_reading=NoteReading(used, standalone, tuple(gaps)),
    )
