"""The self-audit report renders its charts in Debian's Chromium (issue 10)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fluorocode.api import run_batch, write_audit_report

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
]

pytestmark = pytest.mark.browser

CSV = (
    "claim_id,line,date_of_service,place_of_service,claim_type,program,provider,code,modifiers,units\n"
    + "".join(
        f"c{i},1,2024-08-15,{'22' if i % 2 else '11'},,,P{i % 5},29880,"
        f"{'59' if i % 5 == 0 else ''},1\n"
        f"c{i},2,2024-08-15,{'22' if i % 2 else '11'},,,P{i % 5},76000,,1\n"
        for i in range(40)
    )
)


def test_report_charts_render(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        message = "no /usr/bin/chromium: run `make browser-deps`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    src = tmp_path / "claims.csv"
    src.write_text(CSV)
    run_batch([src], tmp_path / "out", home=tmp_path / "home")
    page_file = tmp_path / "report.html"
    write_audit_report(tmp_path / "out", page_file)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=ARGS, headless=True
        )
        page = browser.new_page()
        failed: list[str] = []
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("pageerror", lambda e: failed.append(str(e)))
        page.goto(page_file.as_uri())
        page.wait_for_selector(".js-plotly-plot .main-svg")
        plots = page.locator(".js-plotly-plot")
        assert plots.count() == 4  # 76000 by provider and by POS, bypass, edits
        for i in range(plots.count()):
            assert plots.nth(i).locator(".main-svg").count() >= 1
        # the 76000 chart has drawn bars (one trace per way a line can end)
        assert page.locator("#fluoro-provider .trace.bars").count() == 4
        assert page.locator("#outliers li").count() >= 1
        browser.close()
    assert failed == []
