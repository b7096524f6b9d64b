"""Payer profiles at the edges: a FHIR Claim's insurer, ``check --payer`` on claims
files, ``POST /v1/check?payer=`` (docs/payers.md, "Choosing the profile")."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from fluorocode.adapters.claims.fhir_claim import read_fhir
from fluorocode.adapters.claims.fhir_payer import claim_payer, organization_index
from fluorocode.adapters.payers import PayerCatalog
from fluorocode.api import Checker, api_keys, check_fhir_document
from fluorocode.cli import cli
from fluorocode.errors import PayerProfileError
from fluorocode.rules.payers import parse_profile
from fluorocode.service.app import create_app

from ._profiles import bundle, text

FHIR = "fhir/hl7.fhir.r4.examples-4.0.1"
ST1309 = "x12/oopfactory-x12parser/837P_5010/ST1309-XX.txt"
#: Claim-MED-00050's insurer (and Claim-100152's contained Organization)
BIN = "http://www.bindb.com/bin|123456"
BIN_ID = ("http://www.bindb.com/bin", "123456")


def home_with(tmp_path: Path, *profiles: tuple[str, str]) -> Path:
    home = tmp_path / "home"
    (home / "payers").mkdir(parents=True)
    for pid, doc in profiles:
        (home / "payers" / f"{pid}.toml").write_text(doc)
    return home


def fhir_ids(*tokens: str) -> str:
    return f"fhir_payer_ids = {json.dumps(list(tokens))}\n"


def claim(shared_data: Path, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(
        (shared_data / FHIR / f"Claim-{name}.json").read_text()
    )
    return doc


def knee_claim(shared_data: Path) -> dict[str, Any]:
    """Claim-MED-00050 as a professional claim: 27506 and 76000, POS 22, 2024-08-15."""
    out = claim(shared_data, "MED-00050")
    out["type"]["coding"][0]["code"] = "professional"
    template = out["item"][0]
    out["item"] = []
    for n, code in enumerate(["27506", "76000"], start=1):
        item = copy.deepcopy(template)
        item["sequence"] = n
        item["productOrService"] = {
            "coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": code}]
        }
        item["servicedDate"] = "2024-08-15"
        item["locationCodeableConcept"] = {"coding": [{"code": "22"}]}
        out["item"].append(item)
    return out


# -- the profile's fhir_payer_ids ------------------------------------------------------


def test_fhir_payer_ids_are_system_bar_value() -> None:
    profile = parse_profile(text() + fhir_ids(BIN), "acme.toml")
    assert profile.fhir_payer_ids == (BIN,)
    assert profile.to_dict()["fhir_payer_ids"] == [BIN]
    for bad in ("123456", "|123456", "http://www.bindb.com/bin|", "bin|123456"):
        with pytest.raises(PayerProfileError, match="acme.toml: fhir_payer_ids: "):
            parse_profile(text() + fhir_ids(bad), "acme.toml")


def test_an_insurer_identifier_selects_one_profile_only(tmp_path: Path) -> None:
    home = home_with(
        tmp_path,
        ("acme", text() + fhir_ids(BIN)),
        ("bolt", text("bolt") + fhir_ids(BIN)),
    )
    with pytest.raises(PayerProfileError, match="bolt.toml: fhir_payer_ids: .*'acme'"):
        PayerCatalog.load(home)


# -- Claim.insurer, on the official R4 examples --------------------------------------


def test_insurer_identifier_of_med_00050_selects_the_profile(
    shared_data: Path,
) -> None:
    (fhir,) = read_fhir(
        claim(shared_data, "MED-00050"), "med.json", "medicare", {BIN_ID: "acme"}
    )
    (enc,) = fhir.encounters
    assert enc.encounter["payer"] == "acme"
    assert "program" not in enc.encounter  # the profile's program: a Claim names none
    assert enc.places["payer"] == "Claim.insurer.identifier"
    # the same value in another system is another identifier: nothing is said
    (other,) = read_fhir(
        claim(shared_data, "MED-00050"),
        "med.json",
        "medicaid",
        {("http://www.jurisdiction.com/insurers", "123456"): "acme"},
    )
    assert "payer" not in other.encounters[0].encounter
    assert other.encounters[0].encounter["program"] == "medicaid"


def test_insurer_references_a_contained_organization_or_a_bundle_entry(
    shared_data: Path,
) -> None:
    ids = {BIN_ID: "acme"}
    # Claim-100152: insurer {"reference": "#org-insurer"}, contained with the BIN
    oral = claim(shared_data, "100152")
    found = claim_payer(oral, {}, ids)
    assert (found.payer, found.place) == ("acme", "Claim.contained[0].identifier[0]")
    # Claim-860150: insurer {"reference": "Organization/2"}, resolved in the Bundle
    professional = claim(shared_data, "860150")
    assert claim_payer(professional, {}, ids).payer is None  # alone: nothing to read
    org = {
        "resourceType": "Organization",
        "id": "2",
        "identifier": [{"system": "http://www.bindb.com/bin", "value": "123456"}],
    }
    doc = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": professional}, {"resource": org}],
    }
    found = claim_payer(professional, organization_index(doc), ids)
    assert (found.payer, found.place) == (
        "acme",
        "Bundle.entry[1].resource.identifier[0]",
    )
    by_url = {
        **doc,
        "entry": [
            doc["entry"][0],
            {"fullUrl": "urn:uuid:1", "resource": {**org, "id": "x"}},
        ],
    }
    professional["insurer"] = {"reference": "urn:uuid:1"}
    assert claim_payer(professional, organization_index(by_url), ids).payer == "acme"


def test_a_claim_checked_under_its_insurers_profile(
    shared_data: Path, tmp_path: Path
) -> None:
    home = home_with(tmp_path, ("acme", text() + fhir_ids(BIN) + bundle(["27506"], 0)))
    doc = knee_claim(shared_data)
    (check,) = check_fhir_document(doc, "knee.json", checker=Checker(home))
    report = check.to_dict()
    assert report["payer"]["id"] == "acme"
    assert [ln["action"] for ln in report["lines"]] == ["keep", "remove"]
    # an insurer no profile lists: Medicare NCCI decides (the line is held)
    doc["insurer"]["identifier"]["value"] = "654321"
    (plain,) = check_fhir_document(doc, "knee.json", checker=Checker(home))
    assert "payer" not in plain.to_dict()
    assert plain.to_dict()["lines"][1]["action"] == "hold"
    # ... or the default payer, when one is given
    (default,) = check_fhir_document(
        doc, "knee.json", checker=Checker(home).with_payer("acme")
    )
    assert default.to_dict()["payer"]["id"] == "acme"


def test_a_claim_keeps_its_own_payer_over_the_default(
    shared_data: Path, tmp_path: Path
) -> None:
    home = home_with(
        tmp_path,
        ("acme", text() + bundle(["27506"], 0)),
        ("bolt", text("bolt") + fhir_ids(BIN)),
    )
    (check,) = check_fhir_document(
        knee_claim(shared_data), "knee.json", checker=Checker(home, payer="acme")
    )
    assert check.to_dict()["payer"]["id"] == "bolt"
    assert check.to_dict()["lines"][1]["action"] == "hold"


def test_identifiers_selecting_two_profiles_reject_the_claim(
    shared_data: Path, tmp_path: Path
) -> None:
    home = home_with(
        tmp_path,
        ("acme", text() + fhir_ids(BIN)),
        ("bolt", text("bolt") + fhir_ids("urn:oid:2.16.840.1.113883.4.4|99")),
    )
    doc = knee_claim(shared_data)
    doc["contained"].append(
        {
            "resourceType": "Organization",
            "id": "ins",
            "identifier": [
                {"system": "urn:oid:2.16.840.1.113883.4.4", "value": "99"},
                {"system": "http://www.bindb.com/bin", "value": "123456"},
            ],
        }
    )
    doc["insurer"] = {"reference": "#ins"}
    (check,) = check_fhir_document(doc, "knee.json", checker=Checker(home))
    report = check.to_dict()
    assert report["status"] == "rejected"
    (error,) = report["errors"]
    assert error["field"] == "Claim.insurer" and error["kind"] == "ambiguous_payer"
    assert "acme, bolt" in error["message"]


def test_a_medicaid_profile_sets_the_claims_program(
    shared_data: Path, tmp_path: Path
) -> None:
    home = home_with(tmp_path, ("state", text("state", "medicaid") + fhir_ids(BIN)))
    (check,) = check_fhir_document(
        knee_claim(shared_data), "knee.json", checker=Checker(home), program="medicare"
    )
    report = check.to_dict()
    assert report["status"] != "rejected", report
    assert report["payer"]["base_program"] == "medicaid"


# -- check --payer on claims files -----------------------------------------------------


def run(args: list[str]) -> Any:
    return CliRunner().invoke(cli, args)


def test_check_payer_is_the_default_of_837_claims(
    shared_data: Path, tmp_path: Path
) -> None:
    home = home_with(tmp_path, ("acme", text()))
    path = str(shared_data / ST1309)
    result = run(["check", path, "--home", str(home), "--payer", "acme"])
    reports = json.loads(result.output)
    assert reports and all(r["payer"]["id"] == "acme" for r in reports)
    # a claim whose NM1*PR names a profile keeps it
    named = home_with(
        tmp_path / "n",
        ("acme", text()),
        ("bolt", text("bolt") + 'x12_payer_ids = ["91919191"]\n'),
    )
    result = run(["check", path, "--home", str(named), "--payer", "acme"])
    assert all(r["payer"]["id"] == "bolt" for r in json.loads(result.output))


def test_check_payer_on_a_fhir_file(shared_data: Path, tmp_path: Path) -> None:
    home = home_with(tmp_path, ("acme", text() + bundle(["27506"], 0)))
    path = tmp_path / "knee.json"
    path.write_text(json.dumps(knee_claim(shared_data)))
    result = run(["check", str(path), "--home", str(home), "--payer", "acme"])
    (report,) = json.loads(result.output)
    assert report["payer"]["id"] == "acme" and report["lines"][1]["action"] == "remove"


def test_a_medicaid_default_payer_gives_its_program_to_claims_naming_none(
    shared_data: Path, tmp_path: Path
) -> None:
    home = home_with(tmp_path, ("state", text("state", "medicaid")))
    path = str(shared_data / ST1309)  # SBR09 HM: names no program
    result = run(["check", path, "--home", str(home), "--payer", "state"])
    reports = json.loads(result.output)
    assert all(r["status"] != "rejected" for r in reports), reports
    assert all(r["payer"]["base_program"] == "medicaid" for r in reports)
    clash = run(
        [
            "check",
            path,
            "--home",
            str(home),
            "--payer",
            "state",
            "--program",
            "medicare",
        ]
    )
    assert clash.exit_code == 2
    assert "program medicare contradicts the default payer 'state'" in clash.output


def test_an_unknown_check_payer_on_claims_is_a_usage_error(
    shared_data: Path, tmp_path: Path
) -> None:
    home = home_with(tmp_path, ("acme", text()))
    result = run(
        ["check", str(shared_data / ST1309), "--home", str(home), "--payer", "acne"]
    )
    assert result.exit_code == 2
    assert "--payer" in result.output
    assert "unknown payer profile 'acne'; known: acme, medicaid, medicare" in (
        result.output
    )


# -- POST /v1/check?payer= -----------------------------------------------------------


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    home = home_with(
        tmp_path,
        ("acme", text() + bundle(["27506"], 0)),
        ("state", text("state", "medicaid")),
    )
    token = api_keys(home).create("scribe")
    with TestClient(create_app(home)) as client:
        yield client, {"Authorization": f"Bearer {token}"}


def test_the_payer_query_is_the_default_of_claims_and_encounters(
    service: tuple[TestClient, dict[str, str]], shared_data: Path
) -> None:
    client, auth = service
    x12 = (shared_data / ST1309).read_bytes()
    headers = {**auth, "Content-Type": "application/edi-x12"}
    reports = client.post("/v1/check?payer=acme", content=x12, headers=headers).json()
    assert reports and all(r["payer"]["id"] == "acme" for r in reports)
    fhir = json.dumps(knee_claim(shared_data)).encode()
    (report,) = client.post(
        "/v1/check?payer=acme",
        content=fhir,
        headers={**auth, "Content-Type": "application/fhir+json"},
    ).json()
    assert report["payer"]["id"] == "acme" and report["lines"][1]["action"] == "remove"
    encounter = {
        "id": "h1",
        "date_of_service": "2024-08-15",
        "place_of_service": "22",
        "lines": [{"code": "27506"}, {"code": "76000"}],
    }
    answer = client.post("/v1/check?payer=acme", json=encounter, headers=auth).json()
    assert answer["payer"]["id"] == "acme"
    own = client.post(
        "/v1/check?payer=acme", json={**encounter, "payer": "medicare"}, headers=auth
    ).json()
    assert "payer" not in own  # an encounter naming its payer keeps it
    # the medicaid profile's program for claims naming none
    medicaid = client.post("/v1/check?payer=state", content=x12, headers=headers)
    assert all(r["payer"]["base_program"] == "medicaid" for r in medicaid.json())


def test_an_unknown_payer_query_is_422_naming_the_known(
    service: tuple[TestClient, dict[str, str]], shared_data: Path
) -> None:
    client, auth = service
    x12 = (shared_data / ST1309).read_bytes()
    headers = {**auth, "Content-Type": "application/edi-x12"}
    response = client.post("/v1/check?payer=acne", content=x12, headers=headers)
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == "payer" and error["kind"] == "unknown_payer"
    assert "known: acme, medicaid, medicare, state" in error["message"]
    clash = client.post(
        "/v1/check?payer=state&program=medicare", content=x12, headers=headers
    )
    assert clash.status_code == 422
    assert clash.json()["errors"][0]["kind"] == "payer_program_conflict"


def test_the_openapi_document_declares_the_payer_query(
    service: tuple[TestClient, dict[str, str]],
) -> None:
    client, _ = service
    operation = client.get("/openapi.json").json()["paths"]["/v1/check"]["post"]
    (payer,) = [p for p in operation["parameters"] if p["name"] == "payer"]
    assert payer["in"] == "query" and not payer.get("required", False)
