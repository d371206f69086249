"""Label distributions per split: one task's bars or histogram, or every task in one faceted figure.

Every function takes a tidy frame of :func:`core.diagnostics.label_distribution`
(``.counts``, ``.histogram``) and returns a ``go.Figure``; splits keep their one
colour (:mod:`core.figures._palette`). A task is drawn the same way alone or as a
facet: a :class:`_Facet` (:mod:`core.figures._facets`) holds its traces, axes and
title, and the single-task figures and the grid here are two ways of laying facets out. Clickable marks carry
``customdata`` whose first item names the kind of selection (``"label"`` or
``"range"``), which :func:`core.figures.drill_from_points` turns back
into rows.

The grid sets every margin and gap itself (no plotly ``automargin``): an
automatic margin makes plotly.js lay a chart out twice, which doubled its
drawing time in the browser (0.13 s against 0.06 s for the co-occurrence
heatmap, headless Chromium).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import pandas as pd
import plotly.graph_objects as go

from ._facets import (
    LEGEND_ROOM,
    STANDOFF,
    TICK_FONT,
    TITLE_COLOR,
    TITLE_FONT,
    TITLE_LINE,
    WHOLE,
    _bar_facet,
    _Facet,
    _histogram_facet,
    _labelled_note,
    _rate_facet,
    wrap_title,
)
from ._palette import style

# --------------------------------------------------------------------------- one task per figure


def _single(facet: _Facet, title: str | None, height: int) -> go.Figure:
    """A facet as a figure of its own (the HTML report's way), its title above the legend."""
    fig = go.Figure(facet.traces, {"shapes": facet.shapes})
    fig.update_xaxes(**facet.x_axis, automargin=True)
    fig.update_yaxes(**facet.y_axis, automargin=True)
    fig.update_layout(bargap=0.25, bargroupgap=0.05, **facet.layout)
    title = facet.title if title is None else title
    return _room_for_subtitles(style(fig, title=title, height=height), title)


def label_distribution_bars(
    counts: pd.DataFrame, *, max_labels: int = 30, title: str | None = None
) -> go.Figure:
    """Grouped bars: each label's share of every split's rows, one colour per split, counts on hover.

    Missing labels are their own hatched bar, drawn only when the task has any.
    A multilabel task's bars do not sum to 1 (a row can carry several labels).
    With more than ``max_labels`` labels, the ones whose share differs most
    between splits are drawn and the title says so; from 16 labels on the bars
    lie down.

    Parameters
    ----------
    counts : DataFrame
        The rows of ONE task from ``LabelDistribution.counts``: ``task``,
        ``kind``, ``split`` (with ``all`` for the whole data, used on hover),
        ``label``, ``is_missing``, ``count``, ``split_rows``, ``fraction``,
        ``fraction_labelled``.

    Examples
    --------
    >>> counts = pd.DataFrame({
    ...     "task": "y", "kind": "binary", "split": ["train"] * 3 + ["all"] * 3,
    ...     "label": ["a", "b", "(missing)"] * 2, "is_missing": [False, False, True] * 2,
    ...     "count": [3, 1, 0, 3, 1, 0], "split_rows": 4, "fraction": [0.75, 0.25, 0.0] * 2,
    ...     "fraction_labelled": [0.75, 0.25, None] * 2})
    >>> fig = label_distribution_bars(counts)
    >>> fig.data[0].type, list(fig.data[0].x), fig.data[0].y.tolist()
    ('bar', ['a', 'b'], [0.75, 0.25])
    """
    facet = _bar_facet(counts, max_labels)
    horizontal = facet.traces[0]["orientation"] == "h" if facet.traces else False
    height = 130 + facet.plot_height if horizontal else 340
    return _single(facet, title, max(300, height))

def binary_rate_bars(counts: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """A binary task as its positive rate per split (one bar per split), as the Diagnostics page draws it.

    Falls back to :func:`label_distribution_bars` when the task has not two labelled classes.

    Examples
    --------
    >>> counts = pd.DataFrame({
    ...     "task": "y", "kind": "binary", "split": ["train"] * 3 + ["all"] * 3,
    ...     "label": ["0", "1", "(missing)"] * 2, "is_missing": [False, False, True] * 2,
    ...     "count": [3, 1, 0, 3, 1, 0], "split_rows": 4, "fraction": [0.75, 0.25, 0.0] * 2,
    ...     "fraction_labelled": [0.75, 0.25, None] * 2})
    >>> fig = binary_rate_bars(counts)
    >>> fig.data[0].type, list(fig.data[0].x), list(fig.data[0].y)
    ('bar', ['train'], [0.25])
    """
    facet = _rate_facet(counts)
    if facet is None:
        return label_distribution_bars(counts, title=title)
    return _single(facet, title, 130 + facet.plot_height)


def _room_for_subtitles(fig: go.Figure, title: str) -> go.Figure:
    """More top margin for each ``<br>`` line of the title, so subtitles clear the legend above the plot."""
    extra = title.count("<br>")
    if extra:
        fig.update_layout(margin_t=fig.layout.margin.t + 18 * extra, height=fig.layout.height + 18 * extra)
    # the title hangs from the top edge, so a tall figure does not push it down onto the legend
    fig.update_layout(title={"y": 1.0, "yref": "container", "yanchor": "top", "pad": {"t": 14}})
    return fig


def regression_histogram(
    histogram: pd.DataFrame, *, missing: Mapping[str, float] | None = None, title: str | None = None
) -> go.Figure:
    """Overlaid histograms (step outlines, a marker per bin) of a regression target, one colour per split.

    A target with few distinct values (more than a quarter of the bins empty,
    e.g. hours of TV as whole numbers) is drawn as grouped bars on the filled
    bins instead. The title notes the share of rows with no value per split.

    Parameters
    ----------
    histogram : DataFrame
        The rows of ONE task from ``LabelDistribution.histogram``: ``task``,
        ``split``, ``bin``, ``left``, ``right``, ``count``, ``fraction`` (of the
        split's labelled rows). The end bins also hold the values beyond them.
    missing : mapping of split name to share of its rows with no value, optional
        Shown in the title when any is above zero.

    Examples
    --------
    >>> histogram = pd.DataFrame({"task": "y", "split": ["train", "train", "test", "test"],
    ...     "bin": [0, 1, 0, 1], "left": [0.0, 1.0] * 2, "right": [1.0, 2.0] * 2,
    ...     "count": [3, 1, 1, 1], "fraction": [0.75, 0.25, 0.5, 0.5]})
    >>> fig = regression_histogram(histogram)
    >>> fig.data[0].type, fig.data[0].x.tolist(), fig.layout.xaxis.title.text
    ('scatter', [0.5, 1.5], 'value (edge bins hold the outer 1% each side)')
    """
    return _single(_histogram_facet(histogram, missing), title, 340)


# --------------------------------------------------------------------------- every task in one figure


def _missing_shares(counts: pd.DataFrame, task: str) -> dict[str, float]:
    rows = counts[(counts["task"] == task) & counts["is_missing"].astype(bool) & (counts["split"] != WHOLE)]
    return dict(zip(rows["split"], rows["fraction"].astype(float), strict=True))


def _facets(counts: pd.DataFrame, histogram: pd.DataFrame, max_labels: int, width: float,
            binary_rates: bool) -> list[_Facet]:
    facets = []
    kinds = counts.drop_duplicates("task").set_index("task")["kind"]
    if binary_rates:  # the binary tasks' short facets first, side by side, then the taller ones
        kinds = pd.concat([kinds[kinds == "binary"], kinds[kinds != "binary"]])
    for task, kind in kinds.items():
        rows = counts[counts["task"] == task]
        if kind == "regression" and (histogram["task"] == task).any():
            facets.append(_histogram_facet(histogram[histogram["task"] == task], _missing_shares(counts, task),
                                           _labelled_note(rows)))
            continue
        rate = _rate_facet(rows) if binary_rates and kind == "binary" else None
        facets.append(rate or _bar_facet(rows, max_labels, width))
    return facets


def label_distribution_grid(
    counts: pd.DataFrame,
    histogram: pd.DataFrame,
    *,
    columns: int = 2,
    max_labels: int = 30,
    width: int = 1000,
    title: str | None = None,
    binary_rates: bool = True,
) -> go.Figure:
    """Every task's label distribution in one figure: a facet per task, one legend, one colour per split.

    Each facet is what :func:`label_distribution_bars` (or, for a regression
    task, :func:`regression_histogram`) draws alone, titled the same way, with
    the same hover and ``customdata``, so a click drills down from here too.
    One legend names the splits; a click on it shows or hides a split in every
    facet. The margins and gaps are set from the labels' lengths for a figure
    about ``width`` px wide (plotly's automatic margins would draw it twice).

    Parameters
    ----------
    counts : DataFrame
        ``LabelDistribution.counts`` of all tasks (their order is the facets').
    histogram : DataFrame
        ``LabelDistribution.histogram``: regression tasks are drawn from it.
    columns : int
        Facets per row.
    binary_rates : bool
        Draw a binary task as its positive rate per split (one bar per split,
        over its labelled rows, the whole data's rate a dotted line) instead of
        a bar per class: seven 0/1 tasks then read at a glance. The positive
        class is :func:`positive_label`'s. Binary facets come first, so their
        short facets share rows.

    Examples
    --------
    >>> counts = pd.DataFrame({
    ...     "task": ["u"] * 4 + ["v"] * 4, "kind": "binary", "split": ["train", "train", "all", "all"] * 2,
    ...     "label": ["0", "1"] * 4, "is_missing": False, "count": 1, "split_rows": 2, "fraction": 0.5,
    ...     "fraction_labelled": 0.5})
    >>> fig = label_distribution_grid(counts, counts.iloc[:0])
    >>> [t.xaxis for t in fig.data], [a.text for a in fig.layout.annotations]
    (['x', 'x2'], ['<b>u (binary) · share u=1</b>', '<b>v (binary) · share v=1</b>'])
    >>> fig.data[0].x, fig.data[0].y  # a binary task: its positive rate, one bar per split
    (('train',), (0.5,))
    """
    facets = _facets(counts, histogram, max_labels, (width - 60) / columns - 60, binary_rates)
    rows = [facets[i:i + columns] for i in range(0, len(facets), columns)]
    x_domains, plot_width = _column_domains(rows, columns, width)
    # a title wider than its column would run under the next facet's: it wraps to the column's width
    facets = [replace(facet, title=wrap_title(facet.title, (x_domains[k % columns][1] - x_domains[k % columns][0])
                                              * plot_width + 16)) for k, facet in enumerate(facets)]
    rows = [facets[i:i + columns] for i in range(0, len(facets), columns)]
    top_room = LEGEND_ROOM + (40 if title else 0)  # px above the facets: the legend, and the title if any
    y_domains, height = _row_domains(rows, top_room)
    layout: dict = {"annotations": [], "barmode": "group", "bargap": 0.25, "bargroupgap": 0.05,
                    "hovermode": "closest"}
    traces, seen = [], set()
    for k, facet in enumerate(facets, start=1):
        suffix = "" if k == 1 else str(k)
        x_axis, y_axis, caption = _facet_axes(facet, suffix, x_domains[(k - 1) % columns], y_domains[(k - 1) // columns])
        layout.update({f"xaxis{suffix}": x_axis, f"yaxis{suffix}": y_axis})
        layout["annotations"].append(caption)
        layout.setdefault("shapes", []).extend(
            {**shape, "xref": shape["xref"].replace("x", f"x{suffix}", 1),
             "yref": shape["yref"].replace("y", f"y{suffix}", 1)} for shape in facet.shapes
        )
        for trace in facet.traces:
            traces.append({**trace, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}", "legendgroup": trace["name"],
                           "showlegend": trace["name"] not in seen})
            seen.add(trace["name"])
    fig = style(go.Figure(traces, layout), title=title, height=height)
    return fig.update_layout(margin={"l": _left_room(rows, 0), "r": 20, "t": top_room, "b": 10},
                             legend={"y": 1, "yanchor": "bottom", "yref": "paper"})


def _left_room(rows: list[list[_Facet]], column: int) -> float:
    """The room (px) the facets of a column need left of their plots: tick labels and axis title."""
    return max((row[column].left for row in rows if column < len(row)), default=0.0)


def _column_domains(rows: list[list[_Facet]], columns: int, width: int) -> tuple[list[list[float]], float]:
    """Each column's x domain, and the plot area's width (px), for a figure about ``width`` px wide.

    Widths are shares of the plot area, so the gap before a column fits its y tick labels and title at that width.
    """
    gaps = [0.0, *(_left_room(rows, c) + 24 for c in range(1, columns))]  # px before each column
    plot_width = max(width - _left_room(rows, 0) - 20, 200)
    column_width = (1 - sum(gaps) / plot_width) / columns
    x_domains, start = [], 0.0
    for gap in gaps:
        start += gap / plot_width
        x_domains.append([start, start + column_width])
        start += column_width
    return x_domains, plot_width


def _row_domains(rows: list[list[_Facet]], top_room: int) -> tuple[list[list[float]], int]:
    """Each row's y domain and the figure's height (px): a row takes its tallest title, plot and x axis, exactly."""
    rooms = [(max(TITLE_LINE * (1 + f.title.count("<br>")) for f in row) + 6,
              max(f.plot_height for f in row), max(f.below for f in row)) for row in rows]
    paper = sum(sum(room) for room in rooms)  # the plot area's height in px: domains are shares of it
    y_domains, top = [], paper
    for above, plot, below in rooms:
        top -= above
        y_domains.append([max(top - plot, 0) / paper, top / paper])
        top -= plot + below
    return y_domains, int(top_room + paper + 10)


def _facet_axes(facet: _Facet, suffix: str, x_domain: list[float], y_domain: list[float]):
    """A facet's x and y axes in the grid and its title (an annotation over its top left corner)."""
    x_axis = {**facet.x_axis, "domain": x_domain, "anchor": f"y{suffix}", "automargin": False,
              "title": {**facet.x_axis["title"], "standoff": STANDOFF}}
    y_axis = {**facet.y_axis, "domain": y_domain, "anchor": f"x{suffix}", "automargin": False,
              "title": {**facet.y_axis["title"], "standoff": STANDOFF, "font": {"size": TICK_FONT}}}
    lines = facet.title.split("<br>")
    heading = next((i for i, line in enumerate(lines) if line.startswith("<sup>")), len(lines))  # the notes' first
    caption = {
        "text": "<br>".join([f"<b>{line}</b>" for line in lines[:heading]] + lines[heading:]),
        "xref": f"x{suffix} domain",
        "yref": f"y{suffix} domain", "x": 0, "y": 1, "xanchor": "left", "yanchor": "bottom", "yshift": 4,
        "align": "left", "showarrow": False, "font": {"size": TITLE_FONT, "color": TITLE_COLOR},
    }
    return x_axis, y_axis, caption
