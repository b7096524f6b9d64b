"""The documentation around the fluoroscopy: indication, images, report, stand-alone.

Indication (domain.md §5.5: its own indication), first rule that yields a phrase wins:

1. An ``indication_header`` section (INDICATION(S) [FOR ...], REASON FOR ..., CLINICAL
   HISTORY, HISTORY ...), headers tried in the pattern set's order. The section runs to
   the next ``section_header`` line or a blank line. The phrase is its first sentence,
   or, when it opens with a numbered list, the list items joined by "; ". A first
   sentence that only introduces the patient (``indication_intro``: "This is a
   44-year-old female.") is taken together with the next one.
2. A pre-procedure diagnosis phrased as a need ("Chemotherapy required"): an
   ``indication_need`` line inside a ``diagnosis_header`` section.
3. A narrative sentence holding an ``indication_narrative`` cue ("has been referred
   for ...", "brought to the operating room for ...").

A bare diagnosis list is *not* an indication. Phrases are capped at ``MAX_PHRASE``
characters (cut at a word boundary).

Images saved / separate report: a positive pattern that no negative pattern overlaps
gives True ("images were saved", "hard copy", "see separate radiology report"); a
negative one gives False ("no images were saved"). A note that *is* a radiology report
(it opens with an ``EXAM:`` header: ``report_self``) is its own interpretation report.

Stand-alone: a ``standalone_study`` match (fluoroscopic swallow, sniff test, barium
study, foreign-body localisation, stress/dynamic views) gives True; otherwise a
``guidance`` match (under fluoroscopic guidance, confirmed with the C-arm) gives False.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fluorocode.extraction._text import (
    Scan,
    Span,
    collapse,
    iter_lines,
    without_overlaps,
)
from fluorocode.extraction.ruleset import Category, PatternSet

__all__ = [
    "Finding",
    "read_flag",
    "read_indication",
    "read_report_self",
    "read_standalone",
]

MAX_PHRASE = 240
_SECTION_REACH = 3000  # a section longer than this is cut (keeps lookups local)
_MAX_ITEMS = 4
_LIST_ITEM = re.compile(r"[ \t]*(?:\d{1,2}[.)]|[-*•])[ \t]+")
# A full stop ends a sentence unless it closes a title or a one-letter initial.
_SENTENCE_END = re.compile(
    r"(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\b[A-Z])[.!?](?=\s|$)"
)


@dataclass(frozen=True, slots=True)
class Finding:
    """A value read from the note, with the span and pattern behind it."""

    value: str | bool
    start: int
    end: int
    pattern: str


def read_indication(scan: Scan, patterns: PatternSet) -> Finding | None:
    """The indication phrase, or None when the note gives none."""
    for compiled in patterns.of(Category.INDICATION_HEADER):
        for header in scan.find((compiled,)):
            found = _section_phrase(scan.text, header.end, patterns)
            if found is not None:
                start, end, phrase = found
                return Finding(phrase, start, end, compiled.id)
    need = _need_in_diagnoses(scan, patterns)
    if need is not None:
        return need
    cue = scan.first(patterns.of(Category.INDICATION_NARRATIVE))
    if cue is not None:
        start, end = scan.sentence(cue.start)
        start = _after_header(scan.text, start, cue.start, patterns)
        phrase = _cap(collapse(scan.text[start:end]).rstrip("."))
        if phrase:
            return Finding(phrase, start, end, cue.pattern)
    return None


def read_flag(
    scan: Scan, patterns: PatternSet, positive: Category, negative: Category
) -> Finding | None:
    """True/False from positive and negative patterns; negatives mask positives."""
    first = scan.first(patterns.of(positive))
    if first is None:  # no positive: the first negative, if any
        h = scan.first(patterns.of(negative))
        return None if h is None else Finding(False, h.start, h.end, h.pattern)
    # A negative that masks the first positive overlaps it, so lies in its sentence:
    # when none does, that positive is the answer without reading the whole note.
    around = [scan.widen(scan.sentence(first.start))]
    if not any(n.overlaps(first) for n in scan.find(patterns.of(negative), around)):
        return Finding(True, first.start, first.end, first.pattern)
    negatives = scan.find(patterns.of(negative))
    positives = without_overlaps(scan.find(patterns.of(positive)), negatives)
    if positives:
        h = positives[0]
        return Finding(True, h.start, h.end, h.pattern)
    if negatives:
        h = negatives[0]
        return Finding(False, h.start, h.end, h.pattern)
    return None


def read_report_self(scan: Scan, patterns: PatternSet) -> Finding | None:
    """True when the note opens as a radiology report (patterns matched at offset 0)."""
    for compiled in patterns.of(Category.REPORT_SELF):
        m = compiled.regex.match(scan.text)
        if m and m.end() > 0:
            return Finding(True, m.start(), m.end(), compiled.id)
    return None


def read_standalone(
    scan: Scan, patterns: PatternSet, mention_sentences: list[Span]
) -> Finding | None:
    """True for a stand-alone diagnostic study, False for guidance, else None.

    Guidance patterns are looked for only in sentences that mention fluoroscopy.
    """
    hit = scan.first(patterns.of(Category.STANDALONE_STUDY))
    if hit is not None:
        return Finding(True, hit.start, hit.end, hit.pattern)
    hit = scan.first(patterns.of(Category.GUIDANCE), within=mention_sentences)
    if hit is not None:
        return Finding(False, hit.start, hit.end, hit.pattern)
    return None


def _section_end(text: str, start: int, patterns: PatternSet) -> int:
    """Where the section starting at ``start`` ends: a blank line or a header line."""
    limit = min(len(text), start + _SECTION_REACH)
    headers = patterns.of(Category.SECTION_HEADER)
    for line_start, line_end in iter_lines(text, start, limit):
        if line_start == start:
            continue  # the rest of the header's own line
        if not text[line_start:line_end].strip():
            return line_start
        if any(c.regex.match(text, line_start, line_end) for c in headers):
            return line_start
    return limit


def _section_phrase(
    text: str, body: int, patterns: PatternSet
) -> tuple[int, int, str] | None:
    """(start, end, phrase) of the section starting at ``body``, or None if empty."""
    while body < len(text) and text[body] in " \t:":
        body += 1
    if body < len(text) and text[body] == "\n":
        body += 1  # header alone on its line: the section starts on the next one
    end = _section_end(text, body, patterns)
    lines = [(s, e) for s, e in iter_lines(text, body, end) if text[s:e].strip()]
    if not lines:
        return None
    s0, e0 = lines[0]
    if _LIST_ITEM.match(text, s0, e0):
        items: list[str] = []
        last_end = e0
        for s, e in lines[:_MAX_ITEMS]:
            item = _LIST_ITEM.match(text, s, e)
            if item is None:
                break
            items.append(collapse(text[item.end() : e]).rstrip("."))
            last_end = e
        phrase = _cap("; ".join(i for i in items if i))
        first = _LIST_ITEM.match(text, s0, e0)
        start = first.end() if first else s0
        return (start, last_end, phrase) if phrase else None
    start = _skip_space(text, s0, e0)
    stop = _sentence_stop(text, start, e0)
    intros = patterns.of(Category.INDICATION_INTRO)
    if stop < e0 and any(c.regex.fullmatch(text, start, stop) for c in intros):
        stop = _sentence_stop(text, stop, e0)  # the intro alone says nothing
    phrase = _cap(collapse(text[start:stop]).rstrip("."))
    if not phrase:
        return None
    return start, stop, phrase


def _after_header(text: str, start: int, limit: int, patterns: PatternSet) -> int:
    """Skip a section header ("OPERATIVE NARRATIVE:") opening a narrative sentence."""
    for compiled in patterns.of(Category.SECTION_HEADER):
        m = compiled.regex.match(text, start, limit)
        if m and text[m.end() - 1] == ":":
            return _skip_space(text, m.end(), limit)
    return start


def _sentence_stop(text: str, start: int, end: int) -> int:
    m = _SENTENCE_END.search(text, start, end)
    return m.end() if m else end


def _need_in_diagnoses(scan: Scan, patterns: PatternSet) -> Finding | None:
    text = scan.text
    needs = patterns.of(Category.INDICATION_NEED)
    for header in scan.find(patterns.of(Category.DIAGNOSIS_HEADER)):
        body = header.end
        end = _section_end(text, body, patterns)
        for compiled in needs:
            m = compiled.regex.search(text, body, end)
            if m:
                s, e = m.span("phrase") if "phrase" in m.re.groupindex else m.span()
                s = _skip_space(text, s, e)
                phrase = _cap(collapse(text[s:e]).rstrip("."))
                if phrase:
                    return Finding(phrase, s, e, compiled.id)
    return None


def _skip_space(text: str, start: int, end: int) -> int:
    while start < end and text[start].isspace():
        start += 1
    return start


def _cap(phrase: str) -> str:
    if len(phrase) <= MAX_PHRASE:
        return phrase
    cut = phrase.rfind(" ", 0, MAX_PHRASE)
    return phrase[: cut if cut > 0 else MAX_PHRASE].rstrip(" ,;")
