"""Real-browser fixtures: the app served on a free local port, driven by Playwright in Debian's Chromium.

Playwright never downloads a browser here: it launches /usr/bin/chromium. Without
Chromium the browser tests skip with the reason, except under ``CI=true``, where
they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.helpers import new_tab

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ARTIFACTS = ROOT / "tests" / "artifacts"


def _require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    reason = f"{CHROMIUM} is missing; install Debian's chromium (.ci/run does) to run the browser tests"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


READY = "You can now view your Streamlit app"  # the server's own line once it listens


def _copy_log(process: subprocess.Popen, log, ready: threading.Event) -> None:
    """Copy the server's output to its log file, line by line, and set ``ready`` at its "listening" line."""
    with log:
        for line in process.stdout:
            log.write(line)
            log.flush()
            if READY in line:
                ready.set()
    ready.set()  # the server exited: the waiter sees it


def _wait_ready(url: str, process: subprocess.Popen, ready: threading.Event, timeout: float = 180.0) -> None:
    """Wait for the server to say it listens (an event, not a poll), then check its health once."""
    if not ready.wait(timeout):
        raise RuntimeError(f"streamlit did not start at {url} within {timeout:.0f} s")
    if process.poll() is not None:
        raise RuntimeError(f"streamlit exited with status {process.returncode}")
    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=60) as response:
        if response.status != 200:
            raise RuntimeError(f"streamlit at {url} is not healthy: HTTP {response.status}")


def start_app(port: int) -> tuple[subprocess.Popen, threading.Event]:
    """Start the app's server on ``port``; the event is set once it listens (its output goes to the log)."""
    command = [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
        "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]
    log = open(ARTIFACTS / f"streamlit-{port}.log", "w", encoding="utf-8")  # noqa: SIM115 - closed by _copy_log
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               encoding="utf-8", errors="replace")
    ready = threading.Event()
    threading.Thread(target=_copy_log, args=(process, log, ready), daemon=True).start()
    return process, ready


@contextlib.contextmanager
def served_app(port: int | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """The app served on a free local port for the duration of the block: ``(url, process)``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    process, ready = start_app(port)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process, ready)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def app_server() -> Iterator[tuple[str, subprocess.Popen]]:
    """The app served for the whole session: ``(url, process)``."""
    _require_chromium()
    with served_app() as served:
        yield served


@pytest.fixture(scope="session")
def app_url(app_server) -> str:
    return app_server[0]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, app_url) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    yield new_tab(context)
    context.close()
