"""Helpers that several page tests share: a browser reload of a session, and the Model page's open, train and
finish, with a run still going stopped at the end."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from streamlit.testing.v1 import AppTest

from dashboard import state
from tests.apptest import new_app, open_app

MODEL_PAGE = "views/model.py"
JOIN_SECONDS = 120  # a bound on waiting for the training thread; a 2-epoch wagepan run takes about a second


def reload(at: AppTest) -> AppTest:
    """A new session opened at the address the old one ended on, as a browser reload does."""
    fresh = new_app()
    for key, value in at.query_params.items():
        fresh.query_params[key] = value
    fresh.run()
    assert not fresh.exception, [e.value for e in fresh.exception]
    return fresh


@contextlib.contextmanager
def model_app() -> Iterator[AppTest]:
    """A fresh app (``with model_app() as at``, in a fixture); a run still going at the end is stopped and waited for."""
    at = open_app()
    try:
        yield at
    finally:
        run = at.session_state.get(state.TRAINING)
        if run is not None:
            run.stop()
            run.join(timeout=JOIN_SECONDS)


def open_model(at: AppTest) -> AppTest:
    at.switch_page(MODEL_PAGE).run()
    assert not at.exception
    return at


def train(at: AppTest, epochs: int, **checks: bool) -> AppTest:
    """Start a run of ``epochs`` from the page (``checks``: the ``model_<name>`` checkboxes to set first)."""
    at.number_input(key="model_epochs").set_value(epochs)
    for key, value in checks.items():
        at.checkbox(key=f"model_{key}").set_value(value)
    at.button(key="model_train").click().run()
    assert not at.exception
    return at


def finish(at: AppTest):
    """Wait for the run's thread (bounded), then rerun the page as the fragment's poll would; the run."""
    run = at.session_state[state.TRAINING]
    assert run.join(timeout=JOIN_SECONDS), "the training thread did not end"
    at.run()
    assert not at.exception
    return run
