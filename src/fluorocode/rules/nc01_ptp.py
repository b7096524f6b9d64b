"""NC01 ptp: NCCI procedure-to-procedure edits between every two lines of the claim.

**Policy source:** CMS NCCI PTP edit files of the edition in force on the date of
service (practitioner table for professional claims, outpatient-hospital table for
institutional claims); NCCI Policy Manual ch. I, "Modifiers and Modifier Indicators"
(domain.md §2).

An edit is in force when ``effective <= date of service <= deletion`` and its modifier
indicator is not 9. Both code orders are looked up; the column-2 line is the one at risk.

**Fails when:**
- indicator 0 pairs a line (as column 2) with another line: ``ptp.bundled``, remove the
  column-2 line; no modifier changes this;
- indicator 1 and the column-2 line carries no PTP-associated modifier:
  ``ptp.modifier-required``, hold the line with a ``confirm_distinct_service`` prompt.
  For 76000 the provider's distinct-indication answer decides instead (hold while not
  asked, remove when denied), and a modifier alone never clears it.

Each column-2 line is judged against every column-1 line (the strictest outcome
stands), but findings are grouped: one finding per edit row and outcome, naming all the
lines it concerns, so a claim's findings grow with its lines, not with their pairs.

**Passes when:** no in-force edit pairs the line with another line on the claim.

**Bypass:** indicator 1 only, by a PTP-associated modifier on the column-2 line:
anatomic (E1-E4, FA, F1-F9, TA, T1-T9, LT, RT, LC, LD, LM, RC, RI) only where the two
lines' anatomic modifiers differ; 24, 25, 27, 57, 58, 59, 78, 79, 91, XE, XS, XP, XU.
Never 26, TC, 50, 51, 76, 77. For 76000: the provider's confirmed distinct indication,
which appends XE/XS/XP/XU by its basis (``ptp.bypassed``). A payer profile's
``ptp_bypass_modifiers`` narrows the modifiers (docs/payers.md): a modifier NCCI accepts
and the payer does not leaves the line held, and a confirmed indication appends 59 where
the payer does not accept the basis's X modifier; such findings cite the departure.

**Evidence emitted:** the edit row (column 1, column 2, effective, deletion, modifier
indicator, rationale), the edition and the table it was read from (the table's source
files and checksums are in the report's ``edition.sources``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache
from string import Formatter
from typing import Any, ClassVar

from fluorocode.domain.codes import (
    ANATOMIC_MODIFIERS,
    PTP_ASSOCIATED_MODIFIERS,
    ModifierIndicator,
)
from fluorocode.domain.edits import PtpEdit
from fluorocode.domain.findings import Action, Finding, Prompt, PromptKind, Status
from fluorocode.rules import _confirmation
from fluorocode.rules._confirmation import Decision
from fluorocode.rules._modifiers import bypass_modifiers
from fluorocode.rules.base import (
    FLUORO,
    LineState,
    Outcome,
    RuleContext,
    edition_evidence,
    line_refs,
)

CITATION = (
    "CMS NCCI PTP edits; NCCI Policy Manual ch. I (modifiers and modifier indicators)"
)

# The NCCI messages, as ``str.format`` templates: the rule fills them in per finding,
# and the batch renders the very same templates in SQL (``adapters.batch.ptp_sql``).
# ``where`` is ``WHERE`` filled in; ``tried`` is ``BUNDLED_TRIED`` filled in, or "".
WHERE = "{c2} ({refs2}) is column 2 of an NCCI PTP edit with {c1} ({refs1})"
BUNDLED = (
    "{c2} ({refs2}) is bundled into {c1} ({refs1}) by an NCCI PTP edit with modifier "
    "indicator 0 ({rationale}).{tried} {c2} is not separately billable with it: leave "
    "it off the claim."
)
BUNDLED_TRIED = " The modifier {listed} cannot bypass it."
BYPASSED = (
    "{where}, modifier indicator 1; {listed} bypasses it. Keep it only if the record "
    "documents the distinct service."
)
REQUIRED = (
    "{where}, modifier indicator 1 ({rationale}), and carries no PTP-associated "
    "modifier. A modifier may be added only if the record documents a distinct "
    "service; otherwise {c2} is not billable with {c1}."
)
#: Between the modifiers a message names (sorted, each once).
MODIFIER_SEPARATOR = ", "


class _Filled:
    """A ``str.format`` template of plain ``{name}`` fields, parsed once: calling it
    with the fields gives ``template.format_map(fields)``. ``format_map`` parses the
    template on every call, at twice the cost for these messages (issue 11: a dense
    claim has a finding per edit row)."""

    __slots__ = ("_pieces",)

    def __init__(self, template: str) -> None:
        pieces = []
        for literal, name, spec, conversion in Formatter().parse(template):
            if spec or conversion:  # none of the messages has any
                raise ValueError(f"{template!r}: only plain {{name}} fields")
            pieces.append((literal, name))
        self._pieces = tuple(pieces)

    def __call__(self, fields: Mapping[str, str]) -> str:
        out = []
        for literal, name in self._pieces:
            out.append(literal)
            if name is not None:
                out.append(fields[name])
        return "".join(out)


_WHERE_TEXT = _Filled(WHERE)
_BUNDLED_TEXT = _Filled(BUNDLED)
#: ``REQUIRED`` with ``WHERE`` in place: one fill-in instead of two (the same text)
_REQUIRED_TEXT = _Filled(REQUIRED.replace("{where}", WHERE))


def finding_evidence(edit: PtpEdit, table: Mapping[str, Any]) -> dict[str, Any]:
    """A finding's evidence: the edit row, and the edition and table it was read from."""
    return {"edit": edit.evidence(), **table}


