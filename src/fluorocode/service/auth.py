"""API keys on every ``/v1/`` call: ``Authorization: Bearer KEY``.

No key, a malformed header or an unknown (or revoked) key: 401 with a
``WWW-Authenticate: Bearer`` header. A valid key without the route's scope: 403. The
key's name, never the key, goes to the request's state for the access log and the
audit trail.

The key is checked first, by ``service.edge`` (``identify``), before the body is read
or waited for: a caller without a key costs no body. Each route then calls
``authorize`` for its scope, a plain call rather than a FastAPI dependency: the check
endpoint answers in about a millisecond, and dependency resolution was a tenth of it.
The OpenAPI document declares the scheme (``SECURITY_SCHEMES``) and each route requires
it (``SECURED``).

``/v1/schema`` is public, like ``/openapi.json``: the shape of an encounter is not
clinical data, and a client may need it before it has a key.

A key file that cannot be read is 503 without the file's path or the reason in the
answer; the server log names the error's type. (``KeyStore.verify`` raises only for
that: a corrupt or unreadable ``api-keys.json``.)
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request

from fluorocode.api import ApiKey, KeyStore
from fluorocode.errors import FluorocodeError
from fluorocode.service.errors import HttpError

log = logging.getLogger("fluorocode.service")

SECURITY_SCHEMES: dict[str, Any] = {
    "HTTPBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key from `fluorocode keys create NAME`.",
    }
}
#: ``openapi_extra`` of every /v1/ route that needs a key.
SECURED: dict[str, Any] = {"security": [{"HTTPBearer": []}]}
#: /v1/ paths anyone may read (documented in the OpenAPI document and README).
PUBLIC = frozenset({"/v1/schema"})
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="fluorocode"'}


def needs_key(path: str) -> bool:
    """Whether a request for ``path`` needs an API key."""
    return path.startswith("/v1/") and path not in PUBLIC


def identify(keys: KeyStore, authorization: str) -> ApiKey:
    """The valid key an ``Authorization`` header carries; else a 401 (or 503).

    Raises:
        HttpError: 401 (no valid key) or 503 (the key file cannot be read).
    """
    kind, _, token = authorization.partition(" ")
    token = token.strip()
    if kind.lower() != "bearer" or not token:
        raise HttpError(
            401,
            "an API key is required: Authorization: Bearer KEY "
            "(create one with: fluorocode keys create NAME)",
            headers=_CHALLENGE,
        )
    try:
        key = keys.verify(token)
    except FluorocodeError as exc:
        cause = type(exc.__cause__).__name__ if exc.__cause__ else "-"
        log.error(
            "the API key file cannot be read (%s from %s)", type(exc).__name__, cause
        )
        raise HttpError(
            503, "the service cannot check API keys now; see the server log"
        ) from exc
    if key is None:
        raise HttpError(401, "unknown or revoked API key", headers=_CHALLENGE)
    return key


def authorize(request: Request, scope: str) -> ApiKey:
    """The request's API key if it has ``scope``; else a 401 or 403.

    ``service.edge`` has identified the key already; a request that did not pass
    through it (none in ``fluorocode serve``) is identified here.

    Raises:
        HttpError: 401 (no valid key), 403 (the key lacks ``scope``), 503 (the key
            file cannot be read).
    """
    key: ApiKey | None = getattr(request.state, "api_key", None)
    if key is None:
        service = request.app.state.service
        key = identify(service.keys, request.headers.get("authorization", ""))
        request.state.key_name = key.name
    return require_scope(key, scope)


def require_scope(key: ApiKey, scope: str) -> ApiKey:
    """``key`` if it has ``scope``; else a 403.

    Raises:
        HttpError: 403 (the key lacks ``scope``).
    """
    if scope not in key.scopes:
        raise HttpError(
            403,
            f"the key {key.name!r} may not do this (needs the {scope!r} scope: "
            f"fluorocode keys create NAME --{scope})",
        )
    return key
