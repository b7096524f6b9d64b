"""The fixture edition's rows are real CMS rows of the July 2024 release.

Checked against ``../shared/data/ncci-2024q3`` (skipped when it is absent, failed in CI).
That release has no PTP effective dates, so those are not compared.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from fluorocode.rules.base import fluoro_family

from ._editions import code, fixture_spec

Row = tuple[str, ...]


def tsv(path: Path) -> Iterator[list[str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        next(reader)  # header
        yield from reader


def ptp_key(row: list[object]) -> Row:
    """(column 1, column 2, deletion YYYYMMDD or *, indicator, rationale)."""
    c1, c2, _effective, deletion, indicator, rationale = row
    when = "*" if deletion is None else str(deletion).replace("-", "")
    return code(c1), code(c2), when, str(indicator), str(rationale)


def fixture_ptp(*keys: str) -> set[Row]:
    spec = fixture_spec()
    return {ptp_key(r) for k in keys for r in spec.get(k, ())}


def real_ptp(data: Path, table: str, wanted: Iterable[Row]) -> set[Row]:
    """The rows of one real PTP table among the pairs of ``wanted``."""
    pairs = {w[:2] for w in wanted}
    fluoro = {p for p in pairs if fluoro_family() & set(p)}
    found = {
        tuple(r)
        for r in tsv(data / f"ptp_{table}_fluoro_pairs.tsv")
        if tuple(r[:2]) in fluoro
    }
    rest = {f"{c1}\t{c2}\t" for c1, c2 in pairs - fluoro}
    if rest:
        last = max(rest)[:6]  # the last column 1 wanted, with its tab
        with gzip.open(data / f"ptp_{table}.tsv.gz", "rt", encoding="utf-8") as f:
            next(f)  # header
            for line in f:  # 2.5 million lines: compare text, split only the matches
                if line[:12] in rest:
                    found.add(tuple(line.rstrip("\n").split("\t")))
                elif line[:6] > last:  # sorted by column 1: nothing further wanted
                    break
    return found


@pytest.mark.parametrize(
    ("table", "keys"),
    [
        ("practitioner", ("ptp", "ptp_practitioner")),
        ("outpatient_hospital", ("ptp", "ptp_outpatient_hospital")),
    ],
)
def test_fixture_ptp_rows_are_real(
    shared_data: Path, table: str, keys: tuple[str, ...]
) -> None:
    rows = fixture_ptp(*keys)
    real = real_ptp(shared_data / "ncci-2024q3", table, rows)
    assert rows - real == set()


@pytest.mark.parametrize("table", ["practitioner", "outpatient_hospital"])
def test_fixture_mue_rows_are_real(shared_data: Path, table: str) -> None:
    rows = {
        code(c): (str(value), str(mai), rationale)
        for c, value, mai, rationale in fixture_spec()["mue"]
    }
    real = {
        r[0]: tuple(r[1:4])
        for r in tsv(shared_data / "ncci-2024q3" / f"mue_{table}.tsv")
        if r[0] in rows
    }
    if table == "practitioner":
        assert real == rows
    else:  # the hospital table's rationales differ; values and MAIs are the same
        assert {c: r[:2] for c, r in real.items()} == {
            c: r[:2] for c, r in rows.items()
        }


def test_fixture_aoc_rows_are_real(shared_data: Path) -> None:
    rows = {
        (code(addon), code(primary), str(kind))
        for addon, primary, kind in fixture_spec()["aoc"]
    }
    real = {
        (addon, primary, kind)
        for primary, addon, kind in tsv(shared_data / "ncci-2024q3" / "aoc.tsv")
    }
    assert rows - real == set()


def test_fixture_pfs_rows_are_real(shared_data: Path) -> None:
    rows = {
        (code(c), status, pctc, glob) for c, status, pctc, glob in fixture_spec()["pfs"]
    }
    real = {
        (r[0], r[2], r[3], r[4])
        for r in tsv(shared_data / "ncci-2024q3" / "pfs_indicators.tsv")
        if r[1] == ""
    }
    assert rows - real == set()
