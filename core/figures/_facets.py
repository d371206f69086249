"""One task's label distribution per split as a facet: its bars, its binary rates or its histogram.

A :class:`_Facet` holds a task's traces, axes, title and the room they need; :mod:`core.figures._distribution`
lays facets out, alone (one task per figure) or in a grid (every task in one figure). Here too: the constants of
the distribution figures' sizes, and :func:`text_px`, the width of a text, by which they reserve room.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._palette import SPLIT_COLORS, split_colors

WHOLE = "all"  # core.splits.WHOLE, the whole data's rows in a distribution
MISSING = "(missing)"  # core.tasks.MISSING
MISSING_PATTERN = "/"
SPLIT_COLORS_ALL = SPLIT_COLORS["all"]  # the whole data's reference line
HORIZONTAL_FROM = 16  # labels; from this many on, bars lie down so their names stay readable
GAPPY_SHARE = 0.25  # a histogram with more empty bins than this draws bars on the filled bins
SHARE = "share of the split's rows"
LABELLED_SHARE = "share of the split's labelled rows"
MOSTLY_MISSING = 0.75  # a task unlabelled in more rows than this is drawn over its labelled rows
# the first class of a binary task spelt like one of these is its negative (its rate counts the other class)
NEGATIVE_SPELLINGS = frozenset({"0", "0.0", "false", "no", "n", "f", "neg", "negative"})

# the grid's measures, in px (plotly.js draws tick labels at 12 px and axis titles at 14 px in Streamlit's theme)
FACET_HEIGHT = 240  # plot area of a facet with upright bars or a histogram
OPEN_ENDS = "edge bins hold the outer 1% each side"  # core.diagnostics._distribution bins the 1st to 99th percentile
RATE_HEIGHT = 140  # plot area of a binary task's facet: one bar per split
BAR_ROW = 11  # plot height per bar of a facet whose bars lie down
TITLE_LINE = 20  # a line of a facet's title
TITLE_COLOR = "#31333F"  # Streamlit's light theme's headings (dashboard/.streamlit/config.toml fixes the light theme)
TICK_FONT = 12
TITLE_FONT = 15  # a facet's title (core.figures._distribution draws it bold at 15 px)
AXIS_TITLE = 24  # an axis title and its standoff
STANDOFF = 8
SHARE_TICKS = 4 * TICK_FONT * 0.62  # "100%"
LEGEND_ROOM = 48  # px above the facets for the legend (39 px in Streamlit's theme)
SLANT = 35  # degrees, of labels that do not fit side by side
LONGEST_TICK = 24  # characters; a longer label is cut short on the axis (the hover and the drill-down keep it)


def text_px(text: str, size: float = TICK_FONT) -> float:
    """A generous estimate of the width of a text in px (0.62 em per character; HTML tags are not counted).

    Hand-written: the grid sets its own margins, and Python has no browser to measure text with.

    Examples
    --------
    >>> text_px("<b>union</b>=1")
    52.08
    """
    return round(len(re.sub(r"<[^>]+>", "", str(text))) * size * 0.62, 2)


def wrap_title(title: str, width: float, size: float = TITLE_FONT) -> str:
    """``title`` with its first line (the bold one) broken into lines of at most ``width`` px at font ``size``.

    A long task name, its kind and its labelled count would otherwise run under the next facet's title. Lines
    break before a `` · `` (the part it introduces stays whole) and, within a part too wide for a line, between
    words; the ``<br>`` notes after the first line are left as they are.

    Examples
    --------
    >>> wrap_title("Scrap rate (per 100 items) (regression) · 162 of 471 labelled<br><sup>no value</sup>", 400)
    'Scrap rate (per 100 items) (regression)<br>· 162 of 471 labelled<br><sup>no value</sup>'
    >>> wrap_title("short (binary)", 400)
    'short (binary)'
    """
    first, sep, notes = title.partition("<br>")
    lines: list[str] = []
    for k, part in enumerate(first.split(" · ")):
        if lines and text_px(f"{lines[-1]} · {part}", size) <= width:
            lines[-1] = f"{lines[-1]} · {part}"
            continue
        words = part.split(" ")
        lines.append(f"· {words[0]}" if k else words[0])  # a part too wide for a line of its own breaks at words
        for word in words[1:]:
            if text_px(f"{lines[-1]} {word}", size) <= width:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
    return "<br>".join(lines) + sep + notes


def colorbar_room(title: str) -> int:
    """Right margin (px) for a vertical colour bar with its title on top: the title is the widest part.

    Measured in Streamlit's theme: "P(col | row)" took 143 px, "Cramér's V" 120 px.

    Examples
    --------
    >>> colorbar_room("Cramér's V")
    134
    """
    return int(max(100.0, text_px(title, 14) + 48))


def _short(label: str) -> str:
    return label if len(label) <= LONGEST_TICK else label[: LONGEST_TICK - 1] + "…"


def positive_label(classes) -> str | None:
    """The class a binary task's rate counts: the one that is not spelt as a negative (else the second).

    None unless there are exactly two classes.

    Examples
    --------
    >>> positive_label(["0", "1"]), positive_label(["yes", "no"]), positive_label(["a", "b"]), positive_label(["1"])
    ('1', 'yes', 'b', None)
    """
    classes = [str(c) for c in classes]
    if len(classes) != 2:
        return None
    first, second = classes
    if second.strip().lower() in NEGATIVE_SPELLINGS and first.strip().lower() not in NEGATIVE_SPELLINGS:
        return first
    return second


def _labelled(counts: pd.DataFrame) -> tuple[int, int]:
    """Rows with a label and rows in all, over the whole data, of one task's counts."""
    whole = counts[counts["split"] == WHOLE]
    if len(whole):
        rows = int(whole["split_rows"].iloc[0])
    else:  # no whole-data rows: the splits' rows summed
        whole = counts
        rows = int(counts.groupby("split", sort=False)["split_rows"].first().sum())
    missing = int(whole["count"].to_numpy()[whole["is_missing"].to_numpy(dtype=bool)].sum())
    return rows - missing, rows


