"""Small Playwright helpers for driving the Streamlit app like a person would.

Every wait is for the app's own state, never for a clock (issue 13, item 8):

- Each tab counts the app's script runs that have ended, from the messages the app's server sends it
  (``script_finished`` on the app's websocket, read in the page by :data:`COUNT_RUNS`). A step that starts a
  run notes the count first (:func:`runs_ended`) and waits for it to grow (``after=``), so the wait cannot end
  on the state from before the step, however fast the run or slow the machine. A run that ends early for
  ``st.rerun`` is not counted: its chain goes on.
- :func:`wait_idle` also waits for the page itself: connected, ``data-test-script-state`` is ``notRunning``,
  no status widget, spinner, skeleton or stale element, every plotly chart drawn, and the page unchanged over
  ``STABLE_FRAMES`` animation frames.
- What a test reads it reads after such a wait, or through ``expect`` (which waits for the element and text).
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

EXCEPTION = '[data-testid="stException"]'
# Generous: the machine is shared by several helpers and two cores; a timeout only bounds a failing test.
TIMEOUT = 120_000  # ms, Playwright's default for actions and expect()
IDLE_TIMEOUT = 180_000  # ms, for a script run and the page to settle after it
RETRY_TIMEOUT = 15_000  # ms, for one try of a dropdown that a rerun can close as it opens
expect.set_options(timeout=TIMEOUT)


# --------------------------------------------------------------------------- the app's runs

# Run in every document of a tab before the app's own code: every message on the app's websocket
# (/_stcore/stream, one ForwardMsg protobuf per frame) is read for its top-level field. A script_finished that
# ends a run, but not one that ended early for a rerun, adds one to window.__tsRunsEnded. In the page, so a
# run is counted however short, and a reload starts a new count with its new document. Each delta and each
# script_finished is also logged in window.__tsMessages as [performance.now(), kind, status] (kind DELTA or
# SCRIPT_FINISHED, status the script_finished status, else 0; the last LOG_SIZE of them), for the benches that
# time the app's runs (bench/bench_train.py's live curves).
COUNT_RUNS = """(() => {
    if (window.__tsRunsEnded !== undefined) return;
    window.__tsRunsEnded = 0;
    window.__tsMessages = [];
    const SCRIPT_FINISHED = FIELD, DELTA = DELTA_FIELD, EARLY = STATUS, LOG_SIZE = LOG_LIMIT;
    const varint = (bytes, at) => {
        let value = 0, scale = 1, byte;
        do { byte = bytes[at++]; value += (byte & 0x7f) * scale; scale *= 128; } while (byte & 0x80);
        return [value, at];
    };
    const kind = bytes => {  // [field, status] of the message's top-level delta or script_finished, else null
        let at = 0, key, value;
        while (at < bytes.length) {
            [key, at] = varint(bytes, at);
            const field = Math.floor(key / 8), wire = key % 8;
            if (wire === 0) { [value, at] = varint(bytes, at); if (field === SCRIPT_FINISHED) return [field, value]; }
            else if (wire === 2) { [value, at] = varint(bytes, at); if (field === DELTA) return [field, 0]; at += value; }
            else if (wire === 1) at += 8;
            else if (wire === 5) at += 4;
            else return null;
        }
        return null;
    };
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
        constructor(url, protocols) {
            super(url, protocols);
            if (!String(url).includes('/_stcore/stream')) return;
            this.addEventListener('message', event => {
                if (!(event.data instanceof ArrayBuffer)) return;
                const found = kind(new Uint8Array(event.data));
                if (found === null) return;
                window.__tsMessages.push([performance.now(), ...found]);
                if (window.__tsMessages.length > LOG_SIZE) window.__tsMessages.splice(0, LOG_SIZE / 2);
                if (found[0] === SCRIPT_FINISHED && found[1] !== EARLY) window.__tsRunsEnded += 1;
            });
        }
    };
})()"""
SCRIPT_FINISHED = ForwardMsg.DESCRIPTOR.fields_by_name["script_finished"].number
DELTA = ForwardMsg.DESCRIPTOR.fields_by_name["delta"].number
LOG_LIMIT = 20_000  # messages kept in window.__tsMessages (a long test sends a few per run)
COUNT_RUNS = (COUNT_RUNS.replace("DELTA_FIELD", str(DELTA)).replace("FIELD", str(SCRIPT_FINISHED))
              .replace("STATUS", str(ForwardMsg.FINISHED_EARLY_FOR_RERUN)).replace("LOG_LIMIT", str(LOG_LIMIT)))


def track_runs(page):
    """Count the app's runs in ``page`` (call it before the page's first ``goto``); returns the page."""
    page.add_init_script(COUNT_RUNS)
    return page


def new_tab(context):
    """A new tab in ``context`` with the generous default timeout, its app runs counted."""
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT)
    return track_runs(tab)


def app_messages(page, since: float = 0.0) -> list[tuple[float, int, int]]:
    """The tab's logged messages from the app since ``since`` (``performance.now()`` ms): ``(t, kind, status)``,
    kind :data:`DELTA` (an element drawn) or :data:`SCRIPT_FINISHED` (status: ``ForwardMsg.ScriptFinishedStatus``)."""
    found = page.evaluate("since => (window.__tsMessages ?? []).filter(m => m[0] >= since)", since)
    return [tuple(m) for m in found]


def runs_ended(page) -> int:
    """How many of the app's runs have ended in the tab's document so far."""
    count = page.evaluate("() => window.__tsRunsEnded")
    if count is None:
        raise AssertionError("the tab's runs are not counted: open it with new_tab() or call track_runs() first")
    return count


# Idle: a run ended since the count AFTER (-1: none needed), connected, no script run, no status widget, no
# spinner, skeleton or stale element, every plotly chart drawn, and the page's elements and text the same over
# STABLE_FRAMES animation frames in a row (Streamlit lays out what a run sent a moment after it marks the run
# over). Polled once per animation frame, so it waits for the page, not a clock: any change starts the count
# again.
STABLE_FRAMES = 20
SETTLED = """after => {
    const app = document.querySelector('[data-testid="stApp"]');
    const busy = (window.__tsRunsEnded ?? 0) <= after
        || !app || app.getAttribute('data-test-script-state') !== 'notRunning'
        || app.getAttribute('data-test-connection-state') !== 'CONNECTED'
        || document.querySelector('[data-testid="stStatusWidget"], [data-testid="stSpinner"], '
                                  + '[data-testid="stSkeleton"], [data-stale="true"]')
        || Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'))
               .some(chart => !chart.querySelector('.main-svg'));
    if (busy) { window.__tsSettled = null; window.__tsFrames = 0; return false; }
    const main = document.querySelector('[data-testid="stMain"]') || document.body;
    const shape = document.getElementsByTagName('*').length + ':' + main.innerText.length;
    window.__tsFrames = shape === window.__tsSettled ? window.__tsFrames + 1 : 0;
    window.__tsSettled = shape;
    return window.__tsFrames >= STABLE_FRAMES;
}""".replace("STABLE_FRAMES", str(STABLE_FRAMES))


def wait_idle(page, timeout: float = IDLE_TIMEOUT, *, after: int = -1) -> None:
    """Wait until the app has rendered, no script run is in progress and the page has stopped changing; with
    ``after`` (a :func:`runs_ended` count taken before the step), only once a run has ended since."""
    page.evaluate("() => { window.__tsSettled = null; window.__tsFrames = 0; }")
    page.wait_for_function(SETTLED, arg=after, timeout=timeout, polling="raf")


def visit(page, url: str, timeout: float = IDLE_TIMEOUT) -> None:
    """Open ``url`` and wait for its first run (chain) to end and the page to settle."""
    page.goto(url)
    wait_idle(page, timeout, after=0)  # a new document counts from 0


def reload(page, timeout: float = IDLE_TIMEOUT) -> None:
    """Reload the tab (a new session) and wait for its first run (chain) to end and the page to settle."""
    page.reload()
    wait_idle(page, timeout, after=0)  # a new document counts from 0


def assert_no_exception(page, where: str) -> None:
    boxes = page.locator(EXCEPTION)
    if boxes.count():
        raise AssertionError(f"exception box on {where}: {boxes.first.inner_text()[:500]}")


def click_and_wait(page, target, timeout: float = IDLE_TIMEOUT) -> None:
    """Click ``target`` (a locator, or a function that does the step), wait for the run it starts to end, then
    for idle. The step must start a run: a wait that the state before it could satisfy is no wait."""
    before = runs_ended(page)
    target() if callable(target) else target.click()
    wait_idle(page, timeout, after=before)


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
            page.get_by_role("option").first.wait_for(timeout=RETRY_TIMEOUT)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            wait_idle(page)
    raise AssertionError(f"the dropdown {box.inner_text()[:80]!r} did not open")


def pick_option(page, label: str, option: str, within=None, *, runs: bool = True) -> None:
    """Open the selectbox labelled ``label`` and click the option that is exactly ``option`` (in a form the
    pick starts no run: ``runs=False``). Call it on a settled page; if ``option`` is already shown, nothing."""
    box = (within or page).get_by_test_id("stSelectbox").filter(has_text=label).first
    if box.get_by_role("combobox").first.input_value() == option:
        return  # picking the value shown starts no run: there would be nothing to wait for
    open_dropdown(page, box)
    exact = re.compile(rf"^\s*{re.escape(option)}\s*$")
    option_box = page.get_by_role("option").filter(has_text=exact).first
    if runs:
        click_and_wait(page, option_box)
    else:
        option_box.click()
        expect(box.get_by_role("combobox").first).to_have_value(option)


def typed_option(page, box, value: str):
    """Type ``value`` into the multiselect ``box`` until its option shows (a rerun can close the list)."""
    exact = page.get_by_role("option").filter(has_text=re.compile(rf"^\s*{re.escape(value)}\s*$")).first
    box.scroll_into_view_if_needed()
    for _ in range(5):
        box.locator("input").click()
        box.locator("input").fill(value)
        try:
            exact.wait_for(timeout=RETRY_TIMEOUT)
            return exact
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
            wait_idle(page)
    raise AssertionError(f"no option {value!r} in {box.inner_text()[:80]!r}")


def add_tag(page, box, value: str) -> None:
    """Pick ``value`` in the multiselect ``box`` of a form (a pick starts no run) until it shows as a tag.

    The list can be closed by a rerun between showing the option and the click (the page's last run after
    an upload): the click then finds no option, so typing and clicking are retried, each try bounded.
    """
    tag = box.locator(f'[data-tag][aria-label="{value}"]')
    for _ in range(5):
        with contextlib.suppress(PlaywrightTimeout):
            typed_option(page, box, value).click(timeout=RETRY_TIMEOUT)
            tag.wait_for(timeout=RETRY_TIMEOUT)
            return
        page.keyboard.press("Escape")
        wait_idle(page)
    raise AssertionError(f"{value!r} could not be picked in {box.inner_text()[:80]!r}")
