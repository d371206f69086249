"""The main path in a real browser: data, tasks, split, diagnostics, model, export. Fails on any exception box."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import assert_no_exception, open_page, screenshot, wait_idle

pytestmark = pytest.mark.browser


def pick_option(page, label: str, option: str) -> None:
    """Open the selectbox labelled ``label`` and click the option starting with ``option``."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label).first
    box.click()
    page.get_by_role("option").filter(has_text=option).first.click()
    wait_idle(page)


def test_main_path(page, app_url):
    page.goto(app_url)
    wait_idle(page)
    assert_no_exception(page, "first visit")
    assert page.get_by_role("heading", name="wagepan").is_visible()
    screenshot(page, ARTIFACTS, "01-data-wagepan")

    # Data: switch to penguins, then drop one task
    pick_option(page, "Built-in dataset", "penguins")
    assert_no_exception(page, "Data page after picking penguins")
    assert page.get_by_role("heading", name="penguins").is_visible()
    page.get_by_role("button", name="Remove body_mass_g").or_(
        page.locator('[data-baseweb="tag"]').filter(has_text="body_mass_g").locator("[role=presentation]")
    ).first.click()
    wait_idle(page)
    assert_no_exception(page, "Data page after removing a task")
    assert "species (cls), sex (bin)" in page.get_by_test_id("stSidebar").inner_text().replace("\n", " ")
    screenshot(page, ARTIFACTS, "02-data-penguins")

    # Split: k folds
    open_page(page, app_url, "Split")
    assert_no_exception(page, "Split page")
    page.get_by_text("k folds").click()
    wait_idle(page)
    assert_no_exception(page, "Split page with folds")
    assert page.get_by_test_id("stMetric").filter(has_text="fold-4").count() == 1
    assert "5 folds" in page.get_by_test_id("stSidebar").inner_text()
    screenshot(page, ARTIFACTS, "03-split-folds")
