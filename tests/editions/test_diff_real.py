"""``editions diff`` on the real 2024Q3 tables against a 2024Q4 made from them.

The 2024Q4 files are the real 2024Q3 files (written in CMS layout by the shared tool)
with known changes: practitioner PTP rows removed, deletion dates set, indicators
flipped and new pairs added; hospital PTP rows removed; MUE values and MAIs changed;
AOC rows removed. The diff must find exactly those, and nothing else.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from fluorocode.api import Checker

pytestmark = pytest.mark.slow

HEAD = 6  # PTP TXT notice and header lines
N_REMOVED, N_DELETION, N_FLIP, N_ADDED = 500, 400, 300, 600
N_OPH_REMOVED, N_MUE_VALUE, N_MUE_MAI, N_AOC_REMOVED = 100, 50, 20, 5
NEW_RULE = "Standards of medical/surgical practice"


def _q4_name(path: Path) -> str:
    name = path.name.replace("v302r0", "v303r0").replace("07-01-2024", "10-01-2024")
    return name.replace("AOC_V2024Q2", "AOC_V2024Q3")


def _ptp_q4(
    paths: list[Path], out: Path, rng: random.Random, counts: tuple[int, int, int, int]
) -> tuple[list[Path], dict[str, set[tuple[str, str]]]]:
    """Write the practitioner/hospital parts with changes on pairs that have one row."""
    removed, deletion, flip, added = counts
    parts = [p.read_bytes().decode("latin-1").split("\r\n") for p in paths]
    pairs = Counter(
        tuple(line.split("\t", 2)[:2])
        for lines in parts
        for line in lines[HEAD:]
        if line
    )
    single = [
        (k, i)
        for k, lines in enumerate(parts)
        for i in range(HEAD, len(lines))
        if lines[i]
        and pairs[tuple(lines[i].split("\t", 2)[:2])] == 1
        and lines[i].split("\t")[4] == "*"
        and lines[i].split("\t")[5] in "01"
    ]
    chosen = rng.sample(single, removed + deletion + flip)
    expected: dict[str, set[tuple[str, str]]] = {
        "row-removed": set(),
        "deletion-date-set": set(),
        "indicator-changed": set(),
        "added": set(),
    }
    for n, (k, i) in enumerate(chosen):
        cells = parts[k][i].split("\t")
        pair = (cells[0], cells[1])
        if n < removed:
            parts[k][i] = ""  # dropped below
            expected["row-removed"].add(pair)
        elif n < removed + deletion:
            cells[4] = "20240930"
            parts[k][i] = "\t".join(cells)
            expected["deletion-date-set"].add(pair)
        else:
            cells[5] = "0" if cells[5] == "1" else "1"
            parts[k][i] = "\t".join(cells)
            expected["indicator-changed"].add(pair)
    codes = sorted({c for pair in pairs for c in pair})
    while len(expected["added"]) < added:
        pair = (rng.choice(codes), rng.choice(codes))
        if pair[0] != pair[1] and pair not in pairs:
            expected["added"].add(pair)
    new_rows = [
        f"{a}\t{b}\t\t20241001\t*\t1\t{NEW_RULE}" for a, b in sorted(expected["added"])
    ]
    written = []
    for k, (path, lines) in enumerate(zip(paths, parts, strict=True)):
        body = [line for line in lines[HEAD:] if line]
        if k == len(parts) - 1:
            body += new_rows
        target = out / _q4_name(path)
        text = "\r\n".join([*lines[:HEAD], *body]) + "\r\n"
        target.write_bytes(text.encode("latin-1"))
        written.append(target)
    return written, expected


def _mue_q4(
    path: Path, out: Path, rng: random.Random, values: int, mais: int
) -> tuple[Path, dict[str, set[str]]]:
    """Change MUE values (+1) and MAIs (2 <-> 3) of plain one-line records."""
    records = path.read_bytes().decode("latin-1").split("\r\n")
    row = re.compile(r"([0-9A-Z]{5}),(\d+),([123]) ([^,]*),(.*)")
    plain = [
        i for i, r in enumerate(records) if (m := row.fullmatch(r)) and m[3] in "23"
    ]
    chosen = rng.sample(plain, values + mais)
    expected: dict[str, set[str]] = {"value": set(), "mai": set()}
    for n, i in enumerate(chosen):
        m = row.fullmatch(records[i])
        assert m is not None
        code, value, mai, label, why = m.groups()
        if n < values:
            records[i] = f"{code},{int(value) + 1},{mai} {label},{why}"
            expected["value"].add(code)
        else:
            other = {"2": "3 Date of Service Edit: Clinical", "3": "2 Date of Service "
                     "Edit: Policy"}[mai]  # fmt: skip
            records[i] = f"{code},{value},{other},{why}"
            expected["mai"].add(code)
    target = out / _q4_name(path)
    target.write_bytes("\r\n".join(records).encode("latin-1"))
    return target, expected


def _aoc_q4(
    path: Path, out: Path, rng: random.Random, removed: int
) -> tuple[Path, set[tuple[str, str]]]:
    lines = path.read_bytes().decode("latin-1").split("\r\n")
    rows = [i for i in range(1, len(lines)) if lines[i]]
    chosen = set(rng.sample(rows, removed))
    gone = {
        (lines[i].split("\t")[1], lines[i].split("\t")[0]) for i in chosen
    }  # (primary, add-on)
    kept = [line for i, line in enumerate(lines) if i not in chosen]
    target = out / _q4_name(path)
    target.write_bytes("\r\n".join(kept).encode("latin-1"))
    return target, gone


@pytest.fixture(scope="module")
def derived(
    real_cms_files: dict[str, list[Path]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    rng = random.Random(20241001)
    out = tmp_path_factory.mktemp("cms-2024q4")
    files = real_cms_files
    pra, expected_pra = _ptp_q4(
        files["ptp_practitioner"], out, rng, (N_REMOVED, N_DELETION, N_FLIP, N_ADDED)
    )
    oph, expected_oph = _ptp_q4(
        files["ptp_outpatient_hospital"], out, rng, (N_OPH_REMOVED, 0, 0, 0)
    )
    (mue_path,) = files["mue_practitioner"]
    mue, expected_mue = _mue_q4(mue_path, out, rng, N_MUE_VALUE, N_MUE_MAI)
    same_mue = [out / _q4_name(p) for p in files["mue_outpatient_hospital"]]
    for p, target in zip(files["mue_outpatient_hospital"], same_mue, strict=True):
        target.write_bytes(p.read_bytes())
    (aoc_path,) = files["aoc"]
    aoc, expected_aoc = _aoc_q4(aoc_path, out, rng, N_AOC_REMOVED)

    home = tmp_path_factory.mktemp("diff-home")
    checker = Checker(home)
    q3 = [p for t, ps in files.items() if t != "mue_dme" for p in ps]
    checker.import_editions(q3)
    checker.import_editions([*pra, *oph, mue, *same_mue, aoc])
    return home, {
        "pra": expected_pra,
        "oph": expected_oph,
        "mue": expected_mue,
        "aoc": expected_aoc,
    }


def test_the_diff_finds_exactly_the_known_changes(
    derived: tuple[Path, dict[str, Any]],
) -> None:
    home, expected = derived
    report = Checker(home).diff_editions("medicare/2024Q3", "medicare/2024Q4")
    tables = report.summary()["tables"]
    assert tables["ptp_practitioner"]["changes"] == {
        "ptp.added": N_ADDED,
        "ptp.deleted": N_REMOVED + N_DELETION,
        "ptp.indicator-changed": N_FLIP,
        "ptp.changed": 0,
    }
    assert tables["ptp_practitioner"]["from_rows"] == 2_546_017
    assert tables["ptp_practitioner"]["to_rows"] == 2_546_017 - N_REMOVED + N_ADDED
    assert tables["ptp_outpatient_hospital"]["changes"]["ptp.deleted"] == N_OPH_REMOVED
    assert sum(tables["ptp_outpatient_hospital"]["changes"].values()) == N_OPH_REMOVED
    assert tables["mue_practitioner"]["changes"] == {
        "mue.added": 0,
        "mue.removed": 0,
        "mue.value-changed": N_MUE_VALUE,
        "mue.mai-changed": N_MUE_MAI,
        "mue.rationale-changed": 0,
    }
    assert sum(tables["mue_outpatient_hospital"]["changes"].values()) == 0
    assert tables["aoc"]["changes"] == {
        "aoc.added": 0,
        "aoc.removed": N_AOC_REMOVED,
        "aoc.changed": 0,
    }

    found: dict[tuple[str, str, str | None], set[tuple[str, ...]]] = {}
    for change in report.changes():
        key = (change["table"], change["kind"], change["detail"])
        found.setdefault(key, set()).add(tuple(change["codes"]))
    pra, oph = expected["pra"], expected["oph"]
    assert found == {
        ("ptp_practitioner", "ptp.added", None): pra["added"],
        ("ptp_practitioner", "ptp.deleted", "row-removed"): pra["row-removed"],
        ("ptp_practitioner", "ptp.deleted", "deletion-date-set"): pra[
            "deletion-date-set"
        ],
        ("ptp_practitioner", "ptp.indicator-changed", None): pra["indicator-changed"],
        ("ptp_outpatient_hospital", "ptp.deleted", "row-removed"): oph["row-removed"],
        ("mue_practitioner", "mue.value-changed", None): {
            (c,) for c in expected["mue"]["value"]
        },
        ("mue_practitioner", "mue.mai-changed", None): {
            (c,) for c in expected["mue"]["mai"]
        },
        ("aoc", "aoc.removed", None): expected["aoc"],
    }


def test_codes_filter_on_the_full_tables(derived: tuple[Path, dict[str, Any]]) -> None:
    home, expected = derived
    code = sorted(expected["pra"]["indicator-changed"])[0][0]
    report = Checker(home).diff_editions(
        "medicare/2024Q3", "medicare/2024Q4", codes=[code]
    )
    changes = list(report.changes())
    assert changes and all(code in c["codes"] for c in changes)
    everything = Checker(home).diff_editions("medicare/2024Q3", "medicare/2024Q4")
    assert changes == [c for c in everything.changes() if code in c["codes"]]
