"""The main path in a real browser: data, tasks, split, diagnostics, model, export. Fails on any exception box."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import assert_no_exception, screenshot, wait_idle

pytestmark = pytest.mark.browser


def test_data_page_pick_dataset_and_tasks(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    assert_no_exception(page, "first visit")
    assert page.get_by_text("wagepan", exact=False).first.is_visible()

    # pick another built-in dataset from the selectbox
    page.get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="penguins", exact=False).first.click()
    wait_idle(page)
    assert_no_exception(page, "Data page after picking penguins")
    assert page.get_by_text("344 penguins", exact=False).first.is_visible()

    # remove one task chip from the task picker
    page.get_by_role("button", name="Remove sex", exact=False).first.click() if page.get_by_role(
        "button", name="Remove sex", exact=False
    ).count() else None
    wait_idle(page)
    assert_no_exception(page, "Data page after editing tasks")
    screenshot(page, ARTIFACTS, "data-page")
