"""The façade: the only package the CLI, the service and batch jobs call.

It wires the edition store, the note reader and the rule engine::

    checker = Checker(home=None)          # editions under FLUOROCODE_HOME or the data dir
    report = checker.check(encounter_dict)   # -> Report (status "rejected" on bad input)

With no edition imported at all, checks run against the built-in demo edition and every
report says so. With editions imported, the date of service and program pick one; no
match is ``no_data``.

For the service (``fluorocode serve``): ``api_keys(home)`` (hashed API keys),
``audit_log(home)`` / ``AuditWriter`` / ``audit_records`` (the audit trail) and
``page_settings()`` (what the provider's page validates as the provider types).

One module per concern, each re-exported here: ``checker`` (``Checker``, editions,
payer profiles), ``notes`` (reading a note), ``claims`` (X12 837 and FHIR files),
``batch`` (the set-wise engines and the audit report), ``replay`` and ``service``
(API keys, the audit trail, the page's settings).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fluorocode.adapters.claims.errors import (
    ClaimsFormatError,
    FhirMappingError,
    X12ParseError,
)
from fluorocode.api.batch import BATCH_ENGINES, run_batch, write_audit_report
from fluorocode.api.checker import (
    Checker,
    check,
    edition_to_dict,
    encounter_json_schema,
    validate_payer_file,
)
from fluorocode.api.claims import (
    CLAIMS_MEDIA_TYPES,
    ClaimCheck,
    ClaimsAnswer,
    check_claims,
    check_claims_body,
    check_fhir_document,
    claims_format,
    peekable,
)
from fluorocode.api.notes import extract_note, read_note
from fluorocode.api.replay import parse_edition_name, replay
from fluorocode.api.service import (
    api_keys,
    audit_log,
    audit_records,
    export_audit,
    page_settings,
)
from fluorocode.config import EMBED_ORIGINS_ENV, MAX_BODY_ENV, READ_TIMEOUT_ENV
from fluorocode.domain.edits import EditionInfo
from fluorocode.domain.findings import Report

if TYPE_CHECKING:
    from fluorocode.adapters.audit.export import FORMATS as AUDIT_FORMATS
    from fluorocode.adapters.audit.log import AuditLog, AuditWriter
    from fluorocode.adapters.audit.records import AuditRecord
    from fluorocode.adapters.keys import SCOPES, ApiKey, KeyStore


#: Re-exported names that load on first use (PEP 562), with their modules.
_LAZY = {
    "AUDIT_FORMATS": ("fluorocode.adapters.audit.export", "FORMATS"),
    "AuditLog": ("fluorocode.adapters.audit.log", "AuditLog"),
    "AuditWriter": ("fluorocode.adapters.audit.log", "AuditWriter"),
    "AuditRecord": ("fluorocode.adapters.audit.records", "AuditRecord"),
    "SCOPES": ("fluorocode.adapters.keys", "SCOPES"),
    "ApiKey": ("fluorocode.adapters.keys", "ApiKey"),
    "KeyStore": ("fluorocode.adapters.keys", "KeyStore"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value  # later lookups find it directly
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AUDIT_FORMATS",
    "BATCH_ENGINES",
    "CLAIMS_MEDIA_TYPES",
    "EMBED_ORIGINS_ENV",
    "MAX_BODY_ENV",
    "READ_TIMEOUT_ENV",
    "SCOPES",
    "ApiKey",
    "AuditLog",
    "AuditRecord",
    "AuditWriter",
    "Checker",
    "ClaimCheck",
    "ClaimsAnswer",
    "ClaimsFormatError",
    "EditionInfo",
    "FhirMappingError",
    "KeyStore",
    "Report",
    "X12ParseError",
    "api_keys",
    "audit_log",
    "audit_records",
    "check",
    "check_claims",
    "check_claims_body",
    "check_fhir_document",
    "claims_format",
    "edition_to_dict",
    "encounter_json_schema",
    "export_audit",
    "extract_note",
    "page_settings",
    "parse_edition_name",
    "peekable",
    "read_note",
    "replay",
    "run_batch",
    "validate_payer_file",
    "write_audit_report",
]