def _labelled_note(counts: pd.DataFrame) -> str:
    """`` · 598 of 6,000 labelled`` for a task with missing labels, else empty."""
    labelled, rows = _labelled(counts)
    return f" · {labelled:,} of {rows:,} labelled" if labelled < rows else ""


def _missing_note(counts: pd.DataFrame) -> str:
    """The share of rows with no label per split: ``no label: train 90.1% · test 89.7%``."""
    rows = counts[counts["is_missing"].astype(bool) & (counts["split"] != WHOLE)]
    return "no label: " + " · ".join(f"{r.split} {r.fraction:.1%}" for r in rows.itertuples(index=False))


@dataclass(frozen=True, kw_only=True)
class _Facet:
    """One task's picture: its traces (dicts), axes and title, and the room its axes need around the plot (px)."""

    task: str
    traces: list[dict]
    x_axis: dict
    y_axis: dict
    title: str
    plot_height: int
    below: float  # x tick labels and title
    left: float  # y tick labels and title
    layout: dict = field(default_factory=dict)
    shapes: list[dict] = field(default_factory=list)  # on axes "x", "y" (or their " domain"): the grid renames them


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


DOMINANT_SHARE = 0.95  # a class holding this share of the rows or more: every bar gets its row count
MAX_COUNTED = 12  # ...when there are at most this many bars a split


