"""What every rule shares: its context, its outcome, and the rule protocol.

A rule's docstring is its spec: a summary, **Policy source**, **Fails when**,
**Passes when**, **Bypass**, **Evidence emitted**. ``docs/rules.md`` is generated from
them (``tests/test_docs.py`` keeps it current).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from fluorocode.domain.claim import Encounter
from fluorocode.domain.edits import EditLookup, PtpEdit, Table
from fluorocode.domain.findings import Action, Finding, Prompt, Suggestion
from fluorocode.rules.policy import fluoro_policy

#: The fluoroscopy code this project guards (design.md, decision table).
FLUORO = "76000"
FLUORO_DELETED = "76001"


def guidance_codes() -> frozenset[str]:
    """77001, 77002, 77003: listed once, in ``rules/policy/fluoroscopy.toml``."""
    return fluoro_policy().guidance_codes


def fluoro_family() -> frozenset[str]:
    """76000, 76001 and the guidance codes."""
    return frozenset({FLUORO, FLUORO_DELETED}) | guidance_codes()


@dataclass(frozen=True, slots=True)
class LineState:
    """A line as the rules so far have decided it."""

    index: int
    code: str
    modifiers: tuple[
        str, ...
    ]  # as submitted, plus what rules added, less what they dropped
    units: int
    action: Action


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything a rule may read. ``ptp_in_force`` holds the PTP rows in force on the
    date of service among the claim's codes and 76000 (so the note rule can ask what
    76000 would meet); ``edition`` is the report's edition block, for evidence."""

    encounter: Encounter
    edits: EditLookup
    ptp_table: Table
    mue_table: Table
    ptp_in_force: tuple[PtpEdit, ...]
    lines: tuple[LineState, ...]
    edition: Mapping[str, Any]
    #: edition evidence per table, built once per check and shared by every finding
    table_evidence: dict[Table, dict[str, Any]] = field(default_factory=dict)

    def live_lines(self) -> list[LineState]:
        """Lines not (yet) removed."""
        return [line for line in self.lines if line.action is not Action.REMOVE]

    def lines_with(self, code: str) -> list[LineState]:
        return [line for line in self.lines if line.code == code]

    def lines_by_code(self) -> dict[str, list[LineState]]:
        """Every line, by its code (in line order)."""
        out: dict[str, list[LineState]] = {}
        for line in self.lines:
            out.setdefault(line.code, []).append(line)
        return out

    def claim_edits(self) -> list[PtpEdit]:
        """In-force PTP rows whose two codes are both billed on this claim."""
        codes = {line.code for line in self.lines}
        return [
            e for e in self.ptp_in_force if e.column1 in codes and e.column2 in codes
        ]


@dataclass
class Outcome:
    """What one rule decided; the engine merges outcomes with action precedence."""

    findings: list[Finding] = field(default_factory=list)
    actions: dict[int, Action] = field(default_factory=dict)
    add_modifiers: dict[int, list[str]] = field(default_factory=dict)
    drop_modifiers: dict[int, list[str]] = field(default_factory=dict)
    units: dict[int, int] = field(default_factory=dict)
    prompts: list[Prompt] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)

    def act(self, line: int, action: Action) -> None:
        current = self.actions.get(line, Action.KEEP)
        if action.rank > current.rank:
            self.actions[line] = action

    def add_modifier(self, line: int, modifier: str) -> None:
        mods = self.add_modifiers.setdefault(line, [])
        if modifier not in mods:
            mods.append(modifier)

    def prompt(self, prompt: Prompt) -> None:
        if all((p.kind, p.line) != (prompt.kind, prompt.line) for p in self.prompts):
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


def line_refs(indices: Iterable[int]) -> str:
    """``line 3``, ``lines 1, 3 and 5``, ``lines 1, 3, 5, 7, 9 and 40 more``."""
    ordered = sorted(set(indices))
    if len(ordered) == 1:
        return f"line {ordered[0]}"
    shown = ", ".join(str(i) for i in ordered[:SHOWN_LINES])
    if len(ordered) > SHOWN_LINES:
        return f"lines {shown} and {len(ordered) - SHOWN_LINES} more"
    head, _, last = shown.rpartition(", ")
    return f"lines {head} and {last}"


def edition_evidence(ctx: RuleContext, table: Table) -> dict[str, Any]:
    """The edition a finding's row came from, with the checksums of that table's files."""
    cached = ctx.table_evidence.get(table)
    if cached is None:
        cached = ctx.table_evidence[table] = _edition_evidence(ctx, table)
    return cached


def _edition_evidence(ctx: RuleContext, table: Table) -> dict[str, Any]:
    return {
        "edition": {
            k: ctx.edition[k] for k in ("program", "quarter", "version", "demo")
        },
        "table": table.value,
        "sources": [
            s
            for s in ctx.edition.get("sources", [])
            if s.get("table") in (table.value, "demo")
        ],
    }
