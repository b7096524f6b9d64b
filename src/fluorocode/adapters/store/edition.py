"""Open a compiled edition directory and answer lookups from it (the EditLookup port).

Arrays are memory-mapped read-only on first use of their table, so opening an edition
costs one small JSON read. A pair lookup is a binary search (``numpy.searchsorted``) on
the sorted 64-bit keys; all the ordered pairs of an encounter are searched in one
vectorised call.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from fluorocode.adapters.store.layout import (
    MANIFEST,
    OPEN_DELETION,
    STORE_FORMAT,
    array_file,
)
from fluorocode.domain.codes import (
    CODE_SPACE,
    ModifierIndicator,
    MueAdjudication,
    Program,
    code_key,
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

    @property
    def info(self) -> EditionInfo:
        return self._info

    def has_table(self, table: Table) -> bool:
        return table.value in self._info.tables

    def _table(self, table: Table, kind: str) -> dict[str, Array]:
        arrays = self._tables.get(table)
        if arrays is None:
            arrays = {
                c: np.load(self.path / array_file(table, c), mmap_mode="r")
                for c in _COLUMNS[kind]
            }
            self._tables[table] = arrays
        return arrays

    def _labels(self, table: Table, column: str) -> list[str]:
        labels: list[str] = self._manifest["labels"][table.value][column]
        return labels

    # -- PTP ---------------------------------------------------------------------

    def ptp_among(self, table: Table, codes: Sequence[str]) -> list[PtpEdit]:
        """Every row whose two codes are both in ``codes`` (either order, all history)."""
        if not self.has_table(table):
            return []
        distinct = sorted(set(codes))
        if len(distinct) < 2:
            return []
        keys = [code_key(c) for c in distinct]
        wanted = np.fromiter(
            (a * CODE_SPACE + b for a in keys for b in keys if a != b), dtype=np.int64
        )
        arrays = self._table(table, "ptp")
        key = arrays["key"]
        lo = key.searchsorted(wanted, "left")
        hi = key.searchsorted(wanted, "right")
        rows: list[PtpEdit] = []
        for i in np.flatnonzero(hi > lo).tolist():
            pair = int(wanted[i])
            rows.extend(self._ptp_rows(table, arrays, pair, int(lo[i]), int(hi[i])))
        return rows

    def ptp_pair(self, table: Table, column1: str, column2: str) -> list[PtpEdit]:
        """The rows of one ordered pair (all history)."""
        if not self.has_table(table):
            return []
        arrays = self._table(table, "ptp")
        key = arrays["key"]
        pair = code_key(column1) * CODE_SPACE + code_key(column2)
        lo = int(key.searchsorted(pair))
        hi = lo
        while hi < len(key) and key[hi] == pair:
            hi += 1
        return self._ptp_rows(table, arrays, pair, lo, hi)

    def _ptp_rows(
        self, table: Table, arrays: dict[str, Array], pair: int, lo: int, hi: int
    ) -> list[PtpEdit]:
        if lo == hi:
            return []
        column1, column2 = key_code(pair // CODE_SPACE), key_code(pair % CODE_SPACE)
        rationales = self._labels(table, "rationale")
        out = []
        for r in range(lo, hi):
            out.append(
                PtpEdit(
                    column1=column1,
                    column2=column2,
                    effective=int_date(int(arrays["effective"][r])),
                    deletion=optional_date(int(arrays["deletion"][r])),
                    indicator=ModifierIndicator(int(arrays["indicator"][r])),
                    rationale=rationales[int(arrays["rationale"][r])],
                    pre_1996=bool(arrays["pre_1996"][r]),
                )
            )
        return out

    # -- single-code tables ----------------------------------------------------------

    def _code_row(self, table: Table, kind: str, code: str) -> tuple[dict[str, Array], int]:
        arrays = self._table(table, kind)
        key = arrays["key"]
        k = code_key(code)
        i = int(key.searchsorted(k))
        return arrays, (i if i < len(key) and int(key[i]) == k else -1)

    def mue(self, table: Table, code: str) -> MueEdit | None:
        if not self.has_table(table):
            return None
        arrays, i = self._code_row(table, "mue", code)
        if i < 0:
            return None
        return MueEdit(
            code=code,
            value=int(arrays["value"][i]),
            mai=MueAdjudication(int(arrays["mai"][i])),
            rationale=self._labels(table, "rationale")[int(arrays["rationale"][i])],
        )

    def pfs(self, code: str) -> PfsIndicators | None:
        if not self.has_table(Table.PFS):
            return None
        arrays, i = self._code_row(Table.PFS, "pfs", code)
        if i < 0:
            return None

        def label(column: str) -> str:
            return self._labels(Table.PFS, column)[int(arrays[column][i])]

        return PfsIndicators(
            code=code, status=label("status"), pctc=label("pctc"),
            global_days=label("global_days"),
        )

    def aoc_for_addon(self, addon: str) -> list[AocEdit]:
        if not self.has_table(Table.AOC):
            return []
        arrays = self._table(Table.AOC, "aoc")
        key = arrays["key"]
        base = code_key(addon) * CODE_SPACE
        lo, hi = (int(i) for i in key.searchsorted([base, base + CODE_SPACE]))
        return [
            AocEdit(
                addon=addon,
                primary=key_code(int(key[r]) % CODE_SPACE),
                edit_type=int(arrays["edit_type"][r]),
                effective=optional_date(int(arrays["effective"][r])),
                deletion=optional_date(int(arrays["deletion"][r])),
            )
            for r in range(lo, hi)
        ]
