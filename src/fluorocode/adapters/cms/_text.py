"""Rows of delimited text files with their physical line numbers (private).

- :func:`head_rows` splits the first lines of a TAB-separated file into cells, with the
  byte offset of each line, so the header can be found by content before the bulk parse.
- :func:`read_tab_rows` parses the data part with polars (quoting off: CMS TXT files are
  plain TAB-separated and a ``"`` inside a rationale is literal), all columns as String
  (or all as Categorical, for the PTP reader: ``_distinct``), one row per physical line,
  and checks the field count of every line. Fast path (PTP):
  polars reads exactly ``width`` columns and refuses a line with more fields; a line with
  fewer is padded with empty fields, so when the last column, never empty in valid data,
  has no empty value, every line had exactly ``width`` fields and nothing is counted.
  Otherwise TABs are counted per line with numpy to name the first short line, and the
  lines are re-read wide enough that any text past the header's last column is caught
  (trailing empty fields are fine: CMS pads lines with TABs).
- :func:`csv_records` reads a CSV with the standard csv module (quoted multi-line cells,
  as in the MUE notice and header, domain.md §6.2) and keeps each record's first physical
  line; :func:`frame_of_records` turns the data records into String columns (column by
  column, not record by record).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from fluorocode.adapters.cms._common import (
    MAX_PREAMBLE_ROWS,
    Field,
    Header,
    fail,
    find_header,
    text_of,
)
from fluorocode.adapters.cms._rules import Failure

_HEAD_BYTES = 1 << 16
Dtype = type[pl.DataType] | pl.DataType


@dataclass(frozen=True, slots=True)
class HeadRows:
    """The first lines of a TAB file: cells per line; ``offsets[i]`` is where line i
    starts (one more offset than lines: where the line after the last one starts)."""

    cells: list[list[str]]
    offsets: list[int]


def head_rows(data: bytes, limit: int = MAX_PREAMBLE_ROWS + 8) -> HeadRows:
    """Split the first ``limit`` lines of UTF-8 ``data`` on TABs."""
    chunk = data[:_HEAD_BYTES]
    lines = chunk.split(b"\n")
    if len(chunk) < len(data):
        lines.pop()  # cut mid-line by the chunk size
    elif lines and not lines[-1]:
        lines.pop()  # the empty string after the final line break
    lines = lines[:limit]
    offsets, at = [], 0
    for line in lines:
        offsets.append(at)
        at += len(line) + 1
    offsets.append(at)
    cells = [
        ln.rstrip(b"\r").decode("utf-8", errors="replace").split("\t") for ln in lines
    ]
    return HeadRows(cells=cells, offsets=offsets)


def _blank_tail_start(text: bytes) -> int:
    """Where the whitespace-only lines at the end begin (``len(text)`` when none)."""
    end = len(text)
    while end > 0:
        start = text.rfind(b"\n", 0, end - 1) + 1
        if text[start:end].strip():
            break
        end = start
    return end


@dataclass(frozen=True, slots=True)
class TabRows:
    """Parsed data lines: String columns named by the header, plus ``_extra``.

    ``_extra`` holds whatever stood past the header's last column ("" when nothing);
    ``failures`` names the first line with too few fields; ``terminated`` tells whether
    the last line ended with a line break.
    """

    frame: pl.DataFrame
    failures: list[Failure]
    terminated: bool
    text: bytes
    start: int
    first_line: int
    name: str

    def line_of(self, row: int) -> int:
        """The physical line of data row ``row`` (called only to report a failure)."""
        if self.frame.height == 0:
            return self.first_line
        lines = self.text.count(b"\n", self.start) + (0 if self.terminated else 1)
        if lines != self.frame.height:  # pragma: no cover - polars keeps every line
            fail(self.name, f"{self.frame.height} rows parsed from {lines} lines")
        return self.first_line + row


def _read(
    text: bytes, skip: int, names: Sequence[str], width: int, ragged: bool, dtype: Dtype
) -> pl.DataFrame:
    schema = {n: dtype if k < width else pl.String for k, n in enumerate(names)}
    return pl.read_csv(
        text,
        separator="\t",
        has_header=False,
        quote_char=None,
        skip_lines=skip,
        schema=schema,
        truncate_ragged_lines=ragged,
        missing_columns="insert" if ragged else "raise",
        empty_string_is_null=False,
        raise_if_empty=False,
    )


def _first_real(names: Sequence[str], k: int) -> str | None:
    return next((n for n in names[k:] if not n.startswith("_")), None)


def read_tab_rows(
    text: bytes,
    start: int,
    skip: int,
    names: Sequence[str],
    name: str,
    *,
    last_never_empty: bool,
    categorical: bool = False,
) -> TabRows:
    """Parse the data lines of a TAB-separated file (see the module docstring).

    Args:
        text: the whole file as UTF-8 bytes.
        start: byte offset of the first data line.
        skip: number of lines before it (title, notice and header lines).
        names: one column name per header position.
        name: the file's display name, for errors.
        last_never_empty: the last column is never empty in valid data (PTP rationale),
            which lets the fast path prove every field count without counting.
        categorical: parse the named columns as Categorical, not String: the parse
            then hashes every value once, for the checks and the compiler to share
            (``_distinct``); an empty cell is then null.
    """
    end = _blank_tail_start(text)
    if end < len(text):
        text = text[:end]
    terminated = text.endswith(b"\n")
    width = len(names)
    first_line = skip + 1
    dtype: Dtype = pl.Categorical if categorical else pl.String
    if end <= start:
        schema = {**dict.fromkeys(names, dtype), "_extra": pl.String}
        empty = pl.DataFrame(schema=schema)
        return TabRows(empty, [], terminated, text, start, first_line, name)
    if last_never_empty:
        try:
            df = _read(text, skip, names, width, ragged=False, dtype=dtype)
        except pl.exceptions.PolarsError:  # a line with more fields than the header
            pass
        else:
            last = df[names[-1]]
            if not (last.is_null() | (last == "")).any():  # nor one with fewer
                df = df.with_columns(pl.lit("", pl.String).alias("_extra"))
                return TabRows(df, [], terminated, text, start, first_line, name)
    arr = np.frombuffer(text, dtype=np.uint8, offset=start)
    ends = np.flatnonzero(arr == 10)
    if not terminated:
        ends = np.append(ends, arr.size)
    fields = np.diff(np.searchsorted(np.flatnonzero(arr == 9), ends), prepend=0) + 1
    spill = [f"_x{k}" for k in range(max(1, int(fields.max()) - width))]
    df = _read(text, skip, [*names, *spill], width, ragged=True, dtype=dtype)
    df = df.with_columns(pl.concat_str(spill).alias("_extra")).drop(spill)
    short = np.flatnonzero(fields < width)
    failures = []
    if short.size:
        row = int(short[0])
        first = df[names[0]][row] or ""  # null: an empty Categorical cell
        failures.append(_short(names, row, int(fields[row]), first, "line"))
    return TabRows(df, failures, terminated, text, start, first_line, name)


def _short(
    names: Sequence[str], row: int, count: int, first: str, unit: str
) -> Failure:
    """The failure of a row with ``count`` fields (``first`` the first) below the header's."""
    if count <= 1 and not first.strip():
        return Failure(row, names[0], f"a blank {unit} inside the data")
    if count == 1:
        return Failure(row, names[0], f"{first!r} is not a row of this table")
    reason = (
        f"{count} fields where the header has {len(names)}: the {unit} is cut short"
    )
    return Failure(row, _first_real(names, count), reason)


