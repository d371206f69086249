"""A new user's whole journey on their own file, in a real browser (issue 12).

What a person does with an upload they bring: a European CSV (BOM, ``;``, decimal commas) of a panel of
people over years with several 0/1 label columns. They upload it, combine three 0/1 columns into one
multi-label task through the "Combine several columns into one task" expander, choose ten tasks in all,
set the repeating person id as the group and the year as the time, split three ways on the Split page
(stratified, group, time) reading the sizes each time, read the Diagnostics scorecard and leakage table,
train a model on the ten tasks for a few epochs, train a second seed and click the older run's row in the
Runs table, build and download the HTML report, and reload the page.

After every step: no exception box, and no error box the step did not expect. Every wait is for the app's
state (``wait_idle``, ``click_and_wait``, ``expect``), never for a clock.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import expect

from tests import messy
from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import (
    EXCEPTION,
    add_tag,
    assert_no_exception,
    click_and_wait,
    click_point_and_wait,
    open_page,
    pick_option,
    reload,
    screenshot,
    typed_option,
    visit,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FILENAME = "clinic_panel.csv"
COMBINED = "conditions"  # the multi-label task made through the expander
COMBINED_FROM = ("cond_a", "cond_b", "cond_c")
SINGLE_TASKS = ("cond_d", "cond_e", "cond_f", "cond_g", "cond_h", "employed", "health", "income", "satisfaction")
TASKS = (COMBINED, *SINGLE_TASKS)  # ten tasks: multilabel, 6 binary, 2 multiclass (one 90% missing), regression
GROUP, TIME = "person_id", "year"
ERROR_BOX = '[data-testid="stAlertContentError"]'
ROW_PX = 35  # the height of a row (and of the header) of a Streamlit dataframe


def journey_frame(n_people: int = 300, seed: int = 7) -> pd.DataFrame:
    """The panel of :func:`tests.messy.panel_frame`, people joining in different years, with eight 0/1
    condition columns and a mostly-missing satisfaction score."""
    frame = messy.panel_frame(n_people=n_people, seed=seed)
    rng = np.random.default_rng(seed)
    n = len(frame)
    person = frame["person_id"].to_numpy() - 1000
    joined = rng.integers(0, 8, n_people)[person]  # people join the panel from 2010 to 2017
    frame["year"] += joined
    frame["interview_date"] += pd.to_timedelta(365 * joined, "D")
    frailty = rng.normal(size=n_people)[person]  # conditions of one person go together
    for j, name in enumerate("abcdefgh"):
        rate = 0.45 / (j + 1) + 0.03  # common to rare
        score = frailty * (0.5 + 0.1 * j) + rng.normal(size=n)
        frame[f"cond_{name}"] = (score > np.quantile(score, 1 - rate)).astype(int)
    satisfaction = rng.integers(1, 6, n).astype(float)
    satisfaction[rng.random(n) < 0.9] = np.nan  # answered by one person in ten
    frame["satisfaction"] = satisfaction
    return frame


def journey_csv() -> bytes:
    frame = journey_frame()
    frame["interview_date"] = frame["interview_date"].dt.strftime("%Y-%m-%d")
    return messy.european_csv(frame)


# --------------------------------------------------------------------------- checks after every step


def check(page, where: str, *, errors_expected: int = 0) -> None:
    """No exception box; no error box unless the step expects that many."""
    assert_no_exception(page, where)
    boxes = page.locator(ERROR_BOX)
    if boxes.count() != errors_expected:
        shown = " | ".join(text[:300] for text in boxes.all_inner_texts())
        raise AssertionError(f"{boxes.count()} error box(es) on {where} (expected {errors_expected}): {shown}")


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def sidebar_text(page) -> str:
    return " ".join(sidebar(page).inner_text().split())



def multiselect(page, label: str):
    return page.get_by_test_id("stMultiSelect").filter(has_text=label).first


def add_to_multiselect(page, label: str, value: str) -> None:
    """Type ``value`` into the multiselect labelled ``label`` and pick that option, as a person does."""
    click_and_wait(page, typed_option(page, multiselect(page, label), value))
    page.keyboard.press("Escape")
    expect(page.get_by_role("option")).to_have_count(0)  # the list has closed


def split_sizes(page) -> dict[str, int]:
    """The Split page's size metrics: {split: rows}."""
    sizes = {}
    for metric in page.get_by_test_id("stMetric").all():
        label = metric.get_by_test_id("stMetricLabel").inner_text()
        value = metric.get_by_test_id("stMetricValue").inner_text()
        sizes[label.split("·")[0].strip()] = int(value.replace(",", ""))
    return sizes


def choose_strategy(page, strategy: str, n_rows: int) -> dict[str, int]:
    pick_option(page, "Strategy", strategy)
    check(page, f"Split page, strategy {strategy}")
    expect(sidebar(page)).to_contain_text(strategy)
    sizes = split_sizes(page)
    assert {"train", "val", "test"} <= set(sizes), f"{strategy}: sizes shown {sizes}"
    assert sum(sizes.values()) == n_rows, f"{strategy}: {sizes} do not add up to {n_rows:,} rows"
    assert sizes["train"] > sizes["test"] > 0 and sizes["val"] > 0, f"{strategy}: {sizes}"
    screenshot(page, ARTIFACTS, f"journey-03-split-{strategy}")
    return sizes


