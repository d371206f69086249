"""Small Playwright helpers for driving the Streamlit app like a person would."""

from __future__ import annotations

from pathlib import Path

EXCEPTION = '[data-testid="stException"]'


def wait_idle(page, timeout: float = 90_000) -> None:
    """Wait until the app has rendered and no script run is in progress."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(
        """() => {
            const app = document.querySelector('[data-testid="stApp"]');
            const running = document.querySelector('[data-testid="stStatusWidget"]');
            return app && app.getAttribute('data-test-script-state') === 'notRunning' && !running;
        }""",
        timeout=timeout,
    )
    page.wait_for_timeout(300)


def assert_no_exception(page, where: str) -> None:
    boxes = page.locator(EXCEPTION)
    if boxes.count():
        raise AssertionError(f"exception box on {where}: {boxes.first.inner_text()[:500]}")


def open_page(page, base_url: str, title: str) -> None:
    """Click a page in the sidebar navigation and wait for it."""
    page.get_by_role("link", name=title).first.click()
    wait_idle(page)


def screenshot(page, artifacts: Path, name: str) -> Path:
    artifacts.mkdir(parents=True, exist_ok=True)
    path = artifacts / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
