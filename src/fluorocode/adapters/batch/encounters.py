"""Lines back into encounters: the contract's JSON object of each, for the engine.

The object is exactly what ``check`` would be given for the same claim: empty cells are
absent fields (so the contract's defaults apply), a whole number of units is a number,
anything else is passed on as written so ``parse_encounter`` refuses it by name. What
only a batch can get wrong -- lines of one encounter that disagree on the place of
service, claim type or program, two different payers, line numbers that repeat or
are not whole numbers -- gives a ``rejected`` report naming the column.

The ``payer`` column: the encounter's ``payer`` is the value its lines give (the lines
that leave it empty do not count); none: absent, so ``check``'s default payer applies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fluorocode.adapters.batch.rows import EncounterKey, SourceLine
from fluorocode.adapters.claims.reader import from_json
from fluorocode.domain.findings import Report, ReportStatus
from fluorocode.errors import FieldError

#: The columns the engine's stream carries, in order.
STREAM_COLUMNS = (
    "ekey",
    "claim_id",
    "line",
    "date_of_service",
    "place_of_service",
    "claim_type",
    "program",
    "provider",
    "code",
    "modifiers",
    "units",
    "global_billing",
    "documentation",
    "note",
    "payer",
    "source",
)
_WHOLE = re.compile(r"[0-9]+")
_ENCOUNTER_LEVEL = ("place_of_service", "claim_type", "program")


@dataclass(frozen=True, slots=True)
class Pending:
    """One encounter for the engine: its key, its lines as written, and either the
    contract object to check, an encounter read from an 837 (a ``SourceEncounter``,
    checked as ``check`` checks claims files) or, for a batch-level input error, the
    report itself."""

    key: EncounterKey
    source: tuple[SourceLine, ...]
    obj: Any
    report: Report | None = None


def group(rows: Iterable[dict[str, Any]]) -> Iterator[Pending]:
    """Consecutive rows of one ``ekey`` (the stream is ordered by it) as encounters."""
    current: list[dict[str, Any]] = []
    for row in rows:
        if current and row["ekey"] != current[0]["ekey"]:
            yield pending(current)
            current = []
        current.append(row)
    if current:
        yield pending(current)


def pending(rows: Sequence[dict[str, Any]]) -> Pending:
    first = rows[0]
    key = EncounterKey(
        first["claim_id"],
        first["date_of_service"],
        first["provider"],
        first["place_of_service"],
    )
    source = tuple(
        SourceLine(_line_no(r["line"]), r["code"], r["modifiers"], _units(r["units"]))
        for r in rows
    )
    if first["source"] is not None:
        wrapped = json.loads(first["source"])
        if "claim" in wrapped:  # an 837 or FHIR encounter (inputs._claim_rows)
            return Pending(key, source, from_json(wrapped["claim"]))
        # a JSON object that maps onto no lines (inputs.encounter_rows)
        return Pending(key, (), wrapped["encounter"])
    errors = _batch_errors(rows)
    if errors:
        enc_id = first["claim_id"]
        report = Report(enc_id, ReportStatus.REJECTED, None, errors=tuple(errors))
        return Pending(key, source, None, report)
    return Pending(key, source, encounter_object(rows))


def encounter_object(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The contract encounter of an encounter's lines (ordered by line number)."""
    first = rows[0]
    obj: dict[str, Any] = {}
    for field, column in (
        ("id", "claim_id"),
        ("date_of_service", "date_of_service"),
        ("place_of_service", "place_of_service"),
        ("claim_type", "claim_type"),
        ("program", "program"),
    ):
        if first[column] not in (None, ""):
            obj[field] = first[column]
    billing = _first(rows, "global_billing")
    if billing is not None:
        flag = billing.strip().lower()
        obj["billing"] = {
            "global_billing": {"true": True, "false": False}.get(flag, billing)
        }
    lines = []
    for r in rows:
        line: dict[str, Any] = {}
        if r["code"] is not None:
            line["code"] = r["code"]
        if r["modifiers"] not in (None, ""):
            line["modifiers"] = r["modifiers"].split(":")
        if r["units"] not in (None, ""):
            units = r["units"]
            line["units"] = int(units) if _WHOLE.fullmatch(units) else units
        lines.append(line)
    obj["lines"] = lines
    doc = _first(rows, "documentation")
    if doc is not None:
        try:
            obj["documentation"] = json.loads(doc)
        except ValueError:
            obj["documentation"] = doc  # refused by name: "must be an object"
    note = _first(rows, "note")
    if note is not None:
        obj["note"] = note
    payer = _first(rows, "payer")
    if payer is not None:
        obj["payer"] = payer
    return obj


def _first(rows: Sequence[dict[str, Any]], column: str) -> str | None:
    return next((r[column] for r in rows if r[column] not in (None, "")), None)


def _line_no(text: str | None) -> int | None:
    if text is None or len(text) > 18 or not _WHOLE.fullmatch(text):
        return None
    return int(text)


def _units(text: str | None) -> int | None:
    if text in (None, ""):
        return 1
    assert text is not None
    return int(text) if _WHOLE.fullmatch(text) else None


def _batch_errors(rows: Sequence[dict[str, Any]]) -> list[FieldError]:
    errors = []
    for column in _ENCOUNTER_LEVEL:
        values = {r[column] for r in rows}
        if len(values) > 1:
            errors.append(
                FieldError(
                    column,
                    f"the lines of one encounter give {len(values)} different values",
                    "inconsistent",
                )
            )
    payers = {r["payer"] for r in rows if r["payer"] not in (None, "")}
    if len(payers) > 1:
        errors.append(
            FieldError(
                "payer",
                f"the lines of one encounter give {len(payers)} different payers",
                "inconsistent",
            )
        )
    numbers = [_line_no(r["line"]) for r in rows]
    if None in numbers:
        errors.append(FieldError("line", "not a whole number", "invalid_line"))
    elif len(set(numbers)) < len(numbers):
        errors.append(FieldError("line", "a line number repeats", "duplicate_line"))
    return errors
