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

import copy
import functools
import importlib
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

# Only what a check needs is imported here: the audit trail (sqlite3), FHIR (pydantic),
# X12, downloads (http.client), API keys and the importer (polars) load on first use, so
# ``fluorocode check`` of one encounter starts in a fraction of the time (issue 11).
from fluorocode.adapters.claims.errors import (
    ClaimsFormatError,
    FhirMappingError,
    X12ParseError,
)
from fluorocode.adapters.claims.model import (
    ClaimOutcome,
    SourceEncounter,
    claim_outcome,
    place_of,
)
from fluorocode.adapters.payers import PayerCatalog
from fluorocode.adapters.store.demo import demo_edition
from fluorocode.adapters.store.programs import answering_edition, no_edition_reason
from fluorocode.adapters.store.registry import EditionRegistry
from fluorocode.config import (
    EMBED_ORIGINS_ENV,
    MAX_BODY_ENV,
    READ_TIMEOUT_ENV,
    resolve_home,
    resolve_max_lines,
)
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
from fluorocode.domain.encounter_schema import MAX_ID_LENGTH, schema_copy
from fluorocode.domain.findings import (
    Action,
    Finding,
    LineResult,
    Report,
    ReportStatus,
    Status,
)
from fluorocode.domain.limits import AIR_KERMA_MGY, DOSE_AREA_PRODUCT_GYCM2, MINUTES
from fluorocode.domain.quantities import to_gy_cm2, to_mgy
from fluorocode.errors import (
    ClaimInputError,
    EditionExistsError,
    FetchError,
    FieldError,
    JsonDocumentError,
)
from fluorocode.jsoncodec import decode as json_decode
from fluorocode.jsoncodec import encode_pretty
from fluorocode.rules.engine import evaluate, no_edition_report
from fluorocode.rules.payers import report_block as payer_report_block

if TYPE_CHECKING:
    from fluorocode.adapters.audit.export import FORMATS as AUDIT_FORMATS
    from fluorocode.adapters.audit.log import AuditLog, AuditWriter
    from fluorocode.adapters.audit.records import AuditRecord
    from fluorocode.adapters.cms.fetch import FetchResult, Meter
    from fluorocode.adapters.keys import SCOPES, ApiKey, KeyStore
    from fluorocode.adapters.replay.run import ReplayRun
    from fluorocode.adapters.store.diff_output import DiffReport
    from fluorocode.extraction import FactWarning, NoteFacts

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
    "read_note",
    "replay",
    "validate_payer_file",
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
    note states but the reader refused as impossible or implausible (a warning of kind
    ``implausible``) fills the gap too, so the documentation rule flags it as invalid
    instead of missing. No other warning's number is ever a value: a bound ("less than
    1 minute") or another value the reader did not keep leaves the field absent.
    """
    refused = _refused_values(facts)
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
        for w in _refusals(facts)
        if w.start is not None and w.end is not None
    )
    reading = NoteReading(facts.fluoroscopy_used, facts.standalone, tuple(gaps), spans)
    return doc, reading


def read_encounter_note(encounter: Encounter) -> Encounter:
    """The encounter with its note read into its documentation (``read_note``) and the
    note itself dropped: the rules read only ``note_reading``. Without a note, as is."""
    if not encounter.note:
        return encounter
    from fluorocode.extraction import extract  # deferred: compiles its patterns

    doc, reading = read_note(
        extract(encounter.note), encounter.documentation, encounter.note
    )
    return replace(encounter, documentation=doc, note_reading=reading, note=None)


def _refusals(facts: NoteFacts) -> list[FactWarning]:
    """The warnings of values the reader refused as impossible or implausible."""
    from fluorocode.extraction import WarningKind  # deferred, as in extract_note

    return [
        w
        for w in facts.warnings
        if w.kind is WarningKind.IMPLAUSIBLE
        and w.value is not None
        and w.field in ("minutes", *_NOTE_FIELD)
    ]


def _refused_values(facts: NoteFacts) -> dict[str, float]:
    """Each field's refused value (the reader refuses at most one per field)."""
    return {w.field: w.value for w in _refusals(facts) if w.value is not None}


