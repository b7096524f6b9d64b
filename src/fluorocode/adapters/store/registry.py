"""The editions kept side by side under one home directory, and how a date picks one.

``<home>/editions/<program>-<quarter>/`` holds one compiled edition. Directories whose
name starts with a dot are work in progress (``.staging-*``) or on their way out
(``.trash-*``): never listed, never opened. An edition appears by one ``rename`` of a
complete staging directory, so a reader never sees half of one, even if the importing
process is killed.

Selection (design.md, Editions): for a program and a date of service, the edition whose
quarter contains the date; else the nearest later edition (CMS files keep every row's
history, so its effective/deletion windows answer an earlier date); a date after the
newest edition's quarter has no edition.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import date
from pathlib import Path

from fluorocode.adapters.store.edition import CompiledEdition
from fluorocode.domain.codes import Program
from fluorocode.domain.edits import EditionInfo
from fluorocode.errors import EditionError, EditionExistsError, EditionNotFoundError


def edition_name(program: Program, quarter: str) -> str:
    return f"{program.value}-{quarter}"


class EditionRegistry:
    """The editions under ``home``; opened editions are cached per directory."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.root = home / "editions"
        self._open: dict[str, tuple[float, CompiledEdition]] = {}
        self._listing: tuple[float, list[CompiledEdition]] | None = None

    def _dirs(self) -> list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(
            p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")
        )

    def open(self, program: Program, quarter: str) -> CompiledEdition:
        name = edition_name(program, quarter)
        path = self.root / name
        try:
            stamp = (path / "edition.json").stat().st_mtime
        except OSError:
            raise EditionNotFoundError(
                f"no {program.value} edition for {quarter}"
            ) from None
        cached = self._open.get(name)
        if cached is None or cached[0] != stamp:
            cached = (stamp, CompiledEdition(path))
            self._open[name] = cached
        return cached[1]

    def editions(self) -> list[CompiledEdition]:
        """Every readable edition, by program then quarter.

        Cached until the editions directory changes: installs and removals rename
        entries in it, which moves its modification time.
        """
        try:
            stamp = self.root.stat().st_mtime_ns
        except OSError:
            return []
        if self._listing is not None and self._listing[0] == stamp:
            return self._listing[1]
        out = []
        for path in self._dirs():
            program, _, quarter = path.name.partition("-")
            try:
                out.append(self.open(Program(program), quarter))
            except (ValueError, EditionError):
                continue  # a foreign or broken directory is not an edition
        self._listing = (stamp, out)
        return out

    def list(self) -> list[EditionInfo]:
        return [e.info for e in self.editions()]

    def select(self, program: Program, dos: date) -> CompiledEdition | None:
        """The edition that answers ``dos`` for ``program`` (see module docstring)."""
        later: CompiledEdition | None = None
        for edition in self.editions():
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

    def staging(self) -> Path:
        """A fresh, unlisted directory path to build an edition in."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.sweep()
        return self.root / f".staging-{uuid.uuid4().hex}"

    def sweep(self) -> None:
        """Remove what killed imports left behind (staging and trash directories)."""
        for p in self.root.iterdir() if self.root.is_dir() else ():
            if p.name.startswith((".staging-", ".trash-")) and p.is_dir():
                shutil.rmtree(p, ignore_errors=True)

    def exists(self, program: Program, quarter: str) -> bool:
        return (self.root / edition_name(program, quarter) / "edition.json").exists()

    def install(
        self, staged: Path, program: Program, quarter: str, replace: bool
    ) -> Path:
        """Move a complete staging directory into place, atomically."""
        final = self.root / edition_name(program, quarter)
        if final.exists():
            if not replace:
                shutil.rmtree(staged, ignore_errors=True)
                raise EditionExistsError(
                    f"a {program.value} edition for {quarter} is already imported; "
                    "use --replace to replace it"
                )
            trash = self.root / f".trash-{uuid.uuid4().hex}"
            os.rename(final, trash)
            os.rename(staged, final)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.rename(staged, final)
        _fsync_dir(self.root)
        self._open.pop(final.name, None)
        return final

    def remove(self, program: Program, quarter: str) -> None:
        final = self.root / edition_name(program, quarter)
        if not final.exists():
            raise EditionNotFoundError(f"no {program.value} edition for {quarter}")
        trash = self.root / f".trash-{uuid.uuid4().hex}"
        os.rename(final, trash)
        _fsync_dir(self.root)
        shutil.rmtree(trash, ignore_errors=True)
        self._open.pop(final.name, None)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
