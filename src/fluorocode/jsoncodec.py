"""JSON in and out at every edge (CLI, service, batch): one decoder, one encoder.

Decoding refuses what the contract cannot mean, with the place named, and never
raises anything but :class:`JsonDocumentError`: nesting deeper than 1,024 levels,
``NaN``/``Infinity``, a number too large for a double (``1`` and 5,000 zeros), a lone
UTF-16 surrogate, bytes that are not UTF-8. orjson does all of this in C, without
recursion in Python, and is about ten times the standard library's speed.

Encoding refuses a non-finite number (JSON has none): orjson would write ``null``
silently, so the document is checked first and the offending path is named.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from fluorocode.errors import JsonDocumentError

__all__ = ["JsonDocumentError", "decode", "encode", "encode_pretty"]


def decode(data: bytes | str) -> Any:
    """Parse one JSON document.

    Raises:
        JsonDocumentError: naming the line and column (1-based) and what is wrong.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise JsonDocumentError(_reason(exc.msg), exc.lineno, exc.colno) from None


def encode(doc: Any) -> bytes:
    """One line of UTF-8 JSON, with no ``NaN`` or ``Infinity`` (ValueError names it)."""
    _check_finite(doc, "$")
    return orjson.dumps(doc)


def encode_pretty(doc: Any) -> bytes:
    """Indented UTF-8 JSON (two spaces), for people and files."""
    _check_finite(doc, "$")
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2)


def _reason(message: str) -> str:
    # orjson appends ": line L column C (char N)"; the place is kept as fields instead
    reason = message.split(": line ")[0]
    if "infinity" in reason:
        return "a number too large for a double (JSON numbers are finite)"
    if "depth limit" in reason:
        return "nested deeper than 1024 levels"
    return reason


def _check_finite(doc: Any, path: str) -> None:
    # the walk that names the path runs only once a non-finite number is known to be
    # there: building a path per value costs more than the encoding (issue 11)
    if _has_non_finite(doc):
        _name_non_finite(doc, path)


def _has_non_finite(doc: Any) -> bool:
    # a report has hundreds of values: an explicit stack of containers, exact type
    # tests for the common leaves, and ``x - x`` (0.0 when finite, NaN otherwise)
    stack: list[Any] = [(doc,)]
    while stack:
        container = stack.pop()
        for value in container.values() if type(container) is dict else container:
            kind = type(value)
            if kind is str or kind is int or value is None or kind is bool:
                continue
            if kind is float:
                if value - value:
                    return True
            elif kind is dict or kind is list or kind is tuple:
                stack.append(value)
            elif isinstance(value, float):
                if not math.isfinite(value):
                    return True
            elif isinstance(value, dict | list | tuple):
                stack.append(value)
    return False


def _name_non_finite(doc: Any, path: str) -> None:
    if isinstance(doc, float):
        if not math.isfinite(doc):
            raise ValueError(f"{path} is {doc}: JSON has no non-finite numbers")
    elif isinstance(doc, dict):
        for key, value in doc.items():
            _name_non_finite(value, f"{path}.{key}")
    elif isinstance(doc, list | tuple):
        for i, value in enumerate(doc):
            _name_non_finite(value, f"{path}[{i}]")
