"""A clickable co-occurrence heatmap across the labels of all tasks.

Streamlit's plotly selection events report nothing for a click on a
``go.Heatmap`` cell (DESIGN.md, Known traps), so the picture is a heatmap and
the click targets are an invisible scatter marker on every cell, carrying
``customdata`` ``("pair", row_label, col_label, split, value, a, b, row_task, row_value, col_task, col_value)``
for :func:`core.figures.drill_from_points` (``a``, ``b``: the two splits' P of a difference, else None).
A label's task and value come from the pairs' columns, never from its name: a task may be called ``a=b``.
(Cells drawn as bars click too, but plotly.js took 0.55 s to draw 37 x 37 of
them against 0.16 s for this, in headless Chromium.)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._facets import colorbar_room, text_px
from ._palette import DIVERGING, SEQUENTIAL, style

MEASURES = {
    "conditional": "P(column | row)",
    "lift": "lift",
    "difference": "change in P(column | row)",
}
TICK_FONT = 11
AXIS_ROOM = 34  # px beside the tick labels for an axis title and its standoff
SIN_60 = 0.866  # the column labels slant at 60 degrees
PLOT_PX = 380  # px: the heatmap's plot width on a 1280 px screen (less the row labels and the colour bar)
BOLD = 1.12  # how much wider a bold label draws than text_px estimates
SHORT_VALUE = 3  # a value label this short (``B``, ``Q2``) is kept between the task names when labels crowd
LIFT_RANGE = 3.0  # log2 lift drawn from 1/8x to 8x; beyond is clipped to the end colours
SEPARATOR = "#444444"
MIN_SUPPORT = 30  # rows with the row label (in each split compared) below which a cell is faded
FADED = 0.25  # the opacity of a faded cell


PAIR_FIELDS = ("pair", "row_label", "col_label", "split", "value", "a", "b",
               "row_task", "row_value", "col_task", "col_value")  # a cell's customdata, in order


def _label_parts(pairs: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Each label's ``(task, value)``, read from the pairs' ``row_task`` and ``row_value`` columns."""
    missing = [c for c in ("row_task", "row_value", "col_task", "col_value") if c not in pairs.columns]
    if missing:
        raise ValueError(
            f"The pairs have no '{missing[0]}' column; pass Cooccurrence.to_frame() or "
            "CooccurrenceShift.to_frame(), which carry each label's task and value."
        )
    rows = pairs.drop_duplicates("row_label")
    return dict(zip(rows["row_label"], zip(rows["row_task"], rows["row_value"], strict=True), strict=True))


def _tick_text(labels: Sequence[str], parts: dict[str, tuple[str, str]], *, short: bool = False) -> list[str]:
    """``task=value`` for the first label of a task, the bare value for the rest: the task reads once.

    ``short`` drops a quantile bin's range (``Q1 (0.1–1.2)`` reads ``Q1``), for the slanted column labels.
    """
    text, previous = [], None
    for label in labels:
        task, value = parts[label]
        if short and value.startswith("Q") and " (" in value and value[1:].split(" (")[0].isdigit():
            value = value.split(" (")[0]
        text.append(f"<b>{task}</b>={value}" if task != previous else value)
        previous = task
    return text


def _thin_columns(text: list[str]) -> list[str]:
    """The column labels that fit side by side at :data:`PLOT_PX`, the others blank (they read on hover).

    Slanted labels ``TICK_FONT`` px high need ``TICK_FONT / sin 60`` px between them; with more labels than fit,
    a task's first label (its bold name) is kept whenever it is far enough from the last name kept, and a task's
    short values (``B``, ``Q2``: a few px of text) are kept between them.

    Examples
    --------
    >>> _thin_columns(["<b>a</b>=1", "2", "<b>b</b>=1"])
    ['<b>a</b>=1', '2', '<b>b</b>=1']
    >>> thinned = _thin_columns([f"<b>task {i}</b>=yes" for i in range(60)])
    >>> thinned[:3], sum(bool(t) for t in thinned)
    (['<b>task 0</b>=yes', '', ''], 20)
    """
    gap = int(np.ceil(TICK_FONT / SIN_60 / (PLOT_PX / max(len(text), 1))))
    if gap <= 1:
        return text
    kept, last = [], -gap
    for i, label in enumerate(text):
        named = label.startswith("<b>")
        keep = (named and i - last >= gap) or (not named and len(label) <= SHORT_VALUE)
        kept.append(label if keep else "")
        last = i if keep and named else last
    return kept


