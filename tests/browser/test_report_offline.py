"""The HTML report in a real browser: opens offline, fetches nothing, runs no injected script."""

from __future__ import annotations

import pytest

from core.report import render_report
from core.splits import SplitConfig, split
from core.tasks import Task
from tests.browser.helpers import TIMEOUT
from tests.test_report import CLOSER, HOSTILE, HOSTILE_VALUE, hostile_dataset

pytestmark = pytest.mark.browser


def test_report_opens_offline_without_running_injected_script(tmp_path, browser):
    data = hostile_dataset()
    tasks = [Task(HOSTILE, (HOSTILE,), "binary"), Task(CLOSER, (CLOSER,), "binary")]
    result = split(data.frame, tasks, SplitConfig(seed=1))
    path = tmp_path / "report.html"
    path.write_text(render_report(data, tasks, result.assignment, config=result.config), encoding="utf-8")

    context = browser.new_context(offline=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    dialogs, fetched, errors = [], [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: fetched.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    page.wait_for_selector(".js-plotly-plot .main-svg")
    page.wait_for_function(  # every figure drawn, not a pause
        "() => [...document.querySelectorAll('.plotly-graph-div')].every(plot => plot.querySelector('.main-svg'))")
    cells = page.locator("td").all_text_contents()  # also inside closed <details>
    plots = page.locator(".js-plotly-plot").count()
    context.close()
    assert dialogs == [] and errors == []
    assert [url for url in fetched if not url.startswith("file:")] == []
    assert HOSTILE in cells and HOSTILE_VALUE in cells
    assert plots >= 2
