"""``editions diff`` on two small editions imported from CMS-layout files: every kind."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fluorocode.api import Checker
from fluorocode.cli import cli
from fluorocode.errors import DiffRequestError, EditionNotFoundError

from ._cms import aoc_file, mue_file, ptp_file

STD = "Standards of medical/surgical practice"
MANUAL = "CPT Manual or CMS manual coding instruction"
MISUSE = "Misuse of column two code with column one code"

PTP_Q3 = [
    ("29880", "76000", "19960101", "*", "1", STD),  # unchanged
    ("33289", "76000", "20190101", "*", "0", MANUAL),  # deletion date set
    ("36000", "76000", "19960101", "*", "1", STD),  # indicator 1 -> 0
    ("20610", "77002", "20100101", "20231231", "1", STD),  # deletion moved earlier
    ("62270", "77003", "19960101", "*", "1", STD),  # rationale changed
    ("64490", "77003", "19960101", "*", "1", STD),  # gone from the file
    ("27096", "77003", "19960101", "20191231", "1", STD),  # history, unchanged
    ("27096", "77003", "20200101", "*", "0", STD),  # history, unchanged
    ("22510", "77002", "20200101", "20200101", "9", STD),  # twice here, once in Q4
    ("22510", "77002", "20200101", "20200101", "9", STD),
]
PTP_Q4 = [
    ("29880", "76000", "19960101", "*", "1", STD),
    ("33289", "76000", "20190101", "20240930", "0", MANUAL),
    ("36000", "76000", "19960101", "*", "0", STD),
    ("20610", "77002", "20100101", "20221231", "1", STD),
    ("62270", "77003", "19960101", "*", "1", MISUSE),
    ("64479", "77003", "20241001", "*", "1", STD),  # new
    ("27096", "77003", "20200101", "*", "0", STD),  # history rows in another order
    ("27096", "77003", "19960101", "20191231", "1", STD),
    ("22510", "77002", "20200101", "20200101", "9", STD),
]
MUE_Q3 = [
    ("20610", 2, 1, "Anatomic Consideration"),  # removed
    ("29880", 1, 2, "Anatomic Consideration"),  # unchanged
    ("76000", 3, 3, "Clinical: Data"),  # value 3 -> 4
    ("77002", 1, 2, "Code Descriptor / CPT Instruction"),  # MAI 2 -> 3
    ("77003", 1, 2, "Code Descriptor / CPT Instruction"),  # rationale
]
MUE_Q4 = [
    ("29880", 1, 2, "Anatomic Consideration"),
    ("64479", 1, 2, "Anatomic Consideration"),  # added
    ("76000", 4, 3, "Clinical: Data"),
    ("77002", 1, 3, "Code Descriptor / CPT Instruction"),
    ("77003", 1, 2, "Clinical: Data"),
]
AOC_Q3 = [("77002", "20610", 1), ("77001", "CCCCC", 2), ("77003", "62270", 1)]
AOC_Q4 = [("77002", "20610", 3), ("77003", "62270", 1), ("77003", "64479", 1)]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Medicare 2024Q3 (PTP both settings, MUE, AOC) and 2024Q4 (no hospital PTP)."""
    root = tmp_path_factory.mktemp("diff")
    q3, q4 = root / "q3", root / "q4"
    q3.mkdir()
    q4.mkdir()
    checker = Checker(root / "home")
    checker.import_editions(
        [
            ptp_file(q3 / "ccipra-v302r0-f1.TXT", PTP_Q3),
            ptp_file(q3 / "ccioph-v302r0-f1.TXT", PTP_Q3[:3]),
            mue_file(q3 / "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv", MUE_Q3),
            aoc_file(q3 / "AOC_V2024Q2-MCR.txt", AOC_Q3),
        ]
    )
    checker.import_editions(
        [
            ptp_file(q4 / "ccipra-v303r0-f1.TXT", PTP_Q4),
            mue_file(q4 / "MCR_MUE_PractitionerServices_Eff_10-01-2024.csv", MUE_Q4),
            aoc_file(q4 / "AOC_V2024Q3-MCR.txt", AOC_Q4),
        ]
    )
    return root / "home"


def _ptp(eff: str, dele: str | None, ind: int, why: str) -> dict[str, Any]:
    return {
        "effective": eff,
        "deletion": dele,
        "modifier_indicator": ind,
        "rationale": why,
        "pre_1996": False,
    }


