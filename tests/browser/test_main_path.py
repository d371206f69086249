"""The main path in a real browser: data, tasks, split, diagnostics, model, export. Fails on any exception box."""

from __future__ import annotations

import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import assert_no_exception, click_and_wait, open_page, screenshot, visit, wait_idle

pytestmark = pytest.mark.browser


def pick_option(page, label: str, option: str) -> None:
    """Open the selectbox labelled ``label`` and click the option starting with ``option``."""
    box = page.get_by_test_id("stSelectbox").filter(has_text=label).first
    box.click()
    click_and_wait(page, page.get_by_role("option").filter(has_text=option).first)


def test_main_path(page, app_url):
    visit(page, app_url)
    assert_no_exception(page, "first visit")
    expect(page.get_by_role("heading", name="wagepan")).to_be_visible()
    screenshot(page, ARTIFACTS, "01-data-wagepan")

    # Data: switch to penguins, then drop one task
    pick_option(page, "Built-in dataset", "penguins")
    assert_no_exception(page, "Data page after picking penguins")
    expect(page.get_by_role("heading", name="penguins")).to_be_visible()
    click_and_wait(page, page.get_by_role("button", name="Remove body_mass_g").or_(
        page.locator('[data-baseweb="tag"]').filter(has_text="body_mass_g").locator("[role=presentation]")
    ).first)
    assert_no_exception(page, "Data page after removing a task")
    expect(page.get_by_test_id("stSidebar")).to_contain_text("species (cls), sex (bin)")
    screenshot(page, ARTIFACTS, "02-data-penguins")

    # Split: k folds
    open_page(page, app_url, "Split")
    assert_no_exception(page, "Split page")
    click_and_wait(page, page.get_by_text("k folds"))
    assert_no_exception(page, "Split page with folds")
    expect(page.get_by_test_id("stMetric").filter(has_text="fold-4")).to_have_count(1)
    expect(page.get_by_test_id("stSidebar")).to_contain_text("5 folds")
    screenshot(page, ARTIFACTS, "03-split-folds")

    # Diagnostics: the scorecard, a distribution chart and the co-occurrence heatmap render
    open_page(page, app_url, "Diagnostics")
    assert_no_exception(page, "Diagnostics page")
    expect(page.get_by_role("heading", name="Quality scorecard")).to_be_visible()
    expect(page.locator(".js-plotly-plot").nth(2)).to_be_attached()  # at least three charts
    screenshot(page, ARTIFACTS, "04-diagnostics")

    # Model: a 3-epoch run draws a loss curve per task
    open_page(page, app_url, "Model")
    assert_no_exception(page, "Model page")
    epochs = page.locator(".st-key-model_epochs input")
    epochs.fill("3")
    click_and_wait(page, lambda: epochs.press("Enter"))
    page.locator(".st-key-model_train button").first.click()
    # drawn by the page's last run, once training has ended (polls redraw the progress until then)
    expect(page.get_by_text("Finished in", exact=False)).to_be_visible(timeout=600_000)
    wait_idle(page)  # that run has started: wait for it to end
    assert_no_exception(page, "Model page after training")
    losses = page.locator(".st-key-model_losses .js-plotly-plot")
    expect(losses).to_be_visible()
    expect(losses.locator(".scatterlayer .trace").nth(1)).to_be_attached()  # train and val lines
    screenshot(page, ARTIFACTS, "05-model-trained")

    # Export: download the assignment and check it is the split just made
    open_page(page, app_url, "Export")
    assert_no_exception(page, "Export page")
    with page.expect_download() as download:
        page.locator(".st-key-export_csv button").click()
    path = download.value.path()
    table = pd.read_csv(path)
    assert table.columns.tolist()[:2] == ["row", "split"]
    assert len(table) == 344
    assert set(table["split"]) == {f"fold-{k}" for k in range(5)}
    screenshot(page, ARTIFACTS, "06-export")
