"""Claims files for the replay tests, derived from the real samples in ../shared/data.

``x12_claims`` writes the real 837P ``ST1309-XX.txt`` (5010) with its one transaction
set repeated, one per claim: each copy gets its own control number, claim id, codes,
units and dates of service, and the group's count; every other segment is the sample's
own (names, addresses, its NTE note). ``inpatient`` is the real 837I
``Spec_3.1.2_TwoClaimsForTheSameProvider.txt`` with its first claim a hospital inpatient
bill (type 111), which the edits do not apply to. ``fhir_claim`` is the real FHIR
``Claim-MED-00050.json`` as a professional claim of 33289 + 76000.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SAMPLE_837P = "x12/oopfactory-x12parser/837P_5010/ST1309-XX.txt"
SAMPLE_837I = (
    "x12/oopfactory-x12parser/837I_5010/Spec_3.1.2_TwoClaimsForTheSameProvider.txt"
)
#: What the claim's NTE segment says in the derived file; never in the audit trail.
NOTE_TEXT = "PATIENT STATES KNEE LOCKS ON STAIRS"
#: Free text of the sample's own (names, an address) that the audit must not hold.
SAMPLE_TEXT = ("JONES", "C ANN", "1 DEF STREET", "CLIFTON", "MONA", "ORTHOPAED")

#: One claim: its id and its two lines, each (code, units, date of service YYYYMMDD).
Claim = tuple[str, tuple[tuple[str, int, str], tuple[str, int, str]]]


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def x12_claims(shared_data: Path, claims: list[Claim]) -> bytes:
    """ST1309-XX with one transaction set per claim (module docstring)."""
    text = (shared_data / SAMPLE_837P).read_bytes().decode("utf-8")
    start = text.index("    ST*837*1309")
    end = text.index("\n", text.index("    SE*52*1309")) + 1
    head, tx, tail = text[:start], text[start:end], text[end:]
    sets = []
    for n, (claim_id, (first, second)) in enumerate(claims, 1):
        copy = tx
        for old, new in (
            ("ST*837*1309", f"ST*837*{1309 + n}"),
            ("SE*52*1309", f"SE*52*{1309 + n}"),
            ("CLM*B330004Y*", f"CLM*{claim_id}*"),
            ("SV1*HC:99204*250*UN*1*", f"SV1*HC:{first[0]}*250*UN*{first[1]}*"),
            ("DTP*472*D8*20130312", f"DTP*472*D8*{first[2]}"),
            ("SV1*HC:73610*110*UN*1*", f"SV1*HC:{second[0]}*110*UN*{second[1]}*"),
            ("DTP*472*D8*20130312", f"DTP*472*D8*{second[2]}"),
            ("NTE*ADD*NOTE", f"NTE*ADD*{NOTE_TEXT}"),
        ):
            copy = _replace(copy, old, new)
        sets.append(copy)
    tail = _replace(tail, "GE*1*440", f"GE*{len(claims)}*440")
    return (head + "".join(sets) + tail).encode("utf-8")


#: Claims whose encounters the 2024Q4 edition of ``_editions`` changes, and others:
#: 33289/76000 deleted, 64483/76000 added, the MUE of 29880 raised from 1 to 2.
CLAIMS: list[Claim] = [
    ("DEL-1", (("33289", 1, "20240815"), ("76000", 1, "20240815"))),
    ("SAME-1", (("20610", 1, "20240815"), ("76000", 1, "20240815"))),
    ("ADD-1", (("64483", 1, "20240815"), ("76000", 1, "20240815"))),
    ("TWO-DAYS", (("29880", 2, "20240815"), ("76000", 1, "20240816"))),
]
CHANGED_IDS = ["DEL-1", "ADD-1", "TWO-DAYS@2024-08-15"]
UNCHANGED_IDS = ["SAME-1", "TWO-DAYS@2024-08-16"]


def inpatient(shared_data: Path) -> bytes:
    """The 837I sample with its first claim (756048Q) an inpatient bill (type 111)."""
    data = (shared_data / SAMPLE_837I).read_bytes().decode("utf-8")
    data = _replace(data, "CLM*756048Q*89.95***13:A:1", "CLM*756048Q*89.95***11:A:1")
    return data.encode("utf-8")


def fhir_claim(shared_data: Path) -> dict[str, Any]:
    """Claim-MED-00050 as a professional claim of 33289 + 76000 on 2024-08-15 (in
    an ASC), which the 2024Q4 edition changes (33289/76000 deleted)."""
    import copy
    import json

    path = shared_data / "fhir" / "hl7.fhir.r4.examples-4.0.1" / "Claim-MED-00050.json"
    claim: dict[str, Any] = json.loads(path.read_bytes())
    # professional: the editions of ``_editions`` hold the practitioner tables only
    claim["type"]["coding"][0]["code"] = "professional"
    del claim["subType"]  # its type of bill, an institutional claim's
    item = claim["item"][0]
    item["productOrService"]["coding"][0]["code"] = "33289"
    item["servicedDate"] = "2024-08-15"
    second = copy.deepcopy(item)
    second["sequence"] = 2
    second["productOrService"]["coding"][0]["code"] = "76000"
    claim["item"].append(second)
    return claim
