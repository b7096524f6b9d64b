"""``fluorocode replay FILE``: encounters re-checked against another edition."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fluorocode.api import Checker, parse_edition_name, replay
from fluorocode.cli import cli
from fluorocode.domain.codes import Program
from fluorocode.errors import ClaimInputError, EditionNotFoundError

from ._editions import CHANGED, UNCHANGED, encounter

ALL = [*CHANGED.values(), *UNCHANGED.values()]


def _ptp(c1: str, indicator: int, deletion: str | None = None) -> dict[str, Any]:
    return {
        "column_1": c1,
        "column_2": "76000",
        "effective": "1996-01-01",
        "deletion": deletion,
        "modifier_indicator": indicator,
    }


def _rows(item: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(side, table, quarter, row without rationale, counterpart without rationale)."""
    out = []
    for r in item["edit_rows"]:
        row = {k: v for k, v in r["row"].items() if k != "rationale"}
        other = r["in_other_edition"]
        if other is not None:
            other = {k: v for k, v in other.items() if k != "rationale"}
        out.append((r["side"], r["table"], r["edition"]["quarter"], row, other))
    return sorted(out, key=repr)


def _lines(path: Path, objs: list[Any]) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objs), encoding="utf-8")
    return path


def test_replay_lists_exactly_the_changed_encounters_with_their_rows(
    home: Path,
) -> None:
    run = replay("medicare/2024Q4", ALL, checker=Checker(home))
    items = {i.encounter_id: i.to_dict() for i in run}
    changed = {k for k, v in items.items() if v["kind"] == "changed"}
    assert changed == set(CHANGED)
    assert run.summary.to_dict() == {
        "edition": {
            "program": "medicare",
            "quarter": "2024Q4",
            "version": "v303r0",
            "demo": False,
        },
        "source": "encounters",
        "checked": 6,
        "changed": 4,
        "unchanged": 2,
        "not_replayable": 0,
    }
    flip = items["flip"]
    assert (flip["before"]["status"], flip["after"]["status"]) == (
        "needs_provider_input",
        "corrected",
    )
    assert [ln["action"] for ln in flip["after"]["lines"]] == ["keep", "remove"]
    assert flip["before"]["edition"]["quarter"] == "2024Q3"
    assert _rows(flip) == sorted(
        [
            ("after", "ptp_practitioner", "2024Q4", _ptp("29880", 0), _ptp("29880", 1)),
            (
                "before",
                "ptp_practitioner",
                "2024Q3",
                _ptp("29880", 1),
                _ptp("29880", 0),
            ),
        ],
        key=repr,
    )
    deleted = items["deleted"]
    assert [ln["action"] for ln in deleted["before"]["lines"]] == ["keep", "remove"]
    assert {f["rule"] for f in deleted["after"]["findings"]} >= {"fluoro.integral"}
    assert _rows(deleted) == [
        (
            "before",
            "ptp_practitioner",
            "2024Q3",
            _ptp("33289", 0),
            _ptp("33289", 0, "2024-07-31"),
        )
    ]
    added = items["added"]
    # held either way, for another reason: the finding ids on the lines differ
    assert added["before"]["status"] == added["after"]["status"]
    assert added["changes"] == ["line 0: findings", "line 1: findings"]
    assert _rows(added) == [
        ("after", "ptp_practitioner", "2024Q4", _ptp("64483", 1), None)
    ]
    mue = items["mue"]
    assert (mue["before"]["lines"][0]["units"], mue["after"]["lines"][0]["units"]) == (
        1,
        2,
    )
    assert _rows(mue) == [
        (
            "before",
            "mue_practitioner",
            "2024Q3",
            {"code": "29880", "mue_value": 1, "mai": 2},
            {"code": "29880", "mue_value": 2, "mai": 2},
        )
    ]


def test_against_the_edition_the_dates_select_nothing_changes(home: Path) -> None:
    run = replay("MEDICARE 2024q3", list(CHANGED.values()), checker=Checker(home))
    assert {i.kind for i in run} == {"unchanged"}
    assert run.summary.checked == 4


def test_what_the_edition_cannot_answer_is_not_replayable(home: Path) -> None:
    items = [
        encounter("later", "20610", dos="2025-01-15"),
        encounter("medicaid", "20610", program="medicaid"),
        {"id": "bad", "date_of_service": "2024-02-30", "place_of_service": "11"},
    ]
    out = [i.to_dict() for i in replay("medicare/2024Q3", items, checker=Checker(home))]
    assert [o["kind"] for o in out] == ["not_replayable"] * 3
    assert "after the 2024Q3 edition's quarter" in out[0]["reason"]
    assert "program is medicaid" in out[1]["reason"]
    assert out[2]["reason"].startswith("the encounter is invalid (")
    assert "date_of_service" in out[2]["reason"] and "lines" in out[2]["reason"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("medicare/2024Q4", (Program.MEDICARE, "2024Q4")),
        ("Medicare 2024q4", (Program.MEDICARE, "2024Q4")),
        (" medicaid / 2025-Q1 ", (Program.MEDICAID, "2025Q1")),
    ],
)
def test_edition_names(text: str, expected: tuple[Program, str]) -> None:
    assert parse_edition_name(text) == expected


