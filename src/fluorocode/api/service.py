"""What the service needs beside checks: API keys, the audit trail, the page's settings."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from fluorocode.api.notes import read_encounter_note
from fluorocode.config import (
    resolve_home,
)
from fluorocode.domain.claim import (
    Encounter,
)
from fluorocode.domain.codes import BASIS_MODIFIER
from fluorocode.domain.encounter_input import parse_encounter
from fluorocode.domain.findings import (
    ReportStatus,
)
from fluorocode.domain.limits import AIR_KERMA_MGY, DOSE_AREA_PRODUCT_GYCM2, MINUTES
from fluorocode.domain.quantities import to_gy_cm2, to_mgy
from fluorocode.errors import (
    ClaimInputError,
)

if TYPE_CHECKING:
    from fluorocode.adapters.audit.log import AuditLog
    from fluorocode.adapters.audit.records import AuditRecord
    from fluorocode.adapters.keys import KeyStore


def api_keys(home: str | os.PathLike[str] | None = None) -> KeyStore:
    """The service's API keys under ``home`` (``adapters.keys``)."""
    from fluorocode.adapters.keys import KeyStore

    return KeyStore(resolve_home(home))


def audit_log(home: str | os.PathLike[str] | None = None) -> AuditLog:
    """The audit trail under ``home`` (``<home>/audit.sqlite3``)."""
    from fluorocode.adapters.audit.log import AUDIT_FILE, AuditLog  # sqlite3

    return AuditLog(resolve_home(home) / AUDIT_FILE)


def audit_records(
    objs: Sequence[Any],
    reports: Sequence[dict[str, Any]],
    key_name: str,
    request_id: str,
    checked: Sequence[Encounter | None] | None = None,
) -> list[AuditRecord]:
    """The audit records of one request: encounter ``i`` as sent, its report's JSON.

    ``checked``: each encounter as the rules saw it (``Checker.check_traced``), whose
    facts the record keeps for a replay; without it they are read again from ``objs``.
    """
    from fluorocode.adapters.audit.records import record_of

    return [
        record_of(
            obj,
            report,
            key_name=key_name,
            request_id=request_id,
            position=i,
            checked=checked[i] if checked is not None else _checked_again(obj, report),
        )
        for i, (obj, report) in enumerate(zip(objs, reports, strict=True))
    ]


def _checked_again(obj: Any, report: Mapping[str, Any]) -> Encounter | None:
    """The encounter a report was made from, read again (None: rejected, or not one)."""
    if report.get("status") == ReportStatus.REJECTED.value:
        return None
    try:
        # the check already applied the line cap; this only rebuilds what it read
        return read_encounter_note(parse_encounter(obj, max_lines=1_000_000))
    except ClaimInputError:
        return None  # a claims file's report: its encounter is not in ``obj``


def export_audit(
    home: str | os.PathLike[str] | None,
    fmt: str,
    out: TextIO,
    since: str | None = None,
) -> int:
    """Write the audit trail as ``csv`` or ``jsonl``; return the number of records."""
    from fluorocode.adapters.audit.export import export

    return export(audit_log(home).records(since), fmt, out)


def page_settings() -> dict[str, Any]:
    """What the provider's page offers and checks as the provider types.

    The limits are the engine's own (``fluoro.documentation-invalid``), so the page
    refuses exactly what a check would hold.
    """
    return {
        "max_minutes": MINUTES.maximum,
        "max_air_kerma_mgy": AIR_KERMA_MGY.maximum,
        "max_dap_gycm2": DOSE_AREA_PRODUCT_GYCM2.maximum,
        # [unit, its factor to mGy / Gy·cm²] in the order offered, from the same
        # conversions checks use
        "air_kerma_units": [[u, to_mgy(1.0, u)] for u in ("mGy", "cGy", "Gy")],
        "dap_units": [
            [u, to_gy_cm2(1.0, u)]
            for u in ("Gy·cm²", "mGy·cm²", "cGy·cm²", "dGy·cm²", "µGy·m²", "Gy·m²")
        ],
        "bases": dict(BASIS_MODIFIER),
    }


# --- Claims where they live: X12 837P/837I and FHIR R4 (issue 9, docs/claims.md) ---

#: The claims formats ``check`` reads and writes, and their media types over HTTP.
