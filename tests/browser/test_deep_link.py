"""A link to a page opened as the first request of a fresh server shows that page, set up like any other."""

from __future__ import annotations

import pytest

from tests.browser.conftest import served_app
from tests.browser.helpers import assert_no_exception, wait_idle

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["/model"])
def test_first_request_to_a_page_link(browser, path):
    with served_app() as (url, _):
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        page.goto(url + path)
        wait_idle(page)
        assert_no_exception(page, f"first request {path}")
        assert page.get_by_role("heading", name="Model").is_visible()
        assert "wagepan" in page.get_by_test_id("stSidebar").inner_text()
        context.close()
