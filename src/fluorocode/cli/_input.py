"""Read JSON documents the way ``check`` and ``extract`` accept them.

One object, an array of objects, or JSON lines (one object per line); ``-`` is standard
input. A JSON-lines line that is not JSON yields a ``BadLine`` instead of stopping the
run, so the other lines are still processed. All decoding goes through
``fluorocode.jsoncodec``: a number too large for a double or nesting deeper than 1,024
levels is a clear error naming line and column, never a traceback (issue 8).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any, BinaryIO

import click

from fluorocode.api import peekable
from fluorocode.jsoncodec import JsonDocumentError, decode


class Shape(Enum):
    OBJECT = "object"
    ARRAY = "array"
    LINES = "lines"


class UnreadableInput(click.ClickException):
    """The input cannot be read at all: exit status 2 (contract.md, the command line)."""

    exit_code = 2


@dataclass(frozen=True, slots=True)
class BadLine:
    line: int
    message: str


def open_input(path: str) -> io.BufferedReader:
    """The file (or standard input for ``-``), binary and buffered, so it can be peeked."""
    if path == "-":
        return peekable(sys.stdin.buffer)
    try:
        return open(path, "rb")
    except OSError as exc:
        raise UnreadableInput(f"cannot read {path}: {exc.strerror}") from exc


def read_documents(stream: BinaryIO, name: str) -> tuple[Shape, Iterator[Any]]:
    """Detect the input's shape and iterate its documents.

    ``[`` first: an array. Else, if the first line parses alone, JSON lines (a single
    line is one object); else the whole input is one (pretty-printed) object.
    """
    head = stream.read(1)
    if head == b"\xef":  # a UTF-8 byte-order mark
        bom = head + stream.read(2)
        head = b"" if bom == b"\xef\xbb\xbf" else bom
        head = head or stream.read(1)
    while head and head.isspace():
        head = stream.read(1)
    if not head:
        raise UnreadableInput(f"{name}: empty input")
    if head == b"[":
        return Shape.ARRAY, iter(_parse(name, head + stream.read()))
    first = head + stream.readline()
    try:
        doc = decode(first)
    except JsonDocumentError:
        return Shape.OBJECT, iter([_parse(name, first + stream.read())])
    second = stream.readline()
    while second and not second.strip():
        second = stream.readline()
    if not second:
        return Shape.OBJECT, iter([doc])
    return Shape.LINES, _lines(doc, second, stream)


def _parse(name: str, data: bytes) -> Any:
    try:
        return decode(data)
    except JsonDocumentError as exc:
        raise UnreadableInput(f"{name}: {exc}") from None


def _lines(first: Any, second: bytes, stream: BinaryIO) -> Iterator[Any]:
    yield first
    yield _line(2, second)
    for number, raw in enumerate(stream, start=3):
        if raw.strip():
            yield _line(number, raw)


def _line(number: int, raw: bytes) -> Any:
    try:
        return decode(raw)
    except JsonDocumentError as exc:
        return BadLine(number, f"not valid JSON ({exc.reason}, column {exc.column})")
