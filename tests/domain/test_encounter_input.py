"""Issue 8: encounter validation against hostile and careless input.

The encounter's shape is defined once (``domain.encounter_schema``): the parser and the
published JSON Schema must agree on every case here.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest

from fluorocode.domain.encounter_input import parse_encounter
from fluorocode.domain.encounter_schema import (
    ENCOUNTER_FIELDS,
    ENCOUNTER_SCHEMA,
    FLUORO_FIELDS,
    LINE_FIELDS,
    encounter_schema,
)
from fluorocode.errors import ClaimInputError

VALID: dict[str, Any] = {
    "id": "enc-1",
    "date_of_service": "2024-08-15",
    "place_of_service": "22",
    "lines": [{"code": "27506", "modifiers": ["RT"]}, {"code": "76000"}],
    "documentation": {
        "fluoroscopy": {
            "minutes": 1.4,
            "air_kerma": {"value": 3.2, "unit": "mGy"},
            "distinct_indication": {"confirmed": True, "basis": "separate-site"},
        }
    },
}


def with_(path: str, value: Any) -> dict[str, Any]:
    """VALID with one field replaced (``lines.0.code``); ``...`` deletes it."""
    doc = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    target: Any = doc
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is ...:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return doc


def errors(doc: Any) -> dict[str, str]:
    with pytest.raises(ClaimInputError) as caught:
        parse_encounter(doc)
    return {e.field: e.kind for e in caught.value.errors}


INVALID = [
    # (case, document, field, kind)
    (
        "code with a trailing newline",
        with_("lines.1.code", "76000\n"),
        "lines[1].code",
        "invalid_code",
    ),
    (
        "modifier with a trailing newline",
        with_("lines.0.modifiers", ["RT\n"]),
        "lines[0].modifiers[0]",
        "invalid_modifier",
    ),
    (
        "lower-case modifier",
        with_("lines.0.modifiers", ["rt"]),
        "lines[0].modifiers[0]",
        "invalid_modifier",
    ),
    (
        "units of 1 and 5,000 zeros",
        with_("lines.0.units", 10**5000),
        "lines[0].units",
        "invalid_units",
    ),
    (
        "units over the bound",
        with_("lines.0.units", 100_000),
        "lines[0].units",
        "invalid_units",
    ),
    (
        "units as a fraction",
        with_("lines.0.units", 1.5),
        "lines[0].units",
        "invalid_units",
    ),
    (
        "a dose whose mGy overflows",
        with_("documentation.fluoroscopy.air_kerma", {"value": 1e308, "unit": "Gy"}),
        "documentation.fluoroscopy.air_kerma.value",
        "out_of_range",
    ),
    (
        "an unknown field",
        with_("lines.0.colour", "red"),
        "lines[0].colour",
        "unknown_field",
    ),
    ("a very long id", with_("id", "x" * 300), "id", "too_long"),
    (
        "51 professional lines",
        with_("lines", [{"code": "99213"}] * 51),
        "lines",
        "too_many_lines",
    ),
    (
        "a date with a newline",
        with_("date_of_service", "2024-08-1\n"),
        "date_of_service",
        "invalid_date",
    ),
    (
        "an unknown place of service",
        with_("place_of_service", "00"),
        "place_of_service",
        "unknown_place_of_service",
    ),
]


@pytest.mark.parametrize(
    ("case", "doc", "field", "kind"), INVALID, ids=[c[0] for c in INVALID]
)
def test_invalid_input_is_named_with_its_kind(
    case: str, doc: Any, field: str, kind: str
) -> None:
    assert errors(doc).get(field) == kind, case


# a unit conversion is beyond JSON Schema: for an overflowing dose the parser alone knows
SCHEMA_CASES = [c for c in INVALID if c[3] != "out_of_range"]


@pytest.mark.parametrize(
    ("case", "doc", "field", "kind"), SCHEMA_CASES, ids=[c[0] for c in SCHEMA_CASES]
)
def test_the_published_schema_refuses_what_the_parser_refuses(
    case: str, doc: Any, field: str, kind: str
) -> None:
    if case == "units of 1 and 5,000 zeros":
        doc = with_("lines.0.units", 10**20)  # the schema sees JSON numbers
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, ENCOUNTER_SCHEMA)


def test_a_whole_number_written_as_a_float_is_a_whole_number() -> None:
    # JSON has one number type; JSON Schema's "integer" accepts 2.0, and so does the parser
    doc = with_("lines.0.units", 2.0)
    jsonschema.validate(doc, ENCOUNTER_SCHEMA)
    assert parse_encounter(doc).lines[0].units == 2


def test_valid_input_passes_both() -> None:
    jsonschema.Draft202012Validator.check_schema(ENCOUNTER_SCHEMA)
    jsonschema.validate(VALID, ENCOUNTER_SCHEMA)
    parse_encounter(VALID)
    institutional = {
        **VALID,
        "claim_type": "institutional",
        "lines": [{"code": "99213"}] * 999,
    }
    jsonschema.validate(institutional, ENCOUNTER_SCHEMA)
    assert len(parse_encounter(institutional).lines) == 999


def test_messages_say_how_to_fix_a_nearly_right_value() -> None:
    doc = with_("lines.0.modifiers", ["rt"])
    with pytest.raises(ClaimInputError) as caught:
        parse_encounter(doc)
    (error,) = caught.value.errors
    assert "'RT'" in error.message and "two-character" not in error.message


def test_no_non_finite_number_can_reach_a_report() -> None:
    for unit in ("Gy", "mGy"):
        doc = with_(
            "documentation.fluoroscopy.air_kerma", {"value": 1e308, "unit": unit}
        )
        try:
            encounter = parse_encounter(doc)
        except ClaimInputError:
            continue
        dose = encounter.documentation.air_kerma
        assert dose is not None
        json.dumps(dose.normalised, allow_nan=False)


def test_the_parser_reads_the_fields_the_schema_defines() -> None:
    props = ENCOUNTER_SCHEMA["properties"]
    assert set(props) == set(ENCOUNTER_FIELDS)
    assert set(props["lines"]["items"]["properties"]) == set(LINE_FIELDS)
    fluoro = props["documentation"]["properties"]["fluoroscopy"]["properties"]
    assert set(fluoro) == set(FLUORO_FIELDS)
    for key in ENCOUNTER_FIELDS:
        assert errors({**VALID, key: object()}) or True  # every field is validated
    assert encounter_schema(10)["then"]["properties"]["lines"]["maxItems"] == 10


def test_modifiers_must_be_a_list_even_when_empty_looking() -> None:
    for bad in ("", 0, {}, "RT"):
        assert errors(with_("lines.0.modifiers", bad)) == {
            "lines[0].modifiers": "invalid_modifiers"
        }
