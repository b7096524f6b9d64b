"""What every rule shares: its context, its outcome, and the rule protocol.

A rule's docstring is its spec: a summary, **Policy source**, **Fails when**,
**Passes when**, **Bypass**, **Evidence emitted**. ``docs/rules.md`` is generated from
them (``tests/test_docs.py`` keeps it current).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import field
from functools import cache
from typing import Any, ClassVar, Protocol

from fluorocode.domain.claim import Encounter
from fluorocode.domain.codes import Program
from fluorocode.domain.edits import EditLookup, PtpEdit, Table
from fluorocode.domain.findings import (
    ACTION_RANK,
    Action,
    Finding,
    LineResult,
    Prompt,
    PromptKind,
    Suggestion,
)
from fluorocode.domain.values import value_type
from fluorocode.rules.payers import PayerProfile, baseline
from fluorocode.rules.policy import fluoro_policy

#: Members asked of every line, as module constants: on Python 3.11 an enum member
#: looked up on its class costs ~100 ns (``EnumType.__getattr__``), a constant ~5.
_KEEP, _REMOVE = Action.KEEP, Action.REMOVE

#: The fluoroscopy code this project guards (design.md, decision table).
FLUORO = "76000"
FLUORO_DELETED = "76001"


@cache  # the packaged policy is read once per process; rules ask for every line
def guidance_codes() -> frozenset[str]:
    """77001, 77002, 77003: listed once, in ``rules/policy/fluoroscopy.toml``."""
    return fluoro_policy().guidance_codes


@cache
def fluoro_family() -> frozenset[str]:
    """76000, 76001 and the guidance codes."""
    return frozenset({FLUORO, FLUORO_DELETED}) | guidance_codes()


#: A line as the rules so far have decided it: its code, its modifiers as submitted
#: plus what rules added less what they dropped, its units and its action. The very
#: value the report carries, so the lines the last rule leaves are the report's lines
#: (issue 11: no copy of every line per check). The engine makes a new one for each
#: decision; nothing changes one in place.
LineState = LineResult


@value_type
class RuleContext:
    """Everything a rule may read. ``ptp_in_force`` holds the PTP rows in force on the
    date of service among the claim's codes and 76000 (so the note rule can ask what
    76000 would meet); ``claim_ptp`` those of them whose two codes are both billed (a
    rule's decisions change lines, never their codes, so the engine finds them once per
    check); ``edition`` is the report's edition block, for evidence; ``payer`` the
    encounter's payer profile, resolved once per check (``rules.payers``).

    The views of ``lines`` (live lines, lines by code) are built on first use and kept
    with this context: the engine makes a new context whenever a rule changes a line.
    ``line_indices`` (each code's line indices) is the engine's, made once per check:
    rules change lines, never their codes.
    """

    encounter: Encounter
    edits: EditLookup
    ptp_table: Table
    mue_table: Table
    ptp_in_force: tuple[PtpEdit, ...]
    claim_ptp: tuple[PtpEdit, ...]
    lines: tuple[LineState, ...]
    edition: Mapping[str, Any]
    #: edition evidence per table, shared by every finding (and check) of one edition
    table_evidence: dict[Table, dict[str, Any]] = field(default_factory=dict)
    payer: PayerProfile = field(default_factory=lambda: baseline(Program.MEDICARE))
    line_indices: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    _views: dict[str, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def live_lines(self) -> tuple[LineState, ...]:
        """Lines not (yet) removed."""
        live: tuple[LineState, ...] | None = self._views.get("live")
        if live is None:
            live = self._views["live"] = tuple(
                [line for line in self.lines if line.action is not _REMOVE]
            )
        return live

    def lines_with(self, code: str) -> tuple[LineState, ...]:
        """The lines of one code (in line order); rules mostly ask for 76000's alone."""
        # a code's view is kept under the code itself: no other view key has its shape
        found: tuple[LineState, ...] | None = self._views.get(code)
        if found is None:
            lines = self.lines
            found = self._views[code] = tuple(
                lines[i] for i in self._indices().get(code, ())
            )
        return found

    def lines_by_code(self) -> Mapping[str, tuple[LineState, ...]]:
        """Every line, by its code (in line order)."""
        by_code: dict[str, tuple[LineState, ...]] | None = self._views.get("by_code")
        if by_code is None:
            by_code = self._views["by_code"] = {
                code: self.lines_with(code) for code in self._indices()
            }
        return by_code

    def _indices(self) -> Mapping[str, tuple[int, ...]]:
        return self.line_indices or line_indices(self.lines)

    def claim_edits(self) -> tuple[PtpEdit, ...]:
        """In-force PTP rows whose two codes are both billed on this claim."""
        return self.claim_ptp


def line_indices(lines: Iterable[LineState]) -> dict[str, tuple[int, ...]]:
    """Each code's line indices, in line order."""
    grouped: dict[str, list[int]] = {}
    for line in lines:
        grouped.setdefault(line.code, []).append(line.index)
    return {code: tuple(indices) for code, indices in grouped.items()}


def claim_edits(
    in_force: Iterable[PtpEdit], lines: Iterable[LineState]
) -> tuple[PtpEdit, ...]:
    """The rows of ``in_force`` whose two codes are both on ``lines``."""
    codes = {line.code for line in lines}
    return tuple([e for e in in_force if e.column1 in codes and e.column2 in codes])


class Outcome:
    """What one rule decided; the engine merges outcomes with action precedence.

    A rule fills in what it decided; every field starts empty. A plain class, not a
    dataclass: each rule of each check makes one, and most leave it empty (issue 11).
    """

    __slots__ = (
        "findings",
        "actions",
        "add_modifiers",
        "drop_modifiers",
        "units",
        "prompts",
        "suggestions",
        "departures",
        "_asked",
    )

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.actions: dict[int, Action] = {}
        self.add_modifiers: dict[int, list[str]] = {}
        self.drop_modifiers: dict[int, list[str]] = {}
        self.units: dict[int, int] = {}
        self.prompts: list[Prompt] = []
        self.suggestions: list[Suggestion] = []
        #: ids of the payer departures that changed a decision (``rules.payers``)
        self.departures: set[str] = set()
        self._asked: set[tuple[PromptKind, int]] = set()

    def changes_lines(self) -> bool:
        """Whether it decides anything about a line (most rules, for most claims, not)."""
        return bool(
            self.actions or self.add_modifiers or self.drop_modifiers or self.units
        )

    def act(self, line: int, action: Action) -> None:
        current = self.actions.get(line)
        if current is None:  # the line's first decision: anything but keep stands
            if action is not _KEEP:
                self.actions[line] = action
        elif ACTION_RANK[action] > ACTION_RANK[current]:
            self.actions[line] = action

    def add_modifier(self, line: int, modifier: str) -> None:
        mods = self.add_modifiers.setdefault(line, [])
        if modifier not in mods:
            mods.append(modifier)

    def asked(self, kind: PromptKind, line: int) -> bool:
        """Whether a prompt of ``kind`` is already asked of ``line`` (the first stands):
        a rule can skip writing a question that would not be kept."""
        return (kind, line) in self._asked

    def prompt(self, prompt: Prompt) -> None:
        key = (prompt.kind, prompt.line)
        if key not in self._asked:
            self._asked.add(key)
            self.prompts.append(prompt)


class Rule(Protocol):
    """A rule: a stable code (``FL02``), a dotted name, the finding ids it emits."""

    code: ClassVar[str]
    name: ClassVar[str]
    emits: ClassVar[tuple[str, ...]]

    def evaluate(self, ctx: RuleContext) -> Outcome: ...


#: How many line numbers a message names before it says "and N more" (the finding's
#: ``lines`` always lists them all): messages stay short however long the claim.
SHOWN_LINES = 5
_SIZED = (list, tuple, set, frozenset)
_ONE_LINE: dict[int, str] = {}
_ONE_LINE_KEPT = 1024  # a claim has at most 999 lines


def line_refs(indices: Iterable[int]) -> str:
    """``line 3``, ``lines 1, 3 and 5``, ``lines 1, 3, 5, 7, 9 and 40 more``."""
    if isinstance(indices, _SIZED) and len(indices) == 1:
        for only in indices:  # most findings name one line: made once per index
            ref = _ONE_LINE.get(only)
            if ref is None:
                ref = f"line {only}"
                if len(_ONE_LINE) < _ONE_LINE_KEPT:
                    _ONE_LINE[only] = ref
            return ref
    ordered = sorted(set(indices))
    count = len(ordered)
    if count <= 1:
        return f"line {ordered[0]}" if ordered else "no line"
    if count > SHOWN_LINES:
        shown = ", ".join(map(str, ordered[:SHOWN_LINES]))
        return f"lines {shown} and {count - SHOWN_LINES} more"
    return f"lines {', '.join(map(str, ordered[:-1]))} and {ordered[-1]}"


def edition_evidence(ctx: RuleContext, table: Table) -> dict[str, Any]:
    """The edition and table a finding's row came from.

    The table's source files and their checksums are listed once per report, in
    ``edition.sources`` (each tagged with its ``table``), not repeated in every finding
    (issue 11): ``evidence.table`` names which of them the row was read from.
    """
    cached = ctx.table_evidence.get(table)
    if cached is None:
        cached = ctx.table_evidence[table] = _edition_evidence(ctx, table)
    return cached


def _edition_evidence(ctx: RuleContext, table: Table) -> dict[str, Any]:
    return table_evidence(ctx.edition, table)


def table_evidence(edition: Mapping[str, Any], table: Table) -> dict[str, Any]:
    """``edition_evidence`` from a report's edition block alone (the batch renders it
    in SQL for the findings it decides there)."""
    return {
        "edition": {k: edition[k] for k in ("program", "quarter", "version", "demo")},
        "table": table.value,
    }
