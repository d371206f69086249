"""Issue 16: run folders (written while training, read back live), the runs table, seeds, and honest baselines."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.errors import ConfigError
from core.model import ModelConfig
from core.tasks import Task
from core.training import (
    EpochRecord,
    RunWriter,
    TrainConfig,
    baseline_losses,
    check_runs_dir,
    fit_baselines,
    fit_run,
    list_runs,
    prepare_split,
    read_run,
    run_config,
    runs_frame,
    seed_summary,
    seeds_metrics,
    split_digest,
    tree_baselines,
)

TINY = TrainConfig(epochs=3, batch_size=64, patience=None)
SMALL = ModelConfig(width=8, depth=1)


def generated(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, list[Task], np.ndarray]:
    """Binary, multiclass, regression and multilabel tasks, each with missing labels; a 60/20/20 split."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    frame["flag"] = np.where(rng.random(n) < 0.2, np.nan, (x[:, 0] > 0).astype(float))
    frame["colour"] = np.where(rng.random(n) < 0.2, None, np.array(["red", "green", "blue"])[(x[:, 1] > 0).astype(int) + (x[:, 2] > 1).astype(int)])
    frame["size"] = np.where(rng.random(n) < 0.3, np.nan, x[:, 0] * 2 + x[:, 2])
    frame["l1"] = np.where(rng.random(n) < 0.1, np.nan, (x[:, 2] > 0).astype(float))
    frame["l2"] = np.where(rng.random(n) < 0.1, np.nan, (x[:, 1] > 0.5).astype(float))
    tasks = [Task("flag", ("flag",), "binary"), Task("colour", ("colour",), "multiclass"),
             Task("size", ("size",), "regression"), Task("labels", ("l1", "l2"), "multilabel")]
    assignment = np.array(["train"] * 3 + ["val", "test"])[np.arange(n) % 5]
    return frame, tasks, assignment


@pytest.fixture(scope="module")
def data():
    return generated()


def test_a_run_folder_round_trips(data, tmp_path):
    frame, tasks, assignment = data
    outcome = fit_run(frame, tasks, assignment, config=TINY, model_config=SMALL, runs_dir=tmp_path,
                      baselines=("single_task", "trees"), data={"name": "generated", "fingerprint": "abc"})
    run = read_run(outcome.path)
    assert run.status == "done" and run.design == "hard" and run.weighting == "equal" and run.seed == 0
    assert [r.to_dict() for r in run.history] == [r.to_dict() for r in outcome.result.history]
    assert run.config["data"]["fingerprint"] == "abc" and run.config["train"]["epochs"] == 3
    assert run.metrics["test"] == json.loads(json.dumps(outcome.result.to_dict()["test"]))
    assert set(run.metrics["baselines"]) >= {"single_task", "trees"}
    assert set(run.best_val) == {"flag", "colour", "size", "labels"}
    assert all(1 <= b["epoch"] <= 3 for b in run.best_val.values() if b["epoch"] is not None)
    assert "NaN" not in (outcome.path / "metrics.json").read_text()
    assert [r.name for r in list_runs(tmp_path)] == [outcome.path.name]


def test_the_runs_table_has_best_val_test_and_the_gains(data, tmp_path):
    frame, tasks, assignment = data
    fit_run(frame, tasks, assignment, config=TINY, model_config=SMALL, runs_dir=tmp_path, baselines=("trees",))
    table = runs_frame(list_runs(tmp_path))
    assert table["task"].tolist() == ["flag", "colour", "size", "labels"]
    assert table["metric"].tolist() == ["roc_auc", "macro_f1", "r2", "roc_auc"]
    row = table.iloc[0]
    assert row["vs_trees"] == pytest.approx(row["test"] - row["trees"])
    assert row["single_task"] is None or pd.isna(row["single_task"])
    assert table["delta_m_trees"].nunique(dropna=False) == 1


def test_a_live_run_reads_partially_without_errors(tmp_path):
    tasks = [Task("y", ("y",), "binary")]
    writer = RunWriter(tmp_path, run_config(tasks, TINY, SMALL))
    for epoch, metric in ((1, 0.6), (2, 0.7)):
        writer.on_epoch(EpochRecord(epoch=epoch, seconds=0.1, train_loss={"y": 0.5}, val_loss={"y": 0.6},
                                    val_metric={"y": metric}, weights={"y": 1.0}, train_total=0.5, val_total=0.6))
    with open(writer.path / "history.jsonl", "a") as history:
        history.write('{"epoch": 3, "seconds": 0.1, "train_lo')  # the trainer is in the middle of a line
    run = read_run(writer.path)
    assert run.status == "running" and len(run.history) == 2 and run.metrics is None
    assert run.best_val == {"y": {"metric": "roc_auc", "value": 0.7, "epoch": 2}}
    table = runs_frame([run])
    assert table.loc[0, "best_epoch"] == 2 and table.loc[0, "status"] == "running"
    assert run.history_frame()["epoch"].max() == 2


