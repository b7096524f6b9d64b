"""A FHIR R4 Claim's payer: ``Claim.insurer`` -> a payer profile (docs/payers.md).

``Claim.insurer`` (R4: 0..1, Reference(Organization), "the Insurer who is target of
the request") is the party that adjudicates the claim: what an 837's NM1*PR of loop
2010BB names. Its identifiers are matched, as ``(system, value)``, against the
profiles' ``fhir_payer_ids``:

- ``insurer.identifier``: a logical reference, the identifier itself;
- ``insurer.reference`` ``#id``: the Claim's contained Organization, its
  ``identifier[]``;
- any other ``insurer.reference`` (``Organization/2``, an absolute URL): the Bundle
  entry it names (by ``fullUrl``, or a relative ``Type/id`` against the entry's
  resource), its ``identifier[]``; a reference to nothing in the document says nothing.

``Claim.insurance[].coverage`` -> ``Coverage.payor`` is not read: the coverage is
usually a reference to a resource outside the document, and its payor is the plan's
issuer, which need not be the party the claim is sent to.

Identifiers matching no profile leave the payer unsaid (as an unlisted NM109 does); if
they select two different profiles, the claim is rejected (kind ``ambiguous_payer``)
rather than checked under either.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fluorocode.errors import FieldError

__all__ = ["ClaimPayer", "OrganizationIndex", "claim_payer", "organization_index"]

#: Where an Organization is in the document, by the references that name it:
#: reference -> (path of the resource, the resource).
OrganizationIndex = Mapping[str, tuple[str, dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class ClaimPayer:
    """What ``Claim.insurer`` says: the profile id and where it was read, or an error."""

    payer: str | None = None
    place: str | None = None
    error: FieldError | None = None


def organization_index(
    bundle: Mapping[str, Any],
) -> dict[str, tuple[str, dict[str, Any]]]:
    """A Bundle's Organization entries by ``fullUrl`` and by ``Organization/id``."""
    index: dict[str, tuple[str, dict[str, Any]]] = {}
    for i, entry in enumerate(bundle.get("entry") or []):
        if not isinstance(entry, dict):
            continue
        resource = entry.get("resource")
        if not isinstance(resource, dict) or resource.get("resourceType") != (
            "Organization"
        ):
            continue
        path = f"Bundle.entry[{i}].resource"
        if isinstance(entry.get("fullUrl"), str):
            index[entry["fullUrl"]] = (path, resource)
        if isinstance(resource.get("id"), str):
            index.setdefault(f"Organization/{resource['id']}", (path, resource))
    return index


def claim_payer(
    claim: Mapping[str, Any],
    organizations: OrganizationIndex,
    payer_ids: Mapping[tuple[str, str], str],
) -> ClaimPayer:
    """The payer profile ``Claim.insurer`` selects (see the module's docstring)."""
    if not payer_ids:
        return ClaimPayer()
    found: dict[str, str] = {}  # profile id -> the first place that selected it
    for place, ident in _insurer_identifiers(claim, organizations):
        system, value = ident.get("system"), ident.get("value")
        if isinstance(system, str) and isinstance(value, str):
            pid = payer_ids.get((system, value))
            if pid is not None:
                found.setdefault(pid, place)
    if len(found) > 1:
        return ClaimPayer(
            error=FieldError(
                "Claim.insurer",
                "the insurer's identifiers select several payer profiles ("
                + ", ".join(sorted(found))
                + "): list each identifier under one profile only",
                "ambiguous_payer",
            )
        )
    for pid, place in found.items():
        return ClaimPayer(pid, place)
    return ClaimPayer()


def _insurer_identifiers(
    claim: Mapping[str, Any], organizations: OrganizationIndex
) -> Iterator[tuple[str, dict[str, Any]]]:
    insurer = claim.get("insurer")
    if not isinstance(insurer, dict):
        return
    if isinstance(insurer.get("identifier"), dict):
        yield "Claim.insurer.identifier", insurer["identifier"]
    ref = insurer.get("reference")
    if not isinstance(ref, str):
        return
    if ref.startswith("#"):
        for i, res in enumerate(claim.get("contained") or []):
            if (
                isinstance(res, dict)
                and res.get("resourceType") == "Organization"
                and res.get("id") == ref[1:]
            ):
                yield from _identifiers(f"Claim.contained[{i}]", res)
        return
    target = organizations.get(ref)
    if target is not None:
        yield from _identifiers(*target)


def _identifiers(
    path: str, resource: dict[str, Any]
) -> Iterator[tuple[str, dict[str, Any]]]:
    for j, ident in enumerate(resource.get("identifier") or []):
        if isinstance(ident, dict):
            yield f"{path}.identifier[{j}]", ident
