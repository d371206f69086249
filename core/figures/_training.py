"""Figures of a training run: per-task loss curves, task weights, confusion matrices, transfer gain.

Each function takes a tidy frame from :mod:`core.training._loop` or
:mod:`core.training._metrics` (``TrainResult.history_frame()``, ``.weights_frame()``,
``Confusion.to_frame()``, ``TransferGain.to_frame()``) and returns a
``go.Figure``. Train is blue and val orange, as everywhere
(:mod:`core.figures._palette`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._palette import FOLD_COLORS, NEUTRAL, SEQUENTIAL, split_color, status_color, style

TOTAL = "total"  # the task name of the summed losses in ``TrainResult.history_frame()``
PARTS = ("train", "val")
PANEL_HEIGHT = 210  # pixels per row of loss panels
LEGEND_LIFT = 24  # pixels between the top of the loss panels and the legend, room for the panel titles
OUTCOMES = ("TN", "FP", "FN", "TP")  # a multilabel task's confusion columns, label by label
# What building a figure can raise on data its author did not foresee: plotly's validators raise
# ValueError (a domain outside [0, 1], a bad colour), and pandas/numpy the others. A page or report
# that draws several figures catches these around each one (see failure_note), never Exception.
FIGURE_ERRORS = (ValueError, TypeError, KeyError, IndexError, ZeroDivisionError)


def failure_note(what: str, error: BaseException) -> str:
    """One line for a figure that could not be built: which, why (first line of the error, cut short).

    Examples
    --------
    >>> failure_note("loss curves", ValueError("Invalid value for domain\\n  more"))
    'The loss curves chart could not be drawn (ValueError: Invalid value for domain); the rest is unaffected.'
    """
    first = next((line.strip() for line in str(error).splitlines() if line.strip()), "")
    first = first if len(first) <= 120 else first[:117] + "..."
    return f"The {what} chart could not be drawn ({type(error).__name__}: {first}); the rest is unaffected."


def ema_smooth(values: Sequence[float | None], weight: float) -> np.ndarray:
    """TensorBoard's debiased exponential moving average; missing values (None, NaN, inf) stay missing.

    ``smoothed_t = sum_i w^(t-i) (1 - w) x_i / (1 - w^t)`` over the ``t`` finite
    points seen so far: the running average starts at 0, and dividing by
    ``1 - w^t`` removes that start's pull towards 0, so the first smoothed
    value equals the first point. Written by hand: pandas' ``ewm(adjust=True)``
    computes the same average but does not leave gaps where values are missing.

    Parameters
    ----------
    values : sequence of float or None
    weight : float in [0, 1)
        0 returns the values as they are; 0.9 smooths strongly.

    Examples
    --------
    >>> ema_smooth([1.0, 4.0], 0.5).tolist()  # (0.5 * 0.5 * 1 + 0.5 * 4) / (1 - 0.5**2)
    [1.0, 3.0]
    >>> ema_smooth([2.0, None, 2.0], 0.9).tolist()
    [2.0, nan, 2.0]
    """
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"weight={weight} must be in [0, 1); use 0.6.")
    x = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    out = np.full_like(x, np.nan)
    running, seen = 0.0, 0
    for t, value in enumerate(x):
        if not math.isfinite(value):
            continue
        running = weight * running + (1.0 - weight) * value
        seen += 1
        out[t] = running / (1.0 - weight**seen)
    return out


def _panels(history: pd.DataFrame) -> list[str]:
    """The total first, then the tasks in the order of the history."""
    tasks = [str(t) for t in pd.unique(history["task"]) if t != TOTAL]
    return ([TOTAL] if (history["task"] == TOTAL).any() else []) + tasks


def loss_curves(
    history: pd.DataFrame,
    *,
    smoothing: float = 0.0,
    log_y: bool = False,
    best_epoch: int | None = None,
    columns: int = 4,
    title: str | None = "Loss per task: train vs val",
    running: tuple[float, Mapping[str, float]] | None = None,
) -> go.Figure:
    """Small multiples of the loss per epoch: one panel per task (the total first), train blue, val orange.

    With ``smoothing`` > 0 the raw losses are drawn faint and their debiased
    EMA (:func:`ema_smooth`) solid, as TensorBoard does. Each panel has its
    own y range and all share the epoch axis; ``best_epoch`` (the one early
    stopping kept) is a dotted line. The grid is laid out by hand rather than
    with ``make_subplots``: the page redraws it every epoch, and building it
    in one go is ~10x faster.

    Parameters
    ----------
    history : DataFrame
        ``epoch``, ``task`` (``total`` for the sum over tasks), ``part`` (train
        or val), ``loss`` (NaN where undefined): ``TrainResult.history_frame()``.
    running : (x, {task: loss}), optional
        The epoch under way: each task's train loss so far, drawn as an open
        marker at ``x`` (the epochs done plus the share of this one), so a
        live page's chart moves between epochs.

    Examples
    --------
    >>> history = pd.DataFrame({"epoch": [1, 2, 1, 2], "task": "y", "part": ["train", "train", "val", "val"],
    ...                         "loss": [0.7, 0.5, 0.8, 0.6]})
    >>> fig = loss_curves(history)
    >>> [(t.name, t.line.color) for t in fig.data], fig.data[0].y.tolist(), fig.layout.xaxis.title.text
    ([('train', '#0072B2'), ('val', '#E69F00')], [0.7, 0.5], 'epoch')
    """
    panels = _panels(history)
    columns = max(1, min(columns, len(panels)))
    rows = max(1, math.ceil(len(panels) / columns))
    curves = {key: frame.sort_values("epoch") for key, frame in history.groupby(["task", "part"], sort=False)}
    traces, layout = [], {"annotations": [], "shapes": []}
    for i, panel in enumerate(panels):
        bottom, left = i + columns >= len(panels), i % columns == 0
        axis = _panel(
            layout, i, "total (sum of tasks)" if panel == TOTAL else panel, rows=rows, columns=columns,
            x_axis={"matches": None if i == 0 else "x", "rangemode": "tozero",
                    "title": {"text": "epoch"} if bottom else None, "showticklabels": bottom},
            y_axis={"type": "log" if log_y else "linear",
                    "title": {"text": "loss" + (" (log)" if log_y else "")} if left else None},
        )
        for part in PARTS:
            curve = curves.get((panel, part))
            if curve is not None and len(curve):
                traces += _curve(curve, part, smoothing, first=i == 0, axis=axis)
        if running is not None and panel in running[1] and np.isfinite(running[1][panel]):
            traces.append(_running_marker(running[0], running[1][panel], axis=axis,
                                          first=not any(t.get("legendgroup") == RUNNING for t in traces)))
        if best_epoch is not None:
            layout["shapes"].append({
                "type": "line", "xref": f"x{axis}", "yref": f"y{axis} domain", "x0": best_epoch, "x1": best_epoch,
                "y0": 0, "y1": 1, "line": {"color": NEUTRAL, "dash": "dot", "width": 1},
            })
    if best_epoch is not None:
        layout["annotations"].append({
            "text": f"dotted: epoch {best_epoch}, the weights kept (best val loss)", "xref": "paper",
            "yref": "paper", "x": 1.0, "xanchor": "right", "y": 1.0, "yanchor": "bottom", "yshift": LEGEND_LIFT,
            "showarrow": False, "font": {"size": 12, "color": "#555"},
        })
    fig = style(go.Figure(data=traces, layout={**layout, "hovermode": "x unified"}), title=title,
                height=(70 if title else 30) + 50 + PANEL_HEIGHT * rows)
    fig.update_layout(margin_t=fig.layout.margin.t + LEGEND_LIFT, height=fig.layout.height + LEGEND_LIFT)
    plot_height = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    fig.update_layout(legend_y=1.0 + LEGEND_LIFT / plot_height)  # above the first row's panel titles
    return fig


RUNNING = "train, this epoch so far"


def _running_marker(x: float, loss: float, *, axis: str, first: bool) -> dict:
    """The epoch under way in one panel: an open train-coloured marker at its share done."""
    return {"type": "scatter", "mode": "markers", "x": [x], "y": [loss], "name": RUNNING, "legendgroup": RUNNING,
            "showlegend": first, "xaxis": f"x{axis}", "yaxis": f"y{axis}",
            "marker": {"color": split_color("train"), "symbol": "circle-open", "size": 9, "line": {"width": 2}},
            "hovertemplate": f"{RUNNING}: %{{y:.4g}} (at epoch %{{x:.2f}})<extra></extra>"}


def _cell(row: int, col: int, rows: int, columns: int) -> tuple[list[float], list[float]]:
    """The paper-coordinate x and y domains of grid cell (row, col), row 0 at the top, room for titles.

    Each edge is computed from its own grid line (``k / n`` of the gaps and cells
    before it) and clipped to [0, 1]: summing cell and gap heights row by row
    left the bottom row at -5.55e-17 with 3 or 6 rows, which plotly refuses.
    """
    x_gap, y_gap = 0.05, min(0.3, 0.35 / rows) if rows > 1 else 0.0
    width = (1.0 - x_gap * (columns - 1)) / columns
    height = (1.0 - y_gap * (rows - 1)) / rows
    left = col * (width + x_gap)
    bottom = (rows - 1 - row) * (height + y_gap)  # row 0 at the top, the last row at 0
    return [_unit(left), _unit(left + width)], [_unit(bottom), _unit(bottom + height)]


def _panel(layout: dict, i: int, title: str, *, rows: int, columns: int, x_axis: dict, y_axis: dict) -> str:
    """Lay out panel ``i`` of a grid drawn by hand: its axes (``x_axis``, ``y_axis`` add to their domain and
    anchor) and its bold title above it, into ``layout``. Returns the panel's axis suffix (``""``, ``"2"``, ...).

    Examples
    --------
    >>> layout = {"annotations": []}
    >>> _panel(layout, 1, "y", rows=1, columns=2, x_axis={}, y_axis={"type": "log"})
    '2'
    >>> layout["yaxis2"]["type"], layout["xaxis2"]["anchor"], layout["annotations"][0]["text"]
    ('log', 'y2', '<b>y</b>')
    """
    axis = "" if i == 0 else str(i + 1)
    x_domain, y_domain = _cell(*divmod(i, columns), rows, columns)
    layout[f"xaxis{axis}"] = {"domain": x_domain, "anchor": f"y{axis}", **x_axis}
    layout[f"yaxis{axis}"] = {"domain": y_domain, "anchor": f"x{axis}", **y_axis}
    layout["annotations"].append({
        "text": f"<b>{title}</b>", "xref": "paper", "yref": "paper", "x": sum(x_domain) / 2, "y": y_domain[1],
        "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 13},
    })
    return axis


def _unit(value: float) -> float:
    """``value`` clipped to a plotly domain's [0, 1] and rounded off float noise (1e-12)."""
    return min(1.0, max(0.0, round(value, 12)))


