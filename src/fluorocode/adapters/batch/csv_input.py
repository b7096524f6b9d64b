"""Claim-line CSV as the batch reads it: one fixed dialect, and DuckDB's read errors as
the input's own errors.

The dialect is the one ``batch --csv`` writes and the contract describes: comma-separated,
``"`` quotes (doubled inside a value), a header line, UTF-8. It is never guessed: a
sniffer that meets one short row may decide a whole file has a single column, and the
file is then refused for columns it has. So the header is read here (``csv_header``)
and the reader is given its names; a row with too few or too many values is an error at
its line.

Every line is measured before DuckDB reads the file (``check_line_lengths``): DuckDB
2.0 returns no rows at all, silently, for a file with a line longer than its read
buffer (tens of MB), and cannot read one mid-file in parallel.

A read error names the file and DuckDB's line, with the reason, but never the row's text
(``read_failure``): a claim row may hold a note or a patient's identifiers, and errors
reach terminals and logs.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

from fluorocode.adapters._files import LineCheck
from fluorocode.adapters.batch.inputs import is_remote, unreadable
from fluorocode.errors import ClaimInputError

#: The longest first line read as a header; a claim-line header is a few hundred bytes.
MAX_HEADER_BYTES = 64 * 1024

#: The longest line of a claim-line CSV: a row with a note of 1,000,000 characters
#: (the contract's limit) fits at up to 8 bytes a character. DuckDB is told the same.
MAX_LINE_BYTES = 8 << 20
_CHUNK = 1 << 20

#: What a DuckDB read error may say beyond its first line: reasons without row text.
_SAFE_REASONS = (
    re.compile(r"Expected Number of Columns: \d+ Found: \d+"),
    re.compile(r"Maximum line size of \d+ bytes exceeded.*"),
    re.compile(r"Invalid unicode .*"),
    re.compile(r"Value with unterminated quote found\.?"),
)
_FILE = re.compile(r"^\s*file = (.+)$", re.MULTILINE)


def csv_header(path: Path) -> list[str]:
    """The names in a claim-line CSV's first line, each unique: a repeated name gets a
    suffix (``code_2``), so the first of them is the one matched (``column_map``).

    Raises:
        ClaimInputError: the first line is over ``MAX_HEADER_BYTES`` or not UTF-8.
    """
    with open(path, "rb") as f:
        first = f.readline(MAX_HEADER_BYTES + 1)
    if len(first) > MAX_HEADER_BYTES:
        raise unreadable(
            str(path), f"the first line (the header) is over {MAX_HEADER_BYTES:,} bytes"
        )
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise unreadable(str(path), "the header line is not UTF-8") from None
    names: list[str] = []
    for name in next(csv.reader([text.rstrip("\r\n")]), []):
        unique, n = name, 1
        while unique in names:
            n += 1
            unique = f"{name}_{n}"
        names.append(unique)
    return names


def check_line_lengths(path: Path) -> None:
    """Refuse a local CSV with a line over ``MAX_LINE_BYTES``, naming the line; one
    pass over the bytes, in chunks (``adapters._files.LineCheck``).

    Raises:
        ClaimInputError: the file and the line.
    """
    if is_remote(path):
        return  # read where Spark reads it
    check, base = LineCheck(MAX_LINE_BYTES), 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            start = check.over(chunk, base)
            if start is not None:
                break
            base += len(chunk)
        else:
            start = check.tail_over(base)
        if start is None:
            return
        f.seek(0)
        line = 1 + f.read(start).count(b"\n")
    raise unreadable(
        str(path), f"line {line} is over {MAX_LINE_BYTES:,} bytes (one claim line)"
    )


def reader_sql(path: Path, names: Sequence[str]) -> str:
    """DuckDB's reader of a claim-line CSV with these header ``names``, every value text."""
    columns = ", ".join(f"{sql_string(n)}: 'VARCHAR'" for n in names)
    return (
        f"read_csv({sql_string(str(path))}, columns = {{{columns}}}, header = true, "
        "auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
        f"max_line_size = {MAX_LINE_BYTES})"
    )


def read_failure(message: str, inputs: Sequence[Path]) -> ClaimInputError:
    """DuckDB's error reading one of ``inputs`` as that input's error."""
    lines = message.splitlines()
    head = lines[0].split("Error: ", 1)[-1] if lines else "unreadable"
    reasons = [
        m.group(0) for line in lines[1:] for p in _SAFE_REASONS if (m := p.match(line))
    ]
    named = _FILE.search(message)
    where = (
        named.group(1).strip()
        if named
        else next((str(p) for p in inputs if str(p) in head), None)
    )
    if where is None:
        where = str(inputs[0]) if len(inputs) == 1 else "an input"
    return unreadable(where, "; ".join(part.rstrip(".") for part in [head, *reasons]))


def sql_string(text: str) -> str:
    """``text`` as a DuckDB string literal (a path given to a reader: a constant)."""
    return "'" + text.replace("'", "''") + "'"
