"""``/v1/``: check, extract, editions and the audit trail (contract.md, "Over HTTP").

Each route reads the body as JSON, hands it to ``fluorocode.api`` and writes the
domain's own ``to_dict`` back: no pydantic on the way in or out (``schemas`` documents
the shapes). A check answers only after its audit records are on disk.

The API key was checked before the body was read (``service.edge``). Everything that
costs CPU in proportion to the body (reading the JSON, the checks, the audit records'
hashes, writing the answer) runs in a worker thread, never on the event loop, so one
large request does not hold up ``/healthz`` or anyone else's. Answers are written with
``render``: strict JSON, never ``NaN`` or ``Infinity``.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from dataclasses import dataclass, replace
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Query, Request, Response

from fluorocode.api import (
    AuditRecord,
    Checker,
    audit_records,
    edition_to_dict,
    extract_note,
)
from fluorocode.errors import AuditError, FieldError
from fluorocode.service import schemas
from fluorocode.service.auth import SECURED, authorize
from fluorocode.service.errors import HttpError

router = APIRouter(prefix="/v1", tags=["v1"])


@dataclass(frozen=True, slots=True)
class _Checked:
    """What a check request's worker thread hands back to the event loop."""

    count: int
    records: list[AuditRecord]
    answer: bytes


def _check_body(
    checker: Checker, body: bytes, key_name: str, request_id: str
) -> _Checked:
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
        report = checker.check(obj).to_dict()
        [record] = audit_records([obj], [report], key_name, request_id)
        records.append(replace(record, position=i))
        parts.append(render(report))
    answer = b"[" + b",".join(parts) + b"]" if isinstance(doc, list) else parts[0]
    return _Checked(count, records, answer)


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    words = {
        401: "No API key, or an unknown or revoked one (answered before the body "
        "is read).",
        403: "The key lacks the scope this call needs.",
        408: "The request body did not arrive within the read timeout.",
        413: "The request body is over the size limit.",
        422: "The body is unusable as a whole (not JSON, wrong shape); the field "
        "at fault is named.",
        503: "The audit trail, the editions or the API key file cannot serve; "
        "nothing was recorded.",
    }
    return {c: {"model": schemas.ErrorBody, "description": words[c]} for c in codes}


def render(payload: Any) -> bytes:
    """``payload`` as JSON text; never ``NaN`` or ``Infinity``, which JSON has not.

    An array is written item by item: one call of the C encoder holds the GIL until
    it returns, and a whole large answer at once held up the event loop's thread.

    Raises:
        ValueError: a number in ``payload`` is not finite (a bug upstream: the answer
            is a JSON 500, never invalid JSON).
    """
    if isinstance(payload, list):
        return b"[" + b",".join(map(render, payload)) + b"]"
    return json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")


def _bytes(data: bytes) -> Response:
    return Response(data, media_type="application/json")


def _json(payload: Any) -> Response:
    return _bytes(render(payload))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 reads as infinity, which JSON cannot write
        raise ValueError(f"{text[:40]} is too large a number")
    return value


#: A UTF-16 surrogate escape: JSON allows ``"\ud800"`` alone, Unicode text does not.
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _lone_surrogate(doc: Any) -> bool:
    """Whether any string in ``doc`` holds half of a surrogate pair."""
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def read_json(body: bytes) -> Any:
    """The request body as JSON, or a 422 saying where it is not."""
    if not body.strip():
        raise HttpError(
            422, "empty body", [FieldError("$", "a JSON body is required", "required")]
        )
    try:
        doc = json.loads(body, parse_constant=_reject_constant, parse_float=_finite)
        if _SURROGATE.search(body) and _lone_surrogate(doc):
            raise ValueError("a \\u escape is half of a UTF-16 surrogate pair")
        return doc
    except json.JSONDecodeError as exc:
        message = f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    except UnicodeDecodeError as exc:
        message = f"not UTF-8 text (byte {exc.start})"
    except (ValueError, RecursionError) as exc:
        message = f"not usable JSON ({type(exc).__name__}: {str(exc)[:80]})"
    raise HttpError(
        422, "the body is not valid JSON", [FieldError("$", message, "invalid_json")]
    )


