"""PTP readers: the real v322r0 excerpt, the real 2024 Q3 table, XLSX, every refusal."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from fluorocode.adapters.cms.ptp_file import SCHEMA, read_ptp_txt, read_ptp_xlsx
from fluorocode.errors import EditFileFormatError

from .conftest import AMA_NOTICE, PTP_HEAD, PTP_XLSX_HEADER, WriteCms, xlsx_bytes

NAME = "ccipra-v322r0-f1.TXT"
FIRST_DATA_LINE = 7  # notice, title and a 4-line wrapped header come first


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\r\n")


def _join(lines: list[bytes]) -> bytes:
    return b"\r\n".join(lines)


def _cells(line: bytes) -> list[bytes]:
    return line.split(b"\t")


# --------------------------------------------------------------------------- real data


def test_excerpt_parses_to_the_exact_rows(ptp_excerpt: bytes) -> None:
    df = read_ptp_txt(ptp_excerpt, NAME)
    assert df.schema == pl.Schema(SCHEMA)
    assert df.height == 154
    rationale = "CPT Manual or CMS manual coding instruction"
    assert df.row(0) == ("0001A", "0591T", False, 20220101, 20231231, 1, rationale)
    # an indicator-9 row: deleted back to its effective date (domain.md §2)
    assert df.row(5) == ("0001A", "90473", False, 20220101, 20220101, 9, rationale)
    assert df.row(-1) == (
        "0001U",
        "81166",
        False,
        20190101,
        99991231,
        1,
        "Misuse of Column Two code with Column One code",
    )
    assert df["indicator"].value_counts(sort=True).rows() == [(1, 139), (0, 9), (9, 6)]
    nines = df.filter(pl.col("indicator") == 9)
    assert (nines["effective"] == nines["deletion"]).all()
    assert not df["pre_1996"].any()


def test_lf_line_ends_parse_the_same(ptp_excerpt: bytes) -> None:
    crlf = read_ptp_txt(ptp_excerpt, NAME)
    assert read_ptp_txt(ptp_excerpt.replace(b"\r\n", b"\n"), NAME).equals(crlf)


def test_only_codes_file_agrees_with_the_2024_table(
    write_cms: WriteCms, ncci_2024: Path
) -> None:
    parts = write_cms(["ptp", "--table", "practitioner", "--only-codes", "76000,77002"])
    df = pl.concat([read_ptp_txt(p.read_bytes(), p.name) for p in parts])
    tsv = pl.read_csv(
        ncci_2024 / "ptp_practitioner_fluoro_pairs.tsv",
        separator="\t",
        infer_schema=False,
    ).filter(
        pl.col("column_1").is_in(["76000", "77002"])
        | pl.col("column_2").is_in(["76000", "77002"])
    )
    assert df.height == tsv.height > 4000
    expected = tsv.select(
        pl.col("column_1").alias("column1"),
        pl.col("column_2").alias("column2"),
        pl.when(pl.col("deletion_date") == "*")
        .then(pl.lit("99991231"))
        .otherwise(pl.col("deletion_date"))
        .cast(pl.Int32)
        .alias("deletion"),
        pl.col("modifier_indicator").cast(pl.UInt8).alias("indicator"),
        pl.col("ptp_edit_rationale").alias("rationale"),
    )
    # the pairs file is sorted differently from the full table: compare sorted rows
    got = df.select(expected.columns)
    assert got.sort(got.columns).equals(expected.sort(expected.columns))
    # the tool's stated placeholder effective dates
    placeholder = (
        pl.when((pl.col("indicator") == 9) | (pl.col("deletion") < 19960101))
        .then(pl.col("deletion"))
        .otherwise(19960101)
    )
    assert (df["effective"] == df.select(placeholder).to_series()).all()
    assert df.filter(pl.col("column2") == "76000", pl.col("column1") == "33289")[
        "indicator"
    ].to_list() == [0]


@pytest.mark.slow
def test_full_real_practitioner_table(
    real_cms_files: dict[str, list[Path]], ncci_2024: Path
) -> None:
    parts = real_cms_files["ptp_practitioner"]
    df = pl.concat([read_ptp_txt(p.read_bytes(), p.name) for p in parts])
    assert df.height == 2_546_017
    tsv = pl.read_csv(
        ncci_2024 / "ptp_practitioner.tsv.gz",
        separator="\t",
        infer_schema=False,
        quote_char=None,
    )
    assert df["column1"].equals(tsv["column_1"].alias("column1"))
    assert df["column2"].equals(tsv["column_2"].alias("column2"))
    assert df["rationale"].equals(tsv["ptp_edit_rationale"].alias("rationale"))
    # duplicate pairs are history and are all kept (domain.md §0.10)
    assert (
        df.select(pl.struct("column1", "column2").is_duplicated().sum()).item()
        > 300_000
    )


# --------------------------------------------------------------------------- quirks


def test_latin1_trailing_tabs_blank_tail_and_bom(ptp_excerpt: bytes) -> None:
    lines = _lines(ptp_excerpt)
    lines[FIRST_DATA_LINE - 1] = lines[FIRST_DATA_LINE - 1].replace(
        b"coding instruction", b"coding instruction \xe9"
    )
    lines[FIRST_DATA_LINE] += b"\t\t"  # trailing TABs on a data row
    data = _join(lines) + b"\r\n\t\t\r\n"  # and a blank padded line at the end
    df = read_ptp_txt(data, NAME)
    assert df.height == 154
    assert df["rationale"][0].endswith("instruction é")
    utf8 = b"\xef\xbb\xbf" + data.decode("latin-1").encode("utf-8")
    assert read_ptp_txt(utf8, NAME).equals(df)


def test_quotes_are_literal(ptp_excerpt: bytes) -> None:
    lines = _lines(ptp_excerpt)
    lines[FIRST_DATA_LINE] = lines[FIRST_DATA_LINE].replace(
        b"CPT Manual", b'CPT "separate'
    )
    df = read_ptp_txt(_join(lines), NAME)
    assert df["rationale"][1].startswith('CPT "separate')


def test_indicator_9_may_end_before_it_starts(ptp_excerpt: bytes) -> None:
    lines = _lines(ptp_excerpt)
    row = _cells(lines[11])
    row[3], row[4] = b"20220101", b"20211231"
    lines[11] = b"\t".join(row)
    assert read_ptp_txt(_join(lines), NAME)["deletion"][5] == 20211231


def test_xlsx_with_title_rows_and_wrapped_header_cells(ptp_excerpt: bytes) -> None:
    txt = read_ptp_txt(ptp_excerpt, NAME)
    rows: list[list[object]] = [
        [AMA_NOTICE],
        ["Column1/Column2 Edits"],
        [],
        PTP_XLSX_HEADER,
    ]
    for r in txt.iter_rows():
        rows.append(
            [
                r[0],
                r[1],
                "*" if r[2] else None,
                r[3],
                "*" if r[4] == 99991231 else r[4],
                r[5],
                r[6],
            ]
        )
    data = xlsx_bytes(rows, first_row=1)
    assert read_ptp_xlsx(data, "ccipra-v322r0-f1.xlsx").equals(txt)


def test_xlsx_errors_name_the_sheet_row(ptp_excerpt: bytes) -> None:
    rows: list[list[object]] = [["Column1/Column2 Edits"], PTP_XLSX_HEADER]
    rows.append(
        ["0001A", "0591T", None, 20220101, 20231231, 1, "Mutually exclusive procedures"]
    )
    rows.append(
        ["0001A", "0592T", None, 20220230, 20231231, 1, "Mutually exclusive procedures"]
    )
    with pytest.raises(EditFileFormatError) as err:
        read_ptp_xlsx(xlsx_bytes(rows), "x.xlsx")
    assert (err.value.line, err.value.column) == (4, "effective")


def test_xlsx_date_cells() -> None:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, PTP_XLSX_HEADER)
    sheet.write_row(1, 0, ["0001A", "0591T", "*"])
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_datetime(1, 3, dt.datetime(2022, 1, 1), day)
    sheet.write_string(1, 4, "*")
    sheet.write_number(1, 5, 0)
    sheet.write_string(1, 6, "Mutually exclusive procedures")
    book.close()
    df = read_ptp_xlsx(buffer.getvalue(), "x.xlsx")
    assert df.rows() == [
        ("0001A", "0591T", True, 20220101, 99991231, 0, "Mutually exclusive procedures")
    ]


# --------------------------------------------------------------------------- refusals


Change = Callable[[list[bytes]], None]


def _set(line: int, column: int, value: bytes) -> Change:
    def change(lines: list[bytes]) -> None:
        cells = _cells(lines[line - 1])
        cells[column] = value
        lines[line - 1] = b"\t".join(cells)

    return change


def _replace_line(line: int, value: bytes) -> Change:
    def change(lines: list[bytes]) -> None:
        lines[line - 1] = value

    return change


def _append(line: int, value: bytes) -> Change:
    def change(lines: list[bytes]) -> None:
        lines[line - 1] += value

    return change


def _drop_field(line: int, column: int) -> Change:
    def change(lines: list[bytes]) -> None:
        cells = _cells(lines[line - 1])
        del cells[column]
        lines[line - 1] = b"\t".join(cells)

    return change


BAD_ROWS = {
    "malformed code": (_set(12, 1, b"9047"), 12, "column2", "not a HCPCS/CPT code"),
    "lower-case code": (_set(20, 0, b"0001a"), 20, "column1", "not a HCPCS/CPT code"),
    "impossible date": (_set(40, 3, b"20240230"), 40, "effective", "not a real date"),
    "impossible deletion": (
        _set(41, 4, b"20231331"),
        41,
        "deletion",
        "neither '*' nor",
    ),
    "year out of range": (_set(42, 3, b"18991231"), 42, "effective", "not a real date"),
    "indicator 7": (_set(50, 5, b"7"), 50, "indicator", "not 0, 1 or 9"),
    "pre-1996 flag": (_set(51, 2, b"x"), 51, "pre_1996", "neither '*' nor empty"),
    "empty rationale": (_set(52, 6, b""), 52, "rationale", "rationale is empty"),
    "effective after deletion": (_set(60, 3, b"20240101"), 60, "deletion", "is after"),
    "extra field": (_append(70, b"\tsurprise"), 70, 8, "'surprise'"),
    "extra field after trailing tabs": (
        _append(71, b"\t\t\tsurprise"),
        71,
        8,
        "surprise",
    ),
    "missing field": (_drop_field(80, 2), 80, "rationale", "6 fields"),
    "garbage row": (_replace_line(90, b"not an edit row"), 90, "column1", "not a row"),
    "blank line inside the data": (
        _replace_line(100, b""),
        100,
        "column1",
        "blank line",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_ROWS))
def test_bad_row_names_line_and_column(ptp_excerpt: bytes, case: str) -> None:
    change, line, column, reason = BAD_ROWS[case]
    lines = _lines(ptp_excerpt)
    change(lines)
    with pytest.raises(EditFileFormatError) as err:
        read_ptp_txt(_join(lines), NAME)
    assert (err.value.file, err.value.line, err.value.column) == (NAME, line, column)
    assert reason in err.value.reason


def test_the_first_bad_line_is_reported(ptp_excerpt: bytes) -> None:
    lines = _lines(ptp_excerpt)
    _set(150, 0, b"bad")(lines)
    _set(30, 5, b"5")(lines)
    _set(31, 3, b"2024")(lines)
    with pytest.raises(EditFileFormatError) as err:
        read_ptp_txt(_join(lines), NAME)
    assert (err.value.line, err.value.column) == (30, "indicator")
    assert "'5'" in err.value.reason


@pytest.mark.parametrize(
    ("cut", "column"),
    [
        (b"0001U\t81166\t\t2019", "deletion"),
        (b"0001U\t81166\t\t20190101\t*", "indicator"),
    ],
)
def test_truncated_last_line(ptp_excerpt: bytes, cut: bytes, column: str) -> None:
    data = ptp_excerpt[: ptp_excerpt.rindex(b"0001U\t81166")] + cut
    with pytest.raises(EditFileFormatError) as err:
        read_ptp_txt(data, NAME)
    assert (err.value.line, err.value.column) == (160, column)
    assert "cut short" in err.value.reason


def test_truncated_inside_the_rationale(ptp_excerpt: bytes) -> None:
    data = ptp_excerpt[: ptp_excerpt.rindex(b"Column Two code")]
    with pytest.raises(EditFileFormatError) as err:
        read_ptp_txt(data, NAME)
    assert (err.value.line, err.value.column) == (160, "rationale")
    assert "truncated" in err.value.reason


def test_a_complete_last_line_without_line_break_is_fine(ptp_excerpt: bytes) -> None:
    assert read_ptp_txt(ptp_excerpt.rstrip(b"\r\n"), NAME).height == 154


@pytest.mark.parametrize(
    ("make", "line", "column"),
    [
        (lambda d: b"", 1, None),
        (lambda d: b" \r\n\t\r\n", 1, None),
        (lambda d: d.decode("latin-1").encode("utf-16"), 1, None),
        (lambda d: d.decode("latin-1").encode("utf-16-le"), 1, None),
        (lambda d: d.replace(b"0001A\t96160", b"0001A\t9\x006160"), 13, None),
        (lambda d: b"\xef\xbb\xbf" + d.replace(b"90473", b"9\xe90473"), 12, None),
        (lambda d: _join(_lines(d)[:6]) + b"\r\n", 7, None),
        (lambda d: _join(_lines(d)[:6]), 7, None),
        (lambda d: _join(_lines(d)[6:]), 1, None),
        (lambda d: d.replace(b"\tPTP Edit Rationale", b""), 3, "rationale"),
        (lambda d: d.replace(b"Modifier", b"Indicator"), 3, 6),
        (
            lambda d: d.replace(b"PTP Edit Rationale", b"PTP Edit Rationale\tNotes"),
            3,
            8,
        ),
        (lambda d: d.replace(b"\tModifier", b"\tColumn 2"), 3, "column2"),
    ],
    ids=[
        "empty",
        "whitespace only",
        "utf-16 with bom",
        "utf-16 without bom",
        "nul byte",
        "bom but not utf-8",
        "header only",
        "header only, no final line break",
        "no header",
        "missing column",
        "unknown column",
        "extra column",
        "repeated column",
    ],
)
def test_bad_file(
    ptp_excerpt: bytes,
    make: Callable[[bytes], bytes],
    line: int,
    column: str | int | None,
) -> None:
    with pytest.raises(EditFileFormatError) as err:
        read_ptp_txt(make(ptp_excerpt), NAME)
    assert (err.value.line, err.value.column) == (line, column)


def test_xlsx_that_is_not_a_workbook() -> None:
    with pytest.raises(EditFileFormatError):
        read_ptp_xlsx(b"Column 1\tColumn 2\r\n", "x.xlsx")
    with pytest.raises(EditFileFormatError):
        read_ptp_xlsx(xlsx_bytes([["no"], ["header"]]), "x.xlsx")


# --------------------------------------------------------------------------- property

RATIONALES = [
    "CPT Manual or CMS manual coding instruction",
    "Misuse of Column Two code with Column One code",
    "Standards of medical/surgical practice",
    "Mutually exclusive procedures",
    "HCPCS/CPT procedure code definition",
]
_CODES = st.from_regex(r"\A[0-9A-Z]{5}\Z")
_DATES = st.dates(dt.date(1996, 1, 1), dt.date(2030, 12, 31))


def _yyyymmdd(day: dt.date) -> int:
    return int(day.strftime("%Y%m%d"))


@st.composite
def _ptp_row(draw: st.DrawFn) -> tuple[str, str, bool, int, int, int, str]:
    effective = draw(_DATES)
    indicator = draw(st.sampled_from([0, 1, 9]))
    deletion: dt.date | None = effective
    if indicator != 9:
        deletion = draw(
            st.one_of(st.none(), st.dates(effective, dt.date(2099, 12, 31)))
        )
    return (
        draw(_CODES),
        draw(_CODES),
        draw(st.booleans()),
        _yyyymmdd(effective),
        99991231 if deletion is None else _yyyymmdd(deletion),
        indicator,
        draw(st.sampled_from(RATIONALES)),
    )


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(_ptp_row(), min_size=1, max_size=40), crlf=st.booleans())
def test_rows_written_in_the_txt_layout_read_back(
    rows: list[tuple[str, str, bool, int, int, int, str]], crlf: bool
) -> None:
    body = "".join(
        f"{a}\t{b}\t{'*' if pre else ''}\t{eff}\t{'*' if dele == 99991231 else dele}"
        f"\t{ind}\t{why}\r\n"
        for a, b, pre, eff, dele, ind, why in rows
    )
    text = PTP_HEAD + body
    if not crlf:
        text = text.replace("\r\n", "\n")
    df = read_ptp_txt(text.encode("latin-1"), NAME)
    assert df.rows() == rows
