"""The outermost layer of the app: size limit, request id, access log, last-resort 500.

The access log line holds the method, the path (never the query string), the status,
the latency, the API key's name and how many encounters a check carried, and the
request id; never a body, a note, a code or any clinical content. An unexpected error is
logged by its type and the place it was raised, without its message (a message may
quote the input), and answered with a JSON 500 naming the request id.

Bodies are read here, up to the limit, before any route runs: a body over the limit
(announced by ``Content-Length`` or found while reading) is answered 413 and never
parsed.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
import traceback
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fluorocode.service.errors import error_body

log = logging.getLogger("fluorocode.service")

DEFAULT_MAX_BODY = 5 * 1024 * 1024

#: Request ids: random per process, then counted (no system call per request).
_PREFIX = uuid.uuid4().hex[:8]
_COUNTER = itertools.count(1)


class _TooLarge(Exception):
    pass


class EdgeMiddleware:
    """Pure ASGI middleware (module docstring)."""

    def __init__(self, app: ASGIApp, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = f"{_PREFIX}{next(_COUNTER):08x}"
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        path: str = scope.get("path", "")
        sent = {"status": 0}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
                if path.startswith("/v1/"):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        try:
            replay = await self._read_body(scope, receive)
            await self.app(scope, replay, send_with_headers)
        except _TooLarge:
            if not sent["status"]:
                limit = f"{self.max_body / 1024 / 1024:g} MB"
                await _json(
                    send_with_headers,
                    413,
                    error_body(413, f"request body over the {limit} limit"),
                )
        except Exception as exc:
            frame = traceback.extract_tb(exc.__traceback__)[-1:]
            where = f"{frame[0].filename}:{frame[0].lineno}" if frame else "?"
            log.error(
                "unhandled %s at %s request=%s", type(exc).__name__, where, request_id
            )
            if not sent["status"]:
                message = f"internal error (request {request_id}); see the server log"
                await _json(send_with_headers, 500, error_body(500, message))
        finally:
            log.info(
                "%s %s %d %.1fms key=%s encounters=%s request=%s",
                scope.get("method", "?"),
                path,
                sent["status"],
                (time.perf_counter() - started) * 1000,
                state.get("key_name", "-"),
                state.get("encounters", "-"),
                request_id,
            )

    async def _read_body(self, scope: Scope, receive: Receive) -> Receive:
        """Read the whole body (refusing more than the limit) and replay it."""
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    if int(value) > self.max_body:
                        raise _TooLarge
                except ValueError:
                    pass
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return _replay(b"", receive, message)
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return _replay(b"".join(chunks), receive, None)


def _replay(body: bytes, receive: Receive, pending: Message | None) -> Receive:
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            if pending is not None:
                return pending
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _json(send: Send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
