"""Radiation dose: reference air kerma (mGy) and dose-area product (Gy·cm²).

The ``dose`` patterns find a number with a gray-based unit. Named groups:
``value`` (the number, thousands separators allowed), ``neg`` (a minus sign),
``prefix`` (m, c, d, µ/u/mc, or a spelled-out milli/centi/deci/micro: see the pattern
set's ``unit_words``), ``gray`` (Gy / gray), and for an area unit ``area`` (cm or m,
squared) with ``sep`` (the separator; a ``/`` is the known misprint for a product,
domain.md §5.2, read as one and warned about). Arithmetic is pint's, through
:mod:`fluorocode.domain.quantities`.

* A value with an **area** unit is a dose-area product. Nothing else is measured in
  Gy·cm², so no label is needed.
* A value in **Gy/mGy/cGy** is an air kerma only when its context says so, because
  radiotherapy doses ("5040 cGy in 28 fractions"), skin-dose estimates and CT doses use
  the same units. The nearest label before the value decides (same sentence, within
  ``_LOOKBACK`` characters): a ``kerma_exclude`` label (skin dose, fractions, XRT, CTDI,
  tumour ...) rejects it; a ``kerma_cue`` (air kerma, Ka,r, reference point, x-ray or
  fluoroscopy dose) accepts it; a ``kerma_cue_weak`` label ("radiation dose", "dose",
  a fluoroscopy word) accepts it only for a value written in mGy and only in a note
  that mentions fluoroscopy. With no label before it, an air-kerma label right after
  the value counts ("7.4 mGy air kerma"). An exclusion right after the value ("2 Gy in
  5 fractions", "1.2 Gy peak skin dose") rejects it in any case. "Right after" ends at
  a comma, a bracket, "and"/"with" or the end of the sentence.

The unit is rebuilt from the named groups into one canonical spelling (``mGy``,
``µGy·m²`` ...) so that any case or separator works ("GY-CM2", "Gycm2", "Gy x cm2").

When several values of one kind are read, the one labelled total/cumulative is kept,
else the first; the reader reports the other, different values in warnings.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from enum import Enum

from fluorocode.domain.quantities import to_gy_cm2, to_mgy
from fluorocode.errors import QuantityError
from fluorocode.extraction._text import Hit, Scan, Span, parse_number
from fluorocode.extraction.ruleset import Category, PatternSet

__all__ = ["DoseKind", "DoseReading", "choose_dose", "read_doses"]

_LOOKBACK = 80  # characters before a value searched for its label
_LOOKAHEAD = 30  # characters after a value searched for an exclusion
_LABEL_REACH = 40  # room for a label that straddles the look-back/-ahead edge
# The words right after a value describe it ("in 28 fractions", "peak skin dose") until
# a comma, a bracket, "and"/"with" or the sentence's end: past those the next value's
# label begins ("12 mGy and DAP 1.2 Gy·cm²").
_AFTER_STOP = re.compile(r"[,;\n(]|\.(?:\s|$)|\b(?:and|with)\b", re.IGNORECASE)
_PREFIX_SYMBOL = {"": "", "m": "m", "c": "c", "d": "d", "u": "µ", "µ": "µ", "μ": "µ"}


class DoseKind(Enum):
    """Which dose metric a value is."""

    AIR_KERMA = "air_kerma_mgy"
    DOSE_AREA_PRODUCT = "dose_area_product_gycm2"


@dataclass(frozen=True, slots=True)
class DoseReading:
    """One dose value read from the note.

    Attributes:
        hit: the value with its unit (span and pattern id).
        kind: air kerma or dose-area product.
        value: normalised (mGy or Gy·cm²), sign included.
        unit: the unit as understood, canonical spelling (``mGy``, ``µGy·m²``).
        is_total: labelled total/cumulative.
        slash_as_product: the unit was written with a slash (``cGy/cm²``).
        cue: the label that made a Gy value an air kerma (None for DAP).
    """

    hit: Hit
    kind: DoseKind
    value: float
    unit: str
    is_total: bool
    slash_as_product: bool
    cue: Hit | None = None


def read_doses(
    scan: Scan, patterns: PatternSet, mentions_fluoroscopy: bool
) -> list[DoseReading]:
    """Every air kerma and dose-area product stated in the note, in order."""
    values = scan.find(patterns.of(Category.DOSE))
    if not values:
        return []
    sentences = _sentences(scan, values)
    labels = _Labels(scan, patterns, sentences)
    readings: list[DoseReading] = []
    seen_end = -1
    for hit in values:
        if hit.start < seen_end:
            continue
        reading = _reading(scan, hit, patterns, labels, mentions_fluoroscopy)
        if reading is not None:
            readings.append(reading)
            seen_end = hit.end
    return readings


def choose_dose(readings: list[DoseReading], kind: DoseKind) -> DoseReading | None:
    """The reading of one kind to keep: first total/cumulative one, else the first."""
    of_kind = [r for r in readings if r.kind is kind]
    if not of_kind:
        return None
    for reading in of_kind:
        if reading.is_total:
            return reading
    return of_kind[0]


def _sentences(scan: Scan, values: list[Hit]) -> list[Span]:
    """Where labels can matter: each value's sentence, cut to its look-back/-ahead."""
    spans: list[Span] = []
    for v in values:
        start, end = scan.widen(scan.sentence(v.start))
        start = max(start, v.start - _LOOKBACK - _LABEL_REACH)
        end = min(max(end, v.end), v.end + _LOOKAHEAD + _LABEL_REACH)
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


