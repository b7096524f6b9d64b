"""An encounter as the check contract describes it (contract.md, "Input: one encounter").

Documentation fields use ``None`` for "not documented", which is never the same as zero:
``minutes=0.0`` is a documented value (and an implausible one for billed fluoroscopy).
"""

from __future__ import annotations

from dataclasses import field
from datetime import date

from fluorocode.domain.codes import ClaimType, Program
from fluorocode.domain.values import value_type


@value_type
class ClaimLine:
    """One claim line: a code, up to four modifiers, units."""

    code: str
    modifiers: tuple[str, ...] = ()
    units: int = 1


@value_type
class Dose:
    """A documented dose value exactly as given, with its normalised magnitude."""

    value: float
    unit: str
    normalised: float  # mGy for air kerma, Gy·cm² for dose-area product


@value_type
class DistinctIndication:
    """The provider's answer to "did this fluoroscopy have its own indication?".

    ``confirmed`` is None when not asked yet; ``basis`` is one of the contract's four
    bases when confirmed.
    """

    confirmed: bool | None = None
    basis: str | None = None


@value_type
class FluoroDocumentation:
    """What the provider documented about the fluoroscopy; None = not documented."""

    indication: str | None = None
    minutes: float | None = None
    air_kerma: Dose | None = None
    dose_area_product: Dose | None = None
    images_saved: bool | None = None
    separate_report: bool | None = None
    distinct_indication: DistinctIndication = field(default_factory=DistinctIndication)

    @property
    def has_dose(self) -> bool:
        return self.air_kerma is not None or self.dose_area_product is not None


@value_type
class Encounter:
    """One encounter to check: what was billed, where, when, and what was documented."""

    id: str
    date_of_service: date
    place_of_service: str
    lines: tuple[ClaimLine, ...]
    claim_type: ClaimType = ClaimType.PROFESSIONAL
    program: Program = Program.MEDICARE
    payer: str | None = None  # a payer profile id; None: the program's built-in one
    global_billing: bool = False
    documentation: FluoroDocumentation = field(default_factory=FluoroDocumentation)
    note: str | None = None
    note_reading: NoteReading | None = None  # set by the façade after reading ``note``

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(line.code for line in self.lines)


@value_type
class NoteSpan:
    """Where in the note a documented fact was read (character offsets)."""

    field: str
    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, object]:
        return {
            "field": self.field,
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }


@value_type
class NoteReading:
    """What the clinical note says about fluoroscopy, in domain terms.

    ``filled`` names the documentation fields the note supplied because the structured
    block left them absent; ``spans`` are the evidence for them and for the flags.
    """

    fluoroscopy_used: bool | None = None
    standalone: bool | None = None
    filled: tuple[str, ...] = ()
    spans: tuple[NoteSpan, ...] = ()

    def spans_for(self, *fields: str) -> list[dict[str, object]]:
        return [s.to_dict() for s in self.spans if s.field in fields]
