"""A link to a page opened as the first request of a fresh server shows that page, set up like any other."""

from __future__ import annotations

import subprocess

import pytest

from tests.browser.conftest import ARTIFACTS, _wait_healthy, free_port, start_app
from tests.browser.helpers import assert_no_exception, wait_idle

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["/model"])
def test_first_request_to_a_page_link(browser, path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = start_app(port)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        page.goto(url + path)
        wait_idle(page)
        assert_no_exception(page, f"first request {path}")
        assert page.get_by_role("heading", name="Model").is_visible()
        assert "wagepan" in page.get_by_test_id("stSidebar").inner_text()
        context.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
