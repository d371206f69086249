"""Figures of a split itself: its sizes, and a strip of rows coloured by split."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._facets import wrap_title
from ._palette import split_colors, style

MAX_STRIP_BINS = 1200  # about one bar per screen pixel column of a wide chart
CAPTION_PX = 680  # px: the strip's caption wraps to this width (its plot area on a 1280 px laptop screen)


def split_sizes(sizes: pd.DataFrame, *, title: str = "Split sizes") -> go.Figure:
    """Horizontal bars of rows per split, with the share of all rows.

    Parameters
    ----------
    sizes : DataFrame with columns ``split``, ``rows``, ``share`` (``SplitResult.to_frame()``).

    Examples
    --------
    >>> fig = split_sizes(pd.DataFrame({"split": ["train", "test"], "rows": [8, 2], "share": [0.8, 0.2]}))
    >>> fig.data[0].type, list(fig.data[0].y)
    ('bar', ['train'])
    """
    colors = split_colors(sizes["split"])
    fig = go.Figure()
    for row in sizes.itertuples(index=False):
        fig.add_trace(
            go.Bar(
                x=[row.rows], y=[row.split], orientation="h", name=row.split,
                marker_color=colors[row.split], text=[f"{row.rows:,} rows · {row.share:.1%}"],
                textposition="auto", hovertemplate=f"{row.split}: %{{x:,}} rows ({row.share:.1%})<extra></extra>",
                showlegend=False,
            )
        )
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(title="rows")
    return style(fig, title=title, height=90 + 38 * len(sizes))


def strip_order(frame: pd.DataFrame, by: list[str] | tuple[str, ...] = ()) -> np.ndarray:
    """Row positions sorted by the columns ``by`` (the first is the primary key), else as in the data.

    Examples
    --------
    >>> strip_order(pd.DataFrame({"g": ["b", "a", "b"], "t": [2, 1, 1]}), ["g", "t"]).tolist()
    [1, 2, 0]
    """
    if not by:
        return np.arange(len(frame))
    keys = [pd.factorize(frame[column], sort=True)[0] for column in reversed(list(by))]
    return np.lexsort(keys)


def fold_strip(
    assignment: pd.Series,
    order: np.ndarray | None = None,
    *,
    split_names: list[str] | None = None,
    ordered_by: str = "row order",
    max_bins: int = MAX_STRIP_BINS,
    title: str = "Where each split's rows are",
) -> go.Figure:
    """Rows as thin bars coloured by split, like sklearn's ``plot_cv_indices``.

    On large data the rows are binned to ``max_bins`` bars; each bar stacks the
    share of each split among its rows, so nothing is sampled away.

    Examples
    --------
    >>> fig = fold_strip(pd.Series(["train", "test", "train", "val"]))
    >>> [trace.name for trace in fig.data]
    ['train', 'test', 'val']
    """
    values = assignment.to_numpy()
    if order is not None:
        values = values[order]
    names = list(split_names) if split_names is not None else list(pd.unique(values))
    codes = pd.Categorical(values, categories=names).codes
    n = len(values)
    n_bins = max(1, min(n, max_bins))
    bin_of_row = (np.arange(n) * n_bins) // max(n, 1)
    counts = np.bincount(bin_of_row * len(names) + np.maximum(codes, 0), minlength=n_bins * len(names))
    counts = counts.reshape(n_bins, len(names))
    per_bin = counts.sum(axis=1)
    first_row = np.searchsorted(bin_of_row, np.arange(n_bins))
    hover = [f"rows {first_row[b] + 1:,}–{first_row[b] + per_bin[b]:,}" for b in range(n_bins)]
    colors = split_colors(names)
    fig = go.Figure()
    for j, name in enumerate(names):
        share = counts[:, j] / np.maximum(per_bin, 1)
        fig.add_trace(
            go.Bar(
                x=np.arange(n_bins), y=share, name=name, marker={"color": colors[name], "line": {"width": 0}},
                customdata=np.c_[counts[:, j], hover], width=1.0,
                hovertemplate=f"{name}: %{{customdata[0]:,}} rows<br>%{{customdata[1]}}<extra></extra>",
            )
        )
    rows_per_bar = "1 row" if n_bins == n else f"≈{n / n_bins:,.0f} rows"
    fig.update_layout(barmode="stack", bargap=0, legend={"traceorder": "normal"})
    fig.update_yaxes(visible=False, range=[0, 1])
    # long column names (a group's first time, then the group, then the time) wrap: one line ran past both ends
    caption = wrap_title(f"{n:,} rows ordered by {ordered_by} · each bar {rows_per_bar}", CAPTION_PX, size=13)
    more = caption.count("<br>") * 18
    fig.update_xaxes(title=caption, showticklabels=False)
    return style(fig, title=title, height=210 + more).update_layout(margin_b=50 + more)