#: ``finding_evidence`` of each edit row met, made once and shared by every finding
#: of the row (issue 11: a claim's findings are mostly its rows' evidence). Keyed by
#: the row's identity (an edition remembers the rows it found), checked against the
#: row and the table evidence the entry holds on to, so a key is never reused while
#: its entry lives. Read, never written: a finding that adds to it copies it first.
_EVIDENCE: dict[int, tuple[PtpEdit, Mapping[str, Any], dict[str, Any]]] = {}
_EVIDENCE_KEPT = 1 << 14


def _shared_evidence(edit: PtpEdit, table: Mapping[str, Any]) -> dict[str, Any]:
    entry = _EVIDENCE.get(id(edit))
    if entry is None or entry[0] is not edit or entry[1] is not table:
        if len(_EVIDENCE) >= _EVIDENCE_KEPT:
            _EVIDENCE.clear()
        entry = _EVIDENCE[id(edit)] = (edit, table, finding_evidence(edit, table))
    return entry[2]


#: How ``_judge`` decided a column-2 line against one column-1 variant: the finding
#: group's key (finding id, status, what else tells groups apart), the modifiers the
#: finding names (bypassing, tried or refused), and the 76000 decision, if any.
_Key = tuple[str, Status, str]
_Judgement = tuple[_Key, Collection[str], Decision | None]
_BUNDLED = ("ptp.bundled", Status.FAIL, "")
_BYPASSED = ("ptp.bypassed", Status.BYPASSED, "")
_REQUIRED = ("ptp.modifier-required", Status.FAIL, "")
_REFUSED = ("ptp.modifier-required", Status.FAIL, "payer")
# members asked per edit row, as module constants (a class lookup is slow on 3.11)
_NOT_ALLOWED = ModifierIndicator.NOT_ALLOWED
_REMOVE, _HOLD = Action.REMOVE, Action.HOLD
_DISTINCT_SERVICE = PromptKind.CONFIRM_DISTINCT_SERVICE


