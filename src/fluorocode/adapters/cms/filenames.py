"""What a CMS file is, from its name: table, program, quarter, version, part.

CMS names its files consistently, and some facts live only in the name (the MUE effective
date, the PTP version), so the name is read first (domain.md §6, §10.6). Names are matched
case-insensitively on their last path component; inside a zip (``archive.zip!member``)
the member's name decides.

=====================================================================  =================
name (examples)                                                        identity
=====================================================================  =================
``ccipra-v322r0-f1.TXT`` / ``.txt`` / ``.xlsx``                        practitioner PTP
``ccioph-v321r0-f3.TXT``                                               hospital PTP
``medicare-ncci-2026q3-practitioner-ptp-edits-ccipra-v322r0-f1.zip``   zip of the above
``medicare-ncci-2026q2-hospital-ptp-edits-ccioph-v321r0-f1.zip``       zip of the above
``MCR_MUE_PractitionerServices_Eff_07-01-2026.csv`` / ``.xlsx``        practitioner MUE
``MCR_MUE_OutpatientHospitalServices_Eff_…``, ``…DMESupplierServices…``  hospital/DME MUE
``medicare-ncci-2026-q3-practitioner-services-mue-table.zip``          zip of MUE files
``AOC_V2024Q2-MCR.txt``, ``AOC_V2025Q4_01-MCR.xlsx``                   add-on code edits
``PPRRVU24_JUL.csv``, ``PPRRVU2026_Oct_QPP.csv`` / ``.xlsx``           PFS indicators
``RVU24C.zip``                                                         zip of PFS files
``medicaid-ncci-2026-q3-ptp-edits-practitioner-services.zip``          Medicaid (zip)
``medicaid-ncci-q2-2026-mue-edits-…`` (either quarter/year order)      Medicaid (zip)
=====================================================================  =================

**Quarter.** Taken from the name wherever the name states it: the zip names (``2026q3``,
``2026-q3``, ``q2-2026``), the MUE effective date (``Eff_07-01-2026`` -> 2026Q3; an
off-cycle date falls in its calendar quarter), the AOC name (``V2024Q2``), the PFS month
(``JUL`` -> Q3) or release letter (``RVU24C``: A-D = Jan/Apr/Jul/Oct). A bare
``ccipra``/``ccioph`` file names only its version, so its quarter is **derived** from it
with the CMS numbering, version = ``v`` + (year - 1994) + (quarter - 1), e.g. v302 ->
2024Q3, v322 -> 2026Q3 (domain.md §6.1). domain.md warns that the rule is inferred, so a
quarter stated by an enclosing zip's name (``zip!member``) wins over the derived one, and
a version whose last digit is not 0-3 gets no quarter at all.

**Version.** ``vNNNrN`` from PTP names (lower-cased); None for the other tables.

**Medicaid** (docs/medicaid.md). The public Medicaid zips are recognised (program
``medicaid``, the table from ``ptp``/``mue`` and the setting words, the quarter in either
order); the names of the files inside are not documented, so a member takes its zip's
identity (``archive``). A bare Medicaid file is recognised when its name says all of
Medicaid (``medicaid`` or ``MCD``), ``ptp``/``mue``, the setting (``practitioner``/``PRA``,
``outpatient``/``hospital``/``OPH``, ``DME``/``durable``) and the quarter (``2026q3``,
``2026-q3``, ``q3-2026``), e.g. ``medicaid-ncci-2026-q3-ptp-edits-practitioner-services.txt``
or ``MCD-MUE-PRA-2026Q3.txt``; :func:`identify_medicaid` accepts the same name without the
Medicaid word, for ``editions import --program medicaid``. Medicaid files have no version.

Anything else -- including the quarterly additions/deletions zip, which is not an edit
table -- raises :class:`~fluorocode.errors.UnknownFileError` saying what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from fluorocode.domain.codes import Program
from fluorocode.domain.edits import Table
from fluorocode.errors import UnknownFileError

__all__ = ["FileIdentity", "identify", "identify_medicaid", "quarter_of_version"]


@dataclass(frozen=True, slots=True)
class FileIdentity:
    """What a file's name says it holds.

    Attributes:
        table: the edit table (for a zip: the table its members hold).
        program: Medicare or Medicaid.
        quarter: ``"2024Q3"``, or None when the name does not tell.
        version: the PTP release, ``"v302r0"``; None for other tables.
        part: the PTP part number (``-f2`` -> 2); None when the table is one file.
        container: True for a zip.
    """

    table: Table
    program: Program
    quarter: str | None
    version: str | None
    part: int | None
    container: bool


_MONTHS = {"JAN": 1, "APR": 2, "JUL": 3, "OCT": 4}
_PTP_KIND = {"ccipra": Table.PTP_PRACTITIONER, "ccioph": Table.PTP_OUTPATIENT_HOSPITAL}
_MUE_SETTING = {
    "practitionerservices": Table.MUE_PRACTITIONER,
    "outpatienthospitalservices": Table.MUE_OUTPATIENT_HOSPITAL,
    "dmesupplierservices": Table.MUE_DME,
}


def quarter_of_version(version: str) -> str | None:
    """The quarter a PTP version stands for: ``"v302r0"`` -> ``"2024Q3"``.

    CMS numbers releases ``v`` + (year - 1994) + (quarter - 1) (domain.md §6.1); a last
    digit other than 0-3 breaks the pattern and gives None.
    """
    m = re.fullmatch(r"v(\d{2,})(\d)r\d+", version, re.IGNORECASE)
    if m is None or int(m.group(2)) > 3:
        return None
    return f"{1994 + int(m.group(1))}Q{int(m.group(2)) + 1}"


def _setting(words: str, ptp: bool) -> Table | None:
    if "practitioner" in words:
        return Table.PTP_PRACTITIONER if ptp else Table.MUE_PRACTITIONER
    if "hospital" in words:
        return Table.PTP_OUTPATIENT_HOSPITAL if ptp else Table.MUE_OUTPATIENT_HOSPITAL
    if "dme" in words or "durable" in words:
        return Table.PTP_DME if ptp else Table.MUE_DME
    return None


def _ptp_file(m: re.Match[str]) -> FileIdentity:
    version = m["version"].lower()
    return FileIdentity(
        _PTP_KIND[m["kind"].lower()],
        Program.MEDICARE,
        quarter_of_version(version),
        version,
        int(m["part"]),
        container=False,
    )


def _ptp_zip(m: re.Match[str]) -> FileIdentity | None:
    table = _PTP_KIND[m["kind"].lower()]
    if _setting(m["setting"].lower(), ptp=True) is not table:
        return None  # "practitioner" with ccioph, or "hospital" with ccipra
    quarter = f"{m['year']}Q{m['q']}"
    return FileIdentity(
        table, Program.MEDICARE, quarter, m["version"].lower(), int(m["part"]), True
    )


def _mue_file(m: re.Match[str]) -> FileIdentity | None:
    month, day = int(m["month"]), int(m["day"])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    table = _MUE_SETTING[m["setting"].lower()]
    quarter = f"{m['year']}Q{(month - 1) // 3 + 1}"
    return FileIdentity(table, Program.MEDICARE, quarter, None, None, container=False)


def _mue_zip(m: re.Match[str]) -> FileIdentity | None:
    table = _setting(m["setting"].lower(), ptp=False)
    if table is None:
        return None
    quarter = f"{m['year']}Q{m['q']}"
    return FileIdentity(table, Program.MEDICARE, quarter, None, None, container=True)


def _aoc_file(m: re.Match[str]) -> FileIdentity:
    quarter = f"{m['year']}Q{m['q']}"
    return FileIdentity(
        Table.AOC, Program.MEDICARE, quarter, None, None, container=False
    )


def _pfs_file(m: re.Match[str]) -> FileIdentity:
    year = m["year"] if len(m["year"]) == 4 else f"20{m['year']}"
    quarter = f"{year}Q{_MONTHS[m['month'].upper()]}"
    return FileIdentity(
        Table.PFS, Program.MEDICARE, quarter, None, None, container=False
    )


def _pfs_zip(m: re.Match[str]) -> FileIdentity:
    quarter = f"20{m['year']}Q{'ABCD'.index(m['letter'].upper()) + 1}"
    return FileIdentity(
        Table.PFS, Program.MEDICARE, quarter, None, None, container=True
    )


def _medicaid_zip(m: re.Match[str]) -> FileIdentity | None:
    table = _setting(m["setting"].lower(), ptp=m["kind"].lower() == "ptp")
    if table is None:
        return None
    year, q = m["y1"] or m["y2"], m["q1"] or m["q2"]
    return FileIdentity(
        table, Program.MEDICAID, f"{year}Q{q}", None, None, container=True
    )


_V = r"(?P<version>v\d{3}r\d+)"
_PATTERNS: tuple[tuple[str, Callable[[re.Match[str]], FileIdentity | None]], ...] = (
    (rf"(?P<kind>ccipra|ccioph)-{_V}-f(?P<part>\d+)\.(?:txt|xlsx)", _ptp_file),
    (
        rf"medicare-ncci-(?P<year>\d{{4}})q(?P<q>[1-4])-(?P<setting>practitioner|hospital)"
        rf"-ptp-edits-(?P<kind>ccipra|ccioph)-{_V}-f(?P<part>\d+)\.zip",
        _ptp_zip,
    ),
    (
        r"MCR_MUE_(?P<setting>PractitionerServices|OutpatientHospitalServices"
        r"|DMESupplierServices)_Eff_(?P<month>\d{2})-(?P<day>\d{2})-(?P<year>\d{4})"
        r"\.(?:csv|xlsx)",
        _mue_file,
    ),
    (
        r"medicare-ncci-(?P<year>\d{4})-q(?P<q>[1-4])-(?P<setting>[a-z-]+?)"
        r"-services-mue-table\.zip",
        _mue_zip,
    ),
    (r"AOC_V(?P<year>\d{4})Q(?P<q>[1-4])(?:_\d+)?-MCR\.(?:txt|xlsx)", _aoc_file),
    (
        r"PPRRVU(?P<year>\d{2}|\d{4})_(?P<month>JAN|APR|JUL|OCT)(?:_(?:non)?QPP)?"
        r"\.(?:csv|xlsx)",
        _pfs_file,
    ),
    (r"RVU(?P<year>\d{2})(?P<letter>[A-D])(?:[-_][0-9A-Z]+)*\.zip", _pfs_zip),
    (
        r"medicaid-ncci-(?:(?P<y1>\d{4})-q(?P<q1>[1-4])|q(?P<q2>[1-4])-(?P<y2>\d{4}))"
        r"-(?P<kind>ptp|mue)-edits-(?P<setting>[a-z-]+)\.zip",
        _medicaid_zip,
    ),
)
_COMPILED = tuple((re.compile(p, re.IGNORECASE), f) for p, f in _PATTERNS)
_DELTA = re.compile(
    r"medicare-ncci-.*quarterly-additions-deletions.*\.zip", re.IGNORECASE
)
_EXPECTED = (
    "expected a CMS name such as ccipra-v322r0-f1.TXT, "
    "medicare-ncci-2026q3-practitioner-ptp-edits-ccipra-v322r0-f1.zip, "
    "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv, AOC_V2025Q4_01-MCR.txt "
    "or PPRRVU24_JUL.csv"
)


_WORD = r"(?:^|[^a-z0-9])(?:{})(?:[^a-z0-9]|$)"
_MEDICAID_WORD = re.compile(_WORD.format("medicaid|mcd"))
_KIND_WORD = re.compile(_WORD.format("ptp|mue"))
_SETTING_WORDS = (
    (re.compile(_WORD.format("practitioner|pra")), "practitioner"),
    (re.compile(_WORD.format("outpatient|hospital|oph")), "hospital"),
    (re.compile(_WORD.format("dme|durable")), "dme"),
)
_QUARTER_WORD = re.compile(
    r"(?:^|[^a-z0-9])(?:(?P<y1>\d{4})[-_ ]?q(?P<q1>[1-4])|q(?P<q2>[1-4])[-_ ]?(?P<y2>\d{4}))"
    r"(?:[^a-z0-9]|$)"
)
_MEDICAID_EXT = (".txt", ".csv", ".xlsx")


def _medicaid_parts(base: str) -> tuple[Table, str] | str:
    """The table and quarter a Medicaid file's name states, or what it fails to state."""
    lower = base.lower()
    stem = lower.rsplit(".", 1)[0]
    kind = _KIND_WORD.search(stem)
    settings = [word for rx, word in _SETTING_WORDS if rx.search(stem)]
    quarter = _QUARTER_WORD.search(stem)
    missing = [
        what
        for what, ok in (
            ("a .txt, .csv or .xlsx extension", lower.endswith(_MEDICAID_EXT)),
            ("ptp or mue", kind is not None),
            (
                "one setting (practitioner, outpatient hospital or dme)",
                len(settings) == 1,
            ),
            ("the quarter (2026q3, 2026-q3 or q3-2026)", quarter is not None),
        )
        if not ok
    ]
    if missing or kind is None or quarter is None:
        return "; ".join(missing)
    table = _setting(settings[0], ptp=kind.group(0).strip("-_. ").endswith("ptp"))
    assert table is not None  # one of the three setting words
    year, q = quarter["y1"] or quarter["y2"], quarter["q1"] or quarter["q2"]
    return table, f"{year}Q{q}"


