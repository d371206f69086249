"""Figures: pure functions, tidy DataFrame and options in, ``plotly.graph_objects.Figure`` out.

No I/O, no streamlit, no global state: the dashboard, the HTML report and the
tests draw the same figures. Every split has one colour everywhere
(:data:`core.figures.palette.SPLIT_COLORS`).
"""

from core.figures.comparison import Recommendation, recommend_strategy, strategy_comparison
from core.figures.cooccurrence import cooccurrence_heatmap
from core.figures.diagnostics import association_heatmap, leakage_table, scorecard_table
from core.figures.distribution import binary_rate_bars, label_distribution_bars, regression_histogram
from core.figures.drilldown import Condition, Drill, drill_from_points, drill_rows
from core.figures.palette import split_color, split_colors, status_color
from core.figures.split import fold_strip, split_sizes
from core.figures.training import (
    confusion_heatmap,
    ema_smooth,
    loss_curves,
    transfer_gain_bars,
    weight_curves,
)

__all__ = [
    "fold_strip",
    "split_color",
    "split_colors",
    "split_sizes",
    "association_heatmap",
    "cooccurrence_heatmap",
    "binary_rate_bars",
    "label_distribution_bars",
    "leakage_table",
    "regression_histogram",
    "scorecard_table",
    "status_color",
    "strategy_comparison",
    "recommend_strategy",
    "Recommendation",
    "Condition",
    "Drill",
    "drill_from_points",
    "drill_rows",
    "confusion_heatmap",
    "ema_smooth",
    "loss_curves",
    "transfer_gain_bars",
    "weight_curves",
]
