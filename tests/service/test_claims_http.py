"""``POST /v1/check`` with claims files: X12 837 and FHIR in, JSON, X12 or FHIR out.

The bodies are the real samples in ../shared/data (some with a few values changed,
as the claims adapters' tests do). Every Content-Type × Accept pairing is here, with
the refusals (406, 415, 422), the status headers of a file answer and the audit trail:
one record per report, no submitted text.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fluorocode.api import audit_log
from fluorocode.service import schemas

from ._support import bearer, knee

X12 = "application/edi-x12"
FHIR = "application/fhir+json"
JSON = "application/json"


@pytest.fixture(scope="module")
def x12(shared_data: Path) -> Path:
    return shared_data / "x12" / "oopfactory-x12parser" / "837P_5010"


@pytest.fixture(scope="module")
def fhir(shared_data: Path) -> Path:
    return shared_data / "fhir" / "hl7.fhir.r4.examples-4.0.1"


def removed_76000(x12: Path) -> bytes:
    """ST1309-XX as 33289 + 76000 in POS 22 on 2024-08-15: 76000 is bundled (removed)."""
    data = (x12 / "ST1309-XX.txt").read_bytes()
    for old, new in (
        ("CLM*B330004Y*360***11:B:1", "CLM*B330004Y*360***22:B:1"),
        ("SV1*HC:99204*250*UN*1*11**1", "SV1*HC:33289*250*UN*1*22**1"),
        ("DTP*472*D8*20130312", "DTP*472*D8*20240815"),
        ("SV1*HC:73610*110*UN*1*11**1", "SV1*HC:76000*110*UN*1*22**1"),
        ("DTP*472*D8*20130312", "DTP*472*D8*20240815"),
    ):
        assert old.encode() in data, old
        data = data.replace(old.encode(), new.encode(), 1)
    return data


def fhir_claim(fhir: Path) -> dict[str, Any]:
    """Claim-MED-00050 with its item as 33289 on 2024-08-15 and a 76000 beside it."""
    claim: dict[str, Any] = json.loads((fhir / "Claim-MED-00050.json").read_bytes())
    item = claim["item"][0]
    item["productOrService"]["coding"][0]["code"] = "33289"
    item["servicedDate"] = "2024-08-15"
    second = copy.deepcopy(item)
    second["sequence"] = 2
    second["productOrService"]["coding"][0]["code"] = "76000"
    claim["item"].append(second)
    return claim


def post(
    client: TestClient,
    token: str,
    body: bytes,
    content_type: str | None,
    accept: str | None = None,
    query: str = "",
) -> Any:
    headers = bearer(token)
    if content_type:
        headers["Content-Type"] = content_type
    if accept:
        headers["Accept"] = accept
    return client.post(f"/v1/check{query}", content=body, headers=headers)


def audited(client: TestClient, token: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/v1/audit", headers=bearer(token)).json()[
        "items"
    ]
    return items


# -- X12 in --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sample",
    [
        "Example1_HealthInsurance.txt",
        "Example1_2_And_3_Combined.txt",
        "Example2_Encounter.txt",
        "Example3_COB.txt",
        "MedicaidExample.txt",
        "MissingEntityCode.txt",
        "ST1309-XX.txt",
    ],
)
def test_an_837_is_answered_as_reports_or_as_the_corrected_837(
    client: TestClient, tokens: dict[str, str], x12: Path, sample: str
) -> None:
    body = (x12 / sample).read_bytes()
    as_json = post(client, tokens["scribe"], body, X12)  # no Accept: JSON
    assert as_json.status_code == 200, as_json.text
    assert as_json.headers["content-type"] == JSON
    reports = as_json.json()
    assert isinstance(reports, list) and reports
    for report in reports:
        schemas.Report.model_validate(report)
        assert report["source"]["format"] == "x12"
        assert "written" not in report["source"]  # no file was asked for
    assert as_json.headers["fluorocode-reports"] == str(len(reports))
    assert "fluorocode-claims" not in as_json.headers

    as_x12 = post(client, tokens["scribe"], body, X12, X12)
    assert as_x12.status_code == 200
    assert as_x12.headers["content-type"] == X12
    assert as_x12.headers["fluorocode-reports"] == str(len(reports))
    counts = dict(
        part.split("=") for part in as_x12.headers["fluorocode-statuses"].split(", ")
    )
    statuses = [r["status"] for r in reports]
    assert counts == {s: str(statuses.count(s)) for s in counts}
    assert sum(map(int, counts.values())) == len(reports)
    # these samples' claims are all held or rejected on the demo edition: none goes
    # out, and the headers say which, though the 837 holds no claim to look at
    # a claim is counted once however many encounters (dates) it holds; two claims
    # may share a CLM01 (MedicaidExample's five are all 9999)
    kept = {(r["source"]["transaction"], r["source"]["segment"]): r for r in reports}
    assert as_x12.headers["fluorocode-claims"] == f"written=0, not_written={len(kept)}"
    listed = as_x12.headers["fluorocode-not-written"].split(", ")
    assert listed == [f'"{r["source"]["claim"]}"' for r in kept.values()]
    assert b"CLM*" not in as_x12.content


def test_a_corrected_837_goes_out_without_the_bundled_line(
    client: TestClient, tokens: dict[str, str], x12: Path
) -> None:
    response = post(client, tokens["scribe"], removed_76000(x12), X12, X12)
    assert response.status_code == 200
    text = response.text
    assert text.startswith("\ufeffISA*")  # the input's byte-order mark kept
    assert "SV1*HC:33289*250*UN*1*22**1" in text
    assert "SV1*HC:76000" not in text
    assert "CLM*B330004Y*250***22:B:1" in text  # CLM02 less the removed line
    assert response.headers["fluorocode-statuses"] == (
        "clean=0, corrected=1, needs_provider_input=0, no_data=0, rejected=0"
    )
    assert response.headers["fluorocode-claims"] == "written=1, not_written=0"
    assert "fluorocode-not-written" not in response.headers


def test_an_837_cannot_be_answered_as_fhir(
    client: TestClient, tokens: dict[str, str], x12: Path, home: Path
) -> None:
    body = (x12 / "ST1309-XX.txt").read_bytes()
    response = post(client, tokens["scribe"], body, X12, FHIR)
    assert response.status_code == 406
    error = response.json()
    assert error["error"] == "not_acceptable"
    assert "application/json or application/edi-x12" in error["message"]
    # q-values: X12 preferred over JSON; JSON when X12 is refused
    preferred = post(client, tokens["scribe"], body, X12, f"{JSON};q=0.5, {X12}")
    assert preferred.headers["content-type"] == X12
    refused = post(client, tokens["scribe"], body, X12, f"{X12};q=0, */*")
    assert refused.headers["content-type"] == JSON
    assert len(audit_log(home).page()[0]) == 2  # the 406 checked nothing


@pytest.mark.parametrize(
    ("sample", "words"),
    [
        ("ProfessionalClaim1.txt", "segment 63 (SE)"),
        ("UnicodeExample.txt", "UTF-16"),
    ],
)
def test_an_unreadable_837_is_422_naming_the_segment(
    client: TestClient, tokens: dict[str, str], x12: Path, sample: str, words: str
) -> None:
    response = post(client, tokens["scribe"], (x12 / sample).read_bytes(), X12, X12)
    assert response.status_code == 422
    error = response.json()
    schemas.ErrorBody.model_validate(error)
    assert error["error"] == "invalid_input"
    assert words in error["errors"][0]["field"] + error["errors"][0]["message"]


def test_a_rejected_claim_is_named_by_segment_and_element(
    client: TestClient, tokens: dict[str, str], x12: Path
) -> None:
    body = (x12 / "MedicaidExample.txt").read_bytes()
    reports = post(client, tokens["scribe"], body, X12).json()
    fields = [e["field"] for e in reports[0]["errors"]]
    assert "segment 24 SV1-04" in fields


# -- FHIR in -------------------------------------------------------------------------


def test_a_fhir_claim_is_answered_as_reports_or_as_a_bundle(
    client: TestClient, tokens: dict[str, str], fhir: Path
) -> None:
    body = (fhir / "Claim-MED-00050.json").read_bytes()
    as_json = post(client, tokens["scribe"], body, FHIR, JSON)
    assert as_json.status_code == 200
    assert as_json.headers["content-type"] == JSON
    [report] = as_json.json()
    assert report["encounter_id"] == "MED-00050"
    assert report["source"] == {
        "format": "fhir",
        "claim": "MED-00050",
        "path": "Claim",
        "lines": [{"item": 0, "sequence": 1}],
    }
    as_fhir = post(client, tokens["scribe"], body, FHIR, FHIR)
    assert as_fhir.status_code == 200
    assert as_fhir.headers["content-type"] == FHIR
    bundle = as_fhir.json()
    assert bundle["resourceType"] == "Bundle"
    # held: only its OperationOutcome, and the headers say it is kept back
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
        "OperationOutcome"
    ]
    assert as_fhir.headers["fluorocode-claims"] == "written=0, not_written=1"
    assert as_fhir.headers["fluorocode-not-written"] == '"MED-00050"'


def test_a_corrected_fhir_claim_is_in_the_bundle(
    client: TestClient, tokens: dict[str, str], fhir: Path
) -> None:
    body = json.dumps(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": fhir_claim(fhir)}],
        }
    ).encode()
    response = post(client, tokens["scribe"], body, FHIR, FHIR)
    assert response.status_code == 200
    claim = response.json()["entry"][0]["resource"]
    assert claim["resourceType"] == "Claim"
    codes = [i["productOrService"]["coding"][0]["code"] for i in claim["item"]]
    assert codes == ["33289"]  # 76000 is bundled into it
    assert response.headers["fluorocode-claims"] == "written=1, not_written=0"
    assert "corrected=1" in response.headers["fluorocode-statuses"]


def test_fhir_cannot_be_answered_as_x12(
    client: TestClient, tokens: dict[str, str], fhir: Path
) -> None:
    body = (fhir / "Claim-MED-00050.json").read_bytes()
    response = post(client, tokens["scribe"], body, FHIR, X12)
    assert response.status_code == 406
    assert "application/json or application/fhir+json" in response.json()["message"]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ("ClaimResponse-R3500.json", "resourceType", "is not a Claim or a Bundle"),
        (b'{"resourceType": "Claim",', "line 1, column 26", "unexpected end"),
        (b"[" * 2000 + b"]" * 2000, "line 1", "nested deeper than 1024 levels"),
    ],
)
def test_an_unreadable_fhir_document_is_422_naming_the_place(
    client: TestClient,
    tokens: dict[str, str],
    fhir: Path,
    body: str | bytes,
    field: str,
    words: str,
) -> None:
    data = (fhir / body).read_bytes() if isinstance(body, str) else body
    response = post(client, tokens["scribe"], data, FHIR, FHIR)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert field in error["field"] and words in error["message"], error


# -- the contract's JSON, and bodies of no known type --------------------------------


def test_encounters_are_answered_as_json_only(
    client: TestClient, tokens: dict[str, str]
) -> None:
    body = json.dumps(knee()).encode()
    for accept in (None, JSON, "*/*", "application/*", "text/html, */*;q=0.1"):
        response = post(client, tokens["scribe"], body, JSON, accept)
        assert response.status_code == 200, accept
        assert "fluorocode-reports" not in response.headers
    response = post(client, tokens["scribe"], body, JSON, X12)
    assert response.status_code == 406
    assert response.json()["error"] == "not_acceptable"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "multipart/form-data"]
)
def test_a_body_of_another_type_is_415_before_it_is_read(
    client: TestClient, tokens: dict[str, str], home: Path, content_type: str
) -> None:
    response = post(client, tokens["scribe"], b"ISA*00*", content_type)
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"
    assert response.headers["accept"] == f"{JSON}, {X12}, {FHIR}"
    assert audit_log(home).page()[0] == []


def test_the_program_of_claims_that_do_not_say_is_a_query_parameter(
    client: TestClient, tokens: dict[str, str], x12: Path
) -> None:
    body = removed_76000(x12)
    assert post(client, tokens["scribe"], body, X12, query="?program=medicaid")
    bad = post(client, tokens["scribe"], body, X12, query="?program=tricare")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "program"


# -- the audit trail -----------------------------------------------------------------


def test_every_report_of_a_claims_file_is_audited_without_its_text(
    client: TestClient, tokens: dict[str, str], x12: Path, fhir: Path
) -> None:
    files = [
        ((x12 / "Example1_2_And_3_Combined.txt").read_bytes(), X12, X12),
        ((x12 / "MedicaidExample.txt").read_bytes(), X12, JSON),  # rejected claims
        ((fhir / "Claim-MED-00050.json").read_bytes(), FHIR, FHIR),
    ]
    answered = []
    for body, content_type, accept in files:
        response = post(client, tokens["scribe"], body, content_type, accept)
        assert response.status_code == 200
        answered.append((body, response))
    entries = audited(client, tokens["admin"])
    assert len(entries) == sum(
        int(r.headers["fluorocode-reports"]) for _, r in answered
    )
    at = 0
    for body, response in answered:
        count = int(response.headers["fluorocode-reports"])
        mine = entries[at : at + count]
        at += count
        assert [e["position"] for e in mine] == list(range(count))
        assert {e["request_id"] for e in mine} == {response.headers["x-request-id"]}
        assert {e["input_sha256"] for e in mine} == {hashlib.sha256(body).hexdigest()}
        for entry in mine:
            schemas.AuditEntry.model_validate(entry)
            assert entry["answers"] == {}
    text = json.dumps(entries)
    # names, addresses, the rejected values: none of the files' words are kept
    for words in ("SMITH", "Ashcraft", "Main Street", "99.99", "'XX'", "not HC"):
        assert words not in text, words
    rejected = [e for e in entries if e["status"] == "rejected"]
    assert rejected and all(
        set(err) == {"field", "kind"} for e in rejected for err in e["errors"]
    )


# -- the OpenAPI document ------------------------------------------------------------


def test_the_openapi_document_says_what_check_reads_and_answers(
    client: TestClient,
) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/v1/check"]["post"]
    assert set(operation["requestBody"]["content"]) == {JSON, X12, FHIR}
    ok = operation["responses"]["200"]
    assert set(ok["content"]) == {JSON, X12, FHIR}
    assert {
        "Fluorocode-Reports",
        "Fluorocode-Statuses",
        "Fluorocode-Claims",
        "Fluorocode-Not-Written",
    } <= set(ok["headers"])
    assert {"406", "415", "422"} <= set(operation["responses"])
    assert any(p["name"] == "program" for p in operation["parameters"])
