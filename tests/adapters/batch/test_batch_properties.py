"""Property: for any small batch, ``fluorocode batch`` reports what ``check`` does (issue 10).

Hypothesis draws batches of a few encounters from the real 2024Q3 edition's own rows
(``claimgen.Pools``): in-force PTP pairs, the 76000 pairs, MUE codes with units at and
over the value, add-on codes with and without a primary, unknown codes and modifiers,
modifier lists (duplicates, five of them), units, dates in, before and after the
quarter, institutional claims, documentation blocks, global billing and notes. Each
batch runs on DuckDB and every encounter is compared with ``check``'s report
(``compare``). Derandomised and capped so it stays a few seconds in CI.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fluorocode.api import Checker, run_batch

from . import claimgen
from .compare import assert_equal, batch_view, check_view

pytestmark = pytest.mark.slow  # the real edition (session fixture)

FLUORO = ["76000", "76001", "77001", "77002", "77003"]
DATES = [*claimgen.DATES, "2024-06-30", "2024-10-01", "2023-01-15", "2024-02-30"]


@pytest.fixture(scope="module")
def pools(real_home: Path) -> claimgen.Pools:
    edition = next((real_home / "editions").glob("medicare-*"))
    return claimgen.Pools(edition.resolve(), seed=11)


def _lines(draw: Any, pools: claimgen.Pools) -> list[dict[str, Any]]:
    """One encounter's lines: a few codes of one kind the rules speak to, or none."""
    kind = draw(st.sampled_from(["plain", "ptp", "fluoro", "mue", "aoc", "odd"]))
    codes = draw(st.lists(st.sampled_from(pools.codes), min_size=0, max_size=3))
    if kind == "ptp":
        c1, c2, _ = draw(st.sampled_from(pools.pairs))
        codes += [c1, c2]
    elif kind == "fluoro":
        c1, c2, _ = draw(st.sampled_from(pools.fluoro))
        codes += [c1, c2, *draw(st.lists(st.sampled_from(FLUORO), max_size=2))]
    elif kind == "aoc":
        addon = draw(st.sampled_from(pools.addons))
        codes.append(addon)
        if draw(st.booleans()):
            codes.append(
                draw(st.sampled_from([p for a, p in pools.aoc if a == addon][:20]))
            )
    elif kind == "odd":
        codes.append(draw(st.sampled_from(["9999Z", "0000A", "A0001"])))
    lines = []
    for code in codes or [draw(st.sampled_from(pools.codes))]:
        line: dict[str, Any] = {"code": code}
        mods = draw(st.lists(st.sampled_from(claimgen.MODS + ["ZY"]), max_size=3))
        if draw(st.integers(0, 30)) == 0:
            mods = ["59", "XS", "XU", "RT", "LT"]  # five: refused
        if [m for m in mods if m]:
            line["modifiers"] = [m for m in mods if m]
        if draw(st.booleans()):
            line["units"] = draw(st.integers(1, 4))
        lines.append(line)
    if kind == "mue":
        code, value, _ = draw(st.sampled_from(pools.mue))
        over = draw(st.sampled_from([0, 1, 3]))
        lines.append({"code": code, "units": min(value + over, 99999)})
        if draw(st.booleans()):
            lines.append({"code": code, "units": draw(st.sampled_from([1, value]))})
    return draw(st.permutations(lines))


@st.composite
def encounters(draw: Any, pools: claimgen.Pools, i: int) -> dict[str, Any]:
    lines = _lines(draw, pools)
    obj: dict[str, Any] = {
        "id": f"C{i:07d}",
        "date_of_service": draw(st.sampled_from(DATES)),
        "place_of_service": draw(st.sampled_from([*claimgen.POS, "00"])),
        "lines": lines,
    }
    if draw(st.integers(0, 7)) == 0:
        obj["claim_type"] = "institutional"
    if draw(st.integers(0, 10)) == 0:
        obj["billing"] = {"global_billing": draw(st.booleans())}
    if any(ln["code"] in FLUORO for ln in lines) and draw(st.booleans()):
        fluoro: dict[str, Any] = {
            "indication": draw(st.sampled_from(["stress views", "guidance"])),
            "minutes": draw(st.sampled_from([0.5, 2, 70])),
            "images_saved": draw(st.booleans()),
            "separate_report": draw(st.booleans()),
        }
        if draw(st.booleans()):
            fluoro["air_kerma"] = {"value": 3.2, "unit": "mGy"}
        if draw(st.booleans()):
            fluoro["distinct_indication"] = {
                "confirmed": True,
                "basis": "separate-site",
            }
        obj["documentation"] = {"fluoroscopy": fluoro}
    if draw(st.integers(0, 15)) == 0:
        obj["note"] = "Fluoroscopy time 1.2 min. Stand-alone study."
    return obj


@st.composite
def batches(draw: Any, pools: claimgen.Pools) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 6))
    return [draw(encounters(pools, i + 1)) for i in range(n)]


@settings(
    max_examples=20,
    database=None,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_any_small_batch_equals_check(
    data: st.DataObject, pools: claimgen.Pools, real_home: Path
) -> None:
    objs = data.draw(batches(pools), label="batch")
    with tempfile.TemporaryDirectory(prefix="fc-prop-") as scratch:
        src = Path(scratch) / "claims.csv"
        claimgen.write_csv(objs, src)
        run_batch([src], Path(scratch) / "out", home=real_home)
        got = batch_view(Path(scratch) / "out")
    checker = Checker(real_home)
    expected = {
        (o["id"], o["date_of_service"], claimgen.provider_of(o)): check_view(
            checker.check(o), [10 * (n + 1) for n in range(len(o["lines"]))]
        )
        for o in objs
    }
    by_id = {o["id"]: o for o in objs}
    assert_equal(got, expected, lambda k: by_id[k[0]])
