"""``api.check_claims_body``: what the HTTP layer calls for a claims file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fluorocode.api import Checker, ClaimsFormatError, check_claims_body


def test_x12_in_json_reports_out(x12: Path, demo: Checker) -> None:
    body = (x12 / "837P_5010/Example1_HealthInsurance.txt").read_bytes()
    answer = check_claims_body(body, "application/edi-x12", None, checker=demo)
    assert answer.media_type == "application/json"
    reports = json.loads(answer.body)
    assert [r["encounter_id"] for r in reports] == [
        "26463774@2006-10-03",
        "26463774@2006-10-10",
    ]
    assert answer.reports == reports and answer.rejected is False


def test_x12_in_x12_out_and_a_wrong_accept(x12: Path, demo: Checker) -> None:
    body = (x12 / "837P_5010/ST1309-XX.txt").read_bytes()
    answer = check_claims_body(body, None, "application/edi-x12", checker=demo)
    assert answer.media_type == "application/edi-x12"
    assert len(answer.reports) == 1
    with pytest.raises(ClaimsFormatError, match="cannot answer application/fhir"):
        check_claims_body(body, None, "application/fhir+json", checker=demo)


def test_fhir_in_bundle_out(fhir_dir: Path, demo: Checker) -> None:
    body = (fhir_dir / "Claim-MED-00050.json").read_bytes()
    answer = check_claims_body(
        body, "application/fhir+json", "application/fhir+json", checker=demo
    )
    assert answer.media_type == "application/fhir+json"
    assert json.loads(answer.body)["resourceType"] == "Bundle"
