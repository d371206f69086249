"""Figures: pure functions, tidy DataFrame and options in, ``plotly.graph_objects.Figure`` out.

No I/O, no streamlit, no global state: the dashboard, the HTML report and the
tests draw the same figures. Every split has one colour everywhere
(:data:`core.figures.palette.SPLIT_COLORS`).
"""

from core.figures.palette import split_color, split_colors
from core.figures.split import fold_strip, split_sizes

__all__ = ["fold_strip", "split_color", "split_colors", "split_sizes"]
