"""XLSX workbooks as String columns, with sheet row numbers (private).

CMS ships each table as XLSX too (domain.md §6.1 XLSX, §6.2, §6.3): title/notice rows
above the header, header cells holding line breaks. The workbook is read with fastexcel
(calamine) from the bytes, every cell as text (numbers keep their digits:
``20220101`` stays ``"20220101"``); empty cells become ``""``. The first sheet whose first
rows hold the header is used. Rows are numbered as Excel numbers them (1-based), which is
what an error's ``line`` means for an XLSX file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import fastexcel
import polars as pl

from fluorocode.adapters.cms._common import (
    MAX_PREAMBLE_ROWS,
    Field,
    fail,
    find_header,
    header_start,
)


@dataclass(frozen=True, slots=True)
class SheetRows:
    """The data rows under the header: one String column per field, plus ``_extra``.

    ``_extra`` gathers any text in columns without a header. :meth:`line_of` maps a data
    row index to its Excel row number; ``width`` is the header's width in cells.
    """

    frame: pl.DataFrame
    first_line: int
    width: int

    def line_of(self, row: int) -> int:
        """The Excel row number of data row ``row``."""
        return self.first_line + row


def _sheets(data: bytes, name: str) -> list[pl.DataFrame]:
    if not data.startswith(b"PK\x03\x04"):
        fail(name, "not an XLSX workbook (no zip signature)", line=1)
    try:
        reader = fastexcel.read_excel(data)
        sheets = [
            reader.load_sheet(
                i, header_row=None, skip_rows=0, dtypes="string"
            ).to_polars()
            for i in range(len(reader.sheet_names))
        ]
    except Exception as exc:  # fastexcel/calamine raise many unrelated types
        fail(name, f"cannot read the workbook: {exc}")
    return [s.select(pl.all().cast(pl.String).fill_null("")) for s in sheets]


def read_sheet(
    data: bytes,
    name: str,
    fields: Sequence[Field],
    anchors: Sequence[str],
    *,
    continuation: int = 0,
    allow_unknown: bool = False,
) -> SheetRows:
    """Find the table in a workbook and return its data rows (see the module doc).

    Raises:
        EditFileFormatError: not a workbook, no sheet with the header, a column missing.
    """
    for sheet in _sheets(data, name):
        head = [
            list(r) for r in sheet.head(MAX_PREAMBLE_ROWS + continuation + 1).rows()
        ]
        if header_start(head, fields, anchors) is None:
            continue
        header = find_header(
            head,
            fields,
            anchors,
            name,
            lambda i: i + 1,
            continuation=continuation,
            allow_unknown=allow_unknown,
        )
        body = sheet.slice(header.end)
        nonblank = body.select(
            pl.any_horizontal(pl.all().str.strip_chars() != "").alias("x")
        )["x"]
        filled = nonblank.arg_true()
        body = body.head(int(filled[-1]) + 1 if len(filled) else 0)
        cols = body.columns
        named = {cols[pos]: f for f, pos in header.positions.items()}
        pads = header.names()
        spare = [
            c for k, c in enumerate(cols) if k >= header.width or pads[k][:4] == "_pad"
        ]
        frame = body.select(
            *(pl.col(c).str.strip_chars().alias(f) for c, f in named.items()),
            pl.concat_str([pl.col(c).str.strip_chars() for c in spare]).alias("_extra")
            if spare
            else pl.lit("", pl.String).alias("_extra"),
        )
        return SheetRows(frame, first_line=header.end + 1, width=header.width)
    labels = ", ".join(repr(f.label) for f in fields if f.name in anchors)
    fail(name, f"no sheet has a header row naming {labels}", line=None)


def iso_to_yyyymmdd(text: pl.Expr) -> pl.Expr:
    """A date cell read as ``2024-01-02 00:00:00`` -> ``20240102``; other text unchanged."""
    iso = text.str.contains(r"^\d{4}-\d{2}-\d{2}(?: 00:00:00)?$")
    return (
        pl.when(iso)
        .then(text.str.slice(0, 10).str.replace_all("-", ""))
        .otherwise(text)
    )