class PtpRule:
    code: ClassVar[str] = "NC01"
    name: ClassVar[str] = "ptp"
    emits: ClassVar[tuple[str, ...]] = (
        "ptp.bundled",
        "ptp.modifier-required",
        "ptp.bypassed",
    )

    def evaluate(self, ctx: RuleContext) -> Outcome:
        out = Outcome()
        edits = ctx.claim_edits()
        if not edits:
            return out  # most claims: no in-force edit pairs two of their lines
        by_code = ctx.lines_by_code()
        table = edition_evidence(ctx, ctx.ptp_table)
        # a column-1 code's variants, worked out once however many edits it heads
        variants: dict[str, list[tuple[LineState, list[int]]]] = {}
        for edit in edits:
            partners = variants.get(edit.column1)
            if partners is None:
                partners = variants[edit.column1] = _partner_variants(
                    by_code.get(edit.column1, ())
                )
            judged: list[tuple[_Judgement, list[int], int]] = []
            for line2 in by_code.get(edit.column2, ()):
                for rep, members in partners:
                    others = members
                    if line2.index in members:  # a line never meets itself
                        others = [i for i in members if i != line2.index]
                        if not others:
                            continue
                    judgement = self._judge(ctx, out, edit, line2, rep, others)
                    judged.append((judgement, others, line2.index))
            for key, column1, column2, modifiers, decision in _grouped(judged):
                out.findings.append(
                    self._finding(
                        ctx, edit, key, column1, column2, modifiers, decision, table
                    )
                )
        return out

    def _judge(
        self,
        ctx: RuleContext,
        out: Outcome,
        edit: PtpEdit,
        line2: LineState,
        line1: LineState,
        partners: list[int],
    ) -> _Judgement:
        """Act on ``line2`` against one column-1 variant; how it was decided."""
        if edit.indicator is _NOT_ALLOWED:
            out.act(line2.index, _REMOVE)
            tried = [m for m in line2.modifiers if m in PTP_ASSOCIATED_MODIFIERS]
            return _BUNDLED, tried, None
        if edit.column2 == FLUORO:
            answer = ctx.encounter.documentation.distinct_indication
            decision = _confirmation.decide(line2, line1, answer, ctx.payer)
            _confirmation.apply(
                out, line2, decision, partner=f"{edit.column1} on {line_refs(partners)}"
            )
            rule = (
                "ptp.bypassed"
                if decision.status is Status.BYPASSED
                else "ptp.modifier-required"
            )
            key = (rule, decision.status, f"{decision.answer}:{decision.modifier}")
            return key, (), decision
        payer = ctx.payer
        bypass = (
            bypass_modifiers(line2, line1, payer.bypass_modifiers)
            if line2.modifiers
            else None
        )
        if bypass:
            return _BYPASSED, bypass, None
        out.act(line2.index, _HOLD)
        # a modifier NCCI accepts that this payer does not: the payer decided the hold
        refused = (
            bypass_modifiers(line2, line1)
            if payer.bypass_departure is not None and line2.modifiers
            else None
        )
        # the line's first question stands: a later one is not written at all
        if not out.asked(_DISTINCT_SERVICE, line2.index):
            out.prompt(
                Prompt(
                    _DISTINCT_SERVICE,
                    line2.index,
                    f"Was {edit.column2} on line {line2.index} a distinct service from "
                    f"{edit.column1} on {line_refs(partners)} (separate encounter, "
                    "anatomic site, practitioner, or an unusual non-overlapping "
                    "service)? If the record shows it, add the modifier that says which "
                    f"({_which(payer.bypass_modifiers)}); otherwise leave "
                    f"{edit.column2} off.",
                    options=_options(payer.bypass_modifiers),
                )
            )
        if refused and payer.bypass_departure is not None:
            out.departures.add(payer.bypass_departure.id)
            return _REFUSED, refused, None
        return _REQUIRED, (), None

    @staticmethod
    def _finding(
        ctx: RuleContext,
        edit: PtpEdit,
        key: _Key,
        column1: list[int],
        column2: list[int],
        modifiers: Collection[str],
        decision: Decision | None,
        table: Mapping[str, Any],
    ) -> Finding:
        """The finding of one group: ``column1`` and ``column2`` sorted line indices,
        ``modifiers`` those the message names (bypassing, tried or refused)."""
        rule, status, _ = key
        c1, c2 = edit.column1, edit.column2
        fields = {
            "c1": c1,
            "c2": c2,
            "refs1": line_refs(column1),
            "refs2": line_refs(column2),
            "rationale": edit.rationale,
        }
        listed = MODIFIER_SEPARATOR.join(sorted(set(modifiers))) if modifiers else ""
        if rule == "ptp.bundled":
            fields["tried"] = BUNDLED_TRIED.format(listed=listed) if listed else ""
            message = _BUNDLED_TEXT(fields)
        elif decision is not None:  # 76000: the provider's answer decides
            message = (
                f"{_WHERE_TEXT(fields)}, modifier indicator 1 ({edit.rationale}). "
                + _confirmation.next_step(decision)
            )
        elif rule == "ptp.modifier-required" and listed:  # refused by the payer
            accepted = ", ".join(_options(ctx.payer.bypass_modifiers)[:-1])
            message = (
                f"{_WHERE_TEXT(fields)}, modifier indicator 1 ({edit.rationale}). "
                f"{listed} bypasses it under NCCI, but the payer {ctx.payer.name} does "
                f"not accept it (it accepts {accepted or 'only anatomic modifiers'}). A "
                "modifier it accepts may be added only if the record documents a "
                f"distinct service; otherwise {c2} is not billable with {c1}."
            )
        elif rule == "ptp.bypassed":
            message = BYPASSED.format(where=_WHERE_TEXT(fields), listed=listed)
        else:
            message = _REQUIRED_TEXT(fields)
        lines = (*column1, *column2)
        evidence = _shared_evidence(edit, table)
        departure = ctx.payer.bypass_departure
        citation = CITATION
        if departure is not None and (
            (rule == "ptp.modifier-required" and listed)
            or (decision is not None and decision.departure)
        ):
            evidence = {**evidence, "payer_departure": departure.to_dict()}
            citation = f"{CITATION}; payer {ctx.payer.id}: {departure.source}"
        return Finding(rule, status, lines, message, evidence, citation)


