"""NC01 decided in SQL (``adapters.batch.ptp_sql``): the rule's own wording, and a path
that carries real weight (issue 10).

The SQL renders the rule's templates, so the unit tests run the rendered SQL in DuckDB
against ``str.format``/``line_refs`` on awkward values (quotes, backslashes, non-ASCII).
The slow test draws encounters from the real 2024Q3 edition's pairs (``claimgen``),
checks that most of those only NC01 speaks to are decided in SQL, and that every
encounter still equals ``check``'s report.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from fluorocode.adapters.batch import ptp_sql
from fluorocode.api import Checker, run_batch
from fluorocode.domain.codes import PTP_ASSOCIATED_MODIFIERS
from fluorocode.rules import nc01_ptp
from fluorocode.rules.base import line_refs

from . import claimgen
from .compare import assert_equal, batch_view, check_view

AWKWARD = ["plain", "it's", "back\\slash", "quote ' and \\ both", "µGy·m² ünïcode", ""]


def _eval(sql: str) -> str:
    (value,) = duckdb.connect().execute(f"SELECT {sql}").fetchone() or (None,)
    assert isinstance(value, str)
    return value


@pytest.mark.parametrize("text", AWKWARD)
def test_literal_reads_back_as_written(text: str) -> None:
    assert _eval(ptp_sql.literal(text)) == text


@pytest.mark.parametrize(
    "template",
    [
        nc01_ptp.WHERE,
        nc01_ptp.BUNDLED,
        nc01_ptp.BUNDLED_TRIED,
        nc01_ptp.BYPASSED,
        nc01_ptp.REQUIRED,
    ],
)
def test_templates_render_in_sql_as_the_rule_formats_them(template: str) -> None:
    values = {
        "c1": "27506",
        "c2": "20610",
        "refs1": "line 0",
        "refs2": "line 3",
        "rationale": "Misuse of column two code with column one code 'x' \\ µ",
        "tried": " The modifier 59, XS cannot bypass it.",
        "listed": "59, XS",
        "where": "somewhere's",
    }
    fields = {name: ptp_sql.literal(v) for name, v in values.items()}
    assert _eval(ptp_sql.template_sql(template, fields)) == template.format(**values)


def test_a_template_field_sql_cannot_fill_is_refused() -> None:
    with pytest.raises(ValueError, match="listed"):
        ptp_sql.template_sql("{c1} and {listed}", {"c1": "'x'"})


@pytest.mark.parametrize("index", [0, 3, 49])
def test_one_line_is_named_as_line_refs_names_it(index: int) -> None:
    sql = ptp_sql._line_ref(str(index))
    assert _eval(sql) == line_refs([index])


def test_modifier_lists_are_sorted_once_each_and_joined_as_the_rule_joins_them() -> (
    None
):
    sql = ptp_sql._modifier_list("':XS:59:RT:XS:'", PTP_ASSOCIATED_MODIFIERS, "':RT:'")
    bypass = ["XS", "59"]  # RT is on the column-1 line too: not a different site
    assert _eval(sql) == nc01_ptp.MODIFIER_SEPARATOR.join(sorted(set(bypass)))
    assert _eval(ptp_sql._modifier_list("'::'", PTP_ASSOCIATED_MODIFIERS, None)) == ""


def test_the_rule_ids_are_the_rules_own() -> None:
    ids = {ptp_sql.BUNDLED, ptp_sql.REQUIRED, ptp_sql.BYPASSED}
    assert ids == set(nc01_ptp.PtpRule.emits)


@pytest.mark.slow
def test_most_encounters_only_ptp_edits_speak_to_are_decided_in_sql(
    real_home: Path, tmp_path: Path
) -> None:
    edition = next((real_home / "editions").glob("medicare-*")).resolve()
    objs = list(claimgen.encounters(claimgen.Pools(edition), 4000, seed=21))
    src = tmp_path / "claims.csv"
    claimgen.write_csv(objs, src)
    summary = run_batch([src], tmp_path / "out", home=real_home, workers=1)
    checker = Checker(real_home)
    reports = {o["id"]: checker.check(o) for o in objs}
    ptp_only = [
        r
        for r in reports.values()
        if r.findings and all(f.rule.startswith("ptp.") for f in r.findings)
    ]
    decided = summary["encounters_with_edits_decided_in_sql"]
    # the rest have a code on two lines, two rows on one pair, or an add-on beside
    assert len(ptp_only) > 300
    assert decided >= 0.75 * len(ptp_only)
    expected = {
        (o["id"], o["date_of_service"], claimgen.provider_of(o)): check_view(
            reports[o["id"]], [10 * (i + 1) for i in range(len(o["lines"]))]
        )
        for o in objs
    }
    by_id = {o["id"]: o for o in objs}
    assert_equal(batch_view(tmp_path / "out"), expected, lambda k: by_id[k[0]])
