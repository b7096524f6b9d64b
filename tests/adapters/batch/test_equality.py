"""For every encounter, ``fluorocode batch`` reports what ``check`` reports (issue 10).

120,000 encounters (about 400,000 claim lines) drawn from the real 2024Q3 edition's
own rows (``claimgen``): statuses, every line's action, modifiers and units, and every
finding (id, status, lines, message, citation, evidence), in order.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fluorocode.api import Checker, run_batch

from . import claimgen
from .compare import assert_equal, batch_view, check_view

N = int(os.environ.get("BATCH_N", "120000"))


@pytest.fixture(scope="module")
def pools(real_home: Path) -> claimgen.Pools:
    edition = next((real_home / "editions").glob("medicare-*"))
    return claimgen.Pools(edition.resolve())


@pytest.mark.slow
def test_batch_equals_check_on_real_pairs(
    real_home: Path, pools: claimgen.Pools, tmp_path: Path
) -> None:
    objs = list(claimgen.encounters(pools, N, seed=10))
    src = tmp_path / "claims.csv"
    claimgen.write_csv(objs, src)
    summary = run_batch([src], tmp_path / "out", home=real_home)
    assert summary["encounters"] == N
    # both paths carry real weight: SQL decides many, the engine many
    assert summary["encounters_decided_in_sql"] > N // 5
    assert summary["encounters_checked_by_rules"] > N // 5
    checker = Checker(real_home)
    expected = {
        (o["id"], o["date_of_service"], claimgen.provider_of(o)): check_view(
            checker.check(o), [10 * (i + 1) for i in range(len(o["lines"]))]
        )
        for o in objs
    }
    by_id = {o["id"]: o for o in objs}
    assert_equal(batch_view(tmp_path / "out"), expected, lambda k: by_id[k[0]])
    statuses = {v["status"] for v in expected.values()}
    assert statuses >= {
        "clean",
        "corrected",
        "needs_provider_input",
        "no_data",
        "rejected",
    }


@pytest.mark.slow
def test_worker_processes_give_the_same_result(
    real_home: Path,
    pools: claimgen.Pools,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``workers=2``: chunks checked in spawned processes, written in order."""
    import fluorocode.api.batch

    monkeypatch.setattr(fluorocode.api.batch, "_BATCH_CHUNK", 30)
    objs = list(claimgen.encounters(pools, 400, seed=12))
    src = tmp_path / "claims.csv"
    claimgen.write_csv(objs, src)
    one = run_batch([src], tmp_path / "one", home=real_home)
    two = run_batch([src], tmp_path / "two", home=real_home, workers=2)
    assert two["encounters_checked_by_rules"] > 2 * 30
    assert batch_view(tmp_path / "two") == batch_view(tmp_path / "one")
    assert two["encounters_by_status"] == one["encounters_by_status"]
