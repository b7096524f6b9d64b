"""``POST /v1/replay``: the same answer as ``fluorocode replay --format json``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from fluorocode.api import api_keys
from fluorocode.cli import cli
from fluorocode.service.app import create_app

from ._editions import CHANGED, UNCHANGED

ALL = [*CHANGED.values(), *UNCHANGED.values()]


@pytest.fixture
def keys(home: Path) -> dict[str, dict[str, str]]:
    store = api_keys(home)
    return {
        name: {"Authorization": f"Bearer {store.create(name)}"}
        for name in ("scribe", "other")
    }


@pytest.fixture
def client(home: Path, keys: dict[str, dict[str, str]]) -> Iterator[TestClient]:
    with TestClient(create_app(home)) as c:
        yield c


def test_replaying_encounters_answers_as_the_cli(
    client: TestClient, keys: dict[str, dict[str, str]], home: Path, tmp_path: Path
) -> None:
    body = {"edition": "medicare/2024Q4", "encounters": ALL}
    response = client.post("/v1/replay", json=body, headers=keys["scribe"])
    assert response.status_code == 200, response.text
    answer = response.json()
    path = tmp_path / "saved.json"
    path.write_text(json.dumps(ALL), encoding="utf-8")
    cli_out = CliRunner().invoke(
        cli, ["replay", "--edition", "medicare/2024Q4", str(path), "--home", str(home)]
    )
    assert answer == json.loads(cli_out.stdout)
    assert [c["encounter_id"] for c in answer["changed"]] == list(CHANGED)
    # a replay is not a check: nothing was recorded
    audit = home / "audit.sqlite3"
    assert not audit.exists() or not list(_records(home))


def _records(home: Path) -> Any:
    from fluorocode.api import audit_log

    return audit_log(home).records()


def test_audit_replay_reads_only_the_keys_own_records(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    for enc in ALL:
        assert client.post("/v1/check", json=enc, headers=keys["scribe"]).is_success
    client.post("/v1/check", json=CHANGED["flip"], headers=keys["other"])
    body: dict[str, Any] = {"edition": "Medicare 2024Q4", "audit": {"limit": 3}}
    first = client.post("/v1/replay", json=body, headers=keys["scribe"]).json()
    assert first["summary"]["checked"] == 3
    assert [c["encounter_id"] for c in first["changed"]] == ["flip", "deleted", "added"]
    assert all(c["key"] == "scribe" and c["reproduced"] for c in first["changed"])
    body["audit"] = {"after": first["next_after"]}
    rest = client.post("/v1/replay", json=body, headers=keys["scribe"]).json()
    assert rest["summary"]["checked"] == 3 and rest["next_after"] is None
    assert [c["encounter_id"] for c in rest["changed"]] == ["mue"]
    other = client.post(
        "/v1/replay",
        json={"edition": "medicare/2024Q4", "audit": {"since": "2000-01-01"}},
        headers=keys["other"],
    ).json()
    assert [(c["encounter_id"], c["key"]) for c in other["changed"]] == [
        ("flip", "other")
    ]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"edition": "medicare/2025Q1", "encounters": ALL}, 404, None),
        ({"edition": "acme/2024Q4", "encounters": ALL}, 422, "edition"),
        ({"encounters": ALL}, 422, "edition"),
        ({"edition": "medicare/2024Q4"}, 422, "$"),
        ({"edition": "medicare/2024Q4", "encounters": []}, 422, "encounters"),
        ({"edition": "medicare/2024Q4", "encounters": ALL, "audit": {}}, 422, "$"),
        ({"edition": "medicare/2024Q4", "audit": {"limit": 0}}, 422, "audit.limit"),
        ({"edition": "medicare/2024Q4", "audit": {"since": "soon"}}, 422, "since"),
        ({"edition": "medicare/2024Q4", "audit": {"who": 1}}, 422, "audit.who"),
        ({"edition": "medicare/2024Q4", "extra": 1, "encounters": ALL}, 422, "extra"),
    ],
)
def test_bad_requests_name_the_field(
    client: TestClient,
    keys: dict[str, dict[str, str]],
    body: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    response = client.post("/v1/replay", json=body, headers=keys["scribe"])
    assert response.status_code == status, response.text
    if field is not None:
        assert [e["field"] for e in response.json()["errors"]] == [field]


def test_a_key_is_needed_and_the_route_is_documented(client: TestClient) -> None:
    body = {"edition": "medicare/2024Q4", "encounters": ALL}
    assert client.post("/v1/replay", json=body).status_code == 401
    assert "/v1/replay" in client.get("/openapi.json").json()["paths"]