def truncated_tail(frame: pl.DataFrame, column: str, terminated: bool) -> list[Failure]:
    """Flag a last line that lacks its line break and looks cut mid-field.

    A file cut inside its last field (a truncated download) still parses; the tell is the
    missing line break. ``column`` holds one of a few fixed texts (PTP and MUE
    rationales), so a last value seen nowhere else in the file marks the cut.
    """
    if terminated or frame.height < 2 or column not in frame.columns:
        return []  # an optional column (Medicaid MUE rationale) may be absent
    values = frame[column].cast(pl.String).fill_null("")
    last = values[-1]
    if (values.head(frame.height - 1) == last).any():
        return []
    reason = (
        f"the file ends without a line break and the last {column} {last!r} appears "
        "nowhere else: the file looks truncated"
    )
    return [Failure(frame.height - 1, column, reason)]


def csv_records(
    text: str, name: str, delimiter: str = ","
) -> tuple[list[tuple[int, list[str]]], bool]:
    """Every CSV record with its first physical line, and whether the text ends a line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    done = 0
    try:
        for cells in reader:
            records.append((done + 1, cells))
            done = reader.line_num
    except csv.Error as exc:
        fail(
            name,
            f"malformed CSV ({exc}): an unclosed quote or a truncated file",
            done + 1,
        )
    while records and not "".join(records[-1][1]).strip():
        records.pop()
    return records, text.endswith(("\n", "\r"))


def frame_of_records(
    records: Sequence[tuple[int, list[str]]], header: Header
) -> tuple[pl.DataFrame, list[int], list[Failure]]:
    """String columns (stripped) of the data records, their lines, and short records.

    Only the header's fields are kept (the PFS DESCRIPTION is never among them); text in a
    column without header, or past the header, is gathered in ``_extra``.
    """
    names = header.names()
    width = len(names)
    lines = [line for line, _ in records]
    rows = [cells for _, cells in records]
    counts = [len(cells) for cells in rows]
    failures: list[Failure] = []
    short = next((r for r, n in enumerate(counts) if n < width), None)
    if short is not None:
        cells = rows[short]
        failures.append(
            _short(names, short, counts[short], cells[0] if cells else "", "row")
        )
    # column by column, not row by row: records padded to one width, then transposed
    wide = max([width, *counts])
    if any(n != wide for n in counts):
        rows = [c if len(c) == wide else c + [""] * (wide - len(c)) for c in rows]
    cells_at = list(zip(*rows, strict=True)) if rows else [()] * wide
    columns = {
        f: [c.strip() for c in cells_at[pos]]
        for f, pos in sorted(header.positions.items(), key=lambda kv: kv[1])
    }
    spare = [k for k in range(wide) if k >= width or names[k][:4] == "_pad"]
    stripped = [[c.strip() for c in cells_at[k]] for k in spare]
    extra = (
        ["".join(t) for t in zip(*stripped, strict=True)] if spare else [""] * len(rows)
    )
    schema = dict.fromkeys([*columns, "_extra"], pl.String)
    frame = pl.DataFrame({**columns, "_extra": extra}, schema=schema)
    return frame, lines, failures


@dataclass(frozen=True, slots=True)
class CsvTable:
    """The data rows of a CMS CSV under its header, with each row's physical line."""

    frame: pl.DataFrame
    lines: list[int]
    after: int  # the line just past the file, for a failure past the last row
    found: list[Failure]
    width: int

    def line_of(self, row: int) -> int:
        return self.lines[row] if row < len(self.lines) else self.after


def read_csv_table(
    data: bytes,
    name: str,
    fields: Sequence[Field],
    anchors: Sequence[str],
    *,
    allow_unknown: bool = False,
    tail_column: str | None = None,
    delimiter: str = ",",
) -> CsvTable:
    """Read a CMS CSV (MUE, PFS): find the header by meaning, keep every data record.

    ``tail_column`` names the column whose absence on an unterminated last record means
    the file was cut off (see :func:`truncated_tail`); ``delimiter`` is ``"\\t"`` for the
    TAB-separated Medicaid MUE text files (``medicaid_file``).
    """
    text = text_of(data, name)
    records, terminated = csv_records(text, name, delimiter)
    cells = [c for _, c in records[: MAX_PREAMBLE_ROWS + 1]]
    header = find_header(
        cells,
        fields,
        anchors,
        name,
        lambda i: records[i][0] if i < len(records) else 1,
        allow_unknown=allow_unknown,
    )
    frame, lines, found = frame_of_records(records[header.end :], header)
    if tail_column is not None:
        found = [*found, *truncated_tail(frame, tail_column, terminated)]
    after = text.count("\n") + (0 if terminated else 1) + 1
    return CsvTable(frame, lines, after, list(found), header.width)
