"""An EditLookup held in plain Python collections: the demo edition and test fixtures.

It answers exactly as the compiled store does (same rows, same semantics), from a few
dozen rows, so rules can be tested without files.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from fluorocode.domain.edits import (
    AocEdit,
    EditionInfo,
    MueEdit,
    PfsIndicators,
    PtpEdit,
    Table,
)

#: The AOC primary meaning "the contractor defines the primaries": not a code.
MAC_DEFINED = "CCCCC"


@dataclass
class MemoryEdits:
    """Edits kept in memory, indexed for the same lookups as the compiled store."""

    info: EditionInfo
    ptp: dict[Table, list[PtpEdit]] = field(default_factory=dict)
    mues: dict[Table, dict[str, MueEdit]] = field(default_factory=dict)
    aoc: list[AocEdit] | None = None
    pfs_rows: dict[str, PfsIndicators] | None = None

    def __post_init__(self) -> None:
        self._pairs: dict[Table, dict[tuple[str, str], list[PtpEdit]]] = {}
        for table, rows in self.ptp.items():
            index: dict[tuple[str, str], list[PtpEdit]] = defaultdict(list)
            for row in rows:
                index[(row.column1, row.column2)].append(row)
            self._pairs[table] = dict(index)
        self._addons: dict[str, list[AocEdit]] = defaultdict(list)
        for edit in self.aoc or ():
            self._addons[edit.addon].append(edit)
        # the code universe, as the compiled store builds it (adapters/store/compile)
        universe: set[str] = set()
        for rows in self.ptp.values():
            universe.update(code for row in rows for code in (row.column1, row.column2))
        for mues in self.mues.values():
            universe.update(mues)
        for edit in self.aoc or ():
            universe.add(edit.addon)
            if edit.primary != MAC_DEFINED:
                universe.add(edit.primary)
        universe.update(self.pfs_rows or ())
        self._universe = frozenset(universe)
        self._holds_any = bool(self.ptp or self.mues) or (
            self.aoc is not None or self.pfs_rows is not None
        )

    def has_table(self, table: Table) -> bool:
        if table is Table.AOC:
            return self.aoc is not None
        if table is Table.PFS:
            return self.pfs_rows is not None
        return table in self.ptp or table in self.mues

    def ptp_among(self, table: Table, codes: Sequence[str]) -> list[PtpEdit]:
        pairs = self._pairs.get(table, {})
        distinct = sorted(set(codes))
        return [
            row
            for a in distinct
            for b in distinct
            if a != b
            for row in pairs.get((a, b), ())
        ]

    def mue(self, table: Table, code: str) -> MueEdit | None:
        return self.mues.get(table, {}).get(code)

    def aoc_for_addon(self, addon: str) -> list[AocEdit]:
        return list(self._addons.get(addon, ()))

    def aoc_with_primaries(self, addon: str, codes: Collection[str]) -> list[AocEdit]:
        return [a for a in self._addons.get(addon, ()) if a.primary in codes]

    def pfs(self, code: str) -> PfsIndicators | None:
        return (self.pfs_rows or {}).get(code)

    def code_known(self, code: str) -> bool | None:
        """See ``EditLookup.code_known``: None when no table is held."""
        if not self._holds_any:
            return None
        return code in self._universe

    def first_effective(self, table: Table) -> date | None:
        """See ``EditLookup.first_effective`` (PTP and AOC rows carry dates)."""
        dates: list[date] = []
        if table in self.ptp:
            dates = [row.effective for row in self.ptp[table]]
        elif table is Table.AOC:
            dates = [e.effective for e in self.aoc or () if e.effective is not None]
        return min(dates, default=None)


def table_counts(
    ptp: dict[Table, list[PtpEdit]],
    mues: dict[Table, dict[str, MueEdit]],
    aoc: Iterable[AocEdit] | None,
    pfs: dict[str, PfsIndicators] | None,
) -> dict[str, int]:
    """Row counts per table, as ``editions list`` reports them."""
    counts = {t.value: len(rows) for t, rows in ptp.items()}
    counts.update({t.value: len(rows) for t, rows in mues.items()})
    if aoc is not None:
        counts[Table.AOC.value] = len(list(aoc))
    if pfs is not None:
        counts[Table.PFS.value] = len(pfs)
    return dict(sorted(counts.items()))
