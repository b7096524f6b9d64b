"""NCCI procedure-to-procedure (PTP) edit tables: ``ccipra``/``ccioph-vNNNrN-fK``.

Source: CMS, "Medicare NCCI Procedure to Procedure (PTP) Edits" (practitioner ``ccipra``,
outpatient hospital ``ccioph``), as described in domain.md §2 and §6.1 from the first
lines of the real v322r0 f1 file (S2) and the northstar XLSX loader (S1).

**TXT layout** (TAB-separated, no quoting, Latin-1, CRLF or LF):

1. an AMA notice line and a ``Column1/Column2 Edits`` title line (padded with TABs);
2. a header wrapped over four lines (``Column 1 | Column 2 | *=in existence / prior to
   1996 | Effective / Date | Deletion / Date / *=no data | Modifier / 0=not allowed /
   1=allowed / 9=not applicable | PTP Edit Rationale``), continuation lines starting with
   an empty cell and ending with a TAB;
3. one edit per line: ``column 1, column 2, '*' or empty, effective YYYYMMDD, deletion
   YYYYMMDD or '*', modifier indicator 0|1|9, rationale``.

The header is found by content (the first row naming Column 1 and Column 2 within the
first 40 lines) and its columns are matched by meaning, so title lines, the wrapped
header and trailing TABs need no fixed skip count. **XLSX**: the same columns; title and
notice rows above a header whose cells hold line breaks; dates may be numbers or date
cells.

**Output** (rows in file order; duplicate pairs kept, they are edit history, §0.10):
``column1``, ``column2`` (String), ``pre_1996`` (Boolean: ``*`` in column 3, which has
nothing to do with the deletion ``*``), ``effective`` (Int32 YYYYMMDD), ``deletion``
(Int32 YYYYMMDD, 99991231 for ``*`` = still active), ``indicator`` (UInt8 0/1/9),
``rationale`` (String).

**Refused** with :class:`~fluorocode.errors.EditFileFormatError` naming the first bad
line (sheet row for XLSX) and the column: a code that is not 5 characters of 0-9/A-Z; a
column-3 flag other than ``*``/empty; an impossible date (20240230; years outside
1900-2099); a deletion neither ``*`` nor a date; an indicator other than 0/1/9; an empty
rationale; too few fields (a cut line) or text past the last column; an effective date
after the deletion date (indicator-9 rows are exempt: CMS writes them with deletion =
effective, "deleted back to its start", §2); a last line without its line break whose
rationale occurs nowhere else (a truncated file); a missing or unknown header column; an
empty or header-only file; a file that is not Latin-1 text.

**Speed** (issue 11): one polars pass parses every column straight into Categorical, with
no copy of the input; that is the only pass that hashes the values. Every check and
conversion then runs on the few distinct values of each column (``_distinct``) and
reaches the rows through integer gathers, and :func:`parse_ptp_txt` hands the importer
the distinct codes and rationales it checked, so the compiler does not hash them again.
The four real 2024 Q3 practitioner files (2,546,017 rows, 185 MB) take about 1.5 times
the CPU time of polars' bare String ``read_csv`` of the same bytes (0.72 s against
0.48 s); :func:`read_ptp_txt` adds the cast of the codes and rationales back to String.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from fluorocode.adapters.cms._common import Field, find_header, utf8_bytes
from fluorocode.adapters.cms._distinct import Distinct, distinct_columns
from fluorocode.adapters.cms._rules import (
    Failure,
    RowRule,
    Rule,
    ValueRule,
    check_rows,
    code_rule,
    is_yyyymmdd,
)
from fluorocode.adapters.cms._sheet import iso_to_yyyymmdd, read_sheet
from fluorocode.adapters.cms._text import (
    TabRows,
    head_rows,
    read_tab_rows,
    truncated_tail,
)

__all__ = ["OPEN_DELETION", "SCHEMA", "parse_ptp_txt", "read_ptp_txt", "read_ptp_xlsx"]

#: The deletion date written for ``*`` (no deletion: the edit is still active).
OPEN_DELETION = 99991231

#: The columns and dtypes every PTP reader returns.
SCHEMA = {
    "column1": pl.String,
    "column2": pl.String,
    "pre_1996": pl.Boolean,
    "effective": pl.Int32,
    "deletion": pl.Int32,
    "indicator": pl.UInt8,
    "rationale": pl.String,
}

_FIELDS = (
    Field(
        "column1", "Column 1", lambda n: n.startswith("column1") and "column2" not in n
    ),
    Field("column2", "Column 2", lambda n: n.startswith("column2")),
    Field(
        "pre_1996",
        "*=in existence prior to 1996",
        lambda n: "1996" in n or "exist" in n,
    ),
    Field("effective", "Effective Date", lambda n: n.startswith("effective")),
    Field("deletion", "Deletion Date", lambda n: n.startswith("deletion")),
    Field("indicator", "Modifier", lambda n: n.startswith("modifier")),
    Field("rationale", "PTP Edit Rationale", lambda n: "rationale" in n),
)
_ANCHORS = ("column1", "column2")
_WRAPPED = 5  # continuation rows allowed under the header row (three in real files)

#: The checks after the dates, shared with the Medicaid reader (whose dates differ).
INDICATOR_AND_RATIONALE_RULES: tuple[Rule, ...] = (
    ValueRule(
        "indicator",
        "indicator",
        lambda v: ~v.is_in(["0", "1", "9"]),
        "modifier indicator {indicator!r} is not 0, 1 or 9",
    ),
    RowRule(
        "deletion",
        (pl.col("_indicator") != 9) & (pl.col("_effective") > pl.col("_deletion")),
        "effective date {effective} is after deletion date {deletion}",
    ),
    ValueRule(
        "rationale",
        "rationale",
        lambda v: v == "",
        "the PTP edit rationale is empty",
    ),
)

_RULES: tuple[Rule, ...] = (
    code_rule("column1", "Column 1"),
    code_rule("column2", "Column 2"),
    ValueRule(
        "pre_1996",
        "pre_1996",
        lambda v: ~v.is_in(["", "*"]),
        "pre-1996 flag {pre_1996!r} is neither '*' nor empty",
    ),
    ValueRule(
        "effective",
        "effective",
        lambda v: ~is_yyyymmdd(v),
        "effective date {effective!r} is not a real date written YYYYMMDD",
    ),
    ValueRule(
        "deletion",
        "deletion",
        lambda v: (v != "*") & ~is_yyyymmdd(v),
        "deletion date {deletion!r} is neither '*' nor a real date written YYYYMMDD",
    ),
    *INDICATOR_AND_RATIONALE_RULES,
)
#: The raw columns, each seen through its distinct values (``_distinct``).
_RAW = tuple(SCHEMA)


def read_ptp_txt(data: bytes, name: str) -> pl.DataFrame:
    """Read a PTP TXT file (``ccipra-v322r0-f1.TXT``) into :data:`SCHEMA` columns.

    Args:
        data: the file's bytes, as published (Latin-1).
        name: display name for errors (``archive.zip!member.TXT`` inside a zip).

    Raises:
        EditFileFormatError: anything malformed; see the module docstring.
    """
    frame = parse_ptp_txt(data, name)[0]
    return frame.with_columns(pl.col(c).cast(pl.String) for c in _TEXT)


def parse_ptp_txt(data: bytes, name: str) -> tuple[pl.DataFrame, dict[str, Distinct]]:
    """:func:`read_ptp_txt` for the importer: ``column1``, ``column2`` and ``rationale``
    stay Categorical, and come with their :class:`Distinct` views, so the compiler
    reuses the parse's hashing instead of hashing them again (issue 11).

    Raises:
        EditFileFormatError: anything malformed; see the module docstring.
    """
    rows, found, width = tab_rows(data, name, _FIELDS, _ANCHORS)
    return _finish(rows.frame, name, rows.line_of, found, width)


def tab_rows(
    data: bytes, name: str, fields: Sequence[Field], anchors: Sequence[str]
) -> tuple[TabRows, list[Failure], int]:
    """The rows of a TAB-separated PTP file under its (wrapped) header, the failures
    found reading them (a truncated last row included) and the header's width; shared
    with the Medicaid reader, whose header names differ."""
    text = utf8_bytes(data, name)
    head = head_rows(text)
    header = find_header(
        head.cells, fields, anchors, name, lambda i: i + 1, continuation=_WRAPPED
    )
    names = header.names()
    rows = read_tab_rows(
        text,
        head.offsets[header.end],
        header.end,
        names,
        name,
        last_never_empty=names[-1] == "rationale",
        categorical=True,
    )
    found = rows.failures + truncated_tail(rows.frame, "rationale", rows.terminated)
    return rows, found, header.width


def read_ptp_xlsx(data: bytes, name: str) -> pl.DataFrame:
    """Read a PTP XLSX workbook (``ccipra-v322r0-f1.xlsx``) into :data:`SCHEMA` columns.

    Raises:
        EditFileFormatError: anything malformed; ``line`` is the sheet row number.
    """
    sheet = read_sheet(data, name, _FIELDS, _ANCHORS, continuation=_WRAPPED)
    frame = sheet.frame.with_columns(
        iso_to_yyyymmdd(pl.col(c)).alias(c) for c in ("effective", "deletion")
    )
    return _finish(frame, name, sheet.line_of, [], sheet.width)[0]


#: The columns :func:`parse_ptp_txt` leaves Categorical (String from the other readers).
_TEXT = ("column1", "column2", "rationale")


def _finish(
    raw: pl.DataFrame,
    name: str,
    line_of: Callable[[int], int],
    found: Sequence[Failure],
    width: int,
) -> tuple[pl.DataFrame, dict[str, Distinct]]:
    """Check the raw columns and convert them, each through its distinct values."""
    seen = distinct_columns(raw, _RAW)
    effective = seen["effective"].each(
        lambda v: v.cast(pl.Int32, strict=False).fill_null(0)
    )
    # a bad date becomes 0 (effective) or open (deletion): its own rule reports it, and
    # the effective-after-deletion rule cannot fire on it
    deletion = seen["deletion"].each(
        lambda v: (
            pl.when(v == "*")
            .then(pl.lit(OPEN_DELETION, pl.Int32))
            .otherwise(v.cast(pl.Int32, strict=False))
            .fill_null(OPEN_DELETION)
        )
    )
    indicator = seen["indicator"].each(
        lambda v: v.cast(pl.UInt8, strict=False).fill_null(0)
    )
    checked = raw.with_columns(
        pl.Series("_effective", effective),
        pl.Series("_deletion", deletion),
        pl.Series("_indicator", indicator),
    )
    check_rows(checked, _RULES, width, name, line_of, found, seen)
    frame = pl.DataFrame(
        {
            "column1": raw["column1"],
            "column2": raw["column2"],
            "pre_1996": seen["pre_1996"].each(lambda v: v == "*"),
            "effective": effective,
            "deletion": deletion,
            "indicator": indicator,
            "rationale": raw["rationale"],
        },
        schema={**SCHEMA, **{c: raw[c].dtype for c in _TEXT}},
    )
    return frame, {c: seen[c] for c in _TEXT}
