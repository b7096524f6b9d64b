"""Conformance on the full real CMS 2024-07-01 tables (issues 2 and 3).

The tables are written back into CMS's own file layout by ../shared/tools, imported with
the real importer, and every answer is compared with the decoded TSV tables.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from fluorocode.api import Checker
from fluorocode.cli import cli
from fluorocode.domain.edits import Table

pytestmark = pytest.mark.slow
DOS = "2024-08-15"
Q3_START = "20240701"


def tsv_rows(shared_data: Path, name: str) -> list[list[str]]:
    path = shared_data / "ncci-2024q3" / name
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:  # type: ignore[operator]
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        return list(reader)


def active(row: list[str]) -> bool:
    """In force on a 2024 Q3 date of service (PROVENANCE.md §1b)."""
    return row[3] != "9" and (row[2] == "*" or row[2] >= Q3_START)


def encounter(
    codes: list[str],
    *,
    pos: str = "11",
    claim_type: str = "professional",
    mods: dict[int, list[str]] | None = None,
    **extra: object,
) -> dict[str, object]:
    mods = mods or {}
    return {
        "id": "c",
        "date_of_service": DOS,
        "place_of_service": pos,
        "claim_type": claim_type,
        "lines": [
            {"code": c, "modifiers": mods.get(i, []), "units": 1}
            for i, c in enumerate(codes)
        ],
        **extra,
    }


def test_editions_list_reports_the_real_counts(real_home: Path) -> None:
    result = CliRunner().invoke(
        cli, ["editions", "list", "--format", "json", "--home", str(real_home)]
    )
    assert result.exit_code == 0, result.output
    (edition,) = json.loads(result.output)
    assert (
        edition["program"],
        edition["quarter"],
        edition["version"],
        edition["demo"],
    ) == ("medicare", "2024Q3", "v302r0", False)
    assert edition["tables"] == {
        "aoc": 7465,
        "mue_dme": 2928,
        "mue_outpatient_hospital": 14628,
        "mue_practitioner": 14677,
        "ptp_outpatient_hospital": 1775818,
        "ptp_practitioner": 2546017,
    }
    assert all(len(s["sha256"]) == 64 for s in edition["sources"])
    assert (
        sum(s["rows"] for s in edition["sources"] if s["table"] == "ptp_practitioner")
        == 2546017
    )


@pytest.mark.parametrize(
    "table, tsv",
    [
        (Table.PTP_PRACTITIONER, "ptp_practitioner.tsv.gz"),
        (Table.PTP_OUTPATIENT_HOSPITAL, "ptp_outpatient_hospital.tsv.gz"),
    ],
)
def test_lookups_agree_with_the_tsv_for_a_large_sample(
    real_home: Path, shared_data: Path, table: Table, tsv: str
) -> None:
    expected: dict[tuple[str, str], list[tuple[str, str, str]]] = defaultdict(list)
    for c1, c2, deletion, indicator, rationale in tsv_rows(shared_data, tsv):
        expected[(c1, c2)].append((deletion, indicator, rationale))
    edition = Checker(real_home).registry.select(
        __import__("fluorocode.domain.codes", fromlist=["Program"]).Program.MEDICARE,
        date(2024, 8, 15),
    )
    assert edition is not None
    rng = random.Random(302)
    for c1, c2 in rng.sample(sorted(expected), 20000):
        got = edition.ptp_pair(table, c1, c2)
        assert sorted(
            (
                r.deletion.strftime("%Y%m%d") if r.deletion else "*",
                str(int(r.indicator)),
                r.rationale,
            )
            for r in got
        ) == sorted(expected[(c1, c2)]), (c1, c2)


@pytest.mark.parametrize(
    "claim_type, tsv, expected_edits",
    [
        ("professional", "ptp_practitioner_fluoro_pairs.tsv", 2193),
        ("institutional", "ptp_outpatient_hospital_fluoro_pairs.tsv", 2189),
    ],
)
def test_every_active_76000_edit_decides_as_the_table_says(
    real_home: Path, shared_data: Path, claim_type: str, tsv: str, expected_edits: int
) -> None:
    edits = [r for r in tsv_rows(shared_data, tsv) if r[1] == "76000" and active(r)]
    assert len(edits) == expected_edits
    checker = Checker(real_home)
    for c1, _c2, _deletion, indicator, _rationale in edits:
        report = checker.check(
            encounter([c1, "76000"], pos="22", claim_type=claim_type)
        )
        fluoro = report.lines[1]
        rules = {(f.rule, f.status.value) for f in report.findings if 1 in f.lines}
        if indicator == "0":
            assert fluoro.action.value == "remove", c1
            assert ("ptp.bundled", "fail") in rules, c1
        else:
            assert fluoro.action.value == "hold", c1
            assert ("ptp.modifier-required", "fail") in rules, c1
            assert any(
                p.kind.value == "confirm_distinct_indication" and p.line == 1
                for p in report.prompts
            ), c1


@pytest.mark.parametrize("primary", ["27506", "27236", "27447", "20690"])
def test_no_edit_is_not_billable(real_home: Path, primary: str) -> None:
    for claim_type in ("professional", "institutional"):
        report = Checker(real_home).check(
            encounter([primary, "76000"], pos="22", claim_type=claim_type)
        )
        assert not [f for f in report.findings if f.rule.startswith("ptp.")], primary
        assert report.lines[1].action.value == "hold"
        assert ("fluoro.integral", "fail") in {
            (f.rule, f.status.value) for f in report.findings
        }


def test_non_fluoroscopy_pairs_follow_their_indicator(
    real_home: Path, shared_data: Path
) -> None:
    rows = tsv_rows(shared_data, "ptp_practitioner.tsv.gz")
    by_pair: dict[tuple[str, str], list[list[str]]] = defaultdict(list)
    for r in rows:
        by_pair[(r[0], r[1])].append(r)
    fluoro = {"76000", "76001", "77001", "77002", "77003"}
    addons = {r[1] for r in tsv_rows(shared_data, "aoc.tsv")}  # primary, add-on, type
    candidates = [
        (pair, rs)
        for pair, rs in by_pair.items()
        if not (fluoro | addons) & set(pair)
        and len([r for r in rs if active(r)]) == 1
        and not by_pair.get((pair[1], pair[0]))
    ]
    rng = random.Random(2024)
    checker = Checker(real_home)
    for (c1, c2), rs in rng.sample(candidates, 3000):
        (row,) = [r for r in rs if active(r)]
        report = checker.check(encounter([c1, c2]))
        line2 = report.lines[1]
        if row[3] == "0":
            assert line2.action.value == "remove", (c1, c2)
        else:
            assert line2.action.value == "hold", (c1, c2)
            bypassed = checker.check(encounter([c1, c2], mods={1: ["XU"]}))
            assert ("ptp.bypassed", "bypassed") in {
                (f.rule, f.status.value) for f in bypassed.findings
            }, (c1, c2)
            never = checker.check(encounter([c1, c2], mods={1: ["26"]}))
            assert never.lines[1].action.value == "hold", (c1, c2)


def test_code_universe_of_the_real_edition(real_home: Path) -> None:
    """Issue 8: every code of the PTP (both columns), MUE and AOC tables is known."""
    from fluorocode.adapters.store.registry import EditionRegistry
    from fluorocode.domain.codes import Program

    edition = EditionRegistry(real_home).open(Program.MEDICARE, "2024Q3")
    for code in ("76000", "29880", "99213", "77002", "0001U"):
        assert edition.code_known(code) is True, code
    assert edition.code_known("99999") is False
    assert edition.code_known("CCCCC") is False  # the MAC-defined AOC primary
    # the placeholder effective date the shared tool writes (ncci_tsv_to_cms.py)
    assert edition.first_effective(Table.PTP_PRACTITIONER) == date(1996, 1, 1)
    assert edition.first_effective(Table.MUE_PRACTITIONER) is None
    codes = edition.path / "codes.npy"
    assert codes.stat().st_size < 4 * 25_000 + 128  # compact: int32 per code


def test_code_universe_matches_the_decoded_tables(
    real_home: Path, shared_data: Path
) -> None:
    from fluorocode.adapters.store.registry import EditionRegistry
    from fluorocode.domain.codes import Program

    expected: set[str] = set()
    for table in ("ptp_practitioner.tsv.gz", "ptp_outpatient_hospital.tsv.gz"):
        expected.update(c for r in tsv_rows(shared_data, table) for c in r[:2])
    for table in ("mue_practitioner", "mue_outpatient_hospital", "mue_dme_supplier"):
        expected.update(r[0] for r in tsv_rows(shared_data, f"{table}.tsv"))
    for primary, addon, _kind in tsv_rows(shared_data, "aoc.tsv"):
        expected.update(c for c in (primary, addon) if c != "CCCCC")
    edition = EditionRegistry(real_home).open(Program.MEDICARE, "2024Q3")
    assert all(edition.code_known(c) for c in expected)
    import numpy as np

    assert len(np.load(edition.path / "codes.npy")) == len(expected)
