"""Figures of a split's diagnostics: label distributions per split, task association, verdict tables.

Every function takes a tidy frame from :mod:`core.diagnostics` (``to_frame()``
or one of its fields) and returns a ``go.Figure``; splits keep their one colour
(:mod:`core.figures.palette`). Clickable marks carry ``customdata`` whose first
item names the kind of selection (``"label"`` or ``"range"``), which
:func:`core.figures.drilldown.drill_from_points` turns back into rows.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.figures.palette import SEQUENTIAL, split_colors, status_color, style

WHOLE = "all"  # core.diagnostics.WHOLE, the whole data's rows in a distribution
MISSING = "(missing)"  # core.diagnostics.MISSING
MISSING_PATTERN = "/"
HORIZONTAL_FROM = 16  # labels; from this many on, bars lie down so their names stay readable
GAPPY_SHARE = 0.25  # a histogram with more empty bins than this draws bars on the filled bins


def _one_task(frame: pd.DataFrame) -> tuple[str, str]:
    tasks = pd.unique(frame["task"])
    if len(tasks) != 1:
        raise ValueError(f"Give the rows of one task; got {len(tasks)} tasks ({', '.join(map(str, tasks[:5]))}).")
    kind = str(frame["kind"].iloc[0]) if "kind" in frame.columns else ""
    return str(tasks[0]), kind


def _splits(frame: pd.DataFrame) -> list[str]:
    return [s for s in pd.unique(frame["split"]) if s != WHOLE]


def _shown_labels(counts: pd.DataFrame, max_labels: int) -> tuple[list[str], int]:
    """The labels to draw, in their order: all, or the ``max_labels`` whose share differs most between splits."""
    labelled = counts[~counts["is_missing"].astype(bool)]
    labels = list(pd.unique(labelled["label"]))
    if len(labels) <= max_labels:
        return labels, len(labels)
    share = labelled.pivot_table(index="label", columns="split", values="fraction", aggfunc="first")
    whole = share[WHOLE] if WHOLE in share.columns else share.mean(axis=1)
    gap = share.drop(columns=[WHOLE], errors="ignore").sub(whole, axis=0).abs().max(axis=1)
    kept = set(gap.nlargest(max_labels).index)
    return [label for label in labels if label in kept], len(labels)


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
    task, kind = _one_task(counts)
    labels, n_labels = _shown_labels(counts, max_labels)
    has_missing = bool(counts.loc[counts["is_missing"].astype(bool), "count"].sum() > 0)
    shown = [*labels, MISSING] if has_missing else labels
    whole = counts[counts["split"] == WHOLE].set_index("label")["fraction"]
    horizontal = len(shown) >= HORIZONTAL_FROM
    colors = split_colors(_splits(counts))
    fig = go.Figure()
    for split, color in colors.items():
        rows = counts[counts["split"] == split].set_index("label").reindex(shown)
        missing = [label == MISSING for label in shown]
        customdata = np.empty((len(shown), 8), dtype=object)
        customdata[:, 0], customdata[:, 1], customdata[:, 2], customdata[:, 3] = "label", task, shown, split
        customdata[:, 4] = rows["count"].fillna(0).astype(np.int64).to_numpy()
        customdata[:, 5] = rows["split_rows"].fillna(0).astype(np.int64).to_numpy()
        customdata[:, 6] = rows["fraction_labelled"].to_numpy(dtype=np.float64)
        customdata[:, 7] = whole.reindex(shown).to_numpy(dtype=np.float64)
        values = rows["fraction"].to_numpy(dtype=np.float64)
        fig.add_trace(
            go.Bar(
                x=values if horizontal else shown, y=shown if horizontal else values,
                orientation="h" if horizontal else "v", name=split,
                marker={
                    "color": color, "opacity": [0.55 if m else 1.0 for m in missing],
                    "pattern": {"shape": [MISSING_PATTERN if m else "" for m in missing], "fgcolor": "white"},
                },
                customdata=customdata,
                hovertemplate=(
                    "<b>%{customdata[3]}</b> · " + f"{task}=" + "%{customdata[2]}<br>"
                    "%{customdata[4]:,} of %{customdata[5]:,} rows (%{" + ("x" if horizontal else "y") + ":.1%})"
                    "<br>of labelled rows: %{customdata[6]:.1%}<br>all data: %{customdata[7]:.1%}<extra></extra>"
                ),
            )
        )
    share_axis = {"title": "share of the split's rows", "tickformat": ".0%", "rangemode": "tozero"}
    label_axis = {"title": task, "type": "category"}
    if horizontal:
        fig.update_xaxes(**share_axis)
        fig.update_yaxes(**label_axis, autorange="reversed", automargin=True)
    else:
        fig.update_yaxes(**share_axis)
        fig.update_xaxes(**label_axis, automargin=True)
    fig.update_layout(barmode="group", bargap=0.25, bargroupgap=0.05)
    if title is None:
        note = {"multilabel": " · a row can have several labels", "regression": " · quantile bins"}.get(kind, "")
        title = f"{task} ({kind}{note})" if kind else task
        if n_labels > len(labels):
            title += f"<br><sup>{len(labels)} of {n_labels} labels: those whose share differs most between splits</sup>"
        if has_missing:
            title += "<br><sup>hatched: rows with no label for this task</sup>"
    height = 130 + 11 * len(shown) * len(colors) if horizontal else 340
    return _room_for_subtitles(style(fig, title=title, height=max(300, height)), title)


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
    ('scatter', [0.5, 1.5], 'y')
    """
    task = str(pd.unique(histogram["task"])[0])
    whole = histogram[histogram["split"] == WHOLE] if (histogram["split"] == WHOLE).any() else histogram
    filled = whole.groupby("bin")["count"].sum() > 0
    gappy = filled.mean() < 1 - GAPPY_SHARE  # a target with few distinct values leaves many bins empty
    fig = go.Figure()
    for split, color in split_colors(_splits(histogram)).items():
        rows = histogram[histogram["split"] == split].sort_values("bin")
        n = len(rows)
        customdata = np.empty((n, 6), dtype=object)
        customdata[:, 0], customdata[:, 1], customdata[:, 2] = "range", task, split
        customdata[:, 3] = [None if i == 0 else v for i, v in enumerate(rows["left"])]  # end bins are open
        customdata[:, 4] = [None if i == n - 1 else v for i, v in enumerate(rows["right"])]
        customdata[:, 5] = rows["count"].to_numpy(np.int64)
        keep = filled.reindex(rows["bin"]).fillna(False).to_numpy() if gappy else np.ones(n, dtype=bool)
        left, right = rows["left"].to_numpy(np.float64)[keep], rows["right"].to_numpy(np.float64)[keep]
        common = {
            "x": (left + right) / 2, "y": rows["fraction"].to_numpy(np.float64)[keep], "name": split,
            "customdata": customdata[keep], "text": [f"{a:.4g} to {b:.4g}" for a, b in zip(left, right, strict=True)],
            "hovertemplate": "<b>%{customdata[2]}</b> · %{text}<br>%{customdata[5]:,} rows (%{y:.1%})<extra></extra>",
        }
        if gappy:  # bars on the filled bins only: a step outline would be a comb of empty bins
            fig.add_trace(go.Bar(**common, marker_color=color))
        else:
            fig.add_trace(go.Scatter(**common, mode="lines+markers", line={"color": color, "shape": "hvh", "width": 2},
                                     marker={"color": color, "size": 5}))
    fig.update_xaxes(title=task)
    fig.update_yaxes(title="share of the split's labelled rows", tickformat=".0%", rangemode="tozero")
    if title is None:
        title = f"{task} (regression)"
        if missing and any(share > 0 for share in missing.values()):
            shares = " · ".join(f"{split} {share:.1%}" for split, share in missing.items())
            title += f"<br><sup>no value: {shares}</sup>"
    fig.update_layout(hovermode="closest", barmode="group")
    return _room_for_subtitles(style(fig, title=title, height=340), title)


def association_heatmap(matrix: pd.DataFrame, *, title: str = "Task association (Cramér's V)") -> go.Figure:
    """Task x task Cramér's V as a heatmap with the value in each cell; the trivial diagonal is left blank.

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
    fig.update_yaxes(autorange="reversed", title=None, automargin=True)
    fig.update_xaxes(title=None, side="bottom", automargin=True)
    fig.add_annotation(
        text="0 = independent, 1 = one task determines the other", xref="paper", yref="paper",
        x=0, y=1.0, yanchor="bottom", showarrow=False, font={"size": 12, "color": "#555"},
    )
    return style(fig, title=title, height=max(320, 130 + 44 * len(matrix)))


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
    """The scorecard (``core.thresholds.scorecard``) as a table: score, verdict, value, threshold, reading.

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
