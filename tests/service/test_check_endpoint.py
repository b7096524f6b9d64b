"""``POST /v1/check`` on the hot path answers as the framework's route did (issue 11).

``service.edge`` hands ``POST /v1/check`` to ``check_endpoint.CheckEndpoint``, past
FastAPI's routing and parameter validation. The same app with that hand-over turned
off serves the request through the FastAPI route declared in ``routes.v1``: every
request here gets the same status, body and headers both ways (bar the request id),
including the key, parameter, media type and body errors; and every 200 is recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from fluorocode.api import audit_log
from fluorocode.service import check_endpoint
from fluorocode.service.app import create_app
from fluorocode.service.edge import EdgeMiddleware

from ._support import KNEE, bearer, knee

ACME = 'format = 1\nid = "acme"\nname = "Test plan acme"\nbase_program = "medicare"\n'
#: (query, headers, body); the scribe's key unless ``authorization`` says otherwise
#: (empty: none)
CASES: list[tuple[str, dict[str, str], bytes]] = [
    ("", {}, json.dumps(KNEE).encode()),
    (
        "",
        {"content-type": "application/json; charset=utf-8"},
        json.dumps(KNEE).encode(),
    ),
    ("", {}, json.dumps([KNEE, knee(id="knee-2")]).encode()),
    ("", {"authorization": ""}, b"{}"),
    ("", {"authorization": "Bearer nope"}, b"{}"),
    ("", {"authorization": "Basic abc"}, b"{}"),
    ("?program=tricare", {}, b"{}"),
    ("?program=", {}, b"{}"),
    ("?program=Medicare", {}, b"{}"),
    ("?program=medicaid", {}, json.dumps(KNEE).encode()),
    ("?payer=" + "a" * 65, {}, b"{}"),
    ("?payer=" + "a" * 64, {}, b"{}"),
    ("?payer=" + "a" * 65 + "&program=x", {}, b"{}"),
    ("?payer=acme", {}, json.dumps(KNEE).encode()),
    ("?payer=zzz&payer=acme", {}, json.dumps(KNEE).encode()),
    ("?payer=", {}, b"{}"),
    ("?payer=%C3%A9", {}, b"{}"),
    ("?payer=%ZZ", {}, b"{}"),
    ("?payer=acme&program=medicaid", {"content-type": "application/edi-x12"}, b"x"),
    ("?foo=bar", {}, json.dumps(KNEE).encode()),
    ("", {"content-type": "text/plain"}, b"{}"),
    ("", {"accept": "application/edi-x12"}, b"{}"),
    ("", {"accept": "text/html", "content-type": "text/plain"}, b"{}"),
    ("", {}, b""),
    ("", {}, b"{nope"),
    ("", {}, b"3"),
    ("", {}, b"[]"),
    ("", {}, b'{"id": 3}'),
    ("", {"content-type": "application/edi-x12"}, b"ISA*garbage"),
    ("", {"content-type": "application/fhir+json"}, b"{}"),
    ("", {"content-type": "application/fhir+json", "accept": "*/*"}, b"[]"),
]


def _without_hot_path(app: FastAPI) -> FastAPI:
    """``app`` serving ``/v1/check`` through FastAPI's route (the edge hands none over)."""
    [edge] = [m for m in app.user_middleware if m.cls is EdgeMiddleware]
    edge.kwargs["direct"] = {}
    return app


@pytest.fixture
def clients(home: Path, tokens: dict[str, str]) -> Iterator[tuple[TestClient, ...]]:
    (home / "payers").mkdir(parents=True)
    (home / "payers" / "acme.toml").write_text(ACME)
    with (
        TestClient(create_app(home)) as hot,
        TestClient(_without_hot_path(create_app(home))) as framework,
    ):
        yield hot, framework


def _seen(response: Any) -> dict[str, Any]:
    headers = dict(response.headers)
    request_id = headers.pop("x-request-id")
    text = response.text.replace(request_id, "REQUEST")
    return {"status": response.status_code, "headers": headers, "text": text}


@pytest.mark.parametrize(("query", "headers", "body"), CASES)
def test_the_hot_path_answers_as_the_framework_route(
    clients: tuple[TestClient, TestClient],
    tokens: dict[str, str],
    query: str,
    headers: dict[str, str],
    body: bytes,
) -> None:
    hot, framework = clients
    sent = {"authorization": f"Bearer {tokens['scribe']}", **headers}
    if not sent["authorization"]:  # no key at all
        del sent["authorization"]
    answers = [
        _seen(c.post("/v1/check" + query, content=body, headers=sent))
        for c in (hot, framework)
    ]
    assert answers[0] == answers[1]


def test_the_hot_path_serves_check_and_only_check(
    clients: tuple[TestClient, TestClient],
    tokens: dict[str, str],
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hot, _ = clients
    served: list[str] = []
    real = check_endpoint.CheckEndpoint.__call__

    async def counted(self: Any, scope: Any, receive: Any, send: Any) -> None:
        served.append(scope["path"])
        await real(self, scope, receive, send)

    monkeypatch.setattr(check_endpoint.CheckEndpoint, "__call__", counted)
    before = sum(1 for _ in audit_log(home).records())
    key = bearer(tokens["scribe"])
    assert hot.post("/v1/check", json=KNEE, headers=key).status_code == 200
    assert hot.post("/v1/extract", json={"text": "x"}, headers=key).status_code == 200
    assert hot.get("/v1/check", headers=key).status_code == 405
    assert served == ["/v1/check"]
    assert sum(1 for _ in audit_log(home).records()) == before + 1
