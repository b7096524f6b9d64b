"""The façade: the only module the CLI, the service and batch jobs call.

It wires the edition store, the note reader and the rule engine::

    checker = Checker(home=None)          # editions under FLUOROCODE_HOME or the data dir
    report = checker.check(encounter_dict)   # -> Report (status "rejected" on bad input)

With no edition imported at all, checks run against the built-in demo edition and every
report says so. With editions imported, the date of service and program pick one; no
match is ``no_data``.

For the service (``fluorocode serve``): ``api_keys(home)`` (hashed API keys),
``audit_log(home)`` / ``AuditWriter`` / ``audit_records`` (the audit trail) and
``page_settings()`` (what the provider's page validates as the provider types).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from fluorocode.adapters.audit.export import FORMATS as AUDIT_FORMATS
from fluorocode.adapters.audit.export import export as _export
from fluorocode.adapters.audit.log import AUDIT_FILE, AuditLog, AuditWriter
from fluorocode.adapters.audit.records import AuditRecord, record_of
from fluorocode.adapters.cms.fetch import (
    FetchOptions,
    FetchResult,
    Meter,
    fetch_files,
    plan_downloads,
    resolve_base_url,
)
from fluorocode.adapters.keys import SCOPES, ApiKey, KeyStore
from fluorocode.adapters.store.demo import demo_edition
from fluorocode.adapters.store.importer import import_files
from fluorocode.adapters.store.registry import EditionRegistry
from fluorocode.config import EMBED_ORIGINS_ENV, MAX_BODY_ENV, resolve_home
from fluorocode.domain.claim import (
    Dose,
    Encounter,
    FluoroDocumentation,
    NoteReading,
    NoteSpan,
)
from fluorocode.domain.codes import BASIS_MODIFIER, Program
from fluorocode.domain.edits import EditionInfo, EditLookup
from fluorocode.domain.encounter_input import parse_encounter
from fluorocode.domain.findings import Report, ReportStatus
from fluorocode.domain.quantities import to_gy_cm2, to_mgy
from fluorocode.errors import ClaimInputError, EditionExistsError, FetchError
from fluorocode.rules.engine import evaluate, no_edition_report
from fluorocode.rules.fl04_documentation import (
    MAX_AIR_KERMA_MGY,
    MAX_DAP_GYCM2,
    MAX_MINUTES,
)

if TYPE_CHECKING:
    from fluorocode.extraction import NoteFacts

__all__ = [
    "AUDIT_FORMATS",
    "EMBED_ORIGINS_ENV",
    "MAX_BODY_ENV",
    "SCOPES",
    "ApiKey",
    "AuditLog",
    "AuditRecord",
    "AuditWriter",
    "Checker",
    "EditionInfo",
    "KeyStore",
    "Report",
    "api_keys",
    "audit_log",
    "audit_records",
    "check",
    "edition_to_dict",
    "export_audit",
    "extract_note",
    "page_settings",
    "read_note",
]


#: Extraction field names that differ from the documentation block's.
_NOTE_FIELD = {
    "air_kerma_mgy": "air_kerma",
    "dose_area_product_gycm2": "dose_area_product",
}


def read_note(
    facts: NoteFacts, documented: FluoroDocumentation, text: str
) -> tuple[FluoroDocumentation, NoteReading]:
    """Fill the documentation fields the structured block left absent from the note.

    Structured values always win; the note only fills gaps, and says which. A value the
    note states but the reader refused as impossible (a warning with its value) fills
    the gap too, so the documentation rule flags it as invalid instead of missing.
    """
    refused = {
        w.field: w.value
        for w in facts.warnings
        if w.value is not None and w.field in ("minutes", *_NOTE_FIELD)
    }
    minutes = facts.minutes if facts.minutes is not None else refused.get("minutes")
    air_kerma = facts.air_kerma_mgy
    dap = facts.dose_area_product_gycm2
    candidates: dict[str, Any] = {
        "indication": facts.indication,
        "minutes": minutes,
        "air_kerma": _dose(
            air_kerma if air_kerma is not None else refused.get("air_kerma_mgy"), "mGy"
        ),
        "dose_area_product": _dose(
            dap if dap is not None else refused.get("dose_area_product_gycm2"), "Gy·cm²"
        ),
        "images_saved": facts.images_saved,
        "separate_report": facts.separate_report,
    }
    gaps = {
        k: v
        for k, v in candidates.items()
        if v is not None and getattr(documented, k) is None
    }
    doc = replace(documented, **gaps)
    spans = tuple(
        NoteSpan(_NOTE_FIELD.get(e.field, e.field), e.start, e.end, e.text)
        for e in facts.evidence
    ) + tuple(
        NoteSpan(
            _NOTE_FIELD.get(w.field, w.field), w.start, w.end, text[w.start : w.end]
        )
        for w in facts.warnings
        if w.field in refused and w.start is not None and w.end is not None
    )
    reading = NoteReading(facts.fluoroscopy_used, facts.standalone, tuple(gaps), spans)
    return doc, reading


def _dose(value: float | None, unit: str) -> Dose | None:
    """A note's dose, already normalised by the extractor to ``unit``."""
    return None if value is None else Dose(value, unit, value)


