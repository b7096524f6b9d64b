"""Medicaid editions: import, selection by program, errors, listing (docs/medicaid.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fluorocode.adapters.cms.medicaid_file import yyyymmdd_of
from fluorocode.api import Checker
from fluorocode.cli import main
from fluorocode.errors import EditFileFormatError

from ._files import (
    PTP_ZIP,
    medicaid_mue_text,
    medicaid_ptp_text,
    ptp_rows,
    zipped,
)

ENCOUNTER: dict[str, Any] = {
    "id": "enc-1",
    "date_of_service": "2024-08-15",
    "place_of_service": "11",
    "claim_type": "professional",
    "lines": [{"code": "20206"}, {"code": "76000"}],
}


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """The real entry point, its error mapping included: (exit code, stdout, stderr)."""

    def invoke(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["fluorocode", *args])
        try:
            main()
            code = 0
        except SystemExit as exited:
            code = int(exited.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def check(home: Path, program: str, **changes: Any) -> dict[str, Any]:
    return Checker(home).check({**ENCOUNTER, "program": program, **changes}).to_dict()


def findings(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == rule]


def test_the_medicaid_zips_import_as_a_medicaid_edition_beside_medicare(
    medicaid_zips: list[Path],
    medicare_files: list[Path],
    shared_data: Path,
    tmp_path: Path,
    run: Run,
) -> None:
    home = str(tmp_path / "home")
    code, out, err = run("editions", "import", *map(str, medicaid_zips), "--home", home)
    assert code == 0, err
    assert out.startswith("medicaid 2024Q3")
    assert run("editions", "import", *map(str, medicare_files), "--home", home)[0] == 0
    code, out, _ = run("editions", "list", "--format", "json", "--home", home)
    editions = {e["program"]: e for e in json.loads(out)}
    medicaid = editions["medicaid"]
    assert (medicaid["quarter"], medicaid["version"], medicaid["demo"]) == (
        "2024Q3",
        "",
        False,
    )
    shared = shared_data
    assert medicaid["tables"] == {
        "mue_outpatient_hospital": 14628,
        "mue_practitioner": 14677,
        "ptp_outpatient_hospital": len(ptp_rows(shared, "outpatient_hospital")),
        "ptp_practitioner": len(ptp_rows(shared, "practitioner")),
    }
    # each zip's text member is a source; the README beside it is not
    files = [s["file"] for s in medicaid["sources"]]
    assert len(files) == 4 and all(f.endswith(".txt") for f in files)
    assert files[0].startswith(PTP_ZIP.format("practitioner") + "!")
    assert editions["medicare"]["version"] == "v302r0"


def test_each_program_sees_its_own_edit(both_home: Path) -> None:
    medicare = check(both_home, "medicare")
    medicaid = check(both_home, "medicaid")
    assert medicare["edition"]["program"] == "medicare"
    assert medicaid["edition"]["program"] == "medicaid"
    # the real Medicare row is indicator 1; the Medicaid fixture's is 0
    (held,) = findings(medicare, "ptp.modifier-required")
    assert held["evidence"]["edit"]["modifier_indicator"] == 1
    assert medicare["lines"][1]["action"] == "hold"
    (bundled,) = findings(medicaid, "ptp.bundled")
    assert bundled["evidence"]["edit"]["modifier_indicator"] == 0
    assert bundled["evidence"]["edition"]["program"] == "medicaid"
    assert medicaid["lines"][1]["action"] == "remove"
    assert not findings(medicaid, "ptp.modifier-required")


def test_medicaid_mues_are_claim_line_edits(both_home: Path) -> None:
    lines = [{"code": "76000", "units": 2}]
    medicare = check(both_home, "medicare", lines=lines)
    medicaid = check(both_home, "medicaid", lines=lines)
    assert not findings(medicare, "mue.exceeded")  # Medicare: 3 a day (MAI 3)
    (over,) = findings(medicaid, "mue.exceeded")
    assert over["evidence"]["mue"] == {
        "code": "76000",
        "mue_value": 1,
        "mai": 1,
        "rationale": "Clinical: Data",
    }
    assert medicaid["lines"][0]["units"] == 1


def test_medicaid_has_no_add_on_code_edits_so_none_is_missing(both_home: Path) -> None:
    # Medicaid NCCI is PTP and MUE only (CMS MLN9018659): no AOC table, no no_data
    report = check(both_home, "medicaid")
    assert report["status"] != "no_data"
    assert not findings(report, "aoc.primary-missing")
    assert not findings(report, "edition.borrowed")
    # 99292 is an add-on of 99291 in Medicare's AOC table: alone, Medicare removes it
    lines = [{"code": "99292"}]
    medicaid = check(both_home, "medicaid", lines=lines)
    assert not findings(medicaid, "aoc.primary-missing")
    medicare = check(both_home, "medicare", lines=lines)
    assert findings(medicare, "aoc.primary-missing")


def test_an_aoc_file_in_a_medicaid_import_is_refused_naming_it(
    medicaid_zips: list[Path],
    shared_data: Path,
    tmp_path: Path,
    run: Run,
) -> None:
    tool = shared_data.parent / "tools" / "ncci_tsv_to_cms.py"
    printed = subprocess.run(
        [sys.executable, str(tool), "aoc", "--out", str(tmp_path / "aoc")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    (aoc_file,) = (Path(p) for p in printed.split())
    home = tmp_path / "home"
    for extra in ((), ("--program", "medicaid")):
        files = [str(aoc_file)] if extra else [*map(str, medicaid_zips), str(aoc_file)]
        code, _, err = run("editions", "import", *files, *extra, "--home", str(home))
        assert code == 2
        assert aoc_file.name in err and "no add-on code edits" in err
    assert not (home / "editions").exists() or not list((home / "editions").iterdir())


def test_medicare_pfs_given_with_medicaid_files_is_said_in_every_report(
    medicaid_zips: list[Path], shared_data: Path, tmp_path: Path
) -> None:
    from adapters.cms.test_pfs_file import NAME, _csv, _table_rows

    pfs = tmp_path / NAME
    pfs.write_bytes(_csv(_table_rows(shared_data / "ncci-2024q3")))
    home = tmp_path / "home"
    info = Checker(home).import_editions([*medicaid_zips, pfs])
    assert info.program.value == "medicaid" and "pfs" in info.tables
    report = check(home, "medicaid", place_of_service="22", lines=[{"code": "76000"}])
    (said,) = findings(report, "edition.borrowed")
    assert said["status"] == "info"
    assert said["evidence"]["borrowed"] == {"tables": ["pfs"], "files": [NAME]}
    (fl05,) = findings(report, "fluoro.modifier-26")
    assert "PFS PC/TC indicator 1" in fl05["evidence"]["pctc_source"]


def test_medicaid_with_only_medicare_imported_is_no_data(medicare_home: Path) -> None:
    report = check(medicare_home, "medicaid")
    assert report["status"] == "no_data"
    assert report["edition"] is None
    (why,) = report["findings"]
    assert why["rule"] == "edition.no-data"
    assert (
        "No medicaid edition is loaded (only medicare editions are)" in why["message"]
    )
    assert "never another program's or the demo's" in why["message"]
    assert check(medicare_home, "medicare")["edition"]["program"] == "medicare"


def test_medicaid_on_a_fresh_home_is_no_data_not_the_demo(tmp_path: Path) -> None:
    report = check(tmp_path / "fresh", "medicaid")
    assert report["status"] == "no_data"
    assert "No medicaid edition is loaded:" in report["findings"][0]["message"]
    demo = check(tmp_path / "fresh", "medicare")
    assert demo["edition"]["demo"] is True


def test_medicare_without_an_edition_says_so_too(
    medicaid_zips: list[Path], tmp_path: Path
) -> None:
    home = tmp_path / "home"
    Checker(home).import_editions(medicaid_zips)
    message = check(home, "medicare")["findings"][0]["message"]
    assert "No medicare edition is loaded (only medicaid editions are)" in message
    later = check(home, "medicaid", date_of_service="2025-02-01")
    assert (
        "No medicaid edition covers the date of service 2025-02-01"
        in (later["findings"][0]["message"])
    )


def test_a_malformed_medicaid_file_is_refused_naming_file_line_and_column(
    shared_data: Path,
    tmp_path: Path,
    run: Run,
) -> None:
    def bad_indicator(k: int, row: list[str]) -> list[str]:
        return [*row[:4], "7", row[5]] if k == 99 else row

    name = PTP_ZIP.format("practitioner")
    member = name.replace(".zip", ".txt")
    data = medicaid_ptp_text(shared_data, "practitioner", change=bad_indicator)
    path = tmp_path / name
    path.write_bytes(zipped(member, data))
    home = str(tmp_path / "home")
    code, _, err = run("editions", "import", str(path), "--home", home)
    assert code == 2
    # three title/notice/header lines above the 100th row
    assert f"{name}!{member}, line 103, column indicator" in err
    assert "modifier indicator '7' is not 0, 1 or 9" in err
    assert "Traceback" not in err
    assert not (tmp_path / "home" / "editions" / "medicaid-2024Q3").exists()


def test_a_medicaid_file_without_a_required_column_is_refused(
    shared_data: Path,
) -> None:
    from fluorocode.adapters.cms.medicaid_file import parse_medicaid_ptp_txt

    text = medicaid_ptp_text(shared_data, "practitioner").replace(
        b"\tModifier Indicator", b"\tMod Ind"
    )
    with pytest.raises(EditFileFormatError, match="unexpected column 'Mod Ind'"):
        parse_medicaid_ptp_txt(text, "x.txt")


def test_dates_are_read_in_each_documented_shape(shared_data: Path) -> None:
    from fluorocode.adapters.cms.medicaid_file import parse_medicaid_ptp_txt

    assert [
        yyyymmdd_of(t) for t in ("20241231", "2024366", "12/31/2024", "2024-12-31")
    ] == [20241231] * 4
    assert [yyyymmdd_of(t) for t in ("2023366", "20240230", "13/01/2024", "*")] == [
        None
    ] * 4

    def julian(ymd: str) -> str:
        day = __import__("datetime").date(int(ymd[:4]), int(ymd[4:6]), int(ymd[6:]))
        return f"{day.year}{day.timetuple().tm_yday:03d}"

    plain = parse_medicaid_ptp_txt(
        medicaid_ptp_text(shared_data, "practitioner"), "a.txt"
    )[0]
    jul = parse_medicaid_ptp_txt(
        medicaid_ptp_text(shared_data, "practitioner", julian), "b.txt"
    )[0]
    assert jul["effective"].equals(plain["effective"])
    assert jul["deletion"].equals(plain["deletion"])
    assert plain.filter(plain["deletion"] == 99991231).height > 0  # empty = active


def test_bare_medicaid_files_need_a_name_that_says_what_they_hold(
    shared_data: Path,
    tmp_path: Path,
    run: Run,
) -> None:
    home = str(tmp_path / "home")
    ptp = tmp_path / "ptp-edits-practitioner-services-2024q3.txt"
    ptp.write_bytes(medicaid_ptp_text(shared_data, "practitioner"))
    code, _, err = run("editions", "import", str(ptp), "--home", home)
    assert code != 0 and "not a CMS NCCI/PFS file name" in err
    code, out, err = run(
        "editions", "import", str(ptp), "--program", "medicaid", "--home", home
    )
    assert code == 0, err
    assert out.startswith("medicaid 2024Q3")
    mue = tmp_path / "MCD-MUE-PRA-2024Q3.txt"
    mue.write_bytes(medicaid_mue_text(shared_data, "practitioner"))
    vague = tmp_path / "medicaid-mue.txt"
    vague.write_bytes(mue.read_bytes())
    code, _, err = run("editions", "import", str(vague), "--home", home)
    assert code != 0 and "missing: one setting" in err
    code, out, err = run(
        "editions", "import", str(ptp), str(mue), "--program", "medicaid",
        "--replace", "--home", home,
    )  # fmt: skip
    assert code == 0, err
    assert "mue_practitioner 14,677" in out


def test_editions_list_shows_the_programs_side_by_side(
    both_home: Path, run: Run
) -> None:
    code, out, _ = run("editions", "list", "--home", str(both_home))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["2024Q3", "medicare", "v302r0", "medicaid", "-"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert rows["ptp_practitioner"][0] == rows["ptp_practitioner"][1] == "9,865"
    assert rows["ptp_outpatient_hospital"] == ["-", "9,739"]
    assert rows["mue_practitioner"] == ["14,677", "14,677"]