def _curve(curve: pd.DataFrame, part: str, smoothing: float, *, first: bool, axis: str) -> list[dict]:
    """One part's loss in one panel: the raw line, and the smoothed line on top when smoothing."""
    color = split_color(part)
    epochs = curve["epoch"].to_numpy()
    loss = curve["loss"].to_numpy(dtype=np.float64)
    common = {"type": "scatter", "mode": "lines", "x": epochs, "name": part, "legendgroup": part,
              "xaxis": f"x{axis}", "yaxis": f"y{axis}"}
    if smoothing <= 0:
        return [{**common, "y": loss, "line": {"color": color, "width": 2}, "showlegend": first,
                 "hovertemplate": f"{part}: %{{y:.4g}}<extra></extra>"}]
    return [
        {**common, "y": loss, "line": {"color": color, "width": 1}, "opacity": 0.3, "showlegend": False,
         "hoverinfo": "skip"},
        {**common, "y": ema_smooth(loss, smoothing), "line": {"color": color, "width": 2}, "showlegend": first,
         "customdata": loss, "hovertemplate": f"{part}: %{{y:.4g}} (raw %{{customdata:.4g}})<extra></extra>"},
    ]


def weight_curves(weights: pd.DataFrame, *, title: str | None = "Task weights per epoch") -> go.Figure:
    """A line per task: the weight its loss had in the objective after each epoch.

    Parameters
    ----------
    weights : DataFrame
        ``epoch``, ``task``, ``weight``: ``TrainResult.weights_frame()``.

    Examples
    --------
    >>> weights = pd.DataFrame({"epoch": [1, 2, 1, 2], "task": ["a", "a", "b", "b"], "weight": [1.0, 1.2, 1.0, 0.8]})
    >>> fig = weight_curves(weights)
    >>> [t.name for t in fig.data], fig.layout.yaxis.title.text
    (['a', 'b'], 'weight')
    """
    fig = go.Figure()
    for i, task in enumerate(pd.unique(weights["task"])):
        rows = weights[weights["task"] == task].sort_values("epoch")
        fig.add_trace(go.Scatter(
            x=rows["epoch"].to_numpy(), y=rows["weight"].to_numpy(dtype=np.float64), name=str(task), mode="lines",
            line={"color": FOLD_COLORS[i % len(FOLD_COLORS)], "width": 2},
            hovertemplate=f"{task}: %{{y:.3g}}<extra></extra>",
        ))
    fig.update_xaxes(title="epoch", rangemode="tozero")
    fig.update_yaxes(title="weight", rangemode="tozero")
    fig.update_layout(hovermode="x unified")
    return style(fig, title=title, height=300)


