"""The editions kept side by side under one home directory, and how a date picks one.

Layout of ``<home>/editions/``::

    medicare-2024Q3 -> .v-medicare-2024Q3-<id>    the edition: a symbolic link
    .v-medicare-2024Q3-<id>/                       one import, never changed once linked
    .staging-<id>/  .trash-<id>/  .link-<id>       work in progress or on its way out

and ``<home>/.editions.lock``, held by an import or a removal.

Names starting with a dot are never listed. Each import builds a new, uniquely named
directory and then points the edition's link at it with one ``rename`` (``os.replace``
of a fresh link over the old one), so a reader resolves either the old import or the
new one and never "no edition" or half of one, even while a ``--replace`` import runs in
another process or the importer is killed. The previous import's directory is deleted
after the swap; readers that opened it keep it whole (``CompiledEdition`` maps every
array when it opens), and a reader caught between resolving the old link and mapping
its files retries on the new link.

Selection (design.md, Editions): for a program and a date of service, the edition whose
quarter contains the date; else the nearest later edition (CMS files keep every row's
history, so its effective/deletion windows answer an earlier date); a date after the
newest edition's quarter has no edition.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import ClassVar

from fluorocode.adapters.store.edition import CompiledEdition
from fluorocode.domain.codes import Program
from fluorocode.domain.edits import EditionInfo
from fluorocode.errors import EditionError, EditionExistsError, EditionNotFoundError

Paths = list[Path]  # ``list`` is shadowed by EditionRegistry.list inside the class

#: A cached listing is trusted only once the directory's modification time is this much
#: older than the listing (file system timestamps are coarse: two changes within one
#: tick would otherwise look like none). Until then the directory is read again.
_RACY_NS = 1_000_000_000
#: A trusted listing is used without looking at the directory again for this long
#: (issue 11: a stat per check cost more than some rules). An install or removal by
#: any registry of this process is seen at once (``_changes``); one by another process
#: within this much.
_RECHECK_NS = 10_000_000
_OPEN_ATTEMPTS = 4


def _remove_tree(path: Path) -> None:
    """Delete a directory and what it holds, ignoring errors (an import's leftovers)."""
    import shutil  # imports and removals only: it loads bz2 and lzma (issue 11)

    shutil.rmtree(path, ignore_errors=True)


def edition_name(program: Program, quarter: str) -> str:
    return f"{program.value}-{quarter}"


class EditionRegistry:
    """The editions under ``home``; opened editions are cached per import."""

    #: Installs and removals made in this process so far, by any registry.
    _changes: ClassVar[int] = 0

    def __init__(self, home: Path) -> None:
        self.home = home
        self.root = home / "editions"
        self._open: dict[str, tuple[str, int, CompiledEdition]] = {}
        self._listing: tuple[int, int, list[CompiledEdition]] | None = None
        # when (monotonic) the trusted listing was last checked against the directory,
        # and this process's installs and removals by then
        self._checked: tuple[int, int] = (0, -1)
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._lock_fd: int | None = None

    def _dirs(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(
            p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")
        )

    def open(self, program: Program, quarter: str) -> CompiledEdition:
        """The edition of ``program`` and ``quarter`` as it is now.

        Raises:
            EditionNotFoundError: no such edition.
        """
        name = edition_name(program, quarter)
        link = self.root / name
        for attempt in range(_OPEN_ATTEMPTS):
            try:
                target = os.path.realpath(link, strict=True)
                stamp = os.stat(os.path.join(target, "edition.json")).st_mtime_ns
            except OSError:
                if attempt + 1 < _OPEN_ATTEMPTS and os.path.lexists(link):
                    continue  # the link moved on while we looked: look again
                raise EditionNotFoundError(
                    f"no {program.value} edition for {quarter}"
                ) from None
            cached = self._open.get(name)
            if cached is not None and cached[:2] == (target, stamp):
                return cached[2]
            try:
                edition = CompiledEdition(Path(target))
            except (OSError, EditionError) as exc:
                # a replace or removal deleted this import while we mapped it
                if attempt + 1 < _OPEN_ATTEMPTS and _moved(link, target):
                    continue
                if isinstance(exc, EditionError):
                    raise
                raise EditionError(f"{target}: not a readable edition ({exc})") from exc
            self._open[name] = (target, stamp, edition)
            return edition
        raise EditionNotFoundError(f"no {program.value} edition for {quarter}")

    def editions(self) -> list[CompiledEdition]:
        """Every readable edition, by program then quarter.

        Cached until the editions directory changes: installs and removals rename
        entries in it, which moves its modification time (see ``_RACY_NS``). The
        directory is looked at again at most every ``_RECHECK_NS``, and after any
        install or removal in this process.
        """
        listing = self._listing
        changes = EditionRegistry._changes  # read before the stat: a change after it
        now = time.monotonic_ns()  # is seen by the next call
        if listing is not None and self._checked[1] == changes:
            if now - self._checked[0] < _RECHECK_NS:
                return listing[2]
        try:
            stamp = self.root.stat().st_mtime_ns
        except OSError:
            return []
        if (
            listing is not None
            and listing[0] == stamp
            and listing[1] - stamp > _RACY_NS
        ):
            self._checked = (now, changes)
            return listing[2]
        taken = time.time_ns()
        out = []
        for path in self._dirs():
            program, _, quarter = path.name.partition("-")
            try:
                out.append(self.open(Program(program), quarter))
            except (ValueError, EditionError):
                continue  # a foreign or broken directory is not an edition
        self._listing = (stamp, taken, out)
        if taken - stamp > _RACY_NS:  # trusted already: stands for the interval
            self._checked = (now, changes)
        return out

    def list(self) -> list[EditionInfo]:
        return [e.info for e in self.editions()]

    def has_entries(self) -> bool:
        """True when anything was imported, readable or not (never the demo then)."""
        return bool(self._dirs())

    def select(
        self,
        program: Program,
        dos: date,
        editions: Sequence[CompiledEdition] | None = None,
    ) -> CompiledEdition | None:
        """The edition that answers ``dos`` for ``program`` (see module docstring).

        Args:
            program: the encounter's program.
            dos: its date of service.
            editions: a listing already taken (``editions()``), else a fresh one.
        """
        later: CompiledEdition | None = None
        for edition in self.editions() if editions is None else editions:
            if edition.info.program is not program:
                continue
            start, end = edition.info.quarter_bounds()
            if start <= dos <= end:
                return edition
            if dos < start and (
                later is None or edition.info.quarter < later.info.quarter
            ):
                later = edition
        return later

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the home's write lock: one import or removal at a time, across processes.

        Re-entrant within one registry. Readers never take it.
        """
        with self._thread_lock:
            if self._depth == 0:
                self.root.mkdir(parents=True, exist_ok=True)
                lock = self.home / ".editions.lock"
                fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._lock_fd = fd
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._lock_fd is not None:
                    os.close(self._lock_fd)  # closing releases the flock
                    self._lock_fd = None

    def staging(self) -> Path:
        """A fresh, unlisted directory path to build an edition in."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.sweep()
        return self.root / f".staging-{uuid.uuid4().hex}"

    def sweep(self) -> None:
        """Remove what killed imports left behind, and imports no link points at.

        Run it under ``writing()`` when other processes may import into the same home:
        an import's directory is unreferenced for a moment before its link swaps in.
        """
        for p in self.leftovers():
            if p.is_symlink():
                p.unlink(missing_ok=True)
            elif p.name.startswith((".staging-", ".trash-", ".v-")) and p.is_dir():
                _remove_tree(p)

    def leftovers(self) -> Paths:
        """Work directories no edition uses (what ``sweep`` would remove)."""
        if not self.root.is_dir():
            return []
        linked = {os.readlink(p) for p in self.root.iterdir() if p.is_symlink()}
        return sorted(
            p
            for p in self.root.iterdir()
            if p.name.startswith(".") and (p.is_symlink() or p.name not in linked)
        )

    def exists(self, program: Program, quarter: str) -> bool:
        return (self.root / edition_name(program, quarter) / "edition.json").exists()

    def install(
        self, staged: Path, program: Program, quarter: str, replace: bool
    ) -> Path:
        """Make a complete staging directory the edition, atomically (module docstring).

        Returns:
            The edition's path (its link).
        """
        name = edition_name(program, quarter)
        final = self.root / name
        with self.writing():
            present = final.is_symlink()
            if final.exists() and not present:
                _remove_tree(staged)
                raise EditionError(
                    f"{final} is not an edition link: move it away first"
                )
            if present and not replace:
                _remove_tree(staged)
                raise EditionExistsError(
                    f"a {program.value} edition for {quarter} is already imported; "
                    "use --replace to replace it"
                )
            token = uuid.uuid4().hex
            version = self.root / f".v-{name}-{token}"
            os.rename(staged, version)
            link = self.root / f".link-{token}"
            os.symlink(version.name, link)  # relative: the home may be moved
            old = self.root / os.readlink(final) if present else None
            os.replace(link, final)  # the swap: one atomic rename
            _fsync_dir(self.root)
            if old is not None:
                _discard(old, self.root)
            self._open.pop(name, None)
            _changed()
        return final

    def remove(self, program: Program, quarter: str) -> None:
        name = edition_name(program, quarter)
        final = self.root / name
        with self.writing():
            if not final.is_symlink():
                raise EditionNotFoundError(f"no {program.value} edition for {quarter}")
            target = self.root / os.readlink(final)
            final.unlink()
            _fsync_dir(self.root)
            _discard(target, self.root)
            self._open.pop(name, None)
            _changed()


def _changed() -> None:
    """Make every registry of this process look at its directory again."""
    # not atomic across threads, but any two bumps still leave it changed
    EditionRegistry._changes += 1


def _moved(link: Path, target: str) -> bool:
    """Whether ``link`` now resolves somewhere other than ``target`` (or nowhere)."""
    try:
        return os.path.realpath(link, strict=True) != target
    except OSError:
        return os.path.lexists(link)


def _discard(path: Path, root: Path) -> None:
    """Delete a replaced import: renamed out of the way first, so a crash leaves trash."""
    trash = root / f".trash-{uuid.uuid4().hex}"
    try:
        os.rename(path, trash)
    except OSError:
        return
    _remove_tree(trash)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
