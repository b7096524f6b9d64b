"""Compile parsed CMS tables (polars DataFrames) into an edition directory.

Input frames have the columns documented in ``adapters/cms`` (architecture.md). Each
table is sorted by its 64-bit key with a stable sort, so history rows of one pair keep
their file order; every row is kept (duplicates, deleted and indicator-9 rows included).
Small string columns (rationales, PFS indicators) become one-byte indices into a label
list kept in the manifest.

The Parquet copies are written on a worker thread while the arrays are saved: polars
releases the GIL, so on two cores the two writes overlap.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from fluorocode.adapters.store.layout import (
    MANIFEST,
    STORE_FORMAT,
    array_file,
    kind_of,
    parquet_file,
)
from fluorocode.domain.codes import CODE_SPACE
from fluorocode.domain.edits import EditionInfo, Table
from fluorocode.errors import EditionError

Progress = Callable[[str], None]

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


def code_keys(*columns: pl.Series) -> list[np.ndarray[Any, np.dtype[np.int64]]]:
    """Base-36 keys of code columns, computed once per distinct code.

    The distinct codes of all columns become a polars Enum; its physical index then
    picks each row's key from a small lookup array, so no per-row Python runs.
    """
    both = pl.concat([c.cast(pl.String) for c in columns])
    distinct = both.unique().sort()
    lut = np.fromiter(
        (int(c, 36) for c in distinct.to_list()), dtype=np.int64, count=len(distinct)
    )
    index = both.cast(pl.Enum(distinct.to_list())).to_physical().to_numpy()
    keys = lut[index]
    out = []
    start = 0
    for column in columns:
        out.append(keys[start : start + len(column)])
        start += len(column)
    return out


def _labels(series: pl.Series, name: str) -> tuple[list[str], np.ndarray[Any, Any]]:
    values = series.fill_null("").cast(pl.String)
    labels = values.unique().sort().to_list()
    if len(labels) > 255:
        raise EditionError(
            f"column {name} has {len(labels)} distinct values (limit 255)"
        )
    index = values.cast(pl.Enum(labels)).to_physical().to_numpy().astype(np.uint8)
    return labels, index


def compile_table(table: Table, frame: pl.DataFrame, out: Path) -> dict[str, list[str]]:
    """Write one table's key-sorted arrays; return its label lists."""
    kind = kind_of(table)
    if kind == "pfs":
        # lookups want each code's own indicators: the row without a modifier
        frame = frame.filter(pl.col("modifier") == "")
    keys = code_keys(*(frame[c] for c in _KEY_COLUMNS[kind]))
    key = keys[0] * CODE_SPACE + keys[1] if len(keys) == 2 else keys[0]
    order = np.argsort(key, kind="stable")
    np.save(out / array_file(table, "key"), key[order])
    for column, dtype in _PLAIN_COLUMNS[kind].items():
        values = frame[column]
        if values.null_count():
            values = values.fill_null(0)
        np.save(out / array_file(table, column), values.to_numpy().astype(dtype)[order])
    labels: dict[str, list[str]] = {}
    for column in _LABEL_COLUMNS[kind]:
        labels[column], index = _labels(frame[column], f"{table.value}.{column}")
        np.save(out / array_file(table, column), index[order])
    return labels


def compile_edition(
    frames: dict[Table, pl.DataFrame],
    info: EditionInfo,
    out: Path,
    progress: Progress | None = None,
) -> None:
    """Write every table and, last, the manifest into the (new, empty) directory ``out``."""
    say = progress or (lambda _msg: None)
    out.mkdir(parents=True, exist_ok=False)
    labels: dict[str, dict[str, list[str]]] = {}
    with ThreadPoolExecutor(max_workers=1) as parquet_writer:
        pending = [
            parquet_writer.submit(
                frame.write_parquet, out / parquet_file(table), compression="lz4"
            )
            for table, frame in frames.items()
        ]
        for table, frame in frames.items():
            say(f"compiling {table.value} ({len(frame):,} rows)")
            labels[table.value] = compile_table(table, frame, out)
        for future in pending:
            future.result()
    manifest = manifest_of(info, labels)
    path = out / MANIFEST
    with open(path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())


def manifest_of(
    info: EditionInfo, labels: dict[str, dict[str, list[str]]]
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
    }
