"""Write the corrected 837: what should go out, in the sender's own layout.

Per claim (:class:`~fluorocode.adapters.claims.model.ClaimOutcome`): added or dropped
modifiers go into the SV1-01 / SV2-02 composite; removed lines are dropped with the LX
numbers of the claim renumbered and CLM02 recomputed from the remaining line charges; a
claim kept back is left out together with any HL loop left without a claim (the HL
numbers, parents and child codes are then renumbered). SE01, GE01 and IEA01 are counted
again; a transaction set, group or interchange left empty is left out. Delimiters,
indentation, line breaks and the byte-order mark are the original's: a file whose
claims all go out unchanged is written back byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TextIO

from fluorocode.adapters.claims.model import ClaimOutcome
from fluorocode.adapters.claims.x12_837 import X12Claim
from fluorocode.adapters.claims.x12_segments import Delimiters, Segment, Transaction

__all__ = ["X12Writer"]


class X12Writer:
    """Stream envelopes and corrected transactions to ``out`` in file order.

    ISA and GS are written only once a transaction in them is, so an interchange whose
    claims are all kept back leaves nothing behind.
    """

    def __init__(self, out: TextIO, bom: str, delimiters: Delimiters) -> None:
        self.out, self.d = out, delimiters
        self.out.write(bom)
        self._isa: Segment | None = None
        self._gs: Segment | None = None
        self._isa_written = self._gs_written = False
        self._groups = self._transactions = 0
        self.claims_written = 0

    def envelope(self, seg: Segment) -> None:
        """An ISA, GS, GE or IEA segment, as read."""
        if seg.id == "ISA":
            self._isa, self._isa_written, self._groups = seg, False, 0
        elif seg.id == "GS":
            self._gs, self._gs_written, self._transactions = seg, False, 0
        elif seg.id == "GE":
            if self._gs_written:
                self._write(_with(seg, self.d, {1: str(self._transactions)}))
                self._groups += 1
        elif seg.id == "IEA" and self._isa_written:
            self._write(_with(seg, self.d, {1: str(self._groups)}))

    def transaction(
        self,
        tx: Transaction,
        claims: list[X12Claim],
        outcomes: Mapping[int, ClaimOutcome],
    ) -> None:
        """Write one transaction set corrected; leave it out if no claim in it goes out."""
        segments = corrected(tx, claims, outcomes, self.d)
        if segments is None:
            return
        if not self._isa_written and self._isa is not None:
            self._write(self._isa)
            self._isa_written = True
        if not self._gs_written and self._gs is not None:
            self._write(self._gs)
            self._gs_written = True
        for seg in segments:
            self._write(seg)
        self._transactions += 1
        self.claims_written += sum(1 for c in claims if outcomes[c.ordinal].written)

    def close(self, tail: str) -> None:
        self.out.write(tail)

    def _write(self, seg: Segment) -> None:
        self.out.write(seg.render())


def corrected(
    tx: Transaction,
    claims: list[X12Claim],
    outcomes: Mapping[int, ClaimOutcome],
    d: Delimiters,
) -> list[Segment] | None:
    """The transaction's segments as they should go out; None when no claim does."""
    segs = tx.segments
    if not any(outcomes[c.ordinal].written for c in claims):
        return None
    drop = [False] * len(segs)
    changes: dict[int, dict[int, str]] = {}
    for claim in claims:
        outcome = outcomes[claim.ordinal]
        if not outcome.written:
            drop[claim.start : claim.end] = [True] * (claim.end - claim.start)
            continue
        _correct_claim(claim, outcome, segs, d, drop, changes)
    _prune_hl(segs, claims, outcomes, drop, changes)
    out: list[Segment] = []
    for i, seg in enumerate(segs):
        if drop[i]:
            continue
        if seg.id == "SE":
            changes.setdefault(i, {})[1] = str(len(out) + 1)
        out.append(_with(seg, d, changes.get(i, {})))
    return out


def _correct_claim(
    claim: X12Claim,
    outcome: ClaimOutcome,
    segs: list[Segment],
    d: Delimiters,
    drop: list[bool],
    changes: dict[int, dict[int, str]],
) -> None:
    removed = False
    total = Decimal(0)
    charges_known = True
    number = 0
    for line in claim.lines:
        remove, modifiers = outcome.lines.get(line.ordinal, (False, None))
        if remove:
            drop[line.lx : line.end] = [True] * (line.end - line.lx)
            removed = True
            continue
        number += 1
        if segs[line.lx].element(1) != str(number):
            changes.setdefault(line.lx, {})[1] = str(number)
        if line.service is None:
            charges_known = False
            continue
        seg = segs[line.service]
        composite, charge_at = (1, 2) if seg.id == "SV1" else (2, 3)
        if modifiers is not None:
            text = _composite(seg.element(composite), modifiers, d.component)
            if text != seg.element(composite):
                changes.setdefault(line.service, {})[composite] = text
        try:
            total += Decimal(seg.element(charge_at))
        except InvalidOperation:
            charges_known = False
    if removed and charges_known:
        changes.setdefault(claim.start, {})[2] = _amount(total)


def _composite(text: str, modifiers: tuple[str, ...], component: str) -> str:
    """SV1-01 / SV2-02 with the modifiers replaced (positions 3-6; the rest kept)."""
    parts = text.split(component)
    head, rest = parts[:2], parts[6:]
    mods = list(modifiers)
    if rest:
        mods += [""] * (4 - len(mods))
    return component.join([*head, *mods, *rest]).rstrip(component)


def _amount(value: Decimal) -> str:
    """An X12 R (decimal) value: no exponent, no trailing zeros after the point."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _prune_hl(
    segs: list[Segment],
    claims: list[X12Claim],
    outcomes: Mapping[int, ClaimOutcome],
    drop: list[bool],
    changes: dict[int, dict[int, str]],
) -> None:
    """Leave out HL loops whose claims all stay back; renumber the HLs if any is."""
    hls = [i for i, s in enumerate(segs) if s.id == "HL"]
    parent = {segs[i].element(1): segs[i].element(2) for i in hls}
    had: set[str] = set()
    keeps: set[str] = set()
    for claim in claims:
        node: str | None = claim.hl
        while node:
            had.add(node)
            if outcomes[claim.ordinal].written:
                keeps.add(node)
            node = parent.get(node) or None
    gone = had - keeps
    if not gone:
        return
    ends = [*hls[1:], len(segs) - 1]
    for start, end in zip(hls, ends, strict=True):
        if segs[start].element(1) in gone:
            drop[start:end] = [True] * (end - start)
    kept = [i for i in hls if not drop[i]]
    new_id = {segs[i].element(1): str(n) for n, i in enumerate(kept, start=1)}
    parents = {new_id.get(segs[i].element(2), "") for i in kept}
    for i in kept:
        ident = new_id[segs[i].element(1)]
        changes.setdefault(i, {}).update(
            {
                1: ident,
                2: new_id.get(segs[i].element(2), ""),
                4: "1" if ident in parents else "0",
            }
        )


def _with(seg: Segment, d: Delimiters, values: Mapping[int, str]) -> Segment:
    """The segment with some elements replaced; itself when nothing changes."""
    if all(seg.element(k) == v for k, v in values.items()):
        return seg
    elements = list(seg.elements)
    for k, v in values.items():
        elements += [""] * (k + 1 - len(elements))
        elements[k] = v
    text = d.element.join(elements)
    return Segment(seg.index, seg.lead, text, seg.end, elements)
