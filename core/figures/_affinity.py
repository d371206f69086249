"""Task affinity as a task x task heatmap: the gradient cosine of an epoch, or the lookahead affinity (TAG).

Takes the tidy frame of ``core.training.affinity_frame`` (``task``, ``other``, ``value``; NaN where a
pair was not measured). Blue is affinity (the tasks help each other), red is conflict, white is none.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._palette import style

__all__ = ["affinity_heatmap"]

AFFINITY_SCALE = "RdBu"  # blue positive (the tasks agree), red negative (conflict): the reverse of DIVERGING


def affinity_heatmap(cells: pd.DataFrame, *, title: str | None = "Task affinity", value_name: str = "cosine",
                     row_title: str = "task", column_title: str = "task", symmetric_range: float | None = 1.0,
                     percent: bool = False) -> go.Figure:
    """A heatmap of ``cells`` (``task`` down, ``other`` across), centred on 0, each cell's value written in it.

    ``symmetric_range``: the colour scale spans -r..r (1 for a cosine); None fits it to the largest |value|
    off the diagonal (the lookahead affinity is a small share, and a task's step helps itself most), and the
    cells then show as many decimals as its largest off-diagonal value needs for two digits (no 1e-05
    notation). ``percent``: the values are shares, drawn as percent. An unmeasured pair is a blank cell
    marked "n/a".

    Examples
    --------
    >>> cells = pd.DataFrame({"task": ["a", "a", "b", "b"], "other": ["a", "b", "a", "b"],
    ...                       "value": [1.0, -0.25, -0.25, 1.0]})
    >>> fig = affinity_heatmap(cells)
    >>> fig.data[0].type, list(fig.data[0].x), fig.data[0].z.tolist(), fig.data[0].zmin
    ('heatmap', ['a', 'b'], [[1.0, -0.25], [-0.25, 1.0]], -1.0)
    >>> shares = cells.assign(value=[0.0276, -6.58e-05, 0.00171, 0.0039])
    >>> affinity_heatmap(shares, symmetric_range=None, percent=True).data[0].text[0]
    ['2.76', '-0.01']
    """
    order = list(dict.fromkeys([*cells["task"], *cells["other"]]))
    matrix = cells.pivot_table(index="task", columns="other", values="value", aggfunc="mean", dropna=False,
                               sort=False).reindex(index=order, columns=order)
    values = matrix.to_numpy(dtype=np.float64) * (100.0 if percent else 1.0)
    off_diagonal = values[~np.eye(len(order), dtype=bool)]  # a task's affinity with itself would set the scale
    finite = off_diagonal[np.isfinite(off_diagonal)]
    reach = symmetric_range if symmetric_range is not None else (float(np.abs(finite).max()) if finite.size else 1.0)
    reach = reach if reach > 0 else 1.0
    digits = ".2f" if symmetric_range is not None else f".{_decimals(reach)}f"
    text = [[("n/a" if not np.isfinite(v) else _cell(v, digits)) for v in row] for row in values]
    fig = go.Figure(go.Heatmap(
        z=np.where(np.isfinite(values), values, np.nan), x=[str(c) for c in order], y=[str(r) for r in order],
        text=text, texttemplate="%{text}" if len(order) <= 12 else None, colorscale=AFFINITY_SCALE,
        zmin=-reach, zmax=reach, zmid=0.0, xgap=1, ygap=1,
        colorbar={"title": {"text": value_name}, "thickness": 12},
        hovertemplate=f"{row_title} %{{y}}, {column_title} %{{x}}: %{{text}}<extra></extra>",
    ))
    fig.update_yaxes(title=row_title, autorange="reversed", type="category", automargin=True)
    fig.update_xaxes(title=column_title, type="category", automargin=True, tickangle=-45 if len(order) > 6 else 0)
    return style(fig, title=title, height=max(300, 160 + 32 * len(order)))


def _decimals(reach: float) -> int:
    """Decimals that give ``reach`` two significant digits (0 from 10 up, at most 6).

    Examples
    --------
    >>> _decimals(0.171), _decimals(2.5), _decimals(40.0)
    (2, 1, 0)
    """
    return int(min(6, max(0, 1 - math.floor(math.log10(reach)))))


def _cell(value: float, digits: str) -> str:
    """``value`` in ``digits`` format, without the minus of a value that rounds to 0 ("-0.00")."""
    text = format(value, digits)
    return text[1:] if text.startswith("-") and float(text) == 0 else text
