"""The ``--format table`` rendering of a report: lines, findings and prompts for people."""

from __future__ import annotations

import textwrap

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
