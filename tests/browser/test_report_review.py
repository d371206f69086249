"""The report's strategy comparison and decision block in a real browser, offline: the reviewer's notes are
saved into a new copy of the report, which opens with them and draws every figure once (issue 12, item 11)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.report import diagnose, render_report
from core.splits import SplitConfig, split
from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import TIMEOUT

pytestmark = pytest.mark.browser

NOTES = "Use the time split.\n</textarea><script>alert(1)</script>"
# every figure of the report drawn (plotly.js draws them as the page loads): a state, not a pause
ALL_DRAWN = "() => [...document.querySelectorAll('.plotly-graph-div')].every(plot => plot.querySelector('.main-svg'))"


def open_offline(context, path: Path, problems: list[str]):
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT)
    tab.on("pageerror", lambda error: problems.append(f"error: {error}"))
    tab.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    tab.on("request", lambda request: None if request.url.startswith(("file:", "blob:", "data:"))
           else problems.append(f"fetched: {request.url}"))
    tab.goto(path.as_uri())
    tab.wait_for_selector("#comparison .js-plotly-plot .main-svg")
    tab.wait_for_function(ALL_DRAWN)
    return tab



def plots_drawn(tab) -> list[int]:
    """How many times each figure is drawn: 1 each, not 0 (empty) nor 2 (drawn over a saved drawing)."""
    return tab.evaluate("() => Array.from(document.querySelectorAll('.plotly-graph-div'))"
                        ".map(plot => plot.querySelectorAll('.plot-container').length)")


def test_the_reviewers_decision_is_saved_into_a_copy_of_the_report(tmp_path, browser, wagepan):
    config = SplitConfig(strategy="group", group_column="nr", time_column="year", seed=4)
    result = split(wagepan.frame, wagepan.tasks, config)
    path = tmp_path / "report.html"
    path.write_text(render_report(wagepan, wagepan.tasks, result.assignment, config=config), encoding="utf-8")

    context = browser.new_context(offline=True, viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    problems: list[str] = []
    tab = open_offline(context, path, problems)
    comparison = tab.locator("#comparison")
    recommended = diagnose(wagepan, wagepan.tasks, result.assignment, config, lambda share, text: None).recommendation.config
    expect(comparison).to_contain_text(f"Recommended: {recommended}")  # the page's own recommendation, in words
    expect(comparison.locator(".js-plotly-plot")).to_have_count(1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    comparison.screenshot(path=str(ARTIFACTS / "report-comparison.png"))

    tab.get_by_label("Revise it (see the notes)").check()
    tab.get_by_label("Reviewer").fill("Ada <b>Lovelace</b>")
    tab.get_by_label("Date").fill("2026-12-07")
    tab.get_by_label("Notes and requested changes").fill(NOTES)
    with tab.expect_download() as download:
        tab.get_by_role("button", name="Save the report with these notes").click()
    assert download.value.suggested_filename == "wagepan-reviewed.html"
    tab.locator("#decision").screenshot(path=str(ARTIFACTS / "report-decision.png"))
    drawn = plots_drawn(tab)

    saved = tmp_path / "reviewed.html"
    saved.write_bytes(Path(download.value.path()).read_bytes())
    again = open_offline(context, saved, problems)
    again.wait_for_function("() => document.querySelectorAll('.plotly-graph-div .main-svg').length >= 13")
    expect(again.get_by_label("Revise it (see the notes)")).to_be_checked()
    expect(again.get_by_label("Accept the split")).not_to_be_checked()
    expect(again.get_by_label("Reviewer")).to_have_value("Ada <b>Lovelace</b>")
    expect(again.get_by_label("Date")).to_have_value("2026-12-07")
    expect(again.get_by_label("Notes and requested changes")).to_have_value(NOTES)
    assert plots_drawn(again) == drawn == [1] * len(drawn)
    context.close()
    assert problems == []