class _Labels:
    """The kerma labels and total cues of the dose sentences, for bisection."""

    def __init__(self, scan: Scan, patterns: PatternSet, within: list[Span]) -> None:
        ranked: list[tuple[int, int, Hit]] = []  # (end, rank, hit); exclusion ranks top
        for category, rank in (
            (Category.KERMA_CUE_WEAK, 0),
            (Category.KERMA_CUE, 1),
            (Category.KERMA_EXCLUDE, 2),
        ):
            for h in scan.find(patterns.of(category), within=within):
                ranked.append((h.end, rank, h))
        ranked.sort(key=lambda r: (r[0], r[1]))
        self.ranked = ranked
        self.ends = [r[0] for r in ranked]
        starts = sorted((r[2].start, r[1], r[2]) for r in ranked)
        self.by_start = starts
        self.starts = [r[0] for r in starts]
        totals = scan.find(patterns.of(Category.TOTAL_CUE), within=within)
        self.total_ends = [h.end for h in totals]

    def nearest_before(self, lo: int, pos: int) -> tuple[int, Hit] | None:
        """The label ending last in [lo, pos] (an exclusion wins a tie)."""
        i = bisect_right(self.ends, pos) - 1
        if i < 0 or self.ends[i] < lo:
            return None
        _, rank, hit = self.ranked[i]
        if hit.start < lo:
            return None
        return rank, hit

    def after(self, start: int, end: int, rank: int) -> Hit | None:
        """The first label of ``rank`` starting in [start, end)."""
        i = bisect_left(self.starts, start)
        while i < len(self.starts) and self.starts[i] < end:
            _, r, hit = self.by_start[i]
            if r == rank and hit.end <= end:
                return hit
            i += 1
        return None

    def total_before(self, lo: int, pos: int) -> bool:
        """A total/cumulative cue ends in [lo, pos]."""
        i = bisect_right(self.total_ends, pos) - 1
        return i >= 0 and self.total_ends[i] >= lo


def _reading(
    scan: Scan,
    hit: Hit,
    patterns: PatternSet,
    labels: _Labels,
    mentions_fluoroscopy: bool,
) -> DoseReading | None:
    m = hit.match
    unit = _canonical_unit(m, patterns.unit_words)
    if unit is None:
        return None
    canonical, is_area = unit
    sign = -1.0 if m.groupdict().get("neg") else 1.0
    try:
        magnitude = parse_number(m.group("value"))
        if is_area:
            value = to_gy_cm2(magnitude, canonical)
        else:
            value = to_mgy(magnitude, canonical)
    except (QuantityError, ValueError):
        return None
    value = sign * float(f"{value:.12g}")  # drop binary noise from unit factors
    # A label may sit inside the match ("Air kerma (mGy): 7"): look back from the number.
    value_at = m.start("value")
    sentence_start = scan.widen(scan.sentence(hit.start))[0]
    lo = max(sentence_start, value_at - _LOOKBACK)
    is_total = labels.total_before(max(lo, value_at - 40), value_at)
    slash = m.groupdict().get("sep") == "/"
    if is_area:
        return DoseReading(
            hit, DoseKind.DOSE_AREA_PRODUCT, value, canonical, is_total, slash
        )
    cue = _kerma_cue(
        scan, hit, value_at, lo, labels, canonical == "mGy", mentions_fluoroscopy
    )
    if cue is None:
        return None
    return DoseReading(hit, DoseKind.AIR_KERMA, value, canonical, is_total, False, cue)


def _canonical_unit(
    m: re.Match[str], unit_words: dict[str, str]
) -> tuple[str, bool] | None:
    """The unit as ``(canonical spelling, is an area unit)``, or None if unknown."""
    groups = m.groupdict()
    raw_prefix = (groups.get("prefix") or "").lower()
    prefix = _PREFIX_SYMBOL.get(unit_words.get(raw_prefix, raw_prefix))
    if prefix is None:
        return None
    area = (groups.get("area") or "").lower()
    if not area:
        return f"{prefix}Gy", False
    return f"{prefix}Gy·{area}²", True


def _kerma_cue(
    scan: Scan,
    hit: Hit,
    value_at: int,
    lo: int,
    labels: _Labels,
    is_mgy: bool,
    mentions_fluoroscopy: bool,
) -> Hit | None:
    """The label that makes this Gy value an air kerma, or None if it is not one."""
    text = scan.text
    after_end = min(len(text), hit.end + _LOOKAHEAD)
    stop = _AFTER_STOP.search(text, hit.end, after_end)
    after_end = stop.start() if stop else after_end
    if labels.after(hit.end, after_end, rank=2) is not None:
        return None  # "2 Gy in 5 fractions", "1.2 Gy peak skin dose"
    nearest = labels.nearest_before(lo, value_at)
    if nearest is None:
        return labels.after(hit.end, after_end, rank=1)  # "7.4 mGy air kerma"
    rank, cue = nearest
    if rank == 2:
        return None
    if rank == 0 and not (is_mgy and mentions_fluoroscopy):
        return None
    return cue
