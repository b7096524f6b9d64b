"""Fluoroscopy time: every stated time, converted to minutes, and the one to keep.

The ``time`` patterns find a labelled value ("Fluoroscopy time: 1:32", "total
fluoroscopic time was 2 minutes 15 seconds", "FT 0.8 min", "1.4 minutes of fluoroscopy
time"). They tell the reader how to convert through named groups:

==================  ===========================================================
group               meaning
==================  ===========================================================
``clock``           ``m:ss`` or ``h:mm:ss`` ("1:32" = 1.53 min, "00:48" = 0.8)
``minutes``         minutes, with optional ``minute_seconds`` ("2 min 15 s")
``seconds``         seconds only ("48 seconds")
``hours``           hours, with optional ``hour_minutes``
``bare``            a number with no unit: minutes, unless ``label_unit`` says
                    seconds ("Fluoroscopy time (s): 48"); a warning says so
``neg``             a minus sign in front of the value
``bound``           "less than", "under", "up to" ...: a bound, not a value
==================  ===========================================================

Minutes are rounded to two decimals (the contract's ``1:32`` -> ``1.53``). When a note
states several times, the one labelled total/cumulative is kept, else the first; the
reader reports the other, different values in warnings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fluorocode.extraction._text import Hit, Scan, parse_number
from fluorocode.extraction.ruleset import Category, PatternSet

__all__ = ["TimeReading", "choose_time", "read_times"]

_TOTAL_LOOKBACK = 24


@dataclass(frozen=True, slots=True)
class TimeReading:
    """One stated fluoroscopy time.

    Attributes:
        hit: the match (span and pattern id).
        minutes: the value in minutes, sign included, rounded to 0.01.
        is_total: labelled total/cumulative.
        unit_assumed: no unit was written; minutes were assumed.
        bound: the note gives a bound ("less than 1 minute"), not a value.
    """

    hit: Hit
    minutes: float
    is_total: bool
    unit_assumed: bool
    bound: str | None = None


def read_times(scan: Scan, patterns: PatternSet) -> list[TimeReading]:
    """Every fluoroscopy time stated in the note, in order of position."""
    totals = patterns.of(Category.TOTAL_CUE)
    readings: list[TimeReading] = []
    for hit in _first_per_span(scan.find(patterns.of(Category.TIME))):
        value = _minutes(hit.match)
        if value is None:
            continue
        minutes, assumed = value
        lo = max(0, hit.start - _TOTAL_LOOKBACK)
        is_total = any(t.regex.search(scan.text, lo, hit.end) for t in totals)
        bound = _group(hit.match, "bound")
        readings.append(TimeReading(hit, round(minutes, 2), is_total, assumed, bound))
    return readings


def choose_time(readings: list[TimeReading]) -> TimeReading | None:
    """The reading to keep: the first total/cumulative one, else the first."""
    if not readings:
        return None
    for reading in readings:
        if reading.is_total:
            return reading
    return readings[0]


def _first_per_span(hits: list[Hit]) -> list[Hit]:
    """Overlapping matches of different patterns count once (the earliest, longest)."""
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if kept and hit.start < kept[-1].end:
            continue
        kept.append(hit)
    return kept


def _group(match: re.Match[str], name: str) -> str | None:
    if name not in match.re.groupindex:
        return None
    return match.group(name)


def _minutes(match: re.Match[str]) -> tuple[float, bool] | None:
    sign = -1.0 if _group(match, "neg") else 1.0
    clock = _group(match, "clock")
    if clock:
        parts = [int(p) for p in clock.split(":")]
        if len(parts) == 3:
            h, m, s = parts
            return sign * (h * 60 + m + s / 60), False
        m, s = parts
        return sign * (m + s / 60), False
    hours = _group(match, "hours")
    if hours:
        extra = _group(match, "hour_minutes")
        total = parse_number(hours) * 60 + (parse_number(extra) if extra else 0.0)
        return sign * total, False
    minutes = _group(match, "minutes")
    if minutes:
        extra = _group(match, "minute_seconds")
        total = parse_number(minutes) + (parse_number(extra) / 60 if extra else 0.0)
        return sign * total, False
    seconds = _group(match, "seconds")
    if seconds:
        return sign * parse_number(seconds) / 60, False
    bare = _group(match, "bare")
    if bare:
        unit = (_group(match, "label_unit") or "").lower()
        if unit.startswith("s"):
            return sign * parse_number(bare) / 60, False
        return sign * parse_number(bare), not unit.startswith("m")
    return None
