"""Import official CMS files into a new edition: identify, parse, compile, install.

One import builds one edition (program + quarter) from every file given: plain files,
directories of them, or the CMS zips. The program, quarter and version come from the
file names (``adapters.cms.filenames``); PTP and MUE files must agree on the quarter.
Add-on code and fee schedule files are published less often, so an older quarter of
theirs is accepted and recorded with its source.

Atomic: everything is built in a staging directory and swapped into place only when
complete (``registry.install``); any error leaves the existing editions exactly as they
were, and a running service keeps answering from the old edition until the swap.
"""

from __future__ import annotations

import hashlib
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from fluorocode.adapters.cms import aoc_file, mue_file, pfs_file, ptp_file
from fluorocode.adapters.cms.archive import iter_members
from fluorocode.adapters.cms.filenames import FileIdentity, identify
from fluorocode.adapters.store.compile import compile_edition
from fluorocode.adapters.store.registry import EditionRegistry
from fluorocode.domain.codes import Program
from fluorocode.domain.edits import EditionInfo, SourceFile, Table
from fluorocode.errors import (
    DataSourceError,
    EditionExistsError,
    UnknownFileError,
)

Progress = Callable[[str], None]
Reader = Callable[[bytes, str], pl.DataFrame]

_PTP = {Table.PTP_PRACTITIONER, Table.PTP_OUTPATIENT_HOSPITAL, Table.PTP_DME}
_MUE = {Table.MUE_PRACTITIONER, Table.MUE_OUTPATIENT_HOSPITAL, Table.MUE_DME}


@dataclass(frozen=True, slots=True)
class SourceBytes:
    """One CMS file to import: display name, content and what its name says it is."""

    name: str
    data: bytes
    identity: FileIdentity


def reader_for(source: SourceBytes) -> Reader:
    table, ext = source.identity.table, source.name.rsplit(".", 1)[-1].lower()
    xlsx = ext in ("xlsx", "xls")
    readers: dict[bool, Reader]
    if table in _PTP:
        readers = {True: ptp_file.read_ptp_xlsx, False: ptp_file.read_ptp_txt}
    elif table in _MUE:
        readers = {True: mue_file.read_mue_xlsx, False: mue_file.read_mue_csv}
    elif table is Table.AOC:
        readers = {True: aoc_file.read_aoc_xlsx, False: aoc_file.read_aoc_txt}
    else:
        readers = {True: pfs_file.read_pfs_xlsx, False: pfs_file.read_pfs_csv}
    return readers[xlsx]


def collect(paths: Iterable[Path]) -> list[SourceBytes]:
    """Expand directories and zips into the CMS files they hold, identified by name."""
    out: list[SourceBytes] = []
    for path in paths:
        if path.is_dir():
            out.extend(collect(sorted(p for p in path.iterdir() if p.is_file())))
            continue
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DataSourceError(f"{path}: cannot read ({exc.strerror})") from exc
        identity = identify(path.name)
        if identity.container:
            for member, content in iter_members(data, path.name):
                out.append(
                    SourceBytes(member, content, identify(member.split("!")[-1]))
                )
        else:
            out.append(SourceBytes(path.name, data, identity))
    if not out:
        raise UnknownFileError("no CMS files given")
    return out


def plan(
    sources: Sequence[SourceBytes], program: Program | None
) -> tuple[Program, str, str]:
    """The program, quarter and version the sources make, or a clear refusal."""
    names: dict[str, str] = {}
    for s in sources:
        key = s.name.split("!")[-1].lower()
        if key in names:
            raise DataSourceError(f"{s.name}: given twice (also as {names[key]})")
        names[key] = s.name
    programs = {s.identity.program for s in sources}
    if program is not None:
        wrong = [
            f"{s.name} ({s.identity.program.value})"
            for s in sources
            if s.identity.program is not program
        ]
        if wrong:
            raise DataSourceError(
                f"--program {program.value}, but the file names say otherwise: "
                + ", ".join(wrong)
            )
    elif len(programs) > 1:
        raise DataSourceError(
            "files of more than one program: "
            + ", ".join(f"{s.name} ({s.identity.program.value})" for s in sources)
        )
    chosen = program or next(iter(programs))
    core = [s for s in sources if s.identity.table in _PTP | _MUE]
    quarters = {s.identity.quarter for s in core if s.identity.quarter}
    if len(quarters) > 1:
        raise DataSourceError(
            "PTP and MUE files of different quarters: "
            + ", ".join(f"{s.name} ({s.identity.quarter})" for s in core)
        )
    if not quarters:
        quarters = {s.identity.quarter for s in sources if s.identity.quarter}
    if len(quarters) != 1:
        raise DataSourceError(
            "cannot tell the edition's quarter from the file names; "
            "import PTP or MUE files with their CMS names"
        )
    versions = {
        s.identity.version
        for s in sources
        if s.identity.table in _PTP and s.identity.version
    }
    if len(versions) > 1:
        raise DataSourceError(
            f"PTP files of different versions: {sorted(map(str, versions))}"
        )
    quarter = quarters.pop()
    assert quarter is not None  # only named quarters were collected
    return chosen, quarter, str(versions.pop()) if versions else ""


def import_files(
    paths: Sequence[Path],
    registry: EditionRegistry,
    program: Program | None = None,
    replace: bool = False,
    progress: Progress | None = None,
) -> EditionInfo:
    """Import CMS files into one new edition under ``registry`` and return its info."""
    say = progress or (lambda _msg: None)
    sources = collect(paths)
    chosen, quarter, version = plan(sources, program)
    if registry.exists(chosen, quarter) and not replace:
        raise EditionExistsError(
            f"a {chosen.value} edition for {quarter} is already imported; "
            "use --replace to replace it"
        )
    with ThreadPoolExecutor(max_workers=1) as hasher:
        digests = [
            hasher.submit(lambda d: hashlib.sha256(d).hexdigest(), s.data)
            for s in sources
        ]
        frames: dict[Table, list[pl.DataFrame]] = defaultdict(list)
        counts: list[int] = []
        for s in sources:
            say(f"reading {s.name}")
            frame = reader_for(s)(s.data, s.name)
            frames[s.identity.table].append(frame)
            counts.append(len(frame))
        sha = [d.result() for d in digests]
    tables = {t: pl.concat(fs) if len(fs) > 1 else fs[0] for t, fs in frames.items()}
    info = EditionInfo(
        program=chosen,
        quarter=quarter,
        version=version,
        demo=False,
        tables={t.value: len(f) for t, f in sorted(tables.items())},
        sources=tuple(
            SourceFile(file=s.name, sha256=h, rows=n, table=s.identity.table.value)
            for s, h, n in zip(sources, sha, counts, strict=True)
        ),
    )
    # one import or removal at a time per home: the sweep in staging() must not take
    # another process's build for the leftovers of a killed one
    with registry.writing():
        staged = registry.staging()
        try:
            compile_edition(tables, info, staged, progress=say)
        except BaseException:
            shutil.rmtree(staged, ignore_errors=True)
            raise
        registry.install(staged, chosen, quarter, replace)
    say(f"imported {chosen.value} {quarter}")
    return info
