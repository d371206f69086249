"""What a user set survives page switches and, for an upload, a reload (issue 12, items 9 and 10)."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import assert_no_exception, click_and_wait, open_page, screenshot, wait_idle

pytestmark = pytest.mark.browser


def server_log(app_url: str) -> str:
    return (ARTIFACTS / f"streamlit-{urlparse(app_url).port}.log").read_text(errors="replace")


def test_model_settings_survive_a_visit_to_another_page(page, app_url):
    page.goto(f"{app_url}/model")
    wait_idle(page)
    epochs = page.locator(".st-key-model_epochs input")
    epochs.fill("7")
    epochs.press("Enter")
    wait_idle(page)
    click_and_wait(page, page.locator(".st-key-model_baselines label").first)
    assert_no_exception(page, "Model page after setting epochs and baselines")

    open_page(page, app_url, "Split")
    open_page(page, app_url, "Diagnostics")
    open_page(page, app_url, "Model")
    assert_no_exception(page, "Model page after coming back")
    expect(page.locator(".st-key-model_epochs input")).to_have_value("7")
    expect(page.locator(".st-key-model_baselines input")).to_be_checked()
    screenshot(page, ARTIFACTS, "memory-model-kept")

    # the browser's own value is the kept one: an unrelated rerun does not bring back the defaults
    width = page.locator(".st-key-model_width input")
    width.fill("64")
    width.press("Enter")
    wait_idle(page)
    expect(page.locator(".st-key-model_epochs input")).to_have_value("7")
    expect(page.locator(".st-key-model_baselines input")).to_be_checked()
    assert "Session State API" not in server_log(app_url)


def test_a_diagnostics_picker_changed_in_its_fragment_survives_a_visit_to_another_page(page, app_url):
    page.goto(f"{app_url}/diagnostics")
    wait_idle(page)
    box = page.locator(".st-key-diag_cooc_view")
    box.scroll_into_view_if_needed()  # the page draws elements below the fold when they come into view
    box.get_by_role("combobox").click()
    click_and_wait(page, page.get_by_role("option").filter(has_text="test").first)  # reruns only the fragment
    expect(box.get_by_role("combobox")).to_have_value("test")
    open_page(page, app_url, "Model")
    open_page(page, app_url, "Diagnostics")
    assert_no_exception(page, "Diagnostics after coming back")
    page.locator(".st-key-diag_cooc_view").scroll_into_view_if_needed()
    expect(page.locator(".st-key-diag_cooc_view").get_by_role("combobox")).to_have_value("test")
