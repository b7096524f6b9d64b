"""Compile parsed CMS tables (polars DataFrames) into an edition directory.

Input frames have the columns documented in ``adapters/cms`` (code and label columns
String or Categorical). A :class:`TableBuilder` takes a table's files one at a time
(:meth:`TableBuilder.add`) and keeps only compact numpy arrays of each (per key column
a uint32 position among the file's distinct codes, one small array per other column:
about 19 bytes a PTP row), so the importer can drop each file's bytes and frame before
reading the next (issue 11). :meth:`TableBuilder.finish` makes each row's 64-bit key,
sorts the rows by it with a stable sort, so history rows of one pair keep their file
order, and writes the arrays; every row is kept (duplicates, deleted and indicator-9
rows included). Small string columns (rationales, PFS indicators) become one-byte
indices into a label list kept in the manifest.

No step runs Python per row, and no column is hashed twice: codes become keys, and
strings label indices, through their few distinct values (``adapters.cms._distinct``;
the PTP reader hands over Categorical columns, hashed once by the parse).

Besides the tables, an edition holds its **code universe** (``codes.npy``: every
distinct code of its PFS, PTP -- both columns --, MUE and AOC tables as a sorted int32
base-36 key; the MAC-defined placeholder primary ``CCCCC`` is not a code) and, in the
manifest, each table's earliest effective date.

:class:`EditionWriter` sorts and writes a finished table on a worker thread, and its
Parquet copy (for DuckDB / Spark) on another, while the importer reads the next table:
numpy and polars release the GIL, so on two cores they overlap. PTP Parquet rows are in
key order, codes and rationales dictionary-encoded (polars Enum); the copies carry no
column statistics (the batch engines scan whole tables)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from fluorocode.adapters.cms._distinct import Distinct, distinct
from fluorocode.adapters.store.layout import (
    CODES_FILE,
    MANIFEST,
    STORE_FORMAT,
    array_file,
    kind_of,
    parquet_file,
)
from fluorocode.domain.codes import CODE_SPACE
from fluorocode.domain.edits import EditionInfo, Table
from fluorocode.errors import EditFileFormatError, EditionError

Progress = Callable[[str], None]
Array = np.ndarray[Any, Any]

#: Which frame columns hold the codes that make each table's key.
_KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "ptp": ("column1", "column2"),
    "mue": ("code",),
    "aoc": ("addon", "primary"),
    "pfs": ("code",),
}
_LABEL_COLUMNS: dict[str, tuple[str, ...]] = {
    "ptp": ("rationale",),
    "mue": ("rationale",),
    "aoc": (),
    "pfs": ("status", "pctc", "global_days"),
}
_PLAIN_COLUMNS: dict[str, dict[str, str]] = {
    "ptp": {"effective": "<i4", "deletion": "<i4", "indicator": "u1", "pre_1996": "?"},
    "mue": {"value": "<i4", "mai": "u1"},
    "aoc": {"edit_type": "u1", "effective": "<i4", "deletion": "<i4"},
    "pfs": {},
}
#: The AOC primary written for "the contractor defines the primaries": not a code.
MAC_DEFINED = "CCCCC"
_DIGITS = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_POWERS = 36 ** np.arange(4, -1, -1, dtype=np.int64)


def _positions(view: Distinct) -> Array:
    return np.arange(len(view.values), dtype=np.uint32)


def _value_keys(view: Distinct) -> Array:
    """The base-36 key (int64) of each distinct code, vectorised (codes are checked)."""
    if view.values.is_empty():
        return _EMPTY
    return view.values.str.to_integer(base=36).cast(pl.Int64).to_numpy()


def key_codes(keys: Array) -> list[str]:
    """The five-character codes of base-36 keys (``int(code, 36)``), vectorised."""
    digits = (np.asarray(keys, dtype=np.int64)[:, None] // _POWERS) % 36
    chars = np.ascontiguousarray(_DIGITS[digits])
    return [c.decode("ascii") for c in chars.view("S5").ravel().tolist()]


class _Labels:
    """A table column's label list, grown file by file; indices remapped at the end."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.ids: dict[str, int] = {}

    def index(self, view: Distinct) -> Array:
        """A file's column as label indices (refused past 255 labels: one byte each)."""
        ids = np.fromiter(
            (self.ids.setdefault(v, len(self.ids)) for v in view.values.to_list()),
            np.uint32,
            count=len(view.values),
        )
        if len(self.ids) > 255:
            raise EditionError(
                f"column {self.name} has {len(self.ids)} distinct values (limit 255)"
            )
        return view.spread(ids.astype(np.uint8))

    def sorted(self, index: Array) -> tuple[list[str], Array]:
        labels = sorted(self.ids)
        remap = np.empty(len(self.ids), dtype=np.uint8)
        for position, label in enumerate(labels):
            remap[self.ids[label]] = position
        return labels, remap[index]


