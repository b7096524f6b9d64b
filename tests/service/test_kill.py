"""``fluorocode serve`` under kill -9: no acknowledged check lost, no worker orphaned.

The supervisor of ``--workers N`` replaces a worker that dies, and its workers die
with it even when it is killed with SIGKILL (``cli._workers``).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from fluorocode.api import api_keys, audit_log

from ._support import Served, alive, bearer, children, free_port, knee

NOTE = "Jane Q Patient, MRN 000111. Fluoroscopy time 1:30."


def test_every_acknowledged_check_survives_a_kill_9(tmp_path: Path) -> None:
    home = tmp_path / "home"
    token = api_keys(home).create("loader")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    stderr = tmp_path / "serve.log"
    with open(stderr, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "fluorocode", "serve", "--home", str(home)]
            + ["--port", str(port)],
            stdout=log,
            stderr=log,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, stderr.read_text()
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.1)

        acknowledged: list[str] = []
        lock = threading.Lock()

        def send(worker: int) -> None:
            with httpx.Client(base_url=url, headers=bearer(token), timeout=10) as http:
                for n in range(100_000):
                    ids = [f"w{worker}-{n}-a", f"w{worker}-{n}-b"]
                    batch = [knee(id=ids[0], note=NOTE), knee(id=ids[1])]
                    try:
                        response = http.post("/v1/check", json=batch)
                    except httpx.TransportError:
                        return  # the server is gone
                    if response.status_code == 200:
                        with lock:
                            acknowledged.extend(ids)

        threads = [threading.Thread(target=send, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < 400 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(server.pid, signal.SIGKILL)  # mid-stream: requests are in flight
        server.wait(timeout=30)
        for t in threads:
            t.join(timeout=30)
    finally:
        if server.poll() is None:
            os.kill(server.pid, signal.SIGKILL)
            server.wait()

    assert server.returncode == -signal.SIGKILL
    assert len(acknowledged) >= 400
    conn = sqlite3.connect(home / "audit.sqlite3")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    recorded = {r.encounter_id for r in audit_log(home).records()}
    lost = set(acknowledged) - recorded
    assert not lost, f"{len(lost)} acknowledged checks missing from the audit trail"
    text = stderr.read_text()
    assert "POST /v1/check 200" in text and "key=loader encounters=2" in text
    assert "Jane" not in text and "MRN" not in text


def test_two_workers_share_the_port_and_stop_together(tmp_path: Path) -> None:
    home = tmp_path / "home"
    token = api_keys(home).create("loader")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "fluorocode", "serve", "--home", str(home)]
        + ["--port", str(port), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.1)
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text()
        workers = [int(pid) for pid in children.split()]
        assert len(workers) >= 2
        # separate connections, as separate clients would open them
        for i in range(20):
            response = httpx.post(
                f"{url}/v1/check", json=knee(id=f"t{i}"), headers=bearer(token)
            )
            assert response.status_code == 200
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers):
        assert time.monotonic() < deadline, "a worker outlived the service"
        time.sleep(0.1)
    recorded = {r.encounter_id for r in audit_log(home).records()}
    assert {f"t{i}" for i in range(20)} <= recorded


def _workers(supervisor: int, count: int, seconds: float = 60) -> list[int]:
    """The supervisor's ``count`` worker pids, once that many run."""
    deadline = time.monotonic() + seconds
    while True:
        found = children(supervisor)
        if len(found) == count:
            return found
        assert time.monotonic() < deadline, f"workers: {found}"
        time.sleep(0.1)


def _listening(log: Path, count: int, seconds: float = 60) -> None:
    """Wait until ``count`` workers have finished start-up: uvicorn opens a worker's
    socket only then, so a worker still warming up cannot take over for a killed one."""
    deadline = time.monotonic() + seconds
    while log.read_text().count("Application startup complete.") < count:
        assert time.monotonic() < deadline, "the workers did not finish starting"
        time.sleep(0.05)


def _reap(pids: list[int]) -> None:
    """Leave nothing running, whatever a test did or failed to do."""
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_workers_die_with_a_killed_supervisor(tmp_path: Path) -> None:
    """kill -9 of the supervisor left both workers serving, orphaned (issue 8)."""
    served = Served(tmp_path / "home", tmp_path / "serve.log", "--workers", "2")
    workers: list[int] = []
    with served:
        assert served.process is not None
        try:
            workers = _workers(served.process.pid, 2)
            os.kill(served.process.pid, signal.SIGKILL)
            served.process.wait(timeout=10)
            deadline = time.monotonic() + 5
            while any(alive(pid) for pid in workers):
                assert time.monotonic() < deadline, "a worker outlived its supervisor"
                time.sleep(0.05)
            with pytest.raises(httpx.TransportError):
                httpx.get(f"{served.url}/healthz", timeout=2)
        finally:
            _reap(workers)


def test_a_dead_worker_is_replaced_and_the_port_keeps_answering(
    tmp_path: Path,
) -> None:
    served = Served(tmp_path / "home", tmp_path / "serve.log", "--workers", "2")
    workers: list[int] = []
    with served:
        assert served.process is not None
        supervisor = served.process.pid
        try:
            workers = _workers(supervisor, 2)
            _listening(served.log, 2)
            os.kill(workers[0], signal.SIGKILL)
            # SO_REUSEPORT: a SYN the kernel hands the dying worker's socket while it
            # closes is refused; once it is closed, every new connection finds the other
            gone = time.monotonic() + 10
            while alive(workers[0]):
                assert time.monotonic() < gone, "the killed worker did not end"
                time.sleep(0.01)
            answered = []
            for i in range(40):  # a new connection each time, as new clients come
                response = httpx.post(
                    f"{served.url}/v1/check",
                    json=knee(id=f"after-{i}"),
                    headers=bearer(served.token),
                    timeout=10,
                )
                answered.append(response.status_code)
                time.sleep(0.05)
            assert answered == [200] * 40
            deadline = time.monotonic() + 30
            while True:
                now = children(supervisor)
                if len(now) == 2 and workers[0] not in now:
                    break
                assert time.monotonic() < deadline, f"not replaced: {now}"
                time.sleep(0.1)
            workers += now
            assert workers[1] in now  # the other one was left alone
            served.wait_ready()
            log = served.log.read_text()
            assert f"worker 0 (pid {workers[0]}) ended with signal SIGKILL" in log
            assert "starting another (restart 1 of at most 5 in 60 s)" in log
            served.process.send_signal(signal.SIGTERM)
            assert served.process.wait(timeout=30) == 0
            assert not [pid for pid in now if alive(pid)]
        finally:
            _reap(workers)
    recorded = {r.encounter_id for r in audit_log(served.home).records()}
    assert {f"after-{i}" for i in range(40)} <= recorded
