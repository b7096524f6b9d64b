"""Shared by the service tests: encounters, headers and a live uvicorn server."""

from __future__ import annotations

import copy
import hashlib
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

#: 29880 + 76000 in an ASC: held on the demo edition's indicator-1 edit.
KNEE: dict[str, Any] = {
    "id": "knee-1",
    "date_of_service": "2024-08-15",
    "place_of_service": "24",
    "lines": [
        {"code": "29880", "modifiers": ["RT"], "units": 1},
        {"code": "76000", "modifiers": [], "units": 1},
    ],
}

#: Everything the provider answers for KNEE, confirmed as a separate encounter.
ANSWERS: dict[str, Any] = {
    "indication": "Stress views of the contralateral ankle",
    "minutes": 1.2,
    "air_kerma": {"value": 3.1, "unit": "mGy"},
    "images_saved": True,
    "separate_report": True,
    "distinct_indication": {"confirmed": True, "basis": "separate-encounter"},
}


#: ANSWERS as the audit trail keeps them: that an indication was given, not its words.
AUDITED_ANSWERS: dict[str, Any] = {**ANSWERS, "indication": True}


def knee(**changes: Any) -> dict[str, Any]:
    """A copy of KNEE with top-level fields changed."""
    enc = copy.deepcopy(KNEE)
    enc.update(changes)
    return enc


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class LiveServer:
    """The app on a real uvicorn server on a loopback port, in a thread of the test."""

    def __init__(self, app: FastAPI) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


# -- two versions of one quarter, for replacing an edition under load ----------------

_PTP_HEADER = (
    "CPT only copyright 2023 American Medical Association.  All rights reserved.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
    "\t\t\t\t*=no data\t1=allowed\t\r\n"
    "\t\t\t\t\t9=not applicable\t\r\n"
)

#: 33289 + 76000: removed under version A (indicator 0), held under B (indicator 1).
SWAP_ENCOUNTER: dict[str, Any] = {
    "id": "swap",
    "date_of_service": "2024-08-15",
    "place_of_service": "22",
    "lines": [{"code": "33289"}, {"code": "76000"}],
}


def two_versions(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Two CMS PTP files of 2024Q3: SHA-256 -> (path, 76000's action under it)."""
    out = {}
    for label, indicator, action in (("a", "0", "remove"), ("b", "1", "hold")):
        rows = [
            ("29880", "76000", "19960101", "*", "1", "Standards of practice"),
            ("33289", "76000", "20190101", "*", indicator, "Coding instruction"),
        ]
        body = "".join(
            f"{a}\t{b}\t\t{e}\t{d}\t{i}\t{r}\r\n" for a, b, e, d, i, r in rows
        )
        folder = tmp_path / label
        folder.mkdir()
        path = folder / "ccipra-v302r0-f1.TXT"
        path.write_bytes((_PTP_HEADER + body).encode("latin-1"))
        out[hashlib.sha256(path.read_bytes()).hexdigest()] = (path, action)
    return out


# -- a real `fluorocode serve` process on a loopback port ----------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """``fluorocode serve`` in a child process: its port, a key, its log (stderr)."""

    def __init__(self, home: Path, log: Path, *args: str) -> None:
        from fluorocode.api import api_keys

        self.home = home
        self.token = api_keys(home).create("tester")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.args = [
            sys.executable,
            "-m",
            "fluorocode",
            "serve",
            "--home",
            str(home),
            "--port",
            str(self.port),
            *args,
        ]
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Served:
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(self.args, stdout=log, stderr=log)
        self.wait_ready()
        return self

    def wait_ready(self, seconds: float = 60) -> None:
        import httpx

        assert self.process is not None
        deadline = time.monotonic() + seconds
        while True:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "the server did not become ready"
            time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return sock


def read_response(sock: socket.socket, seconds: float = 10) -> tuple[int, bytes]:
    """The status and raw bytes of one HTTP response, read until the server closes
    the connection or the headers and a Content-Length's worth of body are in."""
    sock.settimeout(seconds)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            break
        if not chunk:
            break
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if sep:
            length = [
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ]
            if length and len(body) >= length[0]:
                break
    assert data.startswith(b"HTTP/1.1 "), data[:200]
    return int(data.split(b" ", 2)[1]), data


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` that are service workers (not helpers)."""
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    workers = []
    for child in map(int, listed):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"spawn_main" in cmdline:
            workers.append(child)
    return workers


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
