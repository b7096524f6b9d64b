"""``fluorocode editions``: program and quarter in any case (issue 8)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from fluorocode.cli import cli

PTP = (
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
    "29880\t76000\t\t19960101\t*\t1\tStandards of medical/surgical practice\r\n"
)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_program_and_quarter_match_in_any_case(tmp_path: Path) -> None:
    home = str(tmp_path / "home")
    path = tmp_path / "ccipra-v302r0-f1.TXT"
    path.write_bytes(PTP.encode("latin-1"))
    code, out = run(
        "editions", "import", str(path), "--program", "MEDICARE", "--home", home
    )
    assert code == 0, out
    for program, quarter in [("medicare", "2024q3"), ("Medicare", "2024Q3")]:
        code, out = run("editions", "show", program, quarter, "--home", home)
        assert code == 0, out
        shown = json.loads(out)
        assert (shown["program"], shown["quarter"]) == ("medicare", "2024Q3")
    code, out = run("editions", "remove", "MEDICARE", "2024q3", "--home", home)
    assert code == 0, out
    assert "removed medicare 2024Q3" in out
    code, out = run("editions", "show", "medicare", "2024Q3", "--home", home)
    assert code != 0


def test_a_malformed_quarter_is_a_usage_error(tmp_path: Path) -> None:
    code, out = run("editions", "show", "medicare", "2024Q5", "--home", str(tmp_path))
    assert code == 2
    assert "'2024Q5' is not a quarter such as 2024Q3" in out
