"""Physician fee schedule relative value file: ``PPRRVUyy_MON.csv`` (indicators only).

Source: CMS, "PFS Relative Value Files" (``RVUyyA``-``D`` zips, released for January,
April, July and October), domain.md §6.4. fluorocode needs four indicators per code and
modifier: status, PC/TC indicator and global days (domain.md §1.1, §10.4).

**Assumed layout.** We hold no real PPRRVU file, so the layout below is assembled from
what we could check, and the reader is deliberately tolerant where those sources differ:

- domain.md §6.4 (S2 SOURCES.md): a CSV with about ten preamble lines (title, AMA notice)
  before the real header; since 2026 nonQPP/QPP variants that add a conversion-factor
  column; the DESCRIPTION column is AMA text.
- Public loaders of the real file name the header cells ``HCPCS, MOD, DESCRIPTION,
  STATUS CODE, NOT USED FOR MEDICARE PAYMENT, WORK RVU, NON-FAC PE RVU, NON-FAC NA
  INDICATOR, FACILITY PE RVU, FACILITY NA INDICATOR, MP RVU, NON-FACILITY TOTAL, FACILITY
  TOTAL, PCTC IND, GLOB DAYS, PRE OP, INTRA OP, POST OP, MULT PROC, BILAT SURG, ASST SURG,
  CO-SURG, TEAM SURG, ENDO BASE, CONV FACTOR, PHYSICIAN SUPERVISION OF DIAGNOSTIC
  PROCEDURES, CALCULATION FLAG, DIAGNOSTIC IMAGING FAMILY INDICATOR, ...OPPS PAYMENT
  AMOUNT`` (northstar ``data-raw/pfs_rvu_file.R`` reads ``PPRRVU24_JAN.xlsx`` with the
  header on the tenth row; a Go loader, package ``cmsrvu``, tags its CSV fields with the
  same names; a Node script for ``PPRRVU2026_Oct_QPP.csv`` finds the header on line 10).

So: Latin-1 CSV (quoted cells, as descriptions contain commas), title/notice rows, then
one header row found by meaning (the first row with an ``HCPCS`` and a ``MOD`` cell;
cells may hold line breaks), then one row per code and modifier. Only five columns are
read -- HCPCS, MOD, STATUS CODE, PCTC IND, GLOB DAYS -- and every other column, whatever
its name, is ignored. **DESCRIPTION is never kept**: it is not even copied into the
frame (AMA text, domain.md §10.6). The fixed-width ``PPRRVU*.txt`` variant is not read.

**Output** (all String, rows in file order): ``code``, ``modifier`` (``""`` = none, else
``26``, ``TC``, ``53``...), ``status`` (one letter, e.g. ``A``), ``pctc`` (one digit 0-9),
``global_days`` (``000``/``010``/``090`` or ``MMM``/``XXX``/``YYY``/``ZZZ``).

**Refused** (:class:`~fluorocode.errors.EditFileFormatError`, first bad line, column): a
malformed code or modifier; a status that is not one letter; a PC/TC indicator that is
not one digit; an unknown global period; a row with fewer cells than the header or text
past it; a blank row inside the data; an unclosed quote; a missing column; an empty or
header-only file; a file that is not Latin-1 text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from fluorocode.adapters.cms._common import (
    Field,
)
from fluorocode.adapters.cms._rules import (
    Failure,
    Rule,
    ValueRule,
    check_rows,
    code_rule,
)
from fluorocode.adapters.cms._sheet import read_sheet
from fluorocode.adapters.cms._text import read_csv_table

__all__ = ["SCHEMA", "read_pfs_csv", "read_pfs_xlsx"]

#: The columns and dtypes every PFS reader returns.
SCHEMA = {
    "code": pl.String,
    "modifier": pl.String,
    "status": pl.String,
    "pctc": pl.String,
    "global_days": pl.String,
}

_FIELDS = (
    Field("code", "HCPCS", lambda n: n.startswith("hcpcs") and "mod" not in n),
    Field("modifier", "MOD", lambda n: n in ("mod", "modifier")),
    Field("status", "STATUS CODE", lambda n: n.startswith("status")),
    Field("pctc", "PCTC IND", lambda n: n.startswith("pctc")),
    Field("global_days", "GLOB DAYS", lambda n: n.startswith("glob")),
)
_ANCHORS = ("code", "modifier")


def _pattern_rule(column: str, pattern: str, reason: str) -> ValueRule:
    return ValueRule(column, column, lambda v: ~v.str.contains(pattern), reason)


_RULES: tuple[Rule, ...] = (
    code_rule("code", "HCPCS"),
    _pattern_rule(
        "modifier",
        r"^(?:[0-9A-Z]{2})?$",
        "modifier {modifier!r} is not 2 characters 0-9/A-Z",
    ),
    _pattern_rule("status", r"^[A-Z]$", "status code {status!r} is not one letter"),
    _pattern_rule("pctc", r"^[0-9]$", "PC/TC indicator {pctc!r} is not one digit"),
    _pattern_rule(
        "global_days",
        r"^(?:\d{3}|MMM|XXX|YYY|ZZZ)$",
        "global days {global_days!r} is not 000-999, MMM, XXX, YYY or ZZZ",
    ),
)


def read_pfs_csv(data: bytes, name: str) -> pl.DataFrame:
    """Read a PPRRVU CSV (``PPRRVU24_JUL.csv``) into :data:`SCHEMA` columns.

    Args:
        data: the file's bytes, as published (Latin-1).
        name: display name for errors (``archive.zip!member.csv`` inside a zip).

    Raises:
        EditFileFormatError: anything malformed; see the module docstring.
    """
    table = read_csv_table(data, name, _FIELDS, _ANCHORS, allow_unknown=True)
    return _finish(table.frame, name, table.line_of, table.found, table.width)


def read_pfs_xlsx(data: bytes, name: str) -> pl.DataFrame:
    """Read a PPRRVU XLSX workbook; ``line`` in errors is the sheet row number.

    Raises:
        EditFileFormatError: anything malformed; see the module docstring.
    """
    sheet = read_sheet(data, name, _FIELDS, _ANCHORS, allow_unknown=True)
    return _finish(sheet.frame, name, sheet.line_of, [], sheet.width)


def _finish(
    raw: pl.DataFrame,
    name: str,
    line_of: Callable[[int], int],
    found: Sequence[Failure],
    width: int,
) -> pl.DataFrame:
    check_rows(raw, _RULES, width, name, line_of, found)
    return raw.select(list(SCHEMA))
