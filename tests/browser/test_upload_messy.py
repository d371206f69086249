"""A new user's files in a real browser (issue 12): the uploader gets real bytes through set_input_files.

The European panel (BOM, ``;``, decimal commas, ISO dates, a repeating person id) is read with its numbers
and dates, the page says what it guessed, and the person id is proposed as the group with one click. On the
wide labels file, "Combine several columns into one task" adds a multi-label task that stays (blocker 1:
the sidebar showed it for a quarter of a second, then the old list came back).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import messy
from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import (
    add_tag,
    assert_no_exception,
    click_and_wait,
    open_page,
    pick_option,
    screenshot,
    visit,
)

pytestmark = pytest.mark.browser


def upload(page, app_url: str, name: str, content: bytes) -> None:
    visit(page, app_url)
    click_and_wait(page, page.get_by_text("Upload a file"))
    click_and_wait(page, lambda: page.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    ))
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    assert_no_exception(page, f"Data page after uploading {name}")


def sidebar_text(page) -> str:
    return page.get_by_test_id("stSidebar").inner_text().replace("\n", " ")


def test_european_panel_upload_reads_guesses_and_proposes_the_group(page, app_url):
    upload(page, app_url, "panel.csv", messy.panel_csv())
    main = page.get_by_test_id("stMain")
    expect(main).to_contain_text("Pick the columns to predict under Tasks: no column looks like a target.")
    expect(main).to_contain_text("group person_id, time interview_date")
    expect(page.get_by_role("combobox", name="Time column")).to_have_value("interview_date")
    screenshot(page, ARTIFACTS, "data-upload-panel")

    pick_option(page, "Group column", "(none)")
    proposal = main.get_by_text("person_id repeats 5.1 times on average")
    expect(proposal).to_be_visible()
    click_and_wait(page, page.get_by_role("button", name="Use person_id as the group"))
    assert_no_exception(page, "Data page after using the proposed group")
    expect(page.get_by_role("combobox", name="Group column")).to_have_value("person_id")
    expect(proposal).to_have_count(0)
    expect(page.get_by_test_id("stSidebar")).to_contain_text("groups: person_id")

    open_page(page, app_url, "Split")
    open_page(page, app_url, "Data")
    expect(main).to_contain_text("Using panel.csv (")
    expect(main).to_contain_text("uploaded this session")
    expect(page.get_by_text("No file yet")).to_have_count(0)


def test_combine_columns_adds_a_task_that_stays(page, app_url):
    upload(page, app_url, "labels.csv", messy.labels_csv(n_rows=1_000))
    assert "label (multi), target (reg)" in sidebar_text(page)
    page.get_by_text("Combine several columns into one task").click()  # an expander: no run
    page.get_by_label("Task name").fill("pair")  # in a form: no run
    columns = page.get_by_test_id("stMultiSelect").filter(has_text="0/1 columns").first
    for column in ("label_0", "label_1"):  # in a form a pick starts no run; a rerun may close the list: retry
        add_tag(page, columns, column)
    page.keyboard.press("Escape")
    form = page.get_by_test_id("stForm")
    pick_option(page, "Kind", "multilabel", within=form, runs=False)
    click_and_wait(page, page.get_by_role("button", name="Add task"))
    assert_no_exception(page, "Data page after Add task")
    expect(page.get_by_test_id("stSidebar")).to_contain_text("pair (multi)")
    tasks = page.get_by_test_id("stMultiSelect").filter(has_text="Tasks to split for and predict").first
    expect(tasks).to_contain_text("pair")
    open_page(page, app_url, "Split")  # it stays: on another page and after the next runs
    assert "label (multi), target (reg), pair (multi)" in sidebar_text(page)
    open_page(page, app_url, "Data")
    assert "label (multi), target (reg), pair (multi)" in sidebar_text(page)
    expect(tasks).to_contain_text("pair")
