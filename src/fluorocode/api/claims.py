"""Claims files: X12 837 and FHIR R4 in, reports and the corrected file out (docs/claims.md)."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

from fluorocode.adapters.claims.errors import (
    ClaimsFormatError,
    FhirMappingError,
)
from fluorocode.adapters.claims.model import (
    ClaimOutcome,
    SourceEncounter,
    claim_outcome,
    place_of,
)
from fluorocode.api.checker import Checker
from fluorocode.api.notes import read_encounter_note
from fluorocode.domain.claim import Encounter
from fluorocode.domain.encounter_input import parse_encounter
from fluorocode.domain.findings import (
    Action,
    Finding,
    LineResult,
    Report,
    ReportStatus,
    Status,
)
from fluorocode.errors import (
    ClaimInputError,
    FieldError,
    JsonDocumentError,
)
from fluorocode.jsoncodec import decode as json_decode
from fluorocode.jsoncodec import encode_pretty

if TYPE_CHECKING:
    pass


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
    ``checked`` is the encounter as the rules saw it, whose facts the audit trail keeps
    for a replay (None: rejected, or not subject to the edits: no edition checked it).
    """

    report: Report
    source: Mapping[str, Any]
    checked: Encounter | None = None

    def to_dict(self) -> dict[str, Any]:
        out = self.report.to_dict()
        out["source"] = dict(self.source)
        return out


@dataclass(frozen=True, slots=True)
class ClaimsAnswer:
    """What ``check_claims_body`` answers: the body, its media type, the reports and,
    report by report, the encounter the rules saw (``ClaimCheck.checked``)."""

    media_type: str
    body: bytes
    reports: list[dict[str, Any]]
    rejected: bool
    checked: tuple[Encounter | None, ...] = ()


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
    buffered, fmt = _buffered(stream, name, input_format)
    if fmt == "x12":
        yield from _check_x12(buffered, name, checker, program, output)
    else:
        yield from check_fhir_document(
            _fhir_json(buffered, name),
            name,
            checker=checker,
            program=program,
            output=output,
        )


def claims_encounters(
    stream: BinaryIO,
    name: str,
    *,
    checker: Checker | None = None,
    input_format: str | None = None,
    program: str | None = None,
) -> Iterator[SourceEncounter]:
    """Every encounter of an X12 837 or FHIR file, in file order, unchecked.

    The same readers, payer profiles and ``program`` as :func:`check_claims`, so
    ``check_source`` then checks each exactly as ``check`` does (``fluorocode
    replay``). X12 is read one transaction set at a time.

    Raises:
        as :func:`check_claims`.
    """
    checker = checker or Checker()
    program = checker.claims_program(program)
    buffered, fmt = _buffered(stream, name, input_format)
    if fmt == "x12":
        from fluorocode.adapters.claims.reader import x12_encounters

        yield from x12_encounters(buffered, name, program, checker.payers.by_x12_id)
    else:
        yield from fhir_document_encounters(
            _fhir_json(buffered, name), name, checker=checker, program=program
        )


def fhir_document_encounters(
    doc: Any, name: str, *, checker: Checker | None = None, program: str | None = None
) -> Iterator[SourceEncounter]:
    """Every encounter of a decoded FHIR ``Claim`` or ``Bundle``, unchecked (as
    :func:`claims_encounters`)."""
    checker = checker or Checker()
    program = checker.claims_program(program)
    from fluorocode.adapters.claims.fhir_claim import read_fhir  # pydantic

    for claim in read_fhir(doc, name, program, checker.payers.by_fhir_id):
        yield from claim.encounters


def _buffered(
    stream: BinaryIO, name: str, input_format: str | None
) -> tuple[BinaryIO, str]:
    """The stream, peekable, and its claims format (``x12`` or ``fhir``).

    Raises:
        ClaimsFormatError: the content is neither.
    """
    buffered = peekable(stream)
    fmt = input_format or claims_format(buffered.peek(4096)[:4096])
    if fmt not in ("x12", "fhir"):
        raise ClaimsFormatError(
            f"{name}: not an X12 837 or FHIR document (format {fmt!r})"
        )
    return buffered, fmt


def _fhir_json(stream: BinaryIO, name: str) -> Any:
    """A FHIR file decoded whole, or where it is not JSON."""
    try:
        return json_decode(stream.read())
    except JsonDocumentError as exc:
        raise FhirMappingError(
            name, f"line {exc.line}, column {exc.column}", exc.reason
        ) from None


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
        traced = [check_source_traced(checker, enc) for enc in claim.encounters]
        pairs = [(e, r) for e, (r, _) in zip(claim.encounters, traced, strict=True)]
        outcome = claim_outcome(claim.ordinal, claim.encounters[0].claim_id, pairs)
        if output is not None:
            if outcome.written:
                entries.append(corrected_claim(claim, outcome))
            entries.append(operation_outcome(pairs, outcome))
        checks += _claim_checks(pairs, traced, outcome, output is not None)
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
    (FHIR in only). The reports are in ``reports`` whatever the body, and the
    encounters the rules saw in ``checked`` (for the audit trail's replay block).

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
    checked = tuple(c.checked for c in checks)
    return ClaimsAnswer(CLAIMS_MEDIA_TYPES[wanted], data, reports, rejected, checked)


def peekable(stream: BinaryIO) -> io.BufferedReader:
    """``stream`` as a buffered reader whose head can be peeked at (itself if it is one)."""
    if isinstance(stream, io.BufferedReader):
        return stream
    return io.BufferedReader(_RawStream(stream))


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
            traced = [check_source_traced(checker, enc) for enc in claim.encounters]
            pairs = [(e, r) for e, (r, _) in zip(claim.encounters, traced, strict=True)]
            outcome = claim_outcome(claim.ordinal, claim.encounters[0].claim_id, pairs)
            outcomes[claim.ordinal] = outcome
            checks += _claim_checks(pairs, traced, outcome, output is not None)
        if writer is not None:
            writer.transaction(item, claims, outcomes)
        yield from checks
    if writer is not None:
        writer.close(reader.tail)


def _claim_checks(
    pairs: Sequence[tuple[SourceEncounter, Report]],
    traced: Sequence[tuple[Report, Encounter | None]],
    outcome: ClaimOutcome,
    writing: bool,
) -> list[ClaimCheck]:
    out = []
    for (enc, report), (_, checked) in zip(pairs, traced, strict=True):
        source = dict(enc.source)
        if writing:
            source["written"] = outcome.written
            if outcome.why_not:
                source["not_written_because"] = outcome.why_not
        out.append(ClaimCheck(report, source, checked))
    return out


def check_source(checker: Checker, enc: SourceEncounter) -> Report:
    """Validate and check one encounter read from a claim, naming source places."""
    return check_source_traced(checker, enc)[0]


def check_source_traced(
    checker: Checker, enc: SourceEncounter
) -> tuple[Report, Encounter | None]:
    """``check_source``, and the encounter as the rules saw it (as
    ``Checker.check_traced``); None when no edition checked it: rejected, or not
    subject to the edits (an inpatient bill, no line to check)."""
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
        return Report(enc_id, ReportStatus.REJECTED, None, errors=tuple(errors)), None
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
        return Report(enc_id, ReportStatus.NO_DATA, None, lines, (finding,)), None
    encounter = read_encounter_note(encounter)  # a claim has none: as check_traced
    return checker.check_encounter(encounter), encounter


# -- batch (issue 10) ------------------------------------------------------------------

#: The batch engines ``run_batch`` knows.