def _dose(value: float | None, unit: str) -> Dose | None:
    """A note's dose, already normalised by the extractor to ``unit``."""
    return None if value is None else Dose(value, unit, value)


def extract_note(text: str) -> dict[str, Any]:
    """What a note documents about fluoroscopy, as ``fluorocode extract`` prints it."""
    from fluorocode.extraction import extract  # deferred: compiles its patterns

    return extract(text).to_dict()


def encounter_json_schema(max_lines: int | None = None) -> dict[str, Any]:
    """The JSON Schema of one encounter (``domain.encounter_schema``), with the line cap
    in force (the argument, else ``$FLUOROCODE_MAX_LINES``, else the defaults)."""
    return schema_copy(resolve_max_lines(max_lines))


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
    """Checks encounters against the editions of one home directory.

    ``max_lines`` caps the lines of one encounter (else ``$FLUOROCODE_MAX_LINES``, else
    50 on professional and 999 on institutional claims: ``domain.encounter_schema``);
    an encounter over it is ``rejected`` before any rule runs.
    """

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        max_lines: int | None = None,
        payer: str | None = None,
    ) -> None:
        self.home = resolve_home(home)
        self.registry = EditionRegistry(self.home)
        self.max_lines = resolve_max_lines(max_lines)
        #: the payer of encounters that name none (``check --payer``); None: each
        #: encounter's program's built-in profile
        self.default_payer = payer

    @functools.cached_property
    def payers(self) -> PayerCatalog:
        """The payer profiles (``adapters.payers``), read once.

        Raises:
            PayerProfileError: a profile under ``<home>/payers`` is invalid.
        """
        return PayerCatalog.load(self.home)

    @functools.cached_property
    def payer_programs(self) -> dict[str, Program]:
        """Each payer profile's base program: what the encounter parser checks."""
        return self.payers.programs()

    def payer_profiles(self) -> list[dict[str, Any]]:
        """Every payer profile, as ``payers show`` prints it (built-ins first)."""
        return [p.to_dict() for p in self.payers.profiles.values()]

    def with_payer(self, payer: str | None) -> Checker:
        """This checker with ``payer`` as the default payer (``?payer=``), sharing
        its editions and profiles.

        Raises:
            ClaimInputError: no profile has that id (field ``payer``, the known named).
        """
        if payer == self.default_payer:
            return self
        if payer is not None:
            self.payers.named(payer)
        view = copy.copy(self)  # cached profiles and the registry are shared
        view.default_payer = payer
        return view

    def claims_program(self, program: str | None) -> str:
        """The program of claims that name none (``PayerCatalog.claims_program``);
        without a default payer the profiles are not read.

        Raises:
            ClaimInputError: ``program`` contradicts the default payer's.
        """
        if self.default_payer is None:
            return program or Program.MEDICARE.value
        return self.payers.claims_program(self.default_payer, program)

    def edition_for(self, program: Program, encounter: Encounter) -> EditLookup | None:
        # one listing answers both questions: an import swapping editions in between
        # could otherwise make them disagree
        # (and a claim only ever gets an edition of its own program: ``programs``)
        editions = self.registry.editions()
        return answering_edition(
            self.registry, program, encounter.date_of_service, editions
        )

    def edition(self, program: Program, quarter: str) -> EditLookup:
        """The edition of ``program`` and ``quarter`` (``2024Q4``), to check against.

        Raises:
            EditionNotFoundError: no such edition is imported.
        """
        return self.registry.open(program, quarter)

    def check(self, obj: Any, edition: EditLookup | None = None) -> Report:
        """Check one encounter (its JSON object); bad input gives a ``rejected`` report.

        ``edition`` replaces the one the date of service and program select
        (``fluorocode replay``); the normal path passes None.
        """
        try:
            encounter = parse_encounter(
                obj, self.max_lines, self.payer_programs, self.default_payer
            )
        except ClaimInputError as exc:
            return self._rejected(obj, exc)
        return self.check_encounter(encounter, edition)

    def check_traced(
        self, obj: Any, edition: EditLookup | None = None
    ) -> tuple[Report, Encounter | None]:
        """``check``, and the encounter as the rules saw it: its note read into its
        documentation and dropped (None when rejected). The audit trail keeps its facts,
        never its text, so the check can be replayed (``records.replay_of``)."""
        try:
            encounter = read_encounter_note(
                parse_encounter(
                    obj, self.max_lines, self.payer_programs, self.default_payer
                )
            )
        except ClaimInputError as exc:
            return self._rejected(obj, exc), None
        return self.check_encounter(encounter, edition), encounter

    @staticmethod
    def _rejected(obj: Any, exc: ClaimInputError) -> Report:
        enc_id = obj.get("id") if isinstance(obj, dict) else None
        return Report(
            enc_id
            if isinstance(enc_id, str) and len(enc_id) <= MAX_ID_LENGTH
            else None,
            ReportStatus.REJECTED,
            None,
            errors=tuple(exc.errors),
        )

    def check_encounter(
        self, encounter: Encounter, edition: EditLookup | None = None
    ) -> Report:
        """Check a parsed encounter; ``edition`` as in :meth:`check`."""
        encounter = read_encounter_note(encounter)
        if encounter.payer is not None and encounter.payer not in self.payer_programs:
            # parsed without this home's profiles: a typo never falls back to Medicare
            return Report(
                encounter.id,
                ReportStatus.REJECTED,
                None,
                errors=(
                    FieldError(
                        "payer",
                        f"unknown payer profile {encounter.payer!r}; known: "
                        + ", ".join(sorted(self.payer_programs)),
                        "unknown_payer",
                    ),
                ),
            )
        payer = self.payers.resolve(encounter.payer, encounter.program)
        edits = (
            edition
            if edition is not None
            else self.edition_for(encounter.program, encounter)
        )
        if edits is None:
            why = no_edition_reason(
                encounter.program,
                encounter.date_of_service,
                self.registry.editions(),
            )
            report = no_edition_report(encounter, why)
            if payer.is_baseline:
                return report
            return replace(report, payer=payer_report_block(payer, set()))
        return evaluate(encounter, edits, payer=payer)

    def check_many(self, objs: Sequence[Any]) -> list[Report]:
        return [self.check(o) for o in objs]

    def import_editions(
        self,
        paths: Sequence[Path],
        program: Program | None = None,
        replace: bool = False,
        progress: Callable[[str], None] | None = None,
    ) -> EditionInfo:
        from fluorocode.adapters.store.importer import import_files  # polars

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
        from fluorocode.adapters.cms.fetch import (  # http.client
            FetchOptions,
            fetch_files,
            plan_downloads,
            resolve_base_url,
        )

        plan = plan_downloads(program, quarter, version, resolve_base_url(base_url))
        if program is not Program.MEDICARE and not download_only:
            raise FetchError(
                f"{program.value} files cannot be imported by fetch: use "
                "--download-only, then import the zips you keep with fluorocode "
                "editions import (docs/medicaid.md)"
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

    def diff_editions(
        self,
        old: str,
        new: str,
        tables: Sequence[str] = (),
        codes: Sequence[str] = (),
    ) -> DiffReport:
        """Compare two editions named ``program/quarter`` (``adapters.store.diff``).

        Raises:
            DiffRequestError: a malformed name, table or code, or one edition twice.
            EditionNotFoundError: an edition that is not imported.
        """
        from fluorocode.adapters.store.diff import diff_request  # numpy only
        from fluorocode.adapters.store.diff_output import DiffReport

        return DiffReport(diff_request(self.registry, old, new, tables, codes))

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


def validate_payer_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read one payer profile file strictly (``payers validate``); its JSON form.

    Raises:
        PayerProfileError: the file and the key at fault are named.
    """
    from fluorocode.adapters.payers import read_profile

    return read_profile(Path(path)).to_dict()


def check(obj: Any, home: str | os.PathLike[str] | None = None) -> Report:
    """Check one encounter with the editions under ``home``."""
    return Checker(home).check(obj)


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


_EDITION_NAME = re.compile(r"([a-z]+)\s*[/ ]\s*(\d{4})-?q([1-4])")


def parse_edition_name(text: str, field: str = "edition") -> tuple[Program, str]:
    """``medicare/2024Q4`` or ``medicare 2024q4`` (any case) as (program, quarter).

    Raises:
        ClaimInputError: not an edition name (``field`` names it).
    """
    match = _EDITION_NAME.fullmatch(text.strip().lower())
    programs = {p.value for p in Program}
    if match is None or match[1] not in programs:
        raise ClaimInputError(
            [
                FieldError(
                    field,
                    f"{text!r} is not an edition such as medicare/2024Q4 (programs: "
                    f"{', '.join(sorted(programs))})",
                    "invalid_edition",
                )
            ]
        )
    return Program(match[1]), f"{match[2]}Q{match[3]}"


def replay(
    edition: str,
    encounters: Iterable[Any] | None = None,
    *,
    checker: Checker | None = None,
    audit: AuditLog | None = None,
    since: str | None = None,
    key_name: str | None = None,
    after: int = 0,
    limit: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReplayRun:
    """Re-check saved encounters against ``edition`` (docs/replay.md).

    ``encounters``: decoded contract encounters (or ``adapters.replay.run.BadItem``);
    None replays the records of ``audit`` (default: the checker's home's trail) at or
    after ``since`` (an ISO date or time, UTC unless it says), of ``key_name`` only if
    given, with ids above ``after``, at most ``limit`` of them. Iterate the answer for
    one result per item; its ``summary`` counts them.

    Raises:
        ClaimInputError: ``edition`` is not an edition name, or ``since`` not a time.
        EditionNotFoundError: it is not imported.
    """
    import itertools

    from fluorocode.adapters.audit.records import audit_time
    from fluorocode.adapters.replay.run import (
        ReplayRun,
        Summary,
        edition_block,
        replay_encounters,
        replay_records,
    )

    checker = checker or Checker()
    target = checker.edition(*parse_edition_name(edition))
    if encounters is not None:
        items = replay_encounters(encounters, checker, target)
        source = "encounters"
    else:
        log = audit or audit_log(checker.home)
        records = log.records(
            None if since is None else audit_time(since), key_name, after
        )
        if limit is not None:
            records = itertools.islice(records, limit)
        items = replay_records(records, checker, target)
        source = "audit"
    return ReplayRun(items, Summary(edition_block(target), source), progress)


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
CLAIMS_MEDIA_TYPES = {
    "json": "application/json",
    "x12": "application/edi-x12",
    "fhir": "application/fhir+json",
}
_NOT_SUBJECT_CITATION = "domain.md §2 and §7: NCCI PTP edits and the IOCE (CMS)"


@dataclass(frozen=True, slots=True)
class ClaimCheck:
    """The report of one encounter read from a claims file, and where it came from.

    ``to_dict()`` is the contract's report plus a ``source`` block: the format, the
    claim id, the segments (X12) or items (FHIR) of its lines and, when a corrected
    file is written, whether the claim is in it (``written``) and why not.
    """

    report: Report
    source: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        out = self.report.to_dict()
        out["source"] = dict(self.source)
        return out


@dataclass(frozen=True, slots=True)
class ClaimsAnswer:
    """What ``check_claims_body`` answers: the body, its media type, the reports."""

    media_type: str
    body: bytes
    reports: list[dict[str, Any]]
    rejected: bool


def claims_format(head: bytes) -> str:
    """``x12``, ``fhir`` or ``json`` from the first bytes of a document.

    ISA first (after a byte-order mark and blanks, also in UTF-16, which the X12 reader
    then refuses by name) is X12; a JSON object naming a ``resourceType`` early is
    FHIR; anything else is the contract's JSON or JSON lines.
    """
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    bare = (
        text.replace(b"\x00", b"").removeprefix(b"\xff\xfe").removeprefix(b"\xfe\xff")
    )
    if text.startswith(b"ISA") or bare.lstrip().startswith(b"ISA"):
        return "x12"
    if text.startswith(b"{") and b'"resourceType"' in text:
        return "fhir"
    return "json"


def check_claims(
    stream: BinaryIO,
    name: str,
    *,
    checker: Checker | None = None,
    input_format: str | None = None,
    program: str | None = None,
    output: TextIO | None = None,
) -> Iterator[ClaimCheck]:
    """Check every claim of an X12 837 or FHIR file; optionally write it corrected.

    X12 is read one transaction set at a time, and its reports come as each is
    checked; FHIR is read whole (one document). With ``output``, the corrected file goes
    there in the input's format (open it with ``newline=""``: X12 line breaks are
    kept as they are).

    Args:
        stream: the file, binary.
        name: its name for messages (``-`` for standard input).
        checker: the editions to check against (default: ``Checker()``).
        input_format: ``x12`` or ``fhir``; None detects it from the content.
        program: ``medicare`` or ``medicaid``, for claims that do not say (SBR09);
            None: the checker's default payer's program, else ``medicare``.
        output: where to write the corrected file, or None.

    Raises:
        X12ParseError, FhirMappingError: the file cannot be read as a whole (the place
            is named); a bad claim is a ``rejected`` report instead.
        ClaimsFormatError: the content is not a claims file.
        ClaimInputError: ``program`` contradicts the checker's default payer.
    """
    checker = checker or Checker()
    program = checker.claims_program(program)
    buffered = (
        stream
        if isinstance(stream, io.BufferedReader)
        else io.BufferedReader(_RawStream(stream))
    )
    fmt = input_format or claims_format(buffered.peek(4096)[:4096])
    if fmt == "x12":
        yield from _check_x12(buffered, name, checker, program, output)
    elif fmt == "fhir":
        try:
            doc = json_decode(buffered.read())
        except JsonDocumentError as exc:
            raise FhirMappingError(
                name, f"line {exc.line}, column {exc.column}", exc.reason
            ) from None
        yield from check_fhir_document(
            doc, name, checker=checker, program=program, output=output
        )
    else:
        raise ClaimsFormatError(
            f"{name}: not an X12 837 or FHIR document (format {fmt!r})"
        )


def check_fhir_document(
    doc: Any,
    name: str,
    *,
    checker: Checker | None = None,
    program: str | None = None,
    output: TextIO | None = None,
) -> list[ClaimCheck]:
    """Check a decoded FHIR ``Claim`` or ``Bundle``; optionally write the result Bundle.

    ``program`` as in :func:`check_claims`; ``Claim.insurer`` may select a payer
    profile (``fhir_payer_ids``)."""
    checker = checker or Checker()
    program = checker.claims_program(program)
    entries: list[dict[str, Any]] = []
    checks: list[ClaimCheck] = []
    from fluorocode.adapters.claims.fhir_claim import read_fhir  # pydantic
    from fluorocode.adapters.claims.fhir_write import (
        bundle,
        corrected_claim,
        operation_outcome,
    )

    for claim in read_fhir(doc, name, program, checker.payers.by_fhir_id):
        pairs = [(enc, _check_source(checker, enc)) for enc in claim.encounters]
        outcome = claim_outcome(claim.ordinal, claim.encounters[0].claim_id, pairs)
        if output is not None:
            if outcome.written:
                entries.append(corrected_claim(claim, outcome))
            entries.append(operation_outcome(pairs, outcome))
        checks += _claim_checks(pairs, outcome, output is not None)
    if output is not None:
        output.write(encode_pretty(bundle(entries)).decode("utf-8") + "\n")
    return checks


def check_claims_body(
    body: bytes,
    content_type: str | None = None,
    accept: str | None = None,
    *,
    checker: Checker | None = None,
    program: str | None = None,
) -> ClaimsAnswer:
    """One HTTP request's claims file, answered in the format ``accept`` asks for.

    ``content_type`` ``application/edi-x12`` or ``application/fhir+json`` picks the
    reader (anything else: detected from the content). ``accept``
    ``application/json`` (the default, also for ``*/*``) answers the JSON array of
    reports; ``application/edi-x12`` the corrected 837 (X12 in only);
    ``application/fhir+json`` the Bundle of corrected Claims and OperationOutcomes
    (FHIR in only). The reports are in ``reports`` whatever the body.

    Raises:
        ClaimsFormatError: an answer format the input cannot give (406 / 415).
        X12ParseError, FhirMappingError: the body cannot be read as a whole (422).
    """
    media = {v: k for k, v in CLAIMS_MEDIA_TYPES.items()}
    given = media.get((content_type or "").split(";")[0].strip().lower())
    fmt = given if given in ("x12", "fhir") else claims_format(body[:4096])
    wanted = media.get((accept or "").split(";")[0].strip().lower(), "json")
    if wanted not in ("json", fmt):
        raise ClaimsFormatError(
            f"cannot answer {CLAIMS_MEDIA_TYPES[wanted]} for a {fmt} claims file"
        )
    out = io.StringIO(newline="") if wanted != "json" else None
    checks = list(
        check_claims(
            io.BytesIO(body),
            "request body",
            checker=checker,
            input_format=fmt,
            program=program,
            output=out,
        )
    )
    reports = [c.to_dict() for c in checks]
    rejected = any(c.report.status is ReportStatus.REJECTED for c in checks)
    if out is not None:
        data = out.getvalue().encode("utf-8")
    else:
        data = encode_pretty(reports)
    return ClaimsAnswer(CLAIMS_MEDIA_TYPES[wanted], data, reports, rejected)


class _RawStream(io.RawIOBase):
    """Any binary stream as a raw one, so it can be buffered and peeked at."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _check_x12(
    stream: BinaryIO, name: str, checker: Checker, program: str, output: TextIO | None
) -> Iterator[ClaimCheck]:
    from fluorocode.adapters.claims.x12_837 import read_transaction
    from fluorocode.adapters.claims.x12_segments import (
        Segment,
        SegmentReader,
        envelopes,
    )
    from fluorocode.adapters.claims.x12_write import X12Writer

    reader = SegmentReader(stream, name)
    writer: X12Writer | None = None
    ordinal = 0
    for item in envelopes(reader):
        if isinstance(item, Segment):
            if output is not None:
                if writer is None:
                    writer = X12Writer(output, reader.bom, reader.delimiters)
                writer.envelope(item)
            continue
        claims = read_transaction(
            item,
            name,
            ordinal,
            reader.delimiters.component,
            program,
            checker.payers.by_x12_id,
        )
        ordinal += len(claims)
        outcomes: dict[int, ClaimOutcome] = {}
        checks: list[ClaimCheck] = []
        for claim in claims:
            pairs = [(enc, _check_source(checker, enc)) for enc in claim.encounters]
            outcome = claim_outcome(claim.ordinal, claim.encounters[0].claim_id, pairs)
            outcomes[claim.ordinal] = outcome
            checks += _claim_checks(pairs, outcome, output is not None)
        if writer is not None:
            writer.transaction(item, claims, outcomes)
        yield from checks
    if writer is not None:
        writer.close(reader.tail)


def _claim_checks(
    pairs: Sequence[tuple[SourceEncounter, Report]],
    outcome: ClaimOutcome,
    writing: bool,
) -> list[ClaimCheck]:
    out = []
    for enc, report in pairs:
        source = dict(enc.source)
        if writing:
            source["written"] = outcome.written
            if outcome.why_not:
                source["not_written_because"] = outcome.why_not
        out.append(ClaimCheck(report, source))
    return out


def _check_source(checker: Checker, enc: SourceEncounter) -> Report:
    """Validate and check one encounter read from a claim, naming source places."""
    enc_id = enc.encounter.get("id")
    errors: list[FieldError] = list(enc.errors)
    encounter = None
    if enc.encounter.get("lines"):
        try:
            encounter = parse_encounter(
                enc.encounter,
                payers=checker.payer_programs,
                default_payer=checker.default_payer,
            )
        except ClaimInputError as exc:
            errors += [place_of(e, enc.places) for e in exc.errors]
    if errors:
        return Report(enc_id, ReportStatus.REJECTED, None, errors=tuple(errors))
    if encounter is None or enc.not_subject is not None:
        lines = tuple(
            LineResult(i, ln.code, ln.modifiers, ln.units, Action.KEEP)
            for i, ln in enumerate(encounter.lines if encounter else ())
        )
        finding = Finding(
            "claim.not-subject",
            Status.NO_DATA,
            (),
            enc.not_subject or "Nothing on this claim could be checked.",
            {},
            _NOT_SUBJECT_CITATION,
        )
        return Report(enc_id, ReportStatus.NO_DATA, None, lines, (finding,))
    return checker.check_encounter(encounter)


# -- batch (issue 10) ------------------------------------------------------------------

#: The batch engines ``run_batch`` knows.
BATCH_ENGINES = ("duckdb", "spark")


def run_batch(
    inputs: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str],
    *,
    home: str | os.PathLike[str] | None = None,
    engine: str = "duckdb",
    csv: bool = False,
    max_lines: int | None = None,
    memory_limit: str = "2GB",
    threads: int | None = None,
    spark_master: str | None = None,
    program: str = "medicare",
    workers: int | None = None,
    progress: Callable[[str], None] | None = None,
    tick: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Check claim-line files set-wise and write ``lines``, ``findings``, ``summary``.

    The engine (``adapters/batch``) decides in SQL every encounter no rule speaks to
    and streams the rest, in encounter order, through :meth:`Checker.check`: for every
    encounter the result equals ``check``'s report. ``tick(done, total)`` follows the
    encounters the rules check (for a progress bar). 837 files are read with
    ``adapters.claims.reader`` (``program``: for claims whose SBR09 names none), and
    their encounters checked as :func:`check_claims` checks them. ``workers``
    processes run the rules (default: one per core; 1, or a batch the rules see less
    than 2,000 encounters of, checks in this process).

    Returns:
        The summary (also written to ``OUTPUT/summary.json``).
    """
    import time

    from fluorocode.adapters.batch.editions import EditionMap
    from fluorocode.adapters.batch.rows import ResultWriter

    started = time.perf_counter()
    checker = Checker(home, max_lines)
    out = Path(output)
    paths = [Path(p) for p in inputs]
    editions = EditionMap(checker.registry)
    job: Any
    if engine == "spark":
        from fluorocode.adapters.batch.spark_job import SparkJob

        job = SparkJob(
            paths, out, editions, checker.max_lines, spark_master, progress, program
        )
    elif engine == "duckdb":
        from fluorocode.adapters.batch.duckdb_job import DuckDbJob

        job = DuckDbJob(
            paths,
            out,
            editions,
            checker.max_lines,
            memory_limit,
            threads,
            progress,
            program,
        )
    else:
        raise ValueError(f"unknown batch engine {engine!r}: one of {BATCH_ENGINES}")
    try:
        counts = job.prepare()
        if progress:
            progress(f"checking {counts['engine']:,} encounters with the rules")
        writer = ResultWriter(
            job.tmp / "engine-lines.parquet", job.tmp / "engine-f.parquet"
        )
        done, total = 0, counts["engine"]
        for n, lines, findings, statuses in _check_pending(
            checker, job.pending(), _batch_workers(workers, total)
        ):
            writer.write(lines, findings, statuses)
            done += n
            if tick:
                tick(done, total)
        writer.close()
        job.finish(job.tmp / "engine-lines.parquet", job.tmp / "engine-f.parquet", csv)
        summary: dict[str, Any] = job.summarise(counts, time.perf_counter() - started)
    finally:
        job.close()
    (out / "summary.json").write_bytes(encode_pretty(summary))
    return summary


def write_audit_report(
    batch_dir: str | os.PathLike[str],
    output: str | os.PathLike[str],
    rvu: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """The practice self-audit page of a batch output (``adapters.batch.report_html``)."""
    from fluorocode.adapters.batch.report_html import write_report

    return write_report(Path(batch_dir), Path(output), Path(rvu) if rvu else None)


#: Encounters a worker checks per task: large enough that pickling is cheap beside
#: the rules, small enough that the workers stay busy to the end.
_BATCH_CHUNK = 2_000


def _batch_workers(workers: int | None, pending: int) -> int:
    """One process per core unless told; never more than there are chunks, so a
    small batch is checked here (a worker costs about a second to start)."""
    wanted = workers if workers is not None else os.cpu_count() or 1
    return max(1, min(wanted, -(-pending // _BATCH_CHUNK)))


def _check_pending(
    checker: Checker, pending: Iterator[Any], workers: int
) -> Iterator[tuple[int, Any, Any, dict[str, int]]]:
    """The engine's share: (encounters, line rows, finding rows, statuses) per chunk.

    With ``workers`` > 1 the chunks go to spawned processes (fork is unsafe beside
    DuckDB's and Spark's threads), a few at a time so memory stays bounded; the
    results come back in order, as Arrow tables.
    """
    import itertools

    chunks = iter(lambda: list(itertools.islice(pending, _BATCH_CHUNK)), [])
    if workers <= 1:
        for chunk in chunks:
            yield _check_chunk(chunk, checker)
        return
    where = (str(checker.home), checker.max_lines)
    import collections
    import multiprocessing
    from concurrent.futures import Future, ProcessPoolExecutor

    queue: collections.deque[Future[tuple[int, Any, Any, dict[str, int]]]] = (
        collections.deque()
    )
    with ProcessPoolExecutor(
        workers, mp_context=multiprocessing.get_context("spawn")
    ) as pool:
        for chunk in chunks:
            queue.append(pool.submit(_check_chunk, chunk, None, where))
            if len(queue) > 2 * workers:
                yield queue.popleft().result()
        while queue:
            yield queue.popleft().result()


@functools.cache
def _worker_checker(home: str, max_lines: int | None) -> Checker:
    """A batch worker process's one ``Checker`` (its editions loaded once)."""
    return Checker(home, max_lines)


def _check_chunk(
    chunk: Sequence[Any],
    checker: Checker | None = None,
    where: tuple[str, int | None] | None = None,
) -> tuple[int, Any, Any, dict[str, int]]:
    """Check encounters (``adapters.batch.encounters.Pending``) into output rows,
    with ``checker`` or, in a worker process, the one for ``where`` (home, cap)."""
    from fluorocode.adapters.batch.rows import RowBuffer

    if checker is None:
        assert where is not None
        checker = _worker_checker(*where)
    rows = RowBuffer()
    for item in chunk:
        if item.report is not None:
            report = item.report
        elif isinstance(item.obj, SourceEncounter):
            report = _check_source(checker, item.obj)
        else:
            report = checker.check(item.obj)
        rows.add(item.key, item.source, report)
    lines, findings = rows.take()
    return len(chunk), lines, findings, dict(rows.counts)
