"""Compile parsed CMS tables (polars DataFrames) into an edition directory.

Input frames have the columns documented in ``adapters/cms``. A :class:`TableBuilder`
takes a table's files one at a time (:meth:`TableBuilder.add`) and keeps only compact
numpy arrays of each (an int64 key and one small array per column, about 19 bytes a
PTP row), so the importer can drop each file's bytes and frame before reading the next
(issue 11). :meth:`TableBuilder.finish` sorts the rows by their 64-bit key with a stable
sort, so history rows of one pair keep their file order, and writes the arrays; every
row is kept (duplicates, deleted and indicator-9 rows included). Small string columns
(rationales, PFS indicators) become one-byte indices into a label list kept in the
manifest.

No step runs Python per row: codes become keys, and strings label indices, through their
few distinct values (:func:`dictionary`).

Besides the tables, an edition holds its **code universe** (``codes.npy``: every
distinct code of its PFS, PTP -- both columns --, MUE and AOC tables as a sorted int32
base-36 key; the MAC-defined placeholder primary ``CCCCC`` is not a code) and, in the
manifest, each table's earliest effective date.

The Parquet copies (for DuckDB / Spark) are written on a worker thread while the next
table compiles: polars releases the GIL, so on two cores the two overlap. PTP Parquet
rows are in key order, codes and rationales dictionary-encoded (polars Enum).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

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


def dictionary(series: pl.Series) -> tuple[list[str], Array]:
    """The distinct values of a String column and each row's index among them (uint32).

    Runs through a polars Categorical: one hash per row in Rust, then numpy gathers.
    """
    if series.dtype != pl.Categorical:
        series = series.fill_null("").cast(pl.String).cast(pl.Categorical)
    cat = series
    distinct = cat.unique()
    values: list[str] = distinct.cast(pl.String).to_list()
    if not values:
        return [], np.zeros(0, dtype=np.uint32)
    physical = distinct.to_physical().to_numpy()
    lut = np.zeros(int(physical.max()) + 1, dtype=np.uint32)
    lut[physical] = np.arange(len(values), dtype=np.uint32)
    return values, lut[cat.to_physical().to_numpy()]


def code_keys(*columns: pl.Series) -> list[Array]:
    """Base-36 keys (int64) of code columns, computed once per distinct code."""
    return [keys for keys, _ in _keys_and_codes(columns)]


def _keys_and_codes(columns: Iterable[pl.Series]) -> list[tuple[Array, Array]]:
    """Per column: each row's key, and the column's distinct keys (unsorted)."""
    out = []
    for column in columns:
        values, index = dictionary(column)
        lut = np.fromiter((int(v, 36) for v in values), np.int64, count=len(values))
        out.append((lut[index], lut))
    return out


def key_codes(keys: Array) -> list[str]:
    """The five-character codes of base-36 keys (inverse of ``code_keys``), vectorised."""
    digits = (np.asarray(keys, dtype=np.int64)[:, None] // _POWERS) % 36
    chars = np.ascontiguousarray(_DIGITS[digits])
    return [c.decode("ascii") for c in chars.view("S5").ravel().tolist()]


class _Labels:
    """A table column's label list, grown file by file; indices remapped at the end."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.ids: dict[str, int] = {}

    def index(self, series: pl.Series) -> Array:
        values, index = dictionary(series)
        ids = np.fromiter(
            (self.ids.setdefault(v, len(self.ids)) for v in values),
            np.uint32,
            count=len(values),
        )
        return ids[index]

    def sorted(self, index: Array) -> tuple[list[str], Array]:
        labels = sorted(self.ids)
        if len(labels) > 255:
            raise EditionError(
                f"column {self.name} has {len(labels)} distinct values (limit 255)"
            )
        remap = np.empty(len(self.ids), dtype=np.uint8)
        for position, label in enumerate(labels):
            remap[self.ids[label]] = position
        return labels, remap[index]


