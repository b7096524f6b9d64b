"""What a note documents about fluoroscopy: the values, their evidence, the warnings.

:class:`NoteFacts` is the result of :func:`fluorocode.extraction.extract`. Its
:meth:`NoteFacts.to_dict` gives the contract's "Reading a note" JSON shape exactly
(``fluoroscopy_used``, ``minutes``, ``air_kerma_mgy``, ``dose_area_product_gycm2``,
``indication``, ``images_saved``, ``separate_report``, ``evidence``) plus two added keys,
``standalone`` and ``warnings``.

Conventions:

* ``None`` means "the note does not say", never zero. ``minutes=0.0`` is a statement.
* Every non-null field has at least one :class:`Evidence` span; offsets are Python
  ``str`` indices into the text exactly as given, and ``text == note[start:end]``.
* A value the note states but that is impossible or implausible (the limits of
  :mod:`fluorocode.domain.limits`, domain.md §5.4: negative, a time over 600 min, air
  kerma over 50,000 mGy, dose-area product over 10,000 Gy·cm²) is **not** kept: its
  field stays ``None`` and a :class:`FactWarning` of kind ``implausible`` carries the
  value read and where it was, so a checker can report "documented but invalid" rather
  than "missing".
* Every warning has a stable :class:`WarningKind`. Only an ``implausible`` warning's
  ``value`` is a value the note documents; a ``bound`` ("less than 1 minute") or an
  ``other_value`` is not, and must never be taken for one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = ["Evidence", "FactWarning", "NoteFacts", "WarningKind"]

FIELDS = (
    "fluoroscopy_used",
    "minutes",
    "air_kerma_mgy",
    "dose_area_product_gycm2",
    "indication",
    "images_saved",
    "separate_report",
    "standalone",
)


@dataclass(frozen=True, slots=True)
class Evidence:
    """A span of the note that supports one field.

    Attributes:
        field: the NoteFacts field this span supports.
        start: start offset (inclusive) into the text as given.
        end: end offset (exclusive).
        text: ``note[start:end]``.
        pattern: id of the pattern that made the match (provenance; not in ``to_dict``
            unless asked for).
    """

    field: str
    start: int
    end: int
    text: str
    pattern: str = ""

    def to_dict(self, *, provenance: bool = False) -> dict[str, Any]:
        """The contract's evidence object; ``provenance`` adds the pattern id."""
        out: dict[str, Any] = {
            "field": self.field,
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }
        if provenance:
            out["pattern"] = self.pattern
        return out


class WarningKind(Enum):
    """What a warning is about; the values are stable (they are in the JSON output)."""

    IMPLAUSIBLE = "implausible"  # a stated value refused: impossible or implausible
    BOUND = "bound"  # only a bound is stated ("less than 1 minute"): not a value
    OTHER_VALUE = "other_value"  # another, different value of the field, not kept
    ASSUMED_UNIT = "assumed_unit"  # no unit written; a unit was assumed
    SLASH_UNIT = "slash_unit"  # a DAP unit written with a slash, read as a product
    TRUNCATED = "truncated"  # a pattern matched too often; only the first were read


@dataclass(frozen=True, slots=True)
class FactWarning:
    """Something a reader of the facts should know: a value not kept, or read oddly.

    Attributes:
        field: the NoteFacts field concerned, or ``"note"`` for the note as a whole.
        message: what happened, in plain words.
        value: the (normalised) number read, when there was one. It is a documented
            value only for ``kind`` :attr:`WarningKind.IMPLAUSIBLE`.
        start: where it was read, when known.
        end: end of that span.
        kind: what the warning is about (keyword-only).
    """

    field: str
    message: str
    value: float | None = None
    start: int | None = None
    end: int | None = None
    kind: WarningKind = dataclasses.field(kw_only=True)

    def to_dict(self) -> dict[str, Any]:
        """A JSON object: field, kind, message, value, start, end."""
        return {
            "field": self.field,
            "kind": self.kind.value,
            "message": self.message,
            "value": self.value,
            "start": self.start,
            "end": self.end,
        }


@dataclass(frozen=True, slots=True)
class NoteFacts:
    """What one note documents about fluoroscopy.

    Attributes:
        fluoroscopy_used: True (used in this encounter), False (mentioned but not
            used: negated, planned only, historical, or a stated time of zero), None
            (never mentioned).
        minutes: fluoroscopy (beam-on) time in minutes, rounded to 0.01.
        air_kerma_mgy: cumulative reference air kerma in mGy.
        dose_area_product_gycm2: dose-area (kerma-area) product in Gy·cm².
        indication: a short phrase giving the reason for the procedure.
        images_saved: True when the note says images were saved/stored/printed,
            False when it says they were not.
        separate_report: True when a separate interpretation report is referred to,
            or the note is itself a radiology interpretation report.
        standalone: True for a stand-alone diagnostic fluoroscopic study (swallow,
            sniff test, foreign-body localisation, stress/dynamic views); False when
            fluoroscopy only guided or confirmed the procedure; None when unknown.
        evidence: spans supporting every non-null field.
        warnings: values not kept, and odd readings worth a look.
    """

    fluoroscopy_used: bool | None = None
    minutes: float | None = None
    air_kerma_mgy: float | None = None
    dose_area_product_gycm2: float | None = None
    indication: str | None = None
    images_saved: bool | None = None
    separate_report: bool | None = None
    standalone: bool | None = None
    evidence: tuple[Evidence, ...] = ()
    warnings: tuple[FactWarning, ...] = ()

    def evidence_for(self, field: str) -> tuple[Evidence, ...]:
        """The evidence spans of one field."""
        return tuple(e for e in self.evidence if e.field == field)

    def to_dict(self, *, provenance: bool = False) -> dict[str, Any]:
        """The contract JSON shape plus ``standalone`` and ``warnings``.

        Args:
            provenance: also give each evidence object its ``pattern`` id.
        """
        return {
            "fluoroscopy_used": self.fluoroscopy_used,
            "minutes": self.minutes,
            "air_kerma_mgy": self.air_kerma_mgy,
            "dose_area_product_gycm2": self.dose_area_product_gycm2,
            "indication": self.indication,
            "images_saved": self.images_saved,
            "separate_report": self.separate_report,
            "standalone": self.standalone,
            "evidence": [e.to_dict(provenance=provenance) for e in self.evidence],
            "warnings": [w.to_dict() for w in self.warnings],
        }
