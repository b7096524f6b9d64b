"""Replay saved encounters or audit records against one edition (docs/replay.md).

Each item gives one ``Replayed``: changed, unchanged or not replayable (with the
reason). *Before* is, for an encounter, its check under the edition its date of
service and program select, and for an audit record, the verdict it recorded; *after*
is the check under the edition named. For a record, the encounter is rebuilt from what
it keeps (``records.replay_encounter``) and, when the recorded edition is still
imported in the same version, checked again under it too: that gives the edit rows
the recorded check rested on, and says whether the record was reproduced
(``reproduced``: false means the engine or the edition changed since; the record's
own verdict is still the one compared).

An encounter of a claims file comes checked already by its reader (``Traced``: the
claim's places named, an inpatient bill not subject to the edits), its before report
and the encounter the rules saw; the rest is as for a contract encounter.

An encounter of another program than the edition's, or dated after the edition's
quarter (which that edition cannot answer: design.md, Editions), is not replayable;
nor is a claim the edits do not apply to.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from fluorocode.adapters.audit.records import (
    NOT_SUBJECT_REASON,
    AuditRecord,
    NotReplayable,
    replay_encounter,
)
from fluorocode.adapters.replay.compare import Verdict, differences, rows_that_differ
from fluorocode.adapters.store.demo import demo_edition
from fluorocode.domain.claim import Encounter
from fluorocode.domain.codes import Program
from fluorocode.domain.edits import EditLookup
from fluorocode.domain.findings import Report, ReportStatus
from fluorocode.errors import EditionError


class ReplayChecker(Protocol):
    """What a replay needs of ``fluorocode.api.Checker``."""

    def check_traced(
        self, obj: Any, edition: EditLookup | None = None
    ) -> tuple[Report, Encounter | None]: ...

    def check_encounter(
        self, encounter: Encounter, edition: EditLookup | None = None
    ) -> Report: ...

    def edition_for(
        self, program: Program, encounter: Encounter
    ) -> EditLookup | None: ...

    def edition(self, program: Program, quarter: str) -> EditLookup: ...


@dataclass(frozen=True, slots=True)
class BadItem:
    """An input item that could not be read (a JSON-lines line that is not JSON)."""

    where: str
    message: str


@dataclass(frozen=True, slots=True)
class Traced:
    """An encounter its reader checked already (a claims file's): ``where`` names it
    (claim, date of service), ``report`` is its check under the edition its date and
    program select, ``encounter`` the encounter the rules saw (None: rejected, or not
    subject to the edits)."""

    where: dict[str, Any]
    report: Report
    encounter: Encounter | None


@dataclass(frozen=True, slots=True)
class Replayed:
    """One encounter's replay: where it came from, and before and after, or why not."""

    where: dict[str, Any]
    encounter_id: str | None
    before: Verdict | None = None
    after: Verdict | None = None
    changes: tuple[str, ...] = ()
    edit_rows: tuple[dict[str, Any], ...] = ()
    reason: str | None = None
    reproduced: bool | None = None

    @property
    def kind(self) -> str:
        if self.reason is not None:
            return "not_replayable"
        return "changed" if self.changes else "unchanged"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "encounter_id": self.encounter_id,
            **self.where,
        }
        if self.reason is not None:
            out["reason"] = self.reason
            return out
        assert self.before is not None and self.after is not None
        out["before"] = self.before.to_dict()
        out["after"] = self.after.to_dict()
        out["changes"] = list(self.changes)
        out["edit_rows"] = list(self.edit_rows)
        if "record" in self.where:
            out["reproduced"] = self.reproduced
        return out


@dataclass
class Summary:
    """Counts of a replay: every item is checked, then changed, unchanged or not."""

    edition: dict[str, Any]
    source: str
    counts: dict[str, int] = field(
        default_factory=lambda: {"changed": 0, "unchanged": 0, "not_replayable": 0}
    )

    def add(self, item: Replayed) -> None:
        self.counts[item.kind] += 1

    @property
    def checked(self) -> int:
        return sum(self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "edition": self.edition,
            "source": self.source,
            "checked": self.checked,
            **self.counts,
        }


def edition_block(edition: EditLookup) -> dict[str, Any]:
    """The replay's edition in a few words: program, quarter, version, demo."""
    info = edition.info
    return {
        "program": info.program.value,
        "quarter": info.quarter,
        "version": info.version,
        "demo": info.demo,
    }


def _unanswerable(encounter: Encounter, edition: EditLookup) -> str | None:
    """Why ``edition`` cannot answer this encounter at all (module docstring)."""
    info = edition.info
    if encounter.program is not info.program:
        return (
            f"its program is {encounter.program.value}; the {info.program.value} "
            f"{info.quarter} edition does not answer it"
        )
    end = info.quarter_bounds()[1]
    if encounter.date_of_service > end:
        return (
            f"its date of service {encounter.date_of_service.isoformat()} is after the "
            f"{info.quarter} edition's quarter, which cannot answer it"
        )
    return None


