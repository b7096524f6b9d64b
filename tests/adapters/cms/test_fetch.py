"""Downloading a quarter's CMS zips, served from 127.0.0.1 by a local http.server.

The zips hold real rows: ``../shared/tools/ncci_tsv_to_cms.py`` writes the 2024-07-01
tables (PTP rows touching 76000 only, to stay small) in CMS's layout, and the test zips
them under the names CMS gives them for 2024Q3 (PTP version v302r0). The server speaks
HTTP Range and can be told to drop a response midway, answer an error status, stall, or
ignore Range. No traffic leaves the loopback interface.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fluorocode.adapters.cms.fetch import (
    FetchOptions,
    download,
    fetch_files,
    plan_downloads,
    resolve_base_url,
)
from fluorocode.adapters.cms.filenames import identify
from fluorocode.domain.codes import Program
from fluorocode.domain.edits import Table
from fluorocode.errors import ConfigError, FetchError

TOOL = (
    Path(__file__).resolve().parents[3].parent
    / "shared"
    / "tools"
    / "ncci_tsv_to_cms.py"
)
FAST = FetchOptions(timeout=5.0, retries=3, backoff=0.0)

PRA = "medicare-ncci-2024q3-practitioner-ptp-edits-ccipra-v302r0-f{}.zip"
OPH = "medicare-ncci-2024q3-hospital-ptp-edits-ccioph-v302r0-f{}.zip"
MUE_PRA = "medicare-ncci-2024-q3-practitioner-services-mue-table.zip"
MUE_OPH = "medicare-ncci-2024-q3-facility-outpatient-hospital-services-mue-table.zip"


# -- the files -------------------------------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def build_cms_zips(out: Path) -> dict[str, bytes]:
    """The 2024Q3 Medicare zips by CMS name (no DME MUE table: it is 'not published')."""
    if not TOOL.exists():  # as tests/conftest.need_shared: fail in CI, skip elsewhere
        message = f"real test material missing: {TOOL}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)

    def write(*args: str) -> list[Path]:
        printed = subprocess.run(
            [sys.executable, str(TOOL), *args, "--out", str(out / args[2])],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return [Path(p) for p in printed.split()]

    zips: dict[str, bytes] = {}
    ptp = ("--only-codes", "76000", "--parts", "2")
    for template, table in ((PRA, "practitioner"), (OPH, "outpatient_hospital")):
        for k, path in enumerate(write("ptp", "--table", table, *ptp), start=1):
            zips[template.format(k)] = _zip({path.name: path.read_bytes()})
    for name, table in ((MUE_PRA, "practitioner"), (MUE_OPH, "outpatient_hospital")):
        (path,) = write("mue", "--table", table)
        zips[name] = _zip({path.name: path.read_bytes()})
    return zips


@pytest.fixture(scope="session")
def cms_zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return build_cms_zips(tmp_path_factory.mktemp("cms-zips"))


# -- the server ------------------------------------------------------------------------


class CmsServer:
    """A CMS look-alike on 127.0.0.1 serving ``files`` under ``/files/zip/``.

    Attributes:
        cuts: name -> bytes sent before the connection drops (once per entry).
        errors: name -> HTTP statuses answered first, one per request.
        stall: name -> seconds to wait before answering (once per entry).
        ignore_range: answer 200 with the whole file even when asked for a range.
        log: (name, Range header or None) of every request, in order.
    """

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = dict(files)
        self.cuts: dict[str, int] = {}
        self.errors: dict[str, list[int]] = {}
        self.stall: dict[str, float] = {}
        self.ignore_range = False
        self.log: list[tuple[str, str | None]] = []
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._http.daemon_threads = True
        self._http.block_on_close = False
        self.base_url = f"http://127.0.0.1:{self._http.server_address[1]}/files/zip/"
        self._thread = threading.Thread(
            target=self._http.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    def __enter__(self) -> CmsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    def names(self) -> list[str]:
        return [name for name, _ in self.log]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        state = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                name = self.path.rsplit("/", 1)[-1]
                asked = self.headers.get("Range")
                with state._lock:
                    state.log.append((name, asked))
                    errors = state.errors.get(name)
                    status = errors.pop(0) if errors else None
                    cut = state.cuts.pop(name, None)
                    stall = state.stall.pop(name, 0.0)
                time.sleep(stall)
                if status is not None or name not in state.files:
                    self.send_error(status or 404)
                    return
                data = state.files[name]
                m = re.fullmatch(r"bytes=(\d+)-", asked or "")
                start = int(m[1]) if m and not state.ignore_range else None
                if start is not None and start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if start is not None:
                    self.send_response(206)
                    self.send_header(
                        "Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}"
                    )
                    body = data[start:]
                else:
                    self.send_response(200)
                    body = data
                self.send_header("Content-Type", "application/zip")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body if cut is None else body[:cut])
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first (the timeout test)

        return Handler


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy between the client and 127.0.0.1; no base URL from the environment."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.delenv("FLUOROCODE_CMS_BASE_URL", raising=False)


@pytest.fixture
def server(cms_zips: dict[str, bytes]) -> Iterator[CmsServer]:
    with CmsServer(cms_zips) as running:
        yield running


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- the plan --------------------------------------------------------------------------


@pytest.mark.parametrize("program", list(Program))
def test_every_planned_name_is_a_name_the_importer_identifies(program: Program) -> None:
    plan = plan_downloads(program, "2026q3")
    assert plan.quarter == "2026Q3"
    for planned in plan.files:
        for template in planned.names:
            for part in (1, 2) if planned.series else (None,):
                identity = identify(template.format(part=part))
                assert identity.table is planned.table
                assert identity.program is program
                assert identity.quarter == "2026Q3"
                assert identity.version == (plan.version if planned.series else None)
                assert identity.part == part
                assert identity.container


def test_the_medicare_plan_follows_domain_md() -> None:
    plan = plan_downloads(Program.MEDICARE, "2026Q3")
    assert plan.version == "v322r0"  # v + (2026 - 1994) + (3 - 1), release r0
    first = {p.table: p.names[0].format(part=1) for p in plan.files}
    assert first[Table.PTP_PRACTITIONER] == (
        "medicare-ncci-2026q3-practitioner-ptp-edits-ccipra-v322r0-f1.zip"
    )
    assert first[Table.PTP_OUTPATIENT_HOSPITAL] == (
        "medicare-ncci-2026q3-hospital-ptp-edits-ccioph-v322r0-f1.zip"
    )
    assert first[Table.MUE_PRACTITIONER] == (
        "medicare-ncci-2026-q3-practitioner-services-mue-table.zip"
    )
    documented = {p.table for p in plan.files if p.required}
    assert documented == {
        Table.PTP_PRACTITIONER,
        Table.PTP_OUTPATIENT_HOSPITAL,
        Table.MUE_PRACTITIONER,
    }
    assert all(p.inferred for p in plan.files if not p.required)
    assert {p.table for p in plan.files if p.ama_license} == {
        Table.PTP_PRACTITIONER,
        Table.PTP_OUTPATIENT_HOSPITAL,
    }
    assert plan_downloads(Program.MEDICARE, "2024Q3").version == "v302r0"


def test_a_version_overrides_the_prediction() -> None:
    plan = plan_downloads(Program.MEDICARE, "2026Q3", "V322R1")
    assert plan.version == "v322r1"
    assert "-ccipra-v322r1-f{part}.zip" in plan.files[0].names[0]


@pytest.mark.parametrize(
    ("program", "quarter", "version", "message"),
    [
        (Program.MEDICARE, "2026Q5", None, "expected a quarter such as 2026Q3"),
        (Program.MEDICARE, "July 2026", None, "expected a quarter"),
        (Program.MEDICARE, "2026Q3", "322r0", "expected a release such as v322r0"),
        (Program.MEDICAID, "2026Q3", "v322r0", "Medicaid has none"),
    ],
)
def test_bad_plan_arguments_are_refused(
    program: Program, quarter: str, version: str | None, message: str
) -> None:
    with pytest.raises(FetchError, match=message):
        plan_downloads(program, quarter, version)


def test_medicaid_names_are_tried_in_both_quarter_orders() -> None:
    plan = plan_downloads(Program.MEDICAID, "2026Q3")
    assert plan.version is None
    assert plan.files[0].names == (
        "medicaid-ncci-2026-q3-ptp-edits-practitioner-services.zip",
        "medicaid-ncci-q3-2026-ptp-edits-practitioner-services.zip",
    )
    assert plan.files[0].required and plan.files[0].ama_license


def test_the_base_url_comes_from_the_flag_the_environment_or_cms(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert resolve_base_url() == "https://www.cms.gov/files/zip/"
    monkeypatch.setenv("FLUOROCODE_CMS_BASE_URL", "http://mirror.example/zips")
    assert resolve_base_url() == "http://mirror.example/zips/"
    assert resolve_base_url("http://127.0.0.1:1/x/") == "http://127.0.0.1:1/x/"
    with pytest.raises(ConfigError, match="http"):
        resolve_base_url("file:///etc/")


# -- fetching a plan -------------------------------------------------------------------


def test_a_fetch_downloads_every_part_and_records_its_sha256(
    server: CmsServer, cms_zips: dict[str, bytes], tmp_path: Path
) -> None:
    plan = plan_downloads(Program.MEDICARE, "2024Q3", base_url=server.base_url)
    said: list[str] = []
    metered: dict[str, int] = {}

    result = fetch_files(
        plan,
        tmp_path,
        accept_ama_license=True,
        options=FAST,
        say=said.append,
        meter=lambda name, done, total: metered.__setitem__(name, done),
    )

    expected = [PRA.format(1), PRA.format(2), OPH.format(1), OPH.format(2)]
    expected += [MUE_PRA, MUE_OPH]
    assert [f.file for f in result.files] == expected
    assert metered == {name: len(cms_zips[name]) for name in expected}
    for f in result.files:
        assert f.path == tmp_path / f.file
        assert f.path.read_bytes() == cms_zips[f.file]
        assert (f.bytes, f.sha256) == (len(cms_zips[f.file]), sha(cms_zips[f.file]))
    manifest = json.loads((tmp_path / "fetch.json").read_text())
    assert (manifest["program"], manifest["quarter"]) == ("medicare", "2024Q3")
    assert manifest["version"] == "v302r0"
    assert [e["file"] for e in manifest["files"]] == expected
    for entry in manifest["files"]:
        assert set(entry) == {"url", "file", "bytes", "sha256", "fetched_at"}
        assert entry["url"] == server.base_url + entry["file"]
        assert entry["sha256"] == sha(cms_zips[entry["file"]])
        assert entry["bytes"] == len(cms_zips[entry["file"]])
        assert re.fullmatch(
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", entry["fetched_at"]
        )
    # the part series ends at the first 404; the absent DME table is skipped, named
    assert PRA.format(3) in server.names() and OPH.format(3) in server.names()
    assert result.missing == (
        server.base_url + "medicare-ncci-2024-q3-dme-supplier-services-mue-table.zip",
    )
    assert any("inferred" in m and "mue_dme" in m for m in said)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*expected, "fetch.json"]
    )


def test_a_second_fetch_reuses_the_verified_downloads(
    server: CmsServer, tmp_path: Path
) -> None:
    plan = plan_downloads(Program.MEDICARE, "2024Q3", base_url=server.base_url)
    first = fetch_files(plan, tmp_path, accept_ama_license=True, options=FAST)
    server.log.clear()

    again = fetch_files(plan, tmp_path, accept_ama_license=True, options=FAST)

    assert [f.sha256 for f in again.files] == [f.sha256 for f in first.files]
    assert all(f.reused for f in again.files)
    assert [f.fetched_at for f in again.files] == [f.fetched_at for f in first.files]
    downloaded = {f.file for f in first.files}
    assert not downloaded & set(server.names())  # only the 404 probes were asked


def test_a_changed_file_on_disk_is_downloaded_again(
    server: CmsServer, cms_zips: dict[str, bytes], tmp_path: Path
) -> None:
    plan = plan_downloads(Program.MEDICARE, "2024Q3", base_url=server.base_url)
    fetch_files(plan, tmp_path, accept_ama_license=True, options=FAST)
    (tmp_path / MUE_PRA).write_bytes(b"PK\x03\x04 tampered")
    server.log.clear()

    again = fetch_files(plan, tmp_path, accept_ama_license=True, options=FAST)

    assert MUE_PRA in server.names()
    assert (tmp_path / MUE_PRA).read_bytes() == cms_zips[MUE_PRA]
    assert not next(f for f in again.files if f.file == MUE_PRA).reused


def test_ptp_files_need_the_ama_license_accepted_before_any_request(
    server: CmsServer, tmp_path: Path
) -> None:
    plan = plan_downloads(Program.MEDICARE, "2024Q3", base_url=server.base_url)
    with pytest.raises(FetchError, match="--accept-ama-license") as caught:
        fetch_files(plan, tmp_path / "dl", options=FAST)
    assert "AMA CPT license" in str(caught.value)
    assert "https://www.cms.gov/license/ama?file=/files/zip/" in str(caught.value)
    assert server.log == []
    assert not (tmp_path / "dl").exists()


def test_a_404_on_the_first_ptp_part_is_a_clear_error(
    server: CmsServer, tmp_path: Path
) -> None:
    plan = plan_downloads(Program.MEDICARE, "2024Q3", "v302r9", server.base_url)
    with pytest.raises(FetchError) as caught:
        fetch_files(plan, tmp_path, accept_ama_license=True, options=FAST)
    message = str(caught.value)
    assert server.base_url + PRA.format(1).replace("v302r0", "v302r9") in message
    assert "HTTP 404" in message
    assert "--version" in message
    assert "fluorocode editions import" in message
    assert server.names() == [PRA.format(1).replace("v302r0", "v302r9")]


def test_a_404_on_a_documented_mue_table_is_an_error(
    server: CmsServer, tmp_path: Path
) -> None:
    del server.files[MUE_PRA]
    plan = plan_downloads(Program.MEDICARE, "2024Q3", base_url=server.base_url)
    with pytest.raises(FetchError, match=re.escape(MUE_PRA) + ".*HTTP 404"):
        fetch_files(plan, tmp_path, accept_ama_license=True, options=FAST)
    # what was downloaded before the failure is recorded and kept for the next run
    recorded = json.loads((tmp_path / "fetch.json").read_text())["files"]
    assert len(recorded) == 4


def test_a_runaway_part_series_is_bounded(server: CmsServer, tmp_path: Path) -> None:
    plan = plan_downloads(Program.MEDICARE, "2024Q3", base_url=server.base_url)
    server.files[PRA.format(3)] = server.files[PRA.format(2)]
    options = FetchOptions(timeout=5.0, retries=0, backoff=0.0, max_parts=2)
    with pytest.raises(FetchError, match="more than 2 parts"):
        fetch_files(plan, tmp_path, accept_ama_license=True, options=options)


# -- one download ----------------------------------------------------------------------


def test_a_dropped_connection_resumes_from_the_partial_size(
    server: CmsServer, cms_zips: dict[str, bytes], tmp_path: Path
) -> None:
    name = MUE_PRA
    cut = len(cms_zips[name]) // 2
    server.cuts[name] = cut

    got = download(server.base_url + name, tmp_path / name, options=FAST)

    assert got is not None
    assert server.log == [(name, None), (name, f"bytes={cut}-")]
    assert got.resumed_from == cut
    assert (tmp_path / name).read_bytes() == cms_zips[name]
    assert got.sha256 == sha(cms_zips[name])
    assert not (tmp_path / f"{name}.part").exists()


def test_a_part_left_by_an_earlier_run_is_resumed(
    server: CmsServer, cms_zips: dict[str, bytes], tmp_path: Path
) -> None:
    name = PRA.format(1)
    data = cms_zips[name]
    (tmp_path / f"{name}.part").write_bytes(data[:1000])
    seen: list[tuple[int, int | None]] = []

    got = download(
        server.base_url + name,
        tmp_path / name,
        lambda done, total: seen.append((done, total)),
        options=FAST,
    )

    assert got is not None and got.resumed_from == 1000
    assert server.log == [(name, "bytes=1000-")]
    assert (tmp_path / name).read_bytes() == data
    assert seen[0] == (1000, len(data)) and seen[-1] == (len(data), len(data))


def test_a_server_ignoring_range_restarts_the_download_cleanly(
    server: CmsServer, cms_zips: dict[str, bytes], tmp_path: Path
) -> None:
    name = PRA.format(1)
    (tmp_path / f"{name}.part").write_bytes(b"stale bytes from another file")
    server.ignore_range = True

    got = download(server.base_url + name, tmp_path / name, options=FAST)

    assert got is not None and got.resumed_from == 0
    assert server.log == [(name, "bytes=29-")]
    assert (tmp_path / name).read_bytes() == cms_zips[name]
    assert got.sha256 == sha(cms_zips[name])


def test_a_part_that_is_already_complete_is_finished_on_416(
    server: CmsServer, cms_zips: dict[str, bytes], tmp_path: Path
) -> None:
    name = PRA.format(2)
    (tmp_path / f"{name}.part").write_bytes(cms_zips[name])

    got = download(server.base_url + name, tmp_path / name, options=FAST)

    assert got is not None and got.sha256 == sha(cms_zips[name])
    assert (tmp_path / name).read_bytes() == cms_zips[name]


def test_a_part_longer_than_the_file_is_restarted(
    server: CmsServer, cms_zips: dict[str, bytes], tmp_path: Path
) -> None:
    name = PRA.format(2)
    (tmp_path / f"{name}.part").write_bytes(cms_zips[name] + b"junk")

    got = download(server.base_url + name, tmp_path / name, options=FAST)

    assert got is not None
    assert [r for _, r in server.log] == [f"bytes={len(cms_zips[name]) + 4}-", None]
    assert (tmp_path / name).read_bytes() == cms_zips[name]


def test_server_errors_are_retried_with_a_bound(
    server: CmsServer, cms_zips: dict[str, bytes], tmp_path: Path
) -> None:
    name = MUE_OPH
    server.errors[name] = [500, 503]
    got = download(server.base_url + name, tmp_path / name, options=FAST)
    assert got is not None and got.sha256 == sha(cms_zips[name])
    assert server.names() == [name] * 3

    server.log.clear()
    server.errors[name] = [502] * 10
    options = FetchOptions(timeout=5.0, retries=2, backoff=0.0)
    with pytest.raises(FetchError, match=r"HTTP 502 .*gave up after 3 attempts"):
        download(server.base_url + name, tmp_path / "again.zip", options=options)
    assert server.names() == [name] * 3


def test_a_refusal_is_not_retried(server: CmsServer, tmp_path: Path) -> None:
    name = PRA.format(1)
    server.errors[name] = [403]
    with pytest.raises(FetchError, match="HTTP 403.*license click-through"):
        download(server.base_url + name, tmp_path / name, options=FAST)
    assert server.names() == [name]


def test_a_timeout_is_retried(
    server: CmsServer, cms_zips: dict[str, bytes], tmp_path: Path
) -> None:
    name = PRA.format(1)
    server.stall[name] = 0.5
    options = FetchOptions(timeout=0.1, retries=1, backoff=0.0)
    got = download(server.base_url + name, tmp_path / name, options=options)
    assert got is not None and got.sha256 == sha(cms_zips[name])
    assert server.names() == [name, name]


def test_a_page_that_is_not_a_zip_is_refused(server: CmsServer, tmp_path: Path) -> None:
    name = "medicare-ncci-2024-q3-dme-supplier-services-mue-table.zip"
    server.files[name] = b"<html>Accept the license</html>"
    with pytest.raises(FetchError, match="did not send a zip"):
        download(server.base_url + name, tmp_path / name, options=FAST)
    assert list(tmp_path.iterdir()) == []


def test_404_returns_none_when_missing_is_allowed(
    server: CmsServer, tmp_path: Path
) -> None:
    url = server.base_url + "nothing.zip"
    assert download(url, tmp_path / "nothing.zip", missing_ok=True) is None
    with pytest.raises(FetchError, match="nothing.zip: not found"):
        download(url, tmp_path / "nothing.zip")


def test_offline_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def no_dns(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(FetchError, match="cannot resolve www.cms.gov.*offline"):
        download(
            "https://www.cms.gov/files/zip/x.zip", tmp_path / "x.zip", options=FAST
        )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_is_a_clear_error_and_leaves_no_final_file(
    server: CmsServer, tmp_path: Path
) -> None:
    name = MUE_PRA
    (tmp_path / f"{name}.part").symlink_to("/dev/full")
    with pytest.raises(FetchError, match="disk full"):
        download(server.base_url + name, tmp_path / name, options=FAST)
    assert not (tmp_path / name).exists()
