"""Issue 16: the runs' per-task small multiples: one colour per run in every panel, raw faint + smoothed, log axes,
markers at each task's best epoch and where early stopping fired."""

from __future__ import annotations

import pandas as pd
import pytest

from core.figures import run_color, run_curves, run_marks


def history() -> pd.DataFrame:
    rows = [(run, epoch, task, part, loss * (1.2 if part == "val" else 1.0) / epoch)
            for run, loss in (("a", 1.0), ("b", 2.0)) for epoch in range(1, 6) for task in ("y", "z")
            for part in ("train", "val")]
    return pd.DataFrame(rows, columns=["run", "epoch", "task", "part", "loss"])


def test_runs_overlaid_per_task_with_their_colour_raw_and_smoothed():
    fig = run_curves(history(), smoothing=0.5)
    lines = [t for t in fig.data if t.mode == "lines"]
    assert len(lines) == 2 * 2 * 2  # 2 tasks x 2 runs x (raw, smoothed)
    assert {t.line.color for t in lines if t.legendgroup == "a"} == {run_color(0)}
    assert {t.line.color for t in lines if t.legendgroup == "b"} == {run_color(1)}
    raw = [t for t in lines if t.opacity == 0.25]
    assert len(raw) == 4 and all(not t.showlegend for t in raw)
    assert sum(bool(t.showlegend) for t in lines) == 2  # one legend entry per run
    assert fig.layout.xaxis.type == fig.layout.xaxis2.type == "log" and fig.layout.yaxis2.type == "log"
    assert [a.text for a in fig.layout.annotations][:2] == ["<b>y</b>", "<b>z</b>"]


def test_markers_at_best_epoch_and_early_stop_on_the_smoothed_curve():
    table = pd.DataFrame({"run": ["a", "a"], "task": ["y", "z"], "best_epoch": [2, None],
                          "early_stop_epoch": [5, 5]})
    marks = run_marks(table)
    assert sorted(zip(marks["task"], marks["epoch"], marks["mark"], strict=True)) == [("y", 2, "best"), ("y", 5, "early_stop"),
                                                                        ("z", 5, "early_stop")]
    fig = run_curves(history(), marks, smoothing=0.0, log_x=False, log_y=False)
    points = [t for t in fig.data if t.mode == "markers"]
    assert sorted((t.marker.symbol, tuple(t.x)) for t in points) == [("circle", (2,)), ("x", (5,)), ("x", (5,))]
    best = next(t for t in points if t.marker.symbol == "circle")
    assert best.y[0] == pytest.approx(1.2 / 2)  # on the val curve of run a, task y, at epoch 2
    assert fig.layout.xaxis.type == "linear"


def test_train_part_and_bad_smoothing():
    fig = run_curves(history(), part="train", smoothing=0.0)
    assert fig.data[0].y[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="smoothing=1.0 must be in"):
        run_curves(history(), smoothing=1.0)
