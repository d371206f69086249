"""Full size in a real browser: flights (336,776 rows) through Data, Split, Diagnostics and a short training run.

A monitor in the page samples, every 200 ms, whether a script run is in
progress and whether a spinner or progress bar shows. Every step for which the server works
5 s or more (its CPU seconds: a busy machine stretches the wall clock, not those) must show one at some point (Streamlit's own "Running…" corner
does not count); the longest stretch of running with none showing is recorded per step (``bench/bench_memory.py`` runs the same
flow and writes the figures, with the server's peak memory, to
``bench/results/memory.md``).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    EXCEPTION,
    click_and_wait,
    open_page,
    runs_ended,
    track_runs,
    visit,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FLIGHT_ROWS = 336_776
LONG_STEP = 5.0  # seconds of the server's work after which a step must have shown a spinner or a progress bar
PROGRESS = '[data-testid="stSpinner"], [data-testid="stProgress"], [data-testid="stStatus"]'
MONITOR = """(progress) => {
    window.__runs = [];
    window.__monitor = setInterval(() => {
        const app = document.querySelector('[data-testid="stApp"]');
        const running = !!document.querySelector('[data-testid="stStatusWidget"]')
            || (app && app.getAttribute('data-test-script-state') === 'running');
        const shown = [...document.querySelectorAll(progress)].map(e => e.innerText.trim().slice(0, 80));
        window.__runs.push({t: performance.now(), running, shown});
    }, 200);
}"""


@dataclass(frozen=True)
class Step:
    """One step of the flow as the person saw it."""

    name: str
    seconds: float  # from the click until the app was idle again
    running_seconds: float  # sampled time with a script run in progress
    longest_without_progress: float  # the longest stretch of running with no spinner or progress bar
    progress_seen: tuple[str, ...]  # the spinner and progress texts seen
    server_cpu_seconds: float | None = None  # the server's CPU time over the step, when its process is known

    @property
    def work_seconds(self) -> float:
        """How long the step kept the server working: its CPU time, else (no process known) the running time."""
        return self.running_seconds if self.server_cpu_seconds is None else self.server_cpu_seconds

    def row(self) -> list[str]:
        seen = "; ".join(self.progress_seen) or "none"
        return [self.name, f"{self.seconds:.1f}", f"{self.running_seconds:.1f}",
                f"{self.longest_without_progress:.1f}", seen]


def _stretches(samples: list[dict]) -> tuple[float, float, tuple[str, ...]]:
    running, longest, current, seen = 0.0, 0.0, 0.0, {}
    for before, sample in zip(samples, samples[1:], strict=False):
        dt = (sample["t"] - before["t"]) / 1000
        if sample["running"]:
            running += dt
            current = 0.0 if sample["shown"] else current + dt
            longest = max(longest, current)
        for text in sample["shown"]:  # "epoch 1/2 · 4.1 s" and "epoch 2/2 · 3.0 s" are one kind of message
            seen[re.sub(r"\d+(\.\d+)?", "#", text) or "(spinner)"] = None
    return running, longest, tuple(seen)


def cpu_seconds(pid: int | None) -> float | None:
    """The CPU time (user and system) process ``pid`` has used so far, from /proc; None without a process."""
    if pid is None:
        return None
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def run_step(page, name: str, action, server_pid: int | None = None) -> Step:
    """Do ``action`` (a click that starts a run), wait for that run to end and the app to be idle, and read what
    the monitor saw meanwhile (and the server's CPU time over the step, given its process)."""
    page.evaluate("() => { window.__runs = []; }")
    before = runs_ended(page)
    cpu_before = cpu_seconds(server_pid)
    started = time.perf_counter()
    action()
    wait_idle(page, timeout=900_000, after=before)
    seconds = time.perf_counter() - started
    cpu = None if server_pid is None else cpu_seconds(server_pid) - cpu_before
    running, longest, seen = _stretches(page.evaluate("() => window.__runs"))
    if page.locator(EXCEPTION).count():
        raise AssertionError(f"exception box after {name}: {page.locator(EXCEPTION).first.inner_text()[:500]}")
    return Step(name, seconds, running, longest, seen, cpu)


def go_to(page, title: str):
    return lambda: page.get_by_role("link", name=title).first.click()


def pick_flights(page):
    def action():
        page.get_by_test_id("stSelectbox").filter(has_text="Built-in dataset").first.click()
        page.get_by_role("option").filter(has_text="flights").first.click()

    return action


TRAIN_EPOCHS = 2


def train_briefly(page):
    """Set a short run and click Train; the run goes on in a background thread while a fragment redraws."""

    def action():
        epochs = page.get_by_label("Epochs")
        epochs.fill(str(TRAIN_EPOCHS))
        click_and_wait(page, lambda: epochs.press("Enter"), timeout=900_000)
        page.locator(".st-key-model_train button").first.click()  # by key: "Train" is also in a checkbox's label
        # the results are drawn by the page's last run, once training has ended (the first training here: no
        # results before); run_step then waits for that run to end
        expect(page.get_by_role("heading", name="Test metrics")).to_be_visible(timeout=900_000)

    return action


def run_flights_flow(page, app_url: str, on_step=None, server_pid: int | None = None) -> list[Step]:
    """Data (flights), Split, Diagnostics, and a short training run on the Model page (with the server's process
    id, each step also notes the server's CPU time)."""
    page.set_default_timeout(900_000)
    track_runs(page)
    visit(page, app_url, timeout=900_000)
    page.evaluate(MONITOR, PROGRESS)
    on_step = on_step or (lambda step: None)
    steps = []
    for name, action in (
        ("Data: load flights", pick_flights(page)),
        ("Split: default group split", go_to(page, "Split")),
        ("Diagnostics: scores, leakage, distributions", go_to(page, "Diagnostics")),
        ("Model: open the page", go_to(page, "Model")),
        (f"Model: train {TRAIN_EPOCHS} epochs", train_briefly(page)),
    ):
        steps.append(run_step(page, name, action, server_pid))
        on_step(steps[-1])
    page.evaluate("() => clearInterval(window.__monitor)")
    return steps


def test_flights_end_to_end_shows_progress_and_never_fails(page, app_server):
    app_url, server = app_server
    steps = run_flights_flow(page, app_url, server_pid=server.pid)
    expect(page.get_by_role("heading", name="Test metrics")).to_be_visible()  # the run's results
    expect(page.get_by_test_id("stSidebar")).to_contain_text(f"{FLIGHT_ROWS:,} rows")
    expect(page.get_by_test_id("stSidebar")).to_contain_text("flights")
    for step in steps:
        if step.work_seconds >= LONG_STEP:
            assert step.progress_seen, (f"{step.name} kept the server working {step.work_seconds:.1f} s "
                                        f"({step.running_seconds:.1f} s running) with no spinner or progress bar")
    open_page(page, app_url, "Split")
    expect(page.get_by_test_id("stMetric").first).to_be_visible()
    counts = [int(m.inner_text().split("\n")[-1].replace(",", "")) for m in page.get_by_test_id("stMetric").all()]
    assert sum(counts) == FLIGHT_ROWS
    print("\n" + "\n".join(" | ".join(step.row()) for step in steps))
