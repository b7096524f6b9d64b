"""Every check is in the audit trail before it is answered, and can be read back."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from fluorocode.adapters.audit.records import canonical_sha256
from fluorocode.cli import cli
from fluorocode.service import schemas

from ._support import ANSWERS, AUDITED_ANSWERS, bearer, knee


def test_a_check_leaves_who_when_what_and_the_answers(
    client: TestClient, tokens: dict[str, str]
) -> None:
    enc = knee(
        id="audited",
        note="Patient Jane Q. Fluoroscopy time 1:30.",
        documentation={"fluoroscopy": ANSWERS},
    )
    response = client.post("/v1/check", json=enc, headers=bearer(tokens["scribe"]))
    page = client.get("/v1/audit", headers=bearer(tokens["admin"])).json()
    schemas.AuditPage.model_validate(page)
    [entry] = page["items"]
    report = response.json()
    assert entry["key"] == "scribe"
    assert entry["request_id"] == response.headers["x-request-id"]
    assert entry["at"].endswith("Z")
    assert entry["encounter_id"] == "audited"
    assert entry["input_sha256"] == canonical_sha256(enc)
    assert entry["status"] == report["status"] == "corrected"
    edition = {k: v for k, v in report["edition"].items() if k != "sources"}
    assert entry["edition"] == edition
    assert entry["sources"] == [
        {"file": s["file"], "sha256": s["sha256"]} for s in report["edition"]["sources"]
    ]
    assert entry["lines"] == report["lines"]
    assert {f["rule"] for f in entry["findings"]} >= {
        "ptp.bypassed",
        "fluoro.modifier-26",
    }
    assert entry["answers"] == AUDITED_ANSWERS
    assert "Jane" not in json.dumps(page)  # the note is never kept
    assert ANSWERS["indication"] not in json.dumps(page)  # nor the indication's words


def test_rejected_encounters_are_audited_with_their_errors(
    client: TestClient, tokens: dict[str, str]
) -> None:
    client.post("/v1/check", json=[{"id": "x"}], headers=bearer(tokens["scribe"]))
    [entry] = client.get("/v1/audit", headers=bearer(tokens["admin"])).json()["items"]
    assert entry["status"] == "rejected"
    assert entry["edition"] is None
    assert {e["field"] for e in entry["errors"]} >= {"date_of_service", "lines"}
    assert {e["kind"] for e in entry["errors"]} >= {"required"}


#: Values a scribe might paste in the wrong place: a patient's name and record number.
NAME = "Jane Q Patient"
MRN = "MRN 4471-0098"


def test_no_submitted_text_reaches_the_audit_trail(
    client: TestClient, home: Path, tokens: dict[str, str]
) -> None:
    """A rejected "code" that was a patient's name was stored verbatim (issue 8)."""
    rejected = knee(
        id="leaky-1",
        lines=[{"code": NAME, "modifiers": [MRN], "units": NAME}],
        place_of_service=NAME,
        date_of_service=MRN,
        note=f"{NAME}, {MRN}. Fluoroscopy time 1:30.",
        documentation={
            "fluoroscopy": {
                "indication": f"{NAME} fell at home",
                "minutes": NAME,
                "air_kerma": {"value": 3.1, "unit": NAME},
                "distinct_indication": {"confirmed": True, "basis": NAME},
            }
        },
        **{NAME: MRN},  # an unknown field whose very name is the patient's
    )
    valid = knee(
        id="leaky-2",
        note=f"{NAME}, {MRN}. Fluoroscopy time 1:30.",
        documentation={
            "fluoroscopy": {**ANSWERS, "indication": f"Dynamic views for {NAME}"}
        },
    )
    response = client.post(
        "/v1/check", json=[rejected, valid], headers=bearer(tokens["scribe"])
    )
    assert response.status_code == 200
    reports = response.json()
    assert reports[0]["status"] == "rejected"
    assert NAME in json.dumps(reports[0])  # the caller is told what was wrong...
    first, second = client.get("/v1/audit", headers=bearer(tokens["admin"])).json()[
        "items"
    ]
    # ...the audit trail keeps which field and what kind of fault, not the value
    assert first["status"] == "rejected"
    assert first["answers"] == {}
    assert {"field": "*", "kind": "unknown_field"} in first["errors"]
    assert {e["field"] for e in first["errors"]} >= {
        "lines[0].code",
        "place_of_service",
        "date_of_service",
    }
    assert all(set(e) == {"field", "kind"} for e in first["errors"])
    assert second["status"] != "rejected"
    assert second["answers"]["indication"] is True
    # nothing of it anywhere in the database's files, the log or the export
    for path in home.glob("audit.sqlite3*"):
        raw = path.read_bytes()
        for secret in (NAME, "Jane", MRN, "fell at home", "Dynamic views"):
            assert secret.encode() not in raw, (path.name, secret)
    exported = CliRunner().invoke(
        cli, ["audit", "export", "--format", "csv", "--home", str(home)]
    )
    assert exported.exit_code == 0
    assert "Jane" not in exported.stdout and "4471" not in exported.stdout


