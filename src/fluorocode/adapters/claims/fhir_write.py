"""Write a FHIR R4 Bundle: per claim the corrected Claim and an OperationOutcome.

The Bundle (type ``collection``) holds, for each Claim read and in its order, the
corrected Claim (left out when it is kept back: a held line or a rejected encounter)
followed by an OperationOutcome whose issues are the findings, prompts and errors of
its encounters. An issue's severity comes from the finding's status, its ``details``
carry the rule id (system ``urn:fluorocode:rule``) and the message, and its
``expression`` points at ``Claim.item[n]``, n being the item's index in the Claim as
submitted. Both resources are validated with fhir.resources (R4B models) before they
are written.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from fluorocode.adapters.claims.fhir_claim import CPT, HCPCS, FhirClaim
from fluorocode.adapters.claims.model import ClaimOutcome, SourceEncounter
from fluorocode.domain.findings import Report, ReportStatus, Status

__all__ = ["RULE_SYSTEM", "bundle", "corrected_claim", "operation_outcome"]

RULE_SYSTEM = "urn:fluorocode:rule"
PROMPT_SYSTEM = "urn:fluorocode:prompt"
_SEVERITY = {
    Status.FAIL: ("error", "business-rule"),
    Status.ERROR: ("error", "exception"),
    Status.NO_DATA: ("warning", "incomplete"),
    Status.BYPASSED: ("information", "informational"),
    Status.PASS: ("information", "informational"),
    Status.INFO: ("information", "informational"),
}


def corrected_claim(claim: FhirClaim, outcome: ClaimOutcome) -> dict[str, Any]:
    """The Claim as it should go out: modifiers set, removed items left out.

    Item sequence numbers are kept (they need not be contiguous), so an item stays
    traceable; ``total`` is recomputed from the remaining items' ``net`` when every
    remaining item has one in the same currency.
    """
    res = copy.deepcopy(claim.resource)
    items = []
    for k, item in enumerate(res.get("item") or []):
        remove, modifiers = outcome.lines.get(k, (False, None))
        if remove:
            continue
        if modifiers is not None and modifiers != _modifiers(item):
            item["modifier"] = _concepts(item, modifiers)
            if not item["modifier"]:
                del item["modifier"]
        items.append(item)
    if len(items) != len(res.get("item") or []):
        res["item"] = items
        total = _total(items, res.get("total"))
        if total is not None:
            res["total"] = total
    return res


def _modifiers(item: dict[str, Any]) -> tuple[str, ...]:
    out = []
    for concept in item.get("modifier") or []:
        codes = [c.get("code") for c in concept.get("coding") or [] if c.get("code")]
        out.append(str(codes[0]) if codes else "")
    return tuple(out)


def _concepts(item: dict[str, Any], modifiers: tuple[str, ...]) -> list[dict[str, Any]]:
    """Modifier concepts: the submitted one where the code is the same, else a new one."""
    old = dict(zip(_modifiers(item), item.get("modifier") or [], strict=False))
    return [
        old.get(m) or {"coding": [{"system": CPT if m.isdigit() else HCPCS, "code": m}]}
        for m in modifiers
    ]


def _total(items: list[dict[str, Any]], total: Any) -> dict[str, Any] | None:
    if not isinstance(total, dict) or not items:
        return None
    currency = total.get("currency")
    amount = Decimal(0)
    for item in items:
        net = item.get("net")
        if not isinstance(net, dict) or net.get("currency") != currency:
            return None
        try:
            amount += Decimal(str(net.get("value")))
        except InvalidOperation:
            return None
    out = dict(total)
    out["value"] = float(amount)
    return out


def operation_outcome(
    pairs: Sequence[tuple[SourceEncounter, Report]], outcome: ClaimOutcome
) -> dict[str, Any]:
    """The issues of one claim: its findings, prompts, errors, and whether it went out."""
    issues: list[dict[str, Any]] = []
    for enc, report in pairs:
        items = [f"Claim.item[{k}]" for k in enc.line_refs]
        for f in report.findings:
            severity, code = _SEVERITY[f.status]
            issues.append(
                _issue(
                    severity,
                    code,
                    RULE_SYSTEM,
                    f.rule,
                    f.message,
                    [items[i] for i in f.lines if i < len(items)],
                    report.encounter_id,
                )
            )
        for p in report.prompts:
            issues.append(
                _issue(
                    "warning",
                    "incomplete",
                    PROMPT_SYSTEM,
                    p.kind.value,
                    p.question,
                    [items[p.line]] if p.line < len(items) else [],
                    report.encounter_id,
                )
            )
        if report.status is ReportStatus.REJECTED:
            for e in report.errors:
                where = [e.field] if e.field.startswith("Claim") else []
                issues.append(
                    _issue(
                        "error", "invalid", None, None, f"{e.field}: {e.message}", where,
                        report.encounter_id,
                    )
                )  # fmt: skip
    if not outcome.written:
        issues.append(
            _issue(
                "error", "incomplete", None, None,
                f"Claim {outcome.claim_id} is not in this Bundle: {outcome.why_not}.",
                [], outcome.claim_id,
            )
        )  # fmt: skip
    if not issues:
        issues.append(
            _issue(
                "information", "informational", None, None, "No finding.", [],
                outcome.claim_id,
            )
        )  # fmt: skip
    return {"resourceType": "OperationOutcome", "issue": issues}


def _issue(
    severity: str,
    code: str,
    system: str | None,
    rule: str | None,
    text: str,
    expression: list[str],
    encounter: str | None,
) -> dict[str, Any]:
    details: dict[str, Any] = {"text": text}
    if system and rule:
        details["coding"] = [{"system": system, "code": rule}]
    issue: dict[str, Any] = {"severity": severity, "code": code, "details": details}
    if encounter:
        issue["diagnostics"] = f"encounter {encounter}"
    if expression:
        issue["expression"] = sorted(set(expression), key=expression.index)
    return issue


def bundle(entries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """A ``collection`` Bundle of the given resources, validated (R4B models).

    Raises:
        pydantic.ValidationError: a resource fluorocode wrote is not valid FHIR (a bug).
    """
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.claim import Claim
    from fhir.resources.R4B.operationoutcome import OperationOutcome

    models: dict[str, Any] = {"Claim": Claim, "OperationOutcome": OperationOutcome}
    for resource in entries:
        models[resource["resourceType"]].model_validate(resource)
    doc = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in entries],
    }
    Bundle.model_validate(doc)
    return doc
