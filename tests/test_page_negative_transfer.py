"""Issue 16 item 5: the Model page flags negative transfer over the finished seeds of a setting in its runs folder
(runs written with ``core.training.fit_run`` on this data and split), and with one seed says so."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from core.data import dataset_from_frame, feature_columns
from core.model import ModelConfig
from core.splits import SplitConfig, split
from core.tasks import Task
from core.training import BASELINES, TrainConfig, fit_run
from dashboard import state
from tests.apptest import new_app

K = state.ModelKeys
CONFIG = SplitConfig(strategy="random", fractions={"train": 0.6, "val": 0.2, "test": 0.2}, seed=0)
TASKS = (Task("flag", ("flag",), "binary"), Task("size", ("size",), "regression"))
FAST = TrainConfig(epochs=2, batch_size=64, patience=None)


def generated(n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(n, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    frame["flag"] = (x[:, 0] + rng.normal(scale=0.5, size=n) > 0).astype(float)
    frame["size"] = x[:, 1] * 2 + rng.normal(scale=0.3, size=n)
    return frame


def write_runs(folder, seeds) -> list:
    """Runs of one setting (hard, equal) with the baselines, one per seed, on the page's data and split."""
    frame = generated()
    data = dataset_from_frame(frame, name="upload.csv")
    assignment = split(frame, list(TASKS), CONFIG).assignment
    return [fit_run(frame, TASKS, assignment, config=replace(FAST, seed=seed), model_config=ModelConfig(width=8, depth=1),
                    runs_dir=folder, baselines=BASELINES, feature_columns=feature_columns(data, TASKS),
                    data={"name": data.name, "fingerprint": data.fingerprint}).metrics for seed in seeds]


def open_model(folder):
    at = new_app()
    at.session_state[state.DATASET] = dataset_from_frame(generated(), name="upload.csv")
    at.session_state[state.TASKS] = TASKS
    at.session_state[state.SPLIT_CONFIG] = CONFIG
    at.session_state[K.RUNS_DIR] = str(folder)
    at.run()
    at.switch_page("views/model.py").run()
    assert not at.exception
    return at


@pytest.fixture(scope="module")
def three_seeds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("negt") / "runs"
    return folder, write_runs(folder, (0, 1, 2))


def test_three_seeds_flag_negative_transfer_over_the_seeds_with_the_rule_in_words(three_seeds):
    folder, metrics = three_seeds
    at = open_model(folder)
    captions = [c.value for c in at.caption]
    assert any("Negative transfer over the 3 finished seeds of hard · equal" in c and "on every seed" in c
               for c in captions)
    metric = {"flag": "roc_auc", "size": "r2"}
    worse = [task for task in metric  # worse than the single-task net on every seed, from the written metrics
             if all(m["test"][task][metric[task]] < m["baselines"]["single_task"][task][metric[task]] for m in metrics)]
    flagged = [w.value for w in at.warning if "Negative transfer" in w.value]
    assert sorted(line.split("): ", 1)[1].split(":")[0] for line in flagged) == sorted(worse)
    assert all("on 3 of 3 seeds" in line for line in flagged)
    assert flagged or any("No task is worse than alone on every seed" in c for c in captions)


def test_three_seeds_also_flag_the_tasks_the_trees_beat_on_every_seed(three_seeds):
    folder, metrics = three_seeds
    at = open_model(folder)
    metric = {"flag": "roc_auc", "size": "r2"}
    worse = [task for task in metric  # below the trees on every seed, from the written metrics
             if all(m["test"][task][metric[task]] < m["baselines"]["trees"][task][metric[task]] for m in metrics)]
    flagged = [w.value for w in at.warning if "Loses to the trees" in w.value]
    assert sorted(line.split("): ", 1)[1].split(":")[0] for line in flagged) == sorted(worse)
    assert all("worse than the trees on 3 of 3 seeds" in line and "negative transfer" not in line for line in flagged)
    captions = " ".join(c.value for c in at.caption)
    assert flagged or "No task is worse than the trees on every seed" in captions


def test_one_seed_says_so_and_offers_the_repeat(tmp_path):
    write_runs(tmp_path, (4,))
    at = open_model(tmp_path)
    assert any("one finished seed" in c.value and "Repeat with 3 seeds" in c.value for c in at.caption)
    assert not any("Negative transfer" in w.value for w in at.warning)
    assert at.button(key=K.RUNS_REPEAT).label == "Repeat with 3 seeds"


def test_a_task_worse_than_alone_on_every_seed_is_flagged_with_its_mean(tmp_path):
    import json

    write_runs(tmp_path, (0, 1, 2))
    for path in tmp_path.glob("*/metrics.json"):  # size: the multi-task net 0.05 r2 below its single-task net
        metrics = json.loads(path.read_text())
        metrics["test"]["size"]["r2"] = metrics["baselines"]["single_task"]["size"]["r2"] - 0.05
        path.write_text(json.dumps(metrics))
    at = open_model(tmp_path)
    flagged = [w.value for w in at.warning if "Negative transfer" in w.value]
    assert any("size: worse than alone on 3 of 3 seeds (mean r2 gain -0.050" in line for line in flagged)
