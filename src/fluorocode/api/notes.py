"""Reading a note into documentation: what ``extract`` prints and what ``check`` fills."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from fluorocode.domain.claim import (
    Dose,
    Encounter,
    FluoroDocumentation,
    NoteReading,
    NoteSpan,
)

if TYPE_CHECKING:
    from fluorocode.extraction import FactWarning, NoteFacts


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
