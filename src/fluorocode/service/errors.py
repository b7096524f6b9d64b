"""Errors as JSON: one shape for every failure, naming the field at fault.

Every error answer is ``{"error": code, "message": sentence, "errors": [{"field",
"message"}]}`` (``schemas.ErrorBody``). The error tree maps to status codes in one place
(``STATUS``), as the command line maps it to exit codes in ``cli.main``: bad input is a
4xx naming the field; a store or audit trail that cannot serve is 503.

A 5xx answer never carries the error's own message: it may hold a file's path or other
internals of the server. The server log names the error's type; the caller learns what
could not serve and the request id.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from fluorocode.api import ClaimsFormatError
from fluorocode.errors import (
    ApiKeyError,
    AuditError,
    ClaimInputError,
    ConfigError,
    DataSourceError,
    DiffRequestError,
    EditionError,
    EditionNotFoundError,
    ExtractionError,
    FieldError,
    FluorocodeError,
    QuantityError,
)

log = logging.getLogger("fluorocode.service")

#: The error tree -> (HTTP status, error code); the first matching class wins.
STATUS: tuple[tuple[type[FluorocodeError], int, str], ...] = (
    (ClaimsFormatError, 406, "not_acceptable"),  # X12 asked of a Bundle...
    (ClaimInputError, 422, "invalid_input"),
    (QuantityError, 422, "invalid_input"),
    (ExtractionError, 422, "invalid_input"),
    (ApiKeyError, 422, "invalid_input"),
    (DiffRequestError, 422, "invalid_input"),
    (EditionNotFoundError, 404, "not_found"),
    (AuditError, 503, "audit_unavailable"),
    (EditionError, 503, "edition_unavailable"),
    (DataSourceError, 503, "edition_unavailable"),
    (ConfigError, 503, "misconfigured"),
)

#: What a 5xx answer says instead of the error's message.
_UNAVAILABLE = {
    "audit_unavailable": "the audit trail cannot be written or read now",
    "edition_unavailable": "the editions cannot be read now",
    "misconfigured": "the service is misconfigured",
}

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    431: "headers_too_large",
    500: "internal",
    503: "unavailable",
}


class HttpError(Exception):
    """An error answer raised by a route or dependency."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: Sequence[FieldError] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = list(errors)
        self.headers = headers


def error_body(
    status: int, message: str, errors: Sequence[FieldError] = ()
) -> dict[str, Any]:
    return {
        "error": _CODES.get(status, "error"),
        "message": message,
        "errors": [e.to_dict() for e in errors],
    }


def error_response(
    status: int,
    message: str,
    errors: Sequence[FieldError] = (),
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(status, message, errors), status, headers=headers)


def tree_error_response(exc: FluorocodeError, request_id: str) -> JSONResponse:
    """The answer to an error of the tree (``STATUS``); a 5xx is logged by its type."""
    status, code = 500, "internal"
    for kind, status_for, code_for in STATUS:
        if isinstance(exc, kind):
            status, code = status_for, code_for
            break
    errors = exc.errors if isinstance(exc, ClaimInputError) else []
    message = str(exc)
    if status >= 500:  # the message may name a file or an internal: log the type
        log.error("%s request=%s", type(exc).__name__, request_id)
        message = f"{_UNAVAILABLE.get(code, 'the service cannot answer now')} " + (
            f"(request {request_id}); see the server log"
        )
    body = error_body(status, message, errors)
    body["error"] = code
    return JSONResponse(body, status)


def _field(loc: Sequence[Any]) -> str:
    """A FastAPI error location (``("query", "limit")``) as a field name."""
    parts = [str(p) for p in loc if p not in ("query", "body", "path", "header")]
    return ".".join(parts) or "$"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into the one JSON shape."""

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HttpError)
        return error_response(exc.status, exc.message, exc.errors, exc.headers)

    async def tree_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, FluorocodeError)
        request_id = getattr(request.state, "request_id", "-")
        return tree_error_response(exc, request_id)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [FieldError(_field(e["loc"]), e["msg"]) for e in exc.errors()]
        return error_response(422, "invalid request parameters", errors)

    async def starlette_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        headers = dict(exc.headers) if exc.headers else None
        return error_response(exc.status_code, str(exc.detail), headers=headers)

    app.add_exception_handler(HttpError, http_error)
    app.add_exception_handler(FluorocodeError, tree_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, starlette_error)
