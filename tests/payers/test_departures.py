"""Each departure changes the decision it should, on the real fixture rows (issue 12).

The fixture edition (tests/rule_cases/_edition.yaml) holds real CMS rows of July 2024:
29880/29875 and 29880/76000 indicator 1, 76000 MUE 3 MAI 3, 99486 MUE 4 MAI 1, and no
edit at all between 27506 and 76000.
"""

from __future__ import annotations

from typing import Any

from fluorocode.domain.encounter_input import parse_encounter
from fluorocode.domain.findings import Action, Report, ReportStatus, Status
from fluorocode.rules.engine import evaluate
from fluorocode.rules.payers import PayerProfile
from rules._editions import build_edition

from ._profiles import GLOBAL_IN_FACILITY, MUE, ONLY_59, bundle, profile


def check(
    lines: list[dict[str, Any]], payer: PayerProfile | None = None, **extra: Any
) -> Report:
    encounter = {
        "id": "p",
        "date_of_service": "2024-08-15",
        "place_of_service": "22",
        "lines": lines,
        **extra,
    }
    return evaluate(parse_encounter(encounter), build_edition(), payer=payer)


def rules(report: Report) -> dict[str, Status]:
    return {f.rule: f.status for f in report.findings}


def applied(report: Report) -> list[str]:
    assert report.payer is not None
    return [d["id"] for d in report.payer["departures"]]


DOCUMENTED = {
    "place_of_service": "11",
    "billing": {"global_billing": True},
    "documentation": {
        "fluoroscopy": {
            "indication": "Check of a stable spine implant position",
            "minutes": 1.5,
            "air_kerma": {"value": 3.2, "unit": "mGy"},
            "images_saved": True,
            "separate_report": True,
        }
    },
}

CONFIRMED_SITE = {
    "documentation": {
        "fluoroscopy": {
            "distinct_indication": {"confirmed": True, "basis": "separate-site"}
        }
    }
}


def test_the_medicare_profile_gives_exactly_todays_report() -> None:
    lines = [
        {"code": "29880"},
        {"code": "29875", "modifiers": ["XS"]},
        {"code": "76000"},
    ]
    plain = evaluate(
        parse_encounter(
            {
                "id": "p",
                "date_of_service": "2024-08-15",
                "place_of_service": "22",
                "lines": lines,
            }
        ),
        build_edition(),
    )
    assert check(lines).to_dict() == plain.to_dict()
    assert "payer" not in plain.to_dict()


def test_a_payer_accepting_59_but_not_xs_holds_an_xs_line() -> None:
    lines = [{"code": "29880"}, {"code": "29875", "modifiers": ["XS"]}]
    medicare = check(lines)
    assert medicare.lines[1].action is Action.KEEP
    assert rules(medicare)["ptp.bypassed"] is Status.BYPASSED
    payer = check(lines, profile(ONLY_59))
    assert payer.lines[1].action is Action.HOLD
    (finding,) = [f for f in payer.findings if f.rule == "ptp.modifier-required"]
    assert finding.evidence["payer_departure"]["id"] == "ptp_bypass_modifiers"
    assert "59-only" in finding.citation and "does not accept it" in finding.message
    assert applied(payer) == ["ptp_bypass_modifiers"]
    (prompt,) = payer.prompts
    assert prompt.options == ("59", "remove")


def test_the_same_payer_still_accepts_59() -> None:
    payer = check(
        [{"code": "29880"}, {"code": "29875", "modifiers": ["59"]}], profile(ONLY_59)
    )
    assert payer.lines[1].action is Action.KEEP
    assert rules(payer)["ptp.bypassed"] is Status.BYPASSED
    assert applied(payer) == []  # the payer agreed with NCCI here


def test_a_confirmed_indication_appends_59_where_the_payer_refuses_xs() -> None:
    lines = [{"code": "29880"}, {"code": "76000"}]
    assert check(lines, **CONFIRMED_SITE).lines[1].modifiers == ("26", "XS")
    payer = check(lines, profile(ONLY_59), **CONFIRMED_SITE)
    assert payer.lines[1].modifiers == ("26", "59")
    (finding,) = [f for f in payer.findings if f.rule == "ptp.bypassed"]
    assert finding.evidence["payer_departure"]["rule"] == "NC01"
    assert applied(payer) == ["ptp_bypass_modifiers"]


def test_global_billing_in_a_facility_means_no_26() -> None:
    lines = [{"code": "71046"}, {"code": "76000"}]
    billing = {"billing": {"global_billing": True}}
    medicare = check(lines, **billing)
    assert medicare.lines[1].modifiers == ("26",)
    payer = check(lines, profile(GLOBAL_IN_FACILITY), **billing)
    assert payer.lines[1].modifiers == ()
    assert payer.lines[1].action is not Action.MODIFY
    (finding,) = [f for f in payer.findings if f.rule == "fluoro.modifier-26"]
    assert finding.status is Status.PASS
    assert finding.evidence["payer_departure"]["id"] == "global_billing_in_facility"
    assert applied(payer) == ["global_billing_in_facility"]
    # without the practice's global billing the payer's permission changes nothing
    assert check(lines, profile(GLOBAL_IN_FACILITY)).lines[1].modifiers == ("26",)


