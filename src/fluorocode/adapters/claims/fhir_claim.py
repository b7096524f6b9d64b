"""FHIR R4 ``Claim`` (or a ``Bundle`` of them) -> encounters (docs/claims.md).

Each Claim is validated on its own with fhir.resources (its R4B models: the package
ships no 4.0.1 models, and a Claim reads the same in 4.0.1 and 4.3.0), so one invalid
Claim is rejected alone. Mapping: ``id`` (else ``identifier[0].value``); ``type``
professional or institutional; the type of bill from ``subType`` (system
``https://www.cms.gov/codes/billtype``); per item, ``productOrService`` in the CPT or
HCPCS system (another system is reported, never guessed), ``modifier``, ``quantity``,
``servicedDate`` / ``servicedPeriod.start`` (else ``billablePeriod.start``) and
``locationCodeableConcept`` as the place of service. Places are FHIRPath expressions
relative to the Claim: ``Claim.item[1].quantity``.

The payer: ``Claim.insurer``'s identifiers select the payer profile that lists one in
``fhir_payer_ids`` (``fhir_payer``, docs/payers.md); none selected leaves the claim's
payer unsaid and its program ``program``; a selected profile sets the program.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from fluorocode.adapters.claims.bill_types import classify
from fluorocode.adapters.claims.errors import FhirMappingError
from fluorocode.adapters.claims.fhir_payer import (
    OrganizationIndex,
    claim_payer,
    organization_index,
)
from fluorocode.adapters.claims.model import ReadLine, SourceEncounter, group_lines
from fluorocode.errors import FieldError

__all__ = ["CPT", "HCPCS", "FhirClaim", "read_fhir"]

CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
CODE_SYSTEMS = frozenset(
    {CPT, "https://www.ama-assn.org/go/cpt", HCPCS, "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"}
)  # fmt: skip
BILL_TYPE = "https://www.cms.gov/codes/billtype"


@dataclass(slots=True)
class FhirClaim:
    """One Claim of the document: where it is, the resource, its encounters."""

    ordinal: int
    path: str  # "Claim" or "Bundle.entry[2].resource"
    resource: dict[str, Any]
    encounters: list[SourceEncounter] = field(default_factory=list)


def read_fhir(
    doc: Any,
    name: str,
    program: str,
    payer_ids: Mapping[tuple[str, str], str] | None = None,
) -> list[FhirClaim]:
    """The Claims of a decoded FHIR document, each with its encounters.

    ``program`` is the program of Claims whose insurer selects no payer profile;
    ``payer_ids`` maps an insurer identifier (system, value) to its profile id
    (``fhir_payer_ids``).

    Raises:
        FhirMappingError: the document is not a Claim or a Bundle (entries that are not
            Claims are passed over; a Bundle without any Claim is an error).
    """
    if not isinstance(doc, dict):
        raise FhirMappingError(name, "$", "a FHIR resource must be a JSON object")
    kind = doc.get("resourceType")
    organizations: OrganizationIndex = {}
    if kind == "Claim":
        found = [("Claim", doc)]
    elif kind == "Bundle":
        _validate_shell(doc, name)
        entries = doc.get("entry") or []
        found = [
            (f"Bundle.entry[{i}].resource", e["resource"])
            for i, e in enumerate(entries)
            if isinstance(e, dict)
            and isinstance(e.get("resource"), dict)
            and e["resource"].get("resourceType") == "Claim"
        ]
        if not found:
            raise FhirMappingError(name, "Bundle.entry", "the Bundle holds no Claim")
        organizations = organization_index(doc)
    else:
        raise FhirMappingError(
            name, "resourceType", f"{kind!r} is not a Claim or a Bundle of Claims"
        )
    claims = []
    for ordinal, (path, resource) in enumerate(found):
        claim = FhirClaim(ordinal, path, resource)
        claim.encounters = _encounters(claim, program, organizations, payer_ids or {})
        claims.append(claim)
    return claims


def _validate_shell(bundle: dict[str, Any], name: str) -> None:
    from fhir.resources.R4B.bundle import Bundle

    shell = {k: v for k, v in bundle.items() if k != "entry"}
    try:
        Bundle.model_validate(shell)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise FhirMappingError(
            name, _path("Bundle", first["loc"]), first["msg"]
        ) from None


def _validation_errors(resource: dict[str, Any]) -> list[FieldError]:
    from fhir.resources.R4B.claim import Claim

    try:
        Claim.model_validate(resource)
    except ValidationError as exc:
        return [
            FieldError(_path("Claim", e["loc"]), e["msg"], "fhir_invalid")
            for e in exc.errors()
        ]
    return []


def _path(root: str, loc: tuple[Any, ...]) -> str:
    out = root
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _codes(concept: Any) -> list[tuple[str, str]]:
    if not isinstance(concept, dict):
        return []
    return [
        (str(c.get("system", "")), str(c.get("code", "")))
        for c in concept.get("coding") or []
        if isinstance(c, dict)
    ]


def _encounters(
    claim: FhirClaim,
    program: str,
    organizations: OrganizationIndex,
    payer_ids: Mapping[tuple[str, str], str],
) -> list[SourceEncounter]:
    res = claim.resource
    errors = _validation_errors(res)
    idents = res.get("identifier") or [{}]
    claim_id = str(res.get("id") or (idents[0] or {}).get("value") or "")
    places = {"id": "Claim.id", "lines": "Claim.item"}
    if not claim_id:
        errors.append(FieldError("Claim.id", "the Claim has no id or identifier"))
    types = {code for _, code in _codes(res.get("type"))}
    claim_type = next(iter(types & {"professional", "institutional"}), None)
    if claim_type is None:
        found = ", ".join(sorted(types)) or "none"
        errors.append(
            FieldError(
                "Claim.type", f"type {found}: only professional or institutional"
            )
        )
    not_subject, default_pos = None, None
    if claim_type == "institutional":
        bills = [c for s, c in _codes(res.get("subType")) if s == BILL_TYPE]
        if bills:
            bill = classify(bills[0])
            not_subject, default_pos = bill.why, bill.place_of_service
        else:
            default_pos = "22"  # no type of bill: an outpatient claim (contract.md)
    billable = (res.get("billablePeriod") or {}).get("start", "")
    items = res.get("item") or []
    if not items:
        errors.append(FieldError("Claim.item", "the Claim has no item"))
    lines: list[ReadLine] = []
    for k, item in enumerate(items):
        if isinstance(item, dict):
            line = _item(k, item, billable, default_pos, errors)
            if line is not None:
                lines.append(line)
    said: dict[str, str] = {"program": program}
    payer = claim_payer(res, organizations, payer_ids)
    if payer.error is not None:
        errors.append(payer.error)
    elif payer.payer is not None and payer.place is not None:
        said = {"payer": payer.payer}  # the profile's program: a Claim names none
        places["payer"] = payer.place
    base = {"claim_type": claim_type or "professional", **said}

    def source(members: list[ReadLine]) -> dict[str, Any]:
        return {
            "format": "fhir",
            "claim": claim_id,
            "path": claim.path,
            "lines": [
                {"item": m.ordinal, "sequence": items[m.ordinal].get("sequence")}
                for m in members
            ],
        }

    return group_lines(
        claim.ordinal, claim_id, base, places, lines, source, not_subject, errors
    )


def _item(
    k: int,
    item: dict[str, Any],
    billable: str,
    default_pos: str | None,
    errors: list[FieldError],
) -> ReadLine | None:
    at = f"Claim.item[{k}]"
    codes = _codes(item.get("productOrService"))
    code = next((c for s, c in codes if s in CODE_SYSTEMS), None)
    if code is None:
        systems = ", ".join(sorted({s or "(no system)" for s, _ in codes})) or "none"
        errors.append(
            FieldError(
                f"{at}.productOrService",
                f"no CPT or HCPCS coding (code system {systems}): the item was not "
                "checked",
                "unsupported_code_system",
            )
        )
        return None
    modifiers = []
    for concept in item.get("modifier") or []:
        mods = [c for _, c in _codes(concept) if c]
        modifiers.append(mods[0] if mods else "")
    where = {
        ".code": f"{at}.productOrService",
        ".modifiers": f"{at}.modifier",
        ".units": f"{at}.quantity",
    }
    for j in range(max(len(modifiers), 4)):
        where[f".modifiers[{j}]"] = f"{at}.modifier[{j}]"
    period = item.get("servicedPeriod") or {}
    if item.get("servicedDate"):
        dos, where["date_of_service"] = item["servicedDate"], f"{at}.servicedDate"
    elif period.get("start"):
        dos, where["date_of_service"] = period["start"], f"{at}.servicedPeriod"
    else:
        dos, where["date_of_service"] = billable, "Claim.billablePeriod"
    location = [c for _, c in _codes(item.get("locationCodeableConcept")) if c]
    pos = location[0] if location else default_pos or ""
    where["place_of_service"] = f"{at}.locationCodeableConcept"
    obj = {"code": code, "modifiers": modifiers, "units": _quantity(item)}
    return ReadLine(k, str(dos)[:10], pos, obj, where)


def _quantity(item: dict[str, Any]) -> Any:
    quantity = item.get("quantity")
    if quantity is None:
        return 1
    value = quantity.get("value") if isinstance(quantity, dict) else None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return value
    if number.is_finite() and number == number.to_integral_value() and number >= 1:
        return int(number)
    return value
