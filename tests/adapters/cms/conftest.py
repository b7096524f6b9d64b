"""Fixtures of the CMS reader tests: real files from ../shared, CMS-shaped writers.

Real material is never copied into the repository: the excerpts are read from
``../shared/data/cms`` and the full 2024-07-01 tables are written on the fly, in CMS's own
layout, by ``../shared/tools/ncci_tsv_to_cms.py``.
"""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import xlsxwriter

PTP_EXCERPT = "ccipra-v322r0-f1.TXT.excerpt"
MUE_EXCERPT = "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv.excerpt"

#: The PTP TXT title, notice and wrapped header lines as CMS writes them (domain.md §6.1).
PTP_HEAD = (
    "CPT only copyright 2025 American Medical Association.  All rights reserved."
    "\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
    "\t\t\t\t*=no data\t1=allowed\t\r\n"
    "\t\t\t\t\t9=not applicable\t\r\n"
)
PTP_XLSX_HEADER: list[object] = [
    "Column 1",
    "Column 2",
    "*=in existence\nprior to 1996",
    "Effective\nDate",
    "Deletion\nDate\n*=no data",
    "Modifier\n0=not allowed\n1=allowed\n9=not applicable",
    "PTP Edit Rationale",
]
AMA_NOTICE = (
    "CPT only copyright 2025 American Medical Association.  All rights reserved."
)


@pytest.fixture(scope="session")
def cms_dir(shared_data: Path) -> Path:
    """The original-format CMS excerpts (../shared/data/cms)."""
    return shared_data / "cms"


@pytest.fixture(scope="session")
def ncci_2024(shared_data: Path) -> Path:
    """The decoded 2024-07-01 tables (../shared/data/ncci-2024q3)."""
    return shared_data / "ncci-2024q3"


@pytest.fixture(scope="session")
def ptp_excerpt(cms_dir: Path) -> bytes:
    return (cms_dir / PTP_EXCERPT).read_bytes()


@pytest.fixture(scope="session")
def mue_excerpt(cms_dir: Path) -> bytes:
    return (cms_dir / MUE_EXCERPT).read_bytes()


WriteCms = Callable[[Sequence[str]], list[Path]]


@pytest.fixture(scope="session")
def write_cms(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> WriteCms:
    """Run ncci_tsv_to_cms.py with ``args`` into a fresh directory; return its files."""
    tool = shared_data.parent / "tools" / "ncci_tsv_to_cms.py"

    def run(args: Sequence[str]) -> list[Path]:
        out = tmp_path_factory.mktemp("cms")
        printed = subprocess.run(
            [sys.executable, str(tool), *args, "--out", str(out)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return [Path(p) for p in printed.split()]

    return run


@pytest.fixture(scope="session")
def mue_files(write_cms: WriteCms) -> dict[str, Path]:
    """The three real 2024-07-01 MUE tables as CMS CSV files."""
    tables = ("practitioner", "outpatient_hospital", "dme_supplier")
    return {t: write_cms(["mue", "--table", t])[0] for t in tables}


@pytest.fixture(scope="session")
def aoc_file(write_cms: WriteCms) -> Path:
    """The real 2024 Q2 AOC table as a CMS TXT file."""
    return write_cms(["aoc"])[0]


def xlsx_bytes(rows: Sequence[Sequence[object]], *, first_row: int = 0) -> bytes:
    """A one-sheet workbook with ``rows`` from row ``first_row`` (0-based), in memory.

    Strings are written as text (so ``"00100"`` keeps its zeros), ints as numbers, None
    as an empty cell -- as Excel holds a CMS table.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("Sheet1")
    wrap = book.add_format({"text_wrap": True})
    for r, row in enumerate(rows, start=first_row):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value, wrap if "\n" in value else None)
            else:
                sheet.write_number(r, c, value)
    book.close()
    return buffer.getvalue()
