"""Text mechanics shared by the readers: one prepared note, hits, sentences, numbers.

No clinical phrase lives here (they are in the pattern data). :class:`Scan` makes a
note cheap to search:

* sentence boundaries are found once (a full stop, ``!``, ``?`` or ``;`` before white
  space, or a line break; common abbreviations such as "Dr." and "approx." do not end a
  sentence) and looked up by bisection. A run of more than ``MAX_SENTENCE`` characters
  without one is not a sentence: it is cut, at white space where it can be, into
  pieces of at most ``MAX_SENTENCE`` (the longest sentence of the real notes is about
  1,100 characters, so real notes are never cut). Such a cut bounds the search
  windows, but it is not a boundary: a modifier still reaches across it, and the
  readers that look around a position (modifiers, dose labels) look ``WIDEN``
  characters across it (:meth:`Scan.widen`);
* literals are found with ``str.find`` on a lower-cased copy of the note (a literal
  with an upper-case letter is looked up case-sensitively in the note itself), once
  per note and only as far as a search needs (:mod:`._literals`);
* a pattern with ``starts`` is tried (``regex.match``) only where one of them occurs,
  up to the end of that sentence;
* a pattern with ``anchors`` is run only over the sentences that contain one; a
  pattern beginning with ``^`` is tried at the start of each line holding one;
* the pattern data promises that every match begins with one of its ``starts`` /
  contains one of its ``anchors`` and stays inside one sentence, so the result is the
  same as a search of the whole note, at a fraction of the cost;
* sentence windows never overlap, so every character is searched at most once per
  pattern: the cost grows linearly with the length of the note.

Bounded work (issue 11: a 5 MB note within 5x of one plain regex pass over it). A
pathological note (a dose value repeated a million times, "fluoroscopy" on every line,
5 MB without a full stop) must cost regex time in C, not Python time per occurrence,
and never a full regex pass per pattern. So, per pattern and note:

* at most ``MAX_HITS`` matches are read;
* it is tried at no more than ``MAX_TRIES`` places (literal occurrences or lines);
* the sentences it is run over total at most ``MAX_WINDOW`` characters.

A pattern cut short by any of these is named in ``Scan.truncated`` (the reader turns
that into a ``truncated`` warning): the part of the note after the cut was not read for
it. No real note comes near these bounds (the largest is about 7,000 characters), so
they change nothing for real notes; they only decide how much of a pathological one is
read.
"""

from __future__ import annotations

import operator
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import compress

from fluorocode.extraction._literals import MAX_TRIES, Literals, has_upper
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

MAX_HITS = 1000  # matches read per pattern
MAX_WINDOW = 100_000  # characters of sentences a pattern is run over
MAX_SENTENCE = 2000  # characters; a longer run without a boundary is cut
WIDEN = 400  # characters Scan.widen reaches across a cut (modifier scope is <= 200)


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


