"""Add-on code (AOC) edit tables: ``AOC_V2024Q2-MCR.txt``, ``AOC_V2025Q4_01-MCR.xlsx``.

Source: CMS, "Medicare NCCI Add-on Code Edits" (domain.md §6.3; column names as public
loaders derive them from the CMS XLSX: northstar ``data-raw/ncci.R``, S1). CMS publishes
an XLSX and a TAB-separated TXT with one header row. The exact header spelling is not
pinned down by any source we hold, so headers are matched by meaning:

==========================  ==========================  ==========================
column (meaning)            recognised by (folded)      output
==========================  ==========================  ==========================
Add-On Code                 "addon", no date word       ``addon`` (String)
Primary Code                "primary", no date word     ``primary`` (String;
                                                        ``CCCCC`` = MAC-defined)
AOC Edit Type               "type", no date word        ``edit_type`` (UInt8 1/2/3)
Special Instruction Notes   "note"/"instruction"        not kept (optional column)
AOC Del Dt (Julian)         date word, "del", no        validated, not kept
                            "primary"/"edit"
Primary Code Del Dt         date word, "del", "primary" validated, not kept
AOC Edit Eff Dt (Julian)    date word, "eff"            ``effective`` (Int32)
AOC Edit Del Dt (Julian)    date word, "del", "edit"    ``deletion`` (Int32)
==========================  ==========================  ==========================

"Date word" = the folded header contains ``dt``, ``date`` or ``julian``. Dates are Julian
``YYYYDDD`` (day of the year), unlike PTP's YYYYMMDD; they are returned as Int32
YYYYMMDD, and an empty date is null (no date: in force from the start / not deleted).
The code deletion dates of the add-on and the primary are checked but not returned:
``deletion`` is the edit's own deletion date.

**Refused** (:class:`~fluorocode.errors.EditFileFormatError`, first bad line, column): a
malformed add-on or primary code; an edit type other than 1/2/3; an impossible Julian date
(2024400, 2023366); an edit effective after its deletion; too few fields or text past the
last column; a missing or unknown column; an empty or header-only file; a file that is
not Latin-1 text. Rows come back in file order, duplicates kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from fluorocode.adapters.cms._common import Field, find_header, utf8_bytes
from fluorocode.adapters.cms._rules import (
    Failure,
    RowRule,
    Rule,
    ValueRule,
    check_rows,
    code_rule,
    is_julian,
    julian_to_yyyymmdd,
)
from fluorocode.adapters.cms._sheet import read_sheet
from fluorocode.adapters.cms._text import head_rows, read_tab_rows

__all__ = ["SCHEMA", "read_aoc_txt", "read_aoc_xlsx"]

#: The columns and dtypes every AOC reader returns.
SCHEMA = {
    "addon": pl.String,
    "primary": pl.String,
    "edit_type": pl.UInt8,
    "effective": pl.Int32,
    "deletion": pl.Int32,
}


def _dated(n: str) -> bool:
    return "dt" in n or "date" in n or "julian" in n


_FIELDS = (
    Field("addon", "Add-On Code", lambda n: "addon" in n and not _dated(n)),
    Field("primary", "Primary Code", lambda n: "primary" in n and not _dated(n)),
    Field("edit_type", "AOC Edit Type", lambda n: "type" in n and not _dated(n)),
    Field(
        "notes",
        "Special Instruction Notes",
        lambda n: ("note" in n or "instruction" in n) and not _dated(n),
        required=False,
    ),
    Field(
        "addon_deletion",
        "AOC Del Dt",
        lambda n: _dated(n) and "del" in n and "primary" not in n and "edit" not in n,
        required=False,
    ),
    Field(
        "primary_deletion",
        "Primary Code Del Dt",
        lambda n: _dated(n) and "del" in n and "primary" in n,
        required=False,
    ),
    Field("effective", "AOC Edit Eff Dt", lambda n: _dated(n) and "eff" in n),
    Field(
        "deletion",
        "AOC Edit Del Dt",
        lambda n: _dated(n) and "del" in n and "edit" in n,
    ),
)
_ANCHORS = ("addon", "primary")
_DATES = {
    f.name: f.label for f in _FIELDS if f.name.endswith(("deletion", "effective"))
}


def read_aoc_txt(data: bytes, name: str) -> pl.DataFrame:
    """Read an AOC TXT file (TAB-separated, one header row) into :data:`SCHEMA`.

    Args:
        data: the file's bytes, as published (Latin-1).
        name: display name for errors (``archive.zip!member.txt`` inside a zip).

    Raises:
        EditFileFormatError: anything malformed; see the module docstring.
    """
    text = utf8_bytes(data, name)
    head = head_rows(text)
    header = find_header(head.cells, _FIELDS, _ANCHORS, name, lambda i: i + 1)
    names = header.names()
    rows = read_tab_rows(
        text, head.offsets[header.end], header.end, names, name, last_never_empty=False
    )
    frame = rows.frame.with_columns(pl.col(n).str.strip_chars() for n in names)
    return _finish(frame, header.width, name, rows.line_of, rows.failures)


def read_aoc_xlsx(data: bytes, name: str) -> pl.DataFrame:
    """Read an AOC XLSX workbook; ``line`` in errors is the sheet row number.

    Raises:
        EditFileFormatError: anything malformed; see the module docstring.
    """
    sheet = read_sheet(data, name, _FIELDS, _ANCHORS)
    return _finish(sheet.frame, sheet.width, name, sheet.line_of, [])


def _finish(
    raw: pl.DataFrame,
    width: int,
    name: str,
    line_of: Callable[[int], int],
    found: Sequence[Failure],
) -> pl.DataFrame:
    dates = [d for d in _DATES if d in raw.columns]
    rules: list[Rule] = [
        code_rule("addon", "add-on code"),
        code_rule("primary", "primary code"),
        ValueRule(
            "edit_type",
            "edit_type",
            lambda v: ~v.is_in(["1", "2", "3"]),
            "AOC edit type {edit_type!r} is not 1, 2 or 3",
        ),
    ]
    for d in dates:
        rules.append(
            ValueRule(
                d,
                d,
                lambda v: (v != "") & ~is_julian(v),
                f"{_DATES[d]} {{{d}!r}} is not a real Julian date (YYYYDDD)",
            )
        )
    df = raw.with_columns(julian_to_yyyymmdd(pl.col(d)).alias(f"_{d}") for d in dates)
    rules.append(
        RowRule(
            "deletion",
            pl.col("_effective") > pl.col("_deletion"),
            "the edit's effective date {effective} is after its deletion date {deletion}",
        )
    )
    check_rows(df, rules, width, name, line_of, found)
    return df.select(
        pl.col("addon"),
        pl.col("primary"),
        pl.col("edit_type").cast(pl.UInt8),
        pl.col("_effective").alias("effective"),
        pl.col("_deletion").alias("deletion"),
    )