# --------------------------------------------------------------------------- the journey


def runs_table_click(page) -> None:
    """Train a second seed, then click the older run's first row in the Runs table, as a person does (the table
    is a canvas: the click lands on the row's checkbox cell): the overlaid curves show that run, not the newest."""
    seed = page.locator(".st-key-model_seed input")
    seed.fill("1")
    click_and_wait(page, lambda: seed.press("Enter"))
    page.locator(".st-key-model_train button").first.click()
    curves = page.locator(".st-key-model_runs_curves")
    expect(curves.or_(page.locator(EXCEPTION)).first).to_contain_text("seed 1", timeout=600_000)
    expect(page.get_by_role("button", name="Stop", exact=True)).to_have_count(0, timeout=600_000)
    wait_idle(page)
    check(page, "Model page after the second seed")
    expect(curves).not_to_contain_text("seed 0")  # the newest run is shown until a row is picked
    table = page.locator(".st-key-model_runs_table")
    table.evaluate("element => element.scrollIntoView({block: 'start'})")
    wait_idle(page)
    box = table.get_by_test_id("stDataFrame").bounding_box()
    row = len(TASKS)  # newest first, a row per task: the older run's first task
    click_point_and_wait(page, box["x"] + 16, box["y"] + ROW_PX * (row + 1) + ROW_PX / 2)
    check(page, "Model page after clicking a run's row")
    expect(curves).to_contain_text("seed 0")
    expect(curves).not_to_contain_text("seed 1")
    screenshot(page, ARTIFACTS, "journey-05b-runs-clicked")


def test_new_user_journey_on_an_upload(page, app_url, tmp_path):
    try:
        journey(page, app_url, tmp_path)
    except BaseException:
        screenshot(page, ARTIFACTS, "journey-failed")  # what the page showed when a step failed
        raise


