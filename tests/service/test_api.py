"""The HTTP API speaks the contract's JSON exactly as the command line does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fluorocode import service
from fluorocode.api import Checker, edition_to_dict
from fluorocode.domain.encounter_schema import ENCOUNTER_SCHEMA, encounter_schema
from fluorocode.service import schemas

from ._support import ANSWERS, bearer, knee


def test_one_encounter_gets_the_same_report_as_the_library(
    client: TestClient, home: Path, tokens: dict[str, str]
) -> None:
    response = client.post("/v1/check", json=knee(), headers=bearer(tokens["scribe"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body == Checker(home).check(knee()).to_dict()
    schemas.Report.model_validate(body)
    assert body["status"] == "needs_provider_input"
    assert [line["action"] for line in body["lines"]] == ["keep", "hold"]


def test_an_array_gets_reports_in_order_and_a_bad_one_is_rejected(
    client: TestClient, tokens: dict[str, str]
) -> None:
    bad = knee(id="bad", lines=[{"code": "2988", "units": 0}])
    batch = [knee(id="a"), bad, 42, knee(id="c")]
    response = client.post("/v1/check", json=batch, headers=bearer(tokens["scribe"]))
    assert response.status_code == 200
    body = response.json()
    assert [r["encounter_id"] for r in body] == ["a", "bad", None, "c"]
    assert [r["status"] for r in body] == [
        "needs_provider_input",
        "rejected",
        "rejected",
        "needs_provider_input",
    ]
    assert {e["field"] for e in body[1]["errors"]} == {
        "lines[0].code",
        "lines[0].units",
    }
    assert body[2]["errors"] == [
        {
            "field": "$",
            "message": "an encounter must be a JSON object",
            "kind": "not_an_object",
        }
    ]
    for report in body:
        schemas.Report.model_validate(report)


def test_answers_turn_the_hold_into_26_and_xe(
    client: TestClient, tokens: dict[str, str]
) -> None:
    enc = knee(documentation={"fluoroscopy": ANSWERS})
    body = client.post("/v1/check", json=enc, headers=bearer(tokens["scribe"])).json()
    assert body["status"] == "corrected"
    assert body["lines"][1] == {
        "index": 1,
        "code": "76000",
        "modifiers": ["26", "XE"],
        "units": 1,
        "action": "modify",
    }


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (b"{nope", "$", "not valid JSON (line 1, column 2"),
        (b"", "$", "a JSON body is required"),
        (b"42", "$", "must be a JSON object or an array"),
        (b'"text"', "$", "must be a JSON object or an array"),
        (b"[]", "$", "an empty array"),
        # fluorocode.jsoncodec: the line, the column and what is wrong
        (b'{"id": NaN}', "$", "(line 1, column 8: unexpected character"),
        (b'{"minutes": 1e400}', "$", "column 13: a number too large for a double"),
        (b'{"units": ' + b"9" * 5000 + b"}", "$", "a number too large for a double"),
        (b"[" * 100_000 + b"]" * 100_000, "$", "nested deeper than 1024 levels"),
        (b"\xff\xfe{}", "$", "not valid UTF-8"),
        (b'{"id": "\\ud800"}', "$", "column 9: no low surrogate in string"),
        (b'[{"lines": [{"\\uDFFF": 1}]}]', "$", "invalid high surrogate in string"),
        (b'{"id": "a"} trailing', "$", "unexpected content after document"),
    ],
)
def test_an_unusable_body_is_422_naming_the_field(
    client: TestClient, tokens: dict[str, str], body: bytes, field: str, words: str
) -> None:
    response = client.post(
        "/v1/check",
        content=body,
        headers={**bearer(tokens["scribe"]), "content-type": "application/json"},
    )
    assert response.status_code == 422
    error = response.json()
    schemas.ErrorBody.model_validate(error)
    assert error["error"] == "invalid_input"
    assert error["errors"][0]["field"] == field
    assert words in error["errors"][0]["message"]


def test_a_whole_surrogate_pair_is_fine(
    client: TestClient, tokens: dict[str, str]
) -> None:
    body = b'{"id": "smile \\ud83d\\ude00", "date_of_service": "2024-08-15", ' + (
        b'"place_of_service": "11", "lines": [{"code": "99213"}]}'
    )
    response = client.post(
        "/v1/check",
        content=body,
        headers={**bearer(tokens["scribe"]), "content-type": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["encounter_id"] == "smile \U0001f600"


def test_a_body_over_the_limit_is_413_announced_or_streamed(
    client: TestClient, tokens: dict[str, str]
) -> None:
    big = b"[" + b" " * (5 * 1024 * 1024) + b"]"
    response = client.post("/v1/check", content=big, headers=bearer(tokens["scribe"]))
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
        yield b"["
        for _ in range(6):
            yield b" " * (1024 * 1024)
        yield b"]"

    response = client.post(
        "/v1/check", content=chunks(), headers=bearer(tokens["scribe"])
    )
    assert response.status_code == 413


def test_extract_reads_one_note_or_many(
    client: TestClient, tokens: dict[str, str]
) -> None:
    note = "Fluoroscopy time 1:32. Reference air kerma 7.4 mGy."
    one = client.post(
        "/v1/extract", json={"text": note}, headers=bearer(tokens["scribe"])
    )
    assert one.status_code == 200
    assert one.json()["minutes"] == pytest.approx(1.53, abs=0.01)
    assert one.json()["air_kerma_mgy"] == 7.4
    schemas.NoteFacts.model_validate(one.json())
    many = client.post(
        "/v1/extract",
        json=[{"id": "n1", "text": note}, {"id": "n2", "text": "No imaging."}],
        headers=bearer(tokens["scribe"]),
    )
    assert [item["id"] for item in many.json()] == ["n1", "n2"]
    bad = client.post(
        "/v1/extract",
        json=[{"id": "n1", "text": note}, {"id": "n2"}],
        headers=bearer(tokens["scribe"]),
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {
            "field": "[1].text",
            "message": "required: the note as a string",
            "kind": "required",
        }
    ]
    missing = client.post("/v1/extract", json={}, headers=bearer(tokens["scribe"]))
    assert missing.json()["errors"][0]["field"] == "text"


def test_editions_are_listed_as_the_cli_lists_them(
    client: TestClient, home: Path, tokens: dict[str, str]
) -> None:
    response = client.get("/v1/editions", headers=bearer(tokens["scribe"]))
    assert response.status_code == 200
    assert response.json() == [edition_to_dict(i) for i in Checker(home).editions()]
    assert response.json()[0]["demo"] is True


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["editions"] == [
        {"program": "medicare", "quarter": "2024Q3", "demo": True}
    ]


def test_not_ready_when_the_audit_trail_cannot_be_written(
    client: TestClient, app: Any
) -> None:
    app.state.service.writer.close()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["reasons"] == ["the audit trail is not writable"]


def test_a_check_that_cannot_be_audited_is_not_answered(
    client: TestClient, app: Any, tokens: dict[str, str]
) -> None:
    app.state.service.writer.close()
    response = client.post("/v1/check", json=knee(), headers=bearer(tokens["scribe"]))
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert "not recorded" in response.json()["message"]


def test_unknown_paths_and_methods_answer_json(
    client: TestClient, tokens: dict[str, str]
) -> None:
    missing = client.get("/v2/check")
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    wrong = client.get("/v1/check", headers=bearer(tokens["scribe"]))
    assert wrong.status_code == 405
    assert wrong.json()["error"] == "method_not_allowed"
    # without a key, /v1/ says nothing of which paths or methods exist
    assert client.get("/v1/check").status_code == 401
    assert client.get("/v1/nothing-here").status_code == 401


def test_the_openapi_document_lists_every_route_and_its_bodies(
    client: TestClient,
) -> None:
    doc = client.get("/openapi.json").json()
    assert set(doc["paths"]) == {
        "/v1/check",
        "/v1/extract",
        "/v1/editions",
        "/v1/editions/diff",
        "/v1/payers",
        "/v1/replay",
        "/v1/audit",
        "/v1/schema",
        "/healthz",
        "/readyz",
    }
    body = doc["paths"]["/v1/check"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == schemas.CHECK_BODY
    for name in ("Encounter", "Report", "ErrorBody", "NoteRequest", "NoteItem"):
        assert name in doc["components"]["schemas"]
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert doc["paths"]["/v1/check"]["post"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in doc["paths"]["/v1/schema"]["get"]


def test_the_encounter_schema_is_published_once_and_public(
    client: TestClient,
) -> None:
    """/v1/schema, the OpenAPI request body and the page: one definition."""
    published = client.get("/v1/schema")  # no key: a shape is not clinical data
    assert published.status_code == 200
    assert published.headers["content-type"] == "application/schema+json"
    assert published.json() == ENCOUNTER_SCHEMA
    doc = client.get("/openapi.json").json()
    assert schemas.CHECK_BODY == {
        "oneOf": [
            {"$ref": "#/components/schemas/Encounter"},
            {"type": "array", "items": {"$ref": "#/components/schemas/Encounter"}},
        ]
    }
    assert doc["components"]["schemas"]["Encounter"] == ENCOUNTER_SCHEMA
    page = client.get("/").text
    rendered = page.split('id="encounter-schema">')[1].split("</script>")[0]
    assert json.loads(rendered) == ENCOUNTER_SCHEMA
    # the page's script and template hold no copy of what the schema says
    template = Path(service.__file__).parent / "templates" / "index.html"
    source = client.get("/static/page.js").text + template.read_text()
    for copy in ("separate-encounter", "0-9A-Z", "µGy", "Gy*cm2", "maxItems = "):
        assert copy not in source, copy


def test_the_published_schema_carries_the_line_cap_in_force(
    home: Path, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fluorocode.service.app import create_app

    monkeypatch.setenv("FLUOROCODE_MAX_LINES", "2")
    with TestClient(create_app(home)) as capped:
        published = capped.get("/v1/schema").json()
        assert published == encounter_schema(2)
        assert published["else"]["properties"]["lines"]["maxItems"] == 2
        document = capped.get("/openapi.json").json()
        assert document["components"]["schemas"]["Encounter"] == published


def test_the_page_is_served_with_a_strict_content_policy(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["content-security-policy"].endswith("frame-ancestors 'none'")
    assert 'id="encounter"' in page.text
    settings = page.text.split('id="settings">')[1].split("</script>")[0]
    assert json.loads(settings)["max_minutes"] == 600.0
    assert client.get("/static/page.js").status_code == 200
    assert client.get("/static/page.css").status_code == 200


def test_only_named_origins_may_frame_the_page(
    home: Path, tokens: dict[str, str]
) -> None:
    from click.testing import CliRunner

    from fluorocode.cli import cli
    from fluorocode.service.app import create_app

    with TestClient(create_app(home, embed_origins=("https://ehr.example.org",))) as c:
        policy = c.get("/").headers["content-security-policy"]
    assert policy.endswith("frame-ancestors https://ehr.example.org")
    refused = CliRunner().invoke(
        cli, ["serve", "--embed-origin", "ehr.example.org; script-src *"]
    )
    assert refused.exit_code == 2
    assert "is not an origin" in refused.output


def _strict(text: str) -> Any:
    """JSON as the standard has it: ``NaN`` and ``Infinity`` are errors."""

    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    ("field", "dose"),
    [
        ("air_kerma", b'{"value": 1e308, "unit": "Gy"}'),
        ("dose_area_product", b'{"value": 1.7e308, "unit": "Gy\\u00b7m\\u00b2"}'),
    ],
)
def test_a_dose_beyond_a_double_once_converted_is_rejected_in_valid_json(
    client: TestClient, tokens: dict[str, str], field: str, dose: bytes
) -> None:
    body = (
        b'{"id": "huge", "date_of_service": "2024-08-15", "place_of_service": "24", '
        b'"lines": [{"code": "29880"}, {"code": "76000"}], '
        b'"documentation": {"fluoroscopy": {"' + field.encode() + b'": ' + dose + b"}}}"
    )
    response = client.post(
        "/v1/check",
        content=body,
        headers={**bearer(tokens["scribe"]), "content-type": "application/json"},
    )
    assert response.status_code == 200
    report = _strict(response.text)
    assert report["status"] == "rejected"
    assert report["errors"][0]["field"].startswith(f"documentation.fluoroscopy.{field}")
    assert "Infinity" not in response.text and "NaN" not in response.text


def test_the_renderer_never_writes_nan_or_infinity(
    client: TestClient, app: Any, tokens: dict[str, str], monkeypatch: Any
) -> None:
    from fluorocode.service.routes.v1 import render

    for value in (float("inf"), float("-inf"), float("nan")):
        with pytest.raises(ValueError):
            render({"evidence": {"air_kerma_mgy": value}})

    class Broken:  # a report a bug upstream left a non-finite number in
        def to_dict(self) -> dict[str, Any]:
            return {"encounter_id": "knee-1", "status": "clean", "x": float("inf")}

    monkeypatch.setattr(
        app.state.service.checker, "check_traced", lambda obj: (Broken(), None)
    )
    response = client.post("/v1/check", json=knee(), headers=bearer(tokens["scribe"]))
    assert response.status_code == 500
    assert _strict(response.text)["error"] == "internal"
    assert "Infinity" not in response.text
