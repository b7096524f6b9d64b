"""Encounters built from an edition's own rows, for the batch equality tests.

Drawn with a seeded ``random.Random`` from the real 2024Q3 edition: in-force PTP pairs
(indicator 0 and 1, with and without bypass modifiers), the 76000 pairs, MUE values
(units at, over and far over), add-on codes with and without a primary, unknown codes
and modifiers, invalid input, institutional claims, dates before, inside and after the
quarter, documentation blocks and notes. Each encounter is a contract object; ``rows``
writes it as claim lines (line numbers with gaps, lines shuffled in the file).
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

MODS = [
    "",
    "",
    "",
    "59",
    "XS",
    "XU",
    "XE",
    "XP",
    "RT",
    "LT",
    "26",
    "TC",
    "25",
    "51",
    "F1",
]
POS = ["11", "11", "22", "22", "21", "24", "19", "23", "81", "12"]
DATES = ["2024-07-01", "2024-08-15", "2024-09-30", "2024-07-19", "2024-08-02"]
COLUMNS = [
    "claim_id",
    "line",
    "date_of_service",
    "place_of_service",
    "claim_type",
    "program",
    "provider",
    "code",
    "modifiers",
    "units",
    "global_billing",
    "documentation",
    "note",
]


class Pools:
    """Samples of the edition's rows (DuckDB over its Parquet copies)."""

    def __init__(self, edition_dir: Path, seed: int = 7) -> None:
        db = duckdb.connect()
        ptp = edition_dir / "ptp_practitioner.parquet"
        oph = edition_dir / "ptp_outpatient_hospital.parquet"

        def rows(sql: str) -> list[tuple[Any, ...]]:
            return db.execute(sql).fetchall()

        inforce = "indicator <> 9 AND effective <= 20240701 AND deletion >= 20240930"
        self.pairs = rows(
            f"SELECT column1, column2, indicator FROM '{ptp}' WHERE {inforce} "
            f"USING SAMPLE reservoir(20000 ROWS) REPEATABLE ({seed})"
        )
        self.oph_pairs = rows(
            f"SELECT column1, column2, indicator FROM '{oph}' WHERE {inforce} "
            f"USING SAMPLE reservoir(5000 ROWS) REPEATABLE ({seed})"
        )
        self.fluoro = rows(
            f"SELECT column1, column2, indicator FROM '{ptp}' "
            "WHERE column2 = '76000' OR column1 = '76000'"
        )
        self.mue = rows(
            f"SELECT code, value, mai FROM '{edition_dir / 'mue_practitioner.parquet'}' "
            "WHERE value > 0"
        )
        self.aoc = rows(
            f"SELECT addon, \"primary\" FROM '{edition_dir / 'aoc.parquet'}' "
            "WHERE \"primary\" <> 'CCCCC'"
        )
        self.addons = sorted({a for a, _ in self.aoc})
        self.codes = sorted({c for c, _, _ in self.mue} | {p[0] for p in self.pairs})


def encounters(pools: Pools, n: int, seed: int = 1) -> Iterator[dict[str, Any]]:
    rnd = random.Random(seed)
    for i in range(n):
        yield _encounter(pools, rnd, i)


def _line(rnd: random.Random, code: str) -> dict[str, Any]:
    line: dict[str, Any] = {"code": code}
    mods = [m for m in {rnd.choice(MODS), rnd.choice(MODS)} if m]
    if mods:
        line["modifiers"] = sorted(mods)
    if rnd.random() < 0.3:
        line["units"] = rnd.choice([1, 1, 2, 3, 5])
    return line


