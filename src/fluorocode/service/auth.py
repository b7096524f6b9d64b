"""API keys on every ``/v1/`` call: ``Authorization: Bearer KEY``.

No key, a malformed header or an unknown (or revoked) key: 401 with a
``WWW-Authenticate: Bearer`` header. A valid key without the route's scope: 403. The
key's name, never the key, goes to ``request.state.key_name`` for the access log and the
audit trail.

Each route calls ``authorize`` first thing, a plain call rather than a FastAPI
dependency: the check endpoint answers in about a millisecond, and dependency
resolution was a tenth of it. The OpenAPI document declares the scheme
(``SECURITY_SCHEMES``) and each route requires it (``SECURED``).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from fluorocode.api import ApiKey, KeyStore
from fluorocode.service.errors import HttpError

SECURITY_SCHEMES: dict[str, Any] = {
    "HTTPBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key from `fluorocode keys create NAME`.",
    }
}
#: ``openapi_extra`` of every /v1/ route.
SECURED: dict[str, Any] = {"security": [{"HTTPBearer": []}]}
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="fluorocode"'}


def authorize(request: Request, scope: str) -> ApiKey:
    """The request's API key if it is valid and has ``scope``; else a 401 or 403.

    Raises:
        HttpError: 401 (no valid key) or 403 (the key lacks ``scope``).
    """
    kind, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if kind.lower() != "bearer" or not token:
        raise HttpError(
            401,
            "an API key is required: Authorization: Bearer KEY "
            "(create one with: fluorocode keys create NAME)",
            headers=_CHALLENGE,
        )
    keys: KeyStore = request.app.state.service.keys
    key = keys.verify(token)
    if key is None:
        raise HttpError(401, "unknown or revoked API key", headers=_CHALLENGE)
    request.state.key_name = key.name
    if scope not in key.scopes:
        raise HttpError(
            403,
            f"the key {key.name!r} may not do this (needs the {scope!r} scope: "
            f"fluorocode keys create NAME --{scope})",
        )
    return key
