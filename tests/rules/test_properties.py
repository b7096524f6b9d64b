"""Properties of the engine over random small editions and claims (Hypothesis).

A scenario is a claim and an edition drawn together: the claim's lines have distinct codes
from ``POOL`` (so "the decision for a code" is well defined), and the edition's PTP rows
are drawn mostly among the claim's own codes, with random windows and indicators, so that
edits meet the claim. Tables are sometimes missing. ``UNRELATED`` codes are in no
PTP, MUE or AOC table (only the PFS), never integral to fluoroscopy, never a guidance
primary: their lines touch nothing.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from itertools import combinations
from operator import itemgetter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from fluorocode.domain.encounter_input import parse_encounter
from fluorocode.domain.findings import Action, Report, ReportStatus, Status
from fluorocode.rules.engine import evaluate

from ._editions import build_edition

POOL = tuple("76000 77002 29880 29875 29877 20610 27506 33289 99486 76001".split())
UNRELATED = ("99213", "71046", "G0008", "96372")
#: PFS rows that make every other billed code known (their PC/TC matters to no rule)
KNOWN_PFS = [
    [c, "A", "0", "XXX"] for c in (*POOL, *UNRELATED) if c not in ("76000", "77002")
]
DOS = date(2024, 8, 15)
MODIFIERS = ("RT", "LT", "59", "XS", "25", "26", "TC", "50", "76")
_DOC = {
    "indication": "Stress views",
    "minutes": 1.4,
    "images_saved": True,
    "separate_report": True,
    "air_kerma": {"value": 3.2, "unit": "mGy"},
}
DOCUMENTATION = (
    {},
    {"fluoroscopy": _DOC},
    {"fluoroscopy": {**_DOC, "minutes": 0}},
    {"fluoroscopy": {**_DOC, "distinct_indication": {"confirmed": False}}},
    *(
        {
            "fluoroscopy": {
                **_DOC,
                "distinct_indication": {"confirmed": True, "basis": b},
            }
        }
        for b in (
            "separate-encounter",
            "separate-site",
            "separate-practitioner",
            "unusual-non-overlapping",
        )
    ),
)
SETTINGS = settings(max_examples=200, deadline=None)

# Whole rows and lines are drawn from precomputed choices: one draw each keeps it fast.
WINDOWS = [  # (effective, deletion): in force on DOS, or not, around both boundaries
    (date(2019, 1, 1), None),
    (date(2019, 1, 1), None),
    (DOS, None),
    (date(2019, 1, 1), DOS),
    (date(2019, 1, 1), date(2024, 8, 14)),
    (date(2024, 8, 16), None),
]
MUE_ROWS = [
    [c, value, mai, "random"] for c in POOL for value in (1, 2, 3) for mai in (1, 2, 3)
]
LINES: list[dict[str, Any]] = [
    {"code": c, "modifiers": list(mods), "units": units}
    for c in POOL
    for mods in [(), *((m,) for m in MODIFIERS), *combinations(MODIFIERS, 2)]
    for units in (1, 1, 2, 4)
]

claims = st.fixed_dictionaries(
    {
        "id": st.just("property"),
        "date_of_service": st.just(DOS.isoformat()),
        "place_of_service": st.sampled_from(("11", "22", "24")),
        "claim_type": st.sampled_from(("professional", "institutional")),
        "billing": st.fixed_dictionaries({"global_billing": st.booleans()}),
        "lines": st.lists(
            st.sampled_from(LINES),
            min_size=1,
            max_size=6,
            unique_by=itemgetter("code"),
        ),
        "documentation": st.sampled_from(DOCUMENTATION),
    }
)


# A PTP row's code is a claim line's (an index: "the code on line i") or any pool code,
# so that edits meet the claim; rows are resolved against the claim in ``scenarios``.
LINE_REF = st.integers(0, 5)
CODE_REF = st.one_of(LINE_REF, LINE_REF, LINE_REF, st.sampled_from(POOL))
PTP_ROW = st.tuples(
    CODE_REF, CODE_REF, st.sampled_from(WINDOWS), st.sampled_from((0, 1, 1, 9))
)


def editions(
    aoc_types: tuple[int, ...], may_miss: tuple[str, ...] = ("ptp", "mue", "aoc", "pfs")
) -> st.SearchStrategy[dict[str, Any]]:
    """An edition spec (PTP codes still unresolved); at most one table is missing.

    The PFS table lists every code the claims may bill, so each is known to the edition
    (rule CL01) unless the PFS table is the one missing."""
    aoc = st.lists(st.sampled_from(POOL), unique=True, max_size=3).map(
        lambda primaries: [["77002", p, 1] for p in primaries]
    )
    if 2 in aoc_types:  # 77002 as if the contractor also defined primaries
        aoc = aoc | aoc.map(lambda rows: [*rows, ["77002", "CCCCC", 2]])
    tables = st.fixed_dictionaries(
        {
            "ptp": st.lists(PTP_ROW, max_size=6),
            "mue": st.lists(
                st.sampled_from(MUE_ROWS), max_size=5, unique_by=lambda r: r[0]
            ),
            "aoc": aoc,
            "pfs": st.sampled_from("01").map(
                lambda pctc: [
                    ["76000", "A", pctc, "XXX"],
                    ["77002", "A", "1", "ZZZ"],
                    *KNOWN_PFS,
                ]
            ),
            "missing": st.sampled_from((None,) * 6 + may_miss),
        }
    )
    return tables.map(
        lambda t: {k: v for k, v in t.items() if k != "missing" and k != t["missing"]}
    )


def resolve(
    raw: dict[str, Any], spec: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The scenario with each PTP row's line references turned into codes."""
    codes: list[str] = [ln["code"] for ln in raw["lines"]]

    def name(ref: int | str, other: int | str = -1) -> str:
        if isinstance(ref, str):
            return ref
        if isinstance(other, int) and ref % len(codes) == other % len(codes):
            ref += 1  # two references to one line: take the next line instead
        return codes[ref % len(codes)]

    rows = [
        [name(a), name(b, a), effective, deletion, indicator, "random"]
        for a, b, (effective, deletion), indicator in spec.get("ptp", ())
    ]
    if "ptp" in spec:
        spec = {**spec, "ptp": [r for r in rows if r[0] != r[1]]}
    return raw, spec


