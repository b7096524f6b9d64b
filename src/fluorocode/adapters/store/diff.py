"""Compare two compiled editions table by table: what CMS added, deleted and changed.

The spec (docs/editions.md repeats it for users):

**Tables.** By default every table either edition holds. A table both hold is compared;
a table only one holds is reported as such (``compared: false``), never as all rows
added or removed. Asking (``tables``) for a table neither holds is refused.

**PTP** rows are matched on (column 1, column 2, effective date): CMS keeps history rows,
so a pair can have several. First, rows identical in every column (effective, deletion,
modifier indicator, rationale, pre-1996 flag) pair off as unchanged, as multisets (two
identical rows in A and one in B leave one unmatched). The rows left are paired on
(column 1, column 2, effective date), in column order within one such key. Then:

- ``ptp.added``: a row of B with no partner in A;
- ``ptp.deleted``: a row whose deletion date B sets or moves earlier (``detail``
  ``deletion-date-set`` or ``deletion-date-earlier``), or a row of A with no partner in B
  (``detail`` ``row-removed``: the row is gone from the file);
- ``ptp.indicator-changed``: the modifier indicator differs (deletion date not earlier);
- ``ptp.changed``: anything else (rationale, pre-1996 flag, a deletion date removed or
  moved later).

**MUE** rows are keyed on the code (a code's last row, as lookups read it):
``mue.added``, ``mue.removed``, ``mue.value-changed`` (the MUE value differs; the MAI may
too), ``mue.mai-changed`` (the MAI only, or with the rationale), ``mue.rationale-changed``.
**AOC** rows are keyed on (primary, add-on): ``aoc.added``, ``aoc.removed``,
``aoc.changed`` (edit type, effective or deletion date). **PFS** indicators are keyed on
the code: ``pfs.added``, ``pfs.removed``, ``pfs.changed``.

Each change names its table, kind, codes ([column 1, column 2]; [code]; [primary,
add-on]) and its before/after CMS columns, and ``changed`` lists the columns that
differ. ``codes`` keeps the changes where either code is one of them. Changes come in
table order, then by codes, then effective date.

**Speed.** No Python runs per row of a table: each table's rows of both editions are
sorted once together (``numpy.lexsort`` on the pair key and the columns packed into
64-bit words), identical rows pair off by position in that order, and only the few rows
left are sorted again to pair on the match key. The full practitioner and hospital PTP
tables (4.3 M rows a side) compare in about two seconds. Change records are built
lazily, so the output streams (``diff_output``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fluorocode.adapters.store.edition import CompiledEdition
from fluorocode.adapters.store.layout import kind_of
from fluorocode.adapters.store.registry import EditionRegistry
from fluorocode.domain.codes import CODE_SPACE, Program, code_key, is_code
from fluorocode.domain.edits import Table
from fluorocode.errors import DiffRequestError, EditionError

Array = np.ndarray[Any, Any]

#: The change kinds of each kind of table; a change's ``kind`` indexes its table's tuple.
KINDS: dict[str, tuple[str, ...]] = {
    "ptp": ("ptp.added", "ptp.deleted", "ptp.indicator-changed", "ptp.changed"),
    "mue": (
        "mue.added",
        "mue.removed",
        "mue.value-changed",
        "mue.mai-changed",
        "mue.rationale-changed",
    ),
    "aoc": ("aoc.added", "aoc.removed", "aoc.changed"),
    "pfs": ("pfs.added", "pfs.removed", "pfs.changed"),
}
ADDED, REMOVED = 0, 1  # the first two kinds of every table

#: Each table kind's compared columns and their width in bits when packed: dates are
#: YYYYMMDD (below 2**27), label columns and small integers one byte, MUE values int32.
COLUMNS: dict[str, tuple[tuple[str, int], ...]] = {
    "ptp": (
        ("effective", 27),
        ("deletion", 27),
        ("indicator", 8),
        ("rationale", 8),
        ("pre_1996", 1),
    ),
    "mue": (("value", 32), ("mai", 8), ("rationale", 8)),
    "aoc": (("edit_type", 8), ("effective", 27), ("deletion", 27)),
    "pfs": (("status", 8), ("pctc", 8), ("global_days", 8)),
}
#: The columns holding indices into the edition's label lists (compile.py).
_LABELS: dict[str, tuple[str, ...]] = {
    "ptp": ("rationale",),
    "mue": ("rationale",),
    "aoc": (),
    "pfs": ("status", "pctc", "global_days"),
}
#: Columns that take part in the match key besides the codes.
_MATCH: dict[str, tuple[str, ...]] = {"ptp": ("effective",)}
#: Tables read as lookups read them: one row per code, its last.
_ONE_ROW_PER_KEY = frozenset({"mue", "pfs"})
_QUARTER = re.compile(r"(\d{4})-?Q([1-4])")


@dataclass(frozen=True, slots=True)
class TableDiff:
    """One table's comparison: every change as (kind, row before, row after).

    ``before``/``after`` are row numbers in the old and new edition's arrays, -1 where
    the change has no such row. ``from_rows``/``to_rows`` are None when that edition
    does not hold the table (then nothing is compared).
    """

    table: Table
    from_rows: int | None
    to_rows: int | None
    kind: Array
    before: Array
    after: Array

    @property
    def compared(self) -> bool:
        return self.from_rows is not None and self.to_rows is not None

    @property
    def kinds(self) -> tuple[str, ...]:
        return KINDS[kind_of(self.table)]

    def __len__(self) -> int:
        return len(self.kind)

    def counts(self) -> dict[str, int]:
        """Changes per kind, every kind of the table named (0 included)."""
        found = np.bincount(self.kind, minlength=len(self.kinds))
        return {name: int(n) for name, n in zip(self.kinds, found, strict=True)}


@dataclass(frozen=True, slots=True)
class EditionDiff:
    """Two editions compared: the old one (``old``), the new one and each table's diff."""

    old: CompiledEdition
    new: CompiledEdition
    tables: tuple[TableDiff, ...]
    codes: tuple[str, ...]  # the --codes filter, empty when none

    def __len__(self) -> int:
        return sum(len(t) for t in self.tables)


