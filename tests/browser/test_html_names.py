"""Column names and values holding HTML show as text in a real browser: no script runs, no tag renders.

The corpus file has a column named ``<script>alert(1)</script>``, one named
``value <b>bold</b>`` and cells holding ``<i>x</i>``. After
the upload and after picking the script-named column as a task, no dialog has
opened, no element the upload could have made exists, and the sidebar shows
the names as typed.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_no_exception, click_and_wait, open_page, visit
from tests.corpus import HTML_NAME, ODD_FILES

pytestmark = pytest.mark.browser


def test_html_in_names_and_values_is_shown_as_text(page, app_url):
    case = next(c for c in ODD_FILES if c.case == "column names with spaces, unicode or HTML")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    visit(page, app_url)
    click_and_wait(page, page.get_by_text("Upload a file"))
    click_and_wait(page, lambda: page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(
        files=[{"name": case.filename, "mimeType": "text/csv", "buffer": case.content}]
    ))
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text("names.csv")

    # No column name reads as an outcome, so no task is guessed (issue 12): the user picks both HTML names.
    tasks = page.get_by_test_id("stMultiSelect").filter(has_text="Tasks to split for and predict").first
    for typed, name in (("value", "value <b>bold</b>"), ("<script>", HTML_NAME)):
        tasks.locator("input").fill(typed)
        click_and_wait(page, page.get_by_role("option").filter(has_text=name).first)
        page.keyboard.press("Escape")
        expect(page.get_by_role("option")).to_have_count(0)  # the list has closed
        expect(sidebar).to_contain_text(name)
    open_page(page, app_url, "Split")
    expect(sidebar).to_contain_text(HTML_NAME)
    assert_no_exception(page, "Split page with HTML-named tasks")

    assert dialogs == [], f"a script from the data ran: {dialogs}"
    app = page.get_by_test_id("stApp")
    assert app.locator("script").count() == 0, "a <script> element was made from the data"
    assert app.locator("b", has_text="bold").count() == 0, "<b>bold</b> rendered as HTML"
    assert app.locator("i", has_text="x").count() == 0, "a cell's <i>x</i> rendered as HTML"
