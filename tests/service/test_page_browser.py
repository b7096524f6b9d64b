"""The provider's page in a real headless Chromium (Debian's, driven by Playwright).

The browser is ``/usr/bin/chromium`` from Debian's ``chromium`` package (``make
browser-deps``); Playwright never downloads one. Screenshots of every step go to
``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fluorocode.api import audit_log
from fluorocode.domain.encounter_schema import ENCOUNTER_SCHEMA
from fluorocode.service.app import create_app

from ._support import ANSWERS, AUDITED_ANSWERS, KNEE, LiveServer

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"width": 1280, "height": 900}
TABLET = {"width": 768, "height": 1024}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = "no /usr/bin/chromium: run `make browser-deps`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),  # a fresh profile
            executable_path=str(CHROMIUM),
            args=ARGS,
            headless=True,
            viewport=LAPTOP,
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        yield context
        context.close()


@pytest.fixture
def page(chromium: Any, live: LiveServer) -> Iterator[Any]:
    tab = chromium.new_page()
    tab.set_viewport_size(LAPTOP)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))

    def console(message: Any) -> None:
        # the browser's own note on a refused request is expected; anything else is not
        if message.type == "error" and "Failed to load resource" not in message.text:
            errors.append(message.text)

    tab.on("console", console)
    tab.goto(live.url + "/")
    yield tab
    tab.close()
    assert errors == [], errors  # no script error, no CSP violation


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"page-{name}.png"), full_page=True)


def as_json(page: Any) -> None:
    """Enter the encounter as JSON (the form is the page's first view)."""
    page.get_by_role("tab", name="JSON").click()


def start(page: Any, token: str, encounter: dict[str, Any] = KNEE) -> None:
    page.get_by_label("API key").fill(token)
    as_json(page)
    page.get_by_label("Encounter (JSON)").fill(json.dumps(encounter, indent=2))
    page.get_by_role("button", name="Check", exact=True).click()
    page.locator("#status").filter(has_text="Needs the provider").wait_for()


def line(page: Any, code: str) -> Any:
    return page.locator(f'#lines tr[data-code="{code}"]')


def test_a_provider_confirms_a_separate_encounter_and_gets_26_xe(
    page: Any, tokens: dict[str, str], home: Path
) -> None:
    start(page, tokens["scribe"])
    assert line(page, "76000").locator(".badge").inner_text() == "hold"
    assert line(page, "29880").locator(".badge").inner_text() == "keep"
    assert "column 2 of an NCCI PTP edit" in line(page, "76000").inner_text()
    assert page.locator("#demo-warning").is_visible()
    assert page.locator("#claim").is_hidden()
    shot(page, "1-held")

    page.get_by_label("Yes, a distinct indication").check()
    page.get_by_label("Basis").select_option("separate-encounter")
    page.get_by_label("Indication for the fluoroscopy").fill(ANSWERS["indication"])
    page.get_by_label("Fluoroscopy time (minutes)").fill("1.2")
    page.get_by_label("Reference air kerma").fill("3.1")
    page.get_by_label("Air kerma unit").select_option("mGy")
    page.get_by_role("group", name="Images saved (permanent record)?").get_by_label(
        "Yes"
    ).check()
    page.get_by_role("group", name="Separate signed fluoroscopy report?").get_by_label(
        "Yes"
    ).check()
    shot(page, "2-answered")
    page.get_by_role("button", name="Save answers and re-check").click()

    page.locator("#status").filter(has_text="Corrected").wait_for()
    row = line(page, "76000")
    assert row.locator(".mods").inner_text() == "26-XE"
    assert row.locator(".badge").inner_text() == "modify"
    assert page.locator("#questions").is_hidden()
    assert page.locator("#claim-text").inner_text().splitlines() == [
        "29880-RT x1",
        "76000-26-XE x1",
    ]
    sent = json.loads(page.get_by_label("Encounter (JSON)").input_value())
    assert sent["documentation"]["fluoroscopy"] == ANSWERS
    with page.expect_download() as download:
        page.get_by_role("button", name="Download (JSON)").click()
    claim = json.loads(Path(download.value.path()).read_text())
    assert download.value.suggested_filename == "claim-knee-1.json"
    assert claim["lines"][1] == {"code": "76000", "modifiers": ["26", "XE"], "units": 1}
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    page.locator("#copy-status").filter(has_text="Copied 2 line(s).").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == "29880-RT x1\n76000-26-XE x1"
    shot(page, "3-corrected")

    first, second = audit_log(home).page()[0]
    assert (first.status, second.status) == ("needs_provider_input", "corrected")
    assert second.answers == AUDITED_ANSWERS


def test_a_negative_dose_is_refused_next_to_the_field(
    page: Any, tokens: dict[str, str]
) -> None:
    start(page, tokens["scribe"])
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    dose = page.get_by_label("Reference air kerma")
    dose.press_sequentially("-3")
    message = page.locator("#air-kerma-error")
    assert message.is_visible()
    assert message.inner_text() == (
        "Air kerma cannot be negative: enter the value from the fluoroscope's "
        "dose report."
    )
    assert dose.get_attribute("aria-invalid") == "true"
    assert "air-kerma-error" in (dose.get_attribute("aria-describedby") or "")
    page.get_by_label("Fluoroscopy time (minutes)").fill("0")
    assert "more than 0 minutes" in page.locator("#minutes-error").inner_text()
    page.get_by_label("Fluoroscopy time (minutes)").fill("1.5")
    assert page.locator("#minutes-error").is_hidden()
    page.get_by_role("button", name="Save answers and re-check").click()
    assert "Not sent" in page.locator("#form-error").inner_text()
    assert page.evaluate("document.activeElement.id") == "air-kerma"
    assert posts == []  # nothing went to the server
    shot(page, "4-negative-dose")
    dose.fill("3")
    assert message.is_hidden()
    assert dose.get_attribute("aria-invalid") is None


def test_the_keyboard_alone_denies_and_the_line_is_left_off(
    page: Any, tokens: dict[str, str]
) -> None:
    page.get_by_label("API key").fill(tokens["scribe"])
    as_json(page)
    box = page.get_by_label("Encounter (JSON)")
    box.fill(json.dumps(KNEE))
    box.press("Control+Enter")
    page.locator("#status").filter(has_text="Needs the provider").wait_for()
    assert page.evaluate("document.activeElement.id") == "result-h"
    page.locator("#distinct-no").focus()
    page.keyboard.press("Space")
    assert page.locator("#distinct-no").is_checked()
    assert page.locator("#basis-field").is_hidden()
    page.get_by_role("button", name="Save answers and re-check").focus()
    page.keyboard.press("Enter")
    page.locator("#status").filter(has_text="Corrected").wait_for()
    assert line(page, "76000").locator(".badge").inner_text() == "remove"
    assert page.locator("#claim-text").inner_text() == "29880-RT x1\n\nLeft off: 76000"


def test_an_encounter_file_is_opened_into_the_box(
    page: Any, tokens: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "encounter.json"
    path.write_text(json.dumps({**KNEE, "id": "from-a-file"}))
    page.locator("#file").set_input_files(str(path))
    box = page.get_by_label("Encounter (JSON)")
    page.wait_for_function("document.getElementById('encounter').value.length > 0")
    assert json.loads(box.input_value())["id"] == "from-a-file"
    assert page.evaluate("document.activeElement.id") == "encounter"


def test_the_page_fits_a_tablet_and_takes_the_key_from_the_address(
    page: Any, tokens: dict[str, str], live: LiveServer
) -> None:
    page.set_viewport_size(TABLET)
    page.goto(f"{live.url}/#key={tokens['scribe']}")
    assert page.get_by_label("API key").input_value() == tokens["scribe"]
    assert "#" not in page.url  # the key does not stay in the address or history
    page.get_by_role("button", name="Load the example").click()
    page.get_by_role("button", name="Check", exact=True).click()
    page.locator("#status").filter(has_text="Needs the provider").wait_for()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    shot(page, "5-tablet")


def test_a_refused_key_and_bad_json_are_said_where_they_are(
    page: Any, tokens: dict[str, str]
) -> None:
    as_json(page)
    page.get_by_label("Encounter (JSON)").fill("{not json")
    page.get_by_role("button", name="Check", exact=True).click()
    assert "not valid JSON" in page.locator("#encounter-error").inner_text()
    page.get_by_label("Encounter (JSON)").fill(json.dumps(KNEE))
    page.get_by_role("button", name="Check", exact=True).click()
    assert "Paste an API key first" in page.locator("#api-key-error").inner_text()
    page.get_by_label("API key").fill("fck_wrong")
    page.get_by_role("button", name="Check", exact=True).click()
    page.locator("#api-key-error").filter(has_text="unknown or revoked").wait_for()
    page.get_by_label("API key").fill(tokens["scribe"])
    # a date of the right form that is no date: only the engine can tell
    page.get_by_label("Encounter (JSON)").fill(
        json.dumps({**KNEE, "date_of_service": "2024-02-30"})
    )
    page.get_by_role("button", name="Check", exact=True).click()
    page.locator("#status").filter(has_text="invalid").wait_for()
    assert "date_of_service" in page.locator("#rejected-errors").inner_text()
    shot(page, "6-rejected")


def test_an_encounter_entered_in_the_form_gets_76000_26_xs(
    page: Any, tokens: dict[str, str], home: Path
) -> None:
    """The issue's walk-through: 29880 + 76000 in an ASC, by the form and keyboard."""
    page.get_by_label("API key").fill(tokens["scribe"])
    page.get_by_label("Encounter id").fill("knee-form")
    page.get_by_label("Date of service").fill("2024-08-15")
    page.get_by_label("Place of service").select_option("24")
    page.get_by_label("Line 0 code").fill("2988")  # a digit short
    page.get_by_label("Line 0 modifier 1").fill("rt")
    page.get_by_role("button", name="Add a line").click()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == (
        "Line 1 code"
    )
    page.keyboard.type("76000")
    page.keyboard.press("Enter")  # Enter in a field checks
    error = page.locator("#encounter-error")
    assert 'Line 0 code: "2988" is not a HCPCS/CPT code' in error.inner_text()
    code = page.get_by_label("Line 0 code")
    assert code.get_attribute("aria-invalid") == "true"
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == (
        "Line 0 code"
    )
    code.fill("29880")
    page.get_by_role("button", name="Check", exact=True).click()
    page.locator("#status").filter(has_text="Needs the provider").wait_for()
    assert code.get_attribute("aria-invalid") is None
    assert line(page, "76000").locator(".mods").inner_text() == "26"
    shot(page, "9-form-held")

    page.get_by_label("Yes, a distinct indication").check()
    page.get_by_label("Basis").select_option("separate-site")
    page.get_by_label("Indication for the fluoroscopy").fill(
        "Contralateral ankle views"
    )
    page.get_by_label("Fluoroscopy time (minutes)").fill("0.8")
    page.get_by_label("Reference air kerma").fill("2")
    for group in (
        "Images saved (permanent record)?",
        "Separate signed fluoroscopy report?",
    ):
        page.get_by_role("group", name=group).get_by_label("Yes").check()
    page.get_by_role("button", name="Save answers and re-check").click()
    page.locator("#status").filter(has_text="Corrected").wait_for()
    assert page.locator("#claim-text").inner_text().splitlines() == [
        "29880-RT x1",
        "76000-26-XS x1",
    ]
    # the answers are in the encounter, in both views
    assert page.get_by_label("Indication", exact=True).input_value() == (
        "Contralateral ankle views"
    )
    as_json(page)
    sent = json.loads(page.get_by_label("Encounter (JSON)").input_value())
    assert sent["lines"] == [
        {"code": "29880", "modifiers": ["RT"], "units": 1},
        {"code": "76000", "modifiers": [], "units": 1},
    ]
    assert sent["place_of_service"] == "24" and sent["claim_type"] == "professional"
    assert sent["documentation"]["fluoroscopy"]["distinct_indication"] == {
        "confirmed": True,
        "basis": "separate-site",
    }
    shot(page, "10-form-corrected")
    first, second = audit_log(home).page()[0]
    assert (first.status, second.status) == ("needs_provider_input", "corrected")


#: Every line question at once: an unknown modifier (line 0), a distinct service
#: (line 1), an unknown code (line 2), and 76000 over its MUE with more modifiers
#: than a line holds once 26 is added (line 3).
EVERY_QUESTION: dict[str, Any] = {
    "id": "every-question",
    "date_of_service": "2024-08-15",
    "place_of_service": "22",
    "lines": [
        {"code": "29880", "modifiers": ["RT", "ZZ"]},
        {"code": "29875", "modifiers": ["RT"]},
        {"code": "9921X"},
        {"code": "76000", "modifiers": ["RT", "LT", "76", "77"], "units": 5},
    ],
    "documentation": {
        "fluoroscopy": {
            **{key: ANSWERS[key] for key in ANSWERS if key != "distinct_indication"},
            "distinct_indication": {"confirmed": True, "basis": "separate-site"},
        }
    },
}


def test_every_line_question_is_answered_by_a_form(
    page: Any, tokens: dict[str, str]
) -> None:
    start(page, tokens["scribe"], EVERY_QUESTION)
    kinds = page.locator("#line-prompts fieldset").evaluate_all(
        "boxes => boxes.map(b => b.dataset.kind + ' ' + b.dataset.line)"
    )
    assert kinds == [
        "confirm_code 0",
        "confirm_distinct_service 1",
        "confirm_code 2",
        "confirm_units 3",
        "choose_modifiers 3",
    ]
    assert page.locator("#other-prompts").is_hidden()
    shot(page, "11-line-questions")

    page.get_by_label("Drop ZZ").check()
    page.get_by_label("Add XS (separate site)").check()
    page.get_by_label("Correct the code").check()
    page.get_by_label("Correct code for line 2").fill("9921")
    page.get_by_label("Reduce the day's units to 3").check()
    # four at most: 26 is the check's; with two more the last box cannot be ticked
    choose = page.locator('fieldset[data-kind="choose_modifiers"]')
    assert choose.get_by_label("26 (added by the check)").is_checked()
    choose.get_by_label("RT", exact=True).check()
    choose.get_by_label("76", exact=True).check()
    choose.get_by_label("77", exact=True).check()
    assert choose.get_by_label("LT", exact=True).is_disabled()
    assert "4 of 4 chosen." in choose.inner_text()
    choose.get_by_label("77", exact=True).uncheck()
    page.get_by_role("button", name="Save answers and re-check").click()
    # the corrected code is checked against the schema's form before anything is sent
    field = page.get_by_label("Correct code for line 2")
    assert field.evaluate("input => input === document.activeElement")
    assert field.get_attribute("aria-invalid") == "true"
    assert (
        "HCPCS/CPT code"
        in page.locator('fieldset[data-line="2"] .field-error').inner_text()
    )
    field.fill("99213")
    page.get_by_role("button", name="Save answers and re-check").click()

    page.locator("#status").filter(has_text="Corrected").wait_for()
    assert page.locator("#questions").is_hidden()
    assert page.locator("#claim-text").inner_text().splitlines() == [
        "29880-RT x1",
        "29875-RT-XS x1",
        "99213 x1",
        "76000-26-RT-76-XS x3",
    ]
    shot(page, "12-line-questions-answered")


def test_a_line_question_can_leave_the_line_off(
    page: Any, tokens: dict[str, str]
) -> None:
    start(page, tokens["scribe"], EVERY_QUESTION)
    page.get_by_label("Leave line 1 (29875) off the claim").check()
    page.get_by_label("Leave line 2 (9921X) off the claim").check()
    page.get_by_label("Keep 5 units: the record documents each one").check()
    page.get_by_role("button", name="Save answers and re-check").click()
    page.locator("#status").filter(has_text="Needs the provider").wait_for()
    as_json(page)
    sent = json.loads(page.get_by_label("Encounter (JSON)").input_value())
    assert [ln["code"] for ln in sent["lines"]] == ["29880", "76000"]
    assert sent["lines"][1]["units"] == 5  # kept: still held, for the appeal
    assert line(page, "76000").locator(".badge").inner_text() == "hold"


def test_the_page_checks_an_encounter_against_the_served_schema(
    chromium: Any, home: Path, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Line cap, code form, modifier count, units, place of service: from the schema.

    The service runs with a line cap of 2 (``FLUOROCODE_MAX_LINES``), which no copy in
    the page could know: the page refuses a third line because the schema it was given
    says so, and sends nothing.
    """
    monkeypatch.setenv("FLUOROCODE_MAX_LINES", "2")
    with LiveServer(create_app(home)) as server:
        tab = chromium.new_page()
        try:
            posts: list[str] = []
            tab.on(
                "request", lambda r: posts.append(r.url) if r.method == "POST" else None
            )
            tab.goto(server.url + "/")
            # the form offers no third line: the schema it was given says two
            tab.get_by_label("Line 0 code").fill("29880")
            tab.get_by_role("button", name="Add a line").click()
            assert tab.get_by_role("button", name="Add a line").is_disabled()
            tab.get_by_label("API key").fill(tokens["scribe"])
            as_json(tab)
            bad = {
                **KNEE,
                "place_of_service": "7",
                "lines": [
                    {"code": "2988", "units": 0},
                    {"code": "76000", "modifiers": ["26", "XE", "XS", "XU", "59"]},
                    {"code": "99213"},
                ],
            }
            tab.get_by_label("Encounter (JSON)").fill(json.dumps(bad))
            tab.get_by_role("button", name="Check", exact=True).click()
            message = tab.locator("#encounter-error").inner_text()
            assert message.startswith("Not sent: ")
            for words in (
                "place_of_service ",
                'lines[0].code "2988" is not a HCPCS/CPT code',
                "lines[0].units must be at least 1",
                "lines[1].modifiers may have at most 4",
                "lines may have at most 2",
            ):
                assert words in message, (words, message)
            assert posts == []
            shot(tab, "8-schema-refused")
            two = {**KNEE, "lines": KNEE["lines"][:2]}
            tab.get_by_label("Encounter (JSON)").fill(json.dumps(two))
            tab.get_by_role("button", name="Check", exact=True).click()
            tab.locator("#status").filter(has_text="Needs the provider").wait_for()
            assert len(posts) == 1
            fluoro = ENCOUNTER_SCHEMA["properties"]["documentation"]["properties"][
                "fluoroscopy"
            ]["properties"]
            bases = tab.locator("#basis option").evaluate_all(
                "options => options.map(o => o.value).filter(Boolean)"
            )
            assert bases == fluoro["distinct_indication"]["properties"]["basis"]["enum"]
            units = tab.locator("#dap-unit option").evaluate_all(
                "options => options.map(o => o.value)"
            )
            assert (
                units == fluoro["dose_area_product"]["properties"]["unit"]["examples"]
            )
        finally:
            tab.close()
