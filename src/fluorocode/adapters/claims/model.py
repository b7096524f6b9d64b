"""What the claim readers produce: encounters that remember where they came from.

A reader turns each claim, and each date of service within it, into the contract's
encounter object; the usual validation (``domain.encounter_input``) then decides. Every
encounter keeps the way back to its source: which claim line each of its lines is, and
where each encounter field was read (``segment 23 SV1-01-2``, ``Claim.item[1]``), so
errors and the writers point at the file, not at the encounter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fluorocode.domain.findings import Action, Report, ReportStatus
from fluorocode.errors import FieldError

__all__ = [
    "ClaimOutcome",
    "ReadLine",
    "SourceEncounter",
    "claim_outcome",
    "group_lines",
    "encounter_id",
    "place_of",
]


@dataclass(frozen=True, slots=True)
class SourceEncounter:
    """One encounter read from a claim, with its way back to the source.

    Attributes:
        encounter: the contract's encounter object (values as read; not yet validated).
        claim: the ordinal of its claim in the file (0-based), shared by the
            encounters of a claim with lines on several dates.
        claim_id: CLM01 or the Claim's id.
        line_refs: per encounter line, the ordinal of the claim line it is (0-based).
        places: encounter field path -> where it was read, for error messages.
        source: the ``source`` block of the report (format, claim, segments or items).
        not_subject: why the edits do not apply (an inpatient bill), else None.
        errors: problems found while reading (the encounter is then rejected).
    """

    encounter: dict[str, Any]
    claim: int
    claim_id: str
    line_refs: tuple[int, ...]
    places: Mapping[str, str]
    source: Mapping[str, Any]
    not_subject: str | None = None
    errors: tuple[FieldError, ...] = field(default=())


def encounter_id(claim_id: str, date: str, several: bool) -> str:
    """``CLM01`` for a claim on one date; ``CLM01@2024-08-15`` for each of several."""
    return f"{claim_id}@{date}" if several else claim_id


def place_of(error: FieldError, places: Mapping[str, str]) -> FieldError:
    """The same error, its field renamed to where the value was read in the file."""
    where = places.get(error.field)
    if where is None:
        head = error.field.split(".")[0]
        where = places.get(head)
    if where is None:
        return error
    return FieldError(where, error.message, error.kind)


@dataclass(frozen=True, slots=True)
class ClaimOutcome:
    """What goes out for one claim, from the reports of its encounters.

    Attributes:
        claim: the claim's ordinal in the file.
        claim_id: CLM01 or the Claim's id.
        written: False when the claim is kept back (a held line, a rejected encounter).
        why_not: for a claim kept back, why, in plain words.
        lines: claim line ordinal -> (remove?, modifiers to submit); lines absent here
            go out unchanged.
    """

    claim: int
    claim_id: str
    written: bool
    why_not: str | None
    lines: Mapping[int, tuple[bool, tuple[str, ...]]]


def claim_outcome(
    claim: int, claim_id: str, pairs: Sequence[tuple[SourceEncounter, Report]]
) -> ClaimOutcome:
    """Combine the reports of one claim's encounters into what is written."""
    lines: dict[int, tuple[bool, tuple[str, ...]]] = {}
    for enc, report in pairs:
        label = report.encounter_id or claim_id
        if report.status is ReportStatus.REJECTED:
            return ClaimOutcome(
                claim, claim_id, False, f"{label} was rejected: fix the claim", {}
            )
        held = [r.index for r in report.lines if r.action is Action.HOLD]
        if held:
            return ClaimOutcome(
                claim,
                claim_id,
                False,
                f"{label}: line(s) {', '.join(map(str, held))} on hold until the "
                "provider answers the prompts",
                {},
            )
        for result in report.lines:
            if result.suggested or result.index >= len(enc.line_refs):
                continue  # a suggestion is never added silently
            if len(result.modifiers) > 4:
                return ClaimOutcome(
                    claim,
                    claim_id,
                    False,
                    f"{label}: line {result.index} would need more than 4 modifiers",
                    {},
                )
            lines[enc.line_refs[result.index]] = (
                result.action is Action.REMOVE,
                result.modifiers,
            )
    return ClaimOutcome(claim, claim_id, True, None, lines)


@dataclass(frozen=True, slots=True)
class ReadLine:
    """One claim line as read, before it is grouped into an encounter.

    ``where`` maps ``.code``, ``.units``, ``.modifiers[0]``... and ``date_of_service``,
    ``place_of_service`` to the place in the source.
    """

    ordinal: int
    date: str
    place: str
    obj: dict[str, Any]
    where: Mapping[str, str]


def group_lines(
    claim: int,
    claim_id: str,
    base: Mapping[str, Any],
    places: Mapping[str, str],
    lines: Sequence[ReadLine],
    source: Callable[[list[ReadLine]], dict[str, Any]],
    not_subject: str | None,
    errors: Sequence[FieldError],
) -> list[SourceEncounter]:
    """One encounter per date and place of service of a claim's lines, in line order.

    The id is the claim id for a claim on one date, ``id@date`` for each of several
    dates, and ``id@date/POS`` when one date has lines in several places of service.
    A claim with no line to check still gives one encounter: it carries the claim's
    errors, or why nothing was checked.
    """
    groups: dict[tuple[str, str], list[ReadLine]] = {}
    for line in lines:
        groups.setdefault((line.date, line.place), []).append(line)
    several = len(groups) > 1
    by_date = len({d for d, _ in groups}) < len(groups)
    out = []
    for (dos, pos), members in groups.items():
        enc_places = dict(places)
        for key in ("date_of_service", "place_of_service"):
            if key in members[0].where:  # the first line's place names the group's
                enc_places[key] = members[0].where[key]
        for j, line in enumerate(members):
            for key, where in line.where.items():
                if key in ("date_of_service", "place_of_service"):
                    continue
                else:
                    enc_places[f"lines[{j}]{key}"] = where
        encounter = {
            "id": encounter_id(claim_id, f"{dos}/{pos}" if by_date else dos, several),
            "date_of_service": dos,
            "place_of_service": pos,
            **base,
            "lines": [line.obj for line in members],
        }
        out.append(
            SourceEncounter(
                encounter,
                claim,
                claim_id,
                tuple(line.ordinal for line in members),
                enc_places,
                source(members),
                not_subject,
                tuple(errors),
            )
        )
    if not out:
        why = not_subject or "No line carries a HCPCS/CPT code: nothing to check."
        out.append(
            SourceEncounter(
                {"id": claim_id, "lines": []},
                claim,
                claim_id,
                (),
                places,
                source([]),
                None if errors else why,
                tuple(errors),
            )
        )
    return out
