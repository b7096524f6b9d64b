"""The built-in demo edition: illustrative rows packaged with fluorocode.

Used only when no real edition is imported, so the tool runs on a fresh machine. Every
report it answers is labelled demo (``edition.demo``). The same rows serve the
practitioner and the outpatient-hospital tables.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache

from fluorocode.domain.codes import ModifierIndicator, MueAdjudication, Program
from fluorocode.domain.edits import (
    AocEdit,
    EditionInfo,
    MueEdit,
    PfsIndicators,
    PtpEdit,
    SourceFile,
    Table,
)
from fluorocode.domain.memory_edits import MemoryEdits, table_counts

DEMO_FILE = "demo_edition.json"


@cache
def demo_edition() -> MemoryEdits:
    """The demo edition (built once per process)."""
    from importlib import resources  # only without an imported edition (issue 11)

    raw = resources.files("fluorocode.data").joinpath(DEMO_FILE).read_bytes()
    doc = json.loads(raw)
    rows = [
        PtpEdit(
            column1=r["column1"],
            column2=r["column2"],
            effective=date.fromisoformat(r["effective"]),
            deletion=date.fromisoformat(r["deletion"]) if r["deletion"] else None,
            indicator=ModifierIndicator(r["indicator"]),
            rationale=r["rationale"],
        )
        for r in doc["ptp"]
    ]
    mues = {
        r["code"]: MueEdit(
            r["code"], r["value"], MueAdjudication(r["mai"]), r["rationale"]
        )
        for r in doc["mue"]
    }
    ptp = {Table.PTP_PRACTITIONER: rows, Table.PTP_OUTPATIENT_HOSPITAL: rows}
    mue = {Table.MUE_PRACTITIONER: mues, Table.MUE_OUTPATIENT_HOSPITAL: mues}
    aoc = [AocEdit(r["addon"], r["primary"], r["edit_type"]) for r in doc["aoc"]]
    pfs = {r["code"]: PfsIndicators(**r) for r in doc["pfs"]}
    import hashlib

    info = EditionInfo(
        program=Program(doc["program"]),
        quarter=doc["quarter"],
        version=doc["version"],
        demo=True,
        tables=table_counts(ptp, mue, aoc, pfs),
        sources=(
            SourceFile(
                file=f"fluorocode/data/{DEMO_FILE}",
                sha256=hashlib.sha256(raw).hexdigest(),
                rows=len(rows) + len(mues) + len(aoc) + len(pfs),
                table="demo",
            ),
        ),
    )
    return MemoryEdits(info=info, ptp=ptp, mues=mue, aoc=aoc, pfs_rows=pfs)
