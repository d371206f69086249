"""Issue 16: the Model page's runs table reads the runs folder (runs made on the command line open in the app),
repeats a run with 3 seeds in a cancellable background queue, and says where the multi-task net loses."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from core.__main__ import main
from core.tasks import Task
from core.training import TrainConfig, list_runs
from dashboard import state
from dashboard.run_queue import RunQueue
from dashboard.training_run import RunRequest
from tests.apptest import open_app

K = state.ModelKeys
PAGE = "views/model.py"
JOIN_SECONDS = 120


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory):
    """A runs folder holding one run made by ``python -m core train --baselines --runs-dir`` (called in-process)."""
    folder = tmp_path_factory.mktemp("page_runs")
    split = folder / "split.csv"
    assert main(["split", "builtin:wagepan", "--strategy", "group", "--group", "nr", "--out", str(split)]) == 0
    assert main(["train", "builtin:wagepan", "--task", "union", "--task", "lwage", "--split-file", str(split),
                 "--epochs", "3", "--baselines", "--runs-dir", str(folder / "runs"), "--out",
                 str(folder / "m.json")]) == 0
    return folder / "runs"


def open_model(runs_dir) -> object:
    at = open_app()
    at.session_state[K.RUNS_DIR] = str(runs_dir)
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def runs_table(at) -> pd.DataFrame:
    return at.dataframe[-1].value


def test_a_run_made_on_the_command_line_opens_in_the_table(cli_runs):
    at = open_model(cli_runs)
    table = runs_table(at)
    assert table["task"].tolist() == ["union", "lwage"] and set(table["status"]) == {"done"}
    assert set(table["design"]) == {"hard"} and set(table["weighting"]) == {"equal"} and set(table["seed"]) == {0}
    assert {"best val", "at epoch", "test", "single-task", "trees", "Δm vs single-task", "Δm vs trees"} <= set(table)
    assert table["trees"].notna().all()
    assert any(K.RUNS_CURVES in chart.proto.id for chart in at.get("plotly_chart"))
    run = list_runs(cli_runs)[0]
    metric = {"union": "roc_auc", "lwage": "r2"}
    losing = [f"On {task}" for task in ("union", "lwage")
              if max(run.metrics["baselines"][b][task][metric[task]] for b in ("trees", "single_task"))
              > run.metrics["test"][task][metric[task]]]
    said = " ".join(i.value for i in at.info) + " ".join(s.value for s in at.success)
    assert all(f in said for f in losing)
    assert losing or "at least as good" in said


def test_a_bad_runs_folder_is_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    at = open_model(tmp_path / "file")
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "is a file, not a folder" in errors[0] and "\n" not in errors[0]


def test_an_empty_folder_says_how_to_fill_it(tmp_path):
    at = open_model(tmp_path / "new")
    assert any("No runs in" in i.value and "--runs-dir" in i.value for i in at.info)


def test_the_page_run_is_written_and_repeat_with_3_seeds_gives_mean_and_sd(tmp_path):
    at = open_model(tmp_path)
    at.number_input(key=K.EPOCHS).set_value(2)
    at.button(key=K.TRAIN).click().run()
    run = at.session_state[state.TRAINING]
    assert run.join(timeout=JOIN_SECONDS)
    at.run()
    assert [r.status for r in list_runs(tmp_path)] == ["done"]
    at.button(key=K.RUNS_REPEAT).click().run()
    assert not at.exception
    queue = at.session_state[state.RUN_QUEUE]
    assert queue.join(timeout=JOIN_SECONDS)
    at.run()
    assert sorted(r.seed for r in list_runs(tmp_path)) == [0, 1, 2]
    table = runs_table(at)
    assert table["test over seeds"].str.contains(" ± ").all() and (table["seeds done"] == 3).all()
    assert any("3 of" not in c.value and "Queue finished: 2 of 2" in c.value for c in at.caption)


def test_cancel_stops_the_queue(tmp_path):
    frame = pd.DataFrame({"x": [i / 400 for i in range(400)], "y": [0, 1] * 200})
    requests = [RunRequest(frame=frame, tasks=(Task("y", ("y",), "binary"),), runs_dir=str(tmp_path),
                           assignment=pd.Series(["train"] * 300 + ["val", "test"] * 50),
                           config=TrainConfig(epochs=100_000, batch_size=8, patience=None, seed=seed))
                for seed in range(3)]
    queue = RunQueue(requests).start()
    deadline = time.monotonic() + JOIN_SECONDS
    while queue.snapshot().epoch < 1 and time.monotonic() < deadline:  # wait on the queue's state, bounded
        time.sleep(0.05)
    queue.cancel()
    assert queue.join(timeout=JOIN_SECONDS)
    snapshot = queue.snapshot()
    assert snapshot.cancelled and not snapshot.running and snapshot.finished == 0
    assert [r.status for r in list_runs(tmp_path)] == ["cancelled"]
    assert "the rest were not started" in snapshot.line()


def test_cancel_on_the_page_stops_the_queued_repeats(tmp_path):
    """A long run of the page's own data and split is repeated; Cancel queue stops the repeat in progress."""
    from core.data import load_builtin
    from core.model import ModelConfig
    from core.splits import split
    from core.training import RunWriter, run_config, split_digest

    data = load_builtin("wagepan")
    assignment = split(data.frame, data.tasks, state.default_split_config(data)).assignment
    config = TrainConfig(epochs=100_000, patience=None)
    writer = RunWriter(tmp_path, run_config(data.tasks, config, ModelConfig(), feature_columns=data.feature_columns,
                                            data={"name": data.name, "fingerprint": data.fingerprint},
                                            split={"digest": split_digest(assignment), "test_fold": 0}))
    (writer.path / "status").write_text("done\n")
    at = open_model(tmp_path)
    at.button(key=K.RUNS_REPEAT).click().run()
    queue = at.session_state[state.RUN_QUEUE]
    assert queue.running and [b.label for b in at.button if b.key == K.RUNS_CANCEL] == ["Cancel queue"]
    at.button(key=K.RUNS_CANCEL).click().run()
    assert queue.join(timeout=JOIN_SECONDS)
    assert queue.snapshot().cancelled and queue.snapshot().finished == 0
    at.run()
    assert sorted(r.status for r in list_runs(tmp_path)) == ["cancelled", "done"]
    assert any("Queue cancelled" in c.value for c in at.caption)


