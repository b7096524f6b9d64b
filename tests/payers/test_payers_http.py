"""Payers over HTTP: ``GET /v1/payers`` and ``payer`` in ``POST /v1/check``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fluorocode.api import Checker, api_keys
from fluorocode.service import schemas
from fluorocode.service.app import create_app

from ._profiles import bundle, text

ENCOUNTER = {
    "id": "h1",
    "date_of_service": "2024-08-15",
    "place_of_service": "22",
    "lines": [{"code": "27506"}, {"code": "76000"}],
}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / "payers").mkdir(parents=True)
    (home / "payers" / "acme.toml").write_text(text() + bundle(["27506"], 0))
    return home


@pytest.fixture
def client(home: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    token = api_keys(home).create("scribe")
    with TestClient(create_app(home)) as c:
        yield c, {"Authorization": f"Bearer {token}"}


def test_payers_are_listed_as_the_cli_lists_them(
    client: tuple[TestClient, dict[str, str]], home: Path
) -> None:
    c, auth = client
    assert c.get("/v1/payers").status_code == 401
    response = c.get("/v1/payers", headers=auth)
    assert response.status_code == 200
    assert response.json() == Checker(home).payer_profiles()
    assert [p["id"] for p in response.json()] == ["medicare", "medicaid", "acme"]


def test_check_with_a_payer_names_it_and_its_departures(
    client: tuple[TestClient, dict[str, str]], home: Path
) -> None:
    c, auth = client
    body = {**ENCOUNTER, "payer": "acme"}
    response = c.post("/v1/check", json=body, headers=auth)
    assert response.status_code == 200
    report = response.json()
    schemas.Report.model_validate(report)
    assert report == Checker(home).check(body).to_dict()
    assert report["payer"]["departures"][0]["rule"] == "PY01"
    assert report["lines"][1]["action"] == "remove"


def test_an_unknown_payer_is_a_rejected_report(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    c, auth = client
    response = c.post("/v1/check", json={**ENCOUNTER, "payer": "acne"}, headers=auth)
    report = response.json()
    assert report["status"] == "rejected"
    assert report["errors"][0]["kind"] == "unknown_payer"


def test_the_schema_and_openapi_document_know_the_payer_field(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    c, _ = client
    schema = c.get("/v1/schema").json()
    assert schema["properties"]["payer"]["pattern"].startswith("^[a-z0-9]")
    assert "/v1/payers" in c.get("/openapi.json").json()["paths"]
