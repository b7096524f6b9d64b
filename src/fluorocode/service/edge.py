"""The outermost layer of the app: API keys, limits, request id, access log, last 500.

Every request, before any route runs:

1. **API key first.** A ``/v1/`` path (but the public ``/v1/schema``) needs a valid
   key (``auth.identify``); without one the answer is 401 at once, before a byte of
   the body is read or waited for. The key goes to ``scope["state"]`` for the route
   (its scope, 403) and the log. A key file that cannot be read is 503, logged here by
   its type; the answer names no path.
2. **Body size.** A body over the limit, announced by ``Content-Length`` or found while
   reading, is answered 413 and never parsed.
3. **Body time.** The route reads the body through a ``receive`` bounded by
   ``read_timeout`` seconds from the request's start; a client that stalls gets 408
   and the connection is closed. (The headers have the same budget, in
   ``service.protocol``.)
4. **Direct routes.** A request for one of ``direct``'s method and path pairs (the hot
   path, ``POST /v1/check``) goes straight to its handler, past the framework's
   routing and layers; every other request goes to the app.

The access log line holds the method, the path (never the query string), the status,
the latency, the API key's name and how many encounters a check carried, and the
request id; never a body, a note, a code or any clinical content. An unexpected error is
logged by its type and the place it was raised, without its message (a message may
quote the input), and answered with a JSON 500 naming the request id.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
import traceback
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fluorocode.api import KeyStore
from fluorocode.service.auth import identify, needs_key
from fluorocode.service.errors import HttpError, error_body
from fluorocode.service.protocol import DEFAULT_READ_TIMEOUT

log = logging.getLogger("fluorocode.service")

DEFAULT_MAX_BODY = 5 * 1024 * 1024

#: Request ids: random per process, then counted (no system call per request).
_PREFIX = uuid.uuid4().hex[:8]
_COUNTER = itertools.count(1)


class _TooLarge(Exception):
    pass


class _TooSlow(Exception):
    pass


class EdgeMiddleware:
    """Pure ASGI middleware (module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        keys: KeyStore,
        max_body: int = DEFAULT_MAX_BODY,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        direct: Mapping[tuple[str, str], ASGIApp] | None = None,
    ) -> None:
        self.app = app
        self.keys = keys
        self.max_body = max_body
        self.read_timeout = read_timeout
        self.direct = dict(direct or {})

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

        ours = [
            (b"x-request-id", request_id.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
        ]
        if path.startswith("/v1/"):
            ours.append((b"cache-control", b"no-store"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
                # ours replace any the route set (as ``MutableHeaders`` would)
                mine = {name for name, _ in ours}
                message["headers"] = [
                    *(
                        h
                        for h in message.get("headers", ())
                        if h[0].lower() not in mine
                    ),
                    *ours,
                ]
            await send(message)

        try:
            headers = Headers(scope=scope)
            if needs_key(path):
                key = identify(self.keys, headers.get("authorization", ""))
                state["api_key"] = key
                state["key_name"] = key.name
            self._check_length(headers)
            deadline = asyncio.get_running_loop().time() + self.read_timeout
            bounded = self._bounded(receive, deadline)
            app = self.direct.get((scope["method"], path), self.app)
            await app(scope, bounded, send_with_headers)
        except HttpError as exc:  # refused before the app: the body is never read
            if not sent["status"]:
                body = error_body(exc.status, exc.message, exc.errors)
                await _json(send_with_headers, exc.status, body, exc.headers)
        except _TooLarge:
            if not sent["status"]:
                limit = f"{self.max_body / 1024 / 1024:g} MB"
                message = f"request body over the {limit} limit"
                await _json(send_with_headers, 413, error_body(413, message))
        except _TooSlow:
            if not sent["status"]:
                message = (
                    f"the request body did not arrive within {self.read_timeout:g} s"
                )
                await _json(send_with_headers, 408, error_body(408, message))
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

    def _check_length(self, headers: Headers) -> None:
        """413 at once for a body announced over the limit."""
        try:
            announced = int(headers.get("content-length", "0"))
        except ValueError:
            return  # the HTTP parser refuses a malformed length before we run
        if announced > self.max_body:
            raise _TooLarge

    def _bounded(self, receive: Receive, deadline: float) -> Receive:
        """``receive`` that refuses a body over the limit or later than ``deadline``."""
        size = 0
        done = False

        async def bounded() -> Message:
            nonlocal size, done
            if done:  # after the body: a wait for the disconnect, unbounded
                return await receive()
            try:
                # asyncio's own timeout: anyio's cancel scope cost a tenth of the event
                # loop's time per check (issue 11); the service runs on asyncio only
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise _TooSlow from None
            if message["type"] != "http.request":
                done = True
                return message
            size += len(message.get("body", b""))
            if size > self.max_body:
                raise _TooLarge
            done = not message.get("more_body", False)
            return message

        return bounded


async def _json(
    send: Send,
    status: int,
    body: dict[str, Any],
    extra: dict[str, str] | None = None,
) -> None:
    """Answer ``body`` and close the connection (a request body may be unread)."""
    data = json.dumps(body, allow_nan=False).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(data)).encode()),
        (b"connection", b"close"),
    ]
    for name, value in (extra or {}).items():
        headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