def confusion_heatmap(counts: pd.DataFrame, *, task: str = "", title: str | None = None) -> go.Figure:
    """Counts of true against predicted labels, coloured by the share of each true label's rows.

    A binary or multiclass task is a class x class grid (true down, predicted
    across), so the diagonal is what the model got right and each row's colour
    reads as that class's recall. A multilabel task is a label x outcome grid
    (TN, FP, FN, TP per label).

    Parameters
    ----------
    counts : DataFrame
        ``label`` (multilabel only, else None), ``true``, ``predicted``, ``count``:
        ``Confusion.to_frame()``.

    Examples
    --------
    >>> counts = pd.DataFrame({"label": None, "true": ["a", "a", "b", "b"], "predicted": ["a", "b", "a", "b"],
    ...                        "count": [3, 1, 0, 4]})
    >>> fig = confusion_heatmap(counts, task="y")
    >>> fig.data[0].type, list(fig.data[0].x), fig.data[0].z.tolist()
    ('heatmap', ['a', 'b'], [[0.75, 0.25], [0.0, 1.0]])
    """
    multilabel = counts["label"].notna().any()
    if multilabel:
        outcome = np.array(OUTCOMES)[counts["true"].astype(int) * 2 + counts["predicted"].astype(int)]
        matrix = counts.assign(outcome=outcome).pivot_table(index="label", columns="outcome", values="count",
                                                            aggfunc="sum", sort=False).reindex(columns=OUTCOMES)
        x_title, y_title = "outcome (TN, FP: true 0; FN, TP: true 1)", "label"
    else:
        classes = list(pd.unique(counts["true"]))
        matrix = counts.pivot_table(index="true", columns="predicted", values="count", aggfunc="sum",
                                    sort=False).reindex(index=classes, columns=classes)
        x_title, y_title = f"predicted {task}".strip(), f"true {task}".strip()
    values = matrix.fillna(0).to_numpy(dtype=np.int64)
    if multilabel:  # share of the label's rows with the same true value (TN+FP, or FN+TP)
        totals = np.repeat(values.reshape(-1, 2, 2).sum(axis=2), 2, axis=1)
    else:
        totals = values.sum(axis=1, keepdims=True)
    share = values / np.maximum(totals, 1)
    text = [[f"{v:,}" for v in row] for row in values]
    fig = go.Figure(go.Heatmap(
        z=share, x=[str(c) for c in matrix.columns], y=[str(i) for i in matrix.index], text=text,
        texttemplate="%{text}", colorscale=SEQUENTIAL, zmin=0.0, zmax=1.0, xgap=1, ygap=1,
        colorbar={"title": {"text": "share of<br>true rows"}, "thickness": 12, "tickformat": ".0%"},
        hovertemplate=("label %{y}: %{x}" if multilabel else "true %{y} → predicted %{x}")
        + ": %{text} rows (%{z:.1%} of the true rows)<extra></extra>",
    ))
    fig.update_yaxes(title=y_title, autorange="reversed", type="category", automargin=True)
    fig.update_xaxes(title=x_title, type="category", side="bottom", automargin=True, tickangle=-45 if
                     len(matrix.columns) > 8 else 0)
    side = len(matrix.index)
    return style(fig, title=title if title is not None else f"{task}: true vs predicted (test)",
                 height=max(300, 150 + 30 * side))


