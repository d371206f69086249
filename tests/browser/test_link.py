"""A shared link opens the same dataset, tasks and split, and a reload keeps them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_no_exception, open_page, reload, visit

pytestmark = pytest.mark.browser


def test_link_and_reload_keep_the_split(page, app_url):
    visit(page, f"{app_url}/split?dataset=penguins&task=species:multiclass&strategy=random&folds=3&seed=7")
    assert_no_exception(page, "Split page opened from a link")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("penguins")
    expect(sidebar).to_contain_text("3 folds")
    expect(page.get_by_test_id("stMetric").filter(has_text="fold-2")).to_have_count(1)

    open_page(page, app_url, "Diagnostics")
    expect(page).to_have_url(re.compile(r"/diagnostics\?.*dataset=penguins.*folds=3"))  # written after the run
    reload(page)
    assert_no_exception(page, "Diagnostics after a reload")
    expect(page.get_by_test_id("stSidebar")).to_contain_text("3 folds")
    expect(page.get_by_test_id("stSidebar")).to_contain_text("species")
