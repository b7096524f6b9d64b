"""Concurrent checks share audit commits, and none is answered before its commit.

A live server whose audit disk is slow (each commit takes 50 ms more): requests that
arrive while one commit is being written queue up and go to disk together in the
next, one transaction and one flush for many requests. Each answer still waits for
the commit that holds its own records: every response comes after that commit
returned, and its records can be read back from the file the moment it arrives.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from fluorocode.api import AuditRecord, audit_log

from ._support import LiveServer, bearer, knee

CLIENTS = 12
EACH = 3
SLOW_DISK = 0.05


def test_concurrent_checks_share_commits_and_wait_for_their_own(
    app: FastAPI, home: Path, tokens: dict[str, str]
) -> None:
    audit = app.state.service.audit
    write = audit.write
    commits: list[tuple[float, set[str]]] = []  # (when it returned, request ids in it)

    def slow_write(conn: Any, records: Sequence[AuditRecord]) -> list[int]:
        time.sleep(SLOW_DISK)
        ids: list[int] = write(conn, records)
        commits.append((time.monotonic(), {r.request_id for r in records}))
        return ids

    audit.write = slow_write
    answered: list[tuple[float, str, int]] = []  # (when, request id, status)
    unread: list[str] = []  # request ids answered but not in the file
    lock = threading.Lock()
    with LiveServer(app) as live:
        start = threading.Barrier(CLIENTS)

        def client(n: int) -> None:
            with httpx.Client(base_url=live.url, timeout=30) as http:
                start.wait()
                for i in range(EACH):
                    enc = knee(id=f"c{n}-{i}")
                    response = http.post(
                        "/v1/check", json=enc, headers=bearer(tokens["scribe"])
                    )
                    at = time.monotonic()
                    request_id = response.headers["x-request-id"]
                    kept = {r.request_id for r in audit_log(home).records()}
                    with lock:
                        answered.append((at, request_id, response.status_code))
                        if request_id not in kept:
                            unread.append(request_id)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    assert len(answered) == CLIENTS * EACH
    assert {status for _, _, status in answered} == {200}
    assert unread == []
    committed_at = {rid: at for at, rids in commits for rid in rids}
    for at, request_id, _ in answered:
        assert committed_at[request_id] < at, f"{request_id} answered before its commit"
    # every request in exactly one commit, and far fewer commits than requests
    assert sum(len(rids) for _, rids in commits) == CLIENTS * EACH
    assert max(len(rids) for _, rids in commits) >= CLIENTS // 2
    assert len(commits) <= CLIENTS * EACH // 2
