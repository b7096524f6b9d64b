"""The audit trail's storage: durable settings, group commit, reading and export."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest

from fluorocode.adapters.audit.export import export
from fluorocode.adapters.audit.log import AuditLog, AuditWriter
from fluorocode.adapters.audit.records import (
    AuditRecord,
    answers_of,
    canonical_sha256,
    record_of,
)
from fluorocode.api import Checker
from fluorocode.errors import AuditError


def record(i: int, key: str = "k") -> AuditRecord:
    return AuditRecord(
        at=f"2026-01-01T00:00:{i % 60:02d}.000Z",
        key_name=key,
        request_id=f"r{i}",
        position=0,
        encounter_id=f"e{i}",
        input_sha256="0" * 64,
        status="clean",
        edition=None,
    )


def test_the_writer_connection_is_wal_and_fully_synchronous(tmp_path: Path) -> None:
    conn = AuditLog(tmp_path / "a.sqlite3").connect()
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        conn.close()


def test_concurrent_submissions_share_commits_and_lose_nothing(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "a.sqlite3")
    writer = AuditWriter(log)
    ids: list[int] = []
    lock = threading.Lock()

    def submit(start: int) -> None:
        for i in range(start, start + 50):
            got = writer.write([record(i)])
            with lock:
                ids.extend(got)

    threads = [threading.Thread(target=submit, args=(n * 50,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.close()
    assert sorted(ids) == list(range(1, 401))
    assert sorted(r.encounter_id or "" for r in log.records()) == sorted(
        f"e{i}" for i in range(400)
    )


def test_a_closed_writer_refuses_and_readers_of_nothing_get_nothing(
    tmp_path: Path,
) -> None:
    log = AuditLog(tmp_path / "a.sqlite3")
    assert list(AuditLog(tmp_path / "none.sqlite3").records()) == []
    assert AuditLog(tmp_path / "none.sqlite3").page() == ([], None)
    writer = AuditWriter(log)
    writer.close()
    assert not writer.alive
    with pytest.raises(AuditError):
        writer.write([record(1)])


def test_an_unwritable_trail_fails_at_start(tmp_path: Path) -> None:
    (tmp_path / "a.sqlite3").mkdir()  # a directory where the database should be
    with pytest.raises(AuditError, match="cannot open"):
        AuditWriter(AuditLog(tmp_path / "a.sqlite3"))


def test_records_keep_the_answers_and_hash_the_input_canonically(
    tmp_path: Path,
) -> None:
    enc = {
        "id": "e1",
        "date_of_service": "2024-08-15",
        "place_of_service": "11",
        "lines": [{"code": "76000"}],
        "note": "secret note",
        "documentation": {"fluoroscopy": {"minutes": 1.0, "indication": "x"}},
    }
    reordered = dict(reversed(list(enc.items())))
    assert canonical_sha256(enc) == canonical_sha256(reordered)
    # the indication is free text: the audit keeps that one was given, not its words
    assert answers_of(enc) == {"minutes": 1.0, "indication": True}
    assert answers_of({"documentation": "odd"}) == {} == answers_of(7)
    report = Checker(tmp_path).check(enc)
    rec = record_of(enc, report.to_dict(), key_name="k", request_id="r")
    assert "secret note" not in repr(rec)
    assert rec.edition is not None and "sources" not in rec.edition
    out = io.StringIO()
    assert export([rec], "jsonl", out) == 1
    with pytest.raises(ValueError, match="unknown export format"):
        export([rec], "xml", out)
