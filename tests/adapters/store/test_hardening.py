"""Issue 8 (hardening) and issue 11 (memory) regressions of the import.

Memory is measured in a child process (``resource.getrusage`` peak RSS), after its
imports, so the figure is what reading the hostile input cost.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import zipfile
from datetime import date
from pathlib import Path

import pytest

from fluorocode.adapters.cms._input import Limits
from fluorocode.adapters.store.demo import demo_edition
from fluorocode.adapters.store.importer import import_files
from fluorocode.adapters.store.registry import EditionRegistry
from fluorocode.api import Checker
from fluorocode.domain.codes import Program
from fluorocode.domain.edits import EditionInfo, Table
from fluorocode.domain.memory_edits import MemoryEdits
from fluorocode.errors import DataSourceError, EditFileFormatError

from .test_import import GOOD, HEADER, ptp_txt, write

PTP = "ccipra-v302r0-f1.TXT"
MUE = "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv"
MUE_HEAD = (
    '"CPT codes only copyright 2023 American Medical Association.\nAll rights reserved."'
    ",,,\r\n"
    '"HCPCS/\nCPT Code",Practitioner Services MUE Values,'
    "MUE Adjudication Indicator,MUE Rationale\r\n"
)


def mue_csv(rows: list[tuple[str, int, str]]) -> bytes:
    body = "".join(f"{c},{v},{m},Clinical: Data\r\n" for c, v, m in rows)
    return (MUE_HEAD + body).encode("latin-1")


# (peak RSS in KiB after imports, then after the import) printed by the child
CHILD = textwrap.dedent("""
    import resource, sys
    from pathlib import Path
    from fluorocode.adapters.cms._input import Limits
    from fluorocode.adapters.store.importer import import_files
    from fluorocode.adapters.store.registry import EditionRegistry
    from fluorocode.errors import FluorocodeError
    import polars, numpy  # noqa: F401 - loaded before the baseline is taken
    limits = Limits(max_file_bytes=int(sys.argv[2]), max_ratio=10**6)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        import_files([Path(sys.argv[1])], EditionRegistry(Path(sys.argv[3])), limits=limits)
        print("imported")
    except FluorocodeError as exc:
        print(exc)
    print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
""")


def import_in_child(path: Path, home: Path, cap: int = 256 << 20) -> tuple[str, int]:
    """The child's message and how many MiB its peak RSS grew during the import."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(cap), str(home)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout.splitlines()
    before, after = map(int, out[-1].split())
    return "\n".join(out[:-1]), (after - before) // 1024


# -- 1. unbounded memory ---------------------------------------------------------------


def test_a_line_over_64_kib_is_refused_with_its_file_and_line(tmp_path: Path) -> None:
    rows = ptp_txt(GOOD).decode("latin-1").splitlines(keepends=True)
    rows.insert(7, "29880\t" + "x" * (64 << 10) + "\r\n")  # line 8: 64 KiB + 7 bytes
    path = write(tmp_path, PTP, "".join(rows).encode("latin-1"))
    with pytest.raises(EditFileFormatError) as info:
        Checker(tmp_path / "home").import_editions([path])
    assert (info.value.file, info.value.line) == (PTP, 8)
    assert "longer than 65,536 bytes" in info.value.reason
    # a line of exactly 64 KiB (line break excluded) is allowed by the line check
    rows[7] = "x" * (64 << 10) + "\n"
    write(tmp_path, PTP, "".join(rows).encode("latin-1"))
    with pytest.raises(EditFileFormatError) as info:
        Checker(tmp_path / "home").import_editions([path])
    assert "longer than" not in info.value.reason  # refused later, as not a PTP row


def test_a_huge_single_line_file_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """Issue 8: a 1 GB one-line file reached 11.7 GB RSS; now 96 MB cost a few MB."""
    path = tmp_path / PTP
    with open(path, "wb") as f:
        f.write(HEADER.encode("latin-1"))
        block = b"A" * (1 << 20)
        for _ in range(96):
            f.write(block)
    message, grew = import_in_child(path, tmp_path / "home")
    assert f"{PTP}, line 7: a line longer than 65,536 bytes" in message
    assert grew < 24, f"peak RSS grew {grew} MiB reading a 96 MiB line"


