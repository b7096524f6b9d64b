"""Names and format version of the files in an edition directory."""

from __future__ import annotations

from fluorocode.domain.edits import Table

#: Bump when the on-disk layout changes; an edition of another version is refused with
#: a message to import the CMS files again. 2: the code universe (``codes.npy``) and
#: ``first_effective`` in the manifest (issue 8).
STORE_FORMAT = 2
MANIFEST = "edition.json"
#: The edition's code universe: sorted distinct base-36 code keys, int32.
CODES_FILE = "codes.npy"
#: Open PTP deletion date ('*' in the CMS file), stored as a sortable integer.
OPEN_DELETION = 99991231

PTP_TABLES = frozenset(
    {Table.PTP_PRACTITIONER, Table.PTP_OUTPATIENT_HOSPITAL, Table.PTP_DME}
)
MUE_TABLES = frozenset(
    {Table.MUE_PRACTITIONER, Table.MUE_OUTPATIENT_HOSPITAL, Table.MUE_DME}
)


def array_file(table: Table, column: str) -> str:
    return f"{table.value}.{column}.npy"


def parquet_file(table: Table) -> str:
    return f"{table.value}.parquet"


def kind_of(table: Table) -> str:
    """The kind of table: ``ptp``, ``mue``, ``aoc`` or ``pfs``."""
    if table in PTP_TABLES:
        return "ptp"
    if table in MUE_TABLES:
        return "mue"
    return "aoc" if table is Table.AOC else "pfs"
