"""Open a compiled edition directory and answer lookups from it (the EditLookup port).

Every array is memory-mapped read-only when the edition opens (a few milliseconds: maps
are lazy, nothing is read until used). Once open, a ``CompiledEdition`` no longer needs
its directory: if an import replaces or removes the edition meanwhile, whoever holds the
object keeps a whole, consistent edition (the kernel keeps unlinked mapped files alive)
and never mixes one import's manifest with another's arrays. Every lookup is a binary
search (``bisect`` over the mapped array: module ``arrays``, no numpy) of a table's
sorted 64-bit keys: a code's PTP rows as column 1 are one slice of them, its MUE, PFS or
AOC rows another. What a lookup finds is
remembered (a code's PTP partners as a set of integers, a pair's rows, a code's rows), so
later checks answer from memory; no whole-table structure is ever built (issue 11).
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fluorocode.adapters.store.arrays import as_numpy, read_column
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

if TYPE_CHECKING:
    import numpy as np

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
        self._tables: dict[Table, dict[str, memoryview]] = {}
        self._present = frozenset(Table(t) for t in self._info.tables)
        for table in sorted(self._present):
            self._table(table, kind_of(table))
        self._codes = read_column(path / CODES_FILE)
        # what lookups found, by table and code (PTP: by pair key)
        self._memo: dict[Table, dict[Any, Any]] = {t: {} for t in self._present}
        self._partner_memo: dict[Table, dict[str, tuple[int, frozenset[int]]]] = {
            t: {} for t in self._present
        }
        self._known: dict[str, bool] = {}
        # the small tables' memos, None when absent (per-line lookups: no Table
        # member is looked up on the class, a slow attribute on Python 3.11)
        self._aoc_memo = self._memo.get(Table.AOC)
        self._pfs_memo = self._memo.get(Table.PFS)
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

        None when the edition holds none of the PFS, PTP, MUE and AOC tables. A binary
        search of the sorted ``codes.npy`` (about 20,000 codes) answers a code the first
        time; the answer is remembered, since every line of every check asks.
        """
        if not self._present:
            return None
        known = self._known.get(code)
        if known is None:
            known = False
            if is_code(code):
                key = code_key(code)
                at = bisect_left(self._codes, key)
                known = at < len(self._codes) and self._codes[at] == key
            _remember(self._known, code, known, _CODES)
        return known

    def first_effective(self, table: Table) -> date | None:
        """The earliest effective date among the table's rows, recorded at import.

        None when the table is absent or its rows carry no dates (MUE, PFS).
        """
        return self._first.get(table) if table in self._present else None

    def _table(self, table: Table, kind: str) -> dict[str, memoryview]:
        arrays = self._tables.get(table)
        if arrays is None:  # only while opening: __init__ maps every table
            arrays = {
                c: read_column(self.path / array_file(table, c)) for c in _COLUMNS[kind]
            }
            self._tables[table] = arrays
        return arrays

    def _labels(self, table: Table, column: str) -> list[str]:
        labels: list[str] = self._manifest["labels"][table.value][column]
        return labels

    def columns(self, table: Table) -> dict[str, np.ndarray[Any, Any]]:
        """A held table's column arrays (read-only maps in key order), by column name.

        For whole-table readers (``diff``), as numpy arrays over the same maps (numpy
        is imported on this first call, never by a check); label columns hold indices
        into :meth:`labels`.
        """
        return {c: as_numpy(v) for c, v in self._tables[table].items()}

    def labels(self, table: Table, column: str) -> list[str]:
        """The label list a held table's label column indexes (rationales, PFS)."""
        return self._labels(table, column)

    # -- PTP ---------------------------------------------------------------------

    def ptp_among(self, table: Table, codes: Sequence[str]) -> list[PtpEdit]:
        """Every row whose two codes are both in ``codes`` (either order, all history).

        Rows come pair by pair in the order of the sorted codes (column 1, then column
        2), each pair's history rows in file order. A code's column-2 partners are read
        once (:meth:`_partners`), a pair's rows built once; later claims with the same
        codes are answered from memory.
        """
        known_partners = self._partner_memo.get(table)
        if known_partners is None:
            return []  # the edition does not hold the table
        distinct = sorted(set(codes))
        if len(distinct) < 2:
            return []
        # each code's key and partners, in the order of the sorted codes
        seen = [known_partners.get(c) or self._partners(table, c) for c in distinct]
        code_of = {key: code for (key, _), code in zip(seen, distinct, strict=True)}
        claim = set(code_of)
        memo = self._memo[table]
        out: list[PtpEdit] = []
        for (ka, partners), a in zip(seen, distinct, strict=True):
            hits = claim & partners  # walks the smaller set
            for kb in sorted(hits) if hits else ():
                pair = ka * CODE_SPACE + kb
                rows = memo.get(pair)
                if rows is None:
                    rows = self._pair_rows(table, a, code_of[kb], pair)
                    _remember(memo, pair, rows, _PAIRS)
                out += rows
        return out

    def _partners(self, table: Table, code: str) -> tuple[int, frozenset[int]]:
        """The code's key, and the keys of the codes it heads a row with (column 1 ->
        column 2).

        One slice of the sorted keys, read once per code and remembered (as integers:
        a set of them costs a fraction of the rows it stands for). Never the code itself.
        """
        memo = self._partner_memo[table]
        found = memo.get(code)
        if found is None:
            key = code_key(code)
            keys = self._tables[table]["key"]
            base = key * CODE_SPACE
            lo = bisect_left(keys, base)
            hi = bisect_left(keys, base + CODE_SPACE, lo)
            partners = frozenset([k - base for k in keys[lo:hi].tolist()]) - {key}
            found = (key, partners)
            _remember(memo, code, found, _PARTNER_CODES)
        return found

    def ptp_pair(self, table: Table, column1: str, column2: str) -> list[PtpEdit]:
        """The rows of one ordered pair (all history)."""
        if not self.has_table(table):
            return []
        pair = code_key(column1) * CODE_SPACE + code_key(column2)
        memo = self._memo[table]
        rows = memo.get(pair)
        if rows is None:
            rows = self._pair_rows(table, column1, column2, pair)
            _remember(memo, pair, rows, _PAIRS)
        return list(rows)

    def _pair_rows(
        self, table: Table, column1: str, column2: str, pair: int
    ) -> tuple[PtpEdit, ...]:
        """One pair's rows (its history, adjacent in the sorted table)."""
        arrays = self._tables[table]
        key = arrays["key"]
        start = bisect_left(key, pair)
        end = bisect_right(key, pair, start)
        rationales = self._labels(table, "rationale")
        return tuple(
            PtpEdit(
                column1,
                column2,
                int_date(arrays["effective"][row]),
                optional_date(arrays["deletion"][row]),
                _INDICATORS[arrays["indicator"][row]],
                rationales[arrays["rationale"][row]],
                bool(arrays["pre_1996"][row]),
            )
            for row in range(start, end)
        )

    # -- the small tables (MUE, AOC, PFS: thousands of rows) ---------------------------
    # A code's row is found by a binary search of the table's sorted keys when first
    # asked for, then remembered: a check reads only the rows of its own codes, and no
    # whole-table dictionary is ever built (issue 11: that cost the first check 54 ms,
    # and the process as long again to tear down).

    def _span(self, table: Table, lo_key: int, hi_key: int) -> tuple[int, int]:
        """Where the rows with ``lo_key <= key < hi_key`` lie in the sorted table."""
        key = self._tables[table]["key"]
        lo = bisect_left(key, lo_key)
        return lo, bisect_left(key, hi_key, lo)

    def mue(self, table: Table, code: str) -> MueEdit | None:
        if not self.has_table(table):
            return None
        memo = self._memo[table]
        found: MueEdit | None = memo.get(code, _UNSEEN)
        if found is _UNSEEN:
            found = None
            lo, hi = self._span(table, *_code_range(code))
            if hi > lo:
                row = hi - 1  # a code's last row, as the table reads it (rows agree)
                arrays = self._tables[table]
                found = MueEdit(
                    code,
                    arrays["value"][row],
                    MueAdjudication(arrays["mai"][row]),
                    self._labels(table, "rationale")[arrays["rationale"][row]],
                )
            _remember(memo, code, found, _CODES)
        return found

    def pfs(self, code: str) -> PfsIndicators | None:
        memo = self._pfs_memo
        if memo is None:
            return None
        found: PfsIndicators | None = memo.get(code, _UNSEEN)
        if found is _UNSEEN:
            found = None
            lo, hi = self._span(Table.PFS, *_code_range(code))
            if hi > lo:
                row = hi - 1
                arrays = self._tables[Table.PFS]
                labels = self._manifest["labels"][Table.PFS.value]
                found = PfsIndicators(
                    code,
                    labels["status"][arrays["status"][row]],
                    labels["pctc"][arrays["pctc"][row]],
                    labels["global_days"][arrays["global_days"][row]],
                )
            _remember(memo, code, found, _CODES)
        return found

    def aoc_for_addon(self, addon: str) -> list[AocEdit]:
        return list(self._aoc_rows(addon)[0])

    def aoc_with_primaries(self, addon: str, codes: Collection[str]) -> list[AocEdit]:
        rows, by_primary = self._aoc_rows(addon)
        at = {i for code in codes for i in by_primary.get(code, ())}
        return [rows[i] for i in sorted(at)] if at else []  # in the rows' own order

    def _aoc_rows(
        self, addon: str
    ) -> tuple[tuple[AocEdit, ...], dict[str, tuple[int, ...]]]:
        """An add-on's rows (in key order) and where each primary's rows are among
        them; read once per add-on and remembered."""
        memo = self._aoc_memo
        if memo is None:
            return (), {}
        found: tuple[tuple[AocEdit, ...], dict[str, tuple[int, ...]]] | None
        found = memo.get(addon)
        if found is None:
            lo_key, hi_key = _code_range(addon)
            lo, hi = self._span(Table.AOC, lo_key * CODE_SPACE, hi_key * CODE_SPACE)
            arrays = self._tables[Table.AOC]
            rows = tuple(
                AocEdit(
                    addon,
                    key_code(arrays["key"][row] % CODE_SPACE),
                    arrays["edit_type"][row],
                    optional_date(arrays["effective"][row]),
                    optional_date(arrays["deletion"][row]),
                )
                for row in range(lo, hi)
            )
            positions: dict[str, list[int]] = {}
            for i, row in enumerate(rows):
                positions.setdefault(row.primary, []).append(i)
            found = (rows, {p: tuple(at) for p, at in positions.items()})
            _remember(memo, addon, found, _CODES)
        return found


#: How many lookups an edition remembers (per table) before it starts afresh: far more
#: than the codes real claims use, so a long-running service never grows without bound.
_CODES = 1 << 16
_PAIRS = 1 << 17  # PTP pairs: each entry holds one to a few rows
_PARTNER_CODES = 1 << 14  # each entry holds a code's partners (a few to thousands)
_UNSEEN: Any = object()


def _remember(memo: dict[Any, Any], key: Any, value: Any, limit: int) -> None:
    if len(memo) >= limit:
        memo.clear()
    memo[key] = value


def _code_range(code: str) -> tuple[int, int]:
    """The key range of ``code`` (empty when it is not a code: no row matches)."""
    if not is_code(code):
        return 0, 0
    key = code_key(code)
    return key, key + 1