class Scan:
    """One note prepared for searching (see the module docstring)."""

    def __init__(self, text: str) -> None:
        self.text = text
        low = text.lower()
        # str.lower() may lengthen a string (e.g. "İ"); offsets must stay aligned.
        self.low = low if len(low) == len(text) else text.translate(_ASCII_LOWER)
        # where each boundary begins; every boundary is one character long, so the
        # sentence after it begins one character later
        self._hard = [m.start() for m in _BOUNDARY.finditer(text)]
        self._starts = _cut_long_runs(text, self._hard)
        self._ends = list(map((1).__add__, self._starts))
        self.cut = len(self._starts) != len(self._hard)  # a run was cut
        self._soft = set(self._starts).difference(self._hard) if self.cut else set()
        self._windows: dict[tuple[str, ...], tuple[list[Span], bool]] = {}
        # offsets of a pattern literal: Literals.positions (see extraction._literals)
        self.positions = Literals(text, self.low).positions
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
        """True when ``text[start:end]`` holds a sentence boundary (not a mere cut)."""
        i = bisect_left(self._hard, start)
        return i < len(self._hard) and self._hard[i] < end

    def widen(self, span: Span, chars: int = WIDEN) -> Span:
        """``span`` reaching ``chars`` further across a cut, never across a boundary.

        For the readers that look around a position (a mention's modifiers, a dose
        value's labels): cutting a long run must not separate "without" from the
        "fluoroscopy" after it. Without a cut in the note, ``span`` itself.
        """
        if not self.cut:
            return span
        start, end = span
        hard = self._hard
        i = bisect_left(hard, start) - 1
        lo = hard[i] + 1 if i >= 0 else 0
        j = bisect_left(hard, end)
        hi = hard[j] if j < len(hard) else len(self.text)
        return min(start, max(lo, start - chars)), max(end, min(hi, end + chars))

    # --- windows ---------------------------------------------------------------------
    def windows(
        self, anchors: tuple[str, ...], upto: int | None = None
    ) -> tuple[list[Span], bool]:
        """The sentences holding any of the anchors (before ``upto``), merged, in order.

        Returns:
            The spans, and whether they were cut short (``MAX_TRIES`` anchors or
            ``MAX_WINDOW`` characters).
        """
        cached = self._windows.get(anchors) if upto is None else None
        if cached is not None:
            return cached
        positions, cut = self._occurrences(anchors, upto)
        spans: list[Span] = []
        size = 0
        for pos in positions:
            if spans and pos < spans[-1][1]:
                continue
            if size > MAX_WINDOW:
                cut = True
                break
            start, end = self.sentence(pos)
            if spans and start < spans[-1][1]:
                start = spans[-1][1]
            if end > start:
                spans.append((start, end))
                size += end - start
        if upto is None:
            self._windows[anchors] = (spans, cut)
        return spans, cut

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
            size = 0
            for span in within:
                if size > MAX_WINDOW:
                    self.truncated.update(c.id for c in patterns)
                    return None
                size += span[1] - span[0]
                hits = [h for c in patterns for h in self._in_window(c, *span, 1)]
                if hits:
                    return min(hits, key=lambda h: (h.start, h.end))
            return None
        # Each pattern is only looked for up to where the best match so far starts:
        # once one pattern matches early, the others' literals are not looked up in
        # the rest of the note.
        best: Hit | None = None
        for c in patterns:
            bound = len(self.text) if best is None else best.start + 1
            for h in self._search(c, None, limit=1, upto=bound):
                if best is None or (h.start, h.end) < (best.start, best.end):
                    best = h
        return best

    def _search(
        self,
        c: Compiled,
        within: list[Span] | None,
        limit: int = MAX_HITS,
        upto: int | None = None,
    ) -> list[Hit]:
        """The pattern's matches in order, up to ``limit`` of them.

        ``upto`` (without ``within``): only matches starting before it are asked
        for; later ones may or may not be in the result.
        """
        if within is not None:
            hits: list[Hit] = []
            size = 0
            for start, end in within:
                if size > MAX_WINDOW:
                    self.truncated.add(c.id)
                    break
                size += end - start
                hits.extend(self._in_window(c, start, end, limit - len(hits)))
                if len(hits) >= limit:
                    break
            return hits
        p = c.pattern
        if p.starts:
            occurrences, cut = self._occurrences(p.starts, upto)
            hits = self._at(c, occurrences, None, limit)
        elif p.anchors and c.line_anchored:
            occurrences, cut = self._occurrences(p.anchors)
            hits = self._at_lines(c, occurrences, limit)
        elif p.anchors:
            # a match holds its anchor, within one sentence (a cut can be crossed)
            reach = None if upto is None else upto + MAX_SENTENCE + WIDEN
            spans, cut = self.windows(p.anchors, reach)
            hits = self._finditer(c, spans, limit)
        else:
            cut = False
            hits = self._finditer(c, [(0, len(self.text))], limit)
        if cut and len(hits) < limit:
            self.truncated.add(c.id)
        return hits

    def _in_window(self, c: Compiled, start: int, end: int, limit: int) -> list[Hit]:
        """Search one sentence span, looking its literals up inside it only."""
        p = c.pattern
        if p.starts:
            occurrences: list[int] = []
            for literal in p.starts:
                hay = self.text if has_upper(literal) else self.low
                i = hay.find(literal, start, end)
                while i != -1:
                    occurrences.append(i)
                    i = hay.find(literal, i + 1, end)
            if len(occurrences) > 1:
                occurrences = sorted(set(occurrences))
            if len(occurrences) > MAX_TRIES:
                self.truncated.add(c.id)
                del occurrences[MAX_TRIES:]
            return self._at(c, occurrences, (start, end), limit)
        if p.anchors and not any(
            (self.text if has_upper(a) else self.low).find(a, start, end) != -1
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

    def _occurrences(
        self, literals: tuple[str, ...], upto: int | None = None
    ) -> tuple[list[int], bool]:
        """Sorted offsets of the literals (before ``upto``), at most ``MAX_TRIES``.

        Returns:
            The offsets, and whether the list was cut short (a literal listed only up
            to ``MAX_TRIES + 1`` occurrences ends the merged list there).
        """
        n = len(self.text)
        stop = n if upto is None or upto > n else upto
        if len(literals) == 1:
            found, complete_to = self.positions(literals[0], stop)
        else:
            found = []
            complete_to = n
            for literal in literals:
                positions, done = self.positions(literal, stop)
                found.extend(positions)
                if done < complete_to:
                    complete_to = done
            found = sorted(set(found))
        cut = complete_to < stop
        if complete_to < n and found and found[-1] >= complete_to:
            found = found[: bisect_left(found, complete_to)]
        if len(found) > MAX_TRIES:
            found = found[:MAX_TRIES]
            cut = True
        return found, cut

    def _at(
        self, c: Compiled, starts: list[int], window: Span | None, limit: int
    ) -> list[Hit]:
        """Try the pattern at each start offset, up to its sentence's (window's) end."""
        text = self.text
        soft = self._soft
        hits: list[Hit] = []
        last_end = -1
        for pos in starts:
            if pos < last_end:
                continue
            if window is not None:
                end = window[1]
            else:
                end = self.sentence_end(pos)
                if end - 1 in soft:  # a match may run across a cut, not a boundary
                    end = self.widen((pos, end))[1]
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


def _cut_long_runs(text: str, starts: list[int]) -> list[int]:
    """Boundary offsets with runs longer than ``MAX_SENTENCE`` cut (see the docstring).

    A cut is a white-space character in the second half of the run's first
    ``MAX_SENTENCE`` characters (the last one there), else the character that ends
    them; it counts as a one-character boundary like the others.
    """
    edges = [-1, *starts, len(text)]
    gaps = map(operator.sub, edges[1:], edges[:-1])
    long = list(compress(range(len(edges) - 1), map((MAX_SENTENCE + 1).__lt__, gaps)))
    if not long:
        return starts
    out: list[int] = []
    done = 0
    for i in long:
        out.extend(starts[done:i])
        done = i
        run_start, run_end = edges[i] + 1, edges[i + 1]
        while run_end - run_start > MAX_SENTENCE:
            limit = run_start + MAX_SENTENCE
            cut = max(
                text.rfind(w, run_start + MAX_SENTENCE // 2, limit) for w in " \t"
            )
            cut = cut if cut != -1 else limit - 1
            out.append(cut)
            run_start = cut + 1
    out.extend(starts[done:])
    return out


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