def test_the_trail_pages_and_filters(
    client: TestClient, tokens: dict[str, str]
) -> None:
    for i in range(5):
        client.post(
            "/v1/check",
            json=[knee(id=f"e{i}a"), knee(id=f"e{i}b")],
            headers=bearer(tokens["scribe" if i % 2 else "admin"]),
        )
    admin = bearer(tokens["admin"])
    seen, after, pages = [], 0, 0
    while True:
        page = client.get(f"/v1/audit?after={after}&limit=3", headers=admin).json()
        seen += [e["encounter_id"] for e in page["items"]]
        pages += 1
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert seen == [f"e{i}{s}" for i in range(5) for s in "ab"]
    assert pages == 4
    by_key = client.get("/v1/audit?key=scribe", headers=admin).json()["items"]
    assert [e["encounter_id"] for e in by_key] == ["e1a", "e1b", "e3a", "e3b"]
    one = client.get("/v1/audit?encounter_id=e2b", headers=admin).json()["items"]
    assert [(e["encounter_id"], e["position"]) for e in one] == [("e2b", 1)]
    bad = client.get("/v1/audit?limit=0", headers=admin)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "limit"


def test_the_trail_exports_as_csv_and_json_lines(
    client: TestClient, home: Path, tokens: dict[str, str]
) -> None:
    enc = knee(documentation={"fluoroscopy": ANSWERS})
    client.post(
        "/v1/check", json=[enc, knee(id="k2")], headers=bearer(tokens["scribe"])
    )
    runner = CliRunner()
    jsonl = runner.invoke(
        cli, ["audit", "export", "--format", "jsonl", "--home", str(home)]
    )
    assert jsonl.exit_code == 0, jsonl.output
    api = client.get("/v1/audit", headers=bearer(tokens["admin"])).json()["items"]
    lines = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert lines == api
    out = home / "audit.csv"
    result = runner.invoke(
        cli,
        ["audit", "export", "--format", "csv", "-o", str(out), "--home", str(home)],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["encounter_id"] for r in rows] == ["knee-1", "k2"]
    assert rows[0]["decisions"] == "0 29880-RT keep; 1 76000-26-XE modify"
    assert rows[1]["decisions"] == "0 29880-RT keep; 1 76000-26 hold"
    assert (rows[0]["key"], rows[0]["quarter"], rows[0]["demo"]) == (
        "scribe",
        "2024Q3",
        "true",
    )
    assert json.loads(rows[0]["answers"]) == AUDITED_ANSWERS
    later = runner.invoke(
        cli, ["audit", "export", "--since", "2999-01-01", "--home", str(home)]
    )
    assert later.exit_code == 0 and later.stdout == ""
    wrong = runner.invoke(
        cli, ["audit", "export", "--since", "soon", "--home", str(home)]
    )
    assert wrong.exit_code == 2 and "--since" in wrong.output


def test_the_audit_database_is_private_and_durable(
    client: TestClient, home: Path, tokens: dict[str, str]
) -> None:
    import sqlite3

    client.post("/v1/check", json=knee(), headers=bearer(tokens["scribe"]))
    db = home / "audit.sqlite3"
    assert db.stat().st_mode & 0o777 == 0o600
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM checks").fetchone()[0] == 1
    finally:
        conn.close()
