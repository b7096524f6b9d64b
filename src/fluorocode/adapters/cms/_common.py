"""Shared machinery of the CMS readers: bytes to text, headers found by meaning.

Private to ``adapters.cms``. Everything a reader needs more than once lives here, so each
format module only states its columns and its rules:

- **Bytes.** CMS publishes Latin-1 (domain.md §6.1, §6.2, §6.5). Empty files, NUL bytes
  and UTF-16/32 byte-order marks are refused (wrong encoding); a UTF-8 BOM is dropped and
  the rest must then be valid UTF-8. Otherwise ASCII bytes pass through untouched (the
  fast path: ``bytes.isascii`` runs at memory speed) and anything else is decoded as
  Latin-1, which never fails and never loses a byte, then re-encoded as UTF-8 for polars
  (never polars' lossy UTF-8 path).
- **Headers.** Column headers are matched by meaning, not by byte or position: the text is
  folded to lower-case letters and digits (``"HCPCS/\\nCPT Code"`` -> ``"hcpcscptcode"``)
  and each :class:`Field` says which folded texts it accepts. The header row is found by
  content (the first row naming all the anchor fields); rows above it are title/notice
  rows; a wrapped header (PTP TXT, four lines) continues on rows whose first cell is empty.

Validation rules and dates live in ``_rules``, row readers in ``_text`` and ``_sheet``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NoReturn

from fluorocode.errors import EditFileFormatError

#: A HCPCS/CPT code: five characters of 0-9 and A-Z (domain.codes.CODE_RE).
CODE_PATTERN = r"^[0-9A-Z]{5}$"
#: How many rows may precede the header (title, notice and blank rows).
MAX_PREAMBLE_ROWS = 40


def fail(
    file: str, reason: str, line: int | None = None, column: str | int | None = None
) -> NoReturn:
    """Raise :class:`EditFileFormatError` (a one-line helper for the readers)."""
    raise EditFileFormatError(file, reason, line=line, column=column)


# --------------------------------------------------------------------------- bytes


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _checked(data: bytes, name: str) -> tuple[bytes, bool]:
    """The payload without a UTF-8 BOM, and whether it is UTF-8 (True) or Latin-1."""
    if not data or data.isspace():
        fail(name, "the file is empty", line=1)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        fail(name, "UTF-16/32 text (byte-order mark): CMS files are Latin-1", line=1)
    nul = data.find(b"\x00")
    if nul >= 0:
        fail(
            name,
            "NUL bytes: the file is not Latin-1 text (UTF-16, or binary?)",
            line=_line_at(data, nul),
        )
    if data.startswith(b"\xef\xbb\xbf"):
        body = data[3:]
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            fail(
                name,
                "a UTF-8 byte-order mark, but the text is not valid UTF-8",
                line=_line_at(body, exc.start),
            )
        return body, True
    return data, data.isascii()


def utf8_bytes(data: bytes, name: str) -> bytes:
    """The file as UTF-8 bytes for polars (Latin-1 decoded exactly; see module doc)."""
    body, utf8 = _checked(data, name)
    return body if utf8 else body.decode("latin-1").encode("utf-8")


def text_of(data: bytes, name: str) -> str:
    """The file as text, for the small files read with the csv module."""
    body, utf8 = _checked(data, name)
    return body.decode("utf-8") if utf8 else body.decode("latin-1")


# --------------------------------------------------------------------------- headers


def fold(text: str | None) -> str:
    """Fold a header text for matching: lower-case letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())


@dataclass(frozen=True, slots=True)
class Field:
    """A column a reader knows: its output name, its CMS label, how to recognise it.

    Attributes:
        name: the output (and error-report) column name, e.g. ``"effective"``.
        label: the header as CMS writes it, for messages.
        match: predicate on the folded header text (see :func:`fold`).
        required: a file without this column is refused.
    """

    name: str
    label: str
    match: Callable[[str], bool]
    required: bool = True


