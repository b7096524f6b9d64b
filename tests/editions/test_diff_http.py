"""``GET /v1/editions/diff``: the CLI's answer over HTTP, behind the API key."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fluorocode.api import api_keys
from fluorocode.service.app import create_app

from .test_diff import EXPECTED, home  # noqa: F401 (the module's editions fixture)

URL = "/v1/editions/diff"
BOTH = {"from": "medicare/2024Q3", "to": "MEDICARE/2024q4"}


@pytest.fixture(scope="module")
def token(home: Path) -> str:  # noqa: F811
    return api_keys(home).create("differ")


@pytest.fixture(scope="module")
def client(home: Path, token: str) -> Iterator[TestClient]:  # noqa: F811
    with TestClient(create_app(home)) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        yield c


def test_json_answer_is_the_cli_answer(client: TestClient) -> None:
    answer = client.get(URL, params=BOTH)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    doc = answer.json()
    assert doc["changes"] == EXPECTED
    assert doc["summary"]["changes"] == 15
    assert doc["to"]["quarter"] == "2024Q4"


def test_codes_and_tables_filter(client: TestClient) -> None:
    answer = client.get(
        URL, params={**BOTH, "codes": "76000", "table": ["mue_practitioner", "aoc"]}
    )
    assert answer.status_code == 200, answer.text
    doc = answer.json()
    assert [c["kind"] for c in doc["changes"]] == ["mue.value-changed"]
    assert list(doc["summary"]["tables"]) == ["mue_practitioner", "aoc"]


def test_csv_when_accepted(client: TestClient) -> None:
    answer = client.get(URL, params=BOTH, headers={"Accept": "text/csv"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["kind"] for r in rows] == [c["kind"] for c in EXPECTED]


def test_needs_a_key(home: Path) -> None:  # noqa: F811
    with TestClient(create_app(home)) as anonymous:
        assert anonymous.get(URL, params=BOTH).status_code == 401


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"from": "medicare/2024Q3", "to": "medicare/2025Q1"}, 404, None),
        ({"from": "medicare/2024Q3", "to": "medicare/2024q3"}, 422, "to"),
        ({"from": "medicare-2024Q3", "to": "medicare/2024Q4"}, 422, "from"),
        ({**BOTH, "table": "ptp_nowhere"}, 422, "table"),
        ({**BOTH, "codes": "76000,7600"}, 422, "codes"),
        ({"from": "medicare/2024Q3"}, 422, "to"),
    ],
)
def test_bad_requests(
    client: TestClient, params: dict[str, str], status: int, field: str | None
) -> None:
    answer = client.get(URL, params=params)
    assert answer.status_code == status, answer.text
    body = answer.json()
    if status == 404:
        assert body["message"] == "no medicare edition for 2025Q1"
    else:
        assert [e["field"] for e in body["errors"]] == [field]


def test_refused_accept_is_406(client: TestClient) -> None:
    answer = client.get(URL, params=BOTH, headers={"Accept": "application/xml"})
    assert answer.status_code == 406


def test_openapi_declares_the_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    get = spec["paths"][URL]["get"]
    assert {p["name"] for p in get["parameters"]} == {"from", "to", "codes", "table"}
    assert set(get["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert {"401", "404", "406", "422"} <= set(get["responses"])
