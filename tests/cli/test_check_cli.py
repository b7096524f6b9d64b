"""``fluorocode check`` and ``extract`` on the command line: shapes, exit codes, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fluorocode.cli import cli

REPO = Path(__file__).resolve().parent.parent.parent
EXAMPLE = REPO / "examples" / "knee-arthroscopy-with-fluoro.json"


def enc(i: int, *codes: str, **extra: object) -> dict[str, object]:
    return {
        "id": f"e{i}",
        "date_of_service": "2024-08-15",
        "place_of_service": "22",
        "lines": [{"code": c} for c in codes],
        **extra,
    }


def run(args: list[str], stdin: str | None = None, home: Path | None = None):  # type: ignore[no-untyped-def]
    extra = ["--home", str(home)] if home and args[0] == "check" else []
    return CliRunner().invoke(cli, [*args, *extra], input=stdin)


def test_the_shipped_example_runs_on_the_demo_edition(tmp_path: Path) -> None:
    result = run(["check", str(EXAMPLE)], home=tmp_path)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["encounter_id"] == "demo-knee-0001"
    assert report["edition"]["demo"] is True
    assert report["status"] == "needs_provider_input"
    assert [ln["action"] for ln in report["lines"]] == ["keep", "hold"]
    assert "edition.demo" in {f["rule"] for f in report["findings"]}


def test_array_in_array_out_in_order(tmp_path: Path) -> None:
    body = json.dumps([enc(1, "33289", "76000"), enc(2, "99213")])
    result = run(["check", "-"], stdin=body, home=tmp_path)
    assert result.exit_code == 0
    reports = json.loads(result.output)
    assert [r["encounter_id"] for r in reports] == ["e1", "e2"]
    assert reports[0]["lines"][1]["action"] == "remove"


def test_json_lines_in_lines_out_and_a_bad_line_is_rejected_alone(
    tmp_path: Path,
) -> None:
    body = "\n".join(
        [json.dumps(enc(1, "99213")), "{not json", json.dumps(enc(3, "99213"))]
    )
    result = run(["check", "-"], stdin=body + "\n", home=tmp_path)
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [r["status"] for r in out][1] == "rejected"
    assert out[1]["errors"][0]["field"] == "line 2"
    assert out[0]["encounter_id"] == "e1" and out[2]["encounter_id"] == "e3"


def test_invalid_encounter_names_every_bad_field_and_exits_1(tmp_path: Path) -> None:
    bad = {
        "id": "x",
        "date_of_service": "2024-02-30",
        "place_of_service": "98",
        "lines": [{"code": "7600", "units": 0, "modifiers": ["XYZ"]}],
        "documentation": {"fluoroscopy": {"air_kerma": {"value": 1, "unit": "Sv"}}},
        "colour": "blue",
    }
    result = run(["check", "-"], stdin=json.dumps(bad), home=tmp_path)
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["status"] == "rejected"
    assert {e["field"] for e in report["errors"]} == {
        "date_of_service",
        "place_of_service",
        "lines[0].code",
        "lines[0].units",
        "lines[0].modifiers[0]",
        "documentation.fluoroscopy.air_kerma.unit",
        "colour",
    }


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty input"),
        ('{"id": ', "not valid JSON"),
    ],
)
def test_unreadable_input_is_a_usage_error(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "in.json"
    path.write_text(content)
    result = run(["check", str(path)], home=tmp_path)
    assert result.exit_code == 2
    assert message in result.output


def test_missing_file_is_exit_2(tmp_path: Path) -> None:
    import sys

    from fluorocode.cli import main

    argv = sys.argv
    sys.argv = ["fluorocode", "check", str(tmp_path / "nope.json")]
    try:
        with pytest.raises(SystemExit) as info:
            main()
    finally:
        sys.argv = argv
    assert info.value.code == 2


def test_table_format_shows_actions_and_questions(tmp_path: Path) -> None:
    result = run(["check", str(EXAMPLE), "--format", "table"], home=tmp_path)
    assert result.exit_code == 0
    assert "needs_provider_input" in result.output
    assert "hold" in result.output and "Questions for the provider" in result.output


def test_extract_prints_the_contract_shape(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("Fluoroscopy time 1:32. Cumulative air kerma 7.4 mGy.\n")
    result = CliRunner().invoke(cli, ["extract", str(note)])
    assert result.exit_code == 0, result.output
    facts = json.loads(result.output)
    assert facts["fluoroscopy_used"] is True
    assert facts["minutes"] == 1.53  # 1:32, to the hundredth as the contract shows
    assert facts["air_kerma_mgy"] == 7.4
    assert {e["field"] for e in facts["evidence"]} >= {"minutes", "air_kerma_mgy"}


def test_extract_refuses_non_utf8(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_bytes(b"Fluoroscopy \xff\xfe time")
    result = CliRunner().invoke(cli, ["extract", str(note)])
    assert result.exit_code != 0
    assert "UTF-8" in str(result.exception) or "UTF-8" in result.output