def replay_encounters(
    items: Iterable[Any],
    checker: ReplayChecker,
    edition: EditLookup,
) -> Iterator[Replayed]:
    """Replay contract encounters (decoded JSON objects, ``BadItem`` or ``Traced``) in
    order."""
    for position, obj in enumerate(items):
        where: dict[str, Any] = {"position": position}
        if isinstance(obj, BadItem):
            yield Replayed(where, None, reason=f"{obj.where}: {obj.message}")
            continue
        if isinstance(obj, Traced):
            where.update(obj.where)
            report, encounter = obj.report, obj.encounter
        else:
            report, encounter = checker.check_traced(obj)
        if report.status is ReportStatus.REJECTED:
            yield Replayed(where, report.encounter_id, reason=_invalid(report))
            continue
        if encounter is None:  # a claim the edits do not apply to (``Traced``)
            yield Replayed(where, report.encounter_id, reason=NOT_SUBJECT_REASON)
            continue
        why = _unanswerable(encounter, edition)
        if why is not None:
            yield Replayed(where, encounter.id, reason=why)
            continue
        after_report = checker.check_encounter(encounter, edition)
        if after_report.status is ReportStatus.REJECTED:
            yield Replayed(where, encounter.id, reason=_invalid(after_report))
            continue
        after = after_report.to_dict()
        before = report.to_dict()
        changes = differences(Verdict.of_report(before), Verdict.of_report(after))
        rows: list[dict[str, Any]] = []
        if changes:
            normal = checker.edition_for(encounter.program, encounter)
            rows = rows_that_differ(before, after, normal, edition)
        yield Replayed(
            where,
            encounter.id,
            Verdict.of_report(before),
            Verdict.of_report(after),
            tuple(changes),
            tuple(rows),
        )


def replay_records(
    records: Iterable[AuditRecord],
    checker: ReplayChecker,
    edition: EditLookup,
) -> Iterator[Replayed]:
    """Replay audit records in order (module docstring)."""
    for record in records:
        where = {"record": record.id, "at": record.at, "key": record.key_name}
        try:
            encounter = replay_encounter(record)
        except NotReplayable as exc:
            yield Replayed(where, record.encounter_id, reason=str(exc))
            continue
        why = _unanswerable(encounter, edition)
        if why is not None:
            yield Replayed(where, record.encounter_id, reason=why)
            continue
        before = Verdict.of_record(record)
        after_report = checker.check_encounter(encounter, edition)
        if after_report.status is ReportStatus.REJECTED:
            yield Replayed(where, record.encounter_id, reason=_invalid(after_report))
            continue
        after = after_report.to_dict()
        recorded = _recorded_edition(checker, record)
        again = (
            checker.check_encounter(encounter, recorded).to_dict()
            if recorded is not None
            else None
        )
        reproduced = (
            None if again is None else not differences(before, Verdict.of_report(again))
        )
        changes = differences(before, Verdict.of_report(after))
        rows = rows_that_differ(again, after, recorded, edition) if changes else []
        yield Replayed(
            where,
            record.encounter_id,
            before,
            Verdict.of_report(after),
            tuple(changes),
            tuple(rows),
            reproduced=reproduced,
        )


def _invalid(report: Report) -> str:
    """A rejected check as a reason: the fields at fault (their messages may quote the
    input, so they stay out of the replay's output, as out of the audit trail)."""
    fields = ", ".join(sorted({e.safe_field for e in report.errors}))
    return f"the encounter is invalid ({fields})"


def _recorded_edition(checker: ReplayChecker, record: AuditRecord) -> EditLookup | None:
    """The edition a record was checked against, if still imported in that version."""
    block = record.edition
    if not block:
        return None
    if block.get("demo"):
        return demo_edition()
    try:
        edition = checker.edition(Program(block["program"]), block["quarter"])
    except (EditionError, ValueError, KeyError):
        return None
    return edition if edition.info.version == block.get("version") else None


class Progress:
    """Calls ``say`` with the counts every ``every`` seconds (for long inputs)."""

    def __init__(self, say: Callable[[str], None] | None, every: float = 2.0) -> None:
        self.say, self.every = say, every
        self.next = time.monotonic() + every

    def tick(self, summary: Summary) -> None:
        if self.say is None or time.monotonic() < self.next:
            return
        self.next = time.monotonic() + self.every
        c = summary.counts
        self.say(
            f"{summary.checked:,} checked: {c['changed']:,} changed, "
            f"{c['not_replayable']:,} not replayable"
        )


class ReplayRun:
    """The replayed items as they come, counted into ``summary`` on the way.

    Progress, when asked for, goes to ``say`` every two seconds.
    """

    def __init__(
        self,
        items: Iterator[Replayed],
        summary: Summary,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self._items, self.summary, self._progress = items, summary, Progress(say)
        #: the id of the last audit record replayed (where a next page starts)
        self.last_record: int | None = None

    def __iter__(self) -> Iterator[Replayed]:
        for item in self._items:
            self.summary.add(item)
            if "record" in item.where:
                self.last_record = item.where["record"]
            self._progress.tick(self.summary)
            yield item