def test_a_cancelled_run_shows_as_cancelled_without_a_test_metric(cli_runs, tmp_path):
    """New-user report 3, item 8: a cancelled run's row showed a test metric as if it had finished."""
    import shutil

    folder = tmp_path / "runs"
    shutil.copytree(cli_runs, folder)
    run = list_runs(folder)[0]
    assert run.metrics["test"]  # the run that was stopped still wrote the metrics of its best epoch so far
    (run.path / "status").write_text("cancelled\n")
    table = runs_table(open_model(folder))
    assert set(table["status"]) == {"cancelled"}
    assert table["test"].isna().all() and table["trees"].isna().all() and table["best val"].notna().all()


def test_runs_of_other_data_are_named_as_such_and_not_picked_by_default(cli_runs):
    """New-user test 5, item 9: after opening another dataset, its Model page showed the first dataset's run (other
    tasks, other data) in the table, its 'loses to' lines and its curves, with nothing naming that data."""
    at = open_app(dataset="penguins")
    at.session_state[K.RUNS_DIR] = str(cli_runs)
    at.switch_page(PAGE).run()
    assert not at.exception
    table = runs_table(at)
    assert set(table["data"]) == {"wagepan (other data)"}, table["data"].tolist()
    lines = [line.strip() for i in at.info for line in i.value.split("\n") if line.strip().startswith("hard ·")]
    assert all("· wagepan (other data): On " in line for line in lines), lines
    wagepan = open_model(cli_runs)  # the run's own data: the split it was made on, or another split of wagepan
    assert set(runs_table(wagepan)["data"]) <= {"this split", "this data, another split"}
