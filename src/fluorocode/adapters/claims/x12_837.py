"""837P and 837I claims -> encounters (the mapping is documented in docs/claims.md).

One transaction set at a time: each CLM (loop 2300) becomes one encounter per date of
service and place of service of its lines (NCCI edits apply to the same date), keeping
the segment positions of every line so errors name ``segment 23 SV1-01-2`` and the
writer knows which segments to change. A problem inside a claim rejects that claim
alone; a problem outside any claim is an :class:`X12ParseError` for the whole file.

The payer: NM1*PR of the subscriber's loop 2010BB (NM109, the payer id) selects the
payer profile that lists it in ``x12_payer_ids`` (docs/payers.md); an id no profile
lists leaves the claim's payer unsaid. A mapped claim whose SBR09 names no program
takes the profile's program.

Segment numbers are positions in the transaction set, ST being 1, as an X12 999
acknowledgment counts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from fluorocode.adapters.claims.bill_types import classify
from fluorocode.adapters.claims.errors import X12ParseError
from fluorocode.adapters.claims.model import ReadLine, SourceEncounter, group_lines
from fluorocode.adapters.claims.x12_segments import Segment, Transaction
from fluorocode.errors import FieldError

__all__ = ["X12Claim", "X12Line", "read_transaction"]

#: Segment ids an 837 5010 transaction set may hold (005010X222A1, 005010X223A2).
ALLOWED = frozenset(
    "ST SE BHT NM1 N3 N4 REF PER PRV HL SBR PAT DMG CLM DTP PWK CN1 AMT K3 NTE CR1 CR2"
    " CRC HI HCP LX SV1 SV2 SV5 CR3 QTY MEA PS1 LIN CTP SVD CAS OI MOA MIA LQ FRM CL1".split()
)
ONLY = {"P": frozenset({"SV1", "CR1", "CR2", "SV5", "CR3", "PS1", "LQ", "FRM"}),
        "I": frozenset({"SV2", "CL1", "MIA"})}  # fmt: skip
PROGRAMS = {"MB": "medicare", "MA": "medicare", "MC": "medicaid"}


@dataclass(slots=True)
class X12Line:
    """One service line (loop 2400): where its segments are in the transaction."""

    ordinal: int  # 0-based within the claim
    lx: int  # index of LX in the transaction's segment list
    end: int = 0  # index just past the line's last segment
    service: int | None = None  # index of SV1 / SV2
    date: int | None = None  # index of DTP*472


@dataclass(slots=True)
class X12Claim:
    """One claim (loop 2300 and what it holds)."""

    ordinal: int  # 0-based within the file
    start: int  # index of CLM
    hl: str  # HL01 of the loop that holds it
    sbr: int | None  # index of the subscriber's SBR
    payer: int | None = None  # index of loop 2010BB's NM1*PR
    end: int = 0
    lines: list[X12Line] = field(default_factory=list)
    statement: int | None = None  # index of DTP*434 (837I)
    errors: list[FieldError] = field(default_factory=list)
    encounters: list[SourceEncounter] = field(default_factory=list)


def read_transaction(
    tx: Transaction,
    name: str,
    first: int,
    component: str,
    program: str,
    payer_ids: Mapping[str, str] | None = None,
) -> list[X12Claim]:
    """The claims of one transaction set, each with its encounters.

    Args:
        tx: the transaction (ST ... SE).
        name: the file's name, for errors.
        first: the file-wide ordinal of this transaction's first claim.
        component: the component separator (ISA16).
        program: the program for claims whose SBR09 is not MB, MA or MC.
        payer_ids: NM109 payer id -> payer profile id (``x12_payer_ids``).

    Raises:
        X12ParseError: a segment outside any claim that an 837 may not hold there.
    """
    segs = tx.segments
    claims: list[X12Claim] = []
    sbr_of: dict[str, int | None] = {}
    payer_of: dict[str, int | None] = {}
    hl = ""
    claim: X12Claim | None = None
    line: X12Line | None = None
    for i, seg in enumerate(segs):
        sid = seg.id
        bad = _not_allowed(sid, tx)
        if sid in ("HL", "CLM", "SE") and claim is not None:
            _close(claim, line, i)
            claim = line = None
        if bad and claim is None:
            raise X12ParseError(name, bad, seg.index, sid)
        if bad and claim is not None:
            claim.errors.append(
                FieldError(f"segment {i + 1} {sid}", bad, "x12_segment")
            )
        elif sid == "HL":
            hl = seg.element(1)
            sbr_of[hl] = sbr_of.get(seg.element(2)) if seg.element(3) == "23" else None
            payer_of[hl] = (
                payer_of.get(seg.element(2)) if seg.element(3) == "23" else None
            )
        elif sid == "SBR" and claim is None:
            sbr_of[hl] = i
        elif sid == "NM1" and claim is None and seg.element(1) == "PR":
            payer_of[hl] = i  # loop 2010BB, the subscriber's payer
        elif sid == "CLM":
            if not hl:
                raise X12ParseError(name, "a CLM outside any HL loop", seg.index, sid)
            claim = X12Claim(
                first + len(claims), i, hl, sbr_of.get(hl), payer_of.get(hl)
            )
            claims.append(claim)
        elif sid in ("LX", "SV1", "SV2") and claim is None:
            raise X12ParseError(name, f"{sid} outside a claim (CLM)", seg.index, sid)
        elif claim is not None:
            line = _in_claim(claim, line, seg, i)
    for c in claims:
        c.encounters = _encounters(c, tx, component, program, payer_ids or {})
    return claims


def _not_allowed(sid: str, tx: Transaction) -> str | None:
    if sid not in ALLOWED:
        return f"segment {sid} is not allowed in an 837 (5010)"
    other = "I" if tx.kind == "P" else "P"
    if sid in ONLY[other]:
        return f"segment {sid} is not allowed in an 837{tx.kind} ({tx.version})"
    return None


def _close(claim: X12Claim, line: X12Line | None, i: int) -> None:
    claim.end = i
    if line is not None:
        line.end = i


def _in_claim(
    claim: X12Claim, line: X12Line | None, seg: Segment, i: int
) -> X12Line | None:
    sid = seg.id
    if sid == "LX":
        if line is not None:
            line.end = i
        line = X12Line(len(claim.lines), i)
        claim.lines.append(line)
    elif sid in ("SV1", "SV2"):
        if line is None or line.service is not None:
            claim.errors.append(
                FieldError(f"segment {i + 1} {sid}", f"{sid} outside its LX line")
            )
        else:
            line.service = i
    elif sid == "DTP" and seg.element(1) == "472" and line is not None:
        if line.date is None:
            line.date = i
    elif sid == "DTP" and seg.element(1) == "434" and line is None:
        claim.statement = i
    return line


def _encounters(
    claim: X12Claim,
    tx: Transaction,
    component: str,
    default_program: str,
    payer_ids: Mapping[str, str],
) -> list[SourceEncounter]:
    segs = tx.segments
    clm = segs[claim.start]
    claim_id = clm.element(1)
    at = claim.start + 1
    places: dict[str, str] = {
        "id": f"segment {at} CLM-01",
        "lines": f"segment {at} CLM",
    }
    program = default_program
    if claim.sbr is not None and segs[claim.sbr].element(9) in PROGRAMS:
        program = PROGRAMS[segs[claim.sbr].element(9)]
        places["program"] = f"segment {claim.sbr + 1} SBR-09"
    said: dict[str, str] = {"program": program}
    nm1 = claim.payer
    payer = payer_ids.get(segs[nm1].element(9)) if nm1 is not None else None
    if payer is not None and nm1 is not None:
        said = {"payer": payer}
        places["payer"] = f"segment {nm1 + 1} NM1-09"
        if "program" in places:
            said["program"] = program  # SBR09 said it: the parser checks they agree
    errors = list(claim.errors)
    if not claim_id:
        errors.append(FieldError(f"segment {at} CLM-01", "the claim id is empty"))
    facility = clm.element(5).split(component)
    not_subject = None
    if tx.kind == "P":
        claim_pos, claim_type = facility[0], "professional"
        places["place_of_service"] = f"segment {at} CLM-05-1"
    else:
        bill = classify(facility[0] + (facility[2] if len(facility) > 2 else ""))
        claim_pos, claim_type = bill.place_of_service or "22", "institutional"
        not_subject = bill.why
    if not claim.lines:
        errors.append(FieldError(f"segment {at} CLM", "the claim has no service line"))
    lines = [
        read
        for line in claim.lines
        if (read := _line(line, tx, component, claim, claim_pos, errors)) is not None
    ]
    by_ordinal = {line.ordinal: line for line in claim.lines}
    return group_lines(
        claim.ordinal,
        claim_id,
        {"claim_type": claim_type, **said},
        places,
        lines,
        lambda members: _source(tx, claim, [by_ordinal[m.ordinal] for m in members]),
        not_subject,
        errors,
    )


def _source(tx: Transaction, claim: X12Claim, lines: list[X12Line]) -> dict[str, Any]:
    segs = tx.segments
    return {
        "format": "x12",
        "guide": tx.version,
        "transaction": tx.control,
        "claim": segs[claim.start].element(1),
        "segment": claim.start + 1,
        "lines": [
            {"line": segs[ln.lx].element(1), "segment": (ln.service or ln.lx) + 1}
            for ln in lines
        ],
    }


def _line(
    line: X12Line,
    tx: Transaction,
    component: str,
    claim: X12Claim,
    claim_pos: str,
    errors: list[FieldError],
) -> ReadLine | None:
    segs = tx.segments
    if line.service is None:
        sv = "SV1" if tx.kind == "P" else "SV2"
        errors.append(FieldError(f"segment {line.lx + 1} LX", f"the line has no {sv}"))
        return None
    seg = segs[line.service]
    at = line.service + 1
    sid = seg.id
    composite, units_at, basis_at = (1, 4, 3) if sid == "SV1" else (2, 5, 4)
    if sid == "SV2" and not seg.element(2):
        return None
    parts = seg.element(composite).split(component)
    ref = f"segment {at} {sid}-{composite:02d}"
    if parts[0] != "HC":
        hint = (
            f" (the component separator declared in ISA16 is {component!r})"
            if len(parts[0]) > 2
            else ""
        )
        errors.append(
            FieldError(
                f"{ref}-1",
                f"{parts[0]!r} is not HC: only HCPCS/CPT lines are checked{hint}",
            )
        )
    basis = seg.element(basis_at)
    if basis == "MJ":
        errors.append(
            FieldError(
                f"segment {at} {sid}-{basis_at:02d}",
                "units in minutes (MJ, anesthesia time) are not checked",
            )
        )
    where = {
        ".code": f"{ref}-2",
        ".modifiers": ref,
        ".units": f"segment {at} {sid}-{units_at:02d}",
    }
    for j in range(4):
        where[f".modifiers[{j}]"] = f"{ref}-{3 + j}"
    pos = claim_pos
    if sid == "SV1" and seg.element(5):
        pos = seg.element(5)
        where["place_of_service"] = f"segment {at} SV1-05"
    else:
        where["place_of_service"] = f"segment {claim.start + 1} CLM-05-1"
    dos, where["date_of_service"] = _date(line, claim, segs)
    obj = {
        "code": parts[1] if len(parts) > 1 else "",
        "modifiers": [m for m in parts[2:6] if m],
        "units": _units(seg.element(units_at)),
    }
    return ReadLine(line.ordinal, dos, pos, obj, where)


def _date(line: X12Line, claim: X12Claim, segs: list[Segment]) -> tuple[str, str]:
    """The line's date of service (DTP*472; for 837I else a one-day DTP*434)."""
    at = line.date if line.date is not None else claim.statement
    if at is None:
        return "", f"segment {line.lx + 1} LX (no DTP*472 date of service)"
    seg = segs[at]
    text = seg.element(3)
    start, _, end = text.partition("-")
    if at == claim.statement and end and end != start:
        return text, f"segment {at + 1} DTP-03 (no DTP*472 and several statement days)"
    if len(start) == 8 and start.isdigit():
        start = f"{start[:4]}-{start[4:6]}-{start[6:]}"
    return start, f"segment {at + 1} DTP-03"


def _units(text: str) -> Any:
    """SV1-04 / SV2-05 as a whole number when it is one, else as written (an error)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    if value.is_finite() and value == value.to_integral_value() and value >= 1:
        return int(value)
    return text