def _mue(value: int, mai: int, why: str) -> dict[str, Any]:
    return {"mue_value": value, "mai": mai, "rationale": why}


def _aoc(kind: int) -> dict[str, Any]:
    return {"edit_type": kind, "effective": None, "deletion": None}


def change(
    table: str,
    kind: str,
    codes: list[str],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    changed: list[str] = (),  # type: ignore[assignment]
    detail: str | None = None,
) -> dict[str, Any]:
    return {
        "table": table,
        "kind": kind,
        "detail": detail,
        "codes": codes,
        "changed": list(changed),
        "before": before,
        "after": after,
    }


PRA, MUE, AOC = "ptp_practitioner", "mue_practitioner", "aoc"
EXPECTED = [
    # PTP practitioner, by (column 1, column 2), then effective date
    change(
        PRA,
        "ptp.deleted",
        ["20610", "77002"],
        _ptp("2010-01-01", "2023-12-31", 1, STD),
        _ptp("2010-01-01", "2022-12-31", 1, STD),
        ["deletion"],
        "deletion-date-earlier",
    ),
    change(
        PRA,
        "ptp.deleted",
        ["22510", "77002"],
        _ptp("2020-01-01", "2020-01-01", 9, STD),
        None,
        detail="row-removed",
    ),
    change(
        PRA,
        "ptp.deleted",
        ["33289", "76000"],
        _ptp("2019-01-01", None, 0, MANUAL),
        _ptp("2019-01-01", "2024-09-30", 0, MANUAL),
        ["deletion"],
        "deletion-date-set",
    ),
    change(
        PRA,
        "ptp.indicator-changed",
        ["36000", "76000"],
        _ptp("1996-01-01", None, 1, STD),
        _ptp("1996-01-01", None, 0, STD),
        ["modifier_indicator"],
    ),
    change(
        PRA,
        "ptp.changed",
        ["62270", "77003"],
        _ptp("1996-01-01", None, 1, STD),
        _ptp("1996-01-01", None, 1, MISUSE),
        ["rationale"],
    ),
    change(
        PRA, "ptp.added", ["64479", "77003"], None, _ptp("2024-10-01", None, 1, STD)
    ),
    change(
        PRA,
        "ptp.deleted",
        ["64490", "77003"],
        _ptp("1996-01-01", None, 1, STD),
        None,
        detail="row-removed",
    ),
    # MUE practitioner, by code
    change(MUE, "mue.removed", ["20610"], _mue(2, 1, "Anatomic Consideration"), None),
    change(MUE, "mue.added", ["64479"], None, _mue(1, 2, "Anatomic Consideration")),
    change(
        MUE,
        "mue.value-changed",
        ["76000"],
        _mue(3, 3, "Clinical: Data"),
        _mue(4, 3, "Clinical: Data"),
        ["mue_value"],
    ),
    change(
        MUE,
        "mue.mai-changed",
        ["77002"],
        _mue(1, 2, "Code Descriptor / CPT Instruction"),
        _mue(1, 3, "Code Descriptor / CPT Instruction"),
        ["mai"],
    ),
    change(
        MUE,
        "mue.rationale-changed",
        ["77003"],
        _mue(1, 2, "Code Descriptor / CPT Instruction"),
        _mue(1, 2, "Clinical: Data"),
        ["rationale"],
    ),
    # AOC, by add-on then primary; codes are [primary, add-on]
    change(AOC, "aoc.removed", ["CCCCC", "77001"], _aoc(2), None),
    change(AOC, "aoc.changed", ["20610", "77002"], _aoc(1), _aoc(3), ["edit_type"]),
    change(AOC, "aoc.added", ["64479", "77003"], None, _aoc(1)),
]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def diff_json(home: Path, *args: str) -> dict[str, Any]:
    code, out = run(
        "editions", "diff", "medicare", "2024Q3", "medicare", "2024Q4",
        "--format", "json", "--home", str(home), *args,
    )  # fmt: skip
    assert code == 0, out
    doc: dict[str, Any] = json.loads(out)
    return doc


