"""Small Playwright helpers for driving the Streamlit app like a person would."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout

EXCEPTION = '[data-testid="stException"]'


# Idle: no script run, no status widget, no spinner or skeleton, every plotly chart drawn, and the page's
# elements and text the same over STABLE_FRAMES animation frames in a row (Streamlit lays out what a run sent
# a moment after it marks the run over, and a run that ends in st.rerun is followed by the next one: two
# frames were too few for that, twenty are about a third of a second of a page that does not change). Polled
# once per animation frame, so it waits for the page, not a clock: any change starts the count again.
STABLE_FRAMES = 20
SETTLED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const busy = !app || app.getAttribute('data-test-script-state') !== 'notRunning'
        || document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSpinner"], '
                                  + '[data-testid="stSkeleton"]')
        || Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'))
               .some(chart => !chart.querySelector('.main-svg'));
    if (busy) { window.__tsSettled = null; window.__tsFrames = 0; return false; }
    const main = document.querySelector('[data-testid="stMain"]') || document.body;
    const shape = document.getElementsByTagName('*').length + ':' + main.innerText.length;
    window.__tsFrames = shape === window.__tsSettled ? window.__tsFrames + 1 : 0;
    window.__tsSettled = shape;
    return window.__tsFrames >= STABLE_FRAMES;
}"""


def wait_idle(page, timeout: float = 90_000) -> None:
    """Wait until the app has rendered, no script run is in progress and the page has stopped changing."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.evaluate("() => { window.__tsSettled = null; window.__tsFrames = 0; }")
    page.wait_for_function(SETTLED.replace("STABLE_FRAMES", str(STABLE_FRAMES)), timeout=timeout, polling="raf")


def assert_no_exception(page, where: str) -> None:
    boxes = page.locator(EXCEPTION)
    if boxes.count():
        raise AssertionError(f"exception box on {where}: {boxes.first.inner_text()[:500]}")


# Before a click: note in the page whether a script run starts after it (the state attribute goes to
# "running"), so that waiting for idle does not end on the idle state from before the click.
WATCH_RUN = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__tsRan = false;
    if (window.__tsWatch) window.__tsWatch.disconnect();
    window.__tsWatch = new MutationObserver(() => {
        if (app.getAttribute('data-test-script-state') === 'running') window.__tsRan = true;
    });
    window.__tsWatch.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def click_and_wait(page, target, timeout: float = 90_000) -> None:
    """Click ``target`` (a locator, or a function that clicks), wait for the run it starts (if one starts
    within 5 s), then for idle."""
    page.evaluate(WATCH_RUN)
    target() if callable(target) else target.click()
    with contextlib.suppress(PlaywrightTimeout):  # the click started no run
        page.wait_for_function("() => window.__tsRan === true", timeout=5_000)
    wait_idle(page, timeout)


def click_point_and_wait(page, x: float, y: float) -> None:
    """Move the mouse to a point of the page and click there, as a person does on a plotly chart (plotly.js
    takes clicks on its drag layer, above the marks), then wait as :func:`click_and_wait` does."""

    def click() -> None:
        page.mouse.move(x, y)
        page.mouse.click(x, y)

    click_and_wait(page, click)


def open_page(page, base_url: str, title: str) -> None:
    """Click a page in the sidebar navigation and wait for its script run to finish."""
    click_and_wait(page, page.get_by_role("link", name=title).first)


def screenshot(page, artifacts: Path, name: str) -> Path:
    artifacts.mkdir(parents=True, exist_ok=True)
    path = artifacts / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_dropdown(page, box) -> None:
    """Open the selectbox or multiselect ``box`` until its options show (a rerun can close it as it opens)."""
    box.scroll_into_view_if_needed()
    combo = box.get_by_role("combobox").first
    for attempt in range(5):
        (combo if attempt % 2 == 0 else box.get_by_role("button", name="Open").first).click()
        try:
            page.get_by_role("option").first.wait_for(timeout=3_000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            wait_idle(page)
    raise AssertionError(f"the dropdown {box.inner_text()[:80]!r} did not open")


def pick_option(page, label: str, option: str, within=None, *, runs: bool = True) -> None:
    """Open the selectbox labelled ``label`` and click the option that is exactly ``option`` (in a form the
    pick starts no run: ``runs=False``)."""
    box = (within or page).get_by_test_id("stSelectbox").filter(has_text=label).first
    open_dropdown(page, box)
    exact = re.compile(rf"^\s*{re.escape(option)}\s*$")
    option_box = page.get_by_role("option").filter(has_text=exact).first
    if runs:
        click_and_wait(page, option_box)
    else:
        option_box.click()
        wait_idle(page)


def typed_option(page, box, value: str):
    """Type ``value`` into the multiselect ``box`` until its option shows (a rerun can close the list)."""
    exact = page.get_by_role("option").filter(has_text=re.compile(rf"^\s*{re.escape(value)}\s*$")).first
    box.scroll_into_view_if_needed()
    for _ in range(5):
        box.locator("input").click()
        box.locator("input").fill(value)
        try:
            exact.wait_for(timeout=3_000)
            return exact
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            wait_idle(page)
    raise AssertionError(f"no option {value!r} in {box.inner_text()[:80]!r}")


def add_tag(page, box, value: str) -> None:
    """Pick ``value`` in the multiselect ``box`` of a form (a pick starts no run) until it shows as a tag.

    The list can be closed by a rerun between showing the option and the click (the page's last run after
    an upload): the click then finds no option, so typing and clicking are retried, each with a short wait.
    """
    tag = box.locator(f'[data-tag][aria-label="{value}"]')
    for _ in range(5):
        with contextlib.suppress(PlaywrightTimeout):
            typed_option(page, box, value).click(timeout=3_000)
            tag.wait_for(timeout=3_000)
            return
        page.keyboard.press("Escape")
        wait_idle(page)
    raise AssertionError(f"{value!r} could not be picked in {box.inner_text()[:80]!r}")
