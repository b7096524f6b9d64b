"""Medicaid and Medicare NCCI files written from real 2024 Q3 rows (../shared/data).

The Medicaid files follow the layout docs/medicaid.md documents: TAB-separated text, a
title and a notice line, a header naming its columns, no pre-1996 column, an empty
deletion date for an active edit; the MUE file has no adjudication indicator. They are
zipped under the public Medicaid zip names. The Medicare files use the real excerpts'
header lines (../shared/data/cms) over the same rows, so both editions hold the same
edits except the rows a test changes on purpose (``MEDICAID_CHANGES``).

The decoded PTP rows lost their effective dates (../shared/tools/ncci_tsv_to_cms.py): as
that tool does, every row gets 19960101, or its deletion date when that is earlier.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

NCCI = "ncci-2024q3"
#: (column 1, column 2) -> the Medicaid indicator (Medicare's real row says 1).
MEDICAID_CHANGES = {("20206", "76000"): "0"}
#: code -> the Medicaid MUE value (Medicare's real row: 76000 3, MAI 3).
MEDICAID_MUE = {"76000": "1"}

PTP_ZIP = "medicaid-ncci-2024-q3-ptp-edits-{}-services.zip"
MUE_ZIP = "medicaid-ncci-q3-2024-mue-edits-{}-services.zip"
SETTINGS = {
    "practitioner": "practitioner",
    "outpatient_hospital": "outpatient-hospital",
}

_TITLE = "Medicaid NCCI PTP Edits\t\t\t\t\t\r\n"
_NOTICE = "CPT only copyright American Medical Association. All rights reserved.\t\t\t\t\t\r\n"
_PTP_HEADER = (
    "Column 1\tColumn 2\tEffective Date\tDeletion Date\tModifier Indicator"
    "\tPTP Edit Rationale\r\n"
)


def ptp_rows(shared: Path, setting: str) -> list[list[str]]:
    """(column 1, column 2, deletion, indicator, rationale) of the real 76000 pairs."""
    path = shared / NCCI / f"ptp_{setting}_fluoro_pairs.tsv"
    lines = path.read_text(encoding="latin-1").splitlines()[1:]
    return [line.split("\t") for line in lines]


def _effective(deletion: str) -> str:
    return deletion if deletion != "*" and deletion < "19960101" else "19960101"


def medicaid_ptp_text(
    shared: Path,
    setting: str,
    date: Callable[[str], str] = lambda ymd: ymd,
    change: Callable[[int, list[str]], list[str]] | None = None,
) -> bytes:
    """A Medicaid PTP file: ``date`` writes each YYYYMMDD, ``change`` edits a row."""
    out = [_TITLE, _NOTICE, _PTP_HEADER]
    for k, (col1, col2, deletion, indicator, rationale) in enumerate(
        ptp_rows(shared, setting)
    ):
        indicator = MEDICAID_CHANGES.get((col1, col2), indicator)
        effective = date(_effective(deletion))
        end = "" if deletion == "*" else date(deletion)
        row = [col1, col2, effective, end, indicator, rationale]
        if change is not None:
            row = change(k, row)
        out.append("\t".join(row) + "\r\n")
    return "".join(out).encode("latin-1")


def mue_rows(shared: Path, setting: str) -> list[list[str]]:
    """(code, value, MAI, rationale) of a real 2024 Q3 MUE table."""
    lines = (shared / NCCI / f"mue_{setting}.tsv").read_text("latin-1").splitlines()
    return [line.split("\t") for line in lines[1:]]


def medicaid_mue_text(shared: Path, setting: str) -> bytes:
    """A Medicaid MUE file: TAB-separated, no MAI column."""
    label = "Practitioner" if setting == "practitioner" else "Outpatient Hospital"
    out = [
        "Medicaid NCCI MUE Edits\t\t\r\n",
        "CPT only copyright American Medical Association. All rights reserved.\t\t\r\n",
        f"HCPCS/CPT Code\t{label} Services MUE Values\tMUE Rationale\r\n",
    ]
    for code, value, _mai, rationale in mue_rows(shared, setting):
        out.append(f"{code}\t{MEDICAID_MUE.get(code, value)}\t{rationale}\r\n")
    return "".join(out).encode("latin-1")


def zipped(member: str, data: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, data)
        for name, body in (extra or {}).items():
            archive.writestr(name, body)
    return buffer.getvalue()


def write_medicaid_zips(shared: Path, out: Path) -> list[Path]:
    """The four Medicaid zips (PTP and MUE, practitioner and outpatient hospital)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for setting, words in SETTINGS.items():
        ptp = out / PTP_ZIP.format(words)
        member = ptp.name.replace(".zip", ".txt")
        ptp.write_bytes(
            zipped(
                member,
                medicaid_ptp_text(shared, setting),
                {"README.pdf": b"%PDF-1.4 not a table"},
            )
        )
        mue = out / MUE_ZIP.format(words)
        mue.write_bytes(
            zipped(mue.name.replace(".zip", ".txt"), medicaid_mue_text(shared, setting))
        )
        paths += [ptp, mue]
    return paths


def write_medicare_files(shared: Path, out: Path) -> list[Path]:
    """Medicare 2024 Q3 practitioner PTP (76000 pairs) and MUE files, CMS layout."""
    out.mkdir(parents=True, exist_ok=True)
    excerpt = (shared / "cms" / "ccipra-v322r0-f1.TXT.excerpt").read_bytes()
    header = b"".join(excerpt.splitlines(keepends=True)[:6])
    rows = [
        f"{c1}\t{c2}\t\t{_effective(d)}\t{d}\t{i}\t{r}\r\n"
        for c1, c2, d, i, r in ptp_rows(shared, "practitioner")
    ]
    ptp = out / "ccipra-v302r0-f1.TXT"
    ptp.write_bytes(header + "".join(rows).encode("latin-1"))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["notice", "", "", ""])
    writer.writerow(
        [
            "HCPCS/\nCPT Code",
            "Practitioner Services MUE Values",
            "MUE Adjudication Indicator",
            "MUE Rationale",
        ]
    )
    labels = {"1": "1 Line Edit", "2": "2 Date of Service Edit: Policy"}
    for code, value, mai, rationale in mue_rows(shared, "practitioner"):
        writer.writerow(
            [
                code,
                value,
                labels.get(mai, "3 Date of Service Edit: Clinical"),
                rationale,
            ]
        )
    mue = out / "MCR_MUE_PractitionerServices_Eff_07-01-2024.csv"
    mue.write_bytes(buffer.getvalue().encode("latin-1"))
    return [ptp, mue]
