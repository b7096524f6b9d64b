"""``fluorocode check`` on claims files: detection, outputs, exit codes, bad input.

Also the issue-8 regressions of the JSON reader (huge numbers, deep nesting) and the
table's batch summary.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fluorocode.cli import cli

X12 = "x12/oopfactory-x12parser"


def run(args: list[str], home: Path, stdin: bytes | str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["check", *args, "--home", str(home)], input=stdin)


def derived(shared_data: Path, tmp_path: Path) -> Path:
    """ST1309-XX with 33289 + 76000 on 2024-08-15 at POS 22: 76000 is bundled."""
    data = (shared_data / X12 / "837P_5010/ST1309-XX.txt").read_text()
    for old, new in [
        ("CLM*B330004Y*360***11:B:1", "CLM*B330004Y*360***22:B:1"),
        ("SV1*HC:99204*250*UN*1*11**1", "SV1*HC:33289*250*UN*1*22**1"),
        ("SV1*HC:73610*110*UN*1*11**1", "SV1*HC:76000*110*UN*1*22**1"),
        ("D8*20130312", "D8*20240815"),
    ]:
        data = data.replace(old, new)
    path = tmp_path / "claims.837"
    path.write_bytes(data.encode())
    return path


def test_x12_detected_and_corrected_837_written(
    shared_data: Path, tmp_path: Path
) -> None:
    source = derived(shared_data, tmp_path)
    out = tmp_path / "corrected.837"
    result = run([str(source), "--format", "x12", "--output", str(out)], tmp_path / "h")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.output)
    assert report["status"] == "corrected"
    assert report["source"]["written"] is True
    assert report["source"]["segment"] == 27
    written = out.read_text()
    assert "SV1*HC:76000" not in written and "CLM*B330004Y*250***22:B:1" in written


def test_x12_table_ends_with_a_summary(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / X12 / "837P_5010/Example1_2_And_3_Combined.txt"
    result = run([str(path), "--format", "table"], tmp_path)
    assert result.exit_code == 0, result.output
    assert "Summary: 5 encounters; rejected 0" in result.output
    assert "from claim 26463774 at segment 27" in result.output


def test_rejected_claims_exit_1_and_name_the_segment(
    shared_data: Path, tmp_path: Path
) -> None:
    path = shared_data / X12 / "837P_5010/MedicaidExample.txt"
    result = run([str(path)], tmp_path)
    assert result.exit_code == 1
    reports = json.loads(result.output)
    assert len(reports) == 5 and {r["status"] for r in reports} == {"rejected"}
    fields = {e["field"] for e in reports[0]["errors"]}
    assert {"segment 24 SV1-01-1", "segment 24 SV1-04"} <= fields


@pytest.mark.parametrize(
    "sample, message",
    [
        ("837P_5010/UnicodeExample.txt", "UTF-16"),
        ("837P_5010/ProfessionalClaim1.txt", "segment 63 (SE): SE01 says '42'"),
        ("837P_4010/Cms1500Test.txt", "4010"),
    ],
)
def test_unreadable_claims_files_exit_2_without_a_traceback(
    shared_data: Path, tmp_path: Path, sample: str, message: str
) -> None:
    out = tmp_path / "out.837"
    result = run(
        [str(shared_data / X12 / sample), "--format", "x12", "--output", str(out)],
        tmp_path,
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    )
    assert not out.exists()  # no half-written file


def test_truncated_isa_exit_2(shared_data: Path, tmp_path: Path) -> None:
    data = (shared_data / X12 / "837P_5010/Example1_HealthInsurance.txt").read_bytes()
    result = run(["-"], tmp_path, stdin=data[:80])
    assert result.exit_code == 2
    assert "truncated ISA segment" in result.output


def test_fhir_detected_and_bundle_written(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "fhir/hl7.fhir.r4.examples-4.0.1/Claim-MED-00050.json"
    out = tmp_path / "out.json"
    result = run([str(path), "--format", "fhir", "--output", str(out)], tmp_path / "h")
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.output)
    assert report["encounter_id"] == "MED-00050"
    assert report["source"] == {
        "format": "fhir",
        "claim": "MED-00050",
        "path": "Claim",
        "lines": [{"item": 0, "sequence": 1}],
        "written": report["source"]["written"],
        **(
            {"not_written_because": report["source"]["not_written_because"]}
            if "not_written_because" in report["source"]
            else {}
        ),
    }
    bundle = json.loads(out.read_text())
    assert bundle["resourceType"] == "Bundle"


def test_input_format_overrides_detection(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "fhir/hl7.fhir.r4.examples-4.0.1/Claim-MED-00050.json"
    result = run([str(path), "--input-format", "x12"], tmp_path)
    assert result.exit_code == 2
    assert "does not start with ISA" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--format", "x12"], "give --output FILE"),
        (["--output", "x.837"], "--output goes with --format x12 or fhir"),
        (
            ["--format", "fhir", "--output", "x.json"],
            "cannot be written from a x12 file",
        ),
    ],
)
def test_output_options_are_checked(
    shared_data: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    path = shared_data / X12 / "837P_5010/ST1309-XX.txt"
    result = run([str(path), *args], tmp_path)
    assert result.exit_code == 2
    assert message in result.output


def test_json_encounters_still_work_and_table_summarises(tmp_path: Path) -> None:
    encounters = [
        {
            "id": f"e{i}",
            "date_of_service": "2024-08-15",
            "place_of_service": "22",
            "lines": [{"code": "33289"}, {"code": "76000"}],
        }
        for i in range(2)
    ] + [{"id": "bad"}]
    result = run(["-", "--format", "table"], tmp_path, stdin=json.dumps(encounters))
    assert result.exit_code == 1
    assert "Summary: 3 encounters; rejected 1" in result.output
    assert "corrected 2" in result.output and "remove 2" in result.output


def test_issue_8_a_number_with_5000_zeros_is_a_clear_error(tmp_path: Path) -> None:
    body = (
        '{"id": "e1", "date_of_service": "2024-08-15", "place_of_service": "22", '
        '"lines": [{"code": "76000", "units": 1' + "0" * 5000 + "}]}"
    )
    result = run(["-"], tmp_path, stdin=body)
    assert result.exit_code == 2
    assert "too large" in result.output
    assert "Traceback" not in result.output


def test_issue_8_a_number_with_5000_zeros_on_a_json_line_is_rejected(
    tmp_path: Path,
) -> None:
    good = json.dumps(
        {"id": "e1", "date_of_service": "2024-08-15", "place_of_service": "22",
         "lines": [{"code": "99213"}]}
    )  # fmt: skip
    bad = '{"id": "e2", "lines": [{"units": 1' + "0" * 5000 + "}]}"
    result = run(["-"], tmp_path, stdin=f"{good}\n{bad}\n")
    assert result.exit_code == 1
    second = json.loads(result.output.splitlines()[1])
    assert second["status"] == "rejected"
    assert "too large" in second["errors"][0]["message"]


def test_issue_8_a_100000_deep_array_is_a_clear_error(tmp_path: Path) -> None:
    result = run(["-"], tmp_path, stdin="[" * 100_000 + "]" * 100_000)
    assert result.exit_code == 2
    assert "nested deeper than 1024 levels" in result.output
