"""Which experts each task's gate uses in a mixture-of-experts model (MMoE)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ._palette import SEQUENTIAL, style


def expert_gates_heatmap(gates: pd.DataFrame, *, epoch: int | None = None,
                         title: str | None = None) -> go.Figure:
    """Task x expert grid of the gates' mean weights in one epoch (by default the last): which experts each task uses.

    Each row sums to 1 (a softmax over the experts); an even row (1/E everywhere)
    is a task that has not picked experts, a row with one bright cell a task with
    an expert of its own, two tasks bright in one column share it.

    Parameters
    ----------
    gates : DataFrame
        ``epoch``, ``task``, ``expert`` (0-based), ``weight``: ``core.training.gates_frame(history)``.

    Examples
    --------
    >>> gates = pd.DataFrame({"epoch": [1, 1, 1, 1], "task": ["a", "a", "b", "b"], "expert": [0, 1, 0, 1],
    ...                       "weight": [0.9, 0.1, 0.3, 0.7]})
    >>> fig = expert_gates_heatmap(gates)
    >>> fig.data[0].type, list(fig.data[0].y), fig.data[0].z.tolist()
    ('heatmap', ['a', 'b'], [[0.9, 0.1], [0.3, 0.7]])
    """
    shown = int(gates["epoch"].max()) if epoch is None else epoch
    rows = gates[gates["epoch"] == shown]
    tasks = list(pd.unique(rows["task"]))
    matrix = rows.pivot_table(index="task", columns="expert", values="weight", sort=False).reindex(index=tasks)
    values = matrix.to_numpy(dtype=np.float64)
    experts = [f"expert {int(e) + 1}" for e in matrix.columns]
    fig = go.Figure(go.Heatmap(
        z=values, x=experts, y=[str(t) for t in tasks], text=[[f"{v:.0%}" for v in row] for row in values],
        texttemplate="%{text}", colorscale=SEQUENTIAL, zmin=0.0, zmax=float(max(values.max(), 1e-9)), xgap=1, ygap=1,
        colorbar={"title": {"text": "gate<br>weight"}, "thickness": 12, "tickformat": ".0%"},
        hovertemplate="%{y} → %{x}: %{z:.1%} of its mix<extra></extra>",
    ))
    fig.update_yaxes(title="task", autorange="reversed", type="category", automargin=True)
    fig.update_xaxes(title="expert", type="category", side="bottom")
    return style(fig, title=title if title is not None else f"Which experts each task uses (gates, epoch {shown})",
                 height=max(220, 120 + 40 * len(tasks)))
