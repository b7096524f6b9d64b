"""The engine itself: a crashing rule is contained, and no edition means no_data."""

from __future__ import annotations

import logging
from datetime import date
from typing import ClassVar

import pytest

from fluorocode.domain.claim import ClaimLine, Dose, Encounter, FluoroDocumentation
from fluorocode.domain.findings import Action, ReportStatus, Status
from fluorocode.rules.base import Outcome, RuleContext
from fluorocode.rules.engine import RULES, evaluate, no_edition_report
from fluorocode.rules.fl05_modifier_26 import Modifier26Rule
from fluorocode.rules.nc01_ptp import PtpRule
from fluorocode.rules.nc02_mue import MueRule

from ._editions import build_edition

HOSPITAL_76000 = Encounter(
    id="crash",
    date_of_service=date(2024, 8, 15),
    place_of_service="22",
    lines=(ClaimLine("33289"), ClaimLine("76000", units=4), ClaimLine("99213")),
)


class Crashing:
    """A rule that raises, after deciding things that must not leak into the report."""

    code: ClassVar[str] = "XX99"
    name: ClassVar[str] = "test.crash"
    emits: ClassVar[tuple[str, ...]] = ()

    def evaluate(self, ctx: RuleContext) -> Outcome:
        out = Outcome()
        out.act(2, Action.REMOVE)  # half-done work is thrown away with the crash
        raise RuntimeError("boom")


def test_a_crashing_rule_becomes_an_error_finding_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rules = (PtpRule(), Crashing(), Modifier26Rule(), MueRule())
    with caplog.at_level(logging.ERROR, logger="fluorocode.rules"):
        report = evaluate(HOSPITAL_76000, build_edition(), rules)
    errors = [f for f in report.findings if f.status is Status.ERROR]
    # issue 8: a finding id (not the rule's name), the rule named in its evidence
    assert [(f.rule, f.lines) for f in errors] == [("engine.rule-error", ())]
    assert errors[0].evidence == {
        "rule": "XX99",
        "name": "test.crash",
        "error": "RuntimeError",
    }
    assert "XX99" in errors[0].message and "RuntimeError" in errors[0].message
    assert "boom" not in errors[0].message  # the exception text may hold claim data
    # issue 8: the crash is logged, by rule, type and place, never by its message
    logged = [r.getMessage() for r in caplog.records]
    assert len(logged) == 1 and "XX99" in logged[0] and "RuntimeError" in logged[0]
    assert "boom" not in logged[0]
    # the rules before and after it decided as usual
    assert {f.rule for f in report.findings} >= {"ptp.bundled", "engine.rule-error"}
    assert [ln.action for ln in report.lines] == [
        Action.KEEP,
        Action.REMOVE,
        Action.KEEP,
    ]


def test_a_crash_is_never_clean() -> None:
    only = Encounter(
        id="crash",
        date_of_service=date(2024, 8, 15),
        place_of_service="11",
        lines=(ClaimLine("99213"),),
    )
    report = evaluate(only, build_edition(), (Crashing(),))
    assert [ln.action for ln in report.lines] == [Action.KEEP]
    assert report.status is ReportStatus.NEEDS_PROVIDER_INPUT


def test_a_crash_in_the_first_rule_leaves_the_rest_of_the_engine_running() -> None:
    report = evaluate(HOSPITAL_76000, build_edition(), (Crashing(), *RULES))
    assert report.findings[0].status is Status.ERROR
    assert [ln.action for ln in report.lines] == [
        Action.KEEP,
        Action.REMOVE,
        Action.KEEP,
    ]


def test_a_crash_beside_a_correction_still_needs_a_person() -> None:
    # NC01 crashes: nobody checked 29880/76000 (indicator 1), yet 26 is added to 76000.
    encounter = Encounter(
        id="crash",
        date_of_service=date(2024, 8, 15),
        place_of_service="22",
        lines=(ClaimLine("29880"), ClaimLine("76000")),
        documentation=FluoroDocumentation(
            indication="Stress views",
            minutes=1.4,
            air_kerma=Dose(3.2, "mGy", 3.2),
            images_saved=True,
            separate_report=True,
        ),
    )
    rules = tuple(Crashing() if isinstance(r, PtpRule) else r for r in RULES)
    report = evaluate(encounter, build_edition(), rules)
    assert [ln.action for ln in report.lines] == [Action.KEEP, Action.MODIFY]
    assert report.status is ReportStatus.NEEDS_PROVIDER_INPUT


def test_no_edition_is_no_data_and_every_line_is_echoed() -> None:
    report = no_edition_report(HOSPITAL_76000, "No medicare edition covers 2024-08-15.")
    assert report.status is ReportStatus.NO_DATA
    assert report.edition is None
    assert [(ln.index, ln.code, ln.units, ln.action) for ln in report.lines] == [
        (0, "33289", 1, Action.KEEP),
        (1, "76000", 4, Action.KEEP),
        (2, "99213", 1, Action.KEEP),
    ]
    assert [(f.rule, f.status) for f in report.findings] == [
        ("edition.no-data", Status.NO_DATA)
    ]
