"""Claims files (X12 837, FHIR) in replay: from the audit trail and from the CLI.

The files are the real samples of ../shared/data with codes and dates set
(``_claims``); the editions are ``_editions``' 2024Q3 and 2024Q4.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient

from fluorocode.api import api_keys, audit_log
from fluorocode.cli import cli
from fluorocode.service.app import create_app

from ._claims import (
    CHANGED_IDS,
    CLAIMS,
    NOTE_TEXT,
    SAMPLE_TEXT,
    UNCHANGED_IDS,
    fhir_claim,
    inpatient,
    x12_claims,
)

X12 = {"Content-Type": "application/edi-x12"}
NOT_SUBJECT = "the claim is not subject to the edits"


@pytest.fixture
def key(home: Path) -> dict[str, str]:
    token = api_keys(home).create("scribe", ("check", "audit"))
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(home)) as c:
        yield c


def _replay_cli(home: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli, ["replay", "--edition", "medicare/2024Q4", *args, "--home", str(home)]
    )


def _check_837(client: TestClient, key: dict[str, str], body: bytes) -> list[Any]:
    response = client.post("/v1/check", content=body, headers={**key, **X12})
    assert response.status_code == 200, response.text
    reports: list[Any] = response.json()
    return reports


def test_an_837_checked_over_http_is_replayable_from_the_audit(
    client: TestClient, key: dict[str, str], home: Path, shared_data: Path
) -> None:
    reports = _check_837(client, key, x12_claims(shared_data, CLAIMS))
    assert [r["encounter_id"] for r in reports] == [
        "DEL-1",
        "SAME-1",
        "ADD-1",
        "TWO-DAYS@2024-08-15",
        "TWO-DAYS@2024-08-16",
    ]
    # every record keeps the encounter the rules saw, as a JSON encounter's does
    records = client.get("/v1/audit", headers=key).json()["items"]
    assert [r["replay"]["lines"] for r in records][3] == [
        {"code": "29880", "modifiers": [], "units": 2}
    ]
    assert {r["replay"]["date_of_service"] for r in records} == {
        "2024-08-15",
        "2024-08-16",
    }
    body = {"edition": "medicare/2024Q4", "audit": {}}
    answer = client.post("/v1/replay", json=body, headers=key).json()
    assert answer["summary"]["checked"] == 5
    assert answer["summary"]["unchanged"] == 2 and not answer["not_replayable"]
    assert [c["encounter_id"] for c in answer["changed"]] == CHANGED_IDS
    assert all(c["reproduced"] is True for c in answer["changed"])
    # before is what the check answered
    by_id = {r["encounter_id"]: r for r in reports}
    for item in answer["changed"]:
        report = by_id[item["encounter_id"]]
        assert item["before"]["status"] == report["status"]
        assert [ln["action"] for ln in item["before"]["lines"]] == [
            ln["action"] for ln in report["lines"]
        ]
    # the CLI reads the same trail to the same answer
    result = _replay_cli(home, "--audit", "--quiet")
    assert result.exit_code == 0, result.output
    cli_answer = json.loads(result.stdout)
    assert cli_answer["changed"] == answer["changed"]


def test_the_audit_of_a_claims_file_holds_no_claim_free_text(
    home: Path, key: dict[str, str], shared_data: Path
) -> None:
    body = x12_claims(shared_data, CLAIMS)
    for text in (NOTE_TEXT, *SAMPLE_TEXT):  # the file does hold them
        assert text.encode() in body
    with TestClient(create_app(home)) as client:
        _check_837(client, key, body)
        exported = client.get("/v1/audit", headers=key).content
    records = list(audit_log(home).records())
    assert len(records) == 5 and all(r.replay is not None for r in records)
    assert {r.encounter_id for r in records} == {*CHANGED_IDS, *UNCHANGED_IDS}
    assert all(r.answers == {} and "note" not in (r.replay or {}) for r in records)
    blobs = [p.read_bytes() for p in home.glob("audit.sqlite3*")]
    assert blobs and exported
    for blob in [*blobs, exported]:
        for text in (NOTE_TEXT, *SAMPLE_TEXT):
            assert text.encode() not in blob, text


def test_a_fhir_claim_checked_over_http_is_replayable_from_the_audit(
    client: TestClient, key: dict[str, str], shared_data: Path
) -> None:
    body = json.dumps(fhir_claim(shared_data)).encode()
    headers = {**key, "Content-Type": "application/fhir+json"}
    assert client.post("/v1/check", content=body, headers=headers).status_code == 200
    answer = client.post(
        "/v1/replay", json={"edition": "medicare/2024Q4", "audit": {}}, headers=key
    ).json()
    [item] = answer["changed"]
    assert (item["encounter_id"], item["reproduced"]) == ("MED-00050", True)
    assert _rows(item) == [("before", "ptp_practitioner", "33289", "2024-07-31")]


def test_a_claim_the_edits_do_not_apply_to_is_not_replayable(
    client: TestClient, key: dict[str, str], home: Path, shared_data: Path
) -> None:
    body = inpatient(shared_data)
    first = _check_837(client, key, body)[0]
    assert first["findings"][0]["rule"] == "claim.not-subject"
    [record] = [r for r in audit_log(home).records() if r.encounter_id == "756048Q"]
    assert record.replay is None  # no edition checked it: nothing to re-check
    answer = client.post(
        "/v1/replay", json={"edition": "medicare/2024Q4", "audit": {}}, headers=key
    ).json()
    [item] = [i for i in answer["not_replayable"] if i["encounter_id"] == "756048Q"]
    assert item["reason"].startswith(NOT_SUBJECT)
    path = home.parent / "inpatient.837"
    path.write_bytes(body)
    from_file = json.loads(_replay_cli(home, str(path), "--quiet").stdout)
    [item] = from_file["not_replayable"]
    assert (item["encounter_id"], item["claim"]) == ("756048Q", "756048Q")
    assert item["reason"].startswith(NOT_SUBJECT)


def test_a_claims_file_replayed_from_the_cli_lists_exactly_the_changed_encounters(
    home: Path, tmp_path: Path, shared_data: Path
) -> None:
    path = tmp_path / "claims.837"
    path.write_bytes(x12_claims(shared_data, CLAIMS))
    result = _replay_cli(home, str(path), "--quiet")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["summary"] == {
        "edition": doc["summary"]["edition"],
        "source": "claims",
        "checked": 5,
        "changed": 3,
        "unchanged": 2,
        "not_replayable": 0,
    }
    changed = {c["encounter_id"]: c for c in doc["changed"]}
    assert list(changed) == CHANGED_IDS
    # each named by its claim id and date of service, and its place in the file
    assert [
        (c["claim"], c["date_of_service"], c["position"]) for c in doc["changed"]
    ] == [
        ("DEL-1", "2024-08-15", 0),
        ("ADD-1", "2024-08-15", 2),
        ("TWO-DAYS", "2024-08-15", 3),
    ]
    assert _rows(changed["DEL-1"]) == [
        ("before", "ptp_practitioner", "33289", "2024-07-31")  # deleted in 2024Q4
    ]
    assert _rows(changed["ADD-1"]) == [("after", "ptp_practitioner", "64483", None)]
    assert _rows(changed["TWO-DAYS@2024-08-15"]) == [
        ("before", "mue_practitioner", "29880", 2)  # 2024Q4 allows two
    ]
    assert changed["TWO-DAYS@2024-08-15"]["before"]["lines"][0]["action"] == "modify"
    assert changed["TWO-DAYS@2024-08-15"]["after"]["lines"][0]["action"] == "keep"
    assert "reproduced" not in changed["DEL-1"]  # a file, not a record
    table = _replay_cli(home, str(path), "--quiet", "--format", "table")
    assert "Encounter TWO-DAYS@2024-08-15 (claim TWO-DAYS, 2024-08-15): " in (
        table.stdout
    )
    assert "5 checked, 3 changed, 2 unchanged, 0 not replayable" in table.stdout


def _rows(item: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(side, table, code, what the other edition holds: PTP deletion or MUE value)."""
    out = []
    for r in item["edit_rows"]:
        row, other = r["row"], r["in_other_edition"]
        code = row.get("column_1") or row.get("code")
        held = None
        if other is not None:
            held = other["deletion"] if "column_1" in row else other["mue_value"]
        out.append((r["side"], r["table"], code, held))
    return out


