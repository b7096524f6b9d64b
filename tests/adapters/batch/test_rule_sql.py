"""NC03 and NC02 decided in SQL (``adapters.batch.rule_sql``), after NC01 (issue 10).

The SQL renders the rules' own templates: the unit tests run them in DuckDB against
``str.format``. The slow test draws encounters that make the three rules meet -- add-on
codes of every edit type with and without a primary, a primary or an add-on a PTP edit
removes, MUEs of every MAI over one to three lines -- checks that all of them are
decided in SQL, that every kind of outcome occurs, and that each encounter equals
``check``'s report.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import duckdb
import pytest

from fluorocode.adapters.batch import ptp_sql
from fluorocode.api import Checker, run_batch
from fluorocode.rules import nc02_mue, nc03_aoc

from . import claimgen
from .compare import assert_equal, batch_view, check_view

VALUES = {
    "code": "64480",
    "index": "3",
    "others": "99213, 64479",
    "kind": nc03_aoc.GUIDANCE_ADDON,
    "units": "5",
    "total": "7",
    "value": "4",
    "rationale": "Clinical: Data 'x' \\ µ",
}


@pytest.mark.parametrize(
    "template",
    [
        nc03_aoc.CONTRACTOR_DEFINED,
        nc03_aoc.PRIMARY_MISSING,
        nc02_mue.PER_LINE,
        nc02_mue.PER_DAY_POLICY,
        nc02_mue.PER_DAY_JUDGMENT,
    ],
)
def test_templates_render_in_sql_as_the_rules_format_them(template: str) -> None:
    fields = {name: ptp_sql.literal(v) for name, v in VALUES.items()}
    sql = ptp_sql.template_sql(template, fields)
    (value,) = duckdb.connect().execute(f"SELECT {sql}").fetchone() or (None,)
    assert value == template.format(**VALUES)


class _Rows:
    """The edition's rows the encounters are drawn from."""

    def __init__(self, edition: Path) -> None:
        db = duckdb.connect()
        aoc, mue = edition / "aoc.parquet", edition / "mue_practitioner.parquet"
        ptp = edition / "ptp_practitioner.parquet"
        self.aoc: dict[int, list[tuple[str, str]]] = {}
        for addon, primary, kind in db.execute(
            f"SELECT addon, \"primary\", edit_type FROM '{aoc}' ORDER BY 1, 2"
        ).fetchall():
            self.aoc.setdefault(kind, []).append((addon, primary))
        self.mue: dict[int, list[tuple[str, int]]] = {}
        for code, value, mai in db.execute(
            f"SELECT code, value, mai FROM '{mue}' WHERE value BETWEEN 0 AND 6 "
            f"AND code NOT IN (SELECT addon FROM '{aoc}') ORDER BY 1"
        ).fetchall():
            self.mue.setdefault(mai, []).append((code, value))
        inforce = (
            "p.indicator <> 9 AND p.effective <= 20240701 AND p.deletion >= 20240930"
        )
        # PTP rows whose column 2 is an add-on, or a type-1 add-on's primary
        self.pairs = db.execute(
            f"""SELECT p.column1, p.column2, a.addon FROM '{ptp}' p
                JOIN '{aoc}' a ON a.addon = p.column2 OR a."primary" = p.column2
                WHERE {inforce} AND a.edit_type = 1
                  AND p.column1 NOT IN (SELECT addon FROM '{aoc}')
                USING SAMPLE reservoir(3000 ROWS) REPEATABLE (5)"""
        ).fetchall()


def _encounter(rows: _Rows, rnd: random.Random, i: int) -> dict[str, Any]:
    lines: list[dict[str, Any]] = []
    codes: set[str] = set()

    def add(code: str, units: int | None = None) -> None:
        if code in codes and rnd.random() < 0.7:
            return
        codes.add(code)
        line: dict[str, Any] = {"code": code}
        if units is not None:
            line["units"] = units
        if rnd.random() < 0.15:
            line["modifiers"] = [rnd.choice(["59", "XS", "RT", "25"])]
        lines.append(line)

    for _ in range(rnd.choice([1, 1, 2])):
        kind = rnd.random()
        if kind < 0.35:
            column1, column2, addon = rnd.choice(rows.pairs)
            add(column1)
            add(column2)
            if column2 != addon:
                add(addon)  # its primary is column 2, which the edit may remove
        elif kind < 0.6:
            edit_type = rnd.choice([1, 1, 2, 3])
            addon, primary = rnd.choice(rows.aoc[edit_type])
            add(addon)
            if rnd.random() < 0.4 and primary != "CCCCC":
                add(primary)
        else:
            mai = rnd.choice([1, 2, 3])
            code, value = rnd.choice(rows.mue[mai])
            for _ in range(rnd.choice([1, 2, 3])):
                lines.append(
                    {"code": code, "units": max(1, value + rnd.randint(-1, 3))}
                )
    if rnd.random() < 0.3:
        mai = rnd.choice([1, 2, 3])
        lines.append({"code": rnd.choice(rows.mue[mai])[0]})
    rnd.shuffle(lines)
    return {
        "id": f"R{i:06d}",
        "date_of_service": rnd.choice(claimgen.DATES),
        "place_of_service": "11",
        "lines": lines,
    }


@pytest.mark.slow
def test_add_on_and_mue_encounters_are_decided_in_sql_as_check_decides_them(
    real_home: Path, tmp_path: Path
) -> None:
    edition = next((real_home / "editions").glob("medicare-*")).resolve()
    rows = _Rows(edition)
    rnd = random.Random(31)
    objs = [_encounter(rows, rnd, i) for i in range(3000)]
    src = tmp_path / "claims.csv"
    claimgen.write_csv(objs, src)
    summary = run_batch([src], tmp_path / "out", home=real_home, workers=1)
    checker = Checker(real_home)
    reports = {o["id"]: checker.check(o) for o in objs}

    seen: set[tuple[str, ...]] = set()
    for report in reports.values():
        rules = {f.rule.split(".")[0] for f in report.findings}
        seen |= {(f.rule, f.status.value) for f in report.findings}
        if {"ptp", "aoc"} <= rules:
            seen.add(("ptp", "aoc"))
        if {"aoc", "mue"} <= rules:
            seen.add(("aoc", "mue"))
        seen |= {
            ("mai", str(f.evidence["mue"]["mai"]))
            for f in report.findings
            if f.rule == "mue.exceeded"
        }
    wanted = {
        ("aoc.primary-missing", "fail"),
        ("aoc.primary-missing", "info"),
        ("mue.exceeded", "fail"),
        ("ptp.bundled", "fail"),
        ("ptp.modifier-required", "fail"),
        ("ptp", "aoc"),
        ("mai", "1"),
        ("mai", "2"),
        ("mai", "3"),
    }
    assert wanted <= seen
    # the rules check those with a code on two lines of a PTP edit, two rows of one
    # pair, or a fluoroscopy code: a few
    assert summary["encounters_checked_by_rules"] < 0.1 * len(objs)
    assert summary["encounters_with_edits_decided_in_sql"] > 0.9 * len(objs)
    expected = {
        (o["id"], o["date_of_service"], claimgen.provider_of(o)): check_view(
            reports[o["id"]], [10 * (i + 1) for i in range(len(o["lines"]))]
        )
        for o in objs
    }
    by_id = {o["id"]: o for o in objs}
    assert_equal(batch_view(tmp_path / "out"), expected, lambda k: by_id[k[0]])
