"""FHIR R4 Claims: the official examples in, a Bundle of corrected Claims and outcomes out."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest

from fluorocode.adapters.claims.errors import FhirMappingError
from fluorocode.adapters.claims.fhir_claim import read_fhir
from fluorocode.api import Checker, check_fhir_document


def load(fhir_dir: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((fhir_dir / f"Claim-{name}.json").read_text())
    return data


def test_med_00050_cpt_62264_at_pos_24(fhir_dir: Path) -> None:
    (claim,) = read_fhir(load(fhir_dir, "MED-00050"), "med.json", "medicare")
    (enc,) = claim.encounters
    assert enc.errors == () and enc.not_subject is None  # type of bill 831: outpatient
    assert enc.encounter == {
        "id": "MED-00050",
        "date_of_service": "2015-10-13",
        "place_of_service": "24",
        "claim_type": "institutional",
        "program": "medicare",
        "lines": [{"code": "62264", "modifiers": [], "units": 1}],
    }
    assert enc.source["lines"] == [{"item": 0, "sequence": 1}]


@pytest.mark.parametrize(
    "name, kind, items",
    [
        ("100150", "oral", 1),
        ("100151", "oral", 3),
        ("660150", "vision", 1),
        ("760150", "pharmacy", 1),
        ("860150", "professional", 1),
        ("960150", "institutional", 1),
        ("960151", "institutional", 1),
    ],
)
def test_other_examples_are_reported_not_guessed(
    fhir_dir: Path, name: str, kind: str, items: int
) -> None:
    doc = load(fhir_dir, name)
    assert len(doc["item"]) == items
    (claim,) = read_fhir(doc, name, "medicare")
    fields = {e.field: e.message for e in claim.encounters[0].errors}
    # the example service codes are in http://hl7.org/fhir/ex-serviceproduct etc.
    assert "Claim.item[0].productOrService" in fields
    assert "no CPT or HCPCS coding" in fields["Claim.item[0].productOrService"]
    assert ("Claim.type" in fields) == (kind not in ("professional", "institutional"))


def test_a_bundle_of_claims_rejects_one_alone(fhir_dir: Path, demo: Checker) -> None:
    good = derived(load(fhir_dir, "MED-00050"), [("33289", None), ("76000", None)])
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": good}, {"resource": load(fhir_dir, "860150")}],
    }
    checks = check_fhir_document(bundle, "bundle.json", checker=demo)
    assert [c.report.status.value for c in checks] == ["corrected", "rejected"]
    assert checks[1].source["path"] == "Bundle.entry[1].resource"


def test_not_a_claim(fhir_dir: Path) -> None:
    with pytest.raises(FhirMappingError, match="is not a Claim or a Bundle"):
        read_fhir({"resourceType": "Patient"}, "p.json", "medicare")
    with pytest.raises(FhirMappingError, match="holds no Claim"):
        read_fhir(
            {"resourceType": "Bundle", "type": "collection"}, "b.json", "medicare"
        )


def test_an_invalid_claim_names_the_path(fhir_dir: Path) -> None:
    doc = load(fhir_dir, "MED-00050")
    doc["item"][0]["quantity"] = {"value": "two"}
    (claim,) = read_fhir(doc, "x.json", "medicare")
    fields = {e.field for e in claim.encounters[0].errors}
    assert any(f.startswith("Claim.item[0].quantity") for f in fields)


def derived(
    doc: dict[str, Any],
    codes: list[tuple[str, str | None]],
    kind: str = "institutional",
) -> dict[str, Any]:
    """MED-00050 with its items replaced (code, modifier) on 2024-08-15 at POS 22."""
    out = copy.deepcopy(doc)
    out["type"]["coding"][0]["code"] = kind
    template = out["item"][0]
    out["item"] = []
    for n, (code, modifier) in enumerate(codes, start=1):
        item = copy.deepcopy(template)
        item["sequence"] = n
        item["productOrService"] = {
            "coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": code}]
        }
        item["servicedDate"] = "2024-08-15"
        item["locationCodeableConcept"] = {"coding": [{"code": "22"}]}
        item["net"] = {"value": 100.0 * n, "currency": "USD"}
        if modifier:
            item["modifier"] = [{"coding": [{"code": modifier}]}]
        out["item"].append(item)
    out["total"] = {
        "value": sum(100.0 * n for n in range(1, len(codes) + 1)),
        "currency": "USD",
    }
    return out


def write(doc: dict[str, Any], checker: Checker) -> tuple[list[Any], dict[str, Any]]:
    out = io.StringIO()
    checks = check_fhir_document(doc, "in.json", checker=checker, output=out)
    return checks, json.loads(out.getvalue())


def validate(bundle: dict[str, Any]) -> None:
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.claim import Claim
    from fhir.resources.R4B.operationoutcome import OperationOutcome

    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        model = {"Claim": Claim, "OperationOutcome": OperationOutcome}
        model[entry["resource"]["resourceType"]].model_validate(entry["resource"])


def test_removed_item_left_out_total_recomputed_outcome_points_at_it(
    fhir_dir: Path, demo: Checker
) -> None:
    doc = derived(load(fhir_dir, "MED-00050"), [("33289", None), ("76000", None)])
    checks, bundle = write(doc, demo)
    assert [ln.action.value for ln in checks[0].report.lines] == ["keep", "remove"]
    validate(bundle)
    claim, outcome = (e["resource"] for e in bundle["entry"])
    assert [i["sequence"] for i in claim["item"]] == [1]
    assert claim["total"]["value"] == 100.0
    bundled = [
        i
        for i in outcome["issue"]
        if i["details"].get("coding", [{}])[0].get("code") == "ptp.bundled"
    ]
    assert bundled[0]["severity"] == "error"
    assert bundled[0]["expression"] == ["Claim.item[0]", "Claim.item[1]"]


def test_modifier_26_added_to_the_item(fhir_dir: Path, demo: Checker) -> None:
    doc = derived(
        load(fhir_dir, "MED-00050"), [("20610", None), ("77002", None)], "professional"
    )
    checks, bundle = write(doc, demo)
    assert [ln.action.value for ln in checks[0].report.lines] == ["keep", "modify"]
    validate(bundle)
    claim = bundle["entry"][0]["resource"]
    assert claim["item"][1]["modifier"] == [
        {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "26"}]}
    ]


def test_a_held_claim_has_only_its_outcome(fhir_dir: Path, demo: Checker) -> None:
    checks, bundle = write(load(fhir_dir, "MED-00050"), demo)  # 62264: unknown to demo
    assert checks[0].source["written"] is False
    validate(bundle)
    (entry,) = bundle["entry"]
    outcome = entry["resource"]
    assert outcome["resourceType"] == "OperationOutcome"
    assert any("not in this Bundle" in i["details"]["text"] for i in outcome["issue"])
