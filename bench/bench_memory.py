"""Peak memory of the app at full size: the streamlit server's RSS while flights goes through every page.

Starts the app as ``make run`` would (its own free port), drives it in Debian's
Chromium with the flow of ``tests/browser/test_flights.py`` (load flights,
split, diagnostics, a 2-epoch training run), and samples the server's resident
memory every 100 ms from ``/proc``; ``VmHWM`` (the kernel's high-water mark)
backs the sampled peak. Writes ``bench/results/memory.md``.

Run: ``.venv/bin/python -m bench memory`` (about two to five minutes).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from bench.common import machine, table, write_section

MIB = 2**20


def process_memory(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak since start) of a process, in MiB."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) * 1024 / MIB
    return values


class RssSampler:
    """Samples a process's RSS in a thread; ``.peak`` in MiB."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid, self.interval, self.peak = pid, interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, process_memory(self.pid)["VmRSS"])
            time.sleep(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def flights_frame_mib() -> float:
    from core.data import load_builtin

    return float(load_builtin("flights").frame.memory_usage(deep=True).sum()) / MIB


def run() -> tuple[dict[str, float], list[tuple[object, dict[str, float]]], float]:
    """The server's memory after start and after each step of the flights flow, and the sampled peak."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, served_app
    from tests.browser.test_flights import run_flights_flow

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing; install Debian's chromium to run this benchmark")
    steps: list[tuple[object, dict[str, float]]] = []
    with served_app() as (url, server):
        started = process_memory(server.pid)
        with RssSampler(server.pid) as sampler, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            run_flights_flow(page, url, on_step=lambda step: steps.append((step, process_memory(server.pid))))
            browser.close()
    return started, steps, max(sampler.peak, steps[-1][1]["VmHWM"] if steps else 0.0)


def main() -> None:
    started, steps, peak = run()
    rows = [
        [*step.row(), f"{memory['VmRSS']:,.0f}", f"{memory['VmHWM']:,.0f}"] for step, memory in steps
    ]
    header = ["step", "wall s", "running s", "longest run without progress s", "progress shown",
              "RSS after MiB", "peak so far MiB"]
    markdown = (
        "## Memory: flights (336,776 rows) end to end in the app\n\n"
        "Command: `.venv/bin/python -m bench memory` (the flow of `tests/browser/test_flights.py` in Chromium; "
        "the streamlit server's RSS sampled every 100 ms from /proc, VmHWM as the kernel's peak).\n"
        f"Machine: {machine()}.\n\n"
        f"- Server RSS after start, before any page: {started['VmRSS']:,.0f} MiB.\n"
        f"- **Peak RSS of the server during the run: {peak:,.0f} MiB**, "
        f"{peak - started['VmRSS']:,.0f} MiB above the idle server.\n"
        f"- The flights DataFrame itself: {flights_frame_mib():,.0f} MiB (pandas `memory_usage(deep=True)`).\n\n"
        + table(header, rows)
        + "\n\n'Running' is sampled time with a script run in progress; 'longest run without progress' is the "
        "longest stretch of it with no spinner or progress bar on the page (Streamlit's own 'Running…' "
        "indicator does not count). One run: the machine is shared, so the times are rough; the memory is "
        "what this flow needs.\n"
    )
    write_section("memory", markdown)
    print(markdown)


if __name__ == "__main__":
    main()
