"""iter_members(): member choice, and every way a zip can be hostile or useless."""

from __future__ import annotations

import io
import stat
import struct
import warnings
import zipfile

import pytest

from fluorocode.adapters.cms.archive import iter_members, open_members
from fluorocode.adapters.cms.mue_file import read_mue_csv
from fluorocode.adapters.cms.ptp_file import read_ptp_txt
from fluorocode.errors import EditFileFormatError, UnknownFileError

PTP_ZIP = "medicare-ncci-2026q3-practitioner-ptp-edits-ccipra-v322r0-f1.zip"
MUE_ZIP = "medicare-ncci-2026-q3-practitioner-services-mue-table.zip"
MUE_CSV = "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv"


def make_zip(members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are made on purpose below
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member, data in members:
                archive.writestr(member, data)
    return buffer.getvalue()


def patch_central(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    """Overwrite a field of the (first) central-directory header."""
    at = data.index(b"PK\x01\x02") + offset
    return data[:at] + struct.pack(fmt, value) + data[at + struct.calcsize(fmt) :]


def test_txt_is_preferred_over_xlsx(ptp_excerpt: bytes) -> None:
    data = make_zip(
        [
            ("ccipra-v322r0-f1.xlsx", b"PK\x03\x04 not read"),
            ("ccipra-v322r0-f1.TXT", ptp_excerpt),
            ("README.pdf", b"%PDF"),
            ("__MACOSX/._ccipra-v322r0-f1.TXT", b"junk"),
        ]
    )
    members = iter_members(data, PTP_ZIP)
    assert [m for m, _ in members] == [f"{PTP_ZIP}!ccipra-v322r0-f1.TXT"]
    name, content = members[0]
    assert read_ptp_txt(content, name).height == 154


def test_csv_member_and_xlsx_only(mue_excerpt: bytes) -> None:
    data = make_zip([(MUE_CSV.replace(".csv", ".xlsx"), b"x"), (MUE_CSV, mue_excerpt)])
    [(name, content)] = iter_members(data, MUE_ZIP)
    assert name == f"{MUE_ZIP}!{MUE_CSV}"
    assert read_mue_csv(content, name).height == 44
    only_xlsx = make_zip([("sub/ccipra-v322r0-f1.xlsx", b"workbook")])
    assert [m for m, _ in iter_members(only_xlsx, PTP_ZIP)] == [
        f"{PTP_ZIP}!sub/ccipra-v322r0-f1.xlsx"
    ]


def test_several_parts_in_archive_order() -> None:
    data = make_zip([("ccipra-v322r0-f2.TXT", b"2"), ("ccipra-v322r0-f1.TXT", b"1")])
    assert [c for _, c in iter_members(data, "download.zip")] == [b"2", b"1"]


def test_zip_bomb_declaring_a_huge_member() -> None:
    data = make_zip([("ccipra-v322r0-f1.TXT", b"small")])
    bomb = patch_central(data, 24, "<I", 0xFFFFFFF0)  # uncompressed size: ~4 GiB
    with pytest.raises(EditFileFormatError, match="declares"):
        iter_members(bomb, PTP_ZIP)


def test_zip_bomb_by_compression_ratio() -> None:
    data = make_zip([("ccipra-v322r0-f1.TXT", bytes(4 << 20))])  # 4 MiB -> a few KiB
    with pytest.raises(EditFileFormatError, match="zip bomb"):
        iter_members(data, PTP_ZIP)


def test_member_larger_than_its_declared_size() -> None:
    data = make_zip([("ccipra-v322r0-f1.TXT", b"x" * 5000)])
    liar = patch_central(data, 24, "<I", 100)
    with pytest.raises(EditFileFormatError, match="corrupt"):
        iter_members(liar, PTP_ZIP)


def test_limits_are_parameters() -> None:
    data = make_zip([(f"ccipra-v322r0-f{k}.TXT", b"x" * 2000) for k in range(1, 4)])
    with pytest.raises(EditFileFormatError, match="declares"):
        iter_members(data, PTP_ZIP, max_member_bytes=1000)
    with pytest.raises(EditFileFormatError, match="total"):
        iter_members(data, PTP_ZIP, max_total_bytes=5000)
    with pytest.raises(EditFileFormatError, match="members"):
        iter_members(data, PTP_ZIP, max_members=2)


@pytest.mark.parametrize(
    "member",
    [
        "../ccipra-v322r0-f1.TXT",
        "a/../../ccipra-v322r0-f1.TXT",
        "/etc/ccipra-v322r0-f1.TXT",
        "C:/ccipra-v322r0-f1.TXT",
        "a\\..\\ccipra-v322r0-f1.TXT",
    ],
)
def test_path_traversal(member: str) -> None:
    data = make_zip([(zipfile.ZipInfo(member), b"x")])  # a ZipInfo keeps the name as is
    with pytest.raises(EditFileFormatError, match="unsafe path"):
        iter_members(data, PTP_ZIP)


def test_symlink_duplicate_and_encrypted_members() -> None:
    link = zipfile.ZipInfo("ccipra-v322r0-f1.TXT")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with pytest.raises(EditFileFormatError, match="symbolic link"):
        iter_members(make_zip([(link, b"/etc/passwd")]), PTP_ZIP)
    twice = make_zip([("ccipra-v322r0-f1.TXT", b"a"), ("ccipra-v322r0-f1.TXT", b"b")])
    with pytest.raises(EditFileFormatError, match="twice"):
        iter_members(twice, PTP_ZIP)
    locked = patch_central(make_zip([("ccipra-v322r0-f1.TXT", b"a")]), 8, "<H", 0x1)
    with pytest.raises(EditFileFormatError, match="encrypted"):
        iter_members(locked, PTP_ZIP)


def test_nested_archives() -> None:
    inner = make_zip([("ccipra-v322r0-f1.TXT", b"x")])
    with pytest.raises(EditFileFormatError, match="nested"):
        iter_members(make_zip([("inner.zip", inner)]), PTP_ZIP)
    with pytest.raises(EditFileFormatError, match="itself a zip"):
        iter_members(make_zip([("ccipra-v322r0-f1.TXT", inner)]), PTP_ZIP)


def test_useless_zips() -> None:
    with pytest.raises(UnknownFileError, match=f"{PTP_ZIP}.*nothing"):
        iter_members(make_zip([]), PTP_ZIP)
    with pytest.raises(UnknownFileError, match="README.pdf, notes.txt"):
        iter_members(make_zip([("README.pdf", b"%PDF"), ("notes.txt", b"hi")]), PTP_ZIP)
    with pytest.raises(EditFileFormatError, match="not a readable zip"):
        iter_members(b"ccipra-v322r0-f1.TXT is not a zip", PTP_ZIP)


def test_a_medicaid_zips_members_take_the_zips_identity(ptp_excerpt: bytes) -> None:
    # docs/medicaid.md: member names are not documented, so the zip's name decides
    name = "medicaid-ncci-2026-q3-ptp-edits-practitioner-services.zip"
    data = make_zip([("any-name.txt", ptp_excerpt), ("README.pdf", b"%PDF")])
    (member,) = open_members(data, name)
    assert member.name == f"{name}!any-name.txt"
    assert (member.identity.program.value, member.identity.quarter) == (
        "medicaid",
        "2026Q3",
    )
    assert not member.identity.container
    with pytest.raises(UnknownFileError, match="without a TXT, CSV or XLSX"):
        iter_members(make_zip([("README.pdf", b"%PDF")]), name)
