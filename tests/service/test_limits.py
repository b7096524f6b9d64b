"""A real ``fluorocode serve`` bounds what a client can make it hold: raw sockets.

The key is checked before the body is read; the request line and headers may take
64 KiB (431 above); a client that stalls in its headers or its body gets 408 after
``--read-timeout``; a body over ``--max-body-mb`` gets 413. Each is tested against
the command itself on a loopback port, with bytes written by hand.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from fluorocode.api import READ_TIMEOUT_ENV
from fluorocode.cli import serve as cli_serve
from fluorocode.service import protocol

from ._support import Served, read_response

TIMEOUT = 1.0  # --read-timeout for these tests


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("limits")
    with Served(
        root / "home", root / "serve.log", "--read-timeout", str(TIMEOUT)
    ) as server:
        yield server


def _head(path: str, *headers: str, method: str = "POST") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
    return "\r\n".join(lines).encode("latin-1")


def test_no_key_is_refused_before_the_body_is_sent(served: Served) -> None:
    with served.connect() as sock:
        started = time.monotonic()
        # announces 4 MB (under the body limit) and sends none of it
        sock.sendall(
            _head(
                "/v1/check", "Content-Type: application/json", "Content-Length: 4000000"
            )
        )
        status, raw = read_response(sock, seconds=5)
        elapsed = time.monotonic() - started
    assert status == 401
    assert b"www-authenticate: Bearer" in raw
    assert elapsed < TIMEOUT / 2, f"401 after {elapsed:.2f} s: it waited for the body"


def test_a_wrong_key_is_refused_before_the_body_is_sent(served: Served) -> None:
    with served.connect() as sock:
        started = time.monotonic()
        sock.sendall(
            _head("/v1/check", "Authorization: Bearer fck_wrong", "Content-Length: 999")
        )
        status, _ = read_response(sock, seconds=5)
    assert status == 401
    assert time.monotonic() - started < TIMEOUT / 2


@pytest.mark.parametrize("shape", ["one large header", "many small headers"])
def test_headers_over_64_kib_get_431(served: Served, shape: str) -> None:
    if shape == "one large header":
        head = _head("/healthz", "X-Filler: " + "a" * 70_000, method="GET")
    else:
        many = [f"X-F{i}: {'b' * 30}" for i in range(2500)]
        head = _head("/healthz", *many, method="GET")
    with served.connect() as sock:
        sock.sendall(head)  # in one write: counted as parsed
        status, raw = read_response(sock)
    assert status == 431
    assert json.loads(raw.partition(b"\r\n\r\n")[2])["error"] == "headers_too_large"


def test_an_endless_header_is_cut_off_early(served: Served) -> None:
    """A 256 MB header was accepted; now the server answers 431 and closes early."""
    chunk = b"a" * (1024 * 1024)
    sent = 0
    with served.connect() as sock:
        sock.sendall(_head("/healthz", method="GET")[:-2] + b"X-Filler: ")
        sock.settimeout(10)
        try:
            while sent < 256 * len(chunk):
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        status, _ = read_response(sock)
    assert status == 431
    # the kernel's socket buffers take some megabytes before the close is seen
    assert sent < 64 * len(chunk), f"{sent >> 20} MB sent before the server refused"


def test_headers_under_the_limit_are_served(served: Served) -> None:
    with served.connect() as sock:
        sock.sendall(_head("/healthz", "X-Filler: " + "a" * 60_000, method="GET"))
        status, raw = read_response(sock)
    assert status == 200
    assert raw.endswith(b'{"status":"ok"}')


def test_a_stalled_body_gets_408(served: Served) -> None:
    with served.connect() as sock:
        sock.sendall(
            _head(
                "/v1/check",
                f"Authorization: Bearer {served.token}",
                "Content-Type: application/json",
                "Content-Length: 100",
            )
            + b'{"id": "par'  # and then nothing more
        )
        started = time.monotonic()
        status, raw = read_response(sock, seconds=TIMEOUT + 10)
        elapsed = time.monotonic() - started
        sock.settimeout(5)
        assert sock.recv(1) == b""  # and the connection is closed
    assert status == 408
    assert json.loads(raw.partition(b"\r\n\r\n")[2])["error"] == "request_timeout"
    assert TIMEOUT * 0.8 < elapsed < TIMEOUT + 5


def test_a_body_dripped_slowly_gets_408(served: Served) -> None:
    """Each byte in time is not enough: the whole body has the deadline."""
    with served.connect() as sock:
        sock.sendall(
            _head(
                "/v1/check",
                f"Authorization: Bearer {served.token}",
                "Content-Length: 100",
            )
        )
        started = time.monotonic()
        sock.settimeout(0.2)
        status = 0
        for _ in range(100):
            try:
                sock.sendall(b" ")
            except (BrokenPipeError, ConnectionResetError):
                break
            try:
                if sock.recv(1, socket.MSG_PEEK):
                    break
            except TimeoutError:
                continue
        status, _ = read_response(sock)
    assert status == 408
    assert time.monotonic() - started < TIMEOUT + 5


def test_stalled_headers_get_408(served: Served) -> None:
    with served.connect() as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a")
        started = time.monotonic()
        status, _ = read_response(sock, seconds=TIMEOUT + 10)
    assert status == 408
    assert time.monotonic() - started < TIMEOUT + 5


def test_a_body_over_the_limit_is_413_before_it_is_sent(served: Served) -> None:
    with served.connect() as sock:
        sock.sendall(
            _head(
                "/v1/check",
                f"Authorization: Bearer {served.token}",
                "Content-Length: 6000000",
            )
        )
        status, _ = read_response(sock, seconds=5)
    assert status == 413


def test_the_server_log_names_no_body(served: Served) -> None:
    text = served.log.read_text()
    assert "Invalid HTTP request" not in text
    assert '{"id": "par' not in text


def test_the_command_line_and_the_service_agree_on_the_setting() -> None:
    # one name, in fluorocode.config, re-exported by the api both edges import
    assert cli_serve.READ_TIMEOUT_ENV is protocol.READ_TIMEOUT_ENV is READ_TIMEOUT_ENV
    assert cli_serve.HTTP == (
        f"{protocol.__name__}:{protocol.LimitedHttpToolsProtocol.__name__}"
    )
    option = next(p for p in cli_serve.serve_command.params if p.name == "read_timeout")
    assert option.default == protocol.DEFAULT_READ_TIMEOUT
