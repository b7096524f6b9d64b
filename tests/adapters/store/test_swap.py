"""Replacing an edition while it is read: every reader sees the old one or the new one.

Two versions of the same quarter differ in one edit: 33289/76000 has modifier
indicator 0 in A (76000 removed) and 1 in B (76000 held). Each report names the
SHA-256 of the source file that answered it, so a report can be matched to the edition
that produced it; a reader that saw half of a swap, no edition at all (the demo edition
would answer) or a mix would break the match.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from fluorocode.adapters.store.registry import EditionRegistry
from fluorocode.api import Checker
from fluorocode.domain.codes import Program
from fluorocode.domain.edits import Table

from .test_import import ptp_txt

ROWS_A = [
    ("29880", "76000", "19960101", "*", "1", "Standards of medical/surgical practice"),
    (
        "33289",
        "76000",
        "20190101",
        "*",
        "0",
        "CPT Manual or CMS manual coding instruction",
    ),
]
ROWS_B = [ROWS_A[0], ("33289", "76000", "20190101", "*", "1", "Misuse of column two")]
NAME = "ccipra-v302r0-f1.TXT"
ENCOUNTER = {
    "id": "swap",
    "date_of_service": "2024-08-15",
    "place_of_service": "22",
    "lines": [{"code": "33289"}, {"code": "76000"}],
}


def versions(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Both versions as files to import, with their SHA-256 and 76000's action."""
    out = {}
    for label, rows, action in (("a", ROWS_A, "remove"), ("b", ROWS_B, "hold")):
        folder = tmp_path / label
        folder.mkdir()
        path = folder / NAME
        path.write_bytes(ptp_txt(rows))
        out[hashlib.sha256(path.read_bytes()).hexdigest()] = (path, action)
    return out


def read_until(stop: threading.Event, checker: Checker, seen: list[Any]) -> None:
    while not stop.is_set():
        try:
            report = checker.check(ENCOUNTER)
            edition = report.edition or {}
            sha = [s["sha256"] for s in edition.get("sources", ())]
            seen.append((edition.get("demo"), sha, report.lines[1].action.value))
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            seen.append(("error", repr(exc), None))


def test_readers_never_see_a_half_swapped_edition(tmp_path: Path) -> None:
    home = tmp_path / "home"
    files = versions(tmp_path)
    paths = [p for p, _ in files.values()]
    Checker(home).import_editions([paths[0]])
    shared = Checker(home)  # threads of one service share a checker
    stop = threading.Event()
    seen: list[list[Any]] = [[] for _ in range(4)]
    readers = [
        threading.Thread(
            target=read_until, args=(stop, shared if i < 2 else Checker(home), seen[i])
        )
        for i in range(4)
    ]
    for t in readers:
        t.start()
    try:
        importer = Checker(home)
        for i in range(16):
            importer.import_editions([paths[(i + 1) % 2]], replace=True)
    finally:
        stop.set()
        for t in readers:
            t.join()
    results = [r for rs in seen for r in rs]
    assert len(results) > 100
    answered: Counter[str] = Counter()
    for demo, sha, action in results:
        assert demo is False, (demo, sha, action)
        assert len(sha) == 1 and sha[0] in files, sha
        assert action == files[sha[0]][1]
        answered[sha[0]] += 1
    assert set(answered) == set(files), "both versions should have answered"
    assert EditionRegistry(home).leftovers() == []


def test_an_open_edition_outlives_its_replacement_and_removal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    files = versions(tmp_path)
    (path_a, _), (path_b, _) = files.values()
    registry = EditionRegistry(home)
    Checker(home).import_editions([path_a])
    old = registry.open(Program.MEDICARE, "2024Q3")
    Checker(home).import_editions([path_b], replace=True)
    new = registry.open(Program.MEDICARE, "2024Q3")
    assert new is not old and new.path != old.path
    assert not old.path.exists()  # the old import's directory is gone...
    rows = old.ptp_pair(Table.PTP_PRACTITIONER, "33289", "76000")
    assert [r.indicator.value for r in rows] == [0]  # ...and still answers, whole
    rows = new.ptp_pair(Table.PTP_PRACTITIONER, "33289", "76000")
    assert [r.indicator.value for r in rows] == [1]
    registry.remove(Program.MEDICARE, "2024Q3")
    assert (
        new.ptp_pair(Table.PTP_PRACTITIONER, "33289", "76000")[0].indicator.value == 1
    )
    assert registry.list() == []
    assert sorted(p.name for p in registry.root.iterdir()) == []


def test_a_dangling_or_foreign_entry_is_not_an_edition(tmp_path: Path) -> None:
    home = tmp_path / "home"
    files = versions(tmp_path)
    Checker(home).import_editions([next(iter(files.values()))[0]])
    root = home / "editions"
    os.symlink(".v-gone", root / "medicare-2025Q1")
    (root / "notes").mkdir()
    assert [i.quarter for i in EditionRegistry(home).list()] == ["2024Q3"]


def test_an_edition_with_a_missing_array_is_skipped_not_a_crash(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    files = versions(tmp_path)
    Checker(home).import_editions([next(iter(files.values()))[0]])
    link = home / "editions" / "medicare-2024Q3"
    next(link.resolve().glob("ptp_practitioner.key.npy")).unlink()
    assert EditionRegistry(home).list() == []
    # and the checker says so rather than guessing: no data, never the demo edition
    report = Checker(home).check(ENCOUNTER)
    assert report.status.value == "no_data" and report.edition is None