class TableBuilder:
    """One table's rows, added file by file as compact arrays (see the module doc)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.kind = kind_of(table)
        self.rows = 0
        self._keys: list[Array] = []
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

    def add(self, frame: pl.DataFrame, source: str) -> None:
        """Take one file's rows (``source`` names the file in errors)."""
        kind = self.kind
        if kind != "ptp":
            self._frames.append(frame)
        if kind == "pfs":
            # the universe holds every code of the file, modifier rows included ...
            self._codes.append(_keys_and_codes([frame["code"]])[0][1])
            # ... but lookups want each code's own indicators: the row without one
            frame = frame.filter(pl.col("modifier") == "")
        pairs = _keys_and_codes(frame[c] for c in _KEY_COLUMNS[kind])
        keys = [k for k, _ in pairs]
        if kind != "pfs":
            for column, (_, codes) in zip(_KEY_COLUMNS[kind], pairs, strict=True):
                if column == "primary":
                    codes = codes[codes != int(MAC_DEFINED, 36)]
                self._codes.append(codes)
        key = keys[0] * CODE_SPACE + keys[1] if len(keys) == 2 else keys[0]
        self._keys.append(key)
        for column, dtype in _PLAIN_COLUMNS[kind].items():
            values = frame[column]
            if values.null_count():
                values = values.fill_null(0)
            self._plain[column].append(values.to_numpy().astype(dtype, copy=False))
        for column in _LABEL_COLUMNS[kind]:
            self._label_index[column].append(self._labels[column].index(frame[column]))
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

    def finish(self, out: Path) -> tuple[dict[str, list[str]], pl.DataFrame]:
        """Write the sorted arrays into ``out``; return the label lists and the Parquet
        frame (written by the caller, on a worker thread)."""
        table = self.table
        key = _concat(self._keys, np.int64)
        self._keys.clear()
        order = np.argsort(key, kind="stable")
        key = key[order]
        if self.kind == "mue":
            self._refuse_conflicts(key, order)
        np.save(out / array_file(table, "key"), key)
        columns: dict[str, Array] = {}
        for column, dtype in _PLAIN_COLUMNS[self.kind].items():
            values = _concat(self._plain.pop(column), dtype)[order]
            np.save(out / array_file(table, column), values)
            columns[column] = values
        labels: dict[str, list[str]] = {}
        for column in _LABEL_COLUMNS[self.kind]:
            index = _concat(self._label_index.pop(column), np.uint32)
            labels[column], small = self._labels[column].sorted(index)
            small = small[order]
            np.save(out / array_file(table, column), small)
            columns[column] = small
        if self.kind == "ptp":
            parquet = _ptp_parquet(key, columns, labels)
        else:
            parquet = pl.concat(self._frames) if self._frames else pl.DataFrame()
        self._frames.clear()
        return labels, parquet

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


def _enum(values: list[str], index: Array) -> pl.Series:
    return pl.Series(values, dtype=pl.Enum(values)).gather(index)


def _ptp_parquet(
    key: Array, columns: dict[str, Array], labels: dict[str, list[str]]
) -> pl.DataFrame:
    """The PTP rows as a frame for Parquet: codes and rationales dictionary-encoded."""
    c1, c2 = np.divmod(key, CODE_SPACE)
    distinct = np.unique(np.concatenate([np.unique(c1), np.unique(c2)]))
    codes = key_codes(distinct)
    return pl.DataFrame(
        {
            "column1": _enum(codes, np.searchsorted(distinct, c1)),
            "column2": _enum(codes, np.searchsorted(distinct, c2)),
            "pre_1996": columns["pre_1996"],
            "effective": columns["effective"],
            "deletion": columns["deletion"],
            "indicator": columns["indicator"],
            "rationale": _enum(labels["rationale"], columns["rationale"]),
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
        self._parquet = ThreadPoolExecutor(max_workers=1)
        self._pending: list[Future[None]] = []

    def add(self, table: Table, frame: pl.DataFrame, source: str) -> None:
        builder = self._builders.get(table)
        if builder is None:
            builder = self._builders[table] = TableBuilder(table)
        builder.add(frame, source)

    def finish_table(self, table: Table) -> None:
        """Write one table (call once all its files are added); frees its arrays."""
        builder = self._builders.pop(table)
        self.say(f"compiling {table.value} ({builder.rows:,} rows)")
        self._codes.append(builder.codes())
        first = builder.first_effective()
        self._first[table.value] = first.isoformat() if first else None
        labels, frame = builder.finish(self.out)
        self._labels[table.value] = labels
        path = self.out / parquet_file(table)
        self._pending.append(
            self._parquet.submit(frame.write_parquet, path, compression="lz4")
        )

    def finish(self, info: EditionInfo) -> None:
        """Finish any table left, wait for the Parquet copies, write codes and manifest."""
        try:
            for table in list(self._builders):
                self.finish_table(table)
            universe = np.unique(np.concatenate(self._codes)) if self._codes else _EMPTY
            np.save(self.out / CODES_FILE, universe.astype(np.int32))
            for future in self._pending:
                future.result()
        finally:
            self._parquet.shutdown(wait=True, cancel_futures=True)
        manifest = manifest_of(info, self._labels, self._first)
        path = self.out / MANIFEST
        with open(path, "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())

    def abort(self) -> None:
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