#: What the distinct-service prompt offers, in this order, where the payer accepts it.
_OFFERED = ("XE", "XS", "XP", "XU", "59")


@lru_cache(maxsize=256)  # one payer's answer, asked per held line
def _options(accepted: frozenset[str]) -> tuple[str, ...]:
    return (*(m for m in _OFFERED if m in accepted), "remove")


@lru_cache(maxsize=256)  # one payer's answer, asked per held line
def _which(accepted: frozenset[str]) -> str:
    """The modifiers the prompt names: "XE, XS, XP, XU, or an anatomic modifier"."""
    named = [m for m in _OFFERED[:4] if m in accepted] or [
        m for m in _OFFERED[4:] if m in accepted
    ]
    if accepted & ANATOMIC_MODIFIERS:
        return ", ".join(named) + ", or an anatomic modifier"
    return " or ".join(named)


def _grouped(
    judged: list[tuple[_Judgement, list[int], int]],
) -> list[tuple[_Key, list[int], list[int], Collection[str], Decision | None]]:
    """One edit row's judgements grouped by outcome, in the order first met: each
    group's key, column-1 and column-2 line indices (sorted), the modifiers its
    message names, and its 76000 decision (the last one made)."""
    if len(judged) == 1:  # the usual claim: each code on one line, nothing to group
        (key, modifiers, decision), others, index2 = judged[0]
        return [(key, sorted(others), [index2], modifiers, decision)]
    groups: dict[_Key, tuple[set[int], set[int], set[str], list[Decision]]] = {}
    for (key, modifiers, decision), others, index2 in judged:
        group = groups.get(key)
        if group is None:
            group = groups[key] = (set(), set(), set(), [])
        group[0].update(others)
        group[1].add(index2)
        group[2].update(modifiers)
        if decision is not None:
            group[3].append(decision)
    return [
        (key, sorted(col1), sorted(col2), mods, decisions[-1] if decisions else None)
        for key, (col1, col2, mods, decisions) in groups.items()
    ]


def _partner_variants(
    lines: Iterable[LineState],
) -> list[tuple[LineState, list[int]]]:
    """Column-1 lines grouped by what a bypass depends on: their anatomic modifiers.

    Returns (a representative line, the indices of all lines like it), so a column-2
    line is judged once per variant rather than once per column-1 line.
    """
    variants: dict[frozenset[str], tuple[LineState, list[int]]] = {}
    for line in lines:
        key = frozenset(line.modifiers) & ANATOMIC_MODIFIERS
        if key in variants:
            variants[key][1].append(line.index)
        else:
            variants[key] = (line, [line.index])
    return list(variants.values())
