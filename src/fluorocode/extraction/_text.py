"""Text mechanics shared by the readers: one prepared note, hits, sentences, numbers.

No clinical phrase lives here (they are in the pattern data). :class:`Scan` makes a
note cheap to search:

* sentence boundaries are found once (a full stop, ``!``, ``?`` or ``;`` before white
  space, or a line break; common abbreviations such as "Dr." and "approx." do not end a
  sentence) and looked up by bisection;
* literals are found with ``str.find`` on a lower-cased copy of the note (a literal
  with an upper-case letter is looked up case-sensitively in the note itself);
* a pattern with ``starts`` is tried (``regex.match``) only where one of them occurs,
  up to the end of that sentence;
* a pattern with ``anchors`` is run only over the sentences that contain one; a
  pattern beginning with ``^`` is tried at the start of each line holding one;
* the pattern data promises that every match begins with one of its ``starts`` /
  contains one of its ``anchors`` and stays inside one sentence, so the result is the
  same as a search of the whole note, at a fraction of the cost. A literal so frequent
  that it is everywhere falls back to an ordinary search;
* sentence windows never overlap, so every character is searched at most once per
  pattern: the cost grows linearly with the length of the note;
* at most ``MAX_HITS`` matches of one pattern are read (``Scan.truncated`` names the
  patterns cut short), so a pathological note (a dose value repeated a million times)
  costs regex time, not Python time. No real note comes near the limit.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from fluorocode.extraction.ruleset import Compiled

# The first item is a character set so that the engine can skip ahead quickly; the
# look-behinds (which include the boundary character itself) keep "Dr.", "approx." and
# one-letter initials from ending a sentence.
_BOUNDARY = re.compile(
    r"[.!?;\n](?:(?<=\n)|(?=\s|$)(?<!\bdr.)(?<!\bmr.)(?<!\bms.)(?<!\bmrs.)"
    r"(?<!\bvs.)(?<!\bapprox.)(?<!\bca.)(?<!\bno.)(?<!\bst.)(?<!\bfig.)(?<!\b[a-z].))",
    re.IGNORECASE,
)
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}

Span = tuple[int, int]

MAX_HITS = 1000
# A literal this frequent (occurrences per character) is everywhere: search the whole
# text at once instead of trying it occurrence by occurrence.
_DENSE = 1 / 48


@dataclass(frozen=True, slots=True)
class Hit:
    """One pattern match: where it is, which pattern made it, and the match itself."""

    start: int
    end: int
    pattern: str
    match: re.Match[str]

    def overlaps(self, other: Hit) -> bool:
        """True when the two spans share at least one character."""
        return self.start < other.end and other.start < self.end


@cache
def _has_upper(literal: str) -> bool:
    return literal != literal.lower()


class Scan:
    """One note prepared for searching (see the module docstring)."""

    def __init__(self, text: str) -> None:
        self.text = text
        low = text.lower()
        # str.lower() may lengthen a string (e.g. "İ"); offsets must stay aligned.
        self.low = low if len(low) == len(text) else text.translate(_ASCII_LOWER)
        self._starts: list[int] = []  # where each boundary begins
        self._ends: list[int] = []  # where the sentence after it begins
        for m in _BOUNDARY.finditer(text):
            self._starts.append(m.start())
            self._ends.append(m.end())
        self._windows: dict[tuple[str, ...], list[Span]] = {}
        self._positions: dict[str, list[int]] = {}
        self._dense_cap = max(16, int(len(text) * _DENSE))
        self.truncated: set[str] = set()

    # --- sentences -------------------------------------------------------------------
    def sentence(self, pos: int) -> Span:
        """The sentence holding ``pos``: (start, end), edge white space excluded."""
        i = bisect_right(self._ends, pos) - 1
        start = self._ends[i] if i >= 0 else 0
        end = self.sentence_end(max(pos, start))
        text = self.text
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        return start, end

    def sentence_end(self, pos: int) -> int:
        """End of the sentence holding ``pos`` (after its full stop, before a break)."""
        j = bisect_left(self._starts, pos)
        if j == len(self._starts):
            return len(self.text)
        b = self._starts[j]
        return b if self.text[b] == "\n" else b + 1

    def sentence_start(self, pos: int) -> int:
        """Start of the sentence holding ``pos``."""
        return self.sentence(pos)[0]

    def crosses_boundary(self, start: int, end: int) -> bool:
        """True when ``text[start:end]`` holds a sentence boundary."""
        i = bisect_left(self._starts, start)
        return i < len(self._starts) and self._starts[i] < end

    # --- literals and windows --------------------------------------------------------
    def positions(self, literal: str) -> list[int]:
        """Every offset where ``literal`` occurs (listing stops past a dense cap)."""
        found = self._positions.get(literal)
        if found is None:
            hay = self.text if _has_upper(literal) else self.low
            found = []
            cap = self._dense_cap
            i = hay.find(literal)
            while i != -1 and len(found) <= cap:
                found.append(i)
                i = hay.find(literal, i + 1)
            self._positions[literal] = found
        return found

    def windows(self, anchors: tuple[str, ...]) -> list[Span]:
        """The sentences holding any of the anchors, merged, in order."""
        cached = self._windows.get(anchors)
        if cached is not None:
            return cached
        positions = self._occurrences(anchors)
        spans: list[Span] = []
        if positions is None:
            spans.append((0, len(self.text)))
        else:
            for pos in positions:
                if spans and pos < spans[-1][1]:
                    continue
                start, end = self.sentence(pos)
                if spans and start < spans[-1][1]:
                    start = spans[-1][1]
                if end > start:
                    spans.append((start, end))
        self._windows[anchors] = spans
        return spans

    # --- searching -------------------------------------------------------------------
    def find(
        self, patterns: Iterable[Compiled], within: list[Span] | None = None
    ) -> list[Hit]:
        """Every non-empty match of the patterns, sorted by position.

        Args:
            patterns: compiled patterns, searched as their ``starts``/``anchors`` allow.
            within: search only these spans (normally whole sentences); a match
                cannot run past the end of its span, and the pattern's literals are
                looked up inside the span only.
        """
        hits: list[Hit] = []
        for c in patterns:
            found = self._search(c, within)
            if len(found) >= MAX_HITS:
                self.truncated.add(c.id)
                del found[MAX_HITS:]
            hits.extend(found)
        hits.sort(key=lambda h: (h.start, h.end))
        return hits

    def first(
        self, patterns: Iterable[Compiled], within: list[Span] | None = None
    ) -> Hit | None:
        """The earliest match of any of the patterns, or None.

        With ``within``, the spans are tried in order and the search stops at the
        first span holding a match.
        """
        patterns = tuple(patterns)
        if within is not None:
            for span in within:
                hits = [h for c in patterns for h in self._in_window(c, *span, 1)]
                if hits:
                    return min(hits, key=lambda h: (h.start, h.end))
            return None
        hits = [h for c in patterns for h in self._search(c, None, limit=1)]
        return min(hits, key=lambda h: (h.start, h.end), default=None)

    def _search(
        self, c: Compiled, within: list[Span] | None, limit: int = MAX_HITS
    ) -> list[Hit]:
        if within is not None:
            hits: list[Hit] = []
            for start, end in within:
                hits.extend(self._in_window(c, start, end, limit - len(hits)))
                if len(hits) >= limit:
                    break
            return hits
        p = c.pattern
        if p.starts:
            occurrences = self._occurrences(p.starts)
            if occurrences is not None:
                return self._at(c, occurrences, None, limit)
        elif p.anchors and c.line_anchored:
            occurrences = self._occurrences(p.anchors)
            if occurrences is not None:
                return self._at_lines(c, occurrences, limit)
        spans = self.windows(p.anchors) if p.anchors else [(0, len(self.text))]
        return self._finditer(c, spans, limit)

    def _in_window(self, c: Compiled, start: int, end: int, limit: int) -> list[Hit]:
        """Search one sentence span, looking its literals up inside it only."""
        p = c.pattern
        if p.starts:
            occurrences: list[int] = []
            for literal in p.starts:
                hay = self.text if _has_upper(literal) else self.low
                i = hay.find(literal, start, end)
                while i != -1:
                    occurrences.append(i)
                    i = hay.find(literal, i + 1, end)
            if len(occurrences) > 1:
                occurrences = sorted(set(occurrences))
            return self._at(c, occurrences, (start, end), limit)
        if p.anchors and not any(
            (self.text if _has_upper(a) else self.low).find(a, start, end) != -1
            for a in p.anchors
        ):
            return []
        return self._finditer(c, [(start, end)], limit)

    def _finditer(self, c: Compiled, spans: list[Span], limit: int) -> list[Hit]:
        hits: list[Hit] = []
        for start, end in spans:
            for m in c.regex.finditer(self.text, start, end):
                if m.end() > m.start():
                    hits.append(Hit(m.start(), m.end(), c.id, m))
                    if len(hits) >= limit:
                        return hits
        return hits

    def _occurrences(self, literals: tuple[str, ...]) -> list[int] | None:
        """Sorted offsets of the literals; None when they are too frequent to list.

        Trying a pattern at each occurrence costs a Python call per occurrence; past
        one occurrence per ``1 / _DENSE`` characters a plain regex pass is cheaper.
        """
        found: list[int] = []
        for literal in literals:
            positions = self.positions(literal)
            found.extend(positions)
            if len(found) > self._dense_cap:
                return None
        if len(literals) > 1:
            found = sorted(set(found))
        return found

    def _at(
        self, c: Compiled, starts: list[int], window: Span | None, limit: int
    ) -> list[Hit]:
        """Try the pattern at each start offset, up to its sentence's (window's) end."""
        text = self.text
        hits: list[Hit] = []
        last_end = -1
        for pos in starts:
            if pos < last_end:
                continue
            end = window[1] if window is not None else self.sentence_end(pos)
            m = c.regex.match(text, pos, end)
            if m and m.end() > pos:
                hits.append(Hit(pos, m.end(), c.id, m))
                last_end = m.end()
                if len(hits) >= limit:
                    break
        return hits

    def _at_lines(self, c: Compiled, anchors: list[int], limit: int) -> list[Hit]:
        """Try a ``^`` pattern at the start of each line holding an anchor."""
        text = self.text
        hits: list[Hit] = []
        line_end = -1
        for pos in anchors:
            if pos < line_end:
                continue
            line_start = text.rfind("\n", 0, pos) + 1
            line_end = text.find("\n", pos)
            if line_end == -1:
                line_end = len(text)
            m = c.regex.match(text, line_start, line_end)
            if m and m.end() > m.start():
                hits.append(Hit(m.start(), m.end(), c.id, m))
                if len(hits) >= limit:
                    break
        return hits


def without_overlaps(hits: list[Hit], blockers: list[Hit]) -> list[Hit]:
    """The hits that overlap none of the blockers (both lists sorted by start)."""
    if not blockers:
        return hits
    kept: list[Hit] = []
    j = 0
    for hit in hits:
        while j < len(blockers) and blockers[j].end <= hit.start:
            j += 1
        k = j
        blocked = False
        while k < len(blockers) and blockers[k].start < hit.end:
            if blockers[k].overlaps(hit):
                blocked = True
                break
            k += 1
        if not blocked:
            kept.append(hit)
    return kept


def parse_number(raw: str) -> float:
    """A number as written in a note: thousands separators allowed ("1,250.5")."""
    return float(raw.replace(",", ""))


def iter_lines(text: str, start: int, end: int) -> Iterator[Span]:
    """(start, end) of each line of ``text[start:end]``, line break excluded."""
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl == -1 else nl
        yield pos, stop
        pos = stop + 1


def collapse(text: str) -> str:
    """White space runs folded to one space, edges stripped."""
    return " ".join(text.split())
