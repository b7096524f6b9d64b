"""CMS-layout files for the diff tests: PTP TXT, MUE CSV and AOC TXT as CMS writes them."""

from __future__ import annotations

from pathlib import Path

PTP_HEADER = (
    "CPT only copyright 2023 American Medical Association.  All rights reserved.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
    "\t\t\t\t*=no data\t1=allowed\t\r\n"
    "\t\t\t\t\t9=not applicable\t\r\n"
)
MUE_HEADER = (
    '"CPT codes and descriptions only are copyright 2023 American Medical '
    'Association.",,,\r\n'
    '"HCPCS/\nCPT Code",Practitioner Services MUE Values,MUE Adjudication Indicator,'
    "MUE Rationale\r\n"
)
MAI_TEXT = {
    1: "1 Line Edit",
    2: "2 Date of Service Edit: Policy",
    3: "3 Date of Service Edit: Clinical",
}
AOC_HEADER = (
    "Add-On Code\tPrimary Code\tAOC Edit Type\tSpecial Instruction Notes\t"
    "AOC Del Dt (Julian)\tPrimary Code Del Dt (Julian)\tAOC Edit Eff Dt (Julian)\t"
    "AOC Edit Del Dt (Julian)"
)

#: (column 1, column 2, effective, deletion, indicator, rationale)
PtpRow = tuple[str, str, str, str, str, str]


def ptp_file(path: Path, rows: list[PtpRow]) -> Path:
    body = "".join(f"{a}\t{b}\t\t{e}\t{d}\t{i}\t{r}\r\n" for a, b, e, d, i, r in rows)
    path.write_bytes((PTP_HEADER + body).encode("latin-1"))
    return path


def mue_file(path: Path, rows: list[tuple[str, int, int, str]]) -> Path:
    body = "".join(f"{c},{v},{MAI_TEXT[m]},{r}\r\n" for c, v, m, r in rows)
    path.write_bytes((MUE_HEADER + body).encode("latin-1"))
    return path


def aoc_file(path: Path, rows: list[tuple[str, str, int]]) -> Path:
    lines = [AOC_HEADER] + [
        f"{addon}\t{primary}\t{kind}\t\t\t\t\t" for addon, primary, kind in rows
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    return path
