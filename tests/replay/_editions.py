"""Two small Medicare editions, 2024Q3 and 2024Q4, built from real 2024-07-01 rows.

The rows are read from ``../shared/data/ncci-2024q3/`` (the decoded real tables) and
written in CMS's own layouts; the 2024Q4 edition differs from 2024Q3 by exactly:

- 29880/76000: modifier indicator 1 -> 0 (same effective date);
- 33289/76000: deleted (deletion date 2024-07-31 set, retroactively);
- 64483/76000: a real row absent from 2024Q3, added in 2024Q4;
- MUE of 29880: 1 -> 2 per day (MAI 2).

Encounters on 2024-08-15 (in 2024Q3) are checked under 2024Q3 unless told otherwise.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from editions._cms import AOC_HEADER, MUE_HEADER, PTP_HEADER

MAI_TEXT = {
    "1": "1 Line Edit",
    "2": "2 Date of Service Edit: Policy",
    "3": "3 Date of Service Edit: Clinical",
}
#: The column-1 codes over 76000 the editions hold (2024Q3 without 64483).
PAIRS = ("29880", "33289", "20610", "64483")
MUE_CODES = ("29880", "33289", "20610", "64483", "76000", "77002")
EFFECTIVE = "19960101"  # as ../shared/tools/ncci_tsv_to_cms.py writes the real rows


def _tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def real_rows(data: Path) -> dict[str, Any]:
    """The real rows the editions are made of, by code."""
    ptp = {
        r["column_1"]: r
        for r in _tsv(data / "ptp_practitioner_fluoro_pairs.tsv")
        if r["column_2"] == "76000" and r["column_1"] in PAIRS
    }
    mue = {
        r["hcpcs_cpt_code"]: r
        for r in _tsv(data / "mue_practitioner.tsv")
        if r["hcpcs_cpt_code"] in MUE_CODES
    }
    aoc = [r for r in _tsv(data / "aoc.tsv") if r["add_on_code"] == "77002"][:5]
    assert set(ptp) == set(PAIRS) and set(mue) == set(MUE_CODES) and aoc
    # the facts the tests rest on, as the real July 2024 tables have them
    assert [ptp[c]["modifier_indicator"] for c in PAIRS] == ["1", "0", "1", "1"]
    assert all(ptp[c]["deletion_date"] == "*" for c in PAIRS)
    assert (mue["29880"]["mue_value"], mue["29880"]["mai"]) == ("1", "2")
    return {"ptp": ptp, "mue": mue, "aoc": aoc}


def _ptp_line(row: dict[str, str], deletion: str, indicator: str) -> str:
    return (
        f"{row['column_1']}\t{row['column_2']}\t\t{EFFECTIVE}\t{deletion}\t"
        f"{indicator}\t{row['ptp_edit_rationale']}\r\n"
    )


def write_quarter(data: Path, out: Path, quarter: str) -> list[Path]:
    """The CMS files of the 2024Q3 or the 2024Q4 edition (module docstring)."""
    rows = real_rows(data)
    out.mkdir(parents=True, exist_ok=True)
    q4 = quarter == "2024Q4"
    ptp = []
    for code in PAIRS:
        row = rows["ptp"][code]
        if code == "64483" and not q4:
            continue
        deletion = "20240731" if code == "33289" and q4 else row["deletion_date"]
        indicator = "0" if code == "29880" and q4 else row["modifier_indicator"]
        ptp.append(_ptp_line(row, deletion, indicator))
    version, month = ("v303r0", "10") if q4 else ("v302r0", "07")
    ptp_path = out / f"ccipra-{version}-f1.TXT"
    ptp_path.write_bytes((PTP_HEADER + "".join(ptp)).encode("latin-1"))
    mue = []
    for code in MUE_CODES:
        r = rows["mue"][code]
        value = "2" if code == "29880" and q4 else r["mue_value"]
        mue.append(f"{code},{value},{MAI_TEXT[r['mai']]},{r['mue_rationale']}\r\n")
    mue_path = out / f"MCR_MUE_PractitionerServices_Eff_{month}-01-2024.csv"
    mue_path.write_bytes((MUE_HEADER + "".join(mue)).encode("latin-1"))
    aoc = [AOC_HEADER] + [
        f"{r['add_on_code']}\t{r['primary_code']}\t{r['aoc_edit_type']}\t\t\t\t\t"
        for r in rows["aoc"]
    ]
    aoc_path = out / "AOC_V2024Q2-MCR.txt"
    aoc_path.write_bytes(("\r\n".join(aoc) + "\r\n").encode("latin-1"))
    return [ptp_path, mue_path, aoc_path]


def encounter(
    enc_id: str, *lines: Any, dos: str = "2024-08-15", **extra: Any
) -> dict[str, Any]:
    """An office encounter; a line is a code, or (code, modifiers, units)."""
    out: list[dict[str, Any]] = []
    for line in lines:
        code, mods, units = (line, [], 1) if isinstance(line, str) else line
        out.append({"code": code, "modifiers": list(mods), "units": units})
    return {
        "id": enc_id,
        "date_of_service": dos,
        "place_of_service": "11",
        "lines": out,
        **extra,
    }


#: Encounters whose verdict the 2024Q4 edition changes, and those it does not.
CHANGED = {
    "flip": encounter("flip", ("29880", ["RT"], 1), "76000"),
    "deleted": encounter("deleted", "33289", "76000"),
    "added": encounter("added", "64483", "76000"),
    "mue": encounter("mue", ("29880", [], 2)),
}
UNCHANGED = {
    "same": encounter("same", "20610", "76000"),
    "q4-date": encounter("q4-date", ("29880", ["RT"], 1), "76000", dos="2024-11-01"),
}