def journey(page, app_url: str, tmp_path) -> None:
    frame = journey_frame()
    n_rows = len(frame)
    upload = tmp_path / FILENAME
    upload.write_bytes(journey_csv())

    # 1. Data: upload the file
    visit(page, app_url)
    check(page, "first visit")
    click_and_wait(page, page.get_by_text("Upload a file"))
    click_and_wait(page, lambda: page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(upload)))
    expect(page.get_by_role("heading", name=FILENAME)).to_be_visible()
    check(page, "Data page after the upload")
    expect(sidebar(page)).to_contain_text(FILENAME)
    expect(sidebar(page)).to_contain_text(f"{n_rows:,} rows")
    screenshot(page, ARTIFACTS, "journey-01-uploaded")

    # 2. Tasks: start from none, combine three 0/1 columns into a multi-label task, then add nine single ones
    tasks_box = multiselect(page, "Tasks to split for and predict")
    clear = tasks_box.get_by_role("button", name="Clear all")
    if clear.count():
        click_and_wait(page, clear.first)
    check(page, "Data page with no task")
    expect(sidebar(page)).to_contain_text("Tasks: none chosen yet")

    page.get_by_text("Combine several columns into one task").click()  # an expander: no run
    form = page.get_by_test_id("stForm")
    expect(form.get_by_test_id("stTextInput")).to_be_visible()
    form.get_by_test_id("stTextInput").locator("input").fill(COMBINED)
    members = form.get_by_test_id("stMultiSelect").first
    for column in COMBINED_FROM:
        add_tag(page, members, column)  # a form: the pick starts no run; a click on a list being redrawn can miss
        expect(members.locator(f'[data-tag][aria-label="{column}"]')).to_have_count(1)
    page.keyboard.press("Escape")
    pick_option(page, "Kind", "multilabel", within=form, runs=False)
    click_and_wait(page, form.get_by_role("button", name="Add task"))
    check(page, "Data page after adding the multi-label task")
    expect(sidebar(page)).to_contain_text(f"{COMBINED} (multi)")
    wait_idle(page)  # the task must still be there once every rerun is over (it vanished, issue 12 item 1)
    expect(sidebar(page)).to_contain_text(f"{COMBINED} (multi)")

    for name in SINGLE_TASKS:
        add_to_multiselect(page, "Tasks to split for and predict", name)
        expect(sidebar(page)).to_contain_text(name)
    check(page, "Data page with ten tasks")
    listed = sidebar_text(page)
    assert f"Tasks ({len(TASKS)})" in listed, listed
    for name in TASKS:
        assert name in listed, f"task {name} missing from the sidebar: {listed}"
    screenshot(page, ARTIFACTS, "journey-02-tasks")

    # roles: the repeating person id is the group, the year is the time
    pick_option(page, "Group column", GROUP)
    pick_option(page, "Time column", TIME)
    check(page, "Data page after choosing the roles")
    expect(sidebar(page)).to_contain_text(f"groups: {GROUP}")

    # 3. Split three ways, reading the sizes each time
    open_page(page, app_url, "Split")
    check(page, "Split page")
    sizes = {strategy: choose_strategy(page, strategy, n_rows) for strategy in ("stratified", "group", "time")}
    assert len({tuple(s.values()) for s in sizes.values()}) >= 2, f"three strategies, one set of sizes: {sizes}"

    # 4. Diagnostics: the scorecard and the leakage table of the time split
    open_page(page, app_url, "Diagnostics")
    check(page, "Diagnostics page")
    expect(page.get_by_role("heading", name="Quality scorecard")).to_be_visible()
    main = page.get_by_test_id("stMain")
    for score in ("LD", "LPD", "JS"):
        expect(main.get_by_text(re.compile(rf"^{score} ·"))).to_be_visible()
    for score in ("LD", "LPD", "JS"):  # label shift between periods is drift, not a failed split (item 7)
        card = main.get_by_test_id("stVerticalBlock").filter(has_text=re.compile(rf"^\s*{score} ·")).last
        verdict = card.inner_text().split("\n")[1].strip()
        assert verdict != "fail", f"the time split's {score} is judged as a failed random split: {card.inner_text()}"
    expect(page.get_by_role("heading", name="Leakage")).to_be_visible()
    leakage = main.locator("table").filter(has_text="verdict").first
    expect(leakage).to_be_visible()
    wait_idle(page)
    check(page, "Diagnostics page after the leakage checks")
    leak_text = leakage.inner_text()
    for column in (*COMBINED_FROM, *SINGLE_TASKS):  # a task's own column is no feature (issue 12 item 3)
        assert f"'{column}' →" not in leak_text, f"a task column is tested as a feature: {leak_text}"
    assert "AUC 1.000" not in leak_text, leak_text
    screenshot(page, ARTIFACTS, "journey-04-diagnostics")

    # 5. Model: ten tasks, three epochs, the test metrics of every task
    open_page(page, app_url, "Model")
    check(page, "Model page")
    features = multiselect(page, "Feature columns")
    chosen = set(features.locator("[data-tag]").evaluate_all("tags => tags.map(t => t.getAttribute('aria-label'))"))
    assert chosen, "no default feature"
    # ids, groups, time, free text and task columns are no default features (issue 12 item 4)
    for column in ("row", GROUP, TIME, "comment", *COMBINED_FROM, *SINGLE_TASKS):
        assert column not in chosen, f"{column} is a default feature: {sorted(chosen)}"
    runs_dir = page.locator(".st-key-model_runs_dir input")  # this test's own runs: the table holds only them
    runs_dir.fill(str(tmp_path / "runs"))
    click_and_wait(page, lambda: runs_dir.press("Enter"))
    epochs = page.locator(".st-key-model_epochs input")
    epochs.fill("3")
    click_and_wait(page, lambda: epochs.press("Enter"))
    page.locator(".st-key-model_train button").first.click()
    # the results are drawn by the page's last run, once training has ended (polls redraw the progress until
    # then); fail fast on a crash
    results = page.get_by_role("heading", name="Test metrics")
    expect(results.or_(page.locator(EXCEPTION)).first).to_be_visible(timeout=600_000)
    wait_idle(page)  # that run has started: wait for it to end
    check(page, "Model page after training")
    metrics = main.get_by_test_id("stDataFrame").first
    expect(metrics).to_be_visible()
    losses = page.locator(".st-key-model_losses .js-plotly-plot")
    expect(losses).to_be_visible()
    screenshot(page, ARTIFACTS, "journey-05-model")
    runs_table_click(page)

    # 6. Export: the HTML report names the data and every task
    open_page(page, app_url, "Export")
    check(page, "Export page")
    click_and_wait(page, page.locator(".st-key-export_build_report button").first)
    check(page, "Export page after building the report")
    with page.expect_download() as download:
        page.locator(".st-key-export_report button").first.click()
    html = tmp_path / "report.html"
    download.value.save_as(html)
    text = html.read_text(encoding="utf-8")
    assert len(text) > 10_000 and text.lstrip().lower().startswith("<!doctype html"), text[:200]
    assert FILENAME in text
    for name in TASKS:
        assert name in text, f"the report does not name the task {name}"
    screenshot(page, ARTIFACTS, "journey-06-export")

    # 7. Reload: the upload, its tasks and roles are still there (issue 12 item 10)
    reload(page)
    check(page, "the Export page after a reload")
    expect(page).to_have_url(re.compile(r"/export\?"))  # a reload stays on its page
    listed = sidebar_text(page)
    assert FILENAME in listed, f"the upload was dropped on reload: {listed}"
    assert f"Tasks ({len(TASKS)})" in listed, listed
    for name in TASKS:
        assert name in listed, f"task {name} lost on reload: {listed}"
    assert f"groups: {GROUP}" in listed, listed
    screenshot(page, ARTIFACTS, "journey-07-reloaded")
    open_page(page, app_url, "Data")
    check(page, "the Data page after a reload")
    expect(page.get_by_role("heading", name=FILENAME)).to_be_visible()  # the Data page shows the upload
    assert f"Tasks ({len(TASKS)})" in sidebar_text(page)
