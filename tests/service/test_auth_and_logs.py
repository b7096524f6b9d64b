"""API keys guard every /v1/ call; the log never holds clinical content."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fluorocode.api import api_keys

from ._support import ANSWERS, bearer, knee

V1 = [
    ("post", "/v1/check", {"json": knee()}),
    ("post", "/v1/extract", {"json": {"text": "note"}}),
    ("get", "/v1/editions", {}),
    ("get", "/v1/audit", {}),
]


@pytest.mark.parametrize(("method", "path", "kwargs"), V1)
@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer fck_not-a-key",
        "Bearer something-else",
    ],
)
def test_every_v1_call_needs_a_valid_key(
    client: TestClient,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    header: str | None,
) -> None:
    headers = {"Authorization": header} if header else {}
    response = getattr(client, method)(path, headers=headers, **kwargs)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"] == "unauthorized"


def test_reading_the_audit_trail_needs_the_audit_scope(
    client: TestClient, tokens: dict[str, str]
) -> None:
    denied = client.get("/v1/audit", headers=bearer(tokens["scribe"]))
    assert denied.status_code == 403
    assert "--audit" in denied.json()["message"]
    assert client.get("/v1/audit", headers=bearer(tokens["admin"])).status_code == 200


def test_a_revoked_key_is_refused_by_the_running_service(
    client: TestClient, home: Path, tokens: dict[str, str]
) -> None:
    headers = bearer(tokens["scribe"])
    assert client.post("/v1/check", json=knee(), headers=headers).status_code == 200
    api_keys(home).revoke("scribe")
    assert client.post("/v1/check", json=knee(), headers=headers).status_code == 401
    fresh = api_keys(home).create("scribe-2")
    assert (
        client.post("/v1/check", json=knee(), headers=bearer(fresh)).status_code == 200
    )


#: Clinical content that must never reach a log line.
SECRETS = (
    "Jane Q Patient",
    "Stress views of the contralateral ankle",
    "ZZTOP",
    "PHI-IN-MESSAGE",
)


def test_the_log_has_method_path_status_latency_key_and_count_only(
    client: TestClient,
    app: Any,
    tokens: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    headers = bearer(tokens["scribe"])
    noted = knee(
        note="Jane Q Patient. Fluoroscopy time 1:30.",
        documentation={"fluoroscopy": ANSWERS},
    )
    bad = knee(lines=[{"code": "ZZTOP"}])
    assert (
        client.post("/v1/check", json=[noted, bad], headers=headers).status_code == 200
    )
    client.post(
        "/v1/extract", json={"text": "Jane Q Patient, no imaging"}, headers=headers
    )
    client.post("/v1/check", content=b'{"note": "Jane Q Patient', headers=headers)
    client.get("/v1/audit?encounter_id=ZZTOP", headers=bearer(tokens["admin"]))

    def explode(obj: Any) -> Any:
        raise ValueError("PHI-IN-MESSAGE Jane Q Patient")

    monkeypatch.setattr(app.state.service.checker, "check_traced", explode)
    crashed = client.post("/v1/check", json=noted, headers=headers)
    assert crashed.status_code == 500
    assert crashed.json()["error"] == "internal"
    assert "PHI-IN-MESSAGE" not in crashed.text

    # every logger but the test's own HTTP client (which logs the URL it calls)
    messages = [
        r.getMessage() for r in caplog.records if not r.name.startswith("httpx")
    ]
    for secret in SECRETS:
        assert not [m for m in messages if secret in m], secret
    access = [
        m for m in messages if m.startswith(("POST /v1/", "GET /v1/")) and "key=" in m
    ]
    assert access[0].startswith("POST /v1/check 200 ")
    assert "key=scribe encounters=2 request=" in access[0]
    assert [m.split()[:3] for m in access[1:]] == [
        ["POST", "/v1/extract", "200"],
        ["POST", "/v1/check", "422"],
        ["GET", "/v1/audit", "200"],  # the query string is not logged
        ["POST", "/v1/check", "500"],
    ]
    assert any("unhandled ValueError at " in m for m in messages)


def test_a_corrupt_key_file_is_503_and_not_ready_without_its_path(
    client: TestClient,
    home: Path,
    tokens: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """It was a 422 naming the file to anyone, while /readyz said ready (issue 8)."""
    assert client.get("/readyz").status_code == 200
    (home / "api-keys.json").write_text('{"format": 1, "keys": [{"name": ')
    caplog.set_level(logging.INFO, logger="fluorocode.service")
    for headers in (bearer(tokens["scribe"]), bearer("fck_guess")):
        response = client.post("/v1/check", json=knee(), headers=headers)
        assert response.status_code == 503
        assert response.json()["error"] == "unavailable"
        assert str(home) not in response.text and "api-keys" not in response.text
        assert "JSONDecodeError" not in response.text
    # no key at all: refused as ever, the file is not even read
    assert client.post("/v1/check", json=knee()).status_code == 401
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "not_ready"
    assert ready.json()["reasons"] == ["the API key file cannot be read (ApiKeyError)"]
    assert str(home) not in ready.text
    logged = [r.getMessage() for r in caplog.records]
    assert (
        "the API key file cannot be read (ApiKeyError from JSONDecodeError)" in logged
    )
    assert not [m for m in logged if tokens["scribe"] in m or "fck_guess" in m]


def test_a_5xx_answer_names_no_file(
    client: TestClient, app: Any, home: Path, tokens: dict[str, str]
) -> None:
    from fluorocode.errors import AuditError

    def fail(*args: Any) -> Any:
        raise AuditError(f"{home}/audit.sqlite3: audit write failed (disk I/O error)")

    app.state.service.writer.log.write = fail
    response = client.post("/v1/check", json=knee(), headers=bearer(tokens["scribe"]))
    assert response.status_code == 503
    assert str(home) not in response.text and "disk I/O" not in response.text
    assert response.headers["x-request-id"] in response.json()["message"]