def scenarios(
    aoc_types: tuple[int, ...] = (1, 2),
    may_miss: tuple[str, ...] = ("ptp", "mue", "aoc", "pfs"),
) -> st.SearchStrategy[tuple[dict[str, Any], dict[str, Any]]]:
    """(encounter JSON, edition spec) pairs."""
    return st.builds(resolve, claims, editions(aoc_types, may_miss))


def check(raw: dict[str, Any], spec: dict[str, Any]) -> Report:
    return evaluate(parse_encounter(raw), build_edition(spec))


def decisions(report: Report) -> dict[str, tuple[Action, tuple[str, ...], int]]:
    """What the report decided for each code: action, final modifiers, units."""
    return {ln.code: (ln.action, ln.modifiers, ln.units) for ln in report.lines}


def verdicts(report: Report) -> tuple[Counter[Any], Counter[Any], Counter[Any]]:
    """Finding verdicts, prompts by code, suggestions. (Which of several hosts a finding
    names may follow line order: FL02 and FL03 name the first; the verdict may not.)"""
    return (
        Counter((f.rule, f.status) for f in report.findings),
        Counter((p.kind, report.lines[p.line].code) for p in report.prompts),
        Counter(s.code for s in report.suggestions),
    )


@SETTINGS
@given(scenario=scenarios(), data=st.data())
def test_decisions_do_not_depend_on_line_order(
    scenario: tuple[dict[str, Any], dict[str, Any]], data: st.DataObject
) -> None:
    raw, spec = scenario
    order = data.draw(st.permutations(range(len(raw["lines"]))), label="order")
    before = check(raw, spec)
    after = check({**raw, "lines": [raw["lines"][i] for i in order]}, spec)
    assert decisions(after) == decisions(before)
    assert after.status == before.status
    assert verdicts(after) == verdicts(before)


