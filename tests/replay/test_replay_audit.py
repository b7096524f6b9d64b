"""``fluorocode replay --audit``: audit records re-checked against another edition.

The records are written as the service writes them (``Checker.check_traced``,
``api.audit_records``, the audit writer); the privacy test reads the trail's files
byte by byte after a check that read a real note.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fluorocode.api import AuditWriter, Checker, audit_log, audit_records, replay
from fluorocode.cli import cli

from ._editions import CHANGED, UNCHANGED, encounter

ALL = [*CHANGED.values(), *UNCHANGED.values()]
NOTE = "mts-2448.txt"  # a real note: fluoroscopy time, air kerma, an indication


def noted(note: str) -> dict[str, Any]:
    """29880 + 76000 with a confirmed distinct indication, documented by the note
    (time, air kerma, indication) and the structured block (images, report)."""
    return encounter(
        "noted",
        ("29880", ["RT"], 1),
        "76000",
        documentation={
            "fluoroscopy": {
                "images_saved": True,
                "separate_report": True,
                "distinct_indication": {
                    "confirmed": True,
                    "basis": "separate-encounter",
                },
            }
        },
        note=note,
    )


def record_checks(
    home: Path, objs: list[Any], key: str = "scribe", traced: bool = True
) -> None:
    checker = Checker(home)
    writer = AuditWriter(audit_log(home))
    try:
        for i, obj in enumerate(objs):
            report, checked = checker.check_traced(obj)
            writer.write(
                audit_records(
                    [obj],
                    [report.to_dict()],
                    key,
                    f"req-{i}",
                    [checked] if traced else None,
                )
            )
    finally:
        writer.close()


@pytest.fixture
def note_text(shared_data: Path) -> str:
    return (shared_data / "notes" / NOTE).read_text(encoding="utf-8")


def by_id(run: Any) -> dict[str, dict[str, Any]]:
    return {i.encounter_id: i.to_dict() for i in run}


def test_audit_replay_finds_the_changed_checks(home: Path, note_text: str) -> None:
    record_checks(home, [*ALL, noted(note_text)])
    record_checks(home, [CHANGED["flip"]], key="other")
    run = replay("medicare/2024Q4", checker=Checker(home))
    items = [i.to_dict() for i in run]
    assert run.summary.to_dict()["source"] == "audit"
    assert (run.summary.checked, run.summary.counts["changed"]) == (8, 6)
    changed = [i["encounter_id"] for i in items if i["kind"] == "changed"]
    assert changed == [*CHANGED, "noted", "flip"]
    assert all(i["reproduced"] is True for i in items)
    flip = items[0]
    assert flip["record"] == 1 and flip["key"] == "scribe" and flip["at"]
    assert flip["before"]["status"] == "needs_provider_input"
    assert flip["after"]["status"] == "corrected"
    assert {(r["side"], r["row"]["modifier_indicator"]) for r in flip["edit_rows"]} == {
        ("before", 1),
        ("after", 0),
    }
    only_other = by_id(
        replay("medicare/2024Q4", checker=Checker(home), key_name="other")
    )
    assert list(only_other) == ["flip"]
    assert only_other["flip"]["record"] == 8
    late = replay("medicare/2024Q4", checker=Checker(home), since="2999-01-01")
    assert list(late) == [] and late.summary.checked == 0


def test_a_note_based_check_replays_faithfully(home: Path, note_text: str) -> None:
    record_checks(home, [noted(note_text)])
    [record] = audit_log(home).records()
    assert record.status == "corrected"  # XE added: everything documented
    note = record.replay["note"]
    assert note["fluoroscopy_used"] is True
    assert note["filled"] == {
        "indication": True,
        "minutes": 7.5,
        "air_kerma": 2666.0,
    }
    # under its own edition the rebuilt encounter gets the recorded verdict: without
    # the note's facts, 76000 would be held for missing documentation instead
    [same] = replay("medicare/2024Q3", checker=Checker(home))
    assert (same.kind, same.reproduced) == ("unchanged", True)
    [later] = replay("medicare/2024Q4", checker=Checker(home))
    assert later.kind == "changed"
    assert [ln["action"] for ln in later.to_dict()["after"]["lines"]] == [
        "keep",
        "remove",
    ]


def test_records_read_again_equal_records_traced(home: Path, note_text: str) -> None:
    record_checks(home, [noted(note_text), CHANGED["mue"]], traced=False)
    record_checks(home, [noted(note_text), CHANGED["mue"]], traced=True)
    records = list(audit_log(home).records())
    assert [r.replay for r in records[:2]] == [r.replay for r in records[2:]]


def test_the_trail_never_holds_the_note_or_the_indication(
    home: Path, note_text: str
) -> None:
    from fluorocode.api import extract_note

    indication = extract_note(note_text)["indication"]
    assert indication and len(indication) > 20
    record_checks(home, [noted(note_text)])
    result = CliRunner().invoke(
        cli,
        ["replay", "--edition", "medicare/2024Q4", "--audit", "--home", str(home)],
    )
    assert result.exit_code == 0
    blobs = [p.read_bytes() for p in home.glob("audit.sqlite3*")]
    blobs.append(result.stdout.encode("utf-8"))
    words = [indication, *_pieces(note_text)]
    for blob in blobs:
        for text in words:
            assert text.encode("utf-8") not in blob


def _pieces(text: str) -> list[str]:
    """Stretches of the note long enough that only the note would contain them."""
    lines = [ln.strip() for ln in text.splitlines() if len(ln.strip()) >= 40]
    return [ln[:40] for ln in lines]


OLD_SCHEMA = """
CREATE TABLE checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, key_name TEXT NOT NULL,
    request_id TEXT NOT NULL, position INTEGER NOT NULL, encounter_id TEXT,
    input_sha256 TEXT NOT NULL, status TEXT NOT NULL, edition TEXT,
    sources TEXT NOT NULL, lines TEXT NOT NULL, findings TEXT NOT NULL,
    answers TEXT NOT NULL, errors TEXT NOT NULL
);
"""


def test_old_records_are_not_replayable_and_say_why(home: Path) -> None:
    """A trail written before the replay column: its records are reported, and a
    writer adds the column so that new records replay."""
    path = home / "audit.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(OLD_SCHEMA)
    line = {"index": 0, "code": "29880", "modifiers": [], "units": 1, "action": "keep"}
    conn.execute(
        "INSERT INTO checks (at, key_name, request_id, position, encounter_id, "
        "input_sha256, status, edition, sources, lines, findings, answers, errors) "
        "VALUES ('2024-08-15T10:00:00.000Z', 'scribe', 'r', 0, 'old', 'x', 'clean', "
        "'null', '[]', ?, '[]', '{}', '[]')",
        (json.dumps([line]),),
    )
    conn.commit()
    conn.close()
    record_checks(home, [CHANGED["mue"]])
    items = [i.to_dict() for i in replay("medicare/2024Q4", checker=Checker(home))]
    assert [(i["encounter_id"], i["kind"]) for i in items] == [
        ("old", "not_replayable"),
        ("mue", "changed"),
    ]
    assert "recorded before fluorocode kept it" in items[0]["reason"]


def test_rejected_and_claims_records_are_not_replayable(home: Path) -> None:
    record_checks(home, [{"id": "rejected", "lines": []}])
    checker = Checker(home)
    report = checker.check(CHANGED["mue"]).to_dict()
    writer = AuditWriter(audit_log(home))
    try:  # as the service recorded a claims file's reports before it kept them
        writer.write(audit_records([{}], [report], "scribe", "claims"))
    finally:
        writer.close()
    items = [i.to_dict() for i in replay("medicare/2024Q4", checker=checker)]
    assert [i["kind"] for i in items] == ["not_replayable"] * 2
    assert items[0]["reason"].startswith("the encounter was rejected")
    assert "claims file" in items[1]["reason"]


def test_a_record_whose_edition_is_gone_is_still_compared(home: Path) -> None:
    record_checks(home, [CHANGED["flip"]])
    Checker(home).registry.remove(*_program_quarter("medicare", "2024Q3"))
    [item] = replay("medicare/2024Q4", checker=Checker(home))
    doc = item.to_dict()
    assert doc["kind"] == "changed" and doc["reproduced"] is None
    # the rows the after check cites, with how the recorded edition held them: unknown
    assert [(r["side"], r["in_other_edition"]) for r in doc["edit_rows"]] == [
        ("after", None)
    ]


def _program_quarter(program: str, quarter: str) -> tuple[Any, str]:
    from fluorocode.domain.codes import Program

    return Program(program), quarter


def test_cli_audit_since_key_and_table(home: Path) -> None:
    record_checks(home, list(CHANGED.values()))
    record_checks(home, [CHANGED["flip"]], key="other")
    base = ["replay", "--edition", "medicare/2024Q4", "--audit", "--home", str(home)]
    result = CliRunner().invoke(cli, [*base, "--key", "other", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r.get("encounter_id") for r in rows] == ["flip", None]
    assert rows[-1] == {
        "kind": "summary",
        "edition": rows[-1]["edition"],
        "source": "audit",
        "checked": 1,
        "changed": 1,
        "unchanged": 0,
        "not_replayable": 0,
    }
    table = CliRunner().invoke(
        cli, [*base, "--since", "2000-01-01", "--format", "table"]
    )
    assert table.exit_code == 0
    assert "Encounter mue (record 4): corrected -> clean" in table.stdout
    assert "5 checked, 5 changed" in table.stdout
    bad = CliRunner().invoke(cli, [*base, "--since", "yesterday"])
    assert "'yesterday' is not an ISO date or time" in str(bad.exception)