def test_an_extra_bundle_removes_76000_where_medicare_has_no_edit() -> None:
    lines = [{"code": "27506"}, {"code": "76000"}]
    medicare = check(lines)
    assert medicare.lines[1].action is Action.HOLD  # fluoro.integral asks
    assert "fluoro.integral" in rules(medicare)
    payer = check(lines, profile(bundle(["27506"], 0)))
    assert payer.lines[1].action is Action.REMOVE
    assert rules(payer).get("fluoro.integral") is None  # the payer's bundle decided
    (finding,) = [f for f in payer.findings if f.rule == "payer.bundled"]
    assert finding.lines == (0, 1)
    assert finding.evidence["payer_bundle"] == {
        "id": "b1",
        "column1": ["27506"],
        "column2": "76000",
        "indicator": 0,
    }
    assert "X-23" in finding.citation
    assert applied(payer) == ["extra_bundles.b1"]
    assert payer.status is ReportStatus.CORRECTED


def test_an_indicator_1_bundle_asks_for_the_distinct_indication() -> None:
    payer = check([{"code": "27506"}, {"code": "76000"}], profile(bundle(["27506"], 1)))
    assert payer.lines[1].action is Action.HOLD
    assert rules(payer)["payer.modifier-required"] is Status.FAIL
    assert [p.kind.value for p in payer.prompts][0] == "confirm_distinct_indication"
    assert "fluoro.integral" not in rules(payer)
    confirmed = check(
        [{"code": "27506"}, {"code": "76000"}],
        profile(bundle(["27506"], 1)),
        **CONFIRMED_SITE,
    )
    assert rules(confirmed)["payer.bypassed"] is Status.BYPASSED
    assert "XS" in confirmed.lines[1].modifiers


def test_a_stricter_bundle_overrides_an_ncci_indicator_1_edit() -> None:
    lines = [{"code": "29880"}, {"code": "76000"}]
    assert check(lines, **CONFIRMED_SITE).lines[1].action is not Action.REMOVE
    payer = check(lines, profile(bundle(["29880"], 0)), **CONFIRMED_SITE)
    assert payer.lines[1].action is Action.REMOVE
    assert applied(payer) == ["extra_bundles.b1"]
    # an indicator-1 bundle where NCCI already has an indicator-1 edit: NCCI decides
    same = check(lines, profile(bundle(["29880"], 1)), **CONFIRMED_SITE)
    assert applied(same) == [] and "payer.bypassed" not in rules(same)


def test_mue_per_line_lets_two_lines_within_the_value_through() -> None:
    lines = [{"code": "76000", "units": 2}, {"code": "76000", "units": 2}]
    medicare = check(lines, **DOCUMENTED)
    assert {ln.action for ln in medicare.lines} == {Action.HOLD}  # MAI 3: 4 > 3
    assert [p.kind.value for p in medicare.prompts] == ["confirm_units"] * 2
    payer = check(lines, profile(MUE.format(basis="line")), **DOCUMENTED)
    assert {ln.action for ln in payer.lines} == {Action.KEEP}
    assert payer.prompts == () and payer.status is ReportStatus.CLEAN
    (finding,) = [f for f in payer.findings if f.rule == "mue.exceeded"]
    assert finding.status is Status.PASS
    assert finding.evidence["mue_basis"] == "line"
    assert applied(payer) == ["mue_basis"]


def test_mue_per_line_cuts_a_line_over_the_value() -> None:
    payer = check(
        [{"code": "76000", "units": 5}], profile(MUE.format(basis="line")), **DOCUMENTED
    )
    assert payer.lines[0].units == 3 and payer.lines[0].action is Action.MODIFY
    (finding,) = [f for f in payer.findings if f.rule == "mue.exceeded"]
    assert "per line" in finding.message and "not by the MAI" in finding.message


def test_mue_per_day_sums_the_lines_of_an_mai_1_code() -> None:
    lines = [{"code": "99486", "units": 3}, {"code": "99486", "units": 3}]
    medicare = check(lines)
    assert [ln.units for ln in medicare.lines] == [3, 3]  # MAI 1: each line within 4
    payer = check(lines, profile(MUE.format(basis="day")))
    assert [ln.units for ln in payer.lines] == [3, 1]
    assert applied(payer) == ["mue_basis"]


def test_the_report_names_the_profile_even_when_nothing_departed() -> None:
    report = check([{"code": "71046"}], profile(ONLY_59))
    assert report.to_dict()["payer"] == {
        "id": "acme",
        "name": "Test plan acme",
        "base_program": "medicare",
        "departures": [],
    }