def test_every_change_kind_exactly(home: Path) -> None:
    doc = diff_json(home)
    assert doc["from"] == {
        "program": "medicare",
        "quarter": "2024Q3",
        "version": "v302r0",
    }
    assert doc["to"] == {
        "program": "medicare",
        "quarter": "2024Q4",
        "version": "v303r0",
    }
    assert doc["changes"] == EXPECTED
    tables = doc["summary"]["tables"]
    assert doc["summary"]["changes"] == len(EXPECTED) == 15
    assert tables[PRA] == {
        "from_rows": 10,
        "to_rows": 9,
        "compared": True,
        "changes": {
            "ptp.added": 1,
            "ptp.deleted": 4,
            "ptp.indicator-changed": 1,
            "ptp.changed": 1,
        },
    }
    assert tables[MUE]["changes"] == {
        "mue.added": 1,
        "mue.removed": 1,
        "mue.value-changed": 1,
        "mue.mai-changed": 1,
        "mue.rationale-changed": 1,
    }
    assert tables[AOC]["changes"] == {
        "aoc.added": 1,
        "aoc.removed": 1,
        "aoc.changed": 1,
    }
    # held by 2024Q3 only: named, not diffed as all removed
    assert tables["ptp_outpatient_hospital"] == {
        "from_rows": 3,
        "to_rows": None,
        "compared": False,
        "changes": {},
        "only_in": "medicare/2024Q3",
    }
    assert list(tables) == [PRA, "ptp_outpatient_hospital", MUE, AOC]


def test_backwards_is_the_mirror_image(home: Path) -> None:
    doc = json.loads(
        run(
            "editions", "diff", "MEDICARE", "2024q4", "Medicare", "2024-Q3",
            "--format", "json", "--home", str(home),
        )[1]
    )  # fmt: skip
    kinds = [(c["table"], c["kind"], c["codes"]) for c in doc["changes"]]
    assert (PRA, "ptp.added", ["22510", "77002"]) in kinds
    assert (PRA, "ptp.added", ["64490", "77003"]) in kinds
    assert (PRA, "ptp.deleted", ["64479", "77003"]) in kinds
    # a deletion date removed or moved later is a change, not a deletion
    moved = [c for c in doc["changes"] if c["codes"] == ["33289", "76000"]]
    assert [(c["kind"], c["changed"]) for c in moved] == [("ptp.changed", ["deletion"])]


def test_codes_keep_changes_touching_either_code(home: Path) -> None:
    doc = diff_json(home, "--codes", "76000,64479", "--codes", "77001")
    got = [c["codes"] for c in doc["changes"]]
    assert got == [
        ["33289", "76000"],
        ["36000", "76000"],
        ["64479", "77003"],
        ["64479"],
        ["76000"],
        ["CCCCC", "77001"],
        ["64479", "77003"],
    ]
    assert doc["summary"]["codes"] == ["64479", "76000", "77001"]
    assert doc["summary"]["changes"] == 7


def test_table_option_limits_the_tables(home: Path) -> None:
    doc = diff_json(home, "--table", "MUE_practitioner", "--table", "aoc")
    assert list(doc["summary"]["tables"]) == [MUE, AOC]
    assert [c["table"] for c in doc["changes"]] == [MUE] * 5 + [AOC] * 3


def test_csv_has_fixed_columns_one_row_per_change(home: Path) -> None:
    code, out = run(
        "editions", "diff", "medicare", "2024Q3", "medicare", "2024Q4",
        "--format", "csv", "--home", str(home),
    )  # fmt: skip
    assert code == 0, out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(EXPECTED)
    first = rows[0]
    assert (first["table"], first["kind"], first["detail"]) == (
        PRA,
        "ptp.deleted",
        "deletion-date-earlier",
    )
    assert (first["code_1"], first["code_2"], first["changed"]) == (
        "20610",
        "77002",
        "deletion",
    )
    assert (first["before_deletion"], first["after_deletion"]) == (
        "2023-12-31",
        "2022-12-31",
    )
    value = next(r for r in rows if r["kind"] == "mue.value-changed")
    assert (value["code_1"], value["code_2"]) == ("76000", "")
    assert (value["before_mue_value"], value["after_mue_value"]) == ("3", "4")
    assert value["before_effective"] == ""