class _Codes:
    """A key column's codes, file by file: each file's distinct code keys, and per row
    the position of its code among them (uint32). Rows become keys only in ``finish``,
    where the same positions, mapped to the table's sorted codes, give the PTP Parquet
    copy its dictionary-encoded code columns without a search per row."""

    def __init__(self) -> None:
        self.keys: list[Array] = []
        self.rows: list[Array] = []

    def add(self, view: Distinct) -> Array:
        """Take a file's column; return its distinct code keys."""
        keys = _value_keys(view)
        self.keys.append(keys)
        self.rows.append(view.spread(_positions(view)))
        return keys

    def positions(self, codes: Array) -> Array:
        """Per row (all files), the position of its code in ``codes`` (sorted keys)."""
        parts = [
            np.take(np.searchsorted(codes, keys).astype(np.uint32), rows)
            for keys, rows in zip(self.keys, self.rows, strict=True)
        ]
        self.keys.clear()
        self.rows.clear()
        return _concat(parts, np.uint32)


@dataclass(frozen=True, slots=True)
class SortedTable:
    """A table ready to write: its arrays by file name, label lists, Parquet frame."""

    arrays: dict[str, Array]
    labels: dict[str, list[str]]
    parquet: Callable[[], pl.DataFrame]


class TableBuilder:
    """One table's rows, added file by file as compact arrays (see the module doc)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.kind = kind_of(table)
        self.rows = 0
        self._key_columns = {c: _Codes() for c in _KEY_COLUMNS[self.kind]}
        self._plain: dict[str, list[Array]] = {c: [] for c in _PLAIN_COLUMNS[self.kind]}
        self._label_index: dict[str, list[Array]] = {
            c: [] for c in _LABEL_COLUMNS[self.kind]
        }
        self._labels = {
            c: _Labels(f"{table.value}.{c}") for c in _LABEL_COLUMNS[self.kind]
        }
        self._codes: list[Array] = []
        self._first: int | None = None
        self._files: list[str] = []
        self._file_of_row: list[Array] = []
        self._frames: list[pl.DataFrame] = []  # the small tables' frames, for Parquet

    def add(
        self,
        frame: pl.DataFrame,
        source: str,
        seen: Mapping[str, Distinct] | None = None,
    ) -> None:
        """Take one file's rows (``source`` names the file in errors).

        ``seen``: :class:`Distinct` views of the frame's columns the reader already
        built (the PTP reader's codes and rationales), by column.
        """
        kind = self.kind
        views = dict(seen or {})

        def view(column: str) -> Distinct:
            return views.get(column) or distinct(frame[column])

        if kind != "ptp":
            self._frames.append(frame)
        if kind == "pfs":
            # the universe holds every code of the file, modifier rows included ...
            self._codes.append(_value_keys(distinct(frame["code"])))
            # ... but lookups want each code's own indicators: the row without one
            frame = frame.filter(pl.col("modifier") == "")
            views.clear()
        for column, codes in self._key_columns.items():
            keys = codes.add(view(column))
            if kind != "pfs":
                if column == "primary":
                    keys = keys[keys != int(MAC_DEFINED, 36)]
                self._codes.append(keys)
        for column, dtype in _PLAIN_COLUMNS[kind].items():
            values = frame[column]
            if values.null_count():
                values = values.fill_null(0)
            self._plain[column].append(values.to_numpy().astype(dtype, copy=False))
        for column in _LABEL_COLUMNS[kind]:
            self._label_index[column].append(self._labels[column].index(view(column)))
        if "effective" in _PLAIN_COLUMNS[kind] and frame.height:
            dated = frame["effective"].drop_nulls()
            dated = dated.filter(dated > 0)
            if len(dated):
                low = int(dated.min())  # type: ignore[arg-type]
                self._first = low if self._first is None else min(self._first, low)
        if kind == "mue":
            self._file_of_row.append(
                np.full(frame.height, len(self._files), dtype=np.uint16)
            )
        self._files.append(source)
        self.rows += frame.height

    def codes(self) -> Array:
        """The distinct code keys of every row added so far (sorted int64)."""
        return np.unique(np.concatenate(self._codes)) if self._codes else _EMPTY

    def first_effective(self) -> date | None:
        """The earliest effective date of the rows (None: no dated rows)."""
        if self._first is None:
            return None
        v = self._first
        return date(v // 10000, v // 100 % 100, v % 100)

    def sort(self) -> SortedTable:
        """The rows sorted by key, as the edition's arrays; frees the builder's."""
        table = self.table
        every = [k for c in self._key_columns.values() for k in c.keys]
        codes = np.unique(np.concatenate(every)) if every else _EMPTY
        positions = [c.positions(codes) for c in self._key_columns.values()]
        keys = [np.take(codes, p) for p in positions]
        key = keys[0] * CODE_SPACE + keys[1] if len(keys) == 2 else keys[0]
        del keys
        order = np.argsort(key, kind="stable")
        key = np.take(key, order)
        if self.kind == "mue":
            self._refuse_conflicts(key, order)
        columns: dict[str, Array] = {"key": key}
        for column, dtype in _PLAIN_COLUMNS[self.kind].items():
            columns[column] = np.take(_concat(self._plain.pop(column), dtype), order)
        labels: dict[str, list[str]] = {}
        for column in _LABEL_COLUMNS[self.kind]:
            index = _concat(self._label_index.pop(column), np.uint8)
            labels[column], small = self._labels[column].sorted(index)
            columns[column] = np.take(small, order)
        parquet: Callable[[], pl.DataFrame]
        if self.kind == "ptp":
            rationales = labels["rationale"]

            def parquet() -> pl.DataFrame:
                c1, c2 = (np.take(p, order) for p in positions)
                return _ptp_parquet(codes, c1, c2, columns, rationales)

        else:
            frames = list(self._frames)

            def parquet() -> pl.DataFrame:
                return pl.concat(frames) if frames else pl.DataFrame()

        self._frames.clear()
        arrays = {array_file(table, c): v for c, v in columns.items()}
        return SortedTable(arrays, labels, parquet)

    def _refuse_conflicts(self, key: Array, order: Array) -> None:
        """Two files of one MUE table giving a code different edits: refused."""
        if len(self._files) < 2 or len(key) < 2:
            return
        value = _concat(self._plain["value"], np.int32)[order]
        mai = _concat(self._plain["mai"], np.uint8)[order]
        same = key[1:] == key[:-1]
        differ = same & ((value[1:] != value[:-1]) | (mai[1:] != mai[:-1]))
        if not differ.any():
            return
        at = int(np.flatnonzero(differ)[0])
        files = _concat(self._file_of_row, np.uint16)[order]
        (code,) = key_codes(key[at : at + 1])
        first, second = self._files[files[at]], self._files[files[at + 1]]
        raise EditFileFormatError(
            second,
            f"code {code} has value {value[at + 1]}, MAI {mai[at + 1]} here but value "
            f"{value[at]}, MAI {mai[at]} in {first}: two files of one MUE table "
            "disagree",
            column="value",
        )


_EMPTY = np.zeros(0, dtype=np.int64)


def _concat(parts: list[Array], dtype: Any) -> Array:
    if not parts:
        return np.zeros(0, dtype=dtype)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _write_parquet(frame: Callable[[], pl.DataFrame], path: Path) -> None:
    # no column statistics: the batch engines scan whole tables (a third of the
    # write's time, issue 11)
    frame().write_parquet(path, compression="lz4", statistics=False)


def _enum(values: list[str], index: Array) -> pl.Series:
    # a Series index: polars gathers it as is (a numpy one would be converted first)
    return pl.Series(values, dtype=pl.Enum(values)).gather(pl.Series(index))


def _ptp_parquet(
    codes: Array,
    column1: Array,
    column2: Array,
    columns: dict[str, Array],
    rationales: list[str],
) -> pl.DataFrame:
    """The PTP rows as a frame for Parquet: codes and rationales dictionary-encoded.

    ``column1``/``column2`` are positions in ``codes`` (the table's sorted code keys).
    """
    names = key_codes(codes)
    return pl.DataFrame(
        {
            "column1": _enum(names, column1),
            "column2": _enum(names, column2),
            "pre_1996": columns["pre_1996"],
            "effective": columns["effective"],
            "deletion": columns["deletion"],
            "indicator": columns["indicator"],
            "rationale": _enum(rationales, columns["rationale"]),
        }
    )


class EditionWriter:
    """Builds an edition directory table by table (the importer's streaming path)."""

    def __init__(self, out: Path, progress: Progress | None = None) -> None:
        self.out = out
        self.say = progress or (lambda _msg: None)
        out.mkdir(parents=True, exist_ok=False)
        self._builders: dict[Table, TableBuilder] = {}
        self._labels: dict[str, dict[str, list[str]]] = {}
        self._codes: list[Array] = []
        self._first: dict[str, str | None] = {}
        self._worker = ThreadPoolExecutor(max_workers=1)
        self._parquet = ThreadPoolExecutor(max_workers=1)
        self._tables: list[Future[None]] = []  # tables written on the worker
        self._copies: list[Future[None]] = []  # their Parquet copies (appended by it)

    def add(
        self,
        table: Table,
        frame: pl.DataFrame,
        source: str,
        seen: Mapping[str, Distinct] | None = None,
    ) -> None:
        builder = self._builders.get(table)
        if builder is None:
            builder = self._builders[table] = TableBuilder(table)
        builder.add(frame, source, seen)

    def finish_table(self, table: Table) -> None:
        """Write one table (call once all its files are added); frees its arrays.

        An MUE table is checked and written at once: two of its files may disagree,
        and that error must come before later files are read. Any other table can no
        longer be refused, so it is sorted and written on the worker thread (numpy and
        polars release the GIL) while the importer reads on.
        """
        builder = self._builders.pop(table)
        self.say(f"compiling {table.value} ({builder.rows:,} rows)")
        self._codes.append(builder.codes())
        first = builder.first_effective()
        self._first[table.value] = first.isoformat() if first else None
        if builder.kind == "mue":
            self._write(builder)
        else:
            self._tables.append(self._worker.submit(self._write, builder))

    def _write(self, builder: TableBuilder) -> None:
        done = builder.sort()
        self._labels[builder.table.value] = done.labels
        # the Parquet copy is made on its own thread while the arrays are written
        path = self.out / parquet_file(builder.table)
        self._copies.append(self._parquet.submit(_write_parquet, done.parquet, path))
        for name, array in done.arrays.items():
            np.save(self.out / name, array)

    def finish(self, info: EditionInfo) -> None:
        """Finish any table left, wait for the worker, write codes and manifest."""
        try:
            for table in list(self._builders):
                self.finish_table(table)
            universe = np.unique(np.concatenate(self._codes)) if self._codes else _EMPTY
            np.save(self.out / CODES_FILE, universe.astype(np.int32))
            for future in self._tables:
                future.result()
            for future in self._copies:  # all submitted now: each by its table's write
                future.result()
        finally:
            self.abort()
        manifest = manifest_of(info, self._labels, self._first)
        path = self.out / MANIFEST
        with open(path, "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())

    def abort(self) -> None:
        self._worker.shutdown(wait=True, cancel_futures=True)
        self._parquet.shutdown(wait=True, cancel_futures=True)


def compile_edition(
    frames: dict[Table, pl.DataFrame],
    info: EditionInfo,
    out: Path,
    progress: Progress | None = None,
    sources: Iterable[str] | None = None,
) -> None:
    """Write whole tables and, last, the manifest into the (new, empty) directory ``out``.

    ``sources`` names the frames in errors (default: the table names).
    """
    writer = EditionWriter(out, progress)
    try:
        names = list(sources) if sources is not None else [t.value for t in frames]
        for (table, frame), name in zip(frames.items(), names, strict=True):
            writer.add(table, frame, name)
            writer.finish_table(table)
        writer.finish(info)
    except BaseException:
        writer.abort()
        raise


def manifest_of(
    info: EditionInfo,
    labels: dict[str, dict[str, list[str]]],
    first_effective: dict[str, str | None] | None = None,
) -> dict[str, Any]:
    return {
        "format": STORE_FORMAT,
        "program": info.program.value,
        "quarter": info.quarter,
        "version": info.version,
        "demo": info.demo,
        "tables": info.tables,
        "sources": [
            {"file": s.file, "sha256": s.sha256, "rows": s.rows, "table": s.table}
            for s in info.sources
        ],
        "labels": labels,
        "first_effective": dict(sorted((first_effective or {}).items())),
    }
