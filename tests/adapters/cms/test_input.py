"""Issues 8 and 11: bounded reading hands over the exact bytes and their SHA-256."""

from __future__ import annotations

import hashlib
import io

import pytest

from fluorocode.adapters.cms._input import Limits, read_bounded
from fluorocode.errors import EditFileFormatError

LINE = b"29880\t76000\t\t19960101\t*\t1\tStandards of medical/surgical practice\r\n"


def test_bytes_and_digest_over_many_chunks() -> None:
    data = LINE * 40_000 + b"last line without a break"  # 2.6 MiB: a short last chunk
    content = read_bounded(io.BytesIO(data), "x.TXT")
    assert content.data == data
    assert type(content.data) is bytes
    assert content.sha256 == hashlib.sha256(data).hexdigest()


def test_a_long_line_across_chunks_is_named() -> None:
    head = LINE * 16_000  # about 1 MiB: the long line starts in the first chunk
    data = head + b"x" * (70 << 10) + b"\n" + LINE
    with pytest.raises(EditFileFormatError) as info:
        read_bounded(io.BytesIO(data), "x.TXT")
    assert info.value.line == 16_001
    limits = Limits(max_line_bytes=128 << 10)
    assert read_bounded(io.BytesIO(data), "x.TXT", limits).data == data


def test_past_the_declared_size() -> None:
    data = LINE * 1000
    with pytest.raises(EditFileFormatError, match="expands past its declared size"):
        read_bounded(io.BytesIO(data), "x.TXT", declared=len(data) - 1)
    assert read_bounded(io.BytesIO(data), "x.TXT", declared=len(data)).data == data
