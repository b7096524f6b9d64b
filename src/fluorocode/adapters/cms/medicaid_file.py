"""Medicaid NCCI edit files (PTP and MUE), read by their column headers.

Source and uncertainty: ``docs/medicaid.md``. CMS publishes the Medicaid files as one zip
per table and setting (``medicaid-ncci-2026-q3-ptp-edits-practitioner-services.zip``);
public code that loads them reads one TAB-separated text file per zip with a few title and
notice lines above the header. The exact member names and byte layout are not documented
in a source we could read whole, so nothing here counts lines or positions: the header is
found by content and every column is recognised by its name (``_common.find_header``),
and anything else is refused with file, line and column.

**PTP** (TAB-separated TXT, or XLSX). Columns, in any order:

===============================  ========================================  ==========
header (folded, examples)        output                                    required
===============================  ========================================  ==========
``Column 1`` / ``Col1``          ``column1``                               yes
``Column 2`` / ``Col2``          ``column2``                               yes
``*=in existence prior to 1996``  ``pre_1996`` (``*`` or empty)            no
``Effective Date`` / ``EffDt``   ``effective``                             yes
``Deletion Date`` / ``DelDt``    ``deletion`` (empty or ``*``: active)     yes
``Modifier Indicator``           ``indicator`` (0, 1, 9)                   yes
``PTP Edit Rationale``           ``rationale``                             yes
===============================  ========================================  ==========

Dates may be written ``YYYYMMDD`` (as Medicare's), Julian ``YYYYDDD`` (the Medicaid
edit design manual's format for the state files), ``MM/DD/YYYY``, or as XLSX date cells;
each value is read by its shape, which no two formats share. The output is exactly
``ptp_file.SCHEMA`` (``pre_1996`` False where the column is absent), so the compiler
treats a Medicaid table like a Medicare one; the checks are Medicare's (``ptp_file``:
codes, indicator, effective not after deletion except for indicator 9, a non-empty
rationale, a truncated last line).

**MUE** (TAB-separated or comma-separated text, told apart by the header line, or XLSX):
``HCPCS/CPT Code`` and ``... MUE Values`` (required), ``MUE Rationale`` and ``MUE
Adjudication Indicator`` (optional). The public Medicaid MUE files carry no adjudication
indicator: Medicaid MUEs are claim-line edits (docs/medicaid.md), so a file without the
column gets MAI 1 (line) on every row; one with it is read as Medicare's. Output:
``mue_file.SCHEMA``. Refused as Medicare's (``mue_file``), plus a code listed twice
with different values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta

import numpy as np
import polars as pl

from fluorocode.adapters.cms import mue_file, ptp_file
from fluorocode.adapters.cms._common import Field, utf8_bytes
from fluorocode.adapters.cms._distinct import Distinct, distinct_columns
from fluorocode.adapters.cms._rules import (
    MAX_YEAR,
    MIN_YEAR,
    Failure,
    Rule,
    ValueRule,
    check_rows,
    code_rule,
)
from fluorocode.adapters.cms._sheet import read_sheet
from fluorocode.adapters.cms._text import (
    head_rows,
    read_csv_table,
)

__all__ = [
    "parse_medicaid_ptp_txt",
    "read_medicaid_mue_text",
    "read_medicaid_mue_xlsx",
    "read_medicaid_ptp_xlsx",
    "yyyymmdd_of",
]

OPEN_DELETION = ptp_file.OPEN_DELETION


def _is_column(n: str, k: str) -> bool:
    other = "2" if k == "1" else "1"
    return n.startswith((f"column{k}", f"col{k}")) and f"column{other}" not in n


_PTP_FIELDS = (
    Field("column1", "Column 1", lambda n: _is_column(n, "1")),
    Field("column2", "Column 2", lambda n: _is_column(n, "2")),
    Field(
        "pre_1996",
        "*=in existence prior to 1996",
        lambda n: "1996" in n or "exist" in n,
        required=False,
    ),
    Field("effective", "Effective Date", lambda n: n.startswith(("effective", "eff"))),
    Field("deletion", "Deletion Date", lambda n: n.startswith(("deletion", "del"))),
    Field("indicator", "Modifier Indicator", lambda n: n.startswith("modifier")),
    Field("rationale", "PTP Edit Rationale", lambda n: "rationale" in n),
)
_PTP_ANCHORS = ("column1", "column2")
_WRAPPED = 5  # continuation rows allowed under a wrapped header (Medicare wraps on 3)

_MUE_FIELDS = (
    Field("code", "HCPCS/CPT Code", lambda n: "hcpcs" in n or n.endswith("cptcode")),
    Field(
        "value",
        "MUE Values",
        lambda n: "value" in n and "adjudication" not in n,
    ),
    Field(
        "mai",
        "MUE Adjudication Indicator",
        lambda n: "adjudication" in n or n == "mai",
        required=False,
    ),
    Field("rationale", "MUE Rationale", lambda n: "rationale" in n, required=False),
)
_MUE_ANCHORS = ("code", "value")

_MDY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?: 00:00:00)?")


def yyyymmdd_of(text: str) -> int | None:
    """A date written ``YYYYMMDD``, Julian ``YYYYDDD``, ``MM/DD/YYYY`` or ISO (an XLSX
    date cell) as an int ``YYYYMMDD``; None when it is none of these or no real date."""
    t = text.strip()
    try:
        if re.fullmatch(r"\d{8}", t):
            day = date(int(t[:4]), int(t[4:6]), int(t[6:]))
        elif re.fullmatch(r"\d{7}", t):
            ordinal = int(t[4:])
            if ordinal < 1:
                return None
            day = date(int(t[:4]), 1, 1) + timedelta(days=ordinal - 1)
            if day.year != int(t[:4]):
                return None  # day 366 of a common year
        elif (m := _MDY.fullmatch(t)) is not None:
            day = date(int(m[3]), int(m[1]), int(m[2]))
        elif (m := _ISO.fullmatch(t)) is not None:
            day = date(int(m[1]), int(m[2]), int(m[3]))
        else:
            return None
    except ValueError:
        return None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        return None
    return day.year * 10000 + day.month * 100 + day.day


def _dates(view: Distinct, *, open_ok: bool) -> tuple[np.ndarray, list[str]]:
    """Per row the date as YYYYMMDD (``OPEN_DELETION`` for an open deletion, 0 for a
    bad value), and the distinct values that are not dates (few: checked in Python)."""
    out: list[int] = []
    bad: list[str] = []
    for value in view.values.to_list():
        if open_ok and value.strip() in ("", "*"):
            out.append(OPEN_DELETION)
            continue
        parsed = yyyymmdd_of(value)
        if parsed is None:
            bad.append(value)
        out.append(parsed or (OPEN_DELETION if open_ok else 0))
    return view.spread(np.asarray(out, dtype=np.int32)), bad


def _ptp_rules(bad_effective: list[str], bad_deletion: list[str]) -> tuple[Rule, ...]:
    date_forms = "YYYYMMDD, Julian YYYYDDD or MM/DD/YYYY"
    return (
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
            lambda v: v.is_in(bad_effective),
            f"effective date {{effective!r}} is not a real date written {date_forms}",
        ),
        ValueRule(
            "deletion",
            "deletion",
            lambda v: v.is_in(bad_deletion),
            "deletion date {deletion!r} is neither empty, '*' nor a real date written "
            + date_forms,
        ),
        *ptp_file.INDICATOR_AND_RATIONALE_RULES,
    )


_TEXT = ("column1", "column2", "rationale")


def parse_medicaid_ptp_txt(
    data: bytes, name: str
) -> tuple[pl.DataFrame, dict[str, Distinct]]:
    """A Medicaid PTP TXT file as ``ptp_file.SCHEMA`` columns (codes and rationale
    Categorical, with their :class:`Distinct` views for the compiler, as
    ``ptp_file.parse_ptp_txt``).

    Raises:
        EditFileFormatError: anything malformed; see the module docstring.
    """
    rows, found, width = ptp_file.tab_rows(data, name, _PTP_FIELDS, _PTP_ANCHORS)
    return _finish_ptp(rows.frame, name, rows.line_of, found, width)


def read_medicaid_ptp_xlsx(data: bytes, name: str) -> pl.DataFrame:
    """A Medicaid PTP workbook as ``ptp_file.SCHEMA``; ``line`` is the sheet row.

    Raises:
        EditFileFormatError: anything malformed; see the module docstring.
    """
    sheet = read_sheet(data, name, _PTP_FIELDS, _PTP_ANCHORS, continuation=_WRAPPED)
    frame, _ = _finish_ptp(sheet.frame, name, sheet.line_of, [], sheet.width)
    return frame.with_columns(pl.col(c).cast(pl.String) for c in _TEXT)


def _finish_ptp(
    raw: pl.DataFrame,
    name: str,
    line_of: Callable[[int], int],
    found: Sequence[Failure],
    width: int,
) -> tuple[pl.DataFrame, dict[str, Distinct]]:
    if "pre_1996" not in raw.columns:
        raw = raw.with_columns(pl.lit("", pl.String).alias("pre_1996"))
    seen = distinct_columns(raw, tuple(ptp_file.SCHEMA))
    effective, bad_effective = _dates(seen["effective"], open_ok=False)
    deletion, bad_deletion = _dates(seen["deletion"], open_ok=True)
    indicator = seen["indicator"].each(
        lambda v: v.cast(pl.UInt8, strict=False).fill_null(0)
    )
    checked = raw.with_columns(
        pl.Series("_effective", effective),
        pl.Series("_deletion", deletion),
        pl.Series("_indicator", indicator),
    )
    rules = _ptp_rules(bad_effective, bad_deletion)
    check_rows(checked, rules, width, name, line_of, found, seen)
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
        schema={**ptp_file.SCHEMA, **{c: raw[c].dtype for c in _TEXT}},
    )
    return frame, {c: seen[c] for c in _TEXT}


def read_medicaid_mue_text(data: bytes, name: str) -> pl.DataFrame:
    """A Medicaid MUE text file (TAB- or comma-separated) as ``mue_file.SCHEMA``.

    Raises:
        EditFileFormatError: anything malformed; see the module docstring.
    """
    head = head_rows(utf8_bytes(data, name))
    delimiter = "\t" if any(len(cells) > 1 for cells in head.cells) else ","
    table = read_csv_table(
        data,
        name,
        _MUE_FIELDS,
        _MUE_ANCHORS,
        tail_column="rationale",
        delimiter=delimiter,
    )
    return _finish_mue(table.frame, name, table.line_of, table.found, table.width)


def read_medicaid_mue_xlsx(data: bytes, name: str) -> pl.DataFrame:
    """A Medicaid MUE workbook as ``mue_file.SCHEMA``; ``line`` is the sheet row.

    Raises:
        EditFileFormatError: anything malformed; see the module docstring.
    """
    sheet = read_sheet(data, name, _MUE_FIELDS, _MUE_ANCHORS)
    return _finish_mue(sheet.frame, name, sheet.line_of, [], sheet.width)


def _finish_mue(
    raw: pl.DataFrame,
    name: str,
    line_of: Callable[[int], int],
    found: Sequence[Failure],
    width: int,
) -> pl.DataFrame:
    # no MAI column: Medicaid MUEs are claim-line edits (MAI 1); see the module doc
    if "mai" not in raw.columns:
        raw = raw.with_columns(pl.lit("1", pl.String).alias("mai"))
    if "rationale" not in raw.columns:
        raw = raw.with_columns(pl.lit("", pl.String).alias("rationale"))
    check_rows(raw, mue_file.RULES, width, name, line_of, found)
    frame = raw.select(
        pl.col("code"),
        pl.col("value").cast(pl.Int32),
        pl.col("mai").str.slice(0, 1).cast(pl.UInt8),
        pl.col("rationale"),
    )
    mue_file.refuse_conflicts(frame, name, line_of)
    return frame
