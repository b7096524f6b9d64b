"""The encounters of an 837 file, one after another, for readers that want only those.

``fluorocode check FILE`` reads an 837 a transaction set at a time because it may
write the file back corrected (``fluorocode.api.check_claims``); a batch only needs
the encounters. ``x12_encounters`` is that loop over the same readers
(``x12_segments``, ``x12_837.read_transaction``), streaming. An encounter crosses a
batch engine's tables as JSON (``to_json`` / ``from_json``), so it comes back to be
checked by ``api``'s own ``_check_source`` -- places in the file, inpatient bills
``claim.not-subject`` -- exactly as ``check`` checks it (issue 10).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

from fluorocode.adapters.claims.model import SourceEncounter
from fluorocode.adapters.claims.x12_837 import read_transaction
from fluorocode.adapters.claims.x12_segments import Segment, SegmentReader, envelopes
from fluorocode.errors import FieldError

__all__ = ["from_json", "to_json", "x12_encounters"]


def x12_encounters(
    stream: BinaryIO, name: str, program: str = "medicare"
) -> Iterator[SourceEncounter]:
    """Every encounter of an X12 837P/837I file, in file order.

    Args:
        stream: the file, binary.
        name: its name for messages.
        program: the program of claims whose SBR09 says none (as ``check_claims``).

    Raises:
        X12ParseError: the file cannot be read as a whole (the place is named); a bad
            claim gives encounters carrying ``errors`` instead.
    """
    reader = SegmentReader(stream, name)
    ordinal = 0
    for item in envelopes(reader):
        if isinstance(item, Segment):
            continue  # ISA/GS/GE/IEA: the envelope says nothing about encounters
        claims = read_transaction(
            item, name, ordinal, reader.delimiters.component, program
        )
        ordinal += len(claims)
        for claim in claims:
            yield from claim.encounters


def to_json(enc: SourceEncounter) -> dict[str, Any]:
    """A JSON-able object ``from_json`` turns back into the same encounter."""
    return {
        "encounter": enc.encounter,
        "claim": enc.claim,
        "claim_id": enc.claim_id,
        "line_refs": list(enc.line_refs),
        "places": dict(enc.places),
        "source": dict(enc.source),
        "not_subject": enc.not_subject,
        "errors": [[e.field, e.message, e.kind] for e in enc.errors],
    }


def from_json(obj: dict[str, Any]) -> SourceEncounter:
    """The encounter ``to_json`` wrote."""
    return SourceEncounter(
        obj["encounter"],
        obj["claim"],
        obj["claim_id"],
        tuple(obj["line_refs"]),
        obj["places"],
        obj["source"],
        obj["not_subject"],
        tuple(FieldError(f, m, k) for f, m, k in obj["errors"]),
    )
