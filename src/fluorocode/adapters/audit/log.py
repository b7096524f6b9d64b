"""The audit trail in SQLite: durable writes with group commit, paged reads.

``<home>/audit.sqlite3`` (mode 0600) in WAL mode with ``synchronous=FULL``: a commit
returns only once its records are on disk, so a check acknowledged after its commit is
never lost, even if the process is killed or the machine loses power right after.

Writes go through one ``AuditWriter`` thread per process. Requests hand it their
records and wait on a future; the thread writes everything that queued up meanwhile in
one transaction (group commit: it waits ``COMMIT_WINDOW_S`` after the first record for
more), so a flush to disk is shared by all the requests it acknowledges. Several
processes (service workers) may write the same file: they take turns through an
``flock`` on ``audit.sqlite3.lock`` around each transaction, which wakes the next writer
the moment the lock is free (SQLite's own busy handler polls with sleeps of up to tens
of milliseconds, which showed as p99 latency under load).

The ``replay`` column (what ``fluorocode replay`` needs, ``records.replay_of``) came
later: a writer adds it to an older file, and records written before it read as None.
"""

from __future__ import annotations

import fcntl
import json
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import orjson

from fluorocode.adapters.audit.records import AuditRecord
from fluorocode.errors import AuditError

AUDIT_FILE = "audit.sqlite3"
BUSY_MS = 10_000
MAX_BATCH = 1024
#: How long the writer waits after the first queued record before it commits, so that
#: the records of checks finishing meanwhile share the commit (issue 11: a commit of
#: one record cost 149 µs of CPU, of four 40 µs each; under load this window raised
#: checks per second by a tenth to a fifth, and adds at most this much to an answer).
COMMIT_WINDOW_S = 0.0005

_SCHEMA = """
CREATE TABLE IF NOT EXISTS checks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            TEXT NOT NULL,
    key_name      TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    position      INTEGER NOT NULL,
    encounter_id  TEXT,
    input_sha256  TEXT NOT NULL,
    status        TEXT NOT NULL,
    edition       TEXT,
    sources       TEXT NOT NULL,
    lines         TEXT NOT NULL,
    findings      TEXT NOT NULL,
    answers       TEXT NOT NULL,
    errors        TEXT NOT NULL,
    replay        TEXT
);
CREATE INDEX IF NOT EXISTS checks_key ON checks (key_name, id);
CREATE INDEX IF NOT EXISTS checks_encounter ON checks (encounter_id, id);
"""
_COLUMNS = (
    "at, key_name, request_id, position, encounter_id, input_sha256, status, "
    "edition, sources, lines, findings, answers, errors, replay"
)
_JSON = ("edition", "sources", "lines", "findings", "answers", "errors", "replay")
#: Every column a record may have; a file older than a column reads without it.
_FIELDS = frozenset(("id", *(c.strip() for c in _COLUMNS.split(","))))


