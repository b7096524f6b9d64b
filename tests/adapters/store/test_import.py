"""Importing official files: file -> store -> lookup, atomically, with clear refusals."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fluorocode.adapters.store.registry import EditionRegistry
from fluorocode.api import Checker
from fluorocode.domain.codes import Program
from fluorocode.domain.edits import Table
from fluorocode.errors import (
    DataSourceError,
    EditFileFormatError,
    EditionExistsError,
)

HEADER = (
    "CPT only copyright 2023 American Medical Association.  All rights reserved.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
    "\t\t\t\t*=no data\t1=allowed\t\r\n"
    "\t\t\t\t\t9=not applicable\t\r\n"
)


def ptp_txt(rows: list[tuple[str, str, str, str, str, str]]) -> bytes:
    body = "".join(f"{a}\t{b}\t\t{e}\t{d}\t{i}\t{r}\r\n" for a, b, e, d, i, r in rows)
    return (HEADER + body).encode("latin-1")


GOOD = [
    ("29880", "76000", "19960101", "*", "1", "Standards of medical/surgical practice"),
    (
        "33289",
        "76000",
        "20190101",
        "*",
        "0",
        "CPT Manual or CMS manual coding instruction",
    ),
]


def write(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


def test_import_then_check_uses_the_real_rows(tmp_path: Path) -> None:
    f1 = write(tmp_path, "ccipra-v302r0-f1.TXT", ptp_txt(GOOD))
    checker = Checker(tmp_path / "home")
    info = checker.import_editions([f1])
    assert (info.program, info.quarter, info.version) == (
        Program.MEDICARE,
        "2024Q3",
        "v302r0",
    )
    assert info.tables == {"ptp_practitioner": 2}
    report = checker.check(
        {
            "id": "e",
            "date_of_service": "2024-08-15",
            "place_of_service": "22",
            "lines": [{"code": "33289"}, {"code": "76000"}],
        }
    )
    assert report.lines[1].action.value == "remove"
    # only PTP was imported: MUE and AOC are reported as not checked, never clean
    assert {f.rule for f in report.findings if f.status.value == "no_data"} == {
        "mue.exceeded",
        "aoc.primary-missing",
    }


def test_a_bad_file_leaves_existing_editions_untouched(tmp_path: Path) -> None:
    checker = Checker(tmp_path / "home")
    checker.import_editions([write(tmp_path, "ccipra-v302r0-f1.TXT", ptp_txt(GOOD))])
    before = sorted(p.name for p in (tmp_path / "home" / "editions").rglob("*"))
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    write(bad_dir, "ccipra-v303r0-f1.TXT", ptp_txt(GOOD))
    write(
        bad_dir,
        "ccipra-v303r0-f2.TXT",
        ptp_txt([("29880", "76000", "20240230", "*", "1", "x")]),
    )
    with pytest.raises(EditFileFormatError) as info:
        checker.import_editions([bad_dir])
    assert info.value.file == "ccipra-v303r0-f2.TXT"
    assert info.value.line == 7
    after = sorted(p.name for p in (tmp_path / "home" / "editions").rglob("*"))
    assert after == before
    assert [i.quarter for i in checker.editions()] == ["2024Q3"]


def test_second_import_of_a_quarter_is_refused_unless_replaced(tmp_path: Path) -> None:
    checker = Checker(tmp_path / "home")
    f1 = write(tmp_path, "ccipra-v302r0-f1.TXT", ptp_txt(GOOD))
    checker.import_editions([f1])
    with pytest.raises(EditionExistsError, match="--replace"):
        checker.import_editions([f1])
    f1.write_bytes(ptp_txt(GOOD[:1]))
    assert checker.import_editions([f1], replace=True).tables == {"ptp_practitioner": 1}
    assert checker.editions()[0].tables == {"ptp_practitioner": 1}


def test_files_of_different_quarters_are_refused(tmp_path: Path) -> None:
    f1 = write(tmp_path, "ccipra-v302r0-f1.TXT", ptp_txt(GOOD))
    f2 = write(tmp_path, "ccipra-v303r0-f2.TXT", ptp_txt(GOOD))
    with pytest.raises(DataSourceError, match="different"):
        Checker(tmp_path / "home").import_editions([f1, f2])


def test_cms_zips_import_like_their_members(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("ccipra-v322r0-f1.TXT", ptp_txt(GOOD))
    name = "medicare-ncci-2026q3-practitioner-ptp-edits-ccipra-v322r0-f1.zip"
    info = Checker(tmp_path / "home").import_editions(
        [write(tmp_path, name, buf.getvalue())]
    )
    assert (info.quarter, info.tables) == ("2026Q3", {"ptp_practitioner": 2})
    assert info.sources[0].file.endswith("ccipra-v322r0-f1.TXT")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["29880", "33289", "0001A", "G0289", "76000"]),
            st.sampled_from(["76000", "29877", "90473", "J1100"]),
            st.sampled_from(["19960101", "20240101", "20240701"]),
            st.sampled_from(["*", "20240930", "20241231"]),
            st.sampled_from(["0", "1"]),
            st.sampled_from(["Mutually exclusive procedures", "Sequential procedure"]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_file_to_store_to_lookup_round_trips(tmp_path: Path, rows: list) -> None:  # type: ignore[type-arg]
    rows = [r for r in rows if r[0] != r[1]]
    if not rows:
        return
    home = tmp_path / f"h{abs(hash(tuple(rows)))}"
    f1 = write(tmp_path, "ccipra-v302r0-f1.TXT", ptp_txt(rows))
    Checker(home).import_editions([f1], replace=True)
    edition = EditionRegistry(home).select(Program.MEDICARE, date(2024, 8, 15))
    assert edition is not None
    for a, b in {(r[0], r[1]) for r in rows}:
        got = sorted(
            (
                e.effective.strftime("%Y%m%d"),
                e.deletion.strftime("%Y%m%d") if e.deletion else "*",
                str(int(e.indicator)),
                e.rationale,
            )
            for e in edition.ptp_pair(Table.PTP_PRACTITIONER, a, b)
        )
        assert got == sorted(r[2:] for r in rows if (r[0], r[1]) == (a, b))


KILL_CHILD = """
import sys
from pathlib import Path
from fluorocode.api import Checker
Checker(sys.argv[1]).import_editions([Path(p) for p in sys.argv[2:]])
"""


@pytest.mark.slow
def test_an_import_killed_midway_leaves_no_edition(
    tmp_path: Path, real_cms_files: dict[str, list[Path]]
) -> None:
    home = tmp_path / "home"
    files = [str(p) for p in real_cms_files["ptp_practitioner"]]
    child = subprocess.Popen([sys.executable, "-c", KILL_CHILD, str(home), *files])
    deadline = time.monotonic() + 60
    staging = home / "editions"
    # kill it once it has started building (a staging directory exists)
    while time.monotonic() < deadline and child.poll() is None:
        if staging.is_dir() and any(
            p.name.startswith(".staging-") for p in staging.iterdir()
        ):
            break
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert EditionRegistry(home).list() == []
    # the next import sweeps the leftovers and succeeds
    f1 = write(tmp_path, "ccipra-v302r0-f1.TXT", ptp_txt(GOOD))
    Checker(home).import_editions([f1])
    assert EditionRegistry(home).leftovers() == []


def test_an_unreadable_edition_is_no_data_not_the_demo(tmp_path: Path) -> None:
    checker = Checker(tmp_path / "home")
    checker.import_editions([write(tmp_path, "ccipra-v302r0-f1.TXT", ptp_txt(GOOD))])
    for manifest in (tmp_path / "home" / "editions").rglob("edition.json"):
        manifest.write_text("{broken")
    report = Checker(tmp_path / "home").check(
        {
            "id": "e",
            "date_of_service": "2024-08-15",
            "place_of_service": "22",
            "lines": [{"code": "33289"}, {"code": "76000"}],
        }
    )
    assert report.status.value == "no_data"
    assert report.edition is None
