"""Small file helpers shared by the adapters: private, atomic writes, a file lock and
an exact line-length check over a stream."""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically, readable by its owner only (0600).

    The bytes go to a new file beside it, are flushed to disk, and the new file is
    renamed over the old one: a reader sees the old content or the new, never half,
    even if the writer is killed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Flush a directory's entries (a rename in it) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if needed) across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


class LineCheck:
    """An exact check that no line is longer than ``limit`` bytes, fed chunk by chunk.

    Each block of ``limit`` bytes is searched for its first and last line break
    (``memchr``), so only a line crossing block edges is ever measured: the check
    costs almost nothing beside reading the bytes.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.last_break = -1  # offset in the whole stream of the last b"\n" seen

    def over(self, chunk: bytes | bytearray, base: int) -> int | None:
        """Feed the chunk at stream offset ``base``; the start of a too-long line, if any."""
        limit, size, pos = self.limit, len(chunk), 0
        while pos < size:
            end = min(pos + limit, size)
            first = chunk.find(b"\n", pos, end)
            if first < 0:
                if base + end - self.last_break - 1 > limit:
                    return self.last_break + 1
            else:
                if base + first - self.last_break - 1 > limit:
                    return self.last_break + 1
                # every line wholly inside this block is shorter than the block
                self.last_break = base + chunk.rfind(b"\n", first, end)
            pos = end
        return None

    def tail_over(self, total: int) -> int | None:
        """At the end of the stream: the start of a too-long last line, if any."""
        if total - self.last_break - 1 > self.limit:
            return self.last_break + 1
        return None
