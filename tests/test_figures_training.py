"""Training figures: the debiased EMA by hand, loss small multiples, weights, confusion matrices, transfer gain."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.figures import (
    SPLIT_COLORS,
    confusion_heatmap,
    ema_smooth,
    loss_curves,
    status_color,
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


def test_transfer_gain_bars_colour_by_interval_and_sort_the_unjudged_last():
    gains = pd.DataFrame({
        "task": ["hurt", "none", "helped", "unclear", "tiny"], "metric": ["r2", "roc_auc", "macro_f1", "r2", "roc_auc"],
        "mtl": [0.1, None, 0.6, 0.5, 1.0], "stl": [0.3, 0.7, 0.5, 0.49, 1.0], "gain": [-0.2, None, 0.1, 0.01, 0.0],
        "relative_gain": [-0.667, None, 0.2, 0.02, 0.0], "low": [-0.3, None, 0.05, -0.02, None],
        "high": [-0.1, None, 0.2, 0.04, None],
        "verdict": ["hurts", "not meaningful", "helps", "no clear difference", "not meaningful"],
        "note": [None, "the metric is undefined on one side", None, None, "2 labelled test rows (fewer than 20)"],
    })
    fig = transfer_gain_bars(gains, delta_m=-0.233, delta_m_interval=(-0.4, -0.05))
    bars = fig.data[0]
    assert bars.type == "bar" and bars.orientation == "h"
    assert list(bars.y)[:3] == ["helped (macro_f1)", "unclear (r2)", "hurt (r2)"]
    assert set(list(bars.y)[3:]) == {"none (roc_auc)", "tiny (roc_auc)"}
    assert list(bars.x) == pytest.approx([0.1, 0.01, -0.2, 0.0, 0.0])
    grey = "#afb8c1"
    assert list(bars.marker.color) == [status_color("pass"), grey, status_color("fail"), grey, grey]
    values = fig.data[1]  # the numbers, past each interval's far end so the whiskers never cross them
    assert values.mode == "text"
    assert list(values.text) == ["+0.100", "+0.010", "-0.200", "not meaningful", "not meaningful"]
    assert list(values.x)[:3] == pytest.approx([0.2, 0.04, -0.3])
    assert list(values.textposition)[:3] == ["middle right", "middle right", "middle left"]
    assert list(bars.error_x.array)[:3] == pytest.approx([0.1, 0.03, 0.1])  # up to high
    assert list(bars.error_x.arrayminus)[:3] == pytest.approx([0.05, 0.03, 0.1])  # down to low
    assert "95% interval [+0.050, +0.200]: helps" in bars.customdata[0]
    assert any("2 labelled test rows" in text for text in bars.customdata)
    assert "Δm" in fig.layout.title.text and "-23.3% [-40.0%, -5.0%]" in fig.layout.title.text
    assert fig.layout.xaxis.range[0] < -0.3 and fig.layout.xaxis.range[1] > 0.2  # room for the intervals


def test_transfer_gain_bars_without_intervals_are_grey_whatever_the_sign():
    gains = pd.DataFrame({"task": ["a", "b"], "metric": ["r2", "r2"], "mtl": [0.5, 0.4], "stl": [0.4, 0.5],
                          "gain": [0.1, -0.1], "relative_gain": [0.25, -0.2]})
    bars = transfer_gain_bars(gains).data[0]
    assert set(bars.marker.color) == {"#afb8c1"} and not bars.error_x.visible


# --------------------------------------------------------------------------- any number of tasks (issue 12)


def _many(n_tasks: int) -> list[str]:
    return [f"task_{i:02d}" for i in range(n_tasks)]


@pytest.mark.parametrize("n_tasks", range(1, 61))
def test_every_training_figure_builds_for_1_to_60_tasks(n_tasks):
    """8-11 and 20-23 tasks made a 3- or 6-row grid whose last row began at -5.55e-17, which plotly refuses."""
    tasks = _many(n_tasks)
    fig = loss_curves(history(tuple(tasks), epochs=2), smoothing=0.6, log_y=True, best_epoch=1)
    panels = n_tasks + 1
    domains = [fig.layout[f"yaxis{'' if i == 0 else i + 1}"].domain for i in range(panels)]
    x_domains = [fig.layout[f"xaxis{'' if i == 0 else i + 1}"].domain for i in range(panels)]
    assert all(0.0 <= d[0] < d[1] <= 1.0 for d in domains + x_domains)
    rows = sorted({tuple(d) for d in domains}, reverse=True)
    assert all(upper[0] > lower[1] for upper, lower in zip(rows, rows[1:], strict=False))  # rows never overlap
    assert rows[-1][0] == 0.0 and rows[0][1] == 1.0
    weights = pd.DataFrame([(e, t, 1.0) for e in (1, 2) for t in tasks], columns=["epoch", "task", "weight"])
    assert len(weight_curves(weights).data) == n_tasks
    labels = pd.DataFrame([(t, str(a), str(b), 1) for t in tasks for a in (0, 1) for b in (0, 1)],
                          columns=["label", "true", "predicted", "count"])
    assert list(confusion_heatmap(labels, task="tags").data[0].y) == tasks  # a multilabel task with n labels
    classes = pd.DataFrame([(None, a, b, 1) for a in tasks for b in tasks], columns=["label", "true", "predicted",
                                                                                        "count"])
    assert len(confusion_heatmap(classes, task="kind").data[0].x) == n_tasks  # a multiclass task with n classes
    gains = pd.DataFrame({"task": tasks, "metric": "roc_auc", "mtl": 0.7, "stl": 0.69, "gain": 0.01,
                          "relative_gain": 0.014, "low": -0.01, "high": 0.03, "verdict": "no clear difference"})
    assert len(transfer_gain_bars(gains, delta_m=0.01, delta_m_interval=(-0.01, 0.03)).data[0].y) == n_tasks


def test_the_epoch_under_way_is_an_open_marker_in_each_task_panel():
    """A live page's chart moves between epochs: each task's train loss so far, at the epochs done plus the share."""
    from core.figures._training import RUNNING

    history = pd.DataFrame({"epoch": [1, 1, 1, 1, 1, 1], "task": ["total", "total", "a", "a", "b", "b"],
                            "part": ["train", "val"] * 3, "loss": [1.5, 1.6, 0.7, 0.8, 0.8, 0.8]})
    fig = loss_curves(history, running=(1.4, {"a": 0.65, "b": float("nan")}))
    markers = [t for t in fig.data if t.name == RUNNING]
    assert len(markers) == 1  # b's loss so far is not a number: no marker; the total panel gets none
    marker = markers[0]
    assert (list(marker.x), list(marker.y), marker.xaxis, marker.showlegend) == ([1.4], [0.65], "x2", True)
    assert marker.marker.symbol == "circle-open"
    assert not [t for t in loss_curves(history).data if t.name == RUNNING]
