"""AppTest: the loss-scale warning and its Normalise button on data whose task losses differ far apart after the
first epoch (new-user report 3, item 9: a 300-class label and a 1% binary label were 9.4x apart in the
epoch's mean train losses, 146x in its val losses, and no warning showed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.splits import SplitConfig
from core.tasks import Task
from dashboard import state
from tests.apptest import open_upload
from tests.test_page_model import JOIN_SECONDS, finish

DK = state.ModelDesignKeys


def scales_frame(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Four noise features, a 300-class product code (loss ~ln 300) and a 1% fraud flag (loss ~0.05)."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, 4)), columns=["f1", "f2", "f3", "f4"])
    frame["product_code"] = [f"P{code:03d}" for code in rng.integers(0, 300, n)]
    frame["fraud"] = (rng.random(n) < 0.01).astype(int)
    return frame


@pytest.fixture
def app():
    tasks = (Task("product_code", ("product_code",), "multiclass"), Task("fraud", ("fraud",), "binary"))
    at = open_upload(scales_frame(), SplitConfig(strategy="random", seed=0), tasks, "model")
    yield at
    run = at.session_state.get(state.TRAINING)
    if run is not None:
        run.stop()
        run.join(timeout=JOIN_SECONDS)


def warnings(at) -> list[str]:
    return [w.value for w in at.warning if "task losses differ" in w.value]


def test_far_apart_first_epoch_losses_warn_and_normalise_ticks_the_box_then_the_warning_goes(app):
    at = app
    at.number_input(key="model_epochs").set_value(2)
    at.number_input(key="model_patience").set_value(0)
    at.button(key="model_train").click().run()
    run = finish(at)
    first = run.snapshot().records[0]
    assert first.val_loss["product_code"] / first.val_loss["fraud"] > 10  # the scales the run trains at
    assert any("on the val rows (product_code" in w for w in warnings(at)), warnings(at)
    assert at.checkbox(key=DK.NORMALIZE).value is False
    at.button(key=DK.OFFER_NORMALIZE).click().run()
    assert not at.exception
    assert at.checkbox(key=DK.NORMALIZE).value is True
    at.button(key="model_train").click().run()
    run = finish(at)
    assert run.request.config.normalize_losses is True
    assert not warnings(at)
