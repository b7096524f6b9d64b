"""Batch output against ``check``'s reports, encounter by encounter."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from fluorocode.domain.findings import Report, ReportStatus
from fluorocode.jsoncodec import encode

Key = tuple[str, str, str]


def batch_view(out: Path) -> dict[Key, dict[str, Any]]:
    """Each encounter of a batch output: status, lines and findings, comparable."""
    db = duckdb.connect()
    result: dict[Key, dict[str, Any]] = {}
    lines = out / "lines.parquet"
    findings = out / "findings.parquet"
    # Spark writes a directory of part files
    lines_glob = f"{lines}/*.parquet" if lines.is_dir() else str(lines)
    findings_glob = f"{findings}/*.parquet" if findings.is_dir() else str(findings)
    for cid, dos, prov, line, action, mods, units, status in db.execute(
        f"""SELECT claim_id, date_of_service, provider, line, action, modifiers, units,
                   status FROM '{lines_glob}' ORDER BY claim_id, line"""
    ).fetchall():
        enc = result.setdefault(
            (cid, dos, prov), {"status": status, "lines": [], "findings": []}
        )
        assert enc["status"] == status
        enc["lines"].append(
            (line, action, mods if action else None, units if action else None)
        )
    for cid, dos, prov, rule, status, lines, message, citation, evidence in db.execute(
        f"""SELECT claim_id, date_of_service, provider, rule, status, lines, message,
                   citation, evidence FROM '{findings_glob}'
            ORDER BY claim_id, finding"""
    ).fetchall():
        enc = result[(cid, dos, prov)]
        enc["findings"].append(
            (rule, status, list(lines), message, citation, json.loads(evidence))
        )
    return result


def check_view(report: Report, numbers: list[int]) -> dict[str, Any]:
    """The same view of one ``check`` report; ``numbers``: the input line numbers."""
    if report.status is ReportStatus.REJECTED:
        lines = [(n, None, None, None) for n in numbers]
        findings = [
            (
                "input.invalid",
                "rejected",
                [],
                f"{e.field}: {e.message}",
                "",
                {"field": e.field, "kind": e.kind},
            )
            for e in report.errors
        ]
    else:
        lines = [
            (numbers[r.index], r.action.value, ":".join(r.modifiers), r.units)
            for r in report.lines
            if not r.suggested
        ]
        findings = [
            (
                f.rule,
                f.status.value,
                [numbers[i] for i in f.lines],
                f.message,
                f.citation,
                json.loads(encode(dict(f.evidence))),
            )
            for f in report.findings
        ]
    return {
        "status": report.status.value,
        "lines": sorted(lines, key=lambda t: t[0]),
        "findings": findings,
    }


def assert_equal(
    batch: dict[Key, dict[str, Any]],
    expected: dict[Key, dict[str, Any]],
    describe: Callable[[Key], Any] = lambda k: k,
) -> None:
    assert batch.keys() == expected.keys()
    bad = [k for k in expected if batch[k] != expected[k]]
    if bad:
        k = bad[0]
        raise AssertionError(
            f"{len(bad)} of {len(expected)} encounters differ; first {k}:\n"
            f"batch: {batch[k]}\ncheck: {expected[k]}\ninput: {describe(k)}"
        )
