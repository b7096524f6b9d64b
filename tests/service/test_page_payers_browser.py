"""The provider's page and payer profiles, in headless Chromium (as test_page_browser):
the form's payer choice filled from ``GET /v1/payers``, and the report's payer block."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fluorocode.api import audit_log

from .test_page_browser import chromium, page, shot  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

ACME = """format = 1
id = "acme"
name = "Test plan acme"
base_program = "medicare"

[[extra_bundles]]
id = "b1"
codes = ["29880"]
column2 = ["76000"]
indicator = 0
source = "Highmark BCBS WV medical policy X-23: https://www.highmarkbcbswv.com/medpolicy/X-23-003.html"
"""
STATE = """format = 1
id = "state"
name = "Test plan state"
base_program = "medicaid"
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home with two payers: one bundling 76000 into 29880, one on Medicaid NCCI."""
    home = tmp_path / "home"
    (home / "payers").mkdir(parents=True)
    (home / "payers" / "acme.toml").write_text(ACME)
    (home / "payers" / "state.toml").write_text(STATE)
    return home


def payer_choices(tab: Any) -> list[str]:
    return list(
        tab.locator("#f-payer option").evaluate_all("(os) => os.map((o) => o.value)")
    )


def test_a_payer_chosen_in_the_form_is_named_with_its_departure(
    page: Any,  # noqa: F811 (the fixture imported above)
    tokens: dict[str, str],
    home: Path,
) -> None:
    help_text = page.locator("#f-payer-help")
    assert "Paste the API key" in help_text.inner_text()
    assert payer_choices(page) == [""]
    page.get_by_label("API key").fill(tokens["scribe"])
    page.keyboard.press("Tab")  # the key is taken: the profiles are listed with it
    page.locator('#f-payer option[value="acme"]').wait_for(state="attached")
    assert payer_choices(page) == ["", "medicare", "medicaid", "acme", "state"]
    assert (
        "Test plan acme (acme, medicare NCCI)" in page.locator("#f-payer").inner_text()
    )

    page.get_by_label("Encounter id").fill("knee-payer")
    page.get_by_label("Date of service").fill("2024-08-15")
    page.get_by_label("Place of service").select_option("24")
    page.get_by_label("Line 0 code").fill("29880")
    page.get_by_role("button", name="Add a line").click()
    page.keyboard.type("76000")
    # a Medicaid profile sets the program; an edition family is the payer's
    page.get_by_label("Payer", exact=True).select_option("state")
    assert page.get_by_label("Program").input_value() == "medicaid"
    page.get_by_label("Payer", exact=True).select_option("acme")
    assert page.get_by_label("Program").input_value() == "medicare"
    page.get_by_role("button", name="Check", exact=True).click()
    page.locator("#status").filter(has_text="Corrected").wait_for()
    assert line_action(page, "76000") == "remove"
    block = page.locator("#payer")
    assert block.is_visible()
    said = block.inner_text()
    assert "Payer: Test plan acme (acme), on medicare NCCI." in said
    assert "extra_bundles.b1 (rule PY01)" in said
    assert "Source: Highmark BCBS WV medical policy X-23" in said
    shot(page, "11-payer")

    page.get_by_role("tab", name="JSON").click()
    sent = json.loads(page.get_by_label("Encounter (JSON)").input_value())
    assert (sent["payer"], sent["program"]) == ("acme", "medicare")
    # none: the program's built-in profile, and the report names no payer
    page.get_by_role("tab", name="Form").click()
    page.get_by_label("Payer", exact=True).select_option("")
    page.get_by_role("button", name="Check", exact=True).click()
    page.locator("#status").filter(has_text="Needs the provider").wait_for()
    assert block.is_hidden()
    assert line_action(page, "76000") == "hold"
    first, second = audit_log(home).page()[0]
    assert (first.status, second.status) == ("corrected", "needs_provider_input")


def test_an_encounter_naming_an_unlisted_payer_is_shown_and_rejected(
    page: Any,  # noqa: F811 (the fixture imported above)
    tokens: dict[str, str],
) -> None:
    page.get_by_label("API key").fill("fck_wrong")
    page.keyboard.press("Tab")
    page.locator("#f-payer-help").filter(has_text="could not be listed").wait_for()
    page.get_by_label("API key").fill(tokens["scribe"])
    page.get_by_role("tab", name="JSON").click()
    encounter = {
        "id": "typo",
        "date_of_service": "2024-08-15",
        "place_of_service": "24",
        "payer": "acne",
        "lines": [{"code": "29880"}, {"code": "76000"}],
    }
    page.get_by_label("Encounter (JSON)").fill(json.dumps(encounter))
    page.get_by_role("tab", name="Form").click()
    assert page.get_by_label("Payer", exact=True).input_value() == "acne"
    page.get_by_role("button", name="Check", exact=True).click()
    page.locator("#status").filter(has_text="invalid").wait_for()
    assert (
        "unknown payer profile 'acne'" in page.locator("#rejected-errors").inner_text()
    )
    assert page.locator("#payer").is_hidden()


def line_action(tab: Any, code: str) -> str:
    badge = tab.locator(f'#lines tr[data-code="{code}"] .badge')
    return str(badge.inner_text())
