"""The façade: the only module the CLI, the service and batch jobs call.

It wires the edition store, the note reader and the rule engine::

    checker = Checker(home=None)          # editions under FLUOROCODE_HOME or the data dir
    report = checker.check(encounter_dict)   # -> Report (status "rejected" on bad input)

With no edition imported at all, checks run against the built-in demo edition and every
report says so. With editions imported, the date of service and program pick one; no
match is ``no_data``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fluorocode.adapters.cms.fetch import (
    FetchOptions,
    FetchResult,
    Meter,
    fetch_files,
    plan_downloads,
    resolve_base_url,
)
from fluorocode.adapters.store.demo import demo_edition
from fluorocode.adapters.store.importer import import_files
from fluorocode.adapters.store.registry import EditionRegistry
from fluorocode.config import resolve_home
from fluorocode.domain.claim import (
    Dose,
    Encounter,
    FluoroDocumentation,
    NoteReading,
    NoteSpan,
)
from fluorocode.domain.codes import Program
from fluorocode.domain.edits import EditionInfo, EditLookup
from fluorocode.domain.encounter_input import parse_encounter
from fluorocode.domain.findings import Report, ReportStatus
from fluorocode.errors import ClaimInputError, EditionExistsError, FetchError
from fluorocode.rules.engine import evaluate, no_edition_report

if TYPE_CHECKING:
    from fluorocode.extraction import NoteFacts

__all__ = ["Checker", "check", "edition_to_dict", "extract_note", "read_note"]


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
        if not self.registry.list():
            return demo_edition()
        return self.registry.select(program, encounter.date_of_service)

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


def check(obj: Any, home: str | os.PathLike[str] | None = None) -> Report:
    """Check one encounter with the editions under ``home``."""
    return Checker(home).check(obj)
