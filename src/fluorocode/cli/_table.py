"""The ``--format table`` rendering: reports for people, and a batch summary at the end."""

from __future__ import annotations

import textwrap
from collections import Counter
from typing import Any

import click

from fluorocode.domain.findings import Action, Report, ReportStatus, Status

_ACTION_COLOR = {
    Action.KEEP: "green",
    Action.MODIFY: "cyan",
    Action.HOLD: "yellow",
    Action.REMOVE: "red",
}
_STATUS_COLOR = {
    Status.FAIL: "red",
    Status.BYPASSED: "cyan",
    Status.PASS: "green",
    Status.INFO: "blue",
    Status.NO_DATA: "magenta",
    Status.ERROR: "red",
}


def render_report(report: Report, color: bool = False) -> str:
    def paint(text: str, fg: str, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if color else text

    out = []
    edition = report.edition or {}
    where = (
        (
            f"{edition.get('program')} {edition.get('quarter')} ({edition.get('table')})"
            + (" DEMO" if edition.get("demo") else "")
        )
        if edition
        else "no edition"
    )
    out.append(
        paint(f"Encounter {report.encounter_id}: {report.status.value}", "white", True)
        + f"   edition: {where}"
    )
    if report.payer is not None:
        applied = ", ".join(d["id"] for d in report.payer["departures"]) or "none"
        out.append(
            f"  payer: {report.payer['id']} ({report.payer['name']}); departures "
            f"applied: {applied}"
        )
    if report.status is ReportStatus.REJECTED:
        for e in report.errors:
            out.append(paint(f"  ✗ {e.field}: {e.message}", "red"))
        return "\n".join(out)
    out.append(f"  {'#':>2}  {'code':<6} {'modifiers':<14} {'units':>5}  action")
    for line in report.lines:
        mods = "-".join(line.modifiers) or "·"
        action = paint(line.action.value, _ACTION_COLOR[line.action], True)
        out.append(
            f"  {line.index:>2}  {line.code:<6} {mods:<14} {line.units:>5}  {action}"
        )
    if report.findings:
        out.append("  Findings:")
        for f in report.findings:
            tag = paint(f"{f.status.value:<8}", _STATUS_COLOR[f.status])
            lines = ",".join(map(str, f.lines)) or "-"
            out.append(f"    {tag} {f.rule} [lines {lines}]")
            out.append(
                textwrap.fill(
                    f.message,
                    width=100,
                    initial_indent=" " * 13,
                    subsequent_indent=" " * 13,
                )
            )
    if report.prompts:
        out.append("  Questions for the provider:")
        for p in report.prompts:
            out.append(paint(f"    ? line {p.line} ({p.kind.value})", "yellow"))
            indent = " " * 6
            out.append(
                textwrap.fill(
                    p.question, 100, initial_indent=indent, subsequent_indent=indent
                )
            )
    for s in report.suggestions:
        out.append(paint(f"  + suggest {s.code}: ", "cyan") + s.message)
    return "\n".join(out)


class Summary:
    """Counts over a batch for the table's closing lines (issue 8)."""

    def __init__(self) -> None:
        self.statuses: Counter[str] = Counter()
        self.actions: Counter[str] = Counter()
        self.held_back: list[str] = []

    def add(self, report: Report, source: dict[str, Any] | None = None) -> None:
        self.statuses[report.status.value] += 1
        self.actions.update(line.action.value for line in report.lines)
        if source is not None and source.get("written") is False:
            self.held_back.append(
                f"{source.get('claim')} ({source.get('not_written_because')})"
            )

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def render(self, color: bool = False) -> str:
        statuses = ", ".join(
            f"{s.value} {self.statuses[s.value]}" for s in ReportStatus
        )
        actions = ", ".join(f"{a.value} {self.actions[a.value]}" for a in Action)
        rejected = self.statuses[ReportStatus.REJECTED.value]
        head = f"Summary: {self.total} encounters; rejected {rejected}"
        out = [
            click.style(head, bold=True) if color else head,
            f"  reports: {statuses}",
            f"  lines:   {actions}",
        ]
        if self.held_back:
            out.append(f"  claims not written ({len(self.held_back)}):")
            out += [f"    {claim}" for claim in dict.fromkeys(self.held_back)]
        return "\n".join(out)


def render_source(source: dict[str, Any]) -> str:
    """Where a claims-file encounter came from, in one line."""
    if source.get("format") == "x12":
        where = f"claim {source.get('claim')} at segment {source.get('segment')}"
        lines = ", ".join(str(ln.get("segment")) for ln in source.get("lines", []))
        where += (
            f" (transaction {source.get('transaction')}; line segments {lines or '-'})"
        )
    else:
        where = f"Claim {source.get('claim')} at {source.get('path')}"
        items = ", ".join(str(ln.get("item")) for ln in source.get("lines", []))
        where += f" (items {items or '-'})"
    if source.get("written") is False:
        where += f"; NOT WRITTEN: {source.get('not_written_because')}"
    elif source.get("written") is True:
        where += "; written"
    return "  from " + where
