"""``fluorocode batch`` and ``fluorocode report`` from the command line (issue 10)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from click.testing import CliRunner

from fluorocode.api import Checker
from fluorocode.cli import cli

CSV = """Claim ID,Line No,DOS,POS,Claim Type,Program,Rendering NPI,HCPCS,Modifiers,Units
c1,1,2024-08-15,22,professional,medicare,111,29880,RT,1
c1,2,2024-08-15,22,professional,medicare,111,76000,,1
c2,1,2024-08-15,11,,,222,99213,,1
c3,1,2024-08-15,11,,,222,99213,,x
"""


def _run(args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_batch_writes_tables_summary_and_csv(tmp_path: Path) -> None:
    src = tmp_path / "claims.csv"
    src.write_text(CSV)
    out = tmp_path / "out"
    code, stdout, stderr = _run(
        [
            "batch",
            str(src),
            "--output",
            str(out),
            "--csv",
            "--home",
            str(tmp_path / "h"),
        ]
    )
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert summary == json.loads((out / "summary.json").read_text())
    assert summary["lines"] == 4 and summary["encounters"] == 3
    assert "rules" in stderr  # the progress bar
    for name in ("lines.parquet", "findings.parquet", "lines.csv", "findings.csv"):
        assert (out / name).exists()
    rows = duckdb.sql(
        f"SELECT claim_id, line, action, status FROM '{out / 'lines.parquet'}' ORDER BY 1, 2"
    ).fetchall()
    # the demo edition answered (a fresh home): every report as check gives it
    checker = Checker(tmp_path / "h")
    report = checker.check(
        {
            "id": "c1",
            "date_of_service": "2024-08-15",
            "place_of_service": "22",
            "claim_type": "professional",
            "program": "medicare",
            "lines": [
                {"code": "29880", "modifiers": ["RT"], "units": 1},
                {"code": "76000", "units": 1},
            ],
        }
    )
    assert [r[2] for r in rows[:2]] == [ln.action.value for ln in report.lines]
    assert rows[3][3] == "rejected"  # units "x"


def test_batch_reads_json_lines(tmp_path: Path) -> None:
    src = tmp_path / "encounters.jsonl"
    enc = {
        "id": "e1",
        "date_of_service": "2024-08-15",
        "place_of_service": "11",
        "lines": [{"code": "99213"}],
    }
    src.write_text(json.dumps(enc) + "\n" + json.dumps({"id": "e2", "oops": 1}) + "\n")
    out = tmp_path / "out"
    code, stdout, _ = _run(
        ["batch", str(src), "-o", str(out), "-q", "--home", str(tmp_path / "h")]
    )
    assert code == 0
    statuses = dict(
        duckdb.sql(
            f"SELECT claim_id, status FROM '{out / 'findings.parquet'}'"
        ).fetchall()
    )
    assert (
        statuses.get("e2") == "rejected"
    )  # the unknown field, named as check names it


def test_report_writes_an_offline_page(tmp_path: Path) -> None:
    src = tmp_path / "claims.csv"
    src.write_text(CSV)
    out = tmp_path / "out"
    assert (
        _run(["batch", str(src), "-o", str(out), "-q", "--home", str(tmp_path / "h")])[
            0
        ]
        == 0
    )
    page = tmp_path / "report.html"
    code, _, stderr = _run(["report", str(out), "--output", str(page)])
    assert code == 0, stderr
    text = page.read_text()
    assert (
        "Practice self-audit" in text
        and "http://" not in text.split("<body>")[1][:2000]
    )
