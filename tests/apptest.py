"""The dashboard under Streamlit's AppTest, opened the same way by every page's tests."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py")
TIMEOUT = 120  # seconds per script run; generous for the shared 2-core machines


def new_app() -> AppTest:
    """The app, not run yet (set ``query_params`` first to open it from a link)."""
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def open_app(page: str | None = None, *, dataset: str | None = None) -> AppTest:
    """The app after its first run, on built-in ``dataset`` if given, then on ``views/{page}.py``."""
    at = new_app()
    at.run()
    if dataset:
        at.selectbox(key="data_builtin").select(dataset).run()
    if page:
        at.switch_page(f"views/{page}.py").run()
    assert not at.exception
    return at


def open_upload(frame, config, tasks, page: str, **roles) -> AppTest:
    """The app on ``views/{page}.py`` with ``frame`` as an upload (``roles`` set), ``tasks`` and split ``config``."""
    from dataclasses import replace

    from core.data import dataset_from_frame
    from dashboard import state

    at = new_app()
    at.session_state[state.DATASET] = replace(dataset_from_frame(frame, name="upload.csv"), **roles)
    at.session_state[state.TASKS] = tasks
    at.session_state[state.SPLIT_CONFIG] = config
    at.run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception
    return at
