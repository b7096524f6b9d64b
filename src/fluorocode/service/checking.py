"""What a check request's worker thread does: read the body, check, render, audit.

Everything here costs CPU in proportion to the body, so ``routes.v1`` runs it in a
worker thread, never on the event loop: reading the JSON (``jsoncodec.decode``:
depth-limited, finite numbers only) or the claims file, the checks, the answer's bytes
and the audit records' hashes. Answers are written with ``render`` (``jsoncodec``'s
encoder: strict JSON, never ``NaN`` or ``Infinity``, compact).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

from fluorocode.api import (
    CLAIMS_MEDIA_TYPES,
    AuditRecord,
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
    """
    answer = check_claims_body(
        body, CLAIMS_MEDIA_TYPES[fmt], accept, checker=checker, program=program
    )
    digest = hashlib.sha256(body).hexdigest()
    reports = answer.reports
    records = [
        replace(record, input_sha256=digest)
        for record in audit_records([{}] * len(reports), reports, key_name, request_id)
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
