"""Two people on one server at once: each browser session keeps its own dataset, tasks and split.

Context A switches to penguins; context B stays on wagepan and asks for 5 folds.
Each sidebar must show only its own choices, after its own reruns and after the
other one reloads. Streamlit keeps state per session and a reload opens a new
session, which rebuilds the tab's own work from its page address (dashboard/link.py)
without touching the other tab. Uploads of the same file name with
different content, at the same time in both contexts, must give each context
its own dataset: the cache keys on the content, not the name.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import (
    assert_no_exception,
    click_and_wait,
    new_tab,
    open_page,
    reload,
    screenshot,
    wait_idle,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def two_tabs(browser, app_url) -> Iterator[tuple[object, object]]:
    """Two independent browser contexts (two people), each with one tab on the app."""
    contexts = [browser.new_context(viewport={"width": 1440, "height": 1000}) for _ in range(2)]
    tabs = [new_tab(context) for context in contexts]
    for tab in tabs:  # both open at once: two people on the server together
        tab.goto(app_url)
    for tab in tabs:
        wait_idle(tab, after=0)  # the first run of each tab's new document has ended
    yield tabs[0], tabs[1]
    for context in contexts:
        context.close()


def sidebar_shows(tab, *texts: str, never: tuple[str, ...] = ()) -> None:
    """The sidebar shows every one of ``texts`` (waiting for the run to draw it) and none of ``never``."""
    box = tab.get_by_test_id("stSidebar")
    for text in texts:
        expect(box).to_contain_text(text)
    for text in never:
        expect(box).not_to_contain_text(text)


def pick_option(tab, label: str, option: str) -> None:
    tab.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
    click_and_wait(tab, tab.get_by_role("option").filter(has_text=option).first)


def choose_folds(tab) -> None:
    open_page(tab, "", "Split")
    click_and_wait(tab, tab.get_by_text("k folds"))


def test_two_sessions_keep_their_own_dataset_tasks_and_split(two_tabs):
    a, b = two_tabs
    pick_option(a, "Built-in dataset", "penguins")
    choose_folds(b)
    for tab, where in ((a, "A"), (b, "B")):
        assert_no_exception(tab, f"context {where}")

    sidebar_shows(a, "penguins", "species (cls)", never=("5 folds",))
    sidebar_shows(b, "wagepan", "union (bin)", "5 folds")

    # each reruns on its own (another page), and still sees only its own choices
    open_page(a, "", "Split")
    open_page(b, "", "Data")
    sidebar_shows(a, "penguins", never=("5 folds",))
    sidebar_shows(b, "wagepan", "5 folds")
    expect(b.get_by_role("heading", name="wagepan")).to_be_visible()
    screenshot(a, ARTIFACTS, "sessions-a-penguins")
    screenshot(b, ARTIFACTS, "sessions-b-wagepan-folds")

    # A reload opens a new session, rebuilt from that tab's own address: each keeps its own work
    reload(a)
    sidebar_shows(a, "penguins", "species (cls)", never=("5 folds", "wagepan"))
    open_page(b, "", "Split")
    sidebar_shows(b, "wagepan", "5 folds")
    reload(b)
    sidebar_shows(b, "wagepan", "5 folds", never=("penguins",))
    for tab, where in ((a, "A after reload"), (b, "B after reload")):
        assert_no_exception(tab, where)


def upload(tab, name: str, content: bytes) -> None:
    click_and_wait(tab, tab.get_by_text("Upload a file"))
    click_and_wait(tab, lambda: tab.locator('[data-testid="stFileUploader"] input[type=file]').set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    ))


def test_same_file_name_different_content_gives_each_session_its_own_data(two_tabs):
    a, b = two_tabs
    rows_a = b"id,colour,label\n" + b"".join(f"{i},{'red' if i % 3 else 'blue'},{i % 2}\n".encode() for i in range(30))
    rows_b = b"id,size,label\n" + b"".join(f"{i},{i * 1.5},{'yes' if i % 4 else 'no'}\n".encode() for i in range(50))
    upload(a, "people.csv", rows_a)
    upload(b, "people.csv", rows_b)
    for tab, where in ((a, "A"), (b, "B")):
        assert_no_exception(tab, f"upload in context {where}")
    sidebar_shows(a, "people.csv", "30 rows × 3 columns")
    sidebar_shows(b, "people.csv", "50 rows × 3 columns")
    for tab, rows in ((a, 30), (b, 50)):
        open_page(tab, "", "Split")
        expect(tab.get_by_test_id("stMetric").first).to_be_visible()
        assert sum(int(m.inner_text().split("\n")[-1].replace(",", ""))
                   for m in tab.get_by_test_id("stMetric").all()) == rows
