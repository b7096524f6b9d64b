"""The CMS files inside a zip, opened defensively.

CMS distributes every table as a zip (domain.md §6.1-§6.4): a PTP part holds the
``ccipra-vNNNrN-fK`` table as TXT and as XLSX, the MUE zip a CSV and an XLSX, the RVU zip
the PPRRVU file among others. :func:`iter_members` returns the members fluorocode can read,
as ``(display name, bytes)`` with display names ``archive.zip!member``, in archive order.

**Choice.** Members are identified by name (``filenames.identify``); unknown ones (PDF
read-me files, other PFS files, ``__MACOSX/`` entries) are skipped. When a table (same
table, program, quarter, version and part) is there as TXT/CSV and as XLSX, only the
TXT/CSV is returned: it is the faster and better-specified format.

**Refused** -- a zip is untrusted input:

- not a zip, a corrupt member (bad CRC), an encrypted member: ``EditFileFormatError``;
- a member path that could escape a directory (``..``, absolute, drive letter,
  backslashes) or is a symbolic link; two members with one name;
- more than ``max_members`` entries;
- a zip bomb: a member declaring more than ``max_member_bytes`` (1 GiB) uncompressed, or
  all members together more than ``max_total_bytes``, or a member of more than 1 MiB
  expanding over ``max_ratio`` (100) times its compressed size. Declared sizes can lie, so
  members are also read in chunks and reading stops as soon as the bytes read pass the
  declared size or the limit;
- a nested archive: a member named ``*.zip``, or a chosen member whose bytes are a zip
  (all of the above raise ``EditFileFormatError``);
- a Medicaid zip: domain.md §2 documents only the Medicaid zip names, not the layout of
  their members, so fluorocode does not guess it (``UnknownFileError``);
- a zip without any member fluorocode can read: ``UnknownFileError`` naming the zip and
  listing what it holds.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile

from fluorocode.adapters.cms.filenames import FileIdentity, identify
from fluorocode.domain.codes import Program
from fluorocode.errors import EditFileFormatError, UnknownFileError

__all__ = ["iter_members"]

_CHUNK = 1 << 20
_RATIO_FLOOR = 1 << 20  # the ratio limit applies to members larger than this
_RANK = {"txt": 0, "csv": 0, "xlsx": 1}


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


def _read(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limit: int
) -> bytes:
    allowed = min(info.file_size, limit)
    chunks: list[bytes] = []
    got = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                got += len(chunk)
                if got > allowed:
                    raise EditFileFormatError(
                        name, f"member {info.filename!r} expands past its declared size"
                    )
                chunks.append(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise EditFileFormatError(
            name, f"member {info.filename!r} is corrupt: {exc}"
        ) from exc
    data = b"".join(chunks)
    if data.startswith(b"PK\x03\x04"):
        raise EditFileFormatError(
            name, f"member {info.filename!r} is itself a zip archive"
        )
    return data


def _check(
    infos: list[zipfile.ZipInfo], name: str, limits: tuple[int, int, int, int]
) -> None:
    max_members, max_member_bytes, max_total_bytes, max_ratio = limits
    if len(infos) > max_members:
        raise EditFileFormatError(
            name, f"{len(infos)} members: more than {max_members}"
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
        if size > max_member_bytes:
            raise EditFileFormatError(
                name,
                f"member {member!r} declares {size:,} bytes: more than {max_member_bytes:,}",
            )
        if size > _RATIO_FLOOR and size > max_ratio * max(info.compress_size, 1):
            raise EditFileFormatError(
                name,
                f"member {member!r} expands {size // max(info.compress_size, 1):,} times "
                f"(more than {max_ratio}): a zip bomb?",
            )
        total += size
        if total > max_total_bytes:
            raise EditFileFormatError(
                name, f"members total more than {max_total_bytes:,} bytes"
            )


def iter_members(
    data: bytes,
    name: str,
    *,
    max_members: int = 1000,
    max_member_bytes: int = 1 << 30,
    max_total_bytes: int = 4 << 30,
    max_ratio: int = 100,
) -> list[tuple[str, bytes]]:
    """The readable CMS members of a zip as ``(archive.zip!member, bytes)``.

    Args:
        data: the zip's bytes.
        name: the zip's display name (used in member names and errors).
        max_members: most entries a zip may list.
        max_member_bytes: most bytes one member may expand to.
        max_total_bytes: most bytes all members together may expand to.
        max_ratio: most a member over 1 MiB may expand relative to its compressed size.

    Raises:
        EditFileFormatError: not a zip, or an unsafe, corrupt or oversized member.
        UnknownFileError: a Medicaid zip, or no member fluorocode can read.
    """
    try:
        outer: FileIdentity | None = identify(name)
    except UnknownFileError:
        outer = None
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise EditFileFormatError(name, f"not a readable zip archive: {exc}") from exc
    with archive:
        infos = archive.infolist()
        _check(infos, name, (max_members, max_member_bytes, max_total_bytes, max_ratio))
        listing = [i.filename for i in infos if not i.is_dir()]
        if outer is not None and outer.program is Program.MEDICAID:
            raise UnknownFileError(
                f"{name}: a Medicaid NCCI zip ({outer.table.value}, {outer.quarter}); the "
                "layout of its members is not documented (domain.md §2 documents only the "
                "zip names), so fluorocode does not read it; it holds: "
                + ", ".join(listing)
            )
        best: dict[tuple[object, ...], zipfile.ZipInfo] = {}
        for info in infos:
            if _skipped(info.filename):
                continue
            if info.filename.lower().endswith(".zip"):
                raise EditFileFormatError(
                    name, f"member {info.filename!r} is a nested zip"
                )
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
            if key not in best or _rank(info.filename) < _rank(best[key].filename):
                best[key] = info
        if not best:
            raise UnknownFileError(
                f"{name}: no CMS NCCI/PFS file fluorocode can read inside; it holds: "
                + (", ".join(listing) or "nothing")
            )
        chosen = sorted(best.values(), key=infos.index)
        return [
            (f"{name}!{i.filename}", _read(archive, i, name, max_member_bytes))
            for i in chosen
        ]
