"""Medicaid over HTTP (``/v1/check``, ``/v1/editions``) and in batches (DuckDB)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from fastapi.testclient import TestClient

from fluorocode.api import api_keys, run_batch
from fluorocode.service.app import create_app

ENCOUNTER: dict[str, Any] = {
    "id": "enc-1",
    "date_of_service": "2024-08-15",
    "place_of_service": "11",
    "claim_type": "professional",
    "lines": [{"code": "20206"}, {"code": "76000"}],
}


@pytest.fixture
def client_and_key(both_copy: Path) -> Iterator[tuple[TestClient, str]]:
    key = api_keys(both_copy).create("scribe")
    with TestClient(create_app(both_copy)) as client:
        yield client, key


def test_v1_check_uses_the_edition_of_the_encounters_program(
    client_and_key: tuple[TestClient, str],
) -> None:
    client, key = client_and_key
    auth = {"Authorization": f"Bearer {key}"}
    body = [{**ENCOUNTER, "id": p, "program": p} for p in ("medicare", "medicaid")]
    response = client.post("/v1/check", json=body, headers=auth)
    assert response.status_code == 200
    medicare, medicaid = response.json()
    assert medicare["edition"]["program"] == "medicare"
    assert medicaid["edition"]["program"] == "medicaid"
    assert medicare["lines"][1]["action"] == "hold"  # indicator 1 in Medicare
    assert medicaid["lines"][1]["action"] == "remove"  # indicator 0 in Medicaid
    assert "ptp.bundled" in {f["rule"] for f in medicaid["findings"]}


def test_v1_editions_lists_both_programs_in_the_contract_shape(
    client_and_key: tuple[TestClient, str],
) -> None:
    client, key = client_and_key
    response = client.get("/v1/editions", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200
    editions = response.json()
    assert [(e["program"], e["quarter"]) for e in editions] == [
        ("medicaid", "2024Q3"),
        ("medicare", "2024Q3"),
    ]
    for edition in editions:
        assert set(edition) == {
            "program",
            "quarter",
            "version",
            "demo",
            "tables",
            "sources",
        }


def _rows(program: str, claim: str) -> list[list[str]]:
    return [
        [claim, str(10 * (n + 1)), "2024-08-15", "11", "professional", program, "P1",
         line["code"], "", "1"]
        for n, line in enumerate(ENCOUNTER["lines"])
    ]  # fmt: skip


@pytest.mark.parametrize("home_name", ["both_home", "medicare_home"])
def test_a_batch_chooses_editions_by_program(
    home_name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    home: Path = request.getfixturevalue(home_name)
    src = tmp_path / "claims.csv"
    with open(src, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["claim_id", "line", "date_of_service", "place_of_service", "claim_type",
             "program", "provider", "code", "modifiers", "units"]
        )  # fmt: skip
        writer.writerows(_rows("medicare", "C1") + _rows("medicaid", "C2"))
    run_batch([src], tmp_path / "out", home=home, workers=1)
    db = duckdb.connect()
    actions = dict(
        db.execute(
            f"SELECT claim_id, list(action ORDER BY line) FROM "
            f"'{tmp_path / 'out' / 'lines.parquet'}' GROUP BY claim_id"
        ).fetchall()
    )
    statuses = dict(
        db.execute(
            f"SELECT DISTINCT claim_id, status FROM '{tmp_path / 'out' / 'lines.parquet'}'"
        ).fetchall()
    )
    assert actions["C1"] == ["keep", "hold"]
    if home_name == "both_home":
        assert actions["C2"] == ["keep", "remove"]
    else:  # no Medicaid edition: not checked, never against Medicare's
        assert statuses["C2"] == "no_data"
        assert actions["C2"] == ["keep", "keep"]
