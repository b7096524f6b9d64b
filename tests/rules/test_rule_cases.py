"""Run every declarative rule case in ``tests/rule_cases/*.yaml`` through the engine.

A case file has an optional ``edition`` (default: the fixture edition, see
``_editions.py``), ``encounter`` defaults that each case's encounter is deep-merged onto,
and ``cases``. A case is::

    - name: indicator 1, not asked yet              # unique within its file
      edition: {extends: fixture, drop: [mue]}      # optional, replaces the file's
      encounter: {lines: [...], ...}                # the contract's JSON input
      note_reading: {fluoroscopy_used: true, standalone: true, spans: [...]}  # optional
      xfail: "engine bug: ..."                      # optional, strict
      expect:
        status: needs_provider_input                # report status
        lines: [keep, {action: hold, modifiers: ["26"], units: 1}]  # one per input line
        findings: [[ptp.modifier-required, fail], {rule: ..., status: ..., lines: [0, 1],
                   evidence: {...a subset...}}]    # must be present
        absent: [fluoro.integral]                   # rule ids that must not appear
        prompts: {1: [confirm_distinct_indication]}  # every prompt, by line (exact)
        missing: {1: [minutes, dose]}               # the documentation prompt's list
        suggestions: ["77002"]                      # suggested codes (exact)
        rejected: [documentation.fluoroscopy.air_kerma.unit]  # input errors instead

Modifiers compare regardless of order (duplicates count). When the encounter is merged, a
key set to ``null`` is removed: ``documentation: {fluoroscopy: {minutes: null}}`` means the
minutes were not documented, ``documentation: null`` that nothing was.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
import yaml

from fluorocode.domain.claim import NoteReading, NoteSpan
from fluorocode.domain.encounter_input import parse_encounter
from fluorocode.domain.findings import Finding, Report
from fluorocode.errors import ClaimInputError
from fluorocode.rules.engine import evaluate

from ._editions import CASES_DIR, build_edition

_FILE_KEYS = {"rule", "edition", "encounter", "cases"}
_CASE_KEYS = {"name", "edition", "encounter", "note_reading", "expect", "xfail"}
_EXPECT_KEYS = {
    "status",
    "lines",
    "findings",
    "absent",
    "prompts",
    "missing",
    "suggestions",
    "rejected",
}
_BASE_ENCOUNTER = {"id": "rule-case"}


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``: nested mappings merge, ``None`` removes the key
    (absent: "not documented"), anything else replaces."""
    out = dict(base)
    for key, value in over.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def _check_keys(obj: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(obj) - allowed
    assert not unknown, f"{where}: unknown keys {sorted(unknown)}"


def load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        doc = yaml.safe_load(path.read_text("utf-8"))
        _check_keys(doc, _FILE_KEYS, path.name)
        names: set[str] = set()
        for case in doc["cases"]:
            where = f"{path.name}::{case.get('name')}"
            _check_keys(case, _CASE_KEYS, where)
            _check_keys(case["expect"], _EXPECT_KEYS, where)
            assert case["name"] not in names, f"{where}: duplicate case name"
            names.add(case["name"])
            marks = (
                [pytest.mark.xfail(strict=True, reason=case["xfail"])]
                if "xfail" in case
                else []
            )
            params.append(
                pytest.param(doc, case, marks=marks, id=f"{path.stem}::{case['name']}")
            )
    return params


@pytest.mark.parametrize(("doc", "case"), load_cases())
def test_rule_case(doc: dict[str, Any], case: dict[str, Any]) -> None:
    raw = merge(merge(_BASE_ENCOUNTER, doc.get("encounter", {})), case["encounter"])
    expect = case["expect"]
    if "rejected" in expect:
        with pytest.raises(ClaimInputError) as info:
            parse_encounter(raw)
        assert sorted(e.field for e in info.value.errors) == sorted(expect["rejected"])
        return
    encounter = parse_encounter(raw)
    if "note_reading" in case:
        encounter = replace(encounter, note_reading=note_reading(case["note_reading"]))
    edition = build_edition(case.get("edition", doc.get("edition")))
    report = evaluate(encounter, edition)
    check_report(report, expect, n_lines=len(encounter.lines))


def note_reading(spec: Mapping[str, Any]) -> NoteReading:
    return NoteReading(
        fluoroscopy_used=spec.get("fluoroscopy_used"),
        standalone=spec.get("standalone"),
        filled=tuple(spec.get("filled", ())),
        spans=tuple(NoteSpan(**s) for s in spec.get("spans", ())),
    )


def summary(report: Report) -> str:
    """The report in a few lines, for assertion messages."""
    out = [f"status {report.status.value}"]
    out += [
        f"  line {ln.index} {ln.code} {list(ln.modifiers)} x{ln.units} {ln.action.value}"
        for ln in report.lines
    ]
    out += [
        f"  finding {f.rule} {f.status.value} {list(f.lines)}" for f in report.findings
    ]
    out += [
        f"  prompt {p.kind.value} line {p.line} {list(p.missing)}"
        for p in report.prompts
    ]
    out += [f"  suggest {s.code}" for s in report.suggestions]
    return "\n".join(out)


def check_report(report: Report, expect: Mapping[str, Any], n_lines: int) -> None:
    seen = summary(report)
    if "status" in expect:
        assert report.status.value == expect["status"], seen
    if "lines" in expect:
        assert len(expect["lines"]) == n_lines, "expect one entry per input line"
        for line, want in zip(report.lines, expect["lines"], strict=True):
            want = {"action": want} if isinstance(want, str) else want
            _check_keys(want, {"action", "modifiers", "units"}, f"line {line.index}")
            if "action" in want:
                assert line.action.value == want["action"], f"line {line.index}\n{seen}"
            if "modifiers" in want:
                assert Counter(line.modifiers) == Counter(
                    map(str, want["modifiers"])
                ), f"line {line.index} modifiers\n{seen}"
            if "units" in want:
                assert line.units == want["units"], f"line {line.index} units\n{seen}"
    for want in expect.get("findings", ()):
        want = (
            dict(zip(("rule", "status"), want, strict=True))
            if isinstance(want, list)
            else want
        )
        _check_keys(want, {"rule", "status", "lines", "evidence"}, "finding")
        found = [f for f in report.findings if matches(f, want)]
        assert found, f"no finding {want}\n{seen}"
    present = {f.rule for f in report.findings}
    for rule in expect.get("absent", ()):
        assert rule not in present, f"unexpected {rule}\n{seen}"
    if "prompts" in expect:
        got: dict[int, list[str]] = {}
        for p in report.prompts:
            got.setdefault(p.line, []).append(p.kind.value)
        want_prompts = {int(k): sorted(v) for k, v in expect["prompts"].items()}
        assert {k: sorted(v) for k, v in got.items()} == want_prompts, seen
    for line, items in expect.get("missing", {}).items():
        docs = [
            p
            for p in report.prompts
            if p.line == int(line) and p.kind.value == "fluoroscopy_documentation"
        ]
        assert len(docs) == 1, f"one documentation prompt on line {line}\n{seen}"
        assert list(docs[0].missing) == items, seen
    if "suggestions" in expect:
        assert [s.code for s in report.suggestions] == list(
            map(str, expect["suggestions"])
        ), seen


def matches(finding: Finding, want: Mapping[str, Any]) -> bool:
    if finding.rule != want["rule"] or finding.status.value != want["status"]:
        return False
    if "lines" in want and list(finding.lines) != want["lines"]:
        return False
    return "evidence" not in want or is_subset(want["evidence"], finding.evidence)


def is_subset(want: Any, got: Any) -> bool:
    """``want`` is contained in ``got``: mappings by key, numbers approximately."""
    if isinstance(want, Mapping):
        return isinstance(got, Mapping) and all(
            k in got and is_subset(v, got[k]) for k, v in want.items()
        )
    if isinstance(want, float) and isinstance(got, int | float):
        return got == pytest.approx(want)
    if isinstance(got, str) and isinstance(want, int | date):
        return str(want) == got  # YAML reads 29880 and 2024-06-30 as a number, a date
    return bool(want == got)
