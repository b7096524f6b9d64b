"""What a check request's worker thread does: read the body, check, render, audit.

Everything here costs CPU in proportion to the body, so it runs in a worker thread,
never on the event loop: reading the JSON (``jsoncodec.decode``: depth-limited, finite
numbers only) or the claims file, the checks, the answer's bytes and the audit records'
hashes. Answers are written with ``render`` (``jsoncodec``'s encoder: strict JSON, never
``NaN`` or ``Infinity``, compact).

``CheckThreads.run`` is the one way there and back: the worker thread checks, hands the
records to the audit writer itself, and the event loop is woken once, when they are on
disk (issue 11). Before, it was woken when the check was done, handed the records over,
and was woken again by the commit: two hops through the loop per request, each waiting
for the GIL behind a busy check thread.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from fluorocode.api import (
    CLAIMS_MEDIA_TYPES,
    AuditRecord,
    AuditWriter,
    Checker,
    audit_records,
    check_claims_body,
)
from fluorocode.errors import FieldError, JsonDocumentError
from fluorocode.jsoncodec import decode, encode
from fluorocode.service import media
from fluorocode.service.errors import HttpError


@dataclass(frozen=True, slots=True)
class Checked:
    """What a check request's worker thread hands back to the event loop."""

    count: int
    records: list[AuditRecord]
    answer: bytes
    media_type: str = media.JSON
    headers: dict[str, str] = field(default_factory=dict)


class CheckThreads:
    """The threads a process checks on, off the event loop (module docstring).

    Checks hold the GIL: more threads than one or two add no throughput, only more
    switching among them (and the event loop) for the GIL.
    """

    def __init__(self, threads: int) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="fluorocode-check")

    async def run(self, writer: AuditWriter, work: Callable[[], Checked]) -> Checked:
        """``work()`` on a check thread, its records written by ``writer``; the answer.

        Returns once the records are on disk; what returns holds no records.

        Raises:
            Exception: what ``work`` raised, or the ``AuditError`` of the commit.
        """
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Checked] = loop.create_future()
        self._pool.submit(_check_and_record, loop, waiter, writer, work)
        return await waiter

    def close(self) -> None:
        """Finish the checks under way and stop the threads."""
        self._pool.shutdown(wait=True)


def _check_and_record(
    loop: asyncio.AbstractEventLoop,
    waiter: asyncio.Future[Checked],
    writer: AuditWriter,
    work: Callable[[], Checked],
) -> None:
    """On a check thread: check, queue the records, settle ``waiter`` once written."""
    try:
        checked = work()
    except BaseException as exc:  # the request answers it: an HttpError, a 500...
        _settle_soon(loop, waiter, exc)
        return
    written = writer.submit(checked.records)
    # the writer's thread frees the records; the loop gets the answer alone
    answer = replace(checked, records=[])
    del checked

    def done(future: Future[list[int]]) -> None:
        error = future.exception()
        _settle_soon(loop, waiter, answer if error is None else error)

    written.add_done_callback(done)


def _settle_soon(
    loop: asyncio.AbstractEventLoop,
    waiter: asyncio.Future[Checked],
    outcome: Checked | BaseException,
) -> None:
    try:
        loop.call_soon_threadsafe(_settle, waiter, outcome)
    except RuntimeError:  # the loop has closed: nobody waits any more
        pass


def _settle(waiter: asyncio.Future[Checked], outcome: Checked | BaseException) -> None:
    if waiter.done():  # cancelled (the server is stopping)
        return
    if isinstance(outcome, BaseException):
        waiter.set_exception(outcome)
    else:
        waiter.set_result(outcome)


def check_body(
    checker: Checker, body: bytes, key_name: str, request_id: str
) -> Checked:
    """Read, check, render and prepare the audit records of one request's body."""
    doc = read_json(body)
    if isinstance(doc, list):
        if not doc:
            raise HttpError(
                422,
                "no encounters",
                [FieldError("$", "an empty array: send one or more", "empty")],
            )
        objs = doc
    elif isinstance(doc, dict):
        objs = [doc]
    else:
        raise HttpError(
            422,
            "the body must be one encounter or an array of them",
            [
                FieldError(
                    "$", "must be a JSON object or an array of objects", "wrong_type"
                )
            ],
        )
    # one encounter at a time, each rendered and recorded before the next: no step
    # holds the GIL for long (a C call, a cascade of frees, a collection over every
    # report), which would stop the event loop's thread as surely as running there
    count = len(objs)
    parts: list[bytes] = []
    records: list[AuditRecord] = []
    for i in range(count):
        obj, objs[i] = objs[i], None
        # the encounter as checked goes to the record, so its note is not read twice
        result, checked = checker.check_traced(obj)
        report = result.to_dict()
        [record] = audit_records([obj], [report], key_name, request_id, [checked])
        records.append(replace(record, position=i))
        parts.append(render(report))
    answer = b"[" + b",".join(parts) + b"]" if isinstance(doc, list) else parts[0]
    return Checked(count, records, answer)


def claims_body(
    checker: Checker,
    body: bytes,
    fmt: str,
    accept: str,
    program: str,
    key_name: str,
    request_id: str,
) -> Checked:
    """Check a claims file (``api.check_claims_body``) and prepare its audit records.

    One record per report, as for encounters. Its ``input_sha256`` is the SHA-256 of
    the file as sent (a claims file is not JSON: there is no canonical form to hash),
    its ``position`` the report's index in the answer; a claims file carries no
    provider answers, and a rejected encounter's errors keep field and kind only.
    Each record keeps the replay block of the encounter the rules saw
    (``answer.checked``), as for encounters (docs/replay.md).
    """
    answer = check_claims_body(
        body, CLAIMS_MEDIA_TYPES[fmt], accept, checker=checker, program=program
    )
    digest = hashlib.sha256(body).hexdigest()
    reports = answer.reports
    # the encounters as checked: the file is not the encounters' JSON (``[{}]``)
    records = [
        replace(record, input_sha256=digest)
        for record in audit_records(
            [{}] * len(reports), reports, key_name, request_id, answer.checked
        )
    ]
    headers = media.status_headers(reports, file=answer.media_type != media.JSON)
    return Checked(len(reports), records, answer.body, answer.media_type, headers)


def render(payload: Any) -> bytes:
    """``payload`` as JSON text; never ``NaN`` or ``Infinity``, which JSON has not.

    An array is written item by item: one call of the C encoder holds the GIL until
    it returns, and a whole large answer at once held up the event loop's thread.
    orjson, not the standard library: a dense report took 170 µs to write with
    ``json.dumps``, a quarter of the check's own time (issue 11).

    Raises:
        ValueError: a number in ``payload`` is not finite (a bug upstream: the answer
            is a JSON 500, never invalid JSON).
    """
    if isinstance(payload, list):
        return b"[" + b",".join(map(render, payload)) + b"]"
    return encode(payload)


def read_json(body: bytes) -> Any:
    """The request body as JSON, or a 422 saying where it is not."""
    if not body.strip():
        raise HttpError(
            422, "empty body", [FieldError("$", "a JSON body is required", "required")]
        )
    try:
        return decode(body)
    except JsonDocumentError as exc:  # the line, the column and what is wrong
        message = str(exc)
    raise HttpError(
        422, "the body is not valid JSON", [FieldError("$", message, "invalid_json")]
    )
