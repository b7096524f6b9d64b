"""Import official CMS files into a new edition: identify, parse, compile, install.

One import builds one edition (program + quarter) from every file given: plain files,
directories of them, or the CMS zips. The program, quarter and version come from the
file names (``adapters.cms.filenames``); PTP and MUE files must agree on the quarter.
Add-on code and fee schedule files are published less often, so an older quarter of
theirs is accepted and recorded with its source.

Medicaid (docs/medicaid.md): the Medicaid zips, or their files named by table, setting and
quarter (``--program medicaid`` when the name lacks the Medicaid word), make an edition
``medicaid-<quarter>`` beside Medicare's, read by ``adapters.cms.medicaid_file``; it has no
version (Medicaid files carry none). Medicaid NCCI has no add-on code edits, so an AOC
file is refused in a Medicaid import; it publishes no fee schedule either, so a Medicaid
edition holds a PFS table (for the PC/TC split) only when Medicare's file is given in the
same import, with at least one Medicaid PTP/MUE file; the edition's sources then name it
and every report says so (``edition.borrowed``).

Atomic: everything is built in a staging directory and swapped into place only when
complete (``registry.install``); any error leaves the existing editions exactly as they
were, and a running service keeps answering from the old edition until the swap.

Bounded (issues 8 and 11): inputs must be regular files (a symbolic link, device, FIFO
or socket is refused by name), each file or zip member is streamed within the bounds of
``adapters.cms._input.Limits`` (256 MiB, lines of 64 KiB), and files are read one at a
time -- the next one on a worker thread while the current one parses -- and compiled as
they come: each file's bytes and frame are released once its rows are compact arrays
(``compile.TableBuilder``), so memory holds about two files, not the edition.

Fast (issue 11): a PTP TXT file is parsed straight into Categorical columns, and its
checks and the compiler share that one hashing of every value (``ptp_file.parse_ptp_txt``
hands the compiler the distinct values it checked); a finished table is sorted and
written on a worker thread, and its Parquet copy on another, while the next table is
read.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from fluorocode.adapters.cms import (
    aoc_file,
    medicaid_file,
    mue_file,
    pfs_file,
    ptp_file,
)
from fluorocode.adapters.cms._distinct import Distinct
from fluorocode.adapters.cms._input import (
    DEFAULT_LIMITS,
    Content,
    Limits,
    open_regular,
    read_bounded,
    refuse_special,
)
from fluorocode.adapters.cms.archive import open_members
from fluorocode.adapters.cms.filenames import (
    FileIdentity,
    identify,
    identify_medicaid,
)
from fluorocode.adapters.store.compile import EditionWriter
from fluorocode.adapters.store.registry import EditionRegistry
from fluorocode.domain.codes import Program
from fluorocode.domain.edits import EditionInfo, SourceFile, Table
from fluorocode.errors import (
    DataSourceError,
    EditFileFormatError,
    EditionExistsError,
    UnknownFileError,
)

Progress = Callable[[str], None]
Reader = Callable[[bytes, str], tuple[pl.DataFrame, Mapping[str, Distinct]]]

_PTP = {Table.PTP_PRACTITIONER, Table.PTP_OUTPATIENT_HOSPITAL, Table.PTP_DME}
_MUE = {Table.MUE_PRACTITIONER, Table.MUE_OUTPATIENT_HOSPITAL, Table.MUE_DME}
#: Tables a Medicaid edition may take from Medicare's files (Medicaid publishes none).
BORROWED = (Table.PFS,)


@dataclass(frozen=True, slots=True)
class Source:
    """One CMS file to import: display name, what its name says it is, how to read it.

    ``read`` streams the bytes within the import's limits (nothing is read before).
    """

    name: str
    identity: FileIdentity
    read: Callable[[], Content]


def _is_xlsx(name: str) -> bool:
    return name.rsplit(".", 1)[-1].lower() in ("xlsx", "xls")


def read_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> Content:
    """A plain input file's bytes, streamed within ``limits`` (``_input``).

    Raises:
        DataSourceError: not a regular file, or unreadable.
        EditFileFormatError: over a bound.
    """
    with open_regular(path) as stream:
        size = os.fstat(stream.fileno()).st_size
        if size > limits.max_file_bytes:
            raise EditFileFormatError(
                path.name,
                f"{size:,} bytes: more than the {limits.max_file_bytes:,} allowed",
            )
        try:
            return read_bounded(stream, path.name, limits, text=not _is_xlsx(path.name))
        except OSError as exc:
            raise DataSourceError(f"{path}: cannot read ({exc.strerror})") from exc


def reader_for(source: Source) -> Reader:
    """The reader of a source: its frame, and the :class:`Distinct` views it built
    (the PTP TXT reader's Categorical codes: the compiler reuses them, issue 11)."""
    table, ext = source.identity.table, source.name.rsplit(".", 1)[-1].lower()
    xlsx = ext in ("xlsx", "xls")
    if source.identity.program is Program.MEDICAID:
        return _medicaid_reader(table, xlsx)
    if table in _PTP and not xlsx:
        return ptp_file.parse_ptp_txt
    readers: dict[bool, Callable[[bytes, str], pl.DataFrame]]
    if table in _PTP:
        readers = {True: ptp_file.read_ptp_xlsx}
    elif table in _MUE:
        readers = {True: mue_file.read_mue_xlsx, False: mue_file.read_mue_csv}
    elif table is Table.AOC:
        readers = {True: aoc_file.read_aoc_xlsx, False: aoc_file.read_aoc_txt}
    else:
        readers = {True: pfs_file.read_pfs_xlsx, False: pfs_file.read_pfs_csv}
    read = readers[xlsx]
    return lambda data, name: (read(data, name), {})


def _medicaid_reader(table: Table, xlsx: bool) -> Reader:
    if table in _PTP and not xlsx:
        return medicaid_file.parse_medicaid_ptp_txt
    read: Callable[[bytes, str], pl.DataFrame]
    if table in _PTP:
        read = medicaid_file.read_medicaid_ptp_xlsx
    elif xlsx:
        read = medicaid_file.read_medicaid_mue_xlsx
    else:
        read = medicaid_file.read_medicaid_mue_text
    return lambda data, name: (read(data, name), {})


def _identify(name: str, program: Program | None) -> FileIdentity:
    try:
        return identify(name)
    except UnknownFileError:
        if program is not Program.MEDICAID:
            raise
        return identify_medicaid(name)


def collect(
    paths: Iterable[Path],
    limits: Limits = DEFAULT_LIMITS,
    program: Program | None = None,
    *,
    _top: bool = True,
) -> list[Source]:
    """Expand directories and zips into the CMS files they hold, identified by name.

    Nothing is read but a zip's directory. A directory's sub-directories are skipped;
    any other entry, like any path given, must be a regular file (``_input``). With
    ``program`` Medicaid, a name CMS does not use for Medicare is read as a Medicaid
    file's (``filenames.identify_medicaid``).

    Raises:
        DataSourceError: a link, device, FIFO or socket, naming it.
        UnknownFileError: a name fluorocode does not know, or no file at all.
    """
    out: list[Source] = []
    for path in paths:
        if stat.S_ISDIR(refuse_special(path).st_mode):
            if _top:
                entries = sorted(path.iterdir())
                files = [p for p in entries if not p.is_dir() or p.is_symlink()]
                out.extend(collect(files, limits, program, _top=False))
            continue
        identity = _identify(path.name, program)
        if identity.container:
            out.extend(
                Source(m.name, m.identity, m.read)
                for m in open_members(path, path.name, limits)
            )
        else:
            out.append(Source(path.name, identity, _file_reader(path, limits)))
    if not out and _top:
        raise UnknownFileError("no CMS files given")
    return out


def _file_reader(path: Path, limits: Limits) -> Callable[[], Content]:
    return lambda: read_file(path, limits)


def plan(
    sources: Sequence[Source], program: Program | None
) -> tuple[Program, str, str]:
    """The program, quarter and version the sources make, or a clear refusal."""
    names: dict[str, str] = {}
    for s in sources:
        key = s.name.split("!")[-1].lower()
        if key in names:
            raise DataSourceError(f"{s.name}: given twice (also as {names[key]})")
        names[key] = s.name
    core = [s for s in sources if s.identity.table in _PTP | _MUE]
    programs = {s.identity.program for s in core} or {
        s.identity.program for s in sources
    }
    medicaid_core = Program.MEDICAID in programs
    if medicaid_core or program is Program.MEDICAID:
        aoc = [s.name for s in sources if s.identity.table is Table.AOC]
        if aoc:
            raise DataSourceError(
                f"{', '.join(aoc)}: Medicaid NCCI has no add-on code edits (CMS "
                "MLN9018659: PTP and MUE only); a Medicaid edition takes no AOC file"
            )

    def borrowed(s: Source) -> bool:
        # Medicare's AOC/PFS files in a Medicaid edition (module docstring)
        return medicaid_core and s.identity.table in BORROWED

    if program is not None:
        wrong = [
            f"{s.name} ({s.identity.program.value})"
            for s in sources
            if s.identity.program is not program
            and not (program is Program.MEDICAID and borrowed(s))
        ]
        if wrong:
            raise DataSourceError(
                f"--program {program.value}, but the file names say otherwise: "
                + ", ".join(wrong)
            )
    elif len(programs) > 1 or any(
        s.identity.program not in programs and not borrowed(s) for s in sources
    ):
        raise DataSourceError(
            "files of more than one program: "
            + ", ".join(f"{s.name} ({s.identity.program.value})" for s in sources)
        )
    chosen = program or next(iter(programs))
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
    limits: Limits = DEFAULT_LIMITS,
) -> EditionInfo:
    """Import CMS files into one new edition under ``registry`` and return its info.

    Args:
        paths: files, directories of them, or CMS zips.
        registry: the editions home.
        program: the program, when the file names should not decide it.
        replace: replace an edition of the same program and quarter.
        progress: called with a line of progress now and then.
        limits: bounds on the inputs (``adapters.cms._input.Limits``).
    """
    say = progress or (lambda _msg: None)
    sources = collect(paths, limits, program)
    chosen, quarter, version = plan(sources, program)
    if registry.exists(chosen, quarter) and not replace:
        raise EditionExistsError(
            f"a {chosen.value} edition for {quarter} is already imported; "
            "use --replace to replace it"
        )
    # a table's files one after another, tables in order of first appearance: each
    # table is written (and its arrays freed) as soon as its last file is read
    first: dict[Table, int] = {}
    for i, s in enumerate(sources):
        first.setdefault(s.identity.table, i)
    order = sorted(
        range(len(sources)), key=lambda i: (first[sources[i].identity.table], i)
    )
    rows: dict[int, int] = {}
    sha: dict[int, str] = {}
    # one import or removal at a time per home: the sweep in staging() must not take
    # another process's build for the leftovers of a killed one
    with registry.writing():
        staged = registry.staging()
        writer = EditionWriter(staged, progress=say)
        try:
            with ThreadPoolExecutor(max_workers=1) as prefetch:
                ahead: Future[Content] = prefetch.submit(sources[order[0]].read)
                for step, i in enumerate(order):
                    s = sources[i]
                    say(f"reading {s.name}")
                    content = ahead.result()
                    if step + 1 < len(order):
                        ahead = prefetch.submit(sources[order[step + 1]].read)
                    sha[i] = content.sha256
                    frame, seen = reader_for(s)(content.data, s.name)
                    del content
                    rows[i] = frame.height
                    writer.add(s.identity.table, frame, s.name, seen)
                    del frame, seen
                    nxt = order[step + 1] if step + 1 < len(order) else None
                    if (
                        nxt is None
                        or sources[nxt].identity.table is not s.identity.table
                    ):
                        writer.finish_table(s.identity.table)
            tables: dict[str, int] = {}
            for i, s in enumerate(sources):
                key = s.identity.table.value
                tables[key] = tables.get(key, 0) + rows[i]
            info = EditionInfo(
                program=chosen,
                quarter=quarter,
                version=version,
                demo=False,
                tables=dict(sorted(tables.items())),
                sources=tuple(
                    SourceFile(
                        file=s.name,
                        sha256=sha[i],
                        rows=rows[i],
                        table=s.identity.table.value,
                    )
                    for i, s in enumerate(sources)
                ),
            )
            writer.finish(info)
        except BaseException:
            writer.abort()
            shutil.rmtree(staged, ignore_errors=True)
            raise
        registry.install(staged, chosen, quarter, replace)
    say(f"imported {chosen.value} {quarter}")
    return info