def _bar_facet(counts: pd.DataFrame, max_labels: int, width: float = 520) -> _Facet:
    """Grouped bars of one task, upright or (from 16 labels) lying down; ``width`` is the plot's, to fit labels."""
    task, kind = _one_task(counts)
    labels, n_labels = _shown_labels(counts, max_labels)
    has_missing = bool(counts.loc[counts["is_missing"].astype(bool), "count"].sum() > 0)
    labelled, n_rows = _labelled(counts)
    sparse = has_missing and labelled < (1 - MOSTLY_MISSING) * n_rows  # drawn over labelled rows, missing noted
    shown = [*labels, MISSING] if has_missing and not sparse else labels
    measure = "fraction_labelled" if sparse else "fraction"
    whole = counts[counts["split"] == WHOLE].set_index("label")[measure]
    horizontal = len(shown) >= HORIZONTAL_FROM
    colors = split_colors(_splits(counts))
    missing = [label == MISSING for label in shown]
    counted = not horizontal and len(shown) <= MAX_COUNTED and float(whole.max()) >= DOMINANT_SHARE
    traces = []
    for split, color in colors.items():
        rows = counts[counts["split"] == split].set_index("label").reindex(shown)
        customdata = np.empty((len(shown), 8), dtype=object)
        customdata[:, 0], customdata[:, 1], customdata[:, 2], customdata[:, 3] = "label", task, shown, split
        customdata[:, 4] = rows["count"].fillna(0).astype(np.int64).to_numpy()
        customdata[:, 5] = rows["split_rows"].fillna(0).astype(np.int64).to_numpy()
        customdata[:, 6] = rows["fraction_labelled"].to_numpy(dtype=np.float64)
        customdata[:, 7] = whole.reindex(shown).to_numpy(dtype=np.float64)
        values = rows[measure].to_numpy(dtype=np.float64)
        if counted:  # one class near 100%: the others' bars are too thin to see, so each bar says its rows
            rows_text = [f"{int(c):,}" for c in customdata[:, 4]]
        traces.append({
            "type": "bar", "x": values if horizontal else shown, "y": shown if horizontal else values,
            "orientation": "h" if horizontal else "v", "name": split,
            "marker": {
                "color": color, "opacity": [0.55 if m else 1.0 for m in missing],
                "pattern": {"shape": [MISSING_PATTERN if m else "" for m in missing], "fgcolor": "white"},
            },
            "customdata": customdata,
            **({"text": rows_text, "textposition": "outside", "cliponaxis": False} if counted else {}),
            "hovertemplate": (
                "<b>%{customdata[3]}</b> · " + f"{task}=" + "%{customdata[2]}<br>"
                + (_sparse_hover("x" if horizontal else "y") if sparse else
                   "%{customdata[4]:,} of %{customdata[5]:,} rows (%{" + ("x" if horizontal else "y") + ":.1%})"
                   "<br>of labelled rows: %{customdata[6]:.1%}")
                + "<br>all data: %{customdata[7]:.1%}<extra></extra>"
            ),
        })
    ticks = {"tickmode": "array", "tickvals": shown, "ticktext": [_short(label) for label in shown]}
    longest = max((text_px(text) for text in ticks["ticktext"]), default=0.0)
    share_axis = {"title": {"text": LABELLED_SHARE if sparse else SHARE}, "tickformat": ".0%", "rangemode": "tozero"}
    label_axis = {"title": {"text": task}, "type": "category", **ticks}
    note = {"multilabel": " · a row can have several labels", "regression": " · quantile bins"}.get(kind, "")
    title = (f"{task} ({kind}{note})" if kind else task) + _labelled_note(counts)
    if note and text_px(title, TITLE_FONT) > width:  # one line would run past the facet: the note goes below
        title = f"{task} ({kind})" + _labelled_note(counts) + f"<br><sup>{note.removeprefix(' · ')}</sup>"
    if counted:
        title += f"<br><sup>one class holds {float(whole.max()):.1%}: each bar is labelled with its rows</sup>"
    if n_labels > len(labels):
        title += f"<br><sup>{len(labels)} of {n_labels} labels: those whose share differs most between splits</sup>"
    if sparse:
        title += f"<br><sup>drawn over the labelled rows; {_missing_note(counts)}</sup>"
    elif has_missing:
        title += "<br><sup>hatched: rows with no label for this task</sup>"
    if horizontal:
        return _Facet(task=task, traces=traces, x_axis=share_axis,
                      y_axis={**label_axis, "autorange": "reversed"}, title=title,
                      plot_height=BAR_ROW * len(shown) * len(colors), below=TICK_FONT + AXIS_TITLE + STANDOFF,
                      left=longest + AXIS_TITLE + STANDOFF, layout={"barmode": "group"})
    # plotly slants the labels when they would overlap side by side; room is kept for that when it may happen
    upright = longest * len(shown) <= 0.8 * width
    below = TICK_FONT + 4 if upright else longest * math.sin(math.radians(SLANT)) + TICK_FONT
    return _Facet(task=task, traces=traces, x_axis={**label_axis, "autotickangles": [0, SLANT]},
                  y_axis=share_axis, title=title, plot_height=FACET_HEIGHT,
                  below=below + AXIS_TITLE + STANDOFF,
                  left=SHARE_TICKS + AXIS_TITLE + STANDOFF, layout={"barmode": "group"})


def _sparse_hover(axis: str) -> str:
    return "%{customdata[4]:,} rows: %{" + axis + ":.1%} of the split's labelled rows<br>(%{customdata[5]:,} rows in the split)"


