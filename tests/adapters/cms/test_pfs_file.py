"""PFS readers, on a PPRRVU file written in the assumed CMS layout from the real 2024 data.

The layout (preamble, then the header on line 10, the column names below) is the one
``pfs_file`` documents; the values are the real July 2024 indicators and RVUs from
../shared/data/ncci-2024q3. No descriptor text is written: the DESCRIPTION column holds a
placeholder, which the reader must drop.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
import pytest

from fluorocode.adapters.cms.pfs_file import SCHEMA, read_pfs_csv, read_pfs_xlsx
from fluorocode.errors import EditFileFormatError

from .conftest import xlsx_bytes

NAME = "PPRRVU24_JUL.csv"
PLACEHOLDER = "descriptor withheld, not reproduced"
# header cell -> column of pfs_indicators.tsv / pfs_rvu.tsv ("" = left empty)
COLUMNS = {
    "HCPCS": "hcpcs_code",
    "MOD": "mod",
    "DESCRIPTION": "",
    "STATUS\nCODE": "status",
    "NOT USED\nFOR MEDICARE\nPAYMENT": "not_used_mcr",
    "WORK\nRVU": "rvu_work",
    "NON-FAC\nPE RVU": "rvu_non_pe",
    "NON-FAC\nNA INDICATOR": "non_na",
    "FACILITY\nPE RVU": "rvu_fac_pe",
    "FACILITY\nNA INDICATOR": "fac_na",
    "MP\nRVU": "rvu_mp",
    "NON-FACILITY\nTOTAL": "rvu_non_sum",
    "FACILITY\nTOTAL": "rvu_fac_sum",
    "PCTC\nIND": "pctc",
    "GLOB\nDAYS": "glob",
    "PRE\nOP": "pre_op",
    "INTRA\nOP": "intra_op",
    "POST\nOP": "post_op",
    "MULT\nPROC": "mult_proc",
    "BILAT\nSURG": "bilat_surg",
    "ASST\nSURG": "asst_surg",
    "CO-\nSURG": "co_surg",
    "TEAM\nSURG": "team_surg",
    "ENDO\nBASE": "endo_base",
    "CONV\nFACTOR": "cf",
    "PHYSICIAN SUPERVISION OF\nDIAGNOSTIC PROCEDURES": "phys_diag_pro",
    "CALCULATION\nFLAG": "",
    "DIAGNOSTIC IMAGING\nFAMILY INDICATOR": "diag_img_fam",
    "NON-FACILITY PE USED FOR\nOPPS PAYMENT AMOUNT": "rvu_opps_non_pe",
    "FACILITY PE USED FOR\nOPPS PAYMENT AMOUNT": "rvu_opps_fac_pe",
    "MP USED FOR OPPS\nPAYMENT AMOUNT": "rvu_opps_mp",
}
#: The header is on line 10; its cells' line breaks make it span several lines.
DATA_LINE = 10 + 1 + sum(h.count("\n") for h in COLUMNS)
PREAMBLE = [
    ["2024 National Physician Fee Schedule Relative Value File, July Release"],
    ["(layout copy written by the fluorocode tests from the real July 2024 values)"],
    [],
    ["CPT codes and descriptions only are copyright American Medical Association."],
    ["All Rights Reserved. Applicable FARS/DFARS Apply."],
    [],
    ["Dental codes (D codes) are copyright American Dental Association."],
    [],
    ["", "", "", "", "", "", "NON-FACILITY", "", "FACILITY"],
]


def _table_rows(ncci_2024: Path) -> list[list[str]]:
    ind = pl.read_csv(
        ncci_2024 / "pfs_indicators.tsv", separator="\t", infer_schema=False
    )
    rvu = pl.read_csv(ncci_2024 / "pfs_rvu.tsv", separator="\t", infer_schema=False)
    assert ind["hcpcs_code"].equals(rvu["hcpcs_code"])
    both = pl.concat([ind, rvu.drop("hcpcs_code", "mod")], how="horizontal").fill_null(
        ""
    )
    return [
        [PLACEHOLDER if not col else str(row[col]) for col in COLUMNS.values()]
        for row in both.iter_rows(named=True)
    ]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([*PREAMBLE, list(COLUMNS), *rows])
    return out.getvalue().encode("latin-1")


@pytest.fixture(scope="module")
def table_rows(ncci_2024: Path) -> list[list[str]]:
    return _table_rows(ncci_2024)


@pytest.fixture(scope="module")
def pprrvu(table_rows: list[list[str]]) -> bytes:
    return _csv(table_rows)


def test_real_2024_indicators(pprrvu: bytes, ncci_2024: Path) -> None:
    df = read_pfs_csv(pprrvu, NAME)
    assert df.schema == pl.Schema(SCHEMA)
    tsv = pl.read_csv(
        ncci_2024 / "pfs_indicators.tsv", separator="\t", infer_schema=False
    )
    expected = tsv.select(
        pl.col("hcpcs_code").alias("code"),
        pl.col("mod").fill_null("").alias("modifier"),
        "status",
        "pctc",
        pl.col("glob").alias("global_days"),
    )
    assert df.height == 18_664
    assert df.equals(expected)
    assert df.filter(pl.col("code") == "76000").rows() == [
        ("76000", "", "A", "1", "XXX"),
        ("76000", "TC", "A", "1", "XXX"),
        ("76000", "26", "A", "1", "XXX"),
    ]
    assert df.filter(pl.col("code").is_in(["77002", "77003"]))[
        "global_days"
    ].unique().to_list() == ["ZZZ"]


def test_description_is_never_kept(pprrvu: bytes) -> None:
    df = read_pfs_csv(pprrvu, NAME)
    assert df.columns == list(SCHEMA)
    assert not any(PLACEHOLDER in str(v) for row in df.head(50).rows() for v in row)


def test_xlsx_matches_csv(table_rows: list[list[str]]) -> None:
    sample = table_rows[::40]
    csv_df = read_pfs_csv(_csv(sample), NAME)
    sheet = xlsx_bytes([*PREAMBLE, list(COLUMNS), *sample])
    assert read_pfs_xlsx(sheet, "PPRRVU24_JUL.xlsx").equals(csv_df)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("STATUS\nCODE", "AB", "one letter"),
        ("PCTC\nIND", "X", "one digit"),
        ("GLOB\nDAYS", "10", "global days"),
        ("MOD", "2", "modifier"),
        ("HCPCS", "7600", "HCPCS/CPT code"),
    ],
)
def test_bad_value(
    table_rows: list[list[str]], column: str, value: str, reason: str
) -> None:
    rows = [list(r) for r in table_rows[:30]]
    rows[20][list(COLUMNS).index(column)] = value
    with pytest.raises(EditFileFormatError) as err:
        read_pfs_csv(_csv(rows), NAME)
    expected = {
        "STATUS\nCODE": "status",
        "PCTC\nIND": "pctc",
        "GLOB\nDAYS": "global_days",
    }
    expected |= {"MOD": "modifier", "HCPCS": "code"}
    assert (err.value.line, err.value.column) == (DATA_LINE + 20, expected[column])
    assert reason in err.value.reason


def test_short_row_missing_column_and_header_only(table_rows: list[list[str]]) -> None:
    rows = [list(r) for r in table_rows[:5]]
    rows[3] = rows[3][:14]
    with pytest.raises(EditFileFormatError) as err:
        read_pfs_csv(_csv(rows), NAME)
    assert (err.value.line, err.value.column) == (DATA_LINE + 3, "global_days")
    data = _csv(table_rows[:5]).replace(b"GLOB\nDAYS", b"PERIOD")
    with pytest.raises(EditFileFormatError) as err:
        read_pfs_csv(data, NAME)
    assert (err.value.line, err.value.column) == (10, "global_days")
    with pytest.raises(EditFileFormatError) as err:
        read_pfs_csv(_csv([]), NAME)
    assert err.value.line == DATA_LINE