@dataclass(frozen=True, slots=True)
class Header:
    """Where the header is and which position holds which field.

    Attributes:
        start: row index of the (first) header row.
        end: row index of the first row after the header: where data starts.
        positions: field name -> 0-based cell position.
        texts: the header text of every position up to the last non-empty one (a
            wrapped header's pieces joined by spaces). Data past the last one, or under
            an empty one, must be empty (trailing separators, domain.md §6.5).
    """

    start: int
    end: int
    positions: dict[str, int]
    texts: tuple[str, ...]

    @property
    def width(self) -> int:
        return len(self.texts)

    def names(self) -> list[str]:
        """A column name per position: the field's, ``_pad<k>`` under an empty header,
        ``_other<k>`` under a header no field claims (allowed for the PFS file only)."""
        by_pos = {p: f for f, p in self.positions.items()}
        return [
            by_pos.get(k, f"_other{k}" if text else f"_pad{k}")
            for k, text in enumerate(self.texts)
        ]


_HEADER_PIECE = re.compile(r"^[0-9A-Z*]{1,8}$")


def _is_continuation(cells: Sequence[str]) -> bool:
    """A wrapped-header row: first cell blank and no cell that looks like data."""
    if cells and cells[0].strip():
        return False
    return not any(_HEADER_PIECE.match(c.strip()) for c in cells)


def _anchors(fields: Sequence[Field], anchors: Sequence[str]) -> list[Field]:
    by_name = {f.name: f for f in fields}
    return [by_name[a] for a in anchors]


def header_start(
    rows: Sequence[Sequence[str]], fields: Sequence[Field], anchors: Sequence[str]
) -> int | None:
    """Index of the first row (within the preamble limit) naming every anchor field."""
    wanted = _anchors(fields, anchors)
    for i, cells in enumerate(rows[:MAX_PREAMBLE_ROWS]):
        folded = [fold(c) for c in cells]
        if all(any(f.match(c) for c in folded) for f in wanted):
            return i
    return None


def find_header(
    rows: Sequence[Sequence[str]],
    fields: Sequence[Field],
    anchors: Sequence[str],
    name: str,
    line_of: Callable[[int], int],
    *,
    continuation: int = 0,
    allow_unknown: bool = False,
) -> Header:
    """Find the header among the first rows and map its cells to fields by meaning.

    Args:
        rows: the first rows of the file, as cells (None already replaced by "").
        fields: every column the format knows.
        anchors: fields that must all be named on one row for it to be the header.
        name: the file's display name, for errors.
        line_of: row index -> physical line, for errors.
        continuation: how many wrapped-header rows may follow the header row.
        allow_unknown: ignore header cells that name no field (the PFS file has dozens).

    Raises:
        EditFileFormatError: no header, or a column missing, repeated or unexpected.
    """
    wanted = _anchors(fields, anchors)
    start = header_start(rows, fields, anchors)
    if start is None:
        data_like = next(
            (
                i
                for i, cells in enumerate(rows)
                if cells and re.match(CODE_PATTERN, cells[0])
            ),
            0,
        )
        labels = ", ".join(repr(f.label) for f in wanted)
        fail(
            name,
            f"no header row naming {labels} before the data",
            line=line_of(data_like),
        )
    end = start + 1
    while (
        end < len(rows) and end - start <= continuation and _is_continuation(rows[end])
    ):
        end += 1
    width = max(len(r) for r in rows[start:end])
    texts = [
        " ".join(r[k].strip() for r in rows[start:end] if k < len(r) and r[k].strip())
        for k in range(width)
    ]
    while texts and not texts[-1]:
        texts.pop()
    positions: dict[str, int] = {}
    for k, text in enumerate(texts):
        if not text:
            continue
        hits = [f for f in fields if f.match(fold(text))]
        if len(hits) > 1:
            fail(
                name, f"header {text!r} is ambiguous", line=line_of(start), column=k + 1
            )
        if not hits:
            if allow_unknown:
                continue
            fail(name, f"unexpected column {text!r}", line=line_of(start), column=k + 1)
        field = hits[0]
        if field.name in positions:
            fail(
                name,
                f"column {field.label!r} appears twice",
                line_of(start),
                field.name,
            )
        positions[field.name] = k
    for f in fields:
        if f.required and f.name not in positions:
            fail(
                name, f"missing column {f.label!r}", line=line_of(start), column=f.name
            )
    return Header(start=start, end=end, positions=positions, texts=tuple(texts))
