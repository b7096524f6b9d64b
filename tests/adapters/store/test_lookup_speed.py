"""Lookups made faster (issue 11, round 2) answer exactly as before.

The AOC index by primary (``aoc_with_primaries``) gives the rows filtering
``aoc_for_addon`` gives, in its order, on the real July 2024 AOC file, from the compiled
store and the in-memory edition alike. The registry looks at its directory at most
every ``_RECHECK_NS``, yet an install or removal in this process is seen at once, and
one by another process once that interval has passed.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import SHARED, need_shared
from fluorocode.adapters.store import registry as registry_module
from fluorocode.adapters.store.registry import EditionRegistry
from fluorocode.api import Checker
from fluorocode.domain.codes import Program
from fluorocode.domain.memory_edits import MemoryEdits

from .test_swap import versions


@pytest.fixture(scope="module")
def aoc_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home holding an edition of the real July 2024 AOC file alone."""
    tool = need_shared(SHARED / "tools" / "ncci_tsv_to_cms.py")
    out = tmp_path_factory.mktemp("aoc")
    printed = subprocess.run(
        [sys.executable, str(tool), "aoc", "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    home = tmp_path_factory.mktemp("home")
    Checker(home).import_editions([Path(p) for p in printed.split()])
    return home


def test_aoc_with_primaries_is_the_filtered_rows_in_their_order(aoc_home: Path) -> None:
    (edition,) = EditionRegistry(aoc_home).editions()
    addons = ["77001", "77002", "77003", "22552", "64484", "64491", "99152"]
    rng = random.Random(11)
    checked = 0
    for addon in addons:
        rows = edition.aoc_for_addon(addon)
        memory = MemoryEdits(edition.info, aoc=rows)
        primaries = [a.primary for a in rows]
        for _ in range(40):
            codes = rng.sample(primaries, min(len(primaries), rng.randint(0, 4)))
            codes += rng.sample(["76000", "99213", "36415", "CCCCC"], 2)
            codes += codes[:1]  # a code twice, as a claim may bill it
            expected = [a for a in rows if a.primary in codes]
            assert edition.aoc_with_primaries(addon, codes) == expected
            assert edition.aoc_with_primaries(addon, set(codes)) == expected
            assert memory.aoc_with_primaries(addon, codes) == expected
            checked += len(expected)
    assert checked > 100  # the samples did meet primaries
    assert len(edition.aoc_for_addon("77002")) > 50  # the index is worth having
    assert edition.aoc_with_primaries("76000", ["20610"]) == []  # not an add-on


def test_an_install_in_this_process_is_seen_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (path_a, _), (path_b, _) = versions(tmp_path).values()
    Checker(home).import_editions([path_a])
    settle(home)
    monkeypatch.setattr(registry_module, "_RECHECK_NS", 60_000_000_000)
    reader = EditionRegistry(home)
    first = reader.editions()
    assert [e.info.quarter for e in first] == ["2024Q3"]
    for _ in range(3):  # trusted, and not looked at again within the interval
        assert reader.editions() is first
    Checker(home).import_editions([path_b], replace=True)  # another registry
    settle(home)
    (swapped,) = reader.editions()  # at once: this process's installs are counted
    assert swapped.path != first[0].path
    EditionRegistry(home).remove(Program.MEDICARE, "2024Q3")
    settle(home)
    assert reader.editions() == []


def settle(home: Path) -> None:
    """Date the editions directory 5 s back: a listing of it is trusted at once."""
    old = time.time_ns() - 5_000_000_000
    os.utime(home / "editions", ns=(old, old))


def test_a_change_by_another_process_is_seen_after_the_recheck_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    path_a, _ = next(iter(versions(tmp_path).values()))
    Checker(home).import_editions([path_a])
    settle(home)
    reader = EditionRegistry(home)
    monkeypatch.setattr(registry_module, "_RECHECK_NS", 60_000_000_000)
    assert len(reader.editions()) == 1
    # another process removes the edition: nothing in this process is told
    (home / "editions" / "medicare-2024Q3").unlink()
    settle(home)
    assert len(reader.editions()) == 1  # within the interval: not looked at yet
    monkeypatch.setattr(registry_module, "_RECHECK_NS", 0)
    reader.editions()  # the interval has passed: the directory is looked at again
    assert reader.editions() == []
