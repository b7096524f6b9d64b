"""schemathesis against the published OpenAPI document: no server error, valid answers.

Requests are generated from ``/openapi.json`` (valid and invalid bodies, parameters
and headers) and sent with a valid key; every answer must be a documented status with
a body that matches its documented schema. Bounded: a few dozen cases per operation.

Not run: ``negative_data_rejection`` and ``positive_data_acceptance``. The contract
answers an encounter that breaks the schema with 200 and its ``rejected`` report (only
an unusable body as a whole is 422), and a schema-valid encounter may still be
rejected by rules a JSON schema cannot state (a real date, a known place of service).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fluorocode.api import api_keys
from fluorocode.service.app import create_app

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzz_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-home")


@pytest.fixture(scope="module")
def fuzz_token(fuzz_home: Path) -> str:
    return api_keys(fuzz_home).create("fuzz", ("check", "audit"))


@pytest.fixture(scope="module")
def fuzz_app(fuzz_home: Path, fuzz_token: str) -> Iterator[Any]:
    app = create_app(fuzz_home)
    with TestClient(app):  # runs the lifespan: audit writer open, editions warm
        yield app


@pytest.fixture(scope="module")
def api_schema(fuzz_app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


OPERATIONS = [
    ("POST", "/v1/check"),
    ("POST", "/v1/extract"),
    ("GET", "/v1/editions"),
    ("GET", "/v1/audit"),
    ("GET", "/v1/editions/diff"),
    ("POST", "/v1/replay"),
    ("GET", "/v1/payers"),
    ("GET", "/v1/schema"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
]


def test_every_operation_is_fuzzed(api_schema: Any) -> None:
    found = {
        (r.ok().method.upper(), r.ok().path) for r in api_schema.get_all_operations()
    }
    assert found == set(OPERATIONS)


# NOTE: schemathesis' own pytest integration (schema.parametrize with a lazy fixture)
# trips over pytest 9 internals (``Function._nodeid``); its Hypothesis strategies do not.
@pytest.mark.parametrize(
    ("method", "path", "mode"),
    [(m, p, GenerationMode.POSITIVE) for m, p in OPERATIONS]
    # negative: invalid bodies and parameters (payers, schema, health, readiness take none)
    + [(m, p, GenerationMode.NEGATIVE) for m, p in OPERATIONS[:6]],
)
def test_the_api_honours_its_openapi_document(
    api_schema: Any, fuzz_token: str, method: str, path: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]
    headers = {"Authorization": f"Bearer {fuzz_token}"}

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
