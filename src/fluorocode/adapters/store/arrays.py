"""An edition's ``.npy`` arrays, memory-mapped and read without numpy.

The importer writes every column with ``numpy.save``: a magic string, a header that
names the dtype and the shape, then the raw values (the ``.npy`` format, versions 1 to
3, as ``numpy.lib.format`` documents it). A check reads a few dozen values from them,
so here each file is mapped with :mod:`mmap` and its values seen through a
``memoryview`` cast to the column's type: indexing gives Python ints (bools for
``pre_1996``), :func:`bisect.bisect_left` binary-searches it in C, and nothing is read
until used. ``fluorocode check`` then never imports numpy, which was more than a third of
its start-up (issue 11); readers of whole tables (``editions diff``) wrap the same
bytes with ``numpy.frombuffer`` (:func:`as_numpy`).

Only one-dimensional arrays of integers or booleans, as the importer writes them, are
read; anything else is refused with the file named. A file written on a machine of the
other byte order is read into memory and swapped, rather than refused.
"""

from __future__ import annotations

import array
import mmap
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from fluorocode.errors import EditionError

if TYPE_CHECKING:
    import numpy as np

_MAGIC = b"\x93NUMPY"
_IntFormat = Literal["?", "b", "B", "h", "H", "i", "I", "q", "Q"]
#: numpy's type kind and size -> the struct format of the same native type
_FORMATS: dict[str, _IntFormat] = {
    "b1": "?",
    "i1": "b",
    "u1": "B",
    "i2": "h",
    "u2": "H",
    "i4": "i",
    "u4": "I",
    "i8": "q",
    "u8": "Q",
}
_DESCR = re.compile(r"'descr':\s*'([<>|=])(b1|[iu][1248])'")
_FORTRAN = re.compile(r"'fortran_order':\s*(False|True)")
_SHAPE = re.compile(r"'shape':\s*\((\d+),\s*\)")
_NATIVE = "<" if sys.byteorder == "little" else ">"


def read_column(path: Path) -> memoryview[int]:
    """The values of one ``.npy`` file, mapped read-only (a flat, typed memoryview;
    a boolean column's values are bools, which are ints).

    The map stays valid while the view lives, even if the file is then replaced or
    unlinked (the kernel keeps a mapped file's pages).

    Raises:
        OSError: the file cannot be opened or mapped.
        EditionError: not an ``.npy`` file of a one-dimensional integer array, or
            shorter than its header says.
    """
    with open(path, "rb") as f:
        size = f.seek(0, 2)
        # mmap refuses an empty file; a header-only file (an empty table) is fine
        if size == 0:
            raise EditionError(f"{path}: not an array file (empty)")
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    offset, order, fmt, length = _header(path, mapped)
    itemsize = 1 if fmt == "?" else array.array(fmt).itemsize
    end = offset + length * itemsize
    if end > size:
        raise EditionError(
            f"{path}: {size:,} bytes, shorter than the {length:,} values its header "
            "declares (a corrupt or truncated edition: import the CMS files again)"
        )
    raw = memoryview(mapped)[offset:end]
    if fmt == "?":
        return cast("memoryview[int]", raw.cast("?"))
    if itemsize == 1 or order in ("|", "=", _NATIVE):
        return raw.cast(fmt)
    swapped = array.array(fmt)
    swapped.frombytes(raw)
    swapped.byteswap()
    return memoryview(swapped).toreadonly()


def _header(path: Path, data: mmap.mmap) -> tuple[int, str, _IntFormat, int]:
    """Where the values start, their byte order, struct format and count."""
    if len(data) < 10 or data[:6] != _MAGIC:
        raise EditionError(f"{path}: not an .npy array file")
    major = data[6]
    if major == 1:
        start, length = 10, int.from_bytes(data[8:10], "little")
    elif major in (2, 3) and len(data) >= 12:
        start, length = 12, int.from_bytes(data[8:12], "little")
    else:
        raise EditionError(f"{path}: .npy format version {major} is not read here")
    header = bytes(data[start : start + length]).decode("latin-1")
    descr, fortran, shape = (p.search(header) for p in (_DESCR, _FORTRAN, _SHAPE))
    if descr is None or fortran is None or shape is None:
        raise EditionError(
            f"{path}: not a one-dimensional integer array (header {header.strip()!r})"
        )
    return start + length, descr.group(1), _FORMATS[descr.group(2)], int(shape[1])


def as_numpy(column: memoryview[int]) -> np.ndarray[Any, Any]:
    """The same values as a read-only numpy array, sharing the map (no copy)."""
    import numpy as np  # bulk readers only: a check never imports numpy

    return np.frombuffer(column, dtype=np.dtype(column.format))
