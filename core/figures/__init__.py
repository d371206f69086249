"""Figures: pure functions, tidy DataFrame and options in, ``plotly.graph_objects.Figure`` out.

No I/O, no streamlit, no global state: the dashboard, the HTML report and the
tests draw the same figures. Every split has one colour everywhere
(:data:`SPLIT_COLORS`).
"""

from ._affinity import affinity_heatmap
from ._comparison import strategy_comparison
from ._cooccurrence import MIN_SUPPORT, cooccurrence_heatmap
from ._diagnostics import MANY_TASKS, association_heatmap, leakage_table, scorecard_table
from ._distribution import (
    binary_rate_bars,
    label_distribution_bars,
    label_distribution_grid,
    regression_histogram,
)
from ._drilldown import Condition, Drill, drill_from_points, drill_rows
from ._experts import expert_gates_heatmap
from ._facets import positive_label
from ._palette import SPLIT_COLORS, split_color, split_colors, status_color
from ._runs import RUN_COLORS, run_color, run_curves, run_marks
from ._split import fold_strip, split_sizes, strip_order
from ._training import (
    FIGURE_ERRORS,
    confusion_heatmap,
    ema_smooth,
    failure_note,
    loss_curves,
    transfer_gain_bars,
    weight_curves,
)

__all__ = [
    "affinity_heatmap",
    "expert_gates_heatmap",
    "SPLIT_COLORS",
    "strip_order",
    "MIN_SUPPORT",
    "label_distribution_grid",
    "positive_label",
    "FIGURE_ERRORS",
    "failure_note",
    "fold_strip",
    "split_color",
    "split_colors",
    "split_sizes",
    "association_heatmap",
    "MANY_TASKS",
    "cooccurrence_heatmap",
    "binary_rate_bars",
    "label_distribution_bars",
    "leakage_table",
    "regression_histogram",
    "scorecard_table",
    "status_color",
    "strategy_comparison",
    "Condition",
    "Drill",
    "drill_from_points",
    "drill_rows",
    "confusion_heatmap",
    "ema_smooth",
    "loss_curves",
    "transfer_gain_bars",
    "weight_curves",
    "RUN_COLORS",
    "run_color",
    "run_curves",
    "run_marks",
]
