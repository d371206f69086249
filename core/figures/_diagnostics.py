"""Figures of a split's diagnostics: task association and verdict tables; label distributions re-exported.

Every function takes a tidy frame from :mod:`core.diagnostics` (``to_frame()``
or one of its fields) and returns a ``go.Figure``. The label distribution
figures live in :mod:`core.figures._distribution` and are re-exported here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._distribution import (  # noqa: F401  (re-exported: this module named them first)
    label_distribution_bars,
    label_distribution_grid,
    regression_histogram,
)
from ._facets import colorbar_room, text_px
from ._palette import SEQUENTIAL, status_color, style

SIDE_BY_SIDE = 380  # px of task names that fit under an association heatmap half a page wide
MANY_TASKS = 12  # above this, the association heatmap takes the page's width and shows its values on hover

__all__ = ["MANY_TASKS", "association_heatmap", "leakage_table", "scorecard_table"]

# Cramér's V reaches 1 as soon as the task of fewer classes is a function of the other (a digit fixes even/odd)
ASSOCIATION_SCALE = "0 = independent, 1 = one task fixes the other (the one with fewer classes)"


def association_heatmap(matrix: pd.DataFrame, *, title: str = "Task association (Cramér's V)") -> go.Figure:
    """Task x task Cramér's V as a heatmap with the value in each cell; the trivial diagonal is left blank.

    Every task is named on both axes; above :data:`MANY_TASKS` tasks the cells are smaller and the values show
    on hover (the page then gives the chart its whole width).

    A pair with no row labelled for both tasks has no V and reads ``n/a``.

    Parameters
    ----------
    matrix : DataFrame
        Task x task, e.g. ``TaskAssociation.whole`` or one of ``.matrices``.

    Examples
    --------
    >>> matrix = pd.DataFrame([[1.0, 0.3], [0.3, 1.0]], index=["a", "b"], columns=["a", "b"])
    >>> fig = association_heatmap(matrix)
    >>> fig.data[0].type, list(fig.data[0].x)
    ('heatmap', ['a', 'b'])
    """
    values = matrix.to_numpy(dtype=np.float64).copy()
    np.fill_diagonal(values, np.nan)
    text = np.where(np.isnan(values), "n/a", np.vectorize(lambda v: f"{v:.2f}")(np.nan_to_num(values)))
    np.fill_diagonal(text, "")  # undefined off the diagonal: no row is labelled for both tasks
    top = np.nanmax(values) if np.isfinite(values).any() else 0.0
    fig = go.Figure(
        go.Heatmap(
            z=values, x=list(matrix.columns), y=list(matrix.index), text=text, texttemplate="%{text}",
            colorscale=SEQUENTIAL, zmin=0.0, zmax=max(0.5, float(top)), xgap=2, ygap=2,
            colorbar={"title": {"text": "Cramér's V"}, "thickness": 14},
            hovertemplate="%{y} × %{x}: V = %{z:.3f}<extra></extra>", hoverongaps=False,
        )
    )
    names = [str(name) for name in matrix.columns]
    longest = max((text_px(name) for name in names), default=0.0)
    slant = longest * len(names) > SIDE_BY_SIDE  # the names may not fit side by side: keep room to slant them
    below = longest * 0.5 + 12 if slant else 16  # sin 30 degrees
    if len(names) > MANY_TASKS:  # small cells: the value on hover, every name at 30 degrees
        heatmap = fig.data[0]
        heatmap.update(texttemplate=None, xgap=1, ygap=1)
    # every task named (plotly skips every other category label when they crowd)
    fig.update_yaxes(autorange="reversed", title=None, automargin=False, dtick=1)
    fig.update_xaxes(title=None, side="bottom", automargin=False, dtick=1,
                     tickangle=30 if slant else 0)
    fig.add_annotation(
        text=ASSOCIATION_SCALE, xref="paper", yref="paper",
        x=0, y=1.0, yanchor="bottom", showarrow=False, font={"size": 12, "color": "#555"},
    )
    style(fig, title=title, height=int(max(320, 100 + (44 if len(matrix) <= MANY_TASKS else 30) * len(matrix) + below)))
    # margins from the names' lengths (no automargin, which makes plotly.js draw the chart twice)
    right = colorbar_room("Cramér's V")
    return fig.update_layout(margin={"l": int(longest + 14), "b": int(below + 14), "r": right})


def _status_table(header: list[str], columns: list[list], statuses: list[str], widths: list[float]) -> go.Figure:
    """A table whose status column is coloured by verdict (for the HTML report; the page uses widgets)."""
    fill = [["white"] * len(statuses) for _ in columns]
    fill[1] = [status_color(s) for s in statuses]
    font_colors = [["#222"] * len(statuses) for _ in columns]
    font_colors[1] = ["white"] * len(statuses)
    return go.Figure(
        go.Table(
            columnwidth=widths,
            header={"values": [f"<b>{h}</b>" for h in header], "align": "left", "fill_color": "#f0f2f6"},
            cells={"values": columns, "align": "left", "fill_color": fill, "font": {"color": font_colors},
                   "height": 26},
        )
    )


def scorecard_table(card: pd.DataFrame, *, title: str = "Split quality") -> go.Figure:
    """The scorecard (``core.diagnostics.scorecard``) as a table: score, verdict, value, threshold, reading.

    Examples
    --------
    >>> card = pd.DataFrame({"score": ["LD"], "name": ["Label distribution"], "value": [0.01],
    ...     "status": ["pass"], "threshold": ["pass < 0.5"], "reading": ["LD 0.01: fine."]})
    >>> list(scorecard_table(card).data[0].cells.values[1])
    ['pass']
    """
    statuses = list(card["status"])
    columns = [
        [f"{s} · {n}" for s, n in zip(card["score"], card["name"], strict=True)], statuses,
        [f"{v:.3g}" for v in card["value"]], list(card["threshold"]), list(card["reading"]),
    ]
    fig = _status_table(["score", "verdict", "value", "threshold", "reading"], columns, statuses, [2, 1, 1, 2.4, 6])
    return style(fig, title=title, height=90 + 52 * len(card))


def leakage_table(checks: pd.DataFrame, *, title: str = "Leakage checks") -> go.Figure:
    """The leakage checks (``LeakageReport.to_frame()``) as a table: check, verdict, detail.

    Examples
    --------
    >>> checks = pd.DataFrame({"check": ["group"], "title": ["Groups in more than one split"],
    ...     "status": ["fail"], "detail": ["3 groups of 'nr' sit in two splits."]})
    >>> list(leakage_table(checks).data[0].cells.values[1])
    ['fail']
    """
    statuses = list(checks["status"])
    columns = [list(checks["title"]), statuses, list(checks["detail"])]
    fig = _status_table(["check", "verdict", "detail"], columns, statuses, [2.2, 0.8, 7])
    return style(fig, title=title, height=90 + 56 * len(checks))
