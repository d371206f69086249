"""A link to a page opened as the first request of a fresh server shows that page, set up like any other."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import served_app
from tests.browser.helpers import assert_no_exception, new_tab, visit

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["/model"])
def test_first_request_to_a_page_link(browser, path):
    with served_app() as (url, _):
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        try:
            page = new_tab(context)
            visit(page, url + path)
            assert_no_exception(page, f"first request {path}")
            expect(page.get_by_role("heading", name="Model")).to_be_visible()
            expect(page.get_by_test_id("stSidebar")).to_contain_text("wagepan")
        finally:
            context.close()