VERDICT_COLORS = {"helps": status_color("pass"), "hurts": status_color("fail"),
                  "no clear difference": "#afb8c1", "not meaningful": "#afb8c1"}


GAIN_AXIS_LIMIT = 1.0  # the gain chart's axis reaches at most this far (every primary metric is at most 1)


def transfer_gain_bars(
    gains: pd.DataFrame, *, delta_m: float | None = None,
    delta_m_interval: tuple[float | None, float | None] = (None, None), title: str | None = None,
) -> go.Figure:
    """Bars of each task's transfer gain with its 95% interval: green helps, red hurts, grey no clear difference.

    A bar is coloured only when its interval (the error bar) lies on one side
    of 0; a task without an interval (no ``verdict`` column, or a verdict of
    None) is grey too, since its sign alone says nothing. Tasks that cannot be
    judged (``not meaningful``, or an undefined gain) are listed at the bottom
    with no bar.

    Parameters
    ----------
    gains : DataFrame
        ``task``, ``metric``, ``mtl``, ``stl``, ``gain``, ``relative_gain``, and
        ``low``, ``high``, ``verdict``, ``note`` when known: ``TransferGain.to_frame()``.
    delta_m : float, optional
        The run's average relative gain, shown in the title with ``delta_m_interval``.

    Examples
    --------
    >>> gains = pd.DataFrame({"task": ["a", "b"], "metric": ["roc_auc", "r2"], "mtl": [0.8, 0.2],
    ...                       "stl": [0.7, 0.3], "gain": [0.1, -0.1], "relative_gain": [0.143, -0.333],
    ...                       "low": [0.05, -0.2], "high": [0.15, 0.01], "verdict": ["helps", "no clear difference"]})
    >>> fig = transfer_gain_bars(gains, delta_m=-0.095)
    >>> fig.data[0].type, list(fig.data[0].y), list(fig.data[0].marker.color)
    ('bar', ['a (roc_auc)', 'b (r2)'], ['#1a7f37', '#afb8c1'])
    """
    frame = gains.copy()
    for column in ("low", "high", "verdict", "note"):
        if column not in frame:
            frame[column] = None
    gain = pd.to_numeric(frame["gain"], errors="coerce").astype(np.float64)
    judged = gain.notna() & (frame["verdict"] != "not meaningful")
    frame = frame.assign(_judged=judged, _gain=gain).sort_values(["_judged", "_gain"], ascending=[False, False])
    gain = np.where(frame["_judged"], frame["_gain"], np.nan)
    low = pd.to_numeric(frame["low"], errors="coerce").to_numpy(dtype=np.float64)
    high = pd.to_numeric(frame["high"], errors="coerce").to_numpy(dtype=np.float64)
    labels = [f"{t} ({m})" for t, m in zip(frame["task"], frame["metric"], strict=True)]
    colors = [VERDICT_COLORS.get(v, VERDICT_COLORS["no clear difference"]) for v in frame["verdict"]]
    # Primary metrics are at most 1, so a gain beyond ±1 comes from a broken R² (-977): drawn at the
    # axis's edge and marked, so one broken task does not shrink every other bar to nothing.
    off = np.isfinite(gain) & (np.abs(gain) > GAIN_AXIS_LIMIT)
    text = [(f"{g:+,.3g} (off the axis)" if o else f"{g:+.3f}") if np.isfinite(g)
            else (v if v == "not meaningful" else "undefined")
            for g, o, v in zip(gain, off, frame["verdict"], strict=True)]
    interval = np.isfinite(low) & np.isfinite(high) & np.isfinite(gain)
    low, high = np.clip(low, -GAIN_AXIS_LIMIT, GAIN_AXIS_LIMIT), np.clip(high, -GAIN_AXIS_LIMIT, GAIN_AXIS_LIMIT)
    value = np.clip(np.nan_to_num(gain), -GAIN_AXIS_LIMIT, GAIN_AXIS_LIMIT)
    hover = [_gain_text(row) for row in frame.itertuples(index=False)]
    fig = go.Figure(go.Bar(
        x=value, y=labels, orientation="h", marker_color=colors, customdata=hover, showlegend=False,
        hovertemplate="%{y}: %{customdata}<extra></extra>",
        error_x={"type": "data", "symmetric": False, "array": np.where(interval, high - value, 0.0),
                 "arrayminus": np.where(interval, value - low, 0.0), "color": "#444", "thickness": 1.5,
                 "width": 4, "visible": bool(interval.any())},
    ))
    # The value beside the bar's far end, past its interval, so the whiskers never run through the text.
    right = value >= 0
    end = np.where(right, np.where(interval, high, value), np.where(interval, low, value))
    fig.add_trace(go.Scatter(
        x=end, y=labels, mode="text", text=text, textposition=["middle right" if r else "middle left" for r in right],
        cliponaxis=False, showlegend=False, customdata=hover, hovertemplate="%{y}: %{customdata}<extra></extra>",
        textfont={"size": 12, "color": "#333"},
    ))
    ends = np.concatenate([value[np.isfinite(gain)], low[interval], high[interval]])
    reach = float(np.nanmax(np.abs(ends))) if np.isfinite(ends).any() else 0.0
    reach = reach * 1.35 or 0.1  # room for the labels beside the bars
    fig.add_vline(x=0, line={"color": "#444", "width": 1})
    fig.update_xaxes(title="transfer gain: multi-task − single-task (primary test metric)", range=[-reach, reach],
                     zeroline=False)
    fig.update_yaxes(autorange="reversed", title=None, automargin=True)
    if title is None:
        title = "Which tasks gain from sharing the trunk"
        notes = []
        if delta_m is not None:
            low_m, high_m = delta_m_interval
            span = f" [{low_m:+.1%}, {high_m:+.1%}]" if low_m is not None and high_m is not None else ""
            holds = low_m is not None and high_m is not None and low_m <= 0 <= high_m
            notes.append(f"Δm (mean relative gain): no clear difference{span}" if holds
                         else f"Δm (mean relative gain) = {delta_m:+.1%}{span}")
        if interval.any():
            notes.append("lines: 95% bootstrap interval; grey where it holds 0")
        if notes:
            title += "<br><sup>" + " · ".join(notes) + "</sup>"
    fig = style(fig, title=title, height=max(260, 140 + 34 * len(gains)))
    if "<br>" in title:
        fig.update_layout(margin_t=fig.layout.margin.t + 18)
    return fig


def _gain_text(row) -> str:
    if getattr(row, "verdict", None) == "not meaningful":
        return f"not meaningful: {getattr(row, 'note', None) or 'a metric is undefined'}"
    if row.gain is None or not np.isfinite(row.gain):
        return "undefined (a metric is missing on one side)"
    text = f"{row.gain:+.3f}: multi-task {row.mtl:.3f}, single-task {row.stl:.3f}"
    low, high = getattr(row, "low", None), getattr(row, "high", None)
    if low is not None and high is not None and np.isfinite(low) and np.isfinite(high):
        text += f"; 95% interval [{low:+.3f}, {high:+.3f}]: {row.verdict}"
    return text
