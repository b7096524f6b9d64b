"""The pydantic models of the HTTP edge: the contract's JSON, for the OpenAPI document.

They describe what goes over the wire (contract.md); they do not decide it. The
encounter is not among them: its one definition is the JSON Schema that
``fluorocode.api.encounter_json_schema`` gives (``domain.encounter_schema``), which the
service publishes at ``/v1/schema``, places in the OpenAPI document as
``#/components/schemas/Encounter`` (``CHECK_BODY`` refers to it) and hands the page.
Encounters are validated by ``fluorocode.api`` exactly as the command line does, so an
invalid encounter gets its ``rejected`` report naming every bad field rather than a 422
for the whole request. Responses are serialised by the domain's ``to_dict`` and tested
against these models (``tests/service``), so the document and the answers cannot drift
apart. Every model allows fields it does not list: the contract may add fields.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_OPEN = ConfigDict(extra="allow")


class FieldError(BaseModel):
    field: str
    message: str
    kind: str | None = None


class ReportLine(BaseModel):
    model_config = _OPEN
    index: int
    code: str
    modifiers: list[str]
    units: int
    action: Literal["keep", "modify", "hold", "remove"]
    suggested: bool | None = None


class Finding(BaseModel):
    model_config = _OPEN
    rule: str
    status: Literal["fail", "bypassed", "pass", "info", "no_data", "error"]
    lines: list[int]
    message: str
    evidence: dict[str, Any]
    citation: str


class Prompt(BaseModel):
    model_config = _OPEN
    kind: str
    line: int
    question: str
    missing: list[str] | None = None
    options: list[str] | None = None


class Suggestion(BaseModel):
    model_config = _OPEN
    code: str
    modifiers: list[str]
    rule: str
    message: str


class Report(BaseModel):
    """One report (contract.md, "Output: one report")."""

    model_config = _OPEN
    encounter_id: str | None
    status: Literal["clean", "corrected", "needs_provider_input", "no_data", "rejected"]
    edition: dict[str, Any] | None
    lines: list[ReportLine]
    findings: list[Finding]
    prompts: list[Prompt]
    suggestions: list[Suggestion]
    errors: list[FieldError] | None = None
    source: dict[str, Any] | None = Field(
        None,
        description="Claims files only: the format, the claim, the segments (X12) or "
        "items (FHIR) of its lines and, when the file is answered, whether the claim "
        "is in it (`written`) and why not (docs/claims.md)",
    )


class NoteRequest(BaseModel):
    model_config = _OPEN
    text: str


class NoteItem(BaseModel):
    model_config = _OPEN
    id: Any = None
    text: str


class NoteFacts(BaseModel):
    """What a note documents about fluoroscopy (contract.md, "Reading a note")."""

    model_config = _OPEN
    fluoroscopy_used: bool | None
    minutes: float | None
    air_kerma_mgy: float | None
    dose_area_product_gycm2: float | None
    indication: str | None
    images_saved: bool | None
    separate_report: bool | None
    evidence: list[dict[str, Any]]


class Edition(BaseModel):
    """One ``editions list --format json`` entry."""

    model_config = _OPEN
    program: str
    quarter: str
    version: str
    demo: bool
    tables: dict[str, int]
    sources: list[dict[str, Any]]


class AuditEntry(BaseModel):
    """One checked encounter in the audit trail (no note, no clinical free text)."""

    model_config = _OPEN
    id: int
    at: str
    key: str
    request_id: str
    position: int
    encounter_id: str | None
    input_sha256: str
    status: str
    edition: dict[str, Any] | None
    sources: list[dict[str, Any]]
    lines: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    answers: dict[str, Any]
    errors: list[dict[str, Any]]


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_after: int | None = Field(
        description="pass as ?after= for the next page; null at the end"
    )


class Health(BaseModel):
    model_config = _OPEN
    status: str


class Readiness(BaseModel):
    model_config = _OPEN
    status: Literal["ready", "not_ready"]
    editions: list[dict[str, Any]]
    reasons: list[str]


class ErrorBody(BaseModel):
    """Every error answer: a code, a sentence, and the fields at fault (may be empty)."""

    error: str
    message: str
    errors: list[FieldError]


#: Request and response bodies documented by schema rather than by a route's model
#: (they are read by ``fluorocode.api`` and written by the domain's ``to_dict``).
CHECK_BODY: dict[str, Any] = {
    "oneOf": [
        {"$ref": "#/components/schemas/Encounter"},
        {"type": "array", "items": {"$ref": "#/components/schemas/Encounter"}},
    ]
}
EXTRACT_BODY: dict[str, Any] = {
    "oneOf": [
        {"$ref": "#/components/schemas/NoteRequest"},
        {"type": "array", "items": {"$ref": "#/components/schemas/NoteItem"}},
    ]
}
#: An X12 5010 837P/837I, as sent and as answered corrected (docs/claims.md).
X12_BODY: dict[str, Any] = {
    "type": "string",
    "description": "An X12 5010 837P or 837I interchange (ISA first), UTF-8",
}
#: A FHIR R4 Claim or Bundle, as sent; the answer is a Bundle (docs/claims.md).
FHIR_BODY: dict[str, Any] = {
    "type": "object",
    "description": "A FHIR R4 Claim, or a Bundle whose entries hold Claims",
    "required": ["resourceType"],
    "properties": {"resourceType": {"type": "string"}},
}
#: The name of the encounter's schema among the document's components.
ENCOUNTER = "Encounter"
BODY_MODELS: tuple[type[BaseModel], ...] = (
    NoteRequest,
    NoteItem,
    Report,
    NoteFacts,
)