def parse_edition(text: str, field: str) -> tuple[Program, str]:
    """``program/quarter`` (any case; ``2024q3``, ``2024-Q3``) as (Program, ``2024Q3``).

    Raises:
        DiffRequestError: naming ``field``.
    """
    program, _, quarter = text.strip().partition("/")
    try:
        chosen = Program(program.strip().lower())
    except ValueError:
        known = ", ".join(p.value for p in Program)
        raise DiffRequestError(
            field, f"{text!r} is not program/quarter such as medicare/2024Q3 ({known})"
        ) from None
    match = _QUARTER.fullmatch(quarter.strip().upper())
    if match is None:
        raise DiffRequestError(field, f"{quarter!r} is not a quarter such as 2024Q3")
    return chosen, f"{match[1]}Q{match[2]}"


def parse_tables(names: Sequence[str]) -> tuple[Table, ...]:
    """Table names (comma-separated items allowed), in ``Table`` order, no repeats."""
    chosen = set()
    for item in names:
        for name in filter(None, (n.strip().lower() for n in item.split(","))):
            try:
                chosen.add(Table(name))
            except ValueError:
                known = ", ".join(t.value for t in Table)
                raise DiffRequestError(
                    "table", f"unknown table {name!r} (one of {known})"
                ) from None
    return tuple(t for t in Table if t in chosen)


def parse_codes(items: Sequence[str]) -> tuple[str, ...]:
    """Codes (comma-separated items allowed, any case), sorted, no repeats."""
    codes = set()
    for item in items:
        for code in filter(None, (c.strip().upper() for c in item.split(","))):
            if not is_code(code):
                raise DiffRequestError(
                    "codes", f"{code!r} is not a code (five letters or digits)"
                )
            codes.add(code)
    return tuple(sorted(codes))


def diff_request(
    registry: EditionRegistry,
    old: str,
    new: str,
    tables: Sequence[str] = (),
    codes: Sequence[str] = (),
) -> EditionDiff:
    """Compare the editions named ``program/quarter`` (see the module docstring).

    Raises:
        DiffRequestError: a malformed edition name, table or code; the same edition
            twice; a table neither edition holds.
        EditionNotFoundError: an edition that is not imported.
    """
    a, b = parse_edition(old, "from"), parse_edition(new, "to")
    if a == b:
        raise DiffRequestError("to", f"{new!r} is the edition to compare from")
    chosen, wanted = parse_tables(tables), parse_codes(codes)
    return diff_editions(registry.open(*a), registry.open(*b), chosen, wanted)


