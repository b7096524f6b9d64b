"""``/v1/``: check, extract, editions and the audit trail (contract.md, "Over HTTP").

Each route reads the body as JSON (``jsoncodec.decode``: depth-limited, finite numbers
only), hands it to ``fluorocode.api`` and writes the domain's own ``to_dict`` back: no
pydantic on the way in or out (``schemas`` documents the shapes). ``/v1/check`` also
reads an X12 837 or a FHIR Claim or Bundle and answers the reports, the corrected 837
or the Bundle (``service.media``: ``Content-Type`` and ``Accept``). A check answers
only after its audit records, one per report, are on disk.

The API key was checked before the body was read (``service.edge``). Everything that
costs CPU in proportion to the body (reading the JSON, the checks, the audit records'
hashes, writing the answer) runs in a worker thread, never on the event loop, so one
large request does not hold up ``/healthz`` or anyone else's (``service.checking``).
Answers are written with ``render``: strict JSON, never ``NaN`` or ``Infinity``.
``/v1/check`` is declared here and served by ``service.check_endpoint`` (the hot path,
past the framework: ``service.edge`` hands its requests over).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from fluorocode.api import CLAIMS_MEDIA_TYPES, edition_to_dict, extract_note
from fluorocode.errors import DiffRequestError, FieldError
from fluorocode.service import check_endpoint, media, schemas
from fluorocode.service.auth import SECURED, authorize
from fluorocode.service.checking import read_json, render
from fluorocode.service.errors import HttpError
from fluorocode.service.replaying import replay_body

router = APIRouter(prefix="/v1", tags=["v1"])


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    words = {
        401: "No API key, or an unknown or revoked one (answered before the body "
        "is read).",
        403: "The key lacks the scope this call needs.",
        404: "An edition named is not imported.",
        406: "`Accept` refuses every format this body can be answered in (an 837 "
        "is answered as JSON or X12, a Bundle as JSON or FHIR, encounters as JSON).",
        408: "The request body did not arrive within the read timeout.",
        413: "The request body is over the size limit.",
        415: "The `Content-Type` is not one `/v1/check` reads.",
        422: "The body is unusable as a whole (not JSON, wrong shape, an 837 or "
        "FHIR document that cannot be read); the field, segment or FHIR path at "
        "fault is named.",
        503: "The audit trail, the editions or the API key file cannot serve; "
        "nothing was recorded.",
    }
    return {c: {"model": schemas.ErrorBody, "description": words[c]} for c in codes}


def _bytes(data: bytes) -> Response:
    return Response(data, media_type="application/json")


def _json(payload: Any) -> Response:
    return _bytes(render(payload))


@router.post(
    "/check",
    summary="Check one encounter, an array of them, an X12 837 or a FHIR Claim/Bundle",
    description="The body's `Content-Type` says what it is: `application/json` (or "
    "none) for the contract's encounters, `application/edi-x12` for an X12 5010 "
    "837P/837I, `application/fhir+json` for a FHIR R4 Claim or Bundle of Claims. "
    "`Accept` chooses the answer: JSON reports (the default; for a claims file an "
    "array, each report with a `source` block), or the claims file's own format: "
    "`application/edi-x12` answers the corrected 837, `application/fhir+json` the "
    "Bundle of corrected Claims and OperationOutcomes (docs/claims.md). Claims kept "
    "back (a held line, a rejected encounter) are not in the file: the "
    "`Fluorocode-*` headers count the statuses and name them. Every report is "
    "recorded in the audit trail before the answer.",
    openapi_extra={
        **SECURED,
        "requestBody": {
            "required": True,
            "content": {
                media.JSON: {"schema": schemas.CHECK_BODY},
                CLAIMS_MEDIA_TYPES["x12"]: {"schema": schemas.X12_BODY},
                CLAIMS_MEDIA_TYPES["fhir"]: {"schema": schemas.FHIR_BODY},
            },
        },
    },
    responses={
        200: {
            "description": "One report, or an array of reports in input order. An "
            "invalid encounter gets its report with status `rejected` and `errors` "
            "naming each bad field (in a claims file: the segment and element, or "
            "the FHIR path). Or, as `Accept` asks, the corrected 837 or the Bundle.",
            "headers": media.HEADERS,
            "content": {
                media.JSON: {
                    "schema": {
                        "oneOf": [
                            {"$ref": "#/components/schemas/Report"},
                            {
                                "type": "array",
                                "items": {"$ref": "#/components/schemas/Report"},
                            },
                        ]
                    }
                },
                CLAIMS_MEDIA_TYPES["x12"]: {"schema": schemas.X12_BODY},
                CLAIMS_MEDIA_TYPES["fhir"]: {"schema": schemas.FHIR_BODY},
            },
        },
        **_errors(401, 403, 406, 408, 413, 415, 422, 503),
    },
)
async def check(
    request: Request,
    program: Annotated[
        Literal["medicare", "medicaid"] | None,
        Query(
            description="Claims files only: the program of claims that do not name "
            "one (X12 SBR09; FHIR claims never do); default: the `payer` profile's "
            "program, else medicare. Encounters carry their own."
        ),
    ] = None,
    payer: Annotated[
        str | None,
        Query(
            max_length=64,
            description="The payer profile (`GET /v1/payers`) of encounters and "
            "claims that name none (an encounter's `payer`, an 837's NM1*PR, a FHIR "
            "Claim's `insurer`: docs/payers.md), as `check --payer`; default: the "
            "built-in profile of each one's program. An unknown one is a 422 naming "
            "the known profiles.",
        ),
    ] = None,
) -> Response:
    """Check the encounters or claims (``api``), audit every report, then answer.

    ``service.edge`` serves this operation with ``check_endpoint.CheckEndpoint``, past
    the framework; this is the same work for an app without the edge in front.
    """
    key = authorize(request, "check")
    service = request.app.state.service
    # the default payer, the claims' program, what the body is and what to answer,
    # refused before a byte of the body is read
    plan = check_endpoint.prepare(
        service,
        payer,
        program,
        request.headers.get("content-type"),
        request.headers.get("accept"),
    )
    body = await request.body()
    # the CPU work (reading the body, the checks, writing the answer, the audit
    # records' hashes) runs on a check thread: the event loop stays free for /healthz
    # and other requests
    checked = await check_endpoint.answer(
        service, plan, body, key, request.state.request_id
    )
    request.state.encounters = checked.count
    return Response(
        checked.answer, media_type=checked.media_type, headers=checked.headers
    )


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


_CSV = "text/csv"
_EDITION_REF = {
    "type": "object",
    "properties": {
        "program": {"type": "string"},
        "quarter": {"type": "string"},
        "version": {"type": "string"},
    },
}
_DIFF = {
    "type": "object",
    "required": ["from", "to", "summary", "changes"],
    "properties": {
        "from": _EDITION_REF,
        "to": _EDITION_REF,
        "summary": {"type": "object"},
        "changes": {"type": "array", "items": {"type": "object"}},
    },
}


@router.get(
    "/editions/diff",
    summary="What CMS added, deleted and changed from one edition to another",
    description="As `fluorocode editions diff` (docs/editions.md): a summary of the "
    "changes per table and kind, then one record per change with its codes and the "
    "before/after CMS columns; CSV when `Accept: text/csv`. Streamed.",
    response_class=Response,
    responses={
        200: {
            "description": "The diff: JSON, or CSV with fixed columns.",
            "content": {media.JSON: {"schema": _DIFF}, _CSV: {"schema": {}}},
        },
        **_errors(401, 403, 404, 406, 422),
    },
    openapi_extra=SECURED,
)
async def editions_diff(
    request: Request,
    old: Annotated[
        str,
        Query(
            alias="from", max_length=40, description="program/quarter: medicare/2024Q3"
        ),
    ],
    new: Annotated[
        str, Query(alias="to", max_length=40, description="program/quarter to compare")
    ],
    codes: Annotated[
        str | None,
        Query(
            max_length=6000, description="only changes touching these, comma-separated"
        ),
    ] = None,
    table: Annotated[
        list[str] | None,
        Query(description="only these tables (repeatable; default: every table)"),
    ] = None,
) -> Response:
    """Compare two editions (``Checker.diff_editions``) and stream the answer."""
    authorize(request, "check")
    accept = media.negotiate(request.headers.get("accept"), [media.JSON, _CSV])
    checker = request.app.state.service.checker
    try:
        report = await anyio.to_thread.run_sync(
            checker.diff_editions, old, new, table or (), [codes] if codes else ()
        )
    except DiffRequestError as exc:
        raise HttpError(422, str(exc), [FieldError(exc.field, exc.reason)]) from exc
    # a sync iterator: Starlette draws each chunk in a worker thread
    chunks = report.csv_chunks() if accept == _CSV else report.json_chunks()
    return StreamingResponse(chunks, media_type=accept)


@router.get(
    "/payers",
    summary="The payer profiles encounters may name in `payer` (docs/payers.md)",
    responses={
        200: {
            "description": "As `fluorocode payers list --format json`: each profile's "
            "id, name, base program, X12 payer ids and departures with their sources.",
            "content": {
                "application/json": {
                    "schema": {"type": "array", "items": {"type": "object"}}
                }
            },
        },
        **_errors(401, 403),
    },
    openapi_extra=SECURED,
)
async def payers(request: Request) -> Response:
    """List the payer profiles, as ``fluorocode payers list --format json``."""
    authorize(request, "check")
    checker = request.app.state.service.checker
    return _json(await anyio.to_thread.run_sync(checker.payer_profiles))


@router.post(
    "/replay",
    summary="Which saved encounters change verdict under another edition",
    description="As `fluorocode replay --format json` (docs/replay.md): "
    '`{"edition": "medicare/2024Q4", "encounters": [...]}`, or '
    '`{"edition": ..., "audit": {"since": ISO, "after": id, "limit": n}}` to replay '
    "the calling key's own audit records a page at a time (`next_after`). Not "
    "recorded in the audit trail: a replay is a what-if, not a check.",
    openapi_extra={
        **SECURED,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
    },
    responses={
        200: {
            "description": "The summary, the changed encounters (before, after, "
            "what changed, the edit rows that made the difference) and those that "
            "could not be replayed, with the reason.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
        **_errors(401, 403, 404, 408, 413, 422, 503),
    },
)
async def replay(request: Request) -> Response:
    """Replay encounters or the key's audit records against an edition."""
    key = authorize(request, "check")
    body = await request.body()
    service = request.app.state.service
    answer = await anyio.to_thread.run_sync(
        replay_body, service.checker, service.audit, body, key.name
    )
    return _bytes(answer)


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