def test_a_rejected_claim_names_its_places_not_its_values(
    home: Path, tmp_path: Path, shared_data: Path
) -> None:
    bad = [("BAD-1", (("SMITHJOHN", 1, "20240815"), ("76000", 1, "20240815")))]
    path = tmp_path / "bad.837"
    path.write_bytes(x12_claims(shared_data, [*bad, CLAIMS[0]]))
    result = _replay_cli(home, str(path), "--quiet", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["kind"], r.get("encounter_id")) for r in rows] == [
        ("not_replayable", "BAD-1"),
        ("changed", "DEL-1"),
        ("summary", None),
    ]
    assert rows[0]["date_of_service"] is None  # a rejected claim's values: none
    assert rows[0]["reason"].startswith("the encounter is invalid (segment ")
    assert "SMITHJOHN" not in result.stdout
    table = _replay_cli(home, str(path), "--quiet", "--format", "table").stdout
    assert "Encounter BAD-1 (claim BAD-1): not replayable: " in table


def test_a_fhir_claim_replays_as_the_837_does(
    home: Path, tmp_path: Path, shared_data: Path
) -> None:
    claim = fhir_claim(shared_data)
    path = tmp_path / "claim.json"
    path.write_text(json.dumps(claim), encoding="utf-8")
    doc = json.loads(_replay_cli(home, str(path), "--quiet").stdout)
    [item] = doc["changed"]
    assert (item["encounter_id"], item["claim"]) == ("MED-00050", "MED-00050")
    assert _rows(item) == [("before", "ptp_practitioner", "33289", "2024-07-31")]
    # a resource whose resourceType comes late is found as check finds it
    late = {k: v for k, v in claim.items() if k != "resourceType"}
    late["resourceType"] = "Claim"
    path.write_text(json.dumps(late, indent=8), encoding="utf-8")
    assert path.stat().st_size > 4096  # beyond what the format is told by
    again = json.loads(_replay_cli(home, str(path), "--quiet").stdout)
    assert again["changed"] == doc["changed"]
    assert again["summary"]["source"] == "claims"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--audit", "--program", "medicaid"], "--program goes with a claims FILE"),
        (["{json}", "--program", "medicaid"], "--program goes with a claims FILE"),
    ],
)
def test_program_goes_with_a_claims_file(
    home: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps({"id": "x", "lines": []}), encoding="utf-8")
    args = [str(saved) if a == "{json}" else a for a in args]
    result = _replay_cli(home, *args)
    assert result.exit_code == 2 and message in result.output