def diff_editions(
    old: CompiledEdition,
    new: CompiledEdition,
    tables: Sequence[Table] = (),
    codes: Sequence[str] = (),
) -> EditionDiff:
    """Compare ``old`` with ``new``: ``tables`` (default: every table either holds)."""
    held = [t for t in Table if old.has_table(t) or new.has_table(t)]
    for table in tables:
        if table not in held:
            raise DiffRequestError("table", f"neither edition holds {table.value}")
    keys = np.array(sorted(code_key(c) for c in codes), dtype=np.int64)
    out = []
    for table in tables or held:
        if old.has_table(table) and new.has_table(table):
            out.append(_diff_table(table, old, new, keys if codes else None))
        else:
            rows = (old.info.tables.get(table.value), new.info.tables.get(table.value))
            out.append(TableDiff(table, *rows, *_NONE))
    return EditionDiff(old, new, tuple(out), tuple(codes))


_NONE = (np.zeros(0, np.uint8), np.zeros(0, np.int64), np.zeros(0, np.int64))


def _diff_table(
    table: Table, old: CompiledEdition, new: CompiledEdition, codes: Array | None
) -> TableDiff:
    kind = kind_of(table)
    a, b = old.columns(table), new.columns(table)
    rows_a, rows_b = _rows(kind, a["key"], codes), _rows(kind, b["key"], codes)
    # label columns compared as text: each edition numbers its own label list
    union = {
        c: sorted({*old.labels(table, c), *new.labels(table, c)}) for c in _LABELS[kind]
    }

    def side(
        edition: CompiledEdition, arrays: dict[str, Array], rows: Array
    ) -> tuple[Array, list[Array], list[Array]]:
        columns = {}
        for column, bits in COLUMNS[kind]:
            values = np.take(arrays[column], rows)
            if column in union:
                position = {v: i for i, v in enumerate(union[column])}
                remap = np.array(
                    [position[v] for v in edition.labels(table, column)] or [0],
                    dtype=np.int64,
                )
                values = remap[values]
            columns[column] = _fit(values, bits, table, column)
        words = _pack([(columns[c], bits) for c, bits in COLUMNS[kind]])
        match = [columns[c] for c in _MATCH.get(kind, ())]
        return np.take(arrays["key"], rows), words, match

    key_a, words_a, match_a = side(old, a, rows_a)
    key_b, words_b, match_b = side(new, b, rows_b)
    pa, pb, only_a, only_b = match_rows(
        (key_a, words_a, match_a), (key_b, words_b, match_b)
    )
    before_pairs, after_pairs = rows_a[pa], rows_b[pb]
    paired = _classify(kind, a, b, before_pairs, after_pairs)
    none_a = np.full(len(only_b), -1, dtype=np.int64)
    none_b = np.full(len(only_a), -1, dtype=np.int64)
    kinds = np.concatenate(
        (
            paired,
            np.full(len(only_a), REMOVED, np.uint8),
            np.full(len(only_b), ADDED, np.uint8),
        )
    )
    before = np.concatenate((before_pairs, rows_a[only_a], none_a))
    after = np.concatenate((after_pairs, none_b, rows_b[only_b]))
    # table order: by key (codes), then effective date, then kind
    sort_key = np.where(before >= 0, _at(a["key"], before), _at(b["key"], after))
    dated = "effective" in a
    effective = (
        np.where(before >= 0, _at(a["effective"], before), _at(b["effective"], after))
        if dated
        else np.zeros(len(kinds), dtype=np.int64)
    )
    order = np.lexsort((kinds, effective, sort_key))
    return TableDiff(
        table,
        old.info.tables.get(table.value, len(a["key"])),
        new.info.tables.get(table.value, len(b["key"])),
        kinds[order],
        before[order],
        after[order],
    )


def _at(values: Array, rows: Array) -> Array:
    """``values[rows]`` where rows may be -1 (those read row 0; masked by the caller)."""
    if len(values) == 0:
        return np.zeros(len(rows), dtype=np.int64)
    return np.take(values, np.maximum(rows, 0)).astype(np.int64)


