"""AOC readers: the real 2024 Q2 table, Julian dates, header variants, XLSX, refusals."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from fluorocode.adapters.cms.aoc_file import SCHEMA, read_aoc_txt, read_aoc_xlsx
from fluorocode.errors import EditFileFormatError

from .conftest import xlsx_bytes

NAME = "AOC_V2025Q4_01-MCR.txt"
HEADER = (
    "ADD_ON_CODE\tPRIMARY_CODE\tAOC_EDIT_TYPE\tSPECIAL_INSTRUCTION_NOTES\tAOC_DEL_DT"
    "\tPRIMARY_CODE_DEL_DT\tAOC_EDIT_EFF_DT\tAOC_EDIT_DEL_DT"
)
ROWS = [
    "77002\t20610\t1\t\t\t\t2024001\t",
    "77002\t20600\t1\t\t\t2024366\t2010001\t2024366",
    "77001\tCCCCC\t2\tContractor Defined Primary Codes\t\t\t2023365\t",
    "77003\t62270\t1\t\t2022060\t\t2020060\t2022060",
]


def _file(rows: list[str], header: str = HEADER) -> bytes:
    title = "Medicare NCCI Add-on Code Edits\t\t\t\t\t\t\t\r\n"
    return (title + "\r\n".join([header, *rows]) + "\r\n").encode("latin-1")


def test_real_2024_table(aoc_file: Path, ncci_2024: Path) -> None:
    df = read_aoc_txt(aoc_file.read_bytes(), aoc_file.name)
    assert df.schema == pl.Schema(SCHEMA)
    assert df.height == 7_465
    tsv = pl.read_csv(ncci_2024 / "aoc.tsv", separator="\t", infer_schema=False)
    expected = tsv.select(
        pl.col("add_on_code").alias("addon"),
        pl.col("primary_code").alias("primary"),
        pl.col("aoc_edit_type").cast(pl.UInt8).alias("edit_type"),
    )
    assert df.select(expected.columns).equals(expected)
    assert df["effective"].null_count() == df["deletion"].null_count() == df.height
    by_addon = df.group_by("addon").len()
    counts = dict(
        by_addon.filter(pl.col("addon").is_in(["77002", "77003"])).iter_rows()
    )
    assert counts == {"77002": 73, "77003": 14}
    assert df.filter(pl.col("addon") == "77001").select(
        "primary", "edit_type"
    ).rows() == [("CCCCC", 2)]


def test_julian_dates_and_loose_headers() -> None:
    df = read_aoc_txt(_file(ROWS), NAME)
    assert df.rows() == [
        ("77002", "20610", 1, 20240101, None),
        ("77002", "20600", 1, 20100101, 20241231),
        ("77001", "CCCCC", 2, 20231231, None),
        ("77003", "62270", 1, 20200229, 20220301),
    ]
    spaced = HEADER.replace("_", " ").replace("DT", "Dt (Julian)").title()
    assert read_aoc_txt(_file(ROWS, spaced), NAME).equals(df)


def test_xlsx_matches_txt() -> None:
    txt = read_aoc_txt(_file(ROWS), NAME)
    rows: list[list[object]] = [["Medicare NCCI Add-on Code Edits"], []]
    rows.append([h.replace("_", " ") for h in HEADER.split("\t")])
    for line in ROWS:
        cells = line.split("\t")
        rows.append(
            [
                *cells[:2],
                int(cells[2]),
                cells[3] or None,
                *(int(c) if c else None for c in cells[4:]),
            ]
        )
    assert read_aoc_xlsx(xlsx_bytes(rows), "AOC_V2025Q4_01-MCR.xlsx").equals(txt)


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("77002\t20610\t1\t\t\t\t2024400\t", "effective", "Julian"),
        ("77002\t20610\t1\t\t\t\t2023366\t", "effective", "Julian"),
        ("77002\t20610\t1\t\t2024000\t\t2024001\t", "addon_deletion", "Julian"),
        ("77002\t20610\t1\t\t\t24001\t2024001\t", "primary_deletion", "Julian"),
        ("77002\t20610\t1\t\t\t\t2024100\t2024099", "deletion", "after"),
        ("77002\t20610\t4\t\t\t\t2024001\t", "edit_type", "1, 2 or 3"),
        ("77002\t2061\t1\t\t\t\t2024001\t", "primary", "HCPCS/CPT code"),
        ("7700\t20610\t1\t\t\t\t2024001\t", "addon", "HCPCS/CPT code"),
        ("77002\t20610\t1\t\t\t\t2024001", "deletion", "cut short"),
        ("77002\t20610\t1\t\t\t\t2024001\t\tmore", 9, "more"),
    ],
)
def test_bad_row(row: str, column: str | int, reason: str) -> None:
    with pytest.raises(EditFileFormatError) as err:
        read_aoc_txt(_file([ROWS[0], row, ROWS[1]]), NAME)
    assert (err.value.line, err.value.column) == (4, column)
    assert reason in err.value.reason


def test_missing_column_and_header_only() -> None:
    with pytest.raises(EditFileFormatError) as err:
        read_aoc_txt(_file(ROWS, HEADER.replace("\tAOC_EDIT_TYPE", "")), NAME)
    assert (err.value.line, err.value.column) == (2, "edit_type")
    with pytest.raises(EditFileFormatError) as err:
        read_aoc_txt(_file([]), NAME)
    assert (err.value.line, err.value.column) == (3, None)
