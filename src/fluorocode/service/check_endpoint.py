"""``POST /v1/check`` served without the framework: the hot path (issue 11).

``routes.v1`` declares the operation (its OpenAPI document, its parameters, its
answers); ``service.edge`` hands the requests for it straight to ``CheckEndpoint``, a
plain ASGI handler, past FastAPI's routing, dependency solving and parameter validation,
a third of the event loop's time per check. What it does is what the route did, in
the same order, with the same answers:

1. the API key (identified by ``service.edge`` before the body) needs the ``check``
   scope (403);
2. the query: ``program`` is ``medicare`` or ``medicaid`` and ``payer`` at most 64
   characters, else 422 naming each (the messages FastAPI gave); an unknown payer, or
   a program the payer contradicts, 422 (``Checker.with_payer``, ``claims_program``);
3. ``Content-Type`` (415) and ``Accept`` (406), before a byte of the body is read;
4. the body, read through the edge's bounded ``receive`` (413, 408);
5. the check and its audit records on a check thread (``CheckThreads.run``); the
   answer once the records are on disk, else 503 and nothing answered.

``prepare`` and ``answer`` are shared with the FastAPI route, which serves the same
operation for an app without the edge in front.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from fluorocode.api import CLAIMS_MEDIA_TYPES, ApiKey, Checker
from fluorocode.errors import AuditError, FieldError, FluorocodeError
from fluorocode.service import media
from fluorocode.service.auth import require_scope
from fluorocode.service.checking import Checked, check_body, claims_body
from fluorocode.service.errors import HttpError, error_response, tree_error_response

if TYPE_CHECKING:
    from fluorocode.service.app import ServiceState

#: The programs ``?program=`` may name, and the longest ``?payer=`` (as declared in
#: ``routes.v1``).
PROGRAMS = ("medicare", "medicaid")
MAX_PAYER = 64


@dataclass(frozen=True, slots=True)
class CheckPlan:
    """What a check request asks for, settled before its body is read."""

    checker: Checker
    fmt: str
    accept: str
    claims_program: str


def query_parameters(query_string: bytes) -> tuple[str | None, str | None]:
    """``(program, payer)`` of a query string, as FastAPI read and validated them.

    Raises:
        HttpError: 422 naming each invalid parameter.
    """
    # as Starlette reads a query: latin-1, blanks kept, the last of repeats wins
    params = dict(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
    program, payer = params.get("program"), params.get("payer")
    errors = []
    if program is not None and program not in PROGRAMS:
        errors.append(FieldError("program", "Input should be 'medicare' or 'medicaid'"))
    if payer is not None and len(payer) > MAX_PAYER:
        errors.append(
            FieldError("payer", f"String should have at most {MAX_PAYER} characters")
        )
    if errors:
        raise HttpError(422, "invalid request parameters", errors)
    return program, payer


def prepare(
    service: ServiceState,
    payer: str | None,
    program: str | None,
    content_type: str | None,
    accept: str | None,
) -> CheckPlan:
    """The payer, the program, what the body is and what to answer (module docstring).

    Raises:
        HttpError: 415, 406.
        ClaimInputError: an unknown payer, a program the payer contradicts (422).
    """
    checker = service.checker.with_payer(payer)
    claims_program = checker.claims_program(program)
    fmt = media.body_format(content_type)
    offered = [media.JSON] if fmt == "json" else [media.JSON, CLAIMS_MEDIA_TYPES[fmt]]
    return CheckPlan(checker, fmt, media.negotiate(accept, offered), claims_program)


async def answer(
    service: ServiceState, plan: CheckPlan, body: bytes, key: ApiKey, request_id: str
) -> Checked:
    """Check ``body`` and record every report; the answer once they are on disk.

    Raises:
        HttpError: 422 (the body is unusable as a whole), 503 (not recorded).
    """
    if plan.fmt == "json":
        work = partial(check_body, plan.checker, body, key.name, request_id)
    else:
        work = partial(
            claims_body,
            plan.checker,
            body,
            plan.fmt,
            plan.accept,
            plan.claims_program,
            key.name,
            request_id,
        )
    try:
        return await service.checks.run(service.writer, work)
    except AuditError as exc:
        raise HttpError(
            503,
            "the check was not recorded, so not answered; see the server log "
            f"(request {request_id})",
        ) from exc


class CheckEndpoint:
    """``POST /v1/check`` as a plain ASGI handler, behind ``service.edge``."""

    def __init__(self, service: ServiceState) -> None:
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state: dict[str, Any] = scope["state"]
        request_id: str = state["request_id"]
        try:
            program, payer = query_parameters(scope.get("query_string", b""))
            key = require_scope(state["api_key"], "check")
            content_type = accept = None
            for name, value in scope["headers"]:
                if name == b"content-type":
                    content_type = value.decode("latin-1")
                elif name == b"accept":
                    accept = value.decode("latin-1")
            plan = prepare(self.service, payer, program, content_type, accept)
            body = await _read_body(receive)
            checked = await answer(self.service, plan, body, key, request_id)
        except HttpError as exc:
            response = error_response(exc.status, exc.message, exc.errors, exc.headers)
            await response(scope, receive, send)
            return
        except FluorocodeError as exc:
            await tree_error_response(exc, request_id)(scope, receive, send)
            return
        state["encounters"] = checked.count
        headers = [
            *(
                (k.lower().encode("latin-1"), v.encode("latin-1"))
                for k, v in checked.headers.items()
            ),
            (b"content-length", b"%d" % len(checked.answer)),
            (b"content-type", checked.media_type.encode("latin-1")),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": checked.answer})


async def _read_body(receive: Receive) -> bytes:
    """The request body (``receive`` is the edge's: bounded in size and time)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