def _rate_facet(counts: pd.DataFrame) -> _Facet | None:
    """A binary task as its positive rate per split: one bar per split, the whole data's rate a dotted line.

    The rate is over each split's labelled rows; None when the task has not two classes (drawn as bars then).
    """
    task, _ = _one_task(counts)
    labelled_rows = counts[~counts["is_missing"].astype(bool)]
    positive = positive_label(pd.unique(labelled_rows["label"]))
    if positive is None:
        return None
    splits = _splits(counts)
    hits = labelled_rows[labelled_rows["label"].astype(str) == positive].set_index("split")
    missing = counts[counts["is_missing"].astype(bool)].set_index("split")["count"]
    whole_rate = float(hits["fraction_labelled"].get(WHOLE, np.nan))
    traces = []
    for split, color in split_colors(splits).items():
        row = hits.loc[split]
        n_missing = int(missing.get(split, 0))
        labelled = int(row["split_rows"]) - n_missing
        customdata = np.array([["label", task, positive, split, int(row["count"]), labelled, n_missing,
                                whole_rate]], dtype=object)
        rate = float(row["fraction_labelled"])
        traces.append({
            "type": "bar", "x": [split], "y": [rate], "name": split, "offsetgroup": "rate", "width": 0.6,
            "marker": {"color": color}, "customdata": customdata, "text": [f"{rate:.1%}" if np.isfinite(rate) else ""],
            "textposition": "inside", "insidetextanchor": "end", "textfont": {"color": "white", "size": TICK_FONT},
            "hovertemplate": (
                f"<b>%{{customdata[3]}}</b> · {task}={positive}: %{{y:.1%}}<br>"
                "%{customdata[4]:,} of %{customdata[5]:,} labelled rows"
                + ("<br>%{customdata[6]:,} rows with no label" if missing.sum() else "")
                + "<br>all data: %{customdata[7]:.1%}<extra></extra>"
            ),
        })
    shapes = [] if np.isnan(whole_rate) else [{
        "type": "line", "xref": "x domain", "yref": "y", "x0": 0, "x1": 1, "y0": whole_rate, "y1": whole_rate,
        "line": {"color": SPLIT_COLORS_ALL, "width": 1, "dash": "dot"}, "layer": "above",
    }]
    title = f"{task} (binary) · share {task}={positive}" + _labelled_note(counts)
    if missing.sum():
        title += f"<br><sup>of labelled rows; {_missing_note(counts)}</sup>"
    top = max([t["y"][0] for t in traces if np.isfinite(t["y"][0])] + [whole_rate if np.isfinite(whole_rate) else 0])
    share_axis = {"title": {"text": LABELLED_SHARE if missing.sum() else SHARE}, "tickformat": ".1~%",
                  "range": [0, max(top, 0.01) * 1.15]}  # room above the bars for the whole data's line
    split_axis = {"title": {"text": ""}, "type": "category", "tickmode": "array", "tickvals": splits,
                  "ticktext": splits}
    return _Facet(task=task, traces=traces, x_axis=split_axis, y_axis=share_axis, title=title,
                  plot_height=RATE_HEIGHT, below=TICK_FONT + 16 + STANDOFF,
                  left=SHARE_TICKS + AXIS_TITLE + STANDOFF, layout={"barmode": "group"}, shapes=shapes)


def _histogram_facet(histogram: pd.DataFrame, missing: Mapping[str, float] | None, note: str = "") -> _Facet:
    """Overlaid step outlines per split of one regression task (bars on the filled bins of a gappy one)."""
    task = str(pd.unique(histogram["task"])[0])
    whole = histogram[histogram["split"] == WHOLE] if (histogram["split"] == WHOLE).any() else histogram
    filled = whole.groupby("bin")["count"].sum() > 0
    gappy = filled.mean() < 1 - GAPPY_SHARE  # a target with few distinct values leaves many bins empty
    traces = []
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
        trace = {
            "x": (left + right) / 2, "y": rows["fraction"].to_numpy(np.float64)[keep], "name": split,
            "customdata": customdata[keep], "text": [f"{a:.4g} to {b:.4g}" for a, b in zip(left, right, strict=True)],
            "hovertemplate": "<b>%{customdata[2]}</b> · %{text}<br>%{customdata[5]:,} rows (%{y:.1%})<extra></extra>",
        }
        if gappy:  # bars on the filled bins only: a step outline would be a comb of empty bins
            trace.update(type="bar", marker={"color": color})
        else:
            trace.update(type="scatter", mode="lines+markers", line={"color": color, "shape": "hvh", "width": 2},
                         marker={"color": color, "size": 5})
        traces.append(trace)
    title = f"{task} (regression){note}"
    if missing and any(share > 0 for share in missing.values()):
        shares = " · ".join(f"{split} {share:.1%}" for split, share in missing.items())
        title += f"<br><sup>no value: {shares}</sup>"
    return _Facet(task=task, traces=traces, x_axis={"title": {"text": f"value ({OPEN_ENDS})"}},
                  y_axis={"title": {"text": LABELLED_SHARE}, "tickformat": ".0%", "rangemode": "tozero"},
                  title=title, plot_height=FACET_HEIGHT, below=TICK_FONT + 4 + AXIS_TITLE + STANDOFF,
                  left=SHARE_TICKS + AXIS_TITLE + STANDOFF,
                  layout={"hovermode": "closest", "barmode": "group"})