def test_a_symlink_to_dev_zero_is_refused_promptly(tmp_path: Path) -> None:
    link = tmp_path / PTP
    link.symlink_to("/dev/zero")
    out = subprocess.run(
        [sys.executable, "-m", "fluorocode", "editions", "import", str(link)],
        capture_output=True,
        text=True,
        timeout=60,  # before issue 8 this read /dev/zero forever
        env={**os.environ, "FLUOROCODE_HOME": str(tmp_path / "home")},
    )
    assert out.returncode != 0
    assert f"{link}: a symbolic link" in out.stderr


def test_devices_fifos_and_links_inside_directories_are_refused(tmp_path: Path) -> None:
    registry = EditionRegistry(tmp_path / "home")
    with pytest.raises(DataSourceError, match="/dev/null: a device file"):
        import_files([Path("/dev/null")], registry)
    fifo = tmp_path / "fifo" / PTP
    fifo.parent.mkdir()
    os.mkfifo(fifo)  # opening it for reading would block without a writer
    with pytest.raises(DataSourceError, match="a FIFO"):
        import_files([fifo], registry)
    with pytest.raises(DataSourceError, match="a FIFO"):
        import_files([fifo.parent], registry)  # found by expanding a directory
    real = write(tmp_path, "real.TXT", ptp_txt(GOOD))
    folder = tmp_path / "links"
    folder.mkdir()
    (folder / PTP).symlink_to(real)
    with pytest.raises(DataSourceError, match="a symbolic link"):
        import_files([folder], registry)
    assert registry.list() == []


def _bomb(tmp_path: Path, members: int, size: int) -> Path:
    """A zip of ``members`` PTP parts of ``size`` bytes of valid, repetitive rows."""
    line = b"29880\t76000\t\t19960101\t*\t1\tStandards of medical/surgical practice\r\n"
    body = line * (size // len(line))
    path = tmp_path / "medicare-ncci-2024q3-practitioner-ptp-edits-ccipra-v302r0-f1.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for k in range(1, members + 1):
            archive.writestr(f"ccipra-v302r0-f{k}.TXT", HEADER.encode() + body)
    return path


def test_zip_members_over_the_cap_are_refused_without_inflating_them(
    tmp_path: Path,
) -> None:
    """Issue 8: 4 x 1 GiB members reached 5.4 GB; the same shape, scaled down to
    4 x 64 MiB with a 16 MiB cap, is refused by name before any member is inflated."""
    path = _bomb(tmp_path, 4, 64 << 20)
    assert path.stat().st_size < 2 << 20
    message, grew = import_in_child(path, tmp_path / "home", cap=16 << 20)
    assert "member 'ccipra-v302r0-f1.TXT' declares" in message
    assert "more than the 16,777,216 allowed" in message
    assert grew < 24, f"peak RSS grew {grew} MiB"


def test_a_member_lying_about_its_size_is_stopped_at_the_cap(tmp_path: Path) -> None:
    """Declared sizes can lie: reading stops as soon as the bytes pass the declared
    size (whatever the cap), never inflating the rest."""
    path = _bomb(tmp_path, 1, 48 << 20)
    data = bytearray(path.read_bytes())
    at = data.index(b"PK\x01\x02") + 24  # central directory: uncompressed size
    data[at : at + 4] = (1 << 20).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    message, grew = import_in_child(path, tmp_path / "home")
    assert "ccipra-v302r0-f1.TXT" in message
    assert "declared size" in message or "corrupt" in message
    assert grew < 24, f"peak RSS grew {grew} MiB"


def test_a_plain_file_over_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path, PTP, ptp_txt(GOOD * 50))
    registry = EditionRegistry(tmp_path / "home")
    with pytest.raises(EditFileFormatError, match="more than the 1,000 allowed"):
        import_files([path], registry, limits=Limits(max_file_bytes=1000))


