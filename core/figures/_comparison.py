"""Split strategies side by side: a small-multiples chart of their scores.

Both read ``StrategyComparison.to_frame()`` (:func:`core.diagnostics.compare_strategies`):
one row per config with ``config``, ``strategy``, ``n_splits``, ``ld``,
``lpd``, ``ed_share``, ``fz``, ``flz``, ``worst_js``, ``groups_split`` and
``error``. Which to pick and why, the chart's reading in words, is
:func:`core.diagnostics.recommend_strategy`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._palette import HIGHLIGHT, NEUTRAL, style

SCORES = (
    ("ld", "LD (labels)"),
    ("lpd", "LPD (label pairs)"),
    ("worst_js", "worst JS distance"),
    ("ed_share", "ED (share of rows)"),
    ("groups_split", "groups split"),
)
SPACING = 0.06  # between the small multiples, a share of the width
INF_HEIGHT = 1.4  # an infinite score's bar reaches this many times the largest finite one
INF_ROOM = 1.3  # the axis top, over the infinite bar: room for its label
INFINITE = "∞<br>undefined"


def _usable(comparison: pd.DataFrame) -> pd.DataFrame:
    errors = comparison["error"].fillna("").astype(str) if "error" in comparison.columns else ""
    return comparison[(errors == "") & comparison["ld"].notna()]


def strategy_comparison(
    comparison: pd.DataFrame, *, recommended: str | None = None, title: str = "Strategies side by side (lower is better)"
) -> go.Figure:
    """One small bar chart per score, a bar per config; the recommended config stands out in colour.

    Configs that could not split are left out (their error is in the table).
    ``groups split`` is drawn only when the comparison counted groups.

    Examples
    --------
    >>> comparison = pd.DataFrame({"config": ["random", "stratified"], "ld": [0.06, 0.001],
    ...     "lpd": [0.003, 0.0001], "worst_js": [0.004, 0.0002], "ed_share": [0.0, 0.0],
    ...     "groups_split": [float("nan")] * 2, "error": ["", ""]})
    >>> fig = strategy_comparison(comparison, recommended="stratified")
    >>> fig.data[0].type, list(fig.data[0].x), len(fig.data)
    ('bar', ['random', 'stratified'], 4)
    """
    usable = _usable(comparison)
    scores = [(c, t) for c, t in SCORES if c in usable.columns and usable[c].notna().any()]
    configs = list(usable["config"])
    colors = [HIGHLIGHT if c == recommended else NEUTRAL for c in configs]
    # the small multiples laid out by hand, in one layout (make_subplots and an update per axis took 4x longer)
    width = (1 - SPACING * (len(scores) - 1)) / max(len(scores), 1)
    traces, layout = [], {"annotations": []}
    for i, (column, name) in enumerate(scores):
        axis = "" if i == 0 else str(i + 1)
        values = usable[column].to_numpy(dtype=float)
        infinite = np.isinf(values)
        finite = values[np.isfinite(values)]
        # an infinite score is a hatched bar to the axis top, marked "∞ (undefined)": no bar would read as 0, the best
        top = (finite.max() if finite.size and finite.max() > 0 else 1.0) * (INF_HEIGHT if infinite.any() else 1.0)
        heights = np.where(infinite, top, values)
        traces.append(go.Bar(
            x=configs, y=heights, marker_color=colors, name=name, showlegend=False, xaxis=f"x{axis}", yaxis=f"y{axis}",
            marker_pattern_shape=["/" if inf else "" for inf in infinite],
            text=[_short(v, column) for v in values], textposition="outside", cliponaxis=False,
            hovertemplate="%{x}: " + name + " %{text}<extra></extra>",
        ))
        left = i * (width + SPACING)
        layout[f"xaxis{axis}"] = {"domain": [left, left + width], "anchor": f"y{axis}", "tickangle": -30,
                                  "automargin": False}
        layout[f"yaxis{axis}"] = {"anchor": f"x{axis}", "rangemode": "tozero", "showticklabels": False,
                                  "automargin": False}
        if infinite.any():  # room above the bar for its two-line label, below the panel's title
            layout[f"yaxis{axis}"]["range"] = [0, top * INF_ROOM]
        layout["annotations"].append({"text": name, "x": left + width / 2, "y": 1.0, "xref": "paper", "yref": "paper",
                                      "xanchor": "center", "yanchor": "bottom", "showarrow": False,
                                      "font": {"size": 13}})
    if recommended in configs:
        layout["annotations"].append({
            "text": f"■ recommended: {recommended}", "font": {"color": HIGHLIGHT, "size": 13}, "showarrow": False,
            "xref": "paper", "yref": "paper", "x": 1.0, "xanchor": "right", "y": 1.16, "yanchor": "bottom",
        })
    fig = style(go.Figure(traces, layout), title=title, height=340)
    fig.update_layout(uniformtext={"minsize": 10, "mode": "show"})  # plotly shrinks a label wider than its bar
    # room for the slanted names (sin 30 degrees), set here: plotly's automargin would draw the chart twice
    below = max((len(str(c)) for c in configs), default=0) * 12 * 0.62 * 0.5 + 24
    return fig.update_layout(margin={"l": 40, "b": int(below)})


def _short(value: float, column: str) -> str:
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return INFINITE
    if column == "groups_split":
        return f"{value:,.0f}"
    if column == "ed_share":
        return f"{value:.2%}"
    return f"{value:.2g}" if value else "0"
