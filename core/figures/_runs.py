"""Figures of several training runs side by side: per-task small multiples with the runs overlaid.

Takes tidy frames (``RunRecord.history_frame()`` of each run, concatenated, and the
marks: each task's best epoch and the epoch early stopping fired) and returns a
``go.Figure``; imports nothing of core but its figure siblings.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._palette import EXTRA_COLORS, FOLD_COLORS, style
from ._training import PANEL_HEIGHT, _panel, ema_smooth

RUN_COLORS = FOLD_COLORS[:-1] + EXTRA_COLORS  # one colour per run, in the order given
MARKS = {"best": ("circle", "best val metric"), "early_stop": ("x", "early stopping fired")}


def run_color(position: int) -> str:
    """The colour of the run at ``position`` among the runs drawn.

    Examples
    --------
    >>> run_color(0), run_color(1)
    ('#0072B2', '#E69F00')
    """
    return RUN_COLORS[position % len(RUN_COLORS)]


def _at(epochs: np.ndarray, values: np.ndarray, epoch) -> float | None:
    hit = np.flatnonzero(epochs == epoch)
    return float(values[hit[0]]) if hit.size and math.isfinite(values[hit[0]]) else None


def run_curves(
    history: pd.DataFrame,
    marks: pd.DataFrame | None = None,
    *,
    part: str = "val",
    smoothing: float = 0.6,
    log_x: bool = True,
    log_y: bool = True,
    labels: dict[str, str] | None = None,
    columns: int = 3,
    title: str | None = "Loss per task, runs overlaid",
) -> go.Figure:
    """Small multiples, one panel per task, each run's ``part`` loss overlaid: raw faint, smoothed solid.

    Each run has one colour in every panel. A circle marks the epoch of each task's
    best val metric, an x the epoch where early stopping fired. Log x and log y by
    default: the first epochs and the last small gains are both readable.

    Parameters
    ----------
    history : DataFrame
        ``run``, ``epoch``, ``task``, ``part`` (train or val), ``loss``.
    marks : DataFrame, optional
        ``run``, ``task``, ``epoch``, ``mark`` (``best`` or ``early_stop``).
    labels : dict, optional
        The legend name of each run (default: the run's name).

    Examples
    --------
    >>> history = pd.DataFrame({"run": "a", "epoch": [1, 2, 3], "task": "y", "part": "val", "loss": [0.9, 0.5, 0.6]})
    >>> marks = pd.DataFrame({"run": ["a"], "task": ["y"], "epoch": [2], "mark": ["best"]})
    >>> fig = run_curves(history, marks)
    >>> [t.mode for t in fig.data], fig.layout.xaxis.type, fig.layout.yaxis.type
    (['lines', 'lines', 'markers'], 'log', 'log')
    """
    if not 0.0 <= smoothing < 1.0:
        raise ValueError(f"smoothing={smoothing} must be in [0, 1); use 0.6.")
    labels = labels or {}
    shown = history[history["part"] == part] if "part" in history.columns else history
    tasks = [str(t) for t in pd.unique(shown["task"])]
    runs = [str(r) for r in pd.unique(history["run"])]
    colors = {run: run_color(i) for i, run in enumerate(runs)}
    marks = marks if marks is not None else pd.DataFrame(columns=["run", "task", "epoch", "mark"])
    columns = max(1, min(columns, len(tasks) or 1))
    rows = max(1, math.ceil(len(tasks) / columns))
    curves = {key: frame.sort_values("epoch") for key, frame in shown.groupby(["task", "run"], sort=False)}
    traces, layout, legend = [], {"annotations": []}, set()
    for i, task in enumerate(tasks):
        axis = _panel(
            layout, i, task, rows=rows, columns=columns,
            x_axis={"type": "log" if log_x else "linear",
                    "title": {"text": "epoch"} if i + columns >= len(tasks) else None},
            y_axis={"type": "log" if log_y else "linear",
                    "title": {"text": f"{part} loss"} if i % columns == 0 else None},
        )
        for run in runs:
            curve = curves.get((task, run))
            if curve is None or not len(curve):
                continue
            epochs = curve["epoch"].to_numpy()
            raw = pd.to_numeric(curve["loss"], errors="coerce").to_numpy(dtype=np.float64)
            smooth = ema_smooth(raw, smoothing) if smoothing > 0 else raw
            common = {"type": "scatter", "x": epochs, "xaxis": f"x{axis}", "yaxis": f"y{axis}",
                      "legendgroup": run, "line": {"color": colors[run]}}
            name = labels.get(run, run)
            if smoothing > 0:
                traces.append({**common, "mode": "lines", "y": raw, "opacity": 0.25, "line": {"color": colors[run],
                               "width": 1}, "showlegend": False, "hoverinfo": "skip", "name": name})
            traces.append({**common, "mode": "lines", "y": smooth, "name": name, "showlegend": run not in legend,
                           "line": {"color": colors[run], "width": 2},
                           "hovertemplate": f"{name}<br>epoch %{{x}}: %{{y:.4g}}<extra></extra>"})
            legend.add(run)
            here = marks[(marks["run"].astype(str) == run) & (marks["task"].astype(str) == task)]
            for mark, (symbol, what) in MARKS.items():
                points = [(e, _at(epochs, smooth, e)) for e in here.loc[here["mark"] == mark, "epoch"]]
                points = [(e, y) for e, y in points if y is not None]
                if points:
                    traces.append({**common, "mode": "markers", "x": [e for e, _ in points], "y": [y for _, y in points],
                                   "marker": {"symbol": symbol, "size": 9, "color": colors[run],
                                              "line": {"width": 1, "color": "white"}},
                                   "showlegend": False, "name": f"{name}: {what}",
                                   "hovertemplate": f"{name}: {what} at epoch %{{x}}<extra></extra>"})
    layout["annotations"].append({
        "text": "● best val metric · ✕ early stopping fired" + (" · faint: raw, solid: smoothed" if smoothing else ""),
        "xref": "paper", "yref": "paper", "x": 1.0, "xanchor": "right", "y": 1.0, "yanchor": "bottom", "yshift": 22,
        "showarrow": False, "font": {"size": 12, "color": "#555"},
    })
    below = 30 + 22 * math.ceil(len(runs) / 3)  # room under the panels for the legend, about three runs a line
    fig = style(go.Figure(data=traces, layout=layout), title=title,
                height=(70 if title else 30) + 74 + below + PANEL_HEIGHT * rows)
    fig.update_layout(margin_t=fig.layout.margin.t + 24, margin_b=fig.layout.margin.b + below)
    plot_height = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    fig.update_layout(legend_y=-50 / plot_height, legend_yanchor="top")  # under the x axis titles
    return fig


def run_marks(best: pd.DataFrame) -> pd.DataFrame:
    """The marks frame of :func:`run_curves` from a runs table: ``run``, ``task``, ``best_epoch`` and, optionally,
    ``early_stop_epoch`` (the epoch early stopping fired, the same for every task of a run).

    Examples
    --------
    >>> run_marks(pd.DataFrame({"run": ["a"], "task": ["y"], "best_epoch": [4], "early_stop_epoch": [9]}))["mark"].tolist()
    ['best', 'early_stop']
    """
    rows = [(r.run, r.task, r.best_epoch, "best") for r in best.itertuples() if pd.notna(r.best_epoch)]
    if "early_stop_epoch" in best.columns:
        rows += [(r.run, r.task, r.early_stop_epoch, "early_stop") for r in best.itertuples()
                 if pd.notna(r.early_stop_epoch)]
    return pd.DataFrame(rows, columns=["run", "task", "epoch", "mark"])
