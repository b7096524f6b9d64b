"""Bytes of an untrusted CMS input, read with bounds (private; issue 8).

Every CMS file -- a plain file or a zip member -- reaches a reader through
:func:`read_bounded`, which streams it in 1 MiB chunks and stops *as soon as* a limit is
passed, so memory never grows with what a hostile or broken input holds:

- **File size.** At most :attr:`Limits.max_file_bytes` (default 256 MiB, about five times
  the largest real CMS file: a practitioner PTP part is under 60 MB) per file or member,
  uncompressed. A declared size over it is refused before a byte is read.
- **Line length.** Text files (TXT, CSV) may not hold a line longer than
  :attr:`Limits.max_line_bytes` (default 64 KiB; real CMS lines are under 400 bytes,
  the MUE notice cell about 1 KB). The error names the file and the line.

The check is exact and costs almost nothing: each block of ``max_line_bytes`` is searched
for its first and last line break (``memchr``), so only a line crossing block edges is
ever measured. The SHA-256 of the bytes is computed in the same pass, on each chunk while
it is in the CPU cache, and the bytes are copied once (into a ``BytesIO``, whose
``getvalue`` hands its buffer over without a copy; issue 11).

:func:`open_regular` opens a path given as input: regular files only -- a symbolic link,
device, FIFO or socket is refused by name (``/dev/zero`` would read forever, a FIFO would
block), without following the link and without blocking on a FIFO.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, NoReturn

from fluorocode.adapters._files import LineCheck
from fluorocode.errors import DataSourceError, EditFileFormatError

__all__ = [
    "DEFAULT_LIMITS",
    "Content",
    "Limits",
    "open_regular",
    "read_bounded",
    "refuse_special",
]

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on one import's inputs (see the module docstring).

    Attributes:
        max_file_bytes: most bytes one file or zip member may hold, uncompressed.
        max_line_bytes: longest line a TXT/CSV file may hold (line break excluded).
        max_members: most entries a zip may list.
        max_total_bytes: most bytes all members of one zip may declare together.
        max_ratio: most a member over 1 MiB may expand relative to its compressed size.
    """

    max_file_bytes: int = 256 << 20
    max_line_bytes: int = 64 << 10
    max_members: int = 1000
    max_total_bytes: int = 2 << 30
    max_ratio: int = 100


DEFAULT_LIMITS = Limits()


def _kind(mode: int) -> str | None:
    if stat.S_ISLNK(mode):
        return "a symbolic link (give the file it points to)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device file, not a CMS file"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe), not a CMS file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a CMS file"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    return None


def refuse_special(path: Path) -> os.stat_result:
    """``lstat`` of an input path; raise when it is a link, device, FIFO or socket.

    Directories pass (the importer expands them).

    Raises:
        DataSourceError: naming the path and what it is.
    """
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise DataSourceError(f"{path}: cannot read ({exc.strerror})") from exc
    if not stat.S_ISDIR(st.st_mode):
        what = _kind(st.st_mode)
        if what is not None:
            raise DataSourceError(f"{path}: {what}")
    return st


def open_regular(path: Path) -> BinaryIO:
    """Open ``path`` for reading if (and only if) it is a regular file.

    ``O_NOFOLLOW`` refuses a symbolic link even if one replaced the file after a check,
    and ``O_NONBLOCK`` keeps a FIFO from blocking the open; the type is then checked
    on the open descriptor.

    Raises:
        DataSourceError: a link, device, FIFO, socket or directory, or unreadable.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if os.path.islink(path):
            raise DataSourceError(f"{path}: {_kind(stat.S_IFLNK)}") from exc
        raise DataSourceError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        what = _kind(os.fstat(fd).st_mode)
        if what is not None:
            raise DataSourceError(f"{path}: {what}")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


@dataclass(frozen=True, slots=True)
class Content:
    """A file's bytes and their SHA-256 (hex)."""

    data: bytes
    sha256: str


def read_bounded(
    stream: IO[bytes],
    name: str,
    limits: Limits = DEFAULT_LIMITS,
    *,
    text: bool = True,
    declared: int | None = None,
) -> Content:
    """Read ``stream`` to its end within ``limits``, hashing as it goes.

    Args:
        stream: an open binary stream (a file, a zip member).
        name: the display name, for errors (``archive.zip!member.TXT`` in a zip).
        limits: the bounds to apply.
        text: apply the line-length bound (False for XLSX workbooks).
        declared: the size the container declares (a zip member's), if any: reading
            stops as soon as the bytes pass it.

    Raises:
        EditFileFormatError: over a bound, naming the file (and the line for a line).
    """
    cap = limits.max_file_bytes
    if declared is not None and declared > cap:
        raise EditFileFormatError(
            name, f"{declared:,} bytes uncompressed: more than the {cap:,} allowed"
        )
    allowed = cap if declared is None else declared
    lines = LineCheck(limits.max_line_bytes) if text else None
    digest = hashlib.sha256()
    # each chunk is read into one reused buffer, checked and hashed while it is in the
    # CPU cache, then appended to a BytesIO, whose getvalue() hands over its buffer
    # without a copy: one copy of the bytes in all, not three (issue 11)
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    held = io.BytesIO()
    total = 0
    # NOTE: typing.IO does not declare readinto; every stream read here (a file opened
    # by open_regular, a zip member) is an io object that has it
    while size := stream.readinto(view):  # type: ignore[attr-defined]
        if total + size > allowed:
            if declared is not None and declared < cap:
                raise EditFileFormatError(name, "expands past its declared size")
            raise EditFileFormatError(
                name, f"more than the {cap:,} bytes allowed (uncompressed)"
            )
        chunk = buffer if size == len(buffer) else buffer[:size]
        if lines is not None:
            start = lines.over(chunk, total)
            if start is not None:
                _too_long(name, held.getvalue(), chunk, start, limits.max_line_bytes)
        digest.update(chunk)
        held.write(chunk)
        total += size
    view.release()
    data = held.getvalue()
    if lines is not None:
        start = lines.tail_over(total)
        if start is not None:
            _too_long(name, data, b"", start, limits.max_line_bytes)
    return Content(data, digest.hexdigest())


def _too_long(
    name: str, held: bytes, chunk: bytes | bytearray, start: int, limit: int
) -> NoReturn:
    """Raise for the line starting at stream offset ``start`` (held bytes + chunk)."""
    line = 1 + held.count(b"\n", 0, start)
    line += chunk.count(b"\n", 0, max(0, start - len(held)))
    raise EditFileFormatError(
        name,
        f"a line longer than {limit:,} bytes: not a CMS text file (or a corrupt one)",
        line=line,
    )
