"""``fluorocode editions fetch`` end to end against a CMS look-alike on 127.0.0.1.

The server and the CMS-named zips (real 2024-07-01 rows) come from the adapter tests,
``tests/adapters/cms/test_fetch.py``.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from fluorocode.cli import cli, main
from fluorocode.cli.editions import _Meter


def _adapter_tests():  # type: ignore[no-untyped-def]
    """The adapter test module, loaded by path whether or not tests/ is a package
    (test_docs.py loads tools/gen_docs.py the same way)."""
    path = Path(__file__).resolve().parents[1] / "adapters" / "cms" / "test_fetch.py"
    spec = importlib.util.spec_from_file_location("_fetch_test_helpers", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_helpers = _adapter_tests()
CmsServer = _helpers.CmsServer
build_cms_zips = _helpers.build_cms_zips
PRA, OPH, MUE_PRA, MUE_OPH = (
    _helpers.PRA,
    _helpers.OPH,
    _helpers.MUE_PRA,
    _helpers.MUE_OPH,
)

MEDICAID = "medicaid-ncci-q3-2024-ptp-edits-practitioner-services.zip"


@pytest.fixture(scope="session")
def cms_zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    zips = build_cms_zips(tmp_path_factory.mktemp("cms-zips"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("placeholder.txt", "not a real Medicaid table")
    return {**zips, MEDICAID: buffer.getvalue()}


# the adapter tests' fixtures, reused as they are (this module's cms_zips adds Medicaid)
_loopback_only = _helpers._loopback_only
server = _helpers.server


def fetch(server: CmsServer, home: Path, *args: str) -> list[str]:
    return [
        "editions",
        "fetch",
        "2024Q3",
        "--base-url",
        server.base_url,
        "--home",
        str(home),
        "--retries",
        "0",
        *args,
    ]


def run_main(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    """Run the real entry point (its error mapping included)."""
    monkeypatch.setattr(sys, "argv", ["fluorocode", *args])
    try:
        main()
        code = 0
    except SystemExit as exited:
        code = int(exited.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_fetch_imports_an_edition_that_editions_list_shows(
    server: CmsServer, cms_zips: dict[str, bytes], tmp_path: Path
) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, fetch(server, tmp_path, "--accept-ama-license"))
    assert result.exit_code == 0, result.output

    listed = runner.invoke(
        cli, ["editions", "list", "--format", "json", "--home", str(tmp_path)]
    )
    (edition,) = json.loads(listed.stdout)
    assert (edition["program"], edition["quarter"]) == ("medicare", "2024Q3")
    assert (edition["version"], edition["demo"]) == ("v302r0", False)
    assert set(edition["tables"]) == {
        "ptp_practitioner",
        "ptp_outpatient_hospital",
        "mue_practitioner",
        "mue_outpatient_hospital",
    }
    downloads = tmp_path / "downloads" / "medicare-2024Q3"
    manifest = json.loads((downloads / "fetch.json").read_text())
    assert {e["file"]: e["sha256"] for e in manifest["files"]} == {
        line.split()[1].rsplit("/", 1)[-1]: line.split()[0]
        for line in result.stdout.splitlines()[:-1]
    }
    assert result.stdout.splitlines()[-1].startswith("medicare 2024Q3 v302r0: ")
    names = {
        PRA.format(1),
        PRA.format(2),
        OPH.format(1),
        OPH.format(2),
        MUE_PRA,
        MUE_OPH,
    }
    assert {f["file"] for f in manifest["files"]} == names
    # the edition's sources are the members of exactly these zips
    sources = {s["file"].split("!")[0] for s in edition["sources"]}
    assert sources == names
    assert "dme-supplier-services-mue-table.zip" in result.stderr  # skipped, named


def test_progress_goes_to_stderr_as_lines_and_quiet_silences_it(
    server: CmsServer, tmp_path: Path
) -> None:
    runner = CliRunner()
    args = fetch(server, tmp_path, "--accept-ama-license", "--download-only")
    loud = runner.invoke(cli, args)
    assert loud.exit_code == 0, loud.output
    assert f"  {MUE_PRA}: " in loud.stderr and " MB" in loud.stderr
    assert "downloading " in loud.stderr
    assert "\r" not in loud.stderr  # no bar when stderr is not a terminal

    quiet = runner.invoke(
        cli, [*fetch(server, tmp_path / "q", "--accept-ama-license"), "--quiet"]
    )
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stderr.strip() == (
        "fluorocode: not found, skipped: "
        f"{server.base_url}medicare-ncci-2024-q3-dme-supplier-services-mue-table.zip"
    )


def test_the_bar_is_drawn_on_a_terminal_at_most_ten_times_a_second(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setenv("COLUMNS", "200")
    meter = _Meter(quiet=False)
    meter("f1.zip", 1_000_000, 2_000_000)
    meter("f1.zip", 1_500_000, 2_000_000)  # too soon: not drawn
    meter("f1.zip", 2_000_000, 2_000_000)  # the end is always drawn
    err = capsys.readouterr().err
    assert err.startswith("\rf1.zip [" + "#" * 15 + "." * 15 + "]  50% 1.0 of 2.0 MB")
    assert "75%" not in err
    assert err.endswith("\rf1.zip [" + "#" * 30 + "] 100% 2.0 of 2.0 MB\n")

    monkeypatch.setenv("COLUMNS", "80")
    _Meter(quiet=False)("x" * 100 + "-f1.zip", 2, 2)
    (line,) = capsys.readouterr().err.strip("\r\n").splitlines()
    assert len(line) == 79 and line.startswith("...x") and "-f1.zip [" in line

    _Meter(quiet=True)("f1.zip", 1, 2)
    assert capsys.readouterr().err == ""


def test_without_the_license_flag_nothing_is_requested(
    server: CmsServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_main(fetch(server, tmp_path), monkeypatch, capsys)
    assert code == 2 and out == ""
    assert "AMA CPT license" in err and "--accept-ama-license" in err
    assert server.log == []


def test_a_missing_first_part_names_the_url_and_the_way_out(
    server: CmsServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = fetch(server, tmp_path, "--accept-ama-license", "--version", "v302r1")
    code, _, err = run_main(args, monkeypatch, capsys)
    assert code == 2
    assert server.base_url + PRA.format(1).replace("r0", "r1") in err
    assert "--version" in err and "fluorocode editions import" in err


def test_medicaid_is_download_only_and_says_why(
    server: CmsServer,
    cms_zips: dict[str, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = fetch(server, tmp_path, "--program", "medicaid", "--accept-ama-license")
    code, _, err = run_main(args, monkeypatch, capsys)
    assert code == 2
    assert "medicaid files cannot be imported" in err and "--download-only" in err
    assert server.log == []

    code, out, err = run_main([*args, "--download-only"], monkeypatch, capsys)
    assert code == 0, err
    saved = tmp_path / "downloads" / "medicaid-2024Q3" / MEDICAID
    assert saved.read_bytes() == cms_zips[MEDICAID]
    assert out.split() == [
        json.loads(saved.with_name("fetch.json").read_text())["files"][0]["sha256"],
        str(saved),
    ]
    # the 2024-q3 order was tried first, then the q3-2024 order CMS also uses
    assert server.names()[:2] == [MEDICAID.replace("q3-2024", "2024-q3"), MEDICAID]


def test_the_base_url_and_destination_can_come_from_elsewhere(
    server: CmsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLUOROCODE_CMS_BASE_URL", server.base_url)
    args = ["editions", "fetch", "2024q3", "--accept-ama-license", "--download-only"]
    args += ["--dest", str(tmp_path / "zips"), "--home", str(tmp_path / "home")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "zips" / MUE_PRA).is_file()
    assert not (tmp_path / "home" / "editions").exists()


def test_an_imported_quarter_is_refused_before_downloading_unless_replaced(
    server: CmsServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = fetch(server, tmp_path, "--accept-ama-license", "--quiet")
    assert run_main(args, monkeypatch, capsys)[0] == 0
    server.log.clear()

    code, _, err = run_main(args, monkeypatch, capsys)
    assert code == 2 and "already imported" in err and "--replace" in err
    assert server.log == []

    code, out, _ = run_main([*args, "--replace"], monkeypatch, capsys)
    assert code == 0
    assert out.splitlines()[-1].startswith("medicare 2024Q3 v302r0: ")
    assert MUE_PRA not in server.names()  # the verified downloads were reused