def _encounter(pools: Pools, rnd: random.Random, i: int) -> dict[str, Any]:
    kind = rnd.random()
    institutional = rnd.random() < 0.1
    lines = [
        _line(rnd, rnd.choice(pools.codes)) for _ in range(rnd.choice([1, 1, 2, 3]))
    ]
    if kind < 0.30:
        c1, c2, _ = rnd.choice(pools.oph_pairs if institutional else pools.pairs)
        lines += [_line(rnd, c1), _line(rnd, c2)]
    elif kind < 0.40:
        c1, c2, _ = rnd.choice(pools.fluoro)
        lines += [_line(rnd, c1), _line(rnd, c2)]
        if rnd.random() < 0.3:
            lines.append(_line(rnd, rnd.choice(["77002", "77003", "77001", "76001"])))
    elif kind < 0.47:
        code, value, _ = rnd.choice(pools.mue)
        lines.append({"code": code, "units": min(value + rnd.choice([0, 1, 5]), 99999)})
        if rnd.random() < 0.5:
            lines.append({"code": code, "units": rnd.choice([1, value])})
    elif kind < 0.54:
        addon = rnd.choice(pools.addons)
        lines.append(_line(rnd, addon))
        if rnd.random() < 0.5:
            primary = rnd.choice([p for a, p in pools.aoc if a == addon][:20])
            lines.append(_line(rnd, primary))
    elif kind < 0.57:
        lines.append(
            rnd.choice([{"code": "9999Z"}, {"code": "99213", "modifiers": ["ZY"]}])
        )
    elif kind < 0.59:
        lines.append(
            rnd.choice(
                [
                    {"code": "9921"},
                    {"code": "99213", "units": 0},
                    {"code": "99213", "modifiers": ["R"]},
                ]
            )
        )
    rnd.shuffle(lines)
    obj: dict[str, Any] = {
        "id": f"C{i:07d}",
        "date_of_service": rnd.choice(DATES)
        if rnd.random() < 0.97
        else rnd.choice(["2024-06-30", "2024-10-01", "2024-02-30", "1995-06-01"]),
        "place_of_service": rnd.choice(POS) if rnd.random() < 0.995 else "00",
        "lines": lines,
    }
    if institutional:
        obj["claim_type"] = "institutional"
    if rnd.random() < 0.03:
        obj["billing"] = {"global_billing": True}
    if any(ln["code"] == "76000" for ln in lines) and rnd.random() < 0.4:
        fluoro: dict[str, Any] = {
            "indication": "stress views",
            "minutes": rnd.choice([0.5, 2, 70]),
        }
        if rnd.random() < 0.7:
            fluoro["air_kerma"] = {"value": 3.2, "unit": "mGy"}
        fluoro["images_saved"] = rnd.random() < 0.8
        fluoro["separate_report"] = True
        answer = rnd.random()
        if answer < 0.3:
            fluoro["distinct_indication"] = {
                "confirmed": True,
                "basis": "separate-site",
            }
        elif answer < 0.4:
            fluoro["distinct_indication"] = {"confirmed": False}
        obj["documentation"] = {"fluoroscopy": fluoro}
    if rnd.random() < 0.01:
        obj["note"] = (
            "Fluoroscopy time 1.2 min. Stand-alone study, separate indication."
        )
    return obj


def provider_of(obj: dict[str, Any]) -> str:
    return f"NPI{int(obj['id'][1:]) % 97:03d}"


def write_csv(objs: list[dict[str, Any]], path: Path, seed: int = 3) -> None:
    """The encounters as claim-line rows (line numbers 10, 20, ...; rows shuffled)."""
    rows = []
    for obj in objs:
        doc = json.dumps(obj["documentation"]) if "documentation" in obj else ""
        billing = obj.get("billing", {}).get("global_billing")
        for n, line in enumerate(obj["lines"]):
            rows.append(
                [
                    obj["id"],
                    str(10 * (n + 1)),
                    obj["date_of_service"],
                    obj["place_of_service"],
                    obj.get("claim_type", ""),
                    obj.get("program", ""),
                    provider_of(obj),
                    line["code"],
                    ":".join(line.get("modifiers", [])),
                    str(line["units"]) if "units" in line else "",
                    "" if billing is None else str(billing).lower(),
                    doc if n == 0 else "",
                    obj.get("note", "") if n == 0 else "",
                ]
            )
    random.Random(seed).shuffle(rows)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        w.writerows(rows)
