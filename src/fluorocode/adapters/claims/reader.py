"""The encounters of an 837 or FHIR file, one after another, for readers that want
only those.

``fluorocode check FILE`` reads an 837 a transaction set at a time because it may
write the file back corrected (``fluorocode.api.check_claims``); a batch only needs
the encounters. ``x12_encounters`` is that loop over the same readers
(``x12_segments``, ``x12_837.read_transaction``), streaming; ``fhir_encounters`` the
same over ``fhir_claim.read_fhir``. Both read the payer as ``check`` does (the
profiles' ``x12_payer_ids`` / ``fhir_payer_ids``). An encounter crosses a batch
engine's tables as JSON (``to_json`` / ``from_json``), so it comes back to be checked
by ``api``'s own ``check_source`` -- places in the file, inpatient bills
``claim.not-subject`` -- exactly as ``check`` checks it (issue 10).

A batch also keys each encounter by its provider, which the contract's encounter does
not hold: ``x12_provided`` and ``fhir_encounters`` give it beside each encounter.

- X12: NM109 of the rendering provider (loop 2310B, ``NM1*82`` in the claim before
  its first LX), else of the billing provider (loop 2010AA, ``NM1*85`` of the HL
  loop, code 20, the claim's subscriber loop descends from), else ``""``. Loop 2420A
  (a line's own rendering provider) is not read: an encounter has one provider.
- FHIR: ``Claim.provider``: its identifier in the NPI system
  (``http://hl7.org/fhir/sid/us-npi``), else the NPI identifier of the resource it
  references in the document (a ``#id`` contained resource, a Bundle entry by
  ``fullUrl`` or ``Type/id``), else the reference as written, else ``""``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, BinaryIO

from fluorocode.adapters.claims.model import SourceEncounter
from fluorocode.adapters.claims.x12_837 import X12Claim, read_transaction
from fluorocode.adapters.claims.x12_segments import (
    Segment,
    SegmentReader,
    Transaction,
    envelopes,
)
from fluorocode.errors import FieldError

__all__ = [
    "NPI_SYSTEM",
    "fhir_encounters",
    "from_json",
    "to_json",
    "x12_encounters",
    "x12_provided",
]

#: The FHIR identifier system of National Provider Identifiers.
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"


def x12_encounters(
    stream: BinaryIO,
    name: str,
    program: str = "medicare",
    payer_ids: Mapping[str, str] | None = None,
) -> Iterator[SourceEncounter]:
    """Every encounter of an X12 837P/837I file, in file order.

    Args:
        stream: the file, binary.
        name: its name for messages.
        program: the program of claims whose SBR09 says none (as ``check_claims``).
        payer_ids: NM109 payer id -> payer profile id (as ``check_claims``; None:
            no claim names a payer profile).

    Raises:
        X12ParseError: the file cannot be read as a whole (the place is named); a bad
            claim gives encounters carrying ``errors`` instead.
    """
    for _provider, enc in x12_provided(stream, name, program, payer_ids):
        yield enc


def x12_provided(
    stream: BinaryIO,
    name: str,
    program: str = "medicare",
    payer_ids: Mapping[str, str] | None = None,
) -> Iterator[tuple[str, SourceEncounter]]:
    """``x12_encounters``, each with its claim's provider (the module's docstring)."""
    reader = SegmentReader(stream, name)
    ordinal = 0
    for item in envelopes(reader):
        if isinstance(item, Segment):
            continue  # ISA/GS/GE/IEA: the envelope says nothing about encounters
        claims = read_transaction(
            item, name, ordinal, reader.delimiters.component, program, payer_ids
        )
        ordinal += len(claims)
        billing = _billing_providers(item)
        for claim in claims:
            provider = _rendering_provider(item, claim) or billing(claim.hl)
            for enc in claim.encounters:
                yield provider, enc


def _rendering_provider(tx: Transaction, claim: X12Claim) -> str:
    """NM109 of loop 2310B: an ``NM1*82`` after CLM and before the first LX."""
    stop = claim.lines[0].lx if claim.lines else claim.end or len(tx.segments)
    for seg in tx.segments[claim.start + 1 : stop]:
        if seg.id == "NM1" and seg.element(1) == "82" and seg.element(9):
            return seg.element(9)
    return ""


def _billing_providers(tx: Transaction) -> Callable[[str], str]:
    """HL id -> NM109 of the billing provider (loop 2010AA, ``NM1*85``) of the
    nearest HL loop of code 20 it descends from (``""``: none)."""
    parent: dict[str, str] = {}
    npi: dict[str, str] = {}
    hl = ""
    level = ""
    for seg in tx.segments:
        if seg.id == "HL":
            hl, level = seg.element(1), seg.element(3)
            parent[hl] = seg.element(2)
        elif seg.id == "NM1" and seg.element(1) == "85" and level == "20":
            npi.setdefault(hl, seg.element(9))

    def of(start: str) -> str:
        seen: set[str] = set()
        at = start
        while at and at not in seen:  # a cycle of HL parents ends the walk
            if at in npi:
                return npi[at]
            seen.add(at)
            at = parent.get(at, "")
        return ""

    return of


def fhir_encounters(
    doc: Any,
    name: str,
    program: str = "medicare",
    payer_ids: Mapping[tuple[str, str], str] | None = None,
) -> Iterator[tuple[str, SourceEncounter]]:
    """Every encounter of a decoded FHIR Claim or Bundle, each with its Claim's
    provider (the module's docstring), as ``check`` reads them (``read_fhir``).

    Raises:
        FhirMappingError: the document is not a Claim or a Bundle of Claims.
    """
    from fluorocode.adapters.claims.fhir_claim import read_fhir  # pydantic

    claims = read_fhir(doc, name, program, payer_ids)
    resources = _resources(doc) if isinstance(doc, dict) else {}
    for claim in claims:
        provider = _fhir_provider(claim.resource, resources)
        for enc in claim.encounters:
            yield provider, enc


def _resources(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A Bundle's resources by ``fullUrl`` and by ``Type/id``."""
    index: dict[str, dict[str, Any]] = {}
    if doc.get("resourceType") != "Bundle":
        return index
    for entry in doc.get("entry") or []:
        res = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(res, dict):
            continue
        if isinstance(entry.get("fullUrl"), str):
            index[entry["fullUrl"]] = res
        if isinstance(res.get("resourceType"), str) and isinstance(res.get("id"), str):
            index[f"{res['resourceType']}/{res['id']}"] = res
    return index


def _npi(identifiers: Any) -> str:
    for ident in identifiers if isinstance(identifiers, list) else [identifiers]:
        if (
            isinstance(ident, dict)
            and ident.get("system") == NPI_SYSTEM
            and isinstance(ident.get("value"), str)
        ):
            return str(ident["value"])
    return ""


def _fhir_provider(claim: dict[str, Any], resources: dict[str, dict[str, Any]]) -> str:
    ref = claim.get("provider")
    if not isinstance(ref, dict):
        return ""
    found = _npi(ref.get("identifier"))
    target = ref.get("reference")
    if found or not isinstance(target, str) or not target:
        return found
    if target.startswith("#"):
        contained = claim.get("contained") or []
        named = [
            r for r in contained if isinstance(r, dict) and r.get("id") == target[1:]
        ]
        found = _npi(named[0].get("identifier")) if named else ""
    else:
        res = resources.get(target) or resources.get("/".join(target.split("/")[-2:]))
        found = _npi(res.get("identifier")) if res else ""
    return found or target


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
