"""Which edition answers each (program, claim type, date of service) of a batch.

The same choice as ``Checker.edition_for`` (``store.programs.answering_edition``: an
edition of the claim's own program only, the quarter that holds the date, else the
earliest later one; the demo edition only on a fresh home and only for its own program),
made once per distinct key rather than once per encounter. An edition may decide its
encounters in SQL (``fast``) only when no rule could speak to a claim without a code or
modifier on it: a real (not demo) edition that holds the claim type's PTP and MUE tables
and the AOC table, on a date on or after the PTP table's first edit. Any other key goes
to the rule engine, which says ``no_data`` or ``edition.demo`` as ``check`` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from fluorocode.adapters.store.edition import CompiledEdition
from fluorocode.adapters.store.layout import parquet_file
from fluorocode.adapters.store.programs import answering_edition
from fluorocode.adapters.store.registry import EditionRegistry
from fluorocode.domain.codes import ClaimType, Program
from fluorocode.domain.edits import Table
from fluorocode.rules.engine import _TABLES

#: Claim type -> (PTP table, MUE table): the engine's own map (``rules.engine``).
TABLES = {t: (ptp, mue) for t, (ptp, mue, _) in _TABLES.items()}


@dataclass(frozen=True, slots=True)
class Choice:
    """The edition of one key: its index in the batch (-1: none), and whether the
    encounters under it may be decided in SQL."""

    edition: int
    fast: bool


class EditionMap:
    """The editions a batch uses, numbered, with the path of each table's Parquet copy."""

    def __init__(self, registry: EditionRegistry) -> None:
        self.registry = registry
        self._listing = registry.editions()
        self.editions: list[CompiledEdition] = []

    def choose(self, program: Program, claim_type: ClaimType, dos: date) -> Choice:
        edits = answering_edition(self.registry, program, dos, self._listing)
        if not isinstance(edits, CompiledEdition):
            return Choice(-1, False)  # no edition, or the demo: the engine speaks
        if edits not in self.editions:
            self.editions.append(edits)
        index = self.editions.index(edits)
        ptp, mue = TABLES[claim_type]
        first = edits.first_effective(ptp)
        fast = (
            not edits.info.demo
            and all(edits.has_table(t) for t in (ptp, mue, Table.AOC))
            and (first is None or dos >= first)
        )
        return Choice(index, fast)

    def keys(
        self, triples: Iterable[tuple[str, str, date]]
    ) -> list[tuple[str, str, date, int, bool]]:
        """(program, claim type, date, edition, fast) for each valid key."""
        out = []
        for program, claim_type, dos in triples:
            choice = self.choose(Program(program), ClaimType(claim_type), dos)
            out.append((program, claim_type, dos, choice.edition, choice.fast))
        return out

    def parquet(self, edition: int, table: Table) -> Path:
        return self.editions[edition].path / parquet_file(table)

    def codes(self, edition: int) -> list[str]:
        """The edition's code universe (``codes.npy``; tens of thousands of codes)."""
        import numpy as np

        from fluorocode.adapters.store.compile import key_codes
        from fluorocode.adapters.store.layout import CODES_FILE

        keys = np.load(self.editions[edition].path / CODES_FILE, mmap_mode="r")
        return key_codes(np.asarray(keys))
