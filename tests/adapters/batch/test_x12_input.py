"""837 files in a batch give, encounter by encounter, what ``check FILE`` gives (issue 10).

The oopfactory 837P samples (../shared/data/x12): plain claims, claims on several
dates, claims the contract refuses (SV1-01 not HC, units ``99.99``) whose findings name
the file's segments, and files that cannot be read at all (refused whole, as by
``check``). ``adapters.claims.reader`` round-trips its encounters through JSON.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from fluorocode.adapters.claims.errors import X12ParseError
from fluorocode.adapters.claims.reader import from_json, to_json, x12_encounters
from fluorocode.api import Checker, check_claims, run_batch
from fluorocode.jsoncodec import encode

READABLE = [
    "Example1_2_And_3_Combined.txt",
    "Example2_Encounter.txt",
    "MedicaidExample.txt",
    "ST1309-XX.txt",
]


@pytest.fixture
def samples(shared_data: Path) -> Path:
    return shared_data / "x12" / "oopfactory-x12parser" / "837P_5010"


def _numbers(source: dict[str, Any], n: int) -> list[int]:
    lx = [str(ln["line"]) for ln in source.get("lines", [])]
    if len(lx) != n or len(set(lx)) < n or not all(x.isdigit() for x in lx):
        return list(range(1, n + 1))
    return [int(x) for x in lx]


def _expected(path: Path, home: Path) -> list[tuple[Any, ...]]:
    """Every (line and finding) row ``check FILE``'s reports give, as a sorted list."""
    rows: list[tuple[Any, ...]] = []
    with open(path, "rb") as f:
        for c in check_claims(f, str(path), checker=Checker(home)):
            r = c.report
            enc_lines = c.source.get("lines", [])
            numbers = _numbers(dict(c.source), len(enc_lines))
            key = r.encounter_id
            results = {x.index: x for x in r.lines if not x.suggested}
            for i, n in enumerate(numbers):
                x = results.get(i)
                rows.append(
                    (
                        "line",
                        key,
                        n,
                        x.action.value if x else None,
                        ":".join(x.modifiers) if x else None,
                        r.status.value,
                    )
                )
            if r.errors:
                for e in r.errors:
                    message = f"{e.field}: {e.message}"
                    rows.append(("finding", key, "input.invalid", message))
            for f_ in r.findings:
                rows.append(
                    (
                        "finding",
                        key,
                        f_.rule,
                        f_.status.value,
                        tuple(numbers[i] for i in f_.lines),
                        f_.message,
                        json.loads(encode(dict(f_.evidence))),
                    )
                )
    return sorted(rows, key=repr)


def _batch(out: Path) -> list[tuple[Any, ...]]:
    db = duckdb.connect()
    rows: list[tuple[Any, ...]] = [
        ("line", cid, line, action, mods, status)
        for cid, line, action, mods, status in db.execute(
            f"SELECT claim_id, line, action, modifiers, status "
            f"FROM '{out / 'lines.parquet'}'"
        ).fetchall()
    ]
    for cid, rule, status, lines, message, evidence in db.execute(
        f"SELECT claim_id, rule, status, lines, message, evidence "
        f"FROM '{out / 'findings.parquet'}'"
    ).fetchall():
        if rule == "input.invalid":
            rows.append(("finding", cid, rule, message))
        else:
            rows.append(
                (
                    "finding",
                    cid,
                    rule,
                    status,
                    tuple(lines),
                    message,
                    json.loads(evidence),
                )
            )
    return sorted(rows, key=repr)


@pytest.mark.parametrize("name", READABLE)
def test_x12_batch_equals_check(name: str, samples: Path, tmp_path: Path) -> None:
    path = samples / name
    home = tmp_path / "home"  # fresh: the demo edition answers, as for check
    summary = run_batch([path], tmp_path / "out", home=home)
    assert summary["encounters"] > 0
    assert _batch(tmp_path / "out") == _expected(path, home)


def test_x12_batch_with_csv_and_both_paths(samples: Path, tmp_path: Path) -> None:
    csv = tmp_path / "claims.csv"
    csv.write_text(
        "claim_id,line,date_of_service,place_of_service,code,modifiers,units\n"
        "k1,1,2024-08-15,11,99213,,1\n"
    )
    paths = [samples / n for n in READABLE]
    summary = run_batch([csv, *paths], tmp_path / "out", home=tmp_path / "h")
    # MedicaidExample: SV1-01 'XX' on every claim: 5 encounters, each counted (only 3
    # distinct claim id + date + provider keys: the summary never merges encounters)
    assert summary["encounters_by_status"]["rejected"] == 5
    assert sum(summary["encounters_by_status"].values()) == summary["encounters"]
    assert summary["encounters_by_status"]["clean"] >= 1
    findings = _batch(tmp_path / "out")
    assert any("segment 24 SV1-01-1" in str(r) for r in findings)


@pytest.mark.parametrize("name", ["ProfessionalClaim1.txt", "UnicodeExample.txt"])
def test_unreadable_837_is_refused_whole(
    name: str, samples: Path, tmp_path: Path
) -> None:
    with pytest.raises(X12ParseError):
        run_batch([samples / name], tmp_path / "out", home=tmp_path / "h")


def test_reader_round_trips_encounters(samples: Path) -> None:
    data = (samples / "MedicaidExample.txt").read_bytes()
    encs = list(x12_encounters(io.BytesIO(data), "MedicaidExample.txt"))
    assert len(encs) == 5 and all(e.errors for e in encs)
    again = [from_json(json.loads(json.dumps(to_json(e)))) for e in encs]
    assert again == encs