# -- 2. conflicting MUE duplicates -----------------------------------------------------


def test_conflicting_mue_duplicates_are_refused_with_both_lines(tmp_path: Path) -> None:
    rows = [("76000", 3, "3 Date of Service Edit: Clinical"), ("29880", 1, "2 DOS")]
    rows.append(("76000", 9, "1 Line Edit"))  # line 7: a looser value, later
    path = write(tmp_path, MUE, mue_csv(rows))
    with pytest.raises(EditFileFormatError) as info:
        Checker(tmp_path / "home").import_editions([path])
    error = info.value
    assert (error.file, error.line, error.column) == (MUE, 7, "value")
    assert "code 76000" in error.reason
    assert "line 5 has value 3, MAI 3" in error.reason
    assert "value 9, MAI 1" in error.reason


def test_identical_mue_duplicates_are_accepted(tmp_path: Path) -> None:
    row = ("76000", 3, "3 Date of Service Edit: Clinical")
    path = write(tmp_path, MUE, mue_csv([row, ("29880", 1, "2 DOS"), row]))
    Checker(tmp_path / "home").import_editions([path])
    edition = EditionRegistry(tmp_path / "home").open(Program.MEDICARE, "2024Q3")
    mue = edition.mue(Table.MUE_PRACTITIONER, "76000")
    assert mue is not None and (mue.value, int(mue.mai)) == (3, 3)


def test_two_files_of_one_mue_table_may_not_disagree(tmp_path: Path) -> None:
    first = write(tmp_path, MUE, mue_csv([("76000", 3, "3 DOS")]))
    later = MUE.replace("07-01", "08-01")
    second = write(tmp_path, later, mue_csv([("29880", 1, "2 DOS"), ("76000", 4, "3")]))
    with pytest.raises(EditFileFormatError) as info:
        Checker(tmp_path / "home").import_editions([first, second])
    assert info.value.file == later
    assert f"value 3, MAI 3 in {MUE}" in info.value.reason


# -- 5 and 6. code universe and first effective date -----------------------------------


def test_code_universe_and_first_effective_of_an_import(tmp_path: Path) -> None:
    ptp = write(tmp_path, PTP, ptp_txt(GOOD))
    mue = write(tmp_path, MUE, mue_csv([("77002", 1, "3 DOS")]))
    Checker(tmp_path / "home").import_editions([ptp, mue])
    edition = EditionRegistry(tmp_path / "home").open(Program.MEDICARE, "2024Q3")
    known = {c: edition.code_known(c) for c in ("29880", "33289", "76000", "77002")}
    assert known == dict.fromkeys(known, True)
    assert edition.code_known("99999") is False
    assert edition.code_known("7600") is False  # not a code at all
    assert edition.first_effective(Table.PTP_PRACTITIONER) == date(1996, 1, 1)
    assert edition.first_effective(Table.MUE_PRACTITIONER) is None  # rows are undated
    assert edition.first_effective(Table.AOC) is None  # not in the edition
    assert (edition.path / "codes.npy").stat().st_size < 200  # 4 int32 + header


def test_the_demo_edition_knows_its_codes() -> None:
    demo = demo_edition()
    assert demo.code_known("76000") is True
    assert demo.code_known("29880") is True
    assert demo.code_known("99999") is False
    assert demo.code_known("CCCCC") is False  # the MAC-defined placeholder
    first = demo.first_effective(Table.PTP_PRACTITIONER)
    assert first is not None
    assert first == min(r.effective for r in demo.ptp[Table.PTP_PRACTITIONER])
    assert demo.first_effective(Table.MUE_PRACTITIONER) is None


def test_an_edition_without_tables_cannot_say() -> None:
    info = EditionInfo(Program.MEDICARE, "2024Q3", "", False, {}, ())
    empty = MemoryEdits(info=info)
    assert empty.code_known("76000") is None
    assert empty.first_effective(Table.PTP_PRACTITIONER) is None
