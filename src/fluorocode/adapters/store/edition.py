"""Open a compiled edition directory and answer lookups from it (the EditLookup port).

Every array is memory-mapped read-only when the edition opens (a few milliseconds: maps
are lazy, nothing is read until used). Once open, a ``CompiledEdition`` no longer needs
its directory: if an import replaces or removes the edition meanwhile, whoever holds the
object keeps a whole, consistent edition (the kernel keeps unlinked mapped files alive)
and never mixes one import's manifest with another's arrays. A pair lookup is a binary
search (``numpy.searchsorted``) on the sorted 64-bit keys; all the ordered pairs of an
encounter are searched in one vectorised call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from fluorocode.adapters.store.layout import (
    CODES_FILE,
    MANIFEST,
    OPEN_DELETION,
    STORE_FORMAT,
    array_file,
    kind_of,
)
from fluorocode.domain.codes import (
    CODE_SPACE,
    ModifierIndicator,
    MueAdjudication,
    Program,
    code_key,
    is_code,
    key_code,
)
from fluorocode.domain.edits import (
    AocEdit,
    EditionInfo,
    MueEdit,
    PfsIndicators,
    PtpEdit,
    SourceFile,
    Table,
)
from fluorocode.errors import EditionError, StoreVersionError

Array = np.ndarray[Any, Any]
_COLUMNS = {
    "ptp": ("key", "effective", "deletion", "indicator", "rationale", "pre_1996"),
    "mue": ("key", "value", "mai", "rationale"),
    "aoc": ("key", "edit_type", "effective", "deletion"),
    "pfs": ("key", "status", "pctc", "global_days"),
}


_INDICATORS = {int(m): m for m in ModifierIndicator}


@lru_cache(maxsize=4096)
def int_date(value: int) -> date:
    """A YYYYMMDD integer as a date."""
    return date(value // 10000, value // 100 % 100, value % 100)


def optional_date(value: int) -> date | None:
    """A YYYYMMDD integer as a date; the open-deletion sentinel and 0 (none) as None."""
    if value == OPEN_DELETION or value == 0:
        return None
    return int_date(value)


def read_manifest(path: Path) -> dict[str, Any]:
    try:
        with open(path / MANIFEST, encoding="utf-8") as f:
            manifest: dict[str, Any] = json.load(f)
    except (OSError, ValueError) as exc:
        raise EditionError(f"{path}: not a readable edition ({exc})") from exc
    if manifest.get("format") != STORE_FORMAT:
        raise StoreVersionError(
            f"{path}: store format {manifest.get('format')!r}, this fluorocode reads "
            f"{STORE_FORMAT}; import the CMS files again"
        )
    return manifest


def info_of(manifest: dict[str, Any]) -> EditionInfo:
    return EditionInfo(
        program=Program(manifest["program"]),
        quarter=manifest["quarter"],
        version=manifest["version"],
        demo=bool(manifest["demo"]),
        tables=dict(manifest["tables"]),
        sources=tuple(SourceFile(**s) for s in manifest["sources"]),
    )


class CompiledEdition:
    """One imported edition, read through memory-mapped arrays."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._manifest = read_manifest(path)
        self._info = info_of(self._manifest)
        self._tables: dict[Table, dict[str, Array]] = {}
        self._indexes: dict[Table, dict[str, Any]] = {}
        self._present = frozenset(Table(t) for t in self._info.tables)
        for table in sorted(self._present):
            self._table(table, kind_of(table))
        self._codes: Array = np.load(path / CODES_FILE, mmap_mode="r").view(np.ndarray)
        self._known: frozenset[int] | None = None
        self._first = {
            Table(t): date.fromisoformat(d) if d else None
            for t, d in self._manifest.get("first_effective", {}).items()
        }

    @property
    def info(self) -> EditionInfo:
        return self._info

    def has_table(self, table: Table) -> bool:
        return table in self._present

    def code_known(self, code: str) -> bool | None:
        """Whether ``code`` is in the edition's code universe (module ``compile``).

        None when the edition holds none of the PFS, PTP, MUE and AOC tables. The
        sorted ``codes.npy`` (about 20,000 codes) becomes a set on first use: a set
        probe costs a tenth of a numpy ``searchsorted`` call, and every line of every
        check asks.
        """
        if not self._present:
            return None
        known = self._known
        if known is None:
            known = self._known = frozenset(self._codes.tolist())
        return is_code(code) and code_key(code) in known

    def first_effective(self, table: Table) -> date | None:
        """The earliest effective date among the table's rows, recorded at import.

        None when the table is absent or its rows carry no dates (MUE, PFS).
        """
        return self._first.get(table) if table in self._present else None

    def _table(self, table: Table, kind: str) -> dict[str, Array]:
        arrays = self._tables.get(table)
        if arrays is None:  # only while opening: __init__ maps every table
            # a plain ndarray view of the map: numpy.memmap indexes through Python code
            arrays = {
                c: np.load(self.path / array_file(table, c), mmap_mode="r").view(
                    np.ndarray
                )
                for c in _COLUMNS[kind]
            }
            self._tables[table] = arrays
        return arrays

    def _labels(self, table: Table, column: str) -> list[str]:
        labels: list[str] = self._manifest["labels"][table.value][column]
        return labels

    # -- PTP ---------------------------------------------------------------------

    def ptp_among(self, table: Table, codes: Sequence[str]) -> list[PtpEdit]:
        """Every row whose two codes are both in ``codes`` (either order, all history).

        All ordered pairs are searched in one vectorised call.
        """
        if not self.has_table(table):
            return []
        distinct = sorted(set(codes))
        if len(distinct) < 2:
            return []
        n = len(distinct)
        keys = np.fromiter(map(code_key, distinct), dtype=np.int64, count=n)
        # every ordered pair (a, b), a != b, in row-major order of the n x n grid
        grid = (keys[:, None] * CODE_SPACE + keys[None, :]).ravel()
        wanted = grid[~np.eye(n, dtype=bool).ravel()]
        arrays = self._table(table, "ptp")
        key = arrays["key"]
        lo = key.searchsorted(wanted)
        found = np.flatnonzero(key[np.minimum(lo, len(key) - 1)] == wanted)
        if not len(found):
            return []
        # a pair's history rows are adjacent: extend each hit while the key repeats
        rows_of: list[tuple[str, str]] = []
        index: list[int] = []
        size = len(key)
        for i in found.tolist():
            r, pair = lo.item(i), wanted.item(i)
            a, b = divmod(i, n - 1)  # position in the grid without its diagonal
            codes_ab = (distinct[a], distinct[b + (b >= a)])
            while r < size and key.item(r) == pair:
                index.append(r)
                rows_of.append(codes_ab)
                r += 1
        return self._gather(table, arrays, rows_of, np.array(index, dtype=np.int64))

    def ptp_pair(self, table: Table, column1: str, column2: str) -> list[PtpEdit]:
        """The rows of one ordered pair (all history)."""
        if not self.has_table(table):
            return []
        arrays = self._table(table, "ptp")
        key = arrays["key"]
        pair = code_key(column1) * CODE_SPACE + code_key(column2)
        row = int(key.searchsorted(pair))
        size = len(key)
        rationales = self._labels(table, "rationale")
        out = []
        # scalar reads (``item``) beat any vectorised call for the one to three rows
        # a pair has
        while row < size and key.item(row) == pair:
            out.append(
                PtpEdit(
                    column1,
                    column2,
                    int_date(arrays["effective"].item(row)),
                    optional_date(arrays["deletion"].item(row)),
                    _INDICATORS[arrays["indicator"].item(row)],
                    rationales[arrays["rationale"].item(row)],
                    arrays["pre_1996"].item(row),
                )
            )
            row += 1
        return out

    def _gather(
        self,
        table: Table,
        arrays: dict[str, Array],
        codes: list[tuple[str, str]],
        index: Array,
    ) -> list[PtpEdit]:
        """Build the rows at ``index`` (one fancy-index per column, not per row)."""
        rationales = self._labels(table, "rationale")
        columns = zip(
            codes,
            arrays["effective"][index].tolist(),
            arrays["deletion"][index].tolist(),
            arrays["indicator"][index].tolist(),
            arrays["rationale"][index].tolist(),
            arrays["pre_1996"][index].tolist(),
            strict=True,
        )
        return [
            PtpEdit(
                column1,
                column2,
                int_date(effective),
                optional_date(deletion),
                _INDICATORS[indicator],
                rationales[rationale],
                pre_1996,
            )
            for (
                column1,
                column2,
            ), effective, deletion, indicator, rationale, pre_1996 in columns
        ]

    # -- the small tables (MUE, AOC, PFS: thousands of rows) ---------------------------
    # Read whole into dicts on first use (a few ms), then answered without numpy.

    def _index(self, table: Table, kind: str) -> dict[str, Any]:
        index = self._indexes.get(table)
        if index is None:
            index = self._build_index(table, kind)
            self._indexes[table] = index
        return index

    def _build_index(self, table: Table, kind: str) -> dict[str, Any]:
        arrays = self._table(table, kind)
        lists = {name: arrays[name].tolist() for name in _COLUMNS[kind]}
        if kind == "aoc":
            addons: dict[str, list[AocEdit]] = {}
            for key, edit_type, effective, deletion in zip(
                lists["key"],
                lists["edit_type"],
                lists["effective"],
                lists["deletion"],
                strict=True,
            ):
                addon = key_code(key // CODE_SPACE)
                addons.setdefault(addon, []).append(
                    AocEdit(
                        addon,
                        key_code(key % CODE_SPACE),
                        edit_type,
                        optional_date(effective),
                        optional_date(deletion),
                    )
                )
            return addons
        labels = self._manifest["labels"][table.value]
        if kind == "mue":
            return {
                key_code(key): MueEdit(
                    key_code(key),
                    value,
                    MueAdjudication(mai),
                    labels["rationale"][rationale],
                )
                for key, value, mai, rationale in zip(
                    lists["key"],
                    lists["value"],
                    lists["mai"],
                    lists["rationale"],
                    strict=True,
                )
            }
        return {
            key_code(key): PfsIndicators(
                key_code(key),
                labels["status"][status],
                labels["pctc"][pctc],
                labels["global_days"][global_days],
            )
            for key, status, pctc, global_days in zip(
                lists["key"],
                lists["status"],
                lists["pctc"],
                lists["global_days"],
                strict=True,
            )
        }

    def mue(self, table: Table, code: str) -> MueEdit | None:
        if not self.has_table(table):
            return None
        found: MueEdit | None = self._index(table, "mue").get(code)
        return found

    def pfs(self, code: str) -> PfsIndicators | None:
        if not self.has_table(Table.PFS):
            return None
        found: PfsIndicators | None = self._index(Table.PFS, "pfs").get(code)
        return found

    def aoc_for_addon(self, addon: str) -> list[AocEdit]:
        if not self.has_table(Table.AOC):
            return []
        return list(self._index(Table.AOC, "aoc").get(addon, ()))
