"""Replay: saved encounters re-checked against another edition (docs/replay.md)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from fluorocode.api.checker import Checker
from fluorocode.api.claims import check_source_traced
from fluorocode.api.service import audit_log
from fluorocode.domain.codes import Program
from fluorocode.domain.findings import ReportStatus
from fluorocode.errors import (
    ClaimInputError,
    FieldError,
)

if TYPE_CHECKING:
    from fluorocode.adapters.audit.log import AuditLog
    from fluorocode.adapters.claims.model import SourceEncounter
    from fluorocode.adapters.replay.run import ReplayRun, Traced


_EDITION_NAME = re.compile(r"([a-z]+)\s*[/ ]\s*(\d{4})-?q([1-4])")


def parse_edition_name(text: str, field: str = "edition") -> tuple[Program, str]:
    """``medicare/2024Q4`` or ``medicare 2024q4`` (any case) as (program, quarter).

    Raises:
        ClaimInputError: not an edition name (``field`` names it).
    """
    match = _EDITION_NAME.fullmatch(text.strip().lower())
    programs = {p.value for p in Program}
    if match is None or match[1] not in programs:
        raise ClaimInputError(
            [
                FieldError(
                    field,
                    f"{text!r} is not an edition such as medicare/2024Q4 (programs: "
                    f"{', '.join(sorted(programs))})",
                    "invalid_edition",
                )
            ]
        )
    return Program(match[1]), f"{match[2]}Q{match[3]}"


def replay(
    edition: str,
    encounters: Iterable[Any] | None = None,
    *,
    claims: Iterable[SourceEncounter] | None = None,
    checker: Checker | None = None,
    audit: AuditLog | None = None,
    since: str | None = None,
    key_name: str | None = None,
    after: int = 0,
    limit: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReplayRun:
    """Re-check saved encounters against ``edition`` (docs/replay.md).

    ``encounters``: decoded contract encounters (or ``adapters.replay.run.BadItem``);
    None replays the records of ``audit`` (default: the checker's home's trail) at or
    after ``since`` (an ISO date or time, UTC unless it says), of ``key_name`` only if
    given, with ids above ``after``, at most ``limit`` of them. ``claims`` instead:
    the encounters of a claims file (``claims_encounters``), each checked as ``check``
    checks it and named by its claim id and date of service. Iterate the answer for
    one result per item; its ``summary`` counts them.

    Raises:
        ClaimInputError: ``edition`` is not an edition name, or ``since`` not a time.
        EditionNotFoundError: it is not imported.
        ValueError: both ``encounters`` and ``claims`` were given.
    """
    import itertools

    from fluorocode.adapters.audit.records import audit_time
    from fluorocode.adapters.replay.run import (
        ReplayRun,
        Summary,
        edition_block,
        replay_encounters,
        replay_records,
    )

    if encounters is not None and claims is not None:
        raise ValueError("replay encounters or claims, not both")
    checker = checker or Checker()
    target = checker.edition(*parse_edition_name(edition))
    if encounters is not None:
        items = replay_encounters(encounters, checker, target)
        source = "encounters"
    elif claims is not None:
        traced = (_traced(checker, enc) for enc in claims)
        items = replay_encounters(traced, checker, target)
        source = "claims"
    else:
        log = audit or audit_log(checker.home)
        records = log.records(
            None if since is None else audit_time(since), key_name, after
        )
        if limit is not None:
            records = itertools.islice(records, limit)
        items = replay_records(records, checker, target)
        source = "audit"
    return ReplayRun(items, Summary(edition_block(target), source), progress)


def _traced(checker: Checker, enc: SourceEncounter) -> Traced:
    """A claims file's encounter checked as ``check`` checks it, named by its claim id
    and date of service (a rejected one's date may be anything the file held: none)."""
    from fluorocode.adapters.replay.run import Traced

    report, encounter = check_source_traced(checker, enc)
    date = enc.encounter.get("date_of_service")
    where = {
        "claim": enc.claim_id,
        "date_of_service": None if report.status is ReportStatus.REJECTED else date,
    }
    return Traced(where, report, encounter)