def extract_note(text: str) -> dict[str, Any]:
    """What a note documents about fluoroscopy, as ``fluorocode extract`` prints it."""
    from fluorocode.extraction import extract  # deferred: compiles its patterns

    return extract(text).to_dict()


def edition_to_dict(info: EditionInfo) -> dict[str, Any]:
    """One ``editions list --format json`` entry (contract.md)."""
    return {
        "program": info.program.value,
        "quarter": info.quarter,
        "version": info.version,
        "demo": info.demo,
        "tables": dict(info.tables),
        "sources": [
            {"file": s.file, "sha256": s.sha256, "rows": s.rows, "table": s.table}
            for s in info.sources
        ],
    }


class Checker:
    """Checks encounters against the editions of one home directory."""

    def __init__(self, home: str | os.PathLike[str] | None = None) -> None:
        self.home = resolve_home(home)
        self.registry = EditionRegistry(self.home)

    def edition_for(self, program: Program, encounter: Encounter) -> EditLookup | None:
        # one listing answers both questions: an import swapping editions in between
        # could otherwise make them disagree
        editions = self.registry.editions()
        if not editions:
            # the demo only stands in on a fresh home: editions that exist but cannot
            # be read are no data, never quietly the demo
            return None if self.registry.has_entries() else demo_edition()
        return self.registry.select(program, encounter.date_of_service, editions)

    def check(self, obj: Any) -> Report:
        """Check one encounter (its JSON object); bad input gives a ``rejected`` report."""
        try:
            encounter = parse_encounter(obj)
        except ClaimInputError as exc:
            enc_id = obj.get("id") if isinstance(obj, dict) else None
            return Report(
                enc_id if isinstance(enc_id, str) else None,
                ReportStatus.REJECTED,
                None,
                errors=tuple(exc.errors),
            )
        return self.check_encounter(encounter)

    def check_encounter(self, encounter: Encounter) -> Report:
        if encounter.note:
            from fluorocode.extraction import extract

            doc, reading = read_note(
                extract(encounter.note), encounter.documentation, encounter.note
            )
            encounter = replace(encounter, documentation=doc, note_reading=reading)
        edits = self.edition_for(encounter.program, encounter)
        if edits is None:
            return no_edition_report(
                encounter,
                f"No {encounter.program.value} edition covers the date of service "
                f"{encounter.date_of_service.isoformat()}: the claim was not checked. "
                "Import the CMS files of that quarter (fluorocode editions import).",
            )
        return evaluate(encounter, edits)

    def check_many(self, objs: Sequence[Any]) -> list[Report]:
        return [self.check(o) for o in objs]

    def import_editions(
        self,
        paths: Sequence[Path],
        program: Program | None = None,
        replace: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> EditionInfo:
        return import_files(paths, self.registry, program, replace, progress)

    def fetch(
        self,
        program: Program,
        quarter: str,
        *,
        version: str | None = None,
        base_url: str | None = None,
        dest: Path | None = None,
        accept_ama_license: bool = False,
        download_only: bool = False,
        replace: bool = False,
        timeout: float = 60.0,
        retries: int = 4,
        progress: Callable[[str], None] | None = None,
        meter: Meter | None = None,
    ) -> tuple[FetchResult, EditionInfo | None]:
        """Download a quarter's CMS zips (``adapters.cms.fetch``), then import them.

        Files go to ``dest`` (default ``<home>/downloads/<program>-<quarter>/``) with a
        ``fetch.json`` of their SHA-256; the edition is None with ``download_only``.
        ``base_url`` None means ``$FLUOROCODE_CMS_BASE_URL``, else cms.gov's.
        """
        plan = plan_downloads(program, quarter, version, resolve_base_url(base_url))
        if program is not Program.MEDICARE and not download_only:
            raise FetchError(
                f"{program.value} files cannot be imported: domain.md documents only "
                "the Medicaid zip names, not the layout of the files inside, so "
                "fluorocode does not read them; use --download-only to download them"
            )
        if (
            not download_only
            and not replace
            and self.registry.exists(program, plan.quarter)
        ):
            raise EditionExistsError(
                f"a {program.value} edition for {plan.quarter} is already imported; "
                "use --replace to replace it, or --download-only"
            )
        target = dest or self.home / "downloads" / f"{program.value}-{plan.quarter}"
        result = fetch_files(
            plan,
            target,
            accept_ama_license=accept_ama_license,
            options=FetchOptions(timeout=timeout, retries=retries),
            say=progress,
            meter=meter,
        )
        if download_only:
            return result, None
        return result, self.import_editions(result.paths, program, replace, progress)

    def editions(self) -> list[EditionInfo]:
        """The imported editions; the demo edition when none is."""
        infos = self.registry.list()
        return infos or [demo_edition().info]

    def warm(self) -> list[EditionInfo]:
        """Open the editions and check one encounter with a note, ahead of real checks.

        The first real check then finds the edition's indexes built and the note
        patterns compiled.

        Returns:
            The editions checks will run against (the demo edition when none is
            imported): empty only if none can be opened.
        """
        infos = self.editions()
        self.check(
            {
                "id": "warm-up",
                "date_of_service": "2024-08-15",
                "place_of_service": "22",
                "lines": [{"code": "29880"}, {"code": "76000"}],
                "note": "Fluoroscopy time 0.5 min.",
            }
        )
        return infos


def check(obj: Any, home: str | os.PathLike[str] | None = None) -> Report:
    """Check one encounter with the editions under ``home``."""
    return Checker(home).check(obj)


def api_keys(home: str | os.PathLike[str] | None = None) -> KeyStore:
    """The service's API keys under ``home`` (``adapters.keys``)."""
    return KeyStore(resolve_home(home))


def audit_log(home: str | os.PathLike[str] | None = None) -> AuditLog:
    """The audit trail under ``home`` (``<home>/audit.sqlite3``)."""
    return AuditLog(resolve_home(home) / AUDIT_FILE)


def audit_records(
    objs: Sequence[Any],
    reports: Sequence[dict[str, Any]],
    key_name: str,
    request_id: str,
) -> list[AuditRecord]:
    """The audit records of one request: encounter ``i`` as sent, its report's JSON."""
    return [
        record_of(obj, report, key_name=key_name, request_id=request_id, position=i)
        for i, (obj, report) in enumerate(zip(objs, reports, strict=True))
    ]


def export_audit(
    home: str | os.PathLike[str] | None,
    fmt: str,
    out: TextIO,
    since: str | None = None,
) -> int:
    """Write the audit trail as ``csv`` or ``jsonl``; return the number of records."""
    return _export(audit_log(home).records(since), fmt, out)


def page_settings() -> dict[str, Any]:
    """What the provider's page offers and checks as the provider types.

    The limits are the engine's own (``fluoro.documentation-invalid``), so the page
    refuses exactly what a check would hold.
    """
    return {
        "max_minutes": MAX_MINUTES,
        "max_air_kerma_mgy": MAX_AIR_KERMA_MGY,
        "max_dap_gycm2": MAX_DAP_GYCM2,
        # [unit, its factor to mGy / Gy·cm²] in the order offered, from the same
        # conversions checks use
        "air_kerma_units": [[u, to_mgy(1.0, u)] for u in ("mGy", "cGy", "Gy")],
        "dap_units": [
            [u, to_gy_cm2(1.0, u)]
            for u in ("Gy·cm²", "mGy·cm²", "cGy·cm²", "dGy·cm²", "µGy·m²", "Gy·m²")
        ],
        "bases": dict(BASIS_MODIFIER),
    }
