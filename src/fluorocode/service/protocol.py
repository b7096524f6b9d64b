"""uvicorn's httptools protocol with bounded request headers and a header deadline.

uvicorn bounds neither with httptools: its ``h11_max_incomplete_event_size`` applies to
the h11 parser only, and httptools collects a header of any length (a 256 MB header
was accepted). ``LimitedHttpToolsProtocol`` (``fluorocode serve`` runs it:
``--http`` is its import string) adds two limits before the app ever sees a request:

- **Header size**: the request line and headers together may take
  ``MAX_HEADER_BYTES`` (64 KiB; uvicorn's ``h11_max_incomplete_event_size``, when set,
  overrides it, so one knob serves both parsers). Bytes are counted as they arrive, so
  memory stays bounded by the limit plus one read; a request over it gets 431 and the
  connection is closed.
- **Header time**: a client has ``read_timeout()`` seconds (``DEFAULT_READ_TIMEOUT``,
  or ``$FLUOROCODE_READ_TIMEOUT`` from ``fluorocode serve --read-timeout``) from its
  connection, or from the first byte of a request, to finish sending the headers; a
  client that stalls gets 408 and is disconnected. The same budget bounds reading the
  body (``service.edge``).
"""

from __future__ import annotations

import asyncio
import os
from asyncio import TimerHandle
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from fluorocode.api import READ_TIMEOUT_ENV

#: Request line plus headers, in bytes (431 above).
MAX_HEADER_BYTES = 64 * 1024
#: Seconds to receive a request's headers, and then its body (408 after).
DEFAULT_READ_TIMEOUT = 10.0


def read_timeout() -> float:
    """The read deadline in seconds: ``$FLUOROCODE_READ_TIMEOUT``, else the default."""
    try:
        value = float(os.environ.get(READ_TIMEOUT_ENV, DEFAULT_READ_TIMEOUT))
    except ValueError:
        return DEFAULT_READ_TIMEOUT
    return value if value > 0 else DEFAULT_READ_TIMEOUT


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """httptools with bounded header size and header time (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_header_bytes: int = (
            self.config.h11_max_incomplete_event_size or MAX_HEADER_BYTES
        )
        self.read_timeout = read_timeout()
        self._reading_headers = True  # until a request's headers are complete
        self._began = False  # a request's first byte has come, its headers not all
        self._header_bytes = 0
        self._refused = False
        self._header_timer: TimerHandle | None = None

    # -- the deadline ------------------------------------------------------------

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.read_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if self._reading_headers and not self.transport.is_closing():
            if self._began:
                self._refuse(408, b"the request headers took too long to arrive")
            else:  # an idle connection: nothing to answer
                self.transport.close()

    # -- refusing ----------------------------------------------------------------

    def _refuse(self, status: int, message: bytes) -> None:
        """Answer ``status`` as JSON and close, without involving the app."""
        self._refused = True
        self._disarm()
        code = b"headers_too_large" if status == 431 else b"request_timeout"
        body = b'{"error":"%s","message":"%s","errors":[]}' % (code, message)
        self.transport.write(
            b"".join(
                [
                    STATUS_LINE[status],
                    b"content-type: application/json\r\n",
                    b"content-length: %d\r\n" % len(body),
                    b"connection: close\r\n\r\n",
                    body,
                ]
            )
        )
        self.transport.close()

    def _too_large(self) -> None:
        limit = b"%d KiB" % (self.max_header_bytes // 1024)
        self._refuse(431, b"request line and headers over the " + limit + b" limit")

    # -- the protocol ------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._reading_headers:
            self._header_bytes += len(data)
        super().data_received(data)
        if (
            not self._refused
            and self._reading_headers
            and self._header_bytes > self.max_header_bytes
        ):
            self._too_large()

    def on_message_begin(self) -> None:
        if self._refused:
            return
        super().on_message_begin()
        self._reading_headers = True
        self._began = True
        self._arm()

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._reading_headers = self._began = False
        self._header_bytes = 0
        self._disarm()
        # the exact size as parsed: catches headers that arrived in one large read
        size = len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers)
        if size > self.max_header_bytes:
            self._too_large()  # and no app call: the rest of this read is ignored
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused:
            super().on_message_complete()