def test_a_folder_without_a_config_is_not_a_run(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.json").write_text('{"tasks": [')
    assert list_runs(tmp_path) == ()
    with pytest.raises(ConfigError, match="is not a run folder"):
        read_run(tmp_path / "notes")


def test_a_cancelled_run_says_so(data, tmp_path):
    frame, tasks, assignment = data
    outcome = fit_run(frame, tasks, assignment, config=TINY, model_config=SMALL, runs_dir=tmp_path,
                      baselines=("trees",), should_stop=lambda: True)
    run = read_run(outcome.path)
    assert run.status == "cancelled" and run.metrics["baselines"] is None


def test_a_run_that_cannot_train_is_written_as_failed(tmp_path):
    frame = pd.DataFrame({"x": np.arange(20.0), "y": [np.nan] * 20})
    with pytest.raises(Exception, match="no labelled rows"):
        fit_run(frame, [Task("y", ("y",), "regression")], ["train"] * 10 + ["test"] * 10, config=TINY,
                runs_dir=tmp_path)
    (run,) = list_runs(tmp_path)
    assert run.status == "failed" and "no labelled rows" in run.metrics["error"]


def test_bad_runs_dir_is_one_line(tmp_path):
    file = tmp_path / "a file"
    file.write_text("x")
    for call in (lambda: check_runs_dir(file, create=True), lambda: list_runs(file)):
        with pytest.raises(ConfigError) as error:
            call()
        assert "is a file, not a folder" in str(error.value) and "\n" not in str(error.value)


def test_seeds_give_mean_and_sd(data, tmp_path):
    frame, tasks, assignment = data
    outcomes = [fit_run(frame, tasks, assignment, config=TrainConfig(epochs=2, batch_size=64, seed=seed),
                        model_config=SMALL, runs_dir=tmp_path, baselines=("trees",)) for seed in (0, 1, 2)]
    summary = seed_summary(runs_frame(list_runs(tmp_path)))
    assert len(summary) == 4 and set(summary["seeds"]) == {3}
    flag = summary[summary["task"] == "flag"].iloc[0]
    tests = [o.metrics["test"]["flag"]["roc_auc"] for o in outcomes]
    assert flag["test_mean"] == pytest.approx(np.mean(tests)) and flag["test_sd"] == pytest.approx(np.std(tests, ddof=1))
    keys = seeds_metrics([o.metrics for o in outcomes], [0, 1, 2])
    assert [s["seed"] for s in keys["seeds"]] == [0, 1, 2]
    assert keys["mean"]["test"]["flag"]["roc_auc"] == pytest.approx(np.mean(tests))
    assert set(keys["mean"]["delta_m"]) == {"trees"}


def test_trees_handle_missing_labels_multiclass_regression_and_multilabel(data):
    frame, tasks, assignment = data
    prepared = prepare_split(frame, tasks, assignment)
    trees = tree_baselines(prepared).test["trees"]
    assert trees["flag"]["roc_auc"] > 0.8  # flag is a > 0: trees find it
    assert trees["size"]["r2"] > 0.5
    assert trees["colour"]["macro_f1"] is not None and trees["labels"]["roc_auc"] > 0.6


def test_trees_on_a_task_with_one_class_in_train_say_why():
    frame = pd.DataFrame({"x": np.arange(100.0), "y": [0] * 60 + [1] * 40})
    prepared = prepare_split(frame, [Task("y", ("y",), "binary")], ["train"] * 60 + ["test"] * 40)
    baselines = tree_baselines(prepared)
    assert baselines.notes["trees"]["y"] == "one class among the train rows"
    assert "notes" in baselines.to_dict()


def test_both_baselines_on_the_same_split(data):
    frame, tasks, assignment = data
    baselines = fit_baselines(prepare_split(frame, tasks, assignment), TINY, SMALL)
    assert set(baselines.test) == {"single_task", "trees"}
    assert set(baselines.test["single_task"]) == set(baselines.test["trees"]) == {"flag", "colour", "size", "labels"}
    assert set(baselines.to_frame()["baseline"]) == {"single_task", "trees"}
    with pytest.raises(ConfigError, match="baseline 'forest' is unknown"):
        fit_baselines(prepare_split(frame, tasks, assignment), TINY, which=("forest",))


def test_losing_to_a_baseline_is_said_in_words():
    said = baseline_losses({"y": {"r2": 0.2}, "z": {"roc_auc": 0.9}},
                           {"single_task": {"y": {"r2": 0.3}, "z": {"roc_auc": 0.8}}, "trees": {"y": {"r2": 0.4}}},
                           {"y": "regression", "z": "binary"})
    assert said == ["On y the multi-task net (r2 0.200) loses to the single-task net (0.300) and to "
                    "gradient-boosted trees (0.400)."]


def test_a_reader_polling_while_the_trainer_writes_sees_each_epoch(data, tmp_path):
    frame, tasks, assignment = data
    seen = []

    def poll(record):  # called by the trainer after each epoch, as a page's poll would land between epochs
        (run,) = list_runs(tmp_path)
        seen.append((run.status, len(run.history), run.metrics, len(runs_frame([run]))))

    fit_run(frame, tasks, assignment, config=TINY, model_config=SMALL, runs_dir=tmp_path, on_epoch=poll)
    assert seen == [("running", epoch, None, 4) for epoch in (1, 2, 3)]


def test_a_history_line_with_keys_this_reader_does_not_know_still_reads(tmp_path):
    writer = RunWriter(tmp_path, run_config([Task("y", ("y",), "binary")], TINY, SMALL))
    line = {"epoch": 1, "seconds": 0.1, "train_loss": {"y": 0.5}, "val_loss": {"y": 0.6}, "val_metric": {"y": 0.7},
            "weights": {"y": 1.0}, "train_total": 0.5, "val_total": 0.6, "gates": {"y": [0.5, 0.5]}}
    (writer.path / "history.jsonl").write_text(json.dumps(line) + "\n")
    assert [r.epoch for r in read_run(writer.path).history] == [1]


def test_seed_gains_flag_a_task_worse_on_every_seed_not_one_worse_on_one_seed_of_three():
    from core.training import negative_transfer, seed_gains

    def seed(y, z):  # y: binary (roc_auc), z: regression (r2); single-task nets at 0.8 and 0.5
        return {"test": {"y": {"roc_auc": y}, "z": {"r2": z}},
                "baselines": {"single_task": {"y": {"roc_auc": 0.8}, "z": {"r2": 0.5}}}}

    metrics = [seed(0.76, 0.45), seed(0.78, 0.55), seed(0.75, 0.52)]  # y worse on 3 of 3, z on 1 of 3
    gains = seed_gains(metrics, [0, 1, 2], {"y": "binary", "z": "regression"})
    assert gains.columns.tolist() == ["task", "metric", "seed", "gain", "relative_gain"]
    assert gains["gain"].round(3).tolist() == [-0.04, -0.05, -0.02, 0.05, -0.05, 0.02]
    lines = negative_transfer(gains)
    assert len(lines) == 1 and lines[0].startswith("y: worse than alone on 3 of 3 seeds (mean roc_auc gain -0.037, -4.6%)")
    assert seed_gains([{"test": metrics[0]["test"]}], [0], {"y": "binary"})["gain"].isna().all()  # no baseline: no gain
    assert negative_transfer(seed_gains([{"test": metrics[0]["test"]}], [0], {"y": "binary"})) == ()


def test_split_digest_is_the_digest_run_folders_already_hold():
    """The faster digest gives the text the first one hashed (str of each row, one per line), so old runs still
    match their split: the values below were made by the original ``"\\n".join(Series.astype(str))``."""
    rows = ["train", "val", "test", "excluded"] * 2500 + ["fold 3", 3, 2.5]
    assert split_digest(rows) == "e77994de02e464e8"
    assert split_digest(pd.Series(rows[:-2], index=range(len(rows) - 2, 0, -1))) == "3ce2a596b5c2e0d0"


def test_the_runs_fragment_digests_a_split_once(monkeypatch):
    from dashboard.views import model_runs

    assignment = pd.Series(["train", "test"] * 10)
    calls = []
    monkeypatch.setattr(model_runs, "split_digest", lambda a: calls.append(1) or split_digest(a))
    digests = {model_runs.digest_of(assignment) for _ in range(5)}
    assert digests == {split_digest(assignment)} and len(calls) == 1


def test_transfer_flags_group_runs_by_setting_and_flag_against_both_baselines(tmp_path):
    from core.training import transfer_flags

    def run(seed, test, alone, trees, design="hard"):
        writer = RunWriter(tmp_path, run_config([Task("y", ("y",), "binary")], TrainConfig(seed=seed),
                                                ModelConfig(architecture=design)))
        (writer.path / "metrics.json").write_text(json.dumps({
            "test": {"y": {"roc_auc": test}},
            "baselines": {"single_task": {"y": {"roc_auc": alone}}, "trees": {"y": {"roc_auc": trees}}}}))
        (writer.path / "status").write_text("done\n")

    run(0, 0.70, 0.75, 0.80)
    run(1, 0.72, 0.74, 0.80)
    run(0, 0.80, 0.75, 0.70, design="soft")  # one seed of another setting: not flagged
    flags = transfer_flags(list_runs(tmp_path))
    assert len(flags) == 1 and flags[0].design == "hard" and flags[0].seeds == (0, 1)
    assert flags[0].alone == ("y: worse than alone on 2 of 2 seeds (mean roc_auc gain -0.035, -4.7%): negative "
                              "transfer.",)
    assert flags[0].trees == ("y: worse than the trees on 2 of 2 seeds (mean roc_auc gain -0.090, -11.3%).",)