def _dumps(value: Any) -> str:
    # orjson: the same compact UTF-8 text as ``json.dumps`` with ``(",", ":")``, at a
    # tenth of the cost (the writer thread's time is taken from the checks': the GIL);
    # what orjson refuses (an integer over 64 bits, a key that is not a string) is
    # written as before rather than failing every check in the commit
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_INSERT = (
    f"INSERT INTO checks ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _row(r: AuditRecord) -> tuple[Any, ...]:
    return (
        r.at,
        r.key_name,
        r.request_id,
        r.position,
        r.encounter_id,
        r.input_sha256,
        r.status,
        _dumps(r.edition),
        _dumps(r.sources),
        _dumps(r.lines),
        _dumps(r.findings),
        _dumps(r.answers),
        _dumps(r.errors),
        None if r.replay is None else _dumps(r.replay),
    )


class AuditLog:
    """The audit database of one home directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_fd: int | None = None

    def connect(self) -> sqlite3.Connection:
        """A connection for writing: WAL, ``synchronous=FULL``, schema in place."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # created private: SQLite gives its -wal and -shm files the same mode
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.executescript(_SCHEMA)
            _add_replay_column(conn)
        except sqlite3.Error as exc:
            raise AuditError(
                f"{self.path}: cannot open the audit trail ({exc})"
            ) from exc
        return conn

    def write(
        self, conn: sqlite3.Connection, records: Sequence[AuditRecord]
    ) -> list[int]:
        """Insert ``records`` in one transaction and return their ids once on disk."""
        # the rows' JSON is written before the lock: other workers wait only for SQLite
        rows = [_row(r) for r in records]
        if self._lock_fd is None:
            lock = self.path.with_name(self.path.name + ".lock")
            self._lock_fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            return self._insert(conn, rows)
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def _insert(
        self, conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]
    ) -> list[int]:
        ids: list[int] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for row in rows:
                    ids.append(int(conn.execute(_INSERT, row).lastrowid or 0))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise AuditError(f"{self.path}: audit write failed ({exc})") from exc
        return ids

    def _reader(self) -> sqlite3.Connection | None:
        if not self.path.exists():
            return None
        try:
            conn = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, timeout=BUSY_MS / 1000
            )
            conn.row_factory = sqlite3.Row
        except sqlite3.Error as exc:
            raise AuditError(
                f"{self.path}: cannot read the audit trail ({exc})"
            ) from exc
        return conn

    def page(
        self,
        after: int = 0,
        limit: int = 100,
        key_name: str | None = None,
        encounter_id: str | None = None,
    ) -> tuple[list[AuditRecord], int | None]:
        """Records with id > ``after`` in id order, and the ``after`` of the next page.

        Returns:
            The records, and the id to pass as ``after`` for more (None at the end).
        """
        where: list[str] = ["id > ?"]
        args: list[Any] = [after]
        if key_name is not None:
            where.append("key_name = ?")
            args.append(key_name)
        if encounter_id is not None:
            where.append("encounter_id = ?")
            args.append(encounter_id)
        sql = f"SELECT * FROM checks WHERE {' AND '.join(where)} ORDER BY id LIMIT ?"
        rows = list(self._select(sql, [*args, limit + 1]))
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, (rows[-1].id if more and rows else None)

    def records(
        self,
        since: str | None = None,
        key_name: str | None = None,
        after: int = 0,
    ) -> Iterator[AuditRecord]:
        """Every record in id order.

        Args:
            since: only those at or after this time (ISO, as ``at`` is written).
            key_name: only those of this API key.
            after: only those with an id above this.
        """
        where: list[str] = ["id > ?"]
        args: list[Any] = [after]
        if since is not None:
            where.append("at >= ?")
            args.append(since)
        if key_name is not None:
            where.append("key_name = ?")
            args.append(key_name)
        yield from self._select(
            f"SELECT * FROM checks WHERE {' AND '.join(where)} ORDER BY id", args
        )

    def _select(self, sql: str, args: list[Any]) -> Iterator[AuditRecord]:
        conn = self._reader()
        if conn is None:
            return
        try:
            for row in conn.execute(sql, args):
                values = {k: row[k] for k in row.keys() if k in _FIELDS}
                for name in _JSON:
                    if values.get(name) is not None:
                        values[name] = json.loads(values[name])
                yield AuditRecord(**values)
        except sqlite3.Error as exc:
            raise AuditError(
                f"{self.path}: cannot read the audit trail ({exc})"
            ) from exc
        finally:
            conn.close()


def _add_replay_column(conn: sqlite3.Connection) -> None:
    """Give a file written before the ``replay`` column its column (module docstring)."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(checks)")}
    if "replay" not in columns:
        try:
            conn.execute("ALTER TABLE checks ADD COLUMN replay TEXT")
        except sqlite3.OperationalError as exc:
            if "duplicate column" not in str(exc):
                raise  # another worker may add it first; anything else is an error


_Item = tuple[list[AuditRecord], "Future[list[int]]"]


class AuditWriter:
    """One thread that writes the audit records of a process, in group commits."""

    def __init__(self, log: AuditLog) -> None:
        self.log = log
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._conn = log.connect()  # fail here, at start-up, not on the first check
        self._closed = False
        self._thread = threading.Thread(
            target=self._run, name="fluorocode-audit", daemon=True
        )
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not self._closed

    def submit(self, records: Sequence[AuditRecord]) -> Future[list[int]]:
        """Queue records; the future gives their ids once they are on disk."""
        future: Future[list[int]] = Future()
        if self._closed:
            future.set_exception(AuditError("the audit writer is closed"))
            return future
        self._queue.put((list(records), future))
        return future

    def write(self, records: Sequence[AuditRecord]) -> list[int]:
        """Write and wait (for callers without an event loop)."""
        return self.submit(records).result()

    def close(self) -> None:
        """Write what is queued, then stop the thread and close the database."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._thread.join()
        self._conn.close()

    def _run(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            if item is None:
                break
            batch = [item]
            time.sleep(COMMIT_WINDOW_S)
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._commit(batch)

    def _commit(self, batch: list[_Item]) -> None:
        try:
            ids = self.log.write(
                self._conn, [r for records, _ in batch for r in records]
            )
        except Exception as exc:  # every waiting request learns its check was not kept
            error = exc if isinstance(exc, AuditError) else AuditError(str(exc))
            for _, future in batch:
                future.set_exception(error)
            return
        start = 0
        for records, future in batch:
            future.set_result(ids[start : start + len(records)])
            start += len(records)
