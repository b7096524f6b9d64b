"""``fluorocode payers`` and ``check --payer``; the encounter's ``payer``; 837 NM1*PR."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fluorocode.cli import cli, main

from ._profiles import ONLY_59, bundle, text

EXAMPLE = (
    Path(__file__).resolve().parents[2] / "examples/payers/example-commercial.toml"
)
ST1309 = "x12/oopfactory-x12parser/837P_5010/ST1309-XX.txt"


def run(args: list[str], stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, args, input=stdin)


def run_main(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str]:
    """Through ``main``, which turns a fluorocode error into one line and exit 2."""
    monkeypatch.setattr("sys.argv", ["fluorocode", *args])
    with pytest.raises(SystemExit) as info:
        main()
    return int(info.value.code or 0), capsys.readouterr().err


def home_with(tmp_path: Path, *profiles: tuple[str, str]) -> Path:
    home = tmp_path / "home"
    (home / "payers").mkdir(parents=True)
    for pid, doc in profiles:
        (home / "payers" / f"{pid}.toml").write_text(doc)
    return home


def encounter(**extra: object) -> str:
    return json.dumps(
        {
            "id": "e1",
            "date_of_service": "2024-08-15",
            "place_of_service": "22",
            "lines": [{"code": "27506"}, {"code": "76000"}],
            **extra,
        }
    )


def test_list_show_and_validate(tmp_path: Path) -> None:
    home = home_with(tmp_path, ("acme", text() + ONLY_59))
    listed = run(["payers", "list", "--home", str(home), "--format", "json"])
    assert listed.exit_code == 0
    assert [p["id"] for p in json.loads(listed.output)] == [
        "medicare",
        "medicaid",
        "acme",
    ]
    table = run(["payers", "list", "--home", str(home)])
    assert "acme" in table.output and "ptp_bypass_modifiers" in table.output
    shown = run(["payers", "show", "acme", "--home", str(home)])
    assert json.loads(shown.output)["ptp_bypass_modifiers"][0] == "24"
    unknown = run(["payers", "show", "acne", "--home", str(home)])
    assert (
        unknown.exit_code == 2 and "known: acme, medicaid, medicare" in unknown.output
    )
    valid = run(["payers", "validate", str(EXAMPLE)])
    assert (
        valid.exit_code == 0 and json.loads(valid.output)["id"] == "example-commercial"
    )


def test_validate_names_the_file_and_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        text() + ONLY_59.replace('source = "test payer modifier policy 59-only"', "")
    )
    code, err = run_main(["payers", "validate", str(bad)], capsys, monkeypatch)
    assert code == 2
    assert f"{bad}: ptp_bypass_modifiers.source: required key missing" in err


def test_an_invalid_home_profile_stops_check_with_file_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = home_with(tmp_path, ("acme", text() + "colour = 1\n"))
    code, err = run_main(["payers", "list", "--home", str(home)], capsys, monkeypatch)
    assert code == 2 and "acme.toml: colour: unknown key" in err


def test_encounter_payer_and_check_payer_default(tmp_path: Path) -> None:
    home = home_with(tmp_path, ("acme", text() + bundle(["27506"], 0)))
    named = run(["check", "-", "--home", str(home)], stdin=encounter(payer="acme"))
    assert named.exit_code == 0, named.output
    report = json.loads(named.output)
    assert report["payer"]["departures"][0]["id"] == "extra_bundles.b1"
    assert report["lines"][1]["action"] == "remove"
    plain = json.loads(
        run(["check", "-", "--home", str(home)], stdin=encounter()).output
    )
    assert "payer" not in plain and plain["lines"][1]["action"] == "hold"
    default = run(
        ["check", "-", "--home", str(home), "--payer", "acme"], stdin=encounter()
    )
    assert json.loads(default.output)["payer"]["id"] == "acme"
    # an encounter's own payer wins over the default
    own = run(
        ["check", "-", "--home", str(home), "--payer", "acme"],
        stdin=encounter(payer="medicare"),
    )
    assert "payer" not in json.loads(own.output)


def test_unknown_payer_is_rejected_never_medicare(tmp_path: Path) -> None:
    home = home_with(tmp_path, ("acme", text()))
    result = run(["check", "-", "--home", str(home)], stdin=encounter(payer="acne"))
    assert result.exit_code == 1
    (error,) = json.loads(result.output)["errors"]
    assert error["field"] == "payer" and error["kind"] == "unknown_payer"
    assert "known: acme, medicaid, medicare" in error["message"]
    usage = run(
        ["check", "-", "--home", str(home), "--payer", "acne"], stdin=encounter()
    )
    assert usage.exit_code == 2 and "unknown payer profile 'acne'" in usage.output


def test_payer_and_program_must_agree(tmp_path: Path) -> None:
    home = home_with(tmp_path, ("acme", text()))
    result = run(
        ["check", "-", "--home", str(home)],
        stdin=encounter(payer="acme", program="medicaid"),
    )
    (error,) = json.loads(result.output)["errors"]
    assert error["kind"] == "payer_program_conflict"
    assert "a medicare profile" in error["message"]
    # the payer alone sets the program
    ok = run(["check", "-", "--home", str(home)], stdin=encounter(payer="medicaid"))
    assert json.loads(ok.output)["status"] != "rejected"


def test_837_payer_id_in_loop_2010bb_selects_the_profile(
    tmp_path: Path, shared_data: Path
) -> None:
    home = home_with(tmp_path, ("acme", text() + 'x12_payer_ids = ["91919191"]\n'))
    result = run(["check", str(shared_data / ST1309), "--home", str(home)])
    reports = json.loads(result.output)
    assert reports and all(r["payer"]["id"] == "acme" for r in reports)
    # loop 2330B's other payer (11111) is not the claim's payer
    other = home_with(
        tmp_path / "o", ("bolt", text("bolt") + 'x12_payer_ids = ["11111"]\n')
    )
    reports = json.loads(
        run(["check", str(shared_data / ST1309), "--home", str(other)]).output
    )
    assert all("payer" not in r for r in reports)


def test_837_sbr09_program_against_the_profile(
    tmp_path: Path, shared_data: Path
) -> None:
    home = home_with(tmp_path, ("acme", text() + 'x12_payer_ids = ["91919191"]\n'))
    data = (shared_data / ST1309).read_text().replace("******HM", "******MC", 1)
    path = tmp_path / "mc.837"
    path.write_text(data)
    (report, *_) = json.loads(run(["check", str(path), "--home", str(home)]).output)
    assert report["status"] == "rejected"
    (error,) = report["errors"]
    assert error["kind"] == "payer_program_conflict" and "NM1-09" in error["field"]