@SETTINGS
# the PFS table stays: it is what makes the unrelated code one the edition knows (CL01)
@given(
    scenario=scenarios(aoc_types=(1,), may_miss=("ptp", "mue", "aoc")), data=st.data()
)
def test_an_unrelated_line_changes_no_other_decision(
    scenario: tuple[dict[str, Any], dict[str, Any]], data: st.DataObject
) -> None:
    # Type-2 add-ons are left out: for them any other line may be the contractor's primary.
    raw, spec = scenario
    extra = data.draw(st.sampled_from(UNRELATED), label="unrelated code")
    lines = list(raw["lines"])
    lines.insert(data.draw(st.integers(0, len(lines)), label="at"), {"code": extra})
    before, after = check(raw, spec), check({**raw, "lines": lines}, spec)
    decided = decisions(after)
    assert decided.pop(extra) == (Action.KEEP, (), 1)
    assert decided == decisions(before)
    assert after.status == before.status


@SETTINGS
@given(scenario=scenarios(), data=st.data())
def test_26_or_tc_on_column_2_never_turns_a_fail_into_a_pass(
    scenario: tuple[dict[str, Any], dict[str, Any]], data: st.DataObject
) -> None:
    raw, spec = scenario
    column2 = column2_lines(raw, spec)
    index = data.draw(
        st.sampled_from(column2 or range(len(raw["lines"]))), label="line"
    )
    modifier = data.draw(st.sampled_from(("26", "TC")), label="modifier")
    line = raw["lines"][index]
    lines = list(raw["lines"])
    if modifier not in line["modifiers"]:
        lines[index] = {**line, "modifiers": [*line["modifiers"], modifier]}
    before, after = check(raw, spec), check({**raw, "lines": lines}, spec)
    assert ptp_findings(after) == ptp_findings(before)
    was = statuses(before)
    for key, now in statuses(after).items():
        if Status.FAIL in was.get(key, set()):
            assert not (now - was[key]) & {Status.PASS, Status.BYPASSED}, key
    for old, new in zip(before.lines, after.lines, strict=True):
        if old.action in (Action.REMOVE, Action.HOLD):
            assert new.action is old.action, (old, new)


@SETTINGS
@given(scenario=scenarios())
def test_clean_only_with_every_line_keep_and_nothing_failed_or_missing(
    scenario: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    report = check(*scenario)
    blocking = {Status.FAIL, Status.NO_DATA, Status.ERROR}
    all_keep = all(ln.action is Action.KEEP for ln in report.lines)
    nothing_blocks = not any(f.status in blocking for f in report.findings)
    assert (report.status is ReportStatus.CLEAN) == (all_keep and nothing_blocks)
    if any(f.status is Status.NO_DATA for f in report.findings):
        assert report.status in (
            ReportStatus.NO_DATA,
            ReportStatus.NEEDS_PROVIDER_INPUT,
        )


@SETTINGS
@given(scenario=scenarios())
def test_every_input_line_appears_once_in_order(
    scenario: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    raw, spec = scenario
    report = check(raw, spec)
    assert [ln.index for ln in report.lines] == list(range(len(raw["lines"])))
    assert [ln.code for ln in report.lines] == [ln["code"] for ln in raw["lines"]]
    assert all(ln.units >= 1 for ln in report.lines)
    assert all(p.line < len(report.lines) for p in report.prompts)  # no note reading


def column2_lines(raw: dict[str, Any], spec: dict[str, Any]) -> list[int]:
    """Lines whose code is column 2 of a PTP row in force with another claim code."""
    codes = [ln["code"] for ln in raw["lines"]]
    col2 = {
        c2
        for c1, c2, effective, deletion, indicator, _ in spec.get("ptp", ())
        if c1 in codes
        and indicator != 9
        and effective <= DOS
        and (deletion is None or DOS <= deletion)
    }
    return [i for i, c in enumerate(codes) if c in col2]


def ptp_findings(report: Report) -> Counter[tuple[str, Status, tuple[int, ...]]]:
    return Counter(
        (f.rule, f.status, f.lines)
        for f in report.findings
        if f.rule.startswith("ptp.")
    )


def statuses(report: Report) -> dict[tuple[str, tuple[int, ...]], set[Status]]:
    """Each finding's statuses, by rule id and lines."""
    out: dict[tuple[str, tuple[int, ...]], set[Status]] = {}
    for f in report.findings:
        out.setdefault((f.rule, f.lines), set()).add(f.status)
    return out
