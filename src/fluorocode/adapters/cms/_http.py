"""HTTP download of one file, with resume, bounded retries and an atomic finish.

Standard library only (``urllib.request``). A download goes to ``NAME.part``; an existing
``.part`` is continued with an HTTP ``Range`` request and restarted cleanly when the server
ignores Range (answers 200) or the range does not fit. A complete file is checked to be a
zip, fsynced and renamed into place, so a final name never holds half a file. Timeouts,
dropped connections and HTTP 408/425/429/5xx are retried with exponential backoff; DNS
failure, other HTTP errors, a non-zip answer and a full disk are ``FetchError``s naming
the URL or path. Planning which files to fetch lives in ``fetch``.
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from fluorocode.errors import FetchError

_CHUNK = 1 << 16
_ZIP_MAGIC = b"PK\x03\x04"
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class FetchOptions:
    """Network settings: seconds per socket operation, retries per file, backoff base."""

    timeout: float = 60.0
    retries: int = 4
    backoff: float = 1.0
    max_parts: int = 20


@dataclass(frozen=True, slots=True)
class Downloaded:
    """One completed download; ``resumed_from`` > 0 when a ``.part`` was continued."""

    url: str
    path: Path
    bytes: int
    sha256: str
    resumed_from: int


class _Transient(Exception):
    """A failure worth retrying (timeout, dropped connection, 5xx); never escapes."""


class _NotFound(Exception):
    """HTTP 404/410; never escapes."""


def _user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"fluorocode/{version('fluorocode')} (+urllib)"
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "fluorocode (+urllib)"


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """``bytes 100-199/1000`` -> (100, 1000); ``bytes */1000`` -> (None, 1000)."""
    m = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", value or "")
    if m is None:
        return None, None
    start = int(m[1]) if m[1] is not None else None
    return start, int(m[2]) if m[2] != "*" else None


def disk_error(path: Path, exc: OSError) -> FetchError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return FetchError(
            f"{path}: disk full while downloading; free some space and run the same "
            "command again (the partial download is kept and resumed)"
        )
    return FetchError(f"{path}: cannot write ({exc.strerror or exc})")


def _open(url: str, offset: int, timeout: float) -> http.client.HTTPResponse:
    headers = {"User-Agent": _user_agent(), "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response: http.client.HTTPResponse = urllib.request.urlopen(
            request, timeout=timeout
        )
        return response
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code in (404, 410):
            raise _NotFound from None
        if exc.code == 416:
            raise
        if exc.code in _RETRY_STATUS:
            raise _Transient(f"HTTP {exc.code} {exc.reason}") from None
        hint = ""
        if exc.code in (401, 403):
            hint = (
                "; the server refused the file (behind a license click-through?): "
                "download it from the CMS page and use `fluorocode editions import`"
            )
        raise FetchError(f"{url}: HTTP {exc.code} {exc.reason}{hint}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, socket.gaierror):
            host = urlsplit(url).hostname
            raise FetchError(
                f"{url}: cannot resolve {host} ({exc.reason.strerror}): are you "
                "offline? Download the CMS zips elsewhere and use "
                "`fluorocode editions import`"
            ) from None
        raise _Transient(str(exc.reason)) from None
    except (OSError, http.client.HTTPException) as exc:
        raise _Transient(str(exc) or type(exc).__name__) from None


def hash_file(path: Path) -> hashlib._Hash:
    hasher = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            hasher.update(chunk)
    return hasher


def _finish(
    url: str, part: Path, dest: Path, hasher: hashlib._Hash, resumed: int
) -> Downloaded:
    with part.open("rb") as f:
        head = f.read(len(_ZIP_MAGIC))
    if head != _ZIP_MAGIC:
        part.unlink()
        raise FetchError(
            f"{url}: the server did not send a zip (an HTML or license page?); "
            "download the file from the CMS page and use `fluorocode editions import`"
        )
    size = part.stat().st_size
    os.replace(part, dest)
    try:  # make the rename durable; not every platform can fsync a directory
        fd = os.open(dest.parent, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        pass
    else:
        try:
            os.fsync(fd)
        except OSError:  # pragma: no cover - filesystems without directory fsync
            pass
        finally:
            os.close(fd)
    return Downloaded(url, dest, size, hasher.hexdigest(), resumed)


def _attempt(
    url: str,
    dest: Path,
    part: Path,
    meter: Callable[[int, int | None], None],
    timeout: float,
) -> Downloaded:
    offset = part.stat().st_size if part.is_file() else 0
    try:
        response = _open(url, offset, timeout)
    except urllib.error.HTTPError as exc:  # 416: the .part's range does not fit
        _, size = _content_range(exc.headers.get("Content-Range"))
        if offset and size == offset:
            return _finish(url, part, dest, hash_file(part), offset)
        part.unlink(missing_ok=True)
        raise _Transient("the server refused to resume; restarting") from None
    with response:
        total: int | None
        if response.status == 206 and offset:
            start, total = _content_range(response.headers.get("Content-Range"))
            if start != offset:
                part.unlink()
                raise _Transient("the server resumed at the wrong offset; restarting")
            mode, hasher = "ab", hash_file(part)
        else:  # a fresh download, or the server ignored Range: start over
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            mode, hasher, offset = "wb", hashlib.sha256(), 0
        done = offset
        meter(done, total)
        try:
            with part.open(mode) as out:
                while True:
                    try:
                        chunk = response.read(_CHUNK)
                    except (OSError, http.client.HTTPException) as exc:
                        raise _Transient(
                            f"connection lost after {done:,} bytes ({exc!r})"
                        ) from None
                    if not chunk:
                        break
                    out.write(chunk)
                    hasher.update(chunk)
                    done += len(chunk)
                    meter(done, total)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise disk_error(part, exc) from None
    if total is not None and done != total:
        if done > total:
            part.unlink()
        raise _Transient(f"connection closed after {done:,} of {total:,} bytes")
    return _finish(url, part, dest, hasher, offset)


def download(
    url: str,
    dest: Path,
    progress: Callable[[int, int | None], None] | None = None,
    *,
    options: FetchOptions = FetchOptions(),
    missing_ok: bool = False,
) -> Downloaded | None:
    """Download ``url`` to ``dest`` through ``dest.part``, resuming a ``.part`` left over.

    Args:
        url: the file's URL.
        dest: the final path; written only complete (fsync, then rename).
        progress: called with (bytes so far, total bytes or None).
        options: timeout, retries and backoff.
        missing_ok: on HTTP 404/410 return None instead of raising.

    Raises:
        FetchError: not found, an HTTP or DNS error, retries exhausted, not a zip, disk
            full; the message names the URL or path.
    """
    part = dest.with_name(dest.name + ".part")
    meter = progress or (lambda _done, _total: None)
    failures = 0
    while True:
        try:
            return _attempt(url, dest, part, meter, options.timeout)
        except _NotFound:
            if missing_ok:
                return None
            raise FetchError(f"{url}: not found (HTTP 404)") from None
        except _Transient as exc:
            failures += 1
            if failures > options.retries:
                raise FetchError(
                    f"{url}: {exc} (gave up after {failures} attempts)"
                ) from None
            time.sleep(min(options.backoff * 2 ** (failures - 1), 30.0))