def _rows(kind: str, key: Array, codes: Array | None) -> Array:
    """The row numbers a table is compared on: all, or those touching ``codes``; for
    one-row-per-code tables, each code's last row."""
    if kind in _ONE_ROW_PER_KEY and len(key):
        last = np.ones(len(key), dtype=bool)
        last[:-1] = key[1:] != key[:-1]
        rows = np.flatnonzero(last)
    else:
        rows = np.arange(len(key), dtype=np.int64)
    if codes is None:
        return rows
    keys = np.take(key, rows)
    if kind in ("ptp", "aoc"):
        keep = np.isin(keys // CODE_SPACE, codes) | np.isin(keys % CODE_SPACE, codes)
    else:
        keep = np.isin(keys, codes)
    return rows[keep]


def _fit(values: Array, bits: int, table: Table, column: str) -> Array:
    """``values`` as int64, refused when any does not fit ``bits`` (packing would alias)."""
    out = values.astype(np.int64)
    if len(out) and (int(out.min()) < 0 or int(out.max()) >= 1 << bits):
        if bits == 32:  # MUE values: any int32, as its unsigned bit pattern
            return out & 0xFFFFFFFF
        raise EditionError(
            f"{table.value}.{column}: a value outside {bits} bits; the edition is "
            "not one this fluorocode wrote"
        )
    return out


def _pack(columns: list[tuple[Array, int]]) -> list[Array]:
    """Columns packed left to right into as few int64 words as fit 62 bits each."""
    words: list[Array] = []
    used = 63
    for values, bits in columns:
        if used + bits > 62:
            words.append(values)
            used = bits
        else:
            words[-1] = (words[-1] << bits) | values
            used += bits
    return words


Side = tuple[Array, list[Array], list[Array]]  # key, packed words, match columns


def match_rows(a: Side, b: Side) -> tuple[Array, Array, Array, Array]:
    """Pair the rows of two sides (see the module docstring).

    Each side is its rows' keys, the packed words of every compared column and the
    extra match columns. Returns, as positions in each side's arrays: the changed
    pairs (``pa[i]`` with ``pb[i]``), the rows only in A and the rows only in B.
    Identical rows pair off and are not returned.
    """
    n = len(a[0])
    key = np.concatenate((a[0], b[0]))
    words = [np.concatenate(ab) for ab in zip(a[1], b[1], strict=True)]
    side = np.zeros(len(key), dtype=np.uint8)
    side[n:] = 1
    # 1. identical rows, A's before B's within each run of equal rows
    order = np.lexsort((side, *reversed(words), key))
    runs = _Runs(order, [key, *words], side)
    left = order[runs.unpaired()]
    # 2. the rows left, paired on key + match columns; within a run A's rows first,
    # each side in column order
    match = [np.concatenate(ab) for ab in zip(a[2], b[2], strict=True)]
    rest = [w[left] for w in words]
    sub = np.lexsort(
        (*reversed(rest), side[left], *(m[left] for m in reversed(match)), key[left])
    )
    order = left[sub]
    runs = _Runs(order, [key, *match], side)
    pa, pb = runs.pairs()
    only = order[runs.unpaired()]
    only_a, only_b = only[only < n], only[only >= n] - n
    return order[pa], order[pb] - n, only_a, only_b


class _Runs:
    """Runs of equal values in sorted rows, each run's A rows before its B rows."""

    def __init__(self, order: Array, columns: list[Array], side: Array) -> None:
        size = len(order)
        start = np.zeros(size, dtype=bool)
        start[:1] = True
        for column in columns:
            sorted_values = column[order]
            start[1:] |= sorted_values[1:] != sorted_values[:-1]
        self.side = side[order]
        self.starts = np.flatnonzero(start)
        self.run = np.cumsum(start) - 1
        lengths = np.diff(np.append(self.starts, size))
        from_a = (
            np.add.reduceat((self.side == 0).astype(np.int64), self.starts)
            if size
            else np.zeros(0, dtype=np.int64)
        )
        self.from_a = from_a[self.run]
        self.from_b = (lengths - from_a)[self.run]
        self.pos = np.arange(size) - self.starts[self.run]
        self.is_a = self.side == 0

    def unpaired(self) -> Array:
        """Which sorted rows have no partner: a run's A rows past its B count, and
        its B rows past its A count."""
        unpaired: Array = np.where(
            self.is_a, self.pos >= self.from_b, self.pos - self.from_a >= self.from_a
        )
        return unpaired

    def pairs(self) -> tuple[Array, Array]:
        """Sorted positions of the paired rows: A's i-th row of a run with B's i-th."""
        a = np.flatnonzero(self.is_a & (self.pos < self.from_b))
        return a, a + self.from_a[a]


def _classify(
    kind: str, a: dict[str, Array], b: dict[str, Array], before: Array, after: Array
) -> Array:
    """The change kind of each changed pair of rows (module docstring)."""
    out = np.full(len(before), len(KINDS[kind]) - 1, dtype=np.uint8)
    if kind == "ptp":
        deletion_earlier = np.take(b["deletion"], after) < np.take(
            a["deletion"], before
        )
        indicator = np.take(b["indicator"], after) != np.take(a["indicator"], before)
        out[indicator] = 2
        out[deletion_earlier] = 1
    elif kind == "mue":
        mai = np.take(b["mai"], after) != np.take(a["mai"], before)
        value = np.take(b["value"], after) != np.take(a["value"], before)
        out[mai] = 3
        out[value] = 2
    return out
