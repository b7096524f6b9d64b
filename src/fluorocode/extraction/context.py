"""Is fluoroscopy mentioned, and is each mention affirmed, negated, planned or past?

A ConText-style reader (after medspaCy's ``context`` component). *Targets* are the
``mention`` patterns (fluoroscopy, C-arm, image intensifier ...), minus anything a
``not_mention`` pattern covers (fluorouracil, fluorodeoxyglucose ...). *Modifiers* are
the ``negation``, ``hypothetical`` and ``historical`` patterns, minus anything a
``pseudo`` pattern covers ("planned and performed" is not a plan).

A modifier applies to a target when

* the target lies on the modifier's side (``direction``: forward = after it,
  backward = before it);
* at most ``scope`` characters separate them;
* no sentence boundary (full stop, ``;``, line break) and no ``terminator`` match
  ("but", "however") lies between them.

A target's status is the strongest modifier that applies: negated > hypothetical >
historical; with none it is affirmed. A target joined to the one before it by nothing
but a ``coordination`` match ("without fluoroscopy or C-arm") shares that one's status.

Because no modifier reaches across a sentence boundary, modifiers are only looked for
in the sentence of the target, and only when that target's status is asked for:
:func:`iter_mentions` is lazy, so a reader that stops at the first affirmed mention
(as :func:`fluorocode.extraction.extract` does) never looks at the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from fluorocode.extraction._text import Hit, Scan, Span, without_overlaps
from fluorocode.extraction.ruleset import Category, Direction, PatternSet

__all__ = ["Mention", "Status", "find_targets", "iter_mentions", "sentences_of"]


class Status(Enum):
    """What the note says about one mention of fluoroscopy."""

    AFFIRMED = "affirmed"
    NEGATED = "negated"
    HYPOTHETICAL = "hypothetical"
    HISTORICAL = "historical"


_STRENGTH = {
    Category.NEGATION: (3, Status.NEGATED),
    Category.HYPOTHETICAL: (2, Status.HYPOTHETICAL),
    Category.HISTORICAL: (1, Status.HISTORICAL),
}


@dataclass(frozen=True, slots=True)
class Modifier:
    """A modifier match with the rule that governs its reach."""

    hit: Hit
    category: Category
    direction: Direction
    scope: int


@dataclass(frozen=True, slots=True)
class Mention:
    """One mention of fluoroscopy and what the note says about it.

    Attributes:
        hit: the mention itself.
        status: affirmed, negated, hypothetical or historical.
        modifier: the modifier that set the status (None when affirmed).
    """

    hit: Hit
    status: Status
    modifier: Hit | None = None

    @property
    def span(self) -> tuple[int, int]:
        """The mention together with its modifier, as one span."""
        if self.modifier is None:
            return self.hit.start, self.hit.end
        return (
            min(self.hit.start, self.modifier.start),
            max(self.hit.end, self.modifier.end),
        )


def find_targets(scan: Scan, patterns: PatternSet) -> list[Hit]:
    """Every mention of fluoroscopy, in order, overlapping matches merged."""
    targets = without_overlaps(
        scan.find(patterns.of(Category.MENTION)),
        scan.find(patterns.of(Category.NOT_MENTION)),
    )
    merged: list[Hit] = []
    for t in targets:
        if merged and t.start < merged[-1].end:
            continue  # e.g. two patterns on one "C-arm"
        merged.append(t)
    return merged


def sentences_of(scan: Scan, hits: list[Hit]) -> list[Span]:
    """The sentences holding the hits, merged, in order."""
    spans: list[Span] = []
    for h in hits:
        if spans and h.start < spans[-1][1]:
            continue
        start, end = scan.sentence(h.start)
        if spans and start < spans[-1][1]:
            start = spans[-1][1]
        spans.append((start, max(end, h.end)))
    return spans


def iter_mentions(
    scan: Scan, patterns: PatternSet, targets: list[Hit]
) -> Iterator[Mention]:
    """Each target with its status, in order, computed when asked for."""
    cache: dict[Span, list[Modifier]] = {}
    terminators = patterns.of(Category.TERMINATOR)
    coordination = patterns.of(Category.COORDINATION)
    previous: Mention | None = None
    for target in targets:
        if (
            previous is not None
            and previous.status is not Status.AFFIRMED
            and any(
                c.regex.fullmatch(scan.text, previous.hit.end, target.start)
                for c in coordination
            )
        ):
            previous = Mention(target, previous.status, previous.modifier)
            yield previous
            continue
        sentence = scan.sentence(target.start)
        modifiers = cache.get(sentence)
        if modifiers is None:
            modifiers = cache[sentence] = _modifiers(scan, patterns, sentence)
        best: tuple[int, Status, Hit] | None = None
        for modifier in modifiers:
            gap = _gap(scan, modifier, target)
            if gap is None:
                continue
            if any(t.regex.search(scan.text, *gap) for t in terminators):
                continue
            strength, status = _STRENGTH[modifier.category]
            if best is None or strength > best[0]:
                best = (strength, status, modifier.hit)
        if best is None:
            previous = Mention(target, Status.AFFIRMED)
        else:
            previous = Mention(target, best[1], best[2])
        yield previous


def _modifiers(scan: Scan, patterns: PatternSet, sentence: Span) -> list[Modifier]:
    within = [scan.widen(sentence)]  # a cut in a long run is not a boundary
    pseudo = scan.find(patterns.of(Category.PSEUDO), within=within)
    out: list[Modifier] = []
    for category in _STRENGTH:
        for compiled in patterns.of(category):
            rule = compiled.pattern
            assert rule.direction is not None and rule.scope is not None  # validated
            hits = without_overlaps(scan.find((compiled,), within=within), pseudo)
            out.extend(Modifier(h, category, rule.direction, rule.scope) for h in hits)
    return out


def _gap(scan: Scan, modifier: Modifier, target: Hit) -> tuple[int, int] | None:
    """The text between modifier and target when the modifier reaches it, else None."""
    m = modifier.hit
    if modifier.direction is Direction.FORWARD:
        if m.start >= target.start:
            return None
        start, end = min(m.end, target.start), target.start
    else:
        if m.end <= target.end:
            return None
        start, end = target.end, max(m.start, target.end)
    if end - start > modifier.scope or scan.crosses_boundary(start, end):
        return None
    return start, end
