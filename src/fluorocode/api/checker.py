"""The checker: editions, payer profiles and the rule engine behind one object."""

from __future__ import annotations

import copy
import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Only what a check needs is imported here: the audit trail (sqlite3), FHIR (pydantic),
# X12, downloads (http.client), API keys and the importer (polars) load on first use, so
# ``fluorocode check`` of one encounter starts in a fraction of the time (issue 11).
from fluorocode.adapters.payers import PayerCatalog
from fluorocode.adapters.store.demo import demo_edition
from fluorocode.adapters.store.programs import answering_edition, no_edition_reason
from fluorocode.adapters.store.registry import EditionRegistry
from fluorocode.api.notes import read_encounter_note
from fluorocode.config import (
    resolve_home,
    resolve_max_lines,
)
from fluorocode.domain.claim import (
    Encounter,
)
from fluorocode.domain.codes import Program
from fluorocode.domain.edits import EditionInfo, EditLookup
from fluorocode.domain.encounter_input import parse_encounter
from fluorocode.domain.encounter_schema import MAX_ID_LENGTH, schema_copy
from fluorocode.domain.findings import (
    Report,
    ReportStatus,
)
from fluorocode.errors import (
    ClaimInputError,
    EditionExistsError,
    FetchError,
    FieldError,
)
from fluorocode.rules.engine import evaluate, no_edition_report
from fluorocode.rules.payers import report_block as payer_report_block

if TYPE_CHECKING:
    from fluorocode.adapters.cms.fetch import FetchResult, Meter
    from fluorocode.adapters.store.diff_output import DiffReport


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
