"""CMS edit rows as domain values, and the port through which the rules read them.

Dates follow CMS: a PTP edit is in force on a date of service when
``effective <= dos <= deletion`` (the deletion date is the last day it applies; an open
edit has no deletion date) and its modifier indicator is not 9 (domain.md §0.9, §2).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol

from fluorocode.domain.codes import ModifierIndicator, MueAdjudication, Program
from fluorocode.domain.values import value_type


class Table(StrEnum):
    """The tables an edition may hold; values are the names used in ``editions list``."""

    PTP_PRACTITIONER = "ptp_practitioner"
    PTP_OUTPATIENT_HOSPITAL = "ptp_outpatient_hospital"
    PTP_DME = "ptp_dme"
    MUE_PRACTITIONER = "mue_practitioner"
    MUE_OUTPATIENT_HOSPITAL = "mue_outpatient_hospital"
    MUE_DME = "mue_dme"
    AOC = "aoc"
    PFS = "pfs"


#: A module constant, for ``PtpEdit.in_force`` (asked of every row a check meets): on
#: Python 3.11 an enum member looked up on its class costs ~100 ns, a constant ~5.
_NOT_APPLICABLE = ModifierIndicator.NOT_APPLICABLE


@value_type
class PtpEdit:
    """One row of a PTP file (history rows included)."""

    column1: str
    column2: str
    effective: date
    deletion: date | None  # None: '*' in the file, still active
    indicator: ModifierIndicator
    rationale: str
    pre_1996: bool = False

    def in_force(self, dos: date) -> bool:
        """True when the edit applies to this date of service."""
        if self.indicator is _NOT_APPLICABLE:
            return False
        if dos < self.effective:
            return False
        return self.deletion is None or dos <= self.deletion

    def evidence(self) -> dict[str, object]:
        return {
            "column_1": self.column1,
            "column_2": self.column2,
            "effective": self.effective.isoformat(),
            "deletion": self.deletion.isoformat() if self.deletion else None,
            "modifier_indicator": int(self.indicator),
            "rationale": self.rationale,
        }


@value_type
class MueEdit:
    """A medically unlikely edit: units per line or per day for one code."""

    code: str
    value: int
    mai: MueAdjudication
    rationale: str

    def evidence(self) -> dict[str, object]:
        return {
            "code": self.code,
            "mue_value": self.value,
            "mai": int(self.mai),
            "rationale": self.rationale,
        }


@value_type
class AocEdit:
    """An add-on code edit: ``addon`` may be paid with ``primary`` (or MAC-defined)."""

    addon: str
    primary: str  # "CCCCC" = the contractor defines the primaries (type 2)
    edit_type: int  # 1 listed primaries only; 2 contractor-defined; 3 both
    effective: date | None = None
    deletion: date | None = None

    def in_force(self, dos: date) -> bool:
        if self.effective is not None and dos < self.effective:
            return False
        return self.deletion is None or dos <= self.deletion


@value_type
class PfsIndicators:
    """Physician fee schedule indicators of one code (the row without a modifier)."""

    code: str
    status: str
    pctc: str  # PC/TC indicator: "1" = splits into 26 and TC
    global_days: str


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A CMS file an edition was built from."""

    file: str
    sha256: str
    rows: int
    table: str


@dataclass(frozen=True, slots=True)
class EditionInfo:
    """Which edition answered: program, quarter, version, demo flag, sources."""

    program: Program
    quarter: str  # "2024Q3"
    version: str  # "v302r0", or "" when the files carry none
    demo: bool
    tables: dict[str, int]
    sources: tuple[SourceFile, ...]

    def quarter_bounds(self) -> tuple[date, date]:
        """First and last day of the edition's quarter."""
        year, q = int(self.quarter[:4]), int(self.quarter[5])
        start = date(year, 3 * q - 2, 1)
        end = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
        return start, date.fromordinal(end.toordinal() - 1)


class EditLookup(Protocol):
    """The port the compiled store implements and the rules read from.

    Every method answers from one edition; a table the edition does not hold raises
    nothing but is reported by ``has_table``, so rules can say ``no_data``.
    """

    @property
    def info(self) -> EditionInfo: ...

    def has_table(self, table: Table) -> bool: ...

    def ptp_among(self, table: Table, codes: Sequence[str]) -> list[PtpEdit]:
        """Every row (all history) whose two codes are both in ``codes``, either order."""
        ...

    def mue(self, table: Table, code: str) -> MueEdit | None: ...

    def aoc_for_addon(self, addon: str) -> list[AocEdit]:
        """The AOC rows of an add-on code (empty when the code is not an add-on)."""
        ...

    def aoc_with_primaries(self, addon: str, codes: Collection[str]) -> list[AocEdit]:
        """The rows of ``aoc_for_addon(addon)`` whose primary is one of ``codes``, in
        the same order: found through an index by primary, not by reading every row
        (77002 has dozens of listed primaries, and a check with 76000 asks)."""
        ...

    def pfs(self, code: str) -> PfsIndicators | None: ...

    def code_known(self, code: str) -> bool | None:
        """Whether ``code`` is in the edition's code universe.

        The universe is every code of the edition's PFS, PTP (both columns of every
        PTP table), MUE and AOC tables (the MAC-defined primary ``CCCCC`` is not a
        code). True or False when the edition holds at least one of those tables;
        None when it holds none, so nothing can be said.
        """
        ...

    def first_effective(self, table: Table) -> date | None:
        """The earliest effective date among the table's rows.

        None when the table is absent or its rows carry no dates (MUE and PFS rows
        have none), so a rule can say plainly that a date of service is before the
        edition's data.
        """
        ...
