"""One colour per split, the same in every chart, and the shared look of all figures.

Colours are the Okabe-Ito palette, readable by colour-blind viewers: train
blue, val orange, test green, excluded grey; folds take the palette in turn.
"""

from __future__ import annotations

import plotly.graph_objects as go

SPLIT_COLORS = {
    "train": "#0072B2",
    "val": "#E69F00",
    "test": "#009E73",
    "excluded": "#B8B8B8",
    "all": "#4D4D4D",
    "missing": "#9E9E9E",
}
FOLD_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
EXTRA_COLORS = ("#8C564B", "#17BECF", "#BCBD22", "#7F7F7F", "#9467BD", "#1F77B4")
FONT = "Inter, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"


def split_color(name: str, position: int = 0) -> str:
    """The colour of a split: fixed for train/val/test/excluded, by fold number for ``fold-k``.

    Examples
    --------
    >>> split_color("train"), split_color("fold-1")
    ('#0072B2', '#E69F00')
    """
    if name in SPLIT_COLORS:
        return SPLIT_COLORS[name]
    # core.splits.fold_index, spelled here because figures import nothing of core (a test checks they agree)
    if name.startswith("fold-") and name[5:].isdigit():
        return FOLD_COLORS[int(name[5:]) % len(FOLD_COLORS)]
    return EXTRA_COLORS[position % len(EXTRA_COLORS)]


def split_colors(names) -> dict[str, str]:
    """A colour for each split name, in order."""
    return {name: split_color(name, i) for i, name in enumerate(names)}


def style(fig: go.Figure, *, title: str | None = None, height: int | None = None) -> go.Figure:
    """The house look: white background, readable title, legend on top, tight margins."""
    fig.update_layout(
        template="plotly_white",
        font={"family": FONT, "size": 13},
        title={"text": title, "x": 0.0, "xanchor": "left", "font": {"size": 16}} if title else None,
        legend={
            "orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left", "x": 0.0, "title": None,
            "traceorder": "normal",
        },
        margin={"l": 60, "r": 20, "t": 70 if title else 30, "b": 50},
        hoverlabel={"font": {"family": FONT}},
    )
    if height:
        fig.update_layout(height=height)
    return fig


# --------------------------------------------------------------------------- verdicts and scales

# pass/warn/fail, the same hues as the HTML report's verdicts (core.report._render)
STATUS_COLORS = {"pass": "#1a7f37", "warn": "#9a6700", "fail": "#cf222e", "skipped": "#6e7781"}
HIGHLIGHT = "#CC79A7"  # Okabe-Ito reddish purple: the recommended choice in a chart
NEUTRAL = "#8C8C8C"  # bars that are not a split and not highlighted
SEQUENTIAL = "Blues"  # shares and probabilities, 0 to 1
DIVERGING = "RdBu_r"  # signed differences, centred on 0 (red up, blue down)


def status_color(status: str) -> str:
    """The colour of a verdict (``pass``, ``warn``, ``fail``, ``skipped``).

    Examples
    --------
    >>> status_color("fail")
    '#cf222e'
    """
    return STATUS_COLORS.get(status, STATUS_COLORS["skipped"])
