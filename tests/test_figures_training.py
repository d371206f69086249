"""Training figures: the debiased EMA by hand, loss small multiples, weights, confusion matrices, transfer gain."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.figures.palette import SPLIT_COLORS, status_color
from core.figures.training import (
    confusion_heatmap,
    ema_smooth,
    loss_curves,
    transfer_gain_bars,
    weight_curves,
)


def history(tasks=("a", "b"), epochs=3) -> pd.DataFrame:
    rows = []
    for epoch in range(1, epochs + 1):
        for part, offset in (("train", 0.0), ("val", 0.1)):
            losses = {task: 1.0 / epoch + offset + i for i, task in enumerate(tasks)}
            rows += [(epoch, task, part, loss) for task, loss in losses.items()]
            rows.append((epoch, "total", part, sum(losses.values())))
    return pd.DataFrame(rows, columns=["epoch", "task", "part", "loss"])


# --------------------------------------------------------------------------- EMA


def test_ema_first_value_is_the_first_point():
    assert ema_smooth([5.0, 1.0, 1.0], 0.9)[0] == pytest.approx(5.0)


def test_ema_matches_the_hand_computed_debiased_average():
    w, x = 0.6, [2.0, 4.0, 1.0]
    # running averages starting at 0: 0.8, 0.48 + 1.6 = 2.08, 1.248 + 0.4 = 1.648; debias by 1 - w^t
    expected = [0.8 / (1 - 0.6), 2.08 / (1 - 0.36), 1.648 / (1 - 0.216)]
    assert ema_smooth(x, w) == pytest.approx(expected)
    by_formula = [sum(w ** (t - i) * (1 - w) * x[i] for i in range(t + 1)) / (1 - w ** (t + 1)) for t in range(3)]
    assert ema_smooth(x, w) == pytest.approx(by_formula)


def test_ema_weight_zero_is_the_identity_and_a_constant_stays_constant():
    assert ema_smooth([3.0, 1.0, 2.0], 0.0).tolist() == [3.0, 1.0, 2.0]
    assert ema_smooth([0.7] * 20, 0.95) == pytest.approx([0.7] * 20)


def test_ema_leaves_missing_values_as_gaps_and_skips_them():
    smoothed = ema_smooth([1.0, None, float("nan"), 3.0], 0.5)
    assert math.isnan(smoothed[1]) and math.isnan(smoothed[2])
    assert smoothed[3] == pytest.approx(ema_smooth([1.0, 3.0], 0.5)[1])


def test_ema_refuses_a_weight_of_one():
    with pytest.raises(ValueError, match="weight=1"):
        ema_smooth([1.0], 1.0)


# --------------------------------------------------------------------------- loss curves


def test_loss_curves_draw_a_panel_per_task_with_the_total_first():
    fig = loss_curves(history())
    assert {t.type for t in fig.data} == {"scatter"}
    assert len(fig.data) == 6  # (total, a, b) x (train, val)
    titles = [a.text for a in fig.layout.annotations]
    assert titles[:3] == ["<b>total (sum of tasks)</b>", "<b>a</b>", "<b>b</b>"]
    assert fig.data[0].xaxis == "x" and fig.data[2].xaxis == "x2" and fig.data[4].xaxis == "x3"
    assert fig.data[0].x.tolist() == [1, 2, 3]
    assert fig.data[2].y.tolist() == pytest.approx([1.0, 0.5, 1 / 3])


def test_loss_curves_colour_train_blue_and_val_orange_with_one_legend_entry_each():
    fig = loss_curves(history())
    colors = {(t.name, t.line.color) for t in fig.data}
    assert colors == {("train", SPLIT_COLORS["train"]), ("val", SPLIT_COLORS["val"])}
    assert [t.name for t in fig.data if t.showlegend] == ["train", "val"]


def test_loss_curves_axis_titles_log_scale_and_best_epoch():
    fig = loss_curves(history(), log_y=True, best_epoch=2, columns=2)  # 3 panels on 2 rows
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis3.type == "log"
    assert fig.layout.yaxis.title.text == "loss (log)" and fig.layout.yaxis2.title.text is None
    assert fig.layout.xaxis3.title.text == "epoch"
    assert fig.layout.xaxis2.title.text == "epoch"  # no panel below it
    assert fig.layout.xaxis.title.text is None
    assert [s.x0 for s in fig.layout.shapes] == [2, 2, 2]
    assert fig.layout.yaxis.domain[0] > fig.layout.yaxis3.domain[1]  # row 1 above row 2


def test_loss_curves_smoothing_adds_a_faint_raw_line_under_the_smoothed_one():
    fig = loss_curves(history(("a",)), smoothing=0.5)
    raw, smooth = fig.data[0], fig.data[1]
    assert raw.opacity == 0.3 and not raw.showlegend
    assert smooth.y.tolist() == pytest.approx(ema_smooth(raw.y, 0.5).tolist())
    assert smooth.y[0] == raw.y[0]


def test_loss_curves_leave_undefined_val_losses_as_gaps():
    frame = history(("a",))
    frame.loc[(frame["part"] == "val") & (frame["epoch"] == 2), "loss"] = None
    fig = loss_curves(frame)
    val = [t for t in fig.data if t.name == "val" and t.xaxis == "x2"][0]
    assert math.isnan(val.y[1])


# --------------------------------------------------------------------------- weights


def test_weight_curves_draw_a_line_per_task():
    weights = pd.DataFrame({"epoch": [1, 2, 1, 2], "task": ["a", "a", "b", "b"], "weight": [1.0, 1.5, 1.0, 0.5]})
    fig = weight_curves(weights)
    assert [t.type for t in fig.data] == ["scatter", "scatter"]
    assert [t.name for t in fig.data] == ["a", "b"]
    assert fig.data[1].y.tolist() == [1.0, 0.5]
    assert fig.data[0].line.color != fig.data[1].line.color
    assert fig.layout.xaxis.title.text == "epoch" and fig.layout.yaxis.title.text == "weight"


# --------------------------------------------------------------------------- confusion matrices


def test_confusion_heatmap_of_a_multiclass_task_is_coloured_by_recall_with_counts_as_text():
    classes = ["low", "mid", "high"]
    matrix = np.array([[5, 0, 0], [1, 2, 1], [0, 0, 0]])
    counts = pd.DataFrame([(None, t, p, int(matrix[i, j])) for i, t in enumerate(classes)
                           for j, p in enumerate(classes)], columns=["label", "true", "predicted", "count"])
    fig = confusion_heatmap(counts, task="level")
    heat = fig.data[0]
    assert heat.type == "heatmap"
    assert list(heat.x) == classes and list(heat.y) == classes
    assert np.asarray(heat.z).tolist() == [[1.0, 0.0, 0.0], [0.25, 0.5, 0.25], [0.0, 0.0, 0.0]]
    assert list(heat.text[1]) == ["1", "2", "1"]
    assert fig.layout.xaxis.title.text == "predicted level" and fig.layout.yaxis.title.text == "true level"
    assert fig.layout.yaxis.autorange == "reversed"  # the first class on top


def test_confusion_heatmap_of_a_multilabel_task_is_label_by_outcome():
    rows = []
    for label, cells in (("x", [[3, 1], [0, 2]]), ("y", [[0, 0], [4, 4]])):
        rows += [(label, str(t), str(p), cells[t][p]) for t in (0, 1) for p in (0, 1)]
    fig = confusion_heatmap(pd.DataFrame(rows, columns=["label", "true", "predicted", "count"]), task="tags")
    heat = fig.data[0]
    assert list(heat.x) == ["TN", "FP", "FN", "TP"] and list(heat.y) == ["x", "y"]
    assert np.asarray(heat.z).tolist() == [[0.75, 0.25, 0.0, 1.0], [0.0, 0.0, 0.5, 0.5]]


# --------------------------------------------------------------------------- transfer gain


def test_transfer_gain_bars_diverge_by_sign_and_sort_undefined_last():
    gains = pd.DataFrame({
        "task": ["hurt", "none", "helped"], "metric": ["r2", "roc_auc", "macro_f1"],
        "mtl": [0.1, None, 0.6], "stl": [0.3, 0.7, 0.5], "gain": [-0.2, None, 0.1],
        "relative_gain": [-0.667, None, 0.2],
    })
    fig = transfer_gain_bars(gains, delta_m=-0.233)
    bars = fig.data[0]
    assert bars.type == "bar" and bars.orientation == "h"
    assert list(bars.y) == ["helped (macro_f1)", "hurt (r2)", "none (roc_auc)"]
    assert list(bars.x) == pytest.approx([0.1, -0.2, 0.0])
    assert list(bars.marker.color) == [status_color("pass"), status_color("fail"), status_color("skipped")]
    assert list(bars.text) == ["+0.100", "-0.200", "undefined"]
    assert "multi-task 0.600, single-task 0.500" in bars.customdata[0]
    assert "Δm" in fig.layout.title.text and "-23.3%" in fig.layout.title.text
    assert fig.layout.xaxis.range[0] < -0.2 and fig.layout.xaxis.range[1] > 0.2
