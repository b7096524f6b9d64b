"""Read JSON documents the way ``check`` and ``extract`` accept them.

One object, an array of objects, or JSON lines (one object per line); ``-`` is standard
input. A JSON-lines line that is not JSON yields a ``BadLine`` instead of stopping the
run, so the other lines are still processed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any, TextIO

import click


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


def open_input(path: str) -> TextIO:
    if path == "-":
        return sys.stdin
    try:
        return open(path, encoding="utf-8")
    except OSError as exc:
        raise UnreadableInput(f"cannot read {path}: {exc.strerror}") from exc


def read_documents(stream: TextIO, name: str) -> tuple[Shape, Iterator[Any]]:
    """Detect the input's shape and iterate its documents.

    ``[`` first: an array. Else, if the first line parses alone, JSON lines (a single
    line is one object); else the whole input is one (pretty-printed) object.
    """
    try:
        head = stream.read(1)
        while head and head.isspace():
            head = stream.read(1)
        if not head:
            raise UnreadableInput(f"{name}: empty input")
        if head == "[":
            return Shape.ARRAY, iter(_parse(name, head + stream.read()))
        first = head + stream.readline()
        try:
            doc = json.loads(first)
        except json.JSONDecodeError:
            return Shape.OBJECT, iter([_parse(name, first + stream.read())])
        second = stream.readline()
        while second and not second.strip():
            second = stream.readline()
        if not second:
            return Shape.OBJECT, iter([doc])
    except UnicodeDecodeError as exc:
        raise UnreadableInput(f"{name}: not UTF-8 text ({exc.reason})") from exc
    return Shape.LINES, _lines(doc, second, stream)


def _parse(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableInput(
            f"{name}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc


def _lines(first: Any, second: str, stream: TextIO) -> Iterator[Any]:
    yield first
    for number, raw in enumerate([second], start=2):
        yield _line(number, raw)
    for number, raw in enumerate(stream, start=3):
        if raw.strip():
            yield _line(number, raw)


def _line(number: int, raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        return BadLine(number, f"not valid JSON ({exc.msg}, column {exc.colno})")
