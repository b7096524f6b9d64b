"""Issue 8: JSON that the contract cannot mean is refused with its place, never a crash."""

from __future__ import annotations

import pickle

import pytest

from fluorocode import jsoncodec
from fluorocode.errors import JsonDocumentError


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"units": 1' + b"0" * 5000 + b"}", "too large for a double"),
        (b"[" * 100_000 + b"]" * 100_000, "deeper than 1024"),
        (b'{"minutes": NaN}', "unexpected character"),
        (b'{"minutes": Infinity}', "unexpected character"),
        (b'{"a": 1e400}', "too large for a double"),
        (b"\xff\xfe{}", "UTF-8"),
        (b'{"a": "\\ud800"}', "surrogate"),
        (b'{"a": 1,}', "trailing comma"),
    ],
)
def test_unusable_json_is_a_document_error_with_a_place(
    data: bytes, reason: str
) -> None:
    with pytest.raises(JsonDocumentError) as caught:
        jsoncodec.decode(data)
    error = caught.value
    assert reason.lower() in error.reason.lower(), error.reason
    assert error.line >= 1 and error.column >= 1
    assert f"line {error.line}, column {error.column}" in str(error)
    assert isinstance(error, ValueError)
    assert str(pickle.loads(pickle.dumps(error))) == str(error)


def test_the_place_is_the_line_and_column_of_the_fault() -> None:
    with pytest.raises(JsonDocumentError) as caught:
        jsoncodec.decode('{\n  "a": 1,\n  "b": tru\n}')
    assert caught.value.line == 3


def test_ordinary_json_round_trips() -> None:
    doc = {"id": "e", "lines": [{"code": "76000", "units": 2}], "µ": "Gy·cm²", "x": 0.5}
    assert jsoncodec.decode(jsoncodec.encode(doc)) == doc
    assert jsoncodec.decode(jsoncodec.encode_pretty(doc).decode()) == doc


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_encoding_never_writes_a_non_finite_number(bad: float) -> None:
    with pytest.raises(ValueError, match=r"\$.report.lines\[0\]"):
        jsoncodec.encode({"report": {"lines": [bad]}})
