"""Medically unlikely edit (MUE) tables: ``MCR_MUE_<Setting>Services_Eff_MM-DD-YYYY``.

Source: CMS, "Medicare NCCI Medically Unlikely Edits", practitioner, outpatient hospital
and DME supplier tables (domain.md §6.2, from the real 2026 Q3 practitioner excerpt, S2,
and the northstar loader, S1). The effective date is only in the file name
(``filenames.identify``); rows carry none.

**CSV layout** (Latin-1; records end in CRLF, line breaks inside quoted cells are LF):

1. one quoted AMA notice cell spanning several lines, then ``,,,``;
2. the header ``"HCPCS/\\nCPT Code",<Setting> Services MUE Values,MUE Adjudication
   Indicator,MUE Rationale`` -- the first cell holds a line break, and the value column
   is named after the setting (Practitioner / Outpatient Hospital / DME Supplier);
3. rows ``0001U,1,2 Date of Service Edit: Policy,Code Descriptor / CPT Instruction``:
   the MAI number and its label share one field.

The file is read with a real CSV parser (quoted line breaks). The header is the first
record naming a code column and a value column; all its cells are matched by meaning
(case, spacing, punctuation and line breaks ignored), so the notice needs no fixed skip
and the three settings' value headers are all recognised. **XLSX**: the
same columns under title/notice rows, header cells with line breaks.

**Output** (rows in file order): ``code`` (String), ``value`` (Int32, >= 0), ``mai``
(UInt8 1/2/3, the leading number of the MAI text), ``rationale`` (String, may be empty).

**Refused** (:class:`~fluorocode.errors.EditFileFormatError`, first bad line, column): a
malformed code; a value that is negative, not a whole number or too large; an MAI text
not starting with 1, 2 or 3; a record with too few fields or text past the last column;
a blank record inside the data; an unclosed quote; a code listed twice with different
values or MAIs (issue 8: the error names both lines; a CMS MUE table holds one row per
code -- none of the three real 2024 Q3 tables repeats a code -- so there is no rule for
which would win; a repeat of the same value and MAI is harmless and kept); a last
record without its line break whose rationale occurs nowhere else (truncated); a missing
or unknown column; an empty or header-only file; a file that is not Latin-1 text. A CSV
``line`` is the first physical line of the record.

Medicaid MUE files: their public layout is not documented (domain.md §2), so their zips
are refused by ``archive.iter_members`` rather than read with a guessed layout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from fluorocode.adapters.cms._common import Field, fail
from fluorocode.adapters.cms._rules import (
    Failure,
    Rule,
    ValueRule,
    check_rows,
    code_rule,
)
from fluorocode.adapters.cms._sheet import read_sheet
from fluorocode.adapters.cms._text import read_csv_table

__all__ = ["SCHEMA", "read_mue_csv", "read_mue_xlsx", "refuse_conflicts"]

#: The columns and dtypes every MUE reader returns.
SCHEMA = {"code": pl.String, "value": pl.Int32, "mai": pl.UInt8, "rationale": pl.String}

_FIELDS = (
    Field("code", "HCPCS/CPT Code", lambda n: "hcpcs" in n or n.endswith("cptcode")),
    Field(
        "value",
        "Services MUE Values",
        lambda n: "value" in n and "adjudication" not in n,
    ),
    Field(
        "mai", "MUE Adjudication Indicator", lambda n: "adjudication" in n or n == "mai"
    ),
    Field("rationale", "MUE Rationale", lambda n: "rationale" in n),
)
_ANCHORS = ("code", "value")

#: The row checks of an MUE table (shared with the Medicaid reader).
RULES: tuple[Rule, ...] = (
    code_rule("code", "HCPCS/CPT code"),
    ValueRule(
        "value",
        "value",
        lambda v: v.str.contains(r"^-\d+$"),
        "MUE value {value} is negative",
    ),
    ValueRule(
        "value",
        "value",
        lambda v: ~v.str.contains(r"^\d+$"),
        "MUE value {value!r} is not a whole number",
    ),
    ValueRule(
        "value",
        "value",
        lambda v: v.cast(pl.Int32, strict=False).is_null(),
        "MUE value {value!r} is too large",
    ),
    ValueRule(
        "mai",
        "mai",
        lambda v: ~v.str.contains(r"^[123](?:\s|$)"),
        "MUE adjudication indicator {mai!r} does not start with 1, 2 or 3",
    ),
)


def read_mue_csv(data: bytes, name: str) -> pl.DataFrame:
    """Read an MUE CSV (``MCR_MUE_PractitionerServices_Eff_07-01-2026.csv``).

    Args:
        data: the file's bytes, as published (Latin-1).
        name: display name for errors (``archive.zip!member.csv`` inside a zip).

    Raises:
        EditFileFormatError: anything malformed; see the module docstring.
    """
    table = read_csv_table(data, name, _FIELDS, _ANCHORS, tail_column="rationale")
    return _finish(table.frame, name, table.line_of, table.found, table.width)


def read_mue_xlsx(data: bytes, name: str) -> pl.DataFrame:
    """Read an MUE XLSX workbook; ``line`` in errors is the sheet row number.

    Raises:
        EditFileFormatError: anything malformed; see the module docstring.
    """
    sheet = read_sheet(data, name, _FIELDS, _ANCHORS)
    return _finish(sheet.frame, name, sheet.line_of, [], sheet.width)


def _finish(
    raw: pl.DataFrame,
    name: str,
    line_of: Callable[[int], int],
    found: Sequence[Failure],
    width: int,
) -> pl.DataFrame:
    check_rows(raw, RULES, width, name, line_of, found)
    frame = raw.select(
        pl.col("code"),
        pl.col("value").cast(pl.Int32),
        pl.col("mai").str.slice(0, 1).cast(pl.UInt8),
        pl.col("rationale"),
    )
    refuse_conflicts(frame, name, line_of)
    return frame


def refuse_conflicts(
    frame: pl.DataFrame, name: str, line_of: Callable[[int], int]
) -> None:
    """Raise for the first row repeating an earlier row's code with another value/MAI.

    Raises:
        EditFileFormatError: naming both lines, the code and the two values.
    """
    repeated = frame["code"].is_duplicated()
    if not repeated.any():
        return
    rows = frame.with_row_index("_row").filter(repeated)
    first: dict[str, tuple[int, int, int]] = {}
    for row, code, value, mai in rows.select("_row", "code", "value", "mai").rows():
        seen = first.setdefault(code, (row, value, mai))
        if (seen[1], seen[2]) != (value, mai):
            fail(
                name,
                f"code {code} is listed twice with different edits: line "
                f"{line_of(seen[0])} has value {seen[1]}, MAI {seen[2]}; this line has "
                f"value {value}, MAI {mai} (a CMS MUE table has one row per code)",
                line=line_of(row),
                column="value",
            )
