"""The encounter's shape, defined once: a JSON Schema (draft 2020-12) of contract.md's input.

Everything else derives from it: the field names and limits that
:mod:`fluorocode.domain.encounter_input` enforces (with messages naming each field), the
document the service publishes at ``/v1/schema`` and in its OpenAPI request bodies, and
the constraints the provider's page checks as the user types.

Limits that the contract leaves open are ours, and documented here:

- lines per encounter: 50 on a professional claim (the 837P's service-line maximum,
  loop 2400 repeat 50) and 999 on an institutional one (837I, loop 2400 repeat 999), the
  X12 005010X222A1/X223A2 implementation guides; a setting may lower or raise both;
- units per line: at most 99,999 (far above any MUE; the 837's SV104 allows more, but
  no real line needs it, and a bound keeps every later sum exact);
- an encounter id of at most 256 characters; a note of at most 1,000,000 characters
  (about 250 pages; the service's 5 MB body limit is the outer bound).
"""

from __future__ import annotations

import copy
from typing import Any

from fluorocode.domain.codes import (
    BASIS_MODIFIER,
    FACILITY_POS,
    NON_FACILITY_POS,
    ClaimType,
    Program,
)
from fluorocode.domain.quantities import AIR_KERMA_UNITS, DAP_UNITS

#: Lines per encounter by claim type (837P loop 2400: 50; 837I loop 2400: 999).
MAX_LINES = {ClaimType.PROFESSIONAL: 50, ClaimType.INSTITUTIONAL: 999}
MAX_UNITS = 99_999
MAX_MODIFIERS = 4
MAX_ID_LENGTH = 256
MAX_NOTE_LENGTH = 1_000_000
#: ECMA-262 and Python agree on these (no multi-line mode: ``$`` is the very end).
CODE_PATTERN = "^[0-9A-Z]{5}$"
MODIFIER_PATTERN = "^[0-9A-Z]{2}$"
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
#: A payer profile id (``rules.payers.PROFILE_ID``, docs/payers.md).
PAYER_PATTERN = "^[a-z0-9][a-z0-9_-]{0,63}$"

#: The top-level fields, the line fields and the fluoroscopy documentation fields.
ENCOUNTER_FIELDS = (
    "id",
    "date_of_service",
    "place_of_service",
    "claim_type",
    "program",
    "payer",
    "billing",
    "lines",
    "documentation",
    "note",
)
LINE_FIELDS = ("code", "modifiers", "units")
FLUORO_FIELDS = (
    "indication",
    "minutes",
    "air_kerma",
    "dose_area_product",
    "images_saved",
    "separate_report",
    "distinct_indication",
)


def _dose(units: tuple[str, ...], what: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"{what}: a number with its unit",
        "additionalProperties": False,
        "required": ["value", "unit"],
        "properties": {
            "value": {"type": "number", "minimum": 0},
            "unit": {"type": "string", "examples": list(units)},
        },
    }


def encounter_schema(
    max_lines: int | None = None,
) -> dict[str, Any]:
    """The JSON Schema of one encounter; ``max_lines`` overrides both claim types' caps."""
    caps = {t: max_lines or n for t, n in MAX_LINES.items()}
    line = {
        "type": "object",
        "additionalProperties": False,
        "required": ["code"],
        "properties": {
            "code": {
                "type": "string",
                # the lengths too: some engines let ``$`` match before a final newline
                "minLength": 5,
                "maxLength": 5,
                "pattern": CODE_PATTERN,
                "description": "HCPCS/CPT code: 5 of 0-9, A-Z",
            },
            "modifiers": {
                "type": "array",
                "maxItems": MAX_MODIFIERS,
                "items": {
                    "type": "string",
                    "minLength": 2,
                    "maxLength": 2,
                    "pattern": MODIFIER_PATTERN,
                },
                "default": [],
            },
            "units": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_UNITS,
                "default": 1,
            },
        },
    }
    fluoroscopy = {
        "type": "object",
        "additionalProperties": False,
        "description": "What the provider documented; an absent field is not documented",
        "properties": {
            "indication": {"type": "string", "minLength": 1},
            "minutes": {"type": "number"},
            "air_kerma": _dose(AIR_KERMA_UNITS, "reference air kerma"),
            "dose_area_product": _dose(DAP_UNITS, "dose-area product"),
            "images_saved": {"type": "boolean"},
            "separate_report": {"type": "boolean"},
            "distinct_indication": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "confirmed": {"type": "boolean"},
                    "basis": {"enum": list(BASIS_MODIFIER)},
                },
            },
        },
    }
    pos = sorted(FACILITY_POS | NON_FACILITY_POS)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:fluorocode:schema:encounter:1",
        "title": "fluorocode encounter (contract.md, Input: one encounter)",
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "date_of_service", "place_of_service", "lines"],
        "properties": {
            "id": {"type": "string", "minLength": 1, "maxLength": MAX_ID_LENGTH},
            "date_of_service": {
                "type": "string",
                "format": "date",
                "minLength": 10,
                "maxLength": 10,
                "pattern": DATE_PATTERN,
            },
            "place_of_service": {"type": "string", "enum": pos},
            "claim_type": {
                "enum": [t.value for t in ClaimType],
                "default": ClaimType.PROFESSIONAL.value,
            },
            "program": {
                "enum": [p.value for p in Program],
                "default": Program.MEDICARE.value,
            },
            "payer": {
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "pattern": PAYER_PATTERN,
                "description": "the payer profile (docs/payers.md; GET /v1/payers "
                "lists them); absent: the built-in profile of the program",
                "examples": ["medicare", "medicaid"],
            },
            "billing": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"global_billing": {"type": "boolean", "default": False}},
            },
            "lines": {
                "type": "array",
                "minItems": 1,
                "maxItems": max(caps.values()),
                "items": line,
            },
            "documentation": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"fluoroscopy": fluoroscopy},
            },
            "note": {"type": "string", "maxLength": MAX_NOTE_LENGTH},
        },
        # the line cap depends on the claim type (absent: professional)
        "if": {
            "required": ["claim_type"],
            "properties": {"claim_type": {"const": ClaimType.INSTITUTIONAL.value}},
        },
        "then": {"properties": {"lines": {"maxItems": caps[ClaimType.INSTITUTIONAL]}}},
        "else": {"properties": {"lines": {"maxItems": caps[ClaimType.PROFESSIONAL]}}},
    }


#: The schema with the default caps; :func:`encounter_schema` for another line cap.
ENCOUNTER_SCHEMA = encounter_schema()


def schema_copy(max_lines: int | None = None) -> dict[str, Any]:
    """A deep copy a caller may change (the module's dict is shared)."""
    return copy.deepcopy(encounter_schema(max_lines))
