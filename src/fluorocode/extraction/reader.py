"""Read one note: text in, :class:`~fluorocode.extraction.facts.NoteFacts` out.

Order of work, and how the fields depend on each other:

1. Mentions of fluoroscopy (:mod:`.context`); their ConText status is worked out
   lazily in step 4.
2. Fluoroscopy time (:mod:`.fluoro_time`). A stated time of exactly zero turns the
   mentions inside its span into negations ("FLUOROSCOPY TIME: 0 minutes" = not used); a
   positive time affirms use even without another mention ("FT 0.8 min").
3. Doses (:mod:`.dose`); a kept dose also affirms use.
4. ``fluoroscopy_used``: True when anything affirms use (mentions are examined in order
   up to the first affirmed one); False when fluoroscopy is mentioned but every mention
   is negated, planned or historical; None when it is never mentioned.
5. Only for a note that mentions fluoroscopy: indication, images saved, separate
   report and stand-alone (:mod:`.documentation`). A note that never names fluoroscopy
   says nothing about *its* indication, images or report.

Plausibility (domain.md §5.4): a value that :func:`fluorocode.domain.limits.judge`
refuses (negative, a time over 600 min, an air kerma over 50,000 mGy, a dose-area
product over 10,000 Gy·cm²) is not kept. The field stays None and an ``implausible``
warning carries the value and its span, so that a checker can tell "documented but
implausible" from "not documented". The limits are the documentation rule's too: they
are defined once, in :mod:`fluorocode.domain.limits`.

A time given only as a bound ("less than 1 minute") is not a value: the field stays
None and a ``bound`` warning says so (its number is the bound, never a documented time).

When a note states several values of one field, the one kept is named in
:mod:`.fluoro_time` / :mod:`.dose`; up to ``_MAX_OTHERS`` of the others are reported in
``other_value`` warnings (then one warning counts the rest). A pattern cut short at
``MAX_HITS`` matches (or at the other bounds of :mod:`._text`) gives a ``truncated``
warning whose field is ``"note"``.

Deterministic and offline; the patterns are compiled once per process.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from fluorocode.domain.limits import judge
from fluorocode.errors import ExtractionError
from fluorocode.extraction._literals import MAX_TRIES
from fluorocode.extraction._text import MAX_HITS, Scan, Span
from fluorocode.extraction.context import (
    Mention,
    Status,
    find_targets,
    iter_mentions,
    sentences_of,
)
from fluorocode.extraction.documentation import (
    Finding,
    read_flag,
    read_indication,
    read_report_self,
    read_standalone,
)
from fluorocode.extraction.dose import DoseKind, DoseReading, choose_dose, read_doses
from fluorocode.extraction.facts import Evidence, FactWarning, NoteFacts, WarningKind
from fluorocode.extraction.fluoro_time import TimeReading, choose_time, read_times
from fluorocode.extraction.ruleset import Category, PatternSet, load_patterns

__all__ = ["extract", "extract_bytes"]

_MAX_OTHERS = 3


@dataclass
class _Draft:
    """Mutable work space while one note is read."""

    text: str
    values: dict[str, object] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    warnings: list[FactWarning] = field(default_factory=list)

    def keep(
        self, name: str, value: object, start: int, end: int, pattern: str
    ) -> None:
        self.values[name] = value
        self.evidence.append(Evidence(name, start, end, self.text[start:end], pattern))

    def warn(
        self,
        kind: WarningKind,
        name: str,
        message: str,
        value: float | None = None,
        span: tuple[int, int] | None = None,
    ) -> None:
        start, end = span if span else (None, None)
        self.warnings.append(FactWarning(name, message, value, start, end, kind=kind))


def extract(text: str, patterns: PatternSet | None = None) -> NoteFacts:
    """Read what a clinical note documents about fluoroscopy.

    Args:
        text: the note; offsets in the result index into it as given.
        patterns: a pattern set; the packaged default (``v1``) when None.

    Returns:
        The facts, with evidence for each non-null field and any warnings.

    Raises:
        ExtractionError: ``text`` is not a ``str`` (bytes go through
            :func:`extract_bytes`).
    """
    if not isinstance(text, str):
        hint = " (use extract_bytes for raw bytes)" if _is_bytes(text) else ""
        raise ExtractionError(
            f"a note must be text (str), got {type(text).__name__}{hint}"
        )
    if not text.strip():
        return NoteFacts()
    ps = patterns if patterns is not None else load_patterns()
    scan = Scan(text)
    draft = _Draft(text)
    targets = find_targets(scan, ps)
    time = _keep_time(draft, read_times(scan, ps))
    doses = read_doses(scan, ps, mentions_fluoroscopy=bool(targets))
    dose_kept = [_keep_dose(draft, doses, kind) for kind in DoseKind]
    mentions = iter_mentions(scan, ps, targets)
    used = _fluoroscopy_used(draft, mentions, time, [d for d in dose_kept if d])
    if used is not None:
        _documentation(draft, scan, ps, used, sentences_of(scan, targets))
    if scan.truncated:
        draft.warn(
            WarningKind.TRUNCATED,
            "note",
            f"some patterns matched more than {MAX_HITS} times or had more than "
            f"{MAX_TRIES} places to try; only the first part of the note was read "
            f"for them ({', '.join(sorted(scan.truncated))})",
        )
    return _facts(draft)


def extract_bytes(data: bytes, patterns: PatternSet | None = None) -> NoteFacts:
    """Decode a note as strict UTF-8, then :func:`extract` it.

    Raises:
        ExtractionError: ``data`` is not bytes, or not valid UTF-8 (the message gives
            the offending byte offset).
    """
    if not _is_bytes(data):
        raise ExtractionError(f"extract_bytes needs bytes, got {type(data).__name__}")
    try:
        text = bytes(data).decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise ExtractionError(
            f"note is not valid UTF-8: {exc.reason} at byte {exc.start} "
            f"(0x{bytes(data)[exc.start]:02x})"
        ) from None
    return extract(text, patterns)


def _is_bytes(value: object) -> bool:
    return isinstance(value, bytes | bytearray | memoryview)


def _plausible(draft: _Draft, name: str, value: float, span: tuple[int, int]) -> bool:
    """False (with an ``implausible`` warning) for a value the limits refuse."""
    judgement = judge(name, value)
    if judgement.refused:
        draft.warn(
            WarningKind.IMPLAUSIBLE,
            name,
            f"{judgement.reason} ({judgement.verdict.value}); not kept",
            value,
            span,
        )
        return False
    return True


def _keep_time(draft: _Draft, readings: list[TimeReading]) -> TimeReading | None:
    chosen = choose_time(readings)
    if chosen is None:
        return None
    span = (chosen.hit.start, chosen.hit.end)
    others = [
        (r.minutes, (r.hit.start, r.hit.end))
        for r in readings
        if r is not chosen and r.minutes != chosen.minutes
    ]
    _warn_others(draft, "minutes", others, f"{chosen.minutes:g} min")
    if chosen.bound is not None:
        draft.warn(
            WarningKind.BOUND,
            "minutes",
            f"only a bound is stated ({chosen.bound} {chosen.minutes:g} min); not kept",
            chosen.minutes,
            span,
        )
        return chosen
    if not _plausible(draft, "minutes", chosen.minutes, span):
        return chosen
    if chosen.unit_assumed:
        draft.warn(
            WarningKind.ASSUMED_UNIT,
            "minutes",
            "no unit written; read as minutes",
            chosen.minutes,
            span,
        )
    draft.keep("minutes", chosen.minutes, *span, chosen.hit.pattern)
    return chosen


def _keep_dose(
    draft: _Draft, readings: list[DoseReading], kind: DoseKind
) -> DoseReading | None:
    chosen = choose_dose(readings, kind)
    if chosen is None:
        return None
    name = kind.value
    span = (chosen.hit.start, chosen.hit.end)
    others = [
        (r.value, (r.hit.start, r.hit.end))
        for r in readings
        if r.kind is kind and r is not chosen and r.value != chosen.value
    ]
    _warn_others(draft, name, others, f"{chosen.value:g}")
    if not _plausible(draft, name, chosen.value, span):
        return None
    if chosen.slash_as_product:
        draft.warn(
            WarningKind.SLASH_UNIT,
            name,
            f"unit written with a slash; read as {chosen.unit}",
            None,
            span,
        )
    draft.keep(name, chosen.value, *span, chosen.hit.pattern)
    return chosen


def _warn_others(
    draft: _Draft, name: str, others: list[tuple[float, tuple[int, int]]], kept: str
) -> None:
    for value, span in others[:_MAX_OTHERS]:
        draft.warn(
            WarningKind.OTHER_VALUE,
            name,
            f"another value ({value:g}) is also stated; kept {kept}",
            value,
            span,
        )
    if len(others) > _MAX_OTHERS:
        draft.warn(
            WarningKind.OTHER_VALUE,
            name,
            f"{len(others) - _MAX_OTHERS} more different values stated",
        )


def _fluoroscopy_used(
    draft: _Draft,
    mentions: Iterator[Mention],
    time: TimeReading | None,
    doses: list[DoseReading],
) -> bool | None:
    """Decide use; ``mentions`` is consumed lazily, up to the first affirmed one."""
    zero = time is not None and time.minutes == 0
    if time is not None and time.minutes > 0:
        draft.keep(
            "fluoroscopy_used", True, time.hit.start, time.hit.end, time.hit.pattern
        )
        return True
    seen: list[Mention] = []
    for mention in mentions:
        seen.append(mention)
        inside_zero = zero and time is not None and _inside(mention, time)
        if mention.status is Status.AFFIRMED and not inside_zero:
            h = mention.hit
            draft.keep("fluoroscopy_used", True, h.start, h.end, h.pattern)
            return True
    if doses:
        d = doses[0].hit
        draft.keep("fluoroscopy_used", True, d.start, d.end, d.pattern)
        return True
    if zero and time is not None:
        draft.keep(
            "fluoroscopy_used", False, time.hit.start, time.hit.end, time.hit.pattern
        )
        return False
    if seen:
        m = seen[0]
        pattern = m.modifier.pattern if m.modifier else m.hit.pattern
        draft.keep("fluoroscopy_used", False, *m.span, pattern)
        return False
    return None


def _inside(mention: Mention, time: TimeReading) -> bool:
    return time.hit.start <= mention.hit.start and mention.hit.end <= time.hit.end


def _documentation(
    draft: _Draft, scan: Scan, ps: PatternSet, used: bool, sentences: list[Span]
) -> None:
    _keep_finding(draft, "indication", read_indication(scan, ps))
    _keep_finding(
        draft,
        "images_saved",
        read_flag(scan, ps, Category.IMAGES_SAVED, Category.IMAGES_NOT_SAVED),
    )
    report = read_flag(scan, ps, Category.SEPARATE_REPORT, Category.NO_SEPARATE_REPORT)
    _keep_finding(draft, "separate_report", report or read_report_self(scan, ps))
    if used:
        _keep_finding(draft, "standalone", read_standalone(scan, ps, sentences))


def _keep_finding(draft: _Draft, name: str, finding: Finding | None) -> None:
    if finding is not None:
        draft.keep(name, finding.value, finding.start, finding.end, finding.pattern)


def _facts(draft: _Draft) -> NoteFacts:
    v = draft.values

    def num(name: str) -> float | None:
        value = v.get(name)
        return float(value) if isinstance(value, int | float) else None

    def flag(name: str) -> bool | None:
        value = v.get(name)
        return value if isinstance(value, bool) else None

    indication = v.get("indication")
    return NoteFacts(
        fluoroscopy_used=flag("fluoroscopy_used"),
        minutes=num("minutes"),
        air_kerma_mgy=num(DoseKind.AIR_KERMA.value),
        dose_area_product_gycm2=num(DoseKind.DOSE_AREA_PRODUCT.value),
        indication=indication if isinstance(indication, str) else None,
        images_saved=flag("images_saved"),
        separate_report=flag("separate_report"),
        standalone=flag("standalone"),
        evidence=tuple(sorted(draft.evidence, key=lambda e: (e.start, e.field))),
        warnings=tuple(draft.warnings),
    )