def test_table_format_summary_first_then_truncated(home: Path) -> None:
    from fluorocode.cli import editions_diff

    code, out = run(
        "editions", "diff", "medicare", "2024Q3", "medicare", "2024Q4",
        "--home", str(home),
    )  # fmt: skip
    assert code == 0, out
    lines = out.splitlines()
    assert (
        lines[0] == "medicare 2024Q3 (v302r0) -> medicare 2024Q4 (v303r0): 15 changes"
    )
    assert "ptp.deleted 4" in lines[1] and "10 -> 9 rows" in lines[1]
    assert "only in medicare/2024Q3: not compared" in lines[2]
    assert lines[5] == "Changes:"
    assert "effective 2010-01-01: deletion 2023-12-31 -> 2022-12-31" in lines[6]
    assert len(lines) == 6 + 15

    original = editions_diff.TABLE_ROWS
    editions_diff.TABLE_ROWS = 4
    try:
        code, out = run(
            "editions", "diff", "medicare", "2024Q3", "medicare", "2024Q4",
            "--home", str(home),
        )  # fmt: skip
    finally:
        editions_diff.TABLE_ROWS = original
    assert out.splitlines()[-1].startswith("... 11 more: --output FILE writes them all")
    assert len(out.splitlines()) == 6 + 4 + 1


def test_output_file_holds_every_change(home: Path, tmp_path: Path) -> None:
    target = tmp_path / "changes.txt"
    code, out = run(
        "editions", "diff", "medicare", "2024Q3", "medicare", "2024Q4",
        "--home", str(home), "--output", str(target),
    )  # fmt: skip
    assert (code, out) == (0, "")
    assert len(target.read_text().splitlines()) == 6 + 15
    assert [p.name for p in tmp_path.iterdir()] == ["changes.txt"]  # no temp left
    target = tmp_path / "changes.json"
    code, out = run(
        "editions", "diff", "medicare", "2024Q3", "medicare", "2024Q4",
        "--home", str(home), "--output", str(target), "--format", "json",
    )  # fmt: skip
    assert json.loads(target.read_text())["changes"] == EXPECTED


def test_api_answers_the_same_records(home: Path) -> None:
    report = Checker(home).diff_editions("medicare/2024Q3", "medicare/2024q4")
    assert list(report.changes()) == EXPECTED
    assert json.loads("".join(report.json_chunks()))["changes"] == EXPECTED


@pytest.mark.parametrize(
    ("old", "new", "tables", "codes", "field", "words"),
    [
        ("medicare/2024Q3", "Medicare/2024q3", (), (), "to", "edition to compare from"),
        ("medicare/2024Q5", "medicare/2024Q4", (), (), "from", "not a quarter"),
        ("medigap/2024Q3", "medicare/2024Q4", (), (), "from", "not program/quarter"),
        (
            "medicare/2024Q3",
            "medicare/2024Q4",
            ("ptp_nowhere",),
            (),
            "table",
            "unknown",
        ),
        ("medicare/2024Q3", "medicare/2024Q4", ("pfs",), (), "table", "neither"),
        ("medicare/2024Q3", "medicare/2024Q4", (), ("7600",), "codes", "not a code"),
        ("medicare/2024Q3", "medicare/2024Q4", (), ("76000,x'1",), "codes", "not a"),
    ],
)
def test_bad_requests_name_the_parameter(
    home: Path,
    old: str,
    new: str,
    tables: tuple[str, ...],
    codes: tuple[str, ...],
    field: str,
    words: str,
) -> None:
    with pytest.raises(DiffRequestError, match=words) as caught:
        Checker(home).diff_editions(old, new, tables, codes)
    assert caught.value.field == field


def test_unknown_edition_is_not_found(home: Path) -> None:
    with pytest.raises(EditionNotFoundError, match="no medicare edition for 2025Q1"):
        Checker(home).diff_editions("medicare/2024Q3", "medicare/2025Q1")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("medicare", "2024Q3", "medicare", "2024q3"), "edition to compare from"),
        (
            ("medicare", "2024Q3", "medicare", "2025Q1"),
            "no medicare edition for 2025Q1",
        ),
        (("medicare", "2024Q3", "medicare", "2024Q4", "--codes", "76O0"), "not a code"),
        (
            ("medicare", "2024Q3", "medicare", "2024Q4", "--table", "ptp"),
            "'ptp' is not",
        ),
        (("medicare", "2024Q3", "medicare", "2024Q9"), "not a quarter"),
    ],
)
def test_cli_bad_input_is_one_line_and_status_2(
    home: Path,
    args: tuple[str, ...],
    words: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from fluorocode.cli import main

    argv = ["fluorocode", "editions", "diff", *args, "--home", str(home)]
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert words in err
    assert "Traceback" not in err