@router.post(
    "/check",
    summary="Check one encounter, or an array of them",
    openapi_extra={
        **SECURED,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schemas.CHECK_BODY}},
        },
    },
    responses={
        200: {
            "description": "One report, or an array of reports in input order. An "
            "invalid encounter gets its report with status `rejected` and `errors` "
            "naming each bad field.",
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {"$ref": "#/components/schemas/Report"},
                            {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Report"},
                            },
                        ]
                    }
                }
            },
        },
        **_errors(401, 403, 408, 413, 422, 503),
    },
)
async def check(request: Request) -> Response:
    """Check the encounters (checked by ``api.Checker``, audited, then answered)."""
    key = authorize(request, "check")
    body = await request.body()
    service = request.app.state.service
    # the CPU work (JSON in, the checks, JSON out, the audit records' hashes) runs in
    # a worker thread: the event loop stays free for /healthz and other requests
    work = await anyio.to_thread.run_sync(
        _check_body, service.checker, body, key.name, request.state.request_id
    )
    request.state.encounters = work.count
    written = service.writer.submit(work.records)
    answer = work.answer
    # from here only the writer holds the records: they are freed on its thread, not
    # object by object on the event loop's
    del work
    try:
        await asyncio.wrap_future(written)
    except AuditError as exc:
        raise HttpError(
            503,
            "the check was not recorded, so not answered; see the server log "
            f"(request {request.state.request_id})",
        ) from exc
    return _bytes(answer)


@router.post(
    "/extract",
    summary="Read what a note documents about fluoroscopy",
    openapi_extra={
        **SECURED,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schemas.EXTRACT_BODY}},
        },
    },
    responses={
        200: {
            "description": "As `fluorocode extract`: one object, or an array with "
            "each item's `id`.",
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {"$ref": "#/components/schemas/NoteFacts"},
                            {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/NoteFacts"},
                            },
                        ]
                    }
                }
            },
        },
        **_errors(401, 403, 408, 413, 422, 503),
    },
)
async def extract(request: Request) -> Response:
    """Read one note or many (``api.extract_note``), as ``fluorocode extract``."""
    authorize(request, "check")
    body = await request.body()
    count, answer = await anyio.to_thread.run_sync(_extract_body, body)
    if count is not None:
        request.state.encounters = count
    return _bytes(answer)


def _extract_body(body: bytes) -> tuple[int | None, bytes]:
    """Read the notes in one request's body: (how many, or None for one; the JSON)."""
    doc = read_json(body)
    if isinstance(doc, dict):
        text = doc.get("text")
        if not isinstance(text, str):
            raise HttpError(
                422,
                "a note is needed",
                [FieldError("text", "required: the note as a string", "required")],
            )
        return None, render(extract_note(text))
    if not isinstance(doc, list):
        raise HttpError(
            422,
            'the body must be {"text": ...} or an array of {"id", "text"}',
            [
                FieldError(
                    "$", "must be a JSON object or an array of objects", "wrong_type"
                )
            ],
        )
    bad = [
        FieldError(f"[{i}].text", "required: the note as a string", "required")
        for i, item in enumerate(doc)
        if not isinstance(item, dict) or not isinstance(item.get("text"), str)
    ]
    if bad:
        raise HttpError(422, "every item needs a text string", bad)
    return len(doc), render(
        [{"id": item.get("id"), **extract_note(item["text"])} for item in doc]
    )


@router.get(
    "/schema",
    summary="The JSON Schema (draft 2020-12) of one encounter; public, no key",
    response_class=Response,
    responses={
        200: {
            "description": "The one definition of an encounter's shape: what "
            "`/v1/check` reads (an array holds several), the request body in this "
            "document, and the page's checks. Public like this document: a shape, "
            "not clinical data.",
            "content": {"application/schema+json": {"schema": {"type": "object"}}},
        }
    },
)
async def encounter_schema(request: Request) -> Response:
    """The encounter's JSON Schema, with this service's line cap."""
    return Response(
        render(request.app.state.service.schema),
        media_type="application/schema+json",
    )


@router.get(
    "/editions",
    summary="The editions checks run against",
    response_model=list[schemas.Edition],
    responses=_errors(401, 403),
    openapi_extra=SECURED,
)
async def editions(request: Request) -> Response:
    """List the editions, as ``fluorocode editions list --format json``."""
    authorize(request, "check")
    infos = await anyio.to_thread.run_sync(request.app.state.service.checker.editions)
    return _json([edition_to_dict(i) for i in infos])


@router.get(
    "/audit",
    summary="The audit trail, oldest first, a page at a time",
    response_model=schemas.AuditPage,
    responses=_errors(401, 403, 422, 503),
    openapi_extra=SECURED,
)
async def audit(
    request: Request,
    after: Annotated[
        int,
        Query(ge=0, le=2**63 - 1, description="return entries with id > after"),
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    key_name: Annotated[
        str | None, Query(alias="key", max_length=64, description="only this key's")
    ] = None,
    encounter_id: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """One page of the audit trail, oldest first (needs the ``audit`` scope)."""
    authorize(request, "audit")
    log = request.app.state.service.audit

    def read() -> tuple[list[Any], int | None]:
        return log.page(after, limit, key_name, encounter_id)  # type: ignore[no-any-return]

    records, next_after = await anyio.to_thread.run_sync(read)
    return _json({"items": [r.to_dict() for r in records], "next_after": next_after})
