"""The CMS files inside a zip, opened defensively.

CMS distributes every table as a zip (domain.md §6.1-§6.4): a PTP part holds the
``ccipra-vNNNrN-fK`` table as TXT and as XLSX, the MUE zip a CSV and an XLSX, the RVU zip
the PPRRVU file among others. :func:`open_members` lists the members fluorocode can
read, in archive order, named ``archive.zip!member``, each read only when asked
(:meth:`Member.read`), streamed within the bounds of ``_input.Limits``;
:func:`iter_members` reads them all at once (small zips, tests).

**Choice.** Members are identified by name (``filenames.identify``); unknown ones (PDF
read-me files, other PFS files, ``__MACOSX/`` entries) are skipped. When a table (same
table, program, quarter, version and part) is there as TXT/CSV and as XLSX, only the
TXT/CSV is returned: it is the faster and better-specified format.

**Medicaid zips** (docs/medicaid.md): the names of their members are not documented, so
the zip's name decides what they hold: every TXT/CSV member (or, when there is none,
every XLSX member) is a part of the zip's table, numbered in archive order; read-me and
other files are skipped.

**Refused** -- a zip is untrusted input:

- not a zip, a corrupt member (bad CRC), an encrypted member: ``EditFileFormatError``;
- a member path that could escape a directory (``..``, absolute, drive letter,
  backslashes) or is a symbolic link; two members with one name;
- more than ``max_members`` entries;
- a zip bomb: a member declaring more than ``Limits.max_file_bytes`` (256 MiB)
  uncompressed, or all members together more than ``Limits.max_total_bytes`` (2 GiB),
  or a member of more than 1 MiB expanding over ``Limits.max_ratio`` (100) times its
  compressed size. Declared sizes can lie, so a member is streamed in chunks and
  reading stops as soon as the bytes read pass the declared size, the cap, or hold a
  line over ``Limits.max_line_bytes`` (issue 8: a member is never inflated whole before
  it is checked, and only the member being imported is in memory);
- a nested archive: a member named ``*.zip``, or a chosen member whose bytes are a zip
  (all of the above raise ``EditFileFormatError``);
- a zip without any member fluorocode can read: ``UnknownFileError`` naming the zip and
  listing what it holds.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from fluorocode.adapters.cms._input import (
    DEFAULT_LIMITS,
    Content,
    Limits,
    open_regular,
    read_bounded,
)
from fluorocode.adapters.cms.filenames import FileIdentity, identify
from fluorocode.domain.codes import Program
from fluorocode.errors import EditFileFormatError, UnknownFileError

__all__ = ["Member", "iter_members", "open_members"]

_RATIO_FLOOR = 1 << 20  # the ratio limit applies to members larger than this
_RANK = {"txt": 0, "csv": 0, "xlsx": 1}
_BAD_ZIP = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError)


def _rank(member: str) -> int:
    return _RANK.get(member.rsplit(".", 1)[-1].lower(), 9)


def _unsafe(member: str) -> bool:
    parts = re.split(r"[\\/]", member)
    return (
        "\\" in member
        or member.startswith("/")
        or bool(re.match(r"^[A-Za-z]:", member))
        or any(p == ".." for p in parts)
    )


def _skipped(member: str) -> bool:
    base = member.rsplit("/", 1)[-1]
    return (
        member.endswith("/") or member.startswith("__MACOSX/") or base.startswith(".")
    )


def _is_text(member: str) -> bool:
    return member.rsplit(".", 1)[-1].lower() not in ("xlsx", "xls")


@dataclass(frozen=True, slots=True)
class Member:
    """A chosen member of a zip, read on demand.

    Attributes:
        name: display name, ``archive.zip!member``.
        member: the member's path inside the zip.
        identity: what the member's name says it holds.
    """

    name: str
    member: str
    identity: FileIdentity
    _open: Callable[[], BinaryIO]  # the zip's bytes, a fresh stream per read
    _zip_name: str
    _limits: Limits

    def read(self) -> Content:
        """The member's bytes (streamed and bounded) and their SHA-256.

        Raises:
            EditFileFormatError: corrupt, over a bound, or itself a zip.
        """
        with self._open() as stream, zipfile.ZipFile(stream) as archive:
            info = archive.getinfo(self.member)
            return _read(archive, info, self._zip_name, self.name, self._limits)


def _read(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    zip_name: str,
    name: str,
    limits: Limits,
) -> Content:
    try:
        with archive.open(info) as stream:
            content = read_bounded(
                stream,
                name,
                limits,
                text=_is_text(info.filename),
                declared=info.file_size,
            )
    except _BAD_ZIP as exc:
        raise EditFileFormatError(
            zip_name, f"member {info.filename!r} is corrupt: {exc}"
        ) from exc
    if content.data.startswith(b"PK\x03\x04") and _is_text(info.filename):
        raise EditFileFormatError(
            zip_name, f"member {info.filename!r} is itself a zip archive"
        )
    return content


def _check(infos: list[zipfile.ZipInfo], name: str, limits: Limits) -> None:
    if len(infos) > limits.max_members:
        raise EditFileFormatError(
            name, f"{len(infos)} members: more than {limits.max_members}"
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        member = info.filename
        if _unsafe(member):
            raise EditFileFormatError(name, f"member {member!r} has an unsafe path")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise EditFileFormatError(name, f"member {member!r} is a symbolic link")
        if member in seen:
            raise EditFileFormatError(name, f"member {member!r} appears twice")
        seen.add(member)
        if info.flag_bits & 0x1:
            raise EditFileFormatError(name, f"member {member!r} is encrypted")
        size = info.file_size
        if size > limits.max_file_bytes:
            raise EditFileFormatError(
                name,
                f"member {member!r} declares {size:,} bytes uncompressed: more than "
                f"the {limits.max_file_bytes:,} allowed",
            )
        ratio = limits.max_ratio
        if size > _RATIO_FLOOR and size > ratio * max(info.compress_size, 1):
            raise EditFileFormatError(
                name,
                f"member {member!r} expands {size // max(info.compress_size, 1):,} times "
                f"(more than {ratio}): a zip bomb?",
            )
        total += size
        if total > limits.max_total_bytes:
            raise EditFileFormatError(
                name, f"members total more than {limits.max_total_bytes:,} bytes"
            )


def open_members(
    source: Path | bytes, name: str, limits: Limits = DEFAULT_LIMITS
) -> list[Member]:
    """The readable CMS members of a zip, checked but not yet read.

    Args:
        source: the zip file's path (opened again, as a regular file, per read) or its
            bytes.
        name: the zip's display name (used in member names and errors).
        limits: the bounds (``_input.Limits``).

    Raises:
        EditFileFormatError: not a zip, or an unsafe, corrupt or oversized member.
        UnknownFileError: no member fluorocode can read.
    """
    if isinstance(source, bytes):
        data = source

        def opener() -> BinaryIO:
            return io.BytesIO(data)
    else:
        path = source

        def opener() -> BinaryIO:
            return open_regular(path)

    try:
        outer: FileIdentity | None = identify(name)
    except UnknownFileError:
        outer = None
    try:
        with opener() as stream, zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
    except _BAD_ZIP as exc:
        raise EditFileFormatError(name, f"not a readable zip archive: {exc}") from exc
    _check(infos, name, limits)
    listing = [i.filename for i in infos if not i.is_dir()]
    if outer is not None and outer.program is Program.MEDICAID:
        return _medicaid_members(infos, outer, name, opener, limits, listing)
    best: dict[tuple[object, ...], tuple[zipfile.ZipInfo, FileIdentity]] = {}
    for info in infos:
        if _skipped(info.filename):
            continue
        if info.filename.lower().endswith(".zip"):
            raise EditFileFormatError(name, f"member {info.filename!r} is a nested zip")
        try:
            identity = identify(info.filename)
        except UnknownFileError:
            continue
        key = (
            identity.table,
            identity.program,
            identity.quarter,
            identity.version,
            identity.part,
        )
        if key not in best or _rank(info.filename) < _rank(best[key][0].filename):
            best[key] = (info, identity)
    if not best:
        raise UnknownFileError(
            f"{name}: no CMS NCCI/PFS file fluorocode can read inside; it holds: "
            + (", ".join(listing) or "nothing")
        )
    chosen = sorted(best.values(), key=lambda pair: infos.index(pair[0]))
    return [
        Member(f"{name}!{i.filename}", i.filename, ident, opener, name, limits)
        for i, ident in chosen
    ]


def _medicaid_members(
    infos: list[zipfile.ZipInfo],
    outer: FileIdentity,
    name: str,
    opener: Callable[[], BinaryIO],
    limits: Limits,
    listing: list[str],
) -> list[Member]:
    """A Medicaid zip's table parts: its TXT/CSV members, else its XLSX ones."""
    by_rank: dict[int, list[zipfile.ZipInfo]] = {}
    for info in infos:
        base = info.filename.rsplit("/", 1)[-1].lower()
        if _skipped(info.filename) or "readme" in re.sub(r"[_ ]", "", base):
            continue
        if base.endswith(".zip"):
            raise EditFileFormatError(name, f"member {info.filename!r} is a nested zip")
        by_rank.setdefault(_rank(base), []).append(info)
    chosen = by_rank.get(0) or by_rank.get(1)
    if not chosen:
        raise UnknownFileError(
            f"{name}: a Medicaid NCCI zip ({outer.table.value}, {outer.quarter}) without "
            "a TXT, CSV or XLSX file inside; it holds: "
            + (", ".join(listing) or "nothing")
        )
    parts = len(chosen) > 1
    return [
        Member(
            f"{name}!{info.filename}",
            info.filename,
            replace(outer, part=k if parts else None, container=False),
            opener,
            name,
            limits,
        )
        for k, info in enumerate(chosen, start=1)
    ]


def iter_members(
    data: bytes,
    name: str,
    *,
    max_members: int = DEFAULT_LIMITS.max_members,
    max_member_bytes: int = DEFAULT_LIMITS.max_file_bytes,
    max_total_bytes: int = DEFAULT_LIMITS.max_total_bytes,
    max_ratio: int = DEFAULT_LIMITS.max_ratio,
) -> list[tuple[str, bytes]]:
    """Every readable CMS member of a zip held in memory, as ``(name, bytes)``.

    Args:
        data: the zip's bytes.
        name: the zip's display name (used in member names and errors).
        max_members: most entries a zip may list.
        max_member_bytes: most bytes one member may expand to.
        max_total_bytes: most bytes all members together may expand to.
        max_ratio: most a member over 1 MiB may expand relative to its compressed size.

    Raises:
        EditFileFormatError: not a zip, or an unsafe, corrupt or oversized member.
        UnknownFileError: no member fluorocode can read.
    """
    limits = replace(
        DEFAULT_LIMITS,
        max_members=max_members,
        max_file_bytes=max_member_bytes,
        max_total_bytes=max_total_bytes,
        max_ratio=max_ratio,
    )
    return [(m.name, m.read().data) for m in open_members(data, name, limits)]
