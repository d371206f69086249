"""What a user set survives page switches and, for an upload, a reload (issue 12, items 9 and 10)."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import (
    assert_no_exception,
    click_and_wait,
    open_page,
    reload,
    screenshot,
    visit,
    wait_idle,
)

pytestmark = pytest.mark.browser


def server_log(app_url: str) -> str:
    return (ARTIFACTS / f"streamlit-{urlparse(app_url).port}.log").read_text(errors="replace")


def test_model_settings_survive_a_visit_to_another_page(page, app_url):
    visit(page, f"{app_url}/model")
    epochs = page.locator(".st-key-model_epochs input")
    epochs.fill("7")
    click_and_wait(page, lambda: epochs.press("Enter"))
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
    click_and_wait(page, lambda: width.press("Enter"))
    expect(page.locator(".st-key-model_epochs input")).to_have_value("7")
    expect(page.locator(".st-key-model_baselines input")).to_be_checked()
    assert "Session State API" not in server_log(app_url)


def test_a_diagnostics_picker_changed_in_its_fragment_survives_a_visit_to_another_page(page, app_url):
    visit(page, f"{app_url}/diagnostics")
    box = page.locator(".st-key-diag_cooc_view")
    box.scroll_into_view_if_needed()  # the page draws elements below the fold when they come into view
    wait_idle(page)
    box.get_by_role("combobox").click()
    click_and_wait(page, page.get_by_role("option").filter(has_text="test").first)  # reruns only the fragment
    expect(box.get_by_role("combobox")).to_have_value("test")
    open_page(page, app_url, "Model")
    open_page(page, app_url, "Diagnostics")
    assert_no_exception(page, "Diagnostics after coming back")
    page.locator(".st-key-diag_cooc_view").scroll_into_view_if_needed()
    wait_idle(page)
    expect(page.locator(".st-key-diag_cooc_view").get_by_role("combobox")).to_have_value("test")


def test_an_upload_and_its_tasks_survive_a_reload(page, app_url):
    from tests.messy import panel_csv

    visit(page, app_url)
    click_and_wait(page, page.get_by_text("Upload a file"))
    click_and_wait(page, lambda: page.locator(".st-key-data_upload input[type=file]").set_input_files(
        {"name": "panel-messy.csv", "mimeType": "text/csv", "buffer": panel_csv(n_people=150, seed=3)}))
    assert_no_exception(page, "Data page after the upload")
    expect(page.get_by_role("heading", name="panel-messy.csv")).to_be_visible()

    tasks = page.locator('[class*="st-key-data_tasks_"]').get_by_role("combobox")
    tasks.click()
    tasks.fill("employed")
    click_and_wait(page, lambda: tasks.press("Enter"))
    page.keyboard.press("Escape")
    expect(page.get_by_role("option")).to_have_count(0)  # the list has closed
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("employed")
    expect(page).to_have_url(re.compile(r"upload=[0-9a-f]{32}.*file=panel-messy\.csv"))

    reload(page)
    assert_no_exception(page, "Data page after a reload")
    expect(page.get_by_role("heading", name="panel-messy.csv")).to_be_visible()
    expect(sidebar).to_contain_text("panel-messy.csv")
    expect(sidebar).to_contain_text("employed")
    expect(page.get_by_text("no longer on the server")).to_have_count(0)
    screenshot(page, ARTIFACTS, "memory-upload-reloaded")
