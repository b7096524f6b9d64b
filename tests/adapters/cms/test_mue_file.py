"""MUE readers: the real 2026 Q3 excerpt, the real 2024 Q3 tables, XLSX, refusals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from fluorocode.adapters.cms.mue_file import SCHEMA, read_mue_csv, read_mue_xlsx
from fluorocode.errors import EditFileFormatError

from .conftest import xlsx_bytes

NAME = "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv"
# The excerpt's records end in CRLF; its notice (lines 1-7) and header (lines 8-9) hold
# bare LFs inside quotes. Splitting on CRLF gives records: record k >= 2 is line k + 8.
FIRST_DATA_LINE = 10


def _records(data: bytes) -> list[bytes]:
    return data.split(b"\r\n")


def _join(records: list[bytes]) -> bytes:
    return b"\r\n".join(records)


def test_excerpt_parses_to_the_exact_rows(mue_excerpt: bytes) -> None:
    df = read_mue_csv(mue_excerpt, NAME)
    assert df.schema == pl.Schema(SCHEMA)
    assert df.height == 44
    assert df.row(0) == ("0001U", 1, 2, "Code Descriptor / CPT Instruction")
    assert df.row(1) == ("0002M", 1, 3, "Nature of Analyte")
    assert df.row(-1) == ("0041U", 1, 2, "Code Descriptor / CPT Instruction")
    assert set(df["mai"].unique()) <= {1, 2, 3}


@pytest.mark.parametrize(
    ("table", "rows"),
    [
        ("practitioner", 14_677),
        ("outpatient_hospital", 14_628),
        ("dme_supplier", 2_928),
    ],
)
def test_real_2024_tables(
    mue_files: dict[str, Path], ncci_2024: Path, table: str, rows: int
) -> None:
    path = mue_files[table]
    df = read_mue_csv(path.read_bytes(), path.name)
    tsv = pl.read_csv(
        ncci_2024 / f"mue_{table}.tsv", separator="\t", infer_schema=False
    )
    assert df.height == tsv.height == rows
    expected = tsv.select(
        pl.col("hcpcs_cpt_code").alias("code"),
        pl.col("mue_value").cast(pl.Int32).alias("value"),
        pl.col("mai").cast(pl.UInt8),
        pl.col("mue_rationale").alias("rationale"),
    )
    assert df.equals(expected)


def test_fluoroscopy_values(mue_files: dict[str, Path]) -> None:
    path = mue_files["practitioner"]
    df = read_mue_csv(path.read_bytes(), path.name)
    got = {
        r[0]: r[1:] for r in df.filter(pl.col("code").str.starts_with("7700")).rows()
    }
    assert got["77002"] == (1, 3, "CMS Policy")
    assert df.filter(pl.col("code") == "76000").row(0) == (
        "76000",
        3,
        3,
        "Clinical: Data",
    )


def test_headers_match_by_meaning() -> None:
    data = (
        'Notice,,,\r\n"hcpcs / cpt\ncode","Outpatient  Hospital\nServices MUE VALUES",'
        "mue adjudication-indicator,MUE  Rationale\r\n"
        "76000,3,3 Date of Service Edit: Clinical,Clinical: Data\r\n"
        '77002,1,"2",CMS Policy\r\n'
    ).encode("latin-1")
    df = read_mue_csv(data, "x.csv")
    assert df.rows() == [
        ("76000", 3, 3, "Clinical: Data"),
        ("77002", 1, 2, "CMS Policy"),
    ]


def test_xlsx_matches_csv(mue_excerpt: bytes) -> None:
    csv = read_mue_csv(mue_excerpt, NAME)
    notice = "Current Procedural Terminology (CPT) codes ...\n\nCPT\xae is a registered trademark."
    labels = {1: "1 Line Edit", 2: "2 Date of Service Edit: Policy"}
    labels[3] = "3 Date of Service Edit: Clinical"
    rows: list[list[object]] = [
        [notice],
        [
            "HCPCS/\nCPT Code",
            "Practitioner Services MUE Values",
            "MUE Adjudication Indicator",
            "MUE Rationale",
        ],
    ]
    rows += [[code, value, labels[mai], why] for code, value, mai, why in csv.rows()]
    assert read_mue_xlsx(xlsx_bytes(rows), "x.xlsx").equals(csv)


def _set(record: int, column: int, value: bytes) -> Callable[[list[bytes]], None]:
    def change(records: list[bytes]) -> None:
        cells = records[record].split(b",")
        cells[column] = value
        records[record] = b",".join(cells)

    return change


def _replace(record: int, value: bytes) -> Callable[[list[bytes]], None]:
    def change(records: list[bytes]) -> None:
        records[record] = value

    return change


BAD = {
    "mai 5": (_set(5, 2, b"5 Date of Service Edit: Clinical"), 13, "mai", "1, 2 or 3"),
    "mai text": (_set(5, 2, b"Date of Service Edit"), 13, "mai", "1, 2 or 3"),
    "negative value": (_set(6, 1, b"-1"), 14, "value", "negative"),
    "decimal value": (_set(7, 1, b"1.5"), 15, "value", "whole number"),
    "empty value": (_set(7, 1, b""), 15, "value", "whole number"),
    "huge value": (_set(8, 1, b"99999999999"), 16, "value", "too large"),
    "malformed code": (_set(9, 0, b"0002m"), 17, "code", "not a HCPCS/CPT code"),
    "too few fields": (_replace(10, b"0003U,1"), 18, "mai", "cut short"),
    "extra field": (
        _replace(11, b"0004M,1,1 Line Edit,CMS Policy,surprise"),
        19,
        5,
        "surprise",
    ),
    "garbage": (_replace(12, b"garbage"), 20, "code", "not a row"),
    "blank row": (_replace(13, b""), 21, "code", "blank row"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_row_names_line_and_column(mue_excerpt: bytes, case: str) -> None:
    change, line, column, reason = BAD[case]
    records = _records(mue_excerpt)
    change(records)
    with pytest.raises(EditFileFormatError) as err:
        read_mue_csv(_join(records), NAME)
    assert (err.value.line, err.value.column) == (line, column)
    assert reason in err.value.reason


@pytest.mark.parametrize(
    ("make", "line", "column"),
    [
        (lambda d: b"", 1, None),
        (lambda d: d.decode("latin-1").encode("utf-16"), 1, None),
        (lambda d: d.replace(b"0003M,", b"0003M\x00,"), 13, None),
        (lambda d: _join(_records(d)[:2]) + b"\r\n", FIRST_DATA_LINE, None),
        (lambda d: d.replace(b",MUE Adjudication Indicator", b""), 8, "mai"),
        (lambda d: d.replace(b"MUE Rationale", b"MUE Rationale,Comment"), 8, 5),
        (lambda d: d[: d.rindex(b"CPT Instruction")], 53, "rationale"),
        (lambda d: d[: d.rindex(b",2 Date of Service")], 53, "mai"),
        (lambda d: d[: d.rindex(b"0041U")] + b'0041U,1,"2 Date of', 53, None),
    ],
    ids=[
        "empty",
        "utf-16",
        "nul byte",
        "header only",
        "missing column",
        "extra column",
        "truncated in the rationale",
        "truncated mid record",
        "unclosed quote",
    ],
)
def test_bad_file(
    mue_excerpt: bytes,
    make: Callable[[bytes], bytes],
    line: int,
    column: str | int | None,
) -> None:
    with pytest.raises(EditFileFormatError) as err:
        read_mue_csv(make(mue_excerpt), NAME)
    assert (err.value.line, err.value.column) == (line, column)