def identify_medicaid(name: str) -> FileIdentity:
    """A bare Medicaid file named by table, setting and quarter, with or without the
    Medicaid word (``editions import --program medicaid``; see the module docstring).

    Raises:
        UnknownFileError: the name does not state all of them, saying what is missing.
    """
    base = re.split(r"[\\/]", name.rpartition("!")[2])[-1]
    found = _medicaid_parts(base)
    if isinstance(found, str):
        raise UnknownFileError(
            f"{base!r}: a Medicaid file's name must state the table and the quarter, "
            f"e.g. medicaid-ncci-2026-q3-ptp-edits-practitioner-services.txt; "
            f"missing: {found}"
        )
    table, quarter = found
    return FileIdentity(table, Program.MEDICAID, quarter, None, None, container=False)


def _identify_base(base: str) -> FileIdentity:
    for pattern, build in _COMPILED:
        m = pattern.fullmatch(base)
        if m is not None:
            identity = build(m)
            if identity is not None:
                return identity
    stem, _, ext = base.lower().rpartition(".")
    if _MEDICAID_WORD.search(stem or ext) and ext != "zip":
        return identify_medicaid(base)
    if _DELTA.fullmatch(base):
        raise UnknownFileError(
            f"{base!r} holds the quarter's PTP additions/deletions/revisions, not a full "
            "edit table; import the full ccipra/ccioph files instead"
        )
    raise UnknownFileError(
        f"{base!r} is not a CMS NCCI/PFS file name fluorocode knows: {_EXPECTED}"
    )


def identify(name: str) -> FileIdentity:
    """Identify a CMS file from its name (see the module docstring).

    Args:
        name: a file name or path; inside a zip ``archive.zip!member``.

    Raises:
        UnknownFileError: a name CMS does not use for a file fluorocode reads.
    """
    outer, _, member = name.rpartition("!")
    identity = _identify_base(re.split(r"[\\/]", member)[-1])
    if outer and identity.version is not None:
        try:
            enclosing = _identify_base(re.split(r"[\\/]", outer)[-1])
        except UnknownFileError:
            return identity
        if enclosing.quarter is not None:
            return replace(identity, quarter=enclosing.quarter)
    return identity