@pytest.mark.parametrize("text", ["medicare", "acme/2024Q4", "medicare/2024Q5", ""])
def test_bad_edition_names_name_the_field(text: str) -> None:
    with pytest.raises(ClaimInputError) as info:
        parse_edition_name(text)
    assert info.value.errors[0].field == "edition"


def test_an_edition_not_imported_is_refused(home: Path) -> None:
    with pytest.raises(EditionNotFoundError, match="2025Q1"):
        replay("medicare/2025Q1", ALL, checker=Checker(home))


# -- the command line ----------------------------------------------------------------


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["replay", *args], catch_exceptions=False)


def test_cli_json_lines(home: Path, tmp_path: Path) -> None:
    path = _lines(tmp_path / "saved.jsonl", ALL)
    result = _run(
        "--edition",
        "medicare/2024Q4",
        str(path),
        "--format",
        "jsonl",
        "--home",
        str(home),
        "--quiet",
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["encounter_id"] for r in rows[:-1]] == list(CHANGED)
    assert [r["position"] for r in rows[:-1]] == [0, 1, 2, 3]
    assert rows[-1]["kind"] == "summary"
    assert (rows[-1]["changed"], rows[-1]["unchanged"]) == (4, 2)


def test_cli_json_and_table(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "saved.json"
    path.write_text(json.dumps(ALL + [[]]), encoding="utf-8")
    result = _run("--edition", "medicare 2024Q4", str(path), "--home", str(home))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [c["encounter_id"] for c in doc["changed"]] == list(CHANGED)
    assert [n["position"] for n in doc["not_replayable"]] == [6]
    assert doc["summary"]["checked"] == 7
    table = _run(
        "--edition",
        "medicare/2024Q4",
        str(path),
        "--home",
        str(home),
        "--format",
        "table",
        "--quiet",
    ).stdout
    assert "Encounter flip (position 0): needs_provider_input -> corrected" in table
    assert "before medicare 2024Q3 ptp_practitioner: column_1=33289" in table
    assert "7 checked, 4 changed, 2 unchanged, 1 not replayable" in table


def test_cli_bad_json_line_is_not_replayable(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "saved.jsonl"
    path.write_text(json.dumps(ALL[0]) + "\n{not json\n", encoding="utf-8")
    result = _run(
        "--edition",
        "medicare/2024Q4",
        str(path),
        "--format",
        "jsonl",
        "--home",
        str(home),
    )
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows[1]["kind"] == "not_replayable"
    assert rows[1]["reason"].startswith("line 2: not valid JSON")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--edition", "medicare/2024Q4"], "give FILE or --audit"),
        (["--edition", "medicare/2024Q4", "--audit", "x.json"], "give FILE or --audit"),
        (
            ["--edition", "medicare/2024Q4", "x.json", "--since", "2024-01-01"],
            "--since and --key go with --audit",
        ),
    ],
)
def test_cli_usage_errors(home: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["replay", *args, "--home", str(home)])
    assert result.exit_code == 2
    assert message in result.output


def _exit_of(
    capsys: pytest.CaptureFixture[str], home: Path, *args: str
) -> tuple[int, str]:
    """Exit status and standard error of the real entry point (its error mapping)."""
    import sys

    from fluorocode.cli import main

    argv = sys.argv
    sys.argv = ["fluorocode", "replay", *args, "--home", str(home)]
    try:
        with pytest.raises(SystemExit) as info:
            main()
    finally:
        sys.argv = argv
    assert isinstance(info.value.code, int)
    return info.value.code, capsys.readouterr().err


def test_cli_unknown_edition_unreadable_file_and_837(
    home: Path, tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = _lines(tmp_path / "s.jsonl", ALL)
    code, err = _exit_of(capsys, home, "--edition", "medicare/2025Q1", str(saved))
    assert code == 2 and "no medicare edition for 2025Q1" in err
    code, err = _exit_of(capsys, home, "--edition", "acme/2024Q4", str(saved))
    assert code == 2 and "not an edition such as medicare/2024Q4" in err
    missing = str(tmp_path / "missing.json")
    code, err = _exit_of(capsys, home, "--edition", "medicare/2024Q4", missing)
    assert code == 2 and "cannot read" in err
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    code, err = _exit_of(capsys, home, "--edition", "medicare/2024Q4", str(empty))
    assert code == 2 and "empty input" in err
    # a claims file is read as check reads it: a 4010 837 is refused, the file named
    x12 = str(shared_data / "x12" / "pyx12" / "simple_837p.txt")
    code, err = _exit_of(capsys, home, "--edition", "medicare/2024Q4", x12)
    assert code == 2 and "simple_837p.txt" in err and "version 4010" in err