def _boundaries(labels: Sequence[str], parts: dict[str, tuple[str, str]]) -> list[float]:
    tasks = [parts[label][0] for label in labels]
    return [i - 0.5 for i in range(1, len(tasks)) if tasks[i] != tasks[i - 1]]


def _exclusive_tasks(pairs: pd.DataFrame) -> set[str]:
    """Tasks whose labels never share a row (one class per row): their within-task cells say nothing.

    Read from the counts (or the conditional probabilities) of the task's
    off-diagonal cells: all zero means the labels exclude each other.
    """
    within = pairs[(pairs["row_task"] == pairs["col_task"]) & (pairs["row_label"] != pairs["col_label"])]
    columns = [c for c in ("count", "conditional", "conditional_a", "conditional_b") if c in pairs.columns]
    if within.empty or not columns:
        return set()
    together = within[columns].fillna(0).abs().sum(axis=1) > 0
    touched = set(within.loc[together, "row_task"])
    return set(within["row_task"]) - touched


def _colour(values: np.ndarray, measure: str, scale: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
    """Colour values and the colour axis of a measure; a difference's range is set by ``scale`` (default all)."""
    if measure == "conditional":
        return values, {"colorscale": SEQUENTIAL, "cmin": 0.0, "cmax": 1.0,
                        "colorbar": {"title": {"text": "P(col | row)"}, "tickformat": ".0%"}}
    if measure == "lift":
        with np.errstate(divide="ignore"):
            logs = np.clip(np.log2(values), -LIFT_RANGE, LIFT_RANGE)
        ticks = np.arange(-LIFT_RANGE, LIFT_RANGE + 1)
        text = [f"{2 ** t:g}×" if t >= 0 else f"1/{2 ** -t:g}×" for t in ticks]
        return logs, {"colorscale": DIVERGING, "cmin": -LIFT_RANGE, "cmax": LIFT_RANGE,
                      "colorbar": {"title": {"text": "lift"}, "tickvals": ticks, "ticktext": text}}
    scale = values if scale is None or not np.isfinite(scale).any() else scale
    top = max(0.05, float(np.nanmax(np.abs(scale))) if np.isfinite(scale).any() else 0.05)
    return values, {"colorscale": DIVERGING, "cmin": -top, "cmax": top,
                    "colorbar": {"title": {"text": "Δ P(col | row)"}, "tickformat": "+.0%"}}


def _support(cells: pd.DataFrame, split: str, versus: str) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's support (rows with its row label; the fewer of two splits) and its hover line."""
    n = len(cells)
    if {"row_count_a", "row_count_b"} <= set(cells.columns):
        a, b = (cells[c].to_numpy(np.int64) for c in ("row_count_a", "row_count_b"))
        text = [f"n = {x:,} rows with {r} in {versus} · {y:,} in {split}"
                for r, x, y in zip(cells["row_label"], a, b, strict=True)]
        return np.minimum(a, b), np.asarray(text, dtype=object)
    if "row_count" in cells.columns:
        support = cells["row_count"].to_numpy(np.int64)
        both = cells["count"].to_numpy(np.int64) if "count" in cells.columns else None
        text = [f"n = {s:,} rows with {r}" + ("" if both is None else f", {k:,} with both")
                for r, s, k in zip(cells["row_label"], support, both if both is not None else support, strict=True)]
        return support, np.asarray(text, dtype=object)
    if "count" in cells.columns:
        return np.full(n, np.iinfo(np.int64).max), cells["count"].map("rows with both: {:,}".format).to_numpy(object)
    return np.full(n, np.iinfo(np.int64).max), np.full(n, "", dtype=object)


HOVER = {
    "conditional": "P(%{customdata[2]} | %{customdata[1]}) = %{customdata[4]:.1%}",
    "lift": "lift(%{customdata[1]}, %{customdata[2]}) = %{customdata[4]:.2f}<br>"
            "(together %{customdata[4]:.2f}× as often as if independent)",
    "difference": "P(%{customdata[2]} | %{customdata[1]}): %{customdata[5]:.1%} → %{customdata[6]:.1%} "
                  "(%{customdata[4]:+.1%})",
}


def cooccurrence_heatmap(
    pairs: pd.DataFrame,
    *,
    measure: str = "conditional",
    labels: Sequence[str] | None = None,
    split: str = "all",
    title: str | None = None,
    min_support: int = MIN_SUPPORT,
    versus: str | None = None,
) -> go.Figure:
    """Label x label heatmap of P(column | row), lift, or its change between two splits; cells are clickable.

    Labels are grouped by task (a line between tasks, the task named once);
    the diagonal, and the cells between two labels of a task whose labels
    never share a row, are left blank. Missing values (a label absent from the
    rows counted) are blank too.

    Parameters
    ----------
    pairs : DataFrame
        Long form: ``row_label``, ``col_label``, each label's task and value (``row_task``, ``row_value``,
        ``col_task``, ``col_value``) and the measure's column
        (``Cooccurrence.to_frame()`` has ``conditional``, ``lift`` and ``count``;
        ``CooccurrenceShift.to_frame()`` has ``difference``, ``conditional_a``,
        ``conditional_b``).
    measure : {"conditional", "lift", "difference"}
    labels : sequence of str, optional
        The labels to draw, in order (default: all, as they come).
    split : str
        The split the cells count (for the hover and the drill-down); for a
        difference, the split compared (``b`` of ``b - a``).
    min_support : int
        A cell whose row label has fewer rows than this (in either split, for a
        difference) is faded, and a difference's colour range ignores it: below
        30 rows one row moves a share by more than 3 points and the standard
        error of a share passes 9 points, so a strong colour would show a handful
        of rows. Read from ``row_count`` (``row_count_a``, ``row_count_b``);
        nothing is faded when the pairs lack them. Every cell's hover gives its n.
    versus : str, optional
        For a difference, the split it is taken from (``a`` of ``b - a``), named in the hover.

    Examples
    --------
    >>> pairs = pd.DataFrame({"row_label": ["a=0", "a=0", "b=1", "b=1"], "col_label": ["a=0", "b=1"] * 2,
    ...                       "row_task": ["a", "a", "b", "b"], "col_task": ["a", "b"] * 2,
    ...                       "row_value": ["0", "0", "1", "1"], "col_value": ["0", "1"] * 2,
    ...                       "count": [3, 1, 1, 2], "conditional": [1.0, 1 / 3, 0.5, 1.0]})
    >>> fig = cooccurrence_heatmap(pairs)
    >>> fig.data[0].type, fig.data[1].type, list(fig.data[1].customdata[0][:3])
    ('heatmap', 'scatter', ['pair', 'a=0', 'b=1'])
    >>> list(fig.data[1].customdata[0][7:])
    ['a', '0', 'b', '1']
    """
    if measure not in MEASURES:
        raise ValueError(f"measure={measure!r} is unknown; use one of {', '.join(MEASURES)}.")
    if measure not in pairs.columns:
        raise ValueError(f"The pairs have no '{measure}' column; pass the frame that holds it.")
    parts = _label_parts(pairs)
    labels = list(labels) if labels is not None else list(pd.unique(pairs["row_label"]))
    position = {label: i for i, label in enumerate(labels)}
    exclusive = _exclusive_tasks(pairs)
    cells = pairs[pairs["row_label"].isin(position) & pairs["col_label"].isin(position)]
    blank = (cells["row_label"] == cells["col_label"]) | (
        (cells["row_task"] == cells["col_task"]) & cells["row_task"].isin(exclusive)
    )
    cells = cells[~blank & cells[measure].notna()]
    values = cells[measure].to_numpy(np.float64)
    support, support_text = _support(cells, split, versus or "the other split")
    faint = support < min_support
    colour, coloraxis = _colour(values, measure, values[~faint])
    difference = measure == "difference"
    customdata = np.full((len(cells), len(PAIR_FIELDS)), None, dtype=object)  # the hover reads a and b
    customdata[:, 0], customdata[:, 1], customdata[:, 2] = "pair", cells["row_label"], cells["col_label"]
    customdata[:, 3], customdata[:, 4] = split, values
    if difference:
        customdata[:, 5] = cells["conditional_a"].to_numpy(np.float64)
        customdata[:, 6] = cells["conditional_b"].to_numpy(np.float64)
    for i, column in enumerate(PAIR_FIELDS[7:], start=7):
        customdata[:, i] = cells[column].astype(str)
    rows = cells["row_label"].map(position).to_numpy(np.int64)
    columns = cells["col_label"].map(position).to_numpy(np.int64)
    n = len(labels)
    grid, faint_grid = np.full((n, n), np.nan), np.full((n, n), np.nan)
    grid[rows[~faint], columns[~faint]] = colour[~faint]
    faint_grid[rows[faint], columns[faint]] = colour[faint]
    cell = int(np.clip(720 / max(n, 1), 12, 26))
    hover = HOVER[measure] + "<br>%{text}"
    traces = [
        go.Heatmap(  # the picture: one image, quick to draw
            z=grid, x=np.arange(n), y=np.arange(n), coloraxis="coloraxis", xgap=1, ygap=1, hoverinfo="skip",
        ),
        go.Scatter(  # the click and hover targets: one invisible marker per cell
            x=columns, y=rows, mode="markers", showlegend=False, customdata=customdata,
            marker={"symbol": "square", "size": cell - 2, "color": "rgba(0,0,0,0)"},
            selected={"marker": {"color": "rgba(0,0,0,0.35)"}}, unselected={"marker": {"opacity": 1}},
            text=support_text + np.where(faint, f"<br><i>fewer than {min_support} rows: faded</i>", ""),
            hovertemplate=hover + "<extra>%{customdata[3]}</extra>",
        ),
        go.Heatmap(  # cells of few rows, faded (drawn over the click targets, which stay clickable)
            z=faint_grid, x=np.arange(n), y=np.arange(n), coloraxis="coloraxis", xgap=1, ygap=1,
            hoverinfo="skip", opacity=FADED,
        ),
    ]
    column_text, row_text = _thin_columns(_tick_text(labels, parts, short=True)), _tick_text(labels, parts)
    ticks = {"tickvals": list(range(n)), "showgrid": False, "zeroline": False, "automargin": False,
             "tickfont": {"size": TICK_FONT}}
    line = {"color": SEPARATOR, "width": 1.2}
    separators = [  # one shapes list, given with the layout: one validation
        shape
        for edge in _boundaries(labels, parts)
        for shape in (
            {"type": "line", "xref": "x", "yref": "paper", "x0": edge, "x1": edge, "y0": 0, "y1": 1, "line": line},
            {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": edge, "y1": edge, "line": line},
        )
    ]
    coloraxis["colorbar"].update(thickness=14)
    # margins from the labels' lengths (no automargin, which makes plotly.js draw the chart twice)
    left = max((text_px(t, TICK_FONT) for t in row_text), default=0) + AXIS_ROOM
    # bold task names run ~12% wider than text_px's estimate: the longest was cut at the figure's foot
    bottom = max((text_px(t, TICK_FONT) * (BOLD if '<b>' in t else 1) for t in column_text), default=0) * SIN_60 \
        + TICK_FONT + AXIS_ROOM
    layout = {
        "xaxis": {**ticks, "ticktext": column_text, "range": [-0.5, n - 0.5], "tickangle": -60, "side": "bottom",
                  "title": {"text": "column label" if all(column_text) else "column label (tasks named where "
                            "they start; every label on hover)", "standoff": 6}},
        "yaxis": {**ticks, "ticktext": row_text, "range": [n - 0.5, -0.5], "title": {"text": "row label", "standoff": 6}},
        "coloraxis": coloraxis, "plot_bgcolor": "#f7f7f7", "shapes": separators, "hovermode": "closest",
    }
    if title is None:
        counted = "all data" if split == "all" else f"{split} rows"
        title = f"Co-occurrence across tasks: {MEASURES[measure]} ({counted})"
    fig = style(go.Figure(traces, layout), title=title, height=int(70 + cell * n + bottom))
    right = colorbar_room(coloraxis["colorbar"]["title"]["text"])
    return fig.update_layout(margin={"l": int(left), "b": int(bottom), "r": right})
