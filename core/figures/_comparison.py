"""Split strategies side by side: a small-multiples chart of their scores, and which to pick and why.

Both read ``StrategyComparison.to_frame()`` (:func:`core.diagnostics.compare_strategies`):
one row per config with ``config``, ``strategy``, ``n_splits``, ``ld``,
``lpd``, ``ed_share``, ``fz``, ``flz``, ``worst_js``, ``groups_split`` and
``error``. The recommendation is the chart's reading in words, so it lives
beside the chart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.figures._palette import HIGHLIGHT, NEUTRAL, style

SCORES = (
    ("ld", "LD (labels)"),
    ("lpd", "LPD (label pairs)"),
    ("worst_js", "worst JS distance"),
    ("ed_share", "ED (share of rows)"),
    ("groups_split", "groups split"),
)
SPACING = 0.06  # between the small multiples, a share of the width
CLOSE_LD = 0.01  # an LD this close to the best counts as "as good"
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


@dataclass(frozen=True)
class Recommendation:
    """Which config to use, and why, in one or two sentences.

    Attributes
    ----------
    config : str or None
        The recommended config's name; None when no config could split.
    reason : str
    """

    config: str | None
    reason: str

    @property
    def text(self) -> str:
        return f"**{self.config}**: {self.reason}" if self.config else self.reason


def _number(value: float, fmt: str) -> str:
    """``value`` for a sentence: ``infinite`` rather than ``inf``."""
    return "infinite" if math.isinf(value) else format(value, fmt)


def _listing(rows: pd.DataFrame, column: str, fmt: str) -> str:
    return ", ".join(f"{r.config} {_number(getattr(r, column), fmt)}" for r in rows.itertuples(index=False))


def _leakage_reason(best, usable: pd.DataFrame, clean: pd.DataFrame, group_column: str) -> str:
    leaking = usable[usable["groups_split"] > 0]
    if leaking.empty:
        return f"every strategy keeps each '{group_column}' group in one split"
    split_groups = _listing(leaking, "groups_split", ",.0f")
    if len(clean) == 1:
        return f"the only strategy that keeps every '{group_column}' group in one split (groups split: {split_groups})"
    others = ", ".join(c for c in clean["config"] if c != best.config)
    return f"keeps every '{group_column}' group in one split, as {others} does (groups split: {split_groups})"


def _balance_reason(best, usable: pd.DataFrame) -> str:
    lowest = usable.sort_values("ld").iloc[0]
    if lowest.config == best.config:
        others = usable[usable["config"] != best.config]
        versus = f" ({_listing(others, 'ld', '.3g')})" if len(others) else ""
        return f"the lowest label distribution LD, {_number(best.ld, '.3g')}{versus}"
    gap = best.ld - lowest.ld
    if best.lpd <= lowest.lpd and best.worst_js <= lowest.worst_js:
        return (f"LD {_number(best.ld, '.3g')} against {_number(lowest.ld, '.3g')} for {lowest.config}, but label "
                f"pairs (LPD {_number(best.lpd, '.3g')} against {_number(lowest.lpd, '.3g')}) and the worst task "
                f"(JS {_number(best.worst_js, '.3g')} against {_number(lowest.worst_js, '.3g')}) balanced better")
    if gap <= CLOSE_LD:
        return f"LD {_number(best.ld, '.3g')}, within {CLOSE_LD} of {lowest.config} ({_number(lowest.ld, '.3g')})"
    return (f"LD {_number(best.ld, '.3g')} against {_number(lowest.ld, '.3g')} for {lowest.config}, the price of "
            "keeping groups whole")


def recommend_strategy(
    comparison: pd.DataFrame, *, group_column: str | None = None, time_column: str | None = None
) -> Recommendation:
    """Pick a config from a comparison and say why: no group leakage first, then every label in every split, then balance
    (LD, LPD and the worst JS together).

    A config whose split came out with fewer splits than the others (e.g. a time
    split that put every row in train) is not picked. A time config is
    mentioned as the choice for forecasting when it is not the pick.

    Examples
    --------
    >>> comparison = pd.DataFrame({"config": ["random", "stratified", "group"], "n_splits": [3, 3, 3],
    ...     "ld": [0.1, 0.012, 0.02], "lpd": [0.01, 0.002, 0.003], "fz": [0, 0, 0], "flz": [0, 0, 0],
    ...     "worst_js": [0.08, 0.004, 0.01], "ed_share": [0, 0, 0], "groups_split": [545, 519, 0],
    ...     "error": ["", "", ""]})
    >>> recommend_strategy(comparison, group_column="nr").config
    'group'
    """
    usable = _usable(comparison)
    if usable.empty:
        errors = "; ".join(f"{r.config}: {r.error}" for r in comparison.itertuples(index=False))
        return Recommendation(None, f"No strategy could split this data ({errors}).")
    notes = []
    full = usable["n_splits"].max() if "n_splits" in usable.columns else None
    if full is not None:
        short = usable[usable["n_splits"] < full]
        for row in short.itertuples(index=False):
            notes.append(f"{row.config} is left out: it filled only {row.n_splits} of {full} splits.")
        usable = usable[usable["n_splits"] == full]
    counted = group_column is not None and "groups_split" in usable.columns and usable["groups_split"].notna().any()
    clean = usable[usable["groups_split"] == 0] if counted else usable
    pool = clean if len(clean) else usable
    # Balance is judged on labels, label pairs and the worst task together (the sum of the three ranks): LD alone
    # is noisy where a label is rare (wagepan's poorhlth at 1.7%), and a random deal of whole groups can win it
    # by luck while the group strategy balances pairs and every task better. LDs equal to two significant
    # digits tie; LD breaks a tie of the sums.
    ld_rounded = pool["ld"].map(lambda ld: float(f"{ld:.2g}") if np.isfinite(ld) else np.inf)
    ranks = (ld_rounded.rank(method="min") + pool["lpd"].fillna(np.inf).rank(method="min")
             + pool["worst_js"].fillna(np.inf).rank(method="min"))
    ranked = pool.assign(_empty=(pool["fz"].fillna(0) > 0) | (pool["flz"].fillna(0) > 0), _ld=ld_rounded,
                         _ranks=ranks).sort_values(["_empty", "_ranks", "_ld"], kind="stable")
    best = ranked.iloc[0]
    reasons = []
    if counted:
        if len(clean):
            reasons.append(_leakage_reason(best, usable, clean, group_column))
        else:
            notes.append(f"Every strategy puts some '{group_column}' groups in more than one split.")
    reasons.append(_balance_reason(best, usable))
    if best.get("fz", 0) > 0:
        notes.append(f"Even {best.config} leaves some label out of a split (FZ {best.fz:.0f}).")
    times = usable[usable["strategy"] == "time"] if "strategy" in usable.columns else usable.iloc[:0]
    if time_column and len(times) and best.config not in set(times["config"]):
        notes.append(
            f"If the model will predict forward in time, use {times.iloc[0].config} instead: it trains on the past "
            f"(by '{time_column}') and tests on what follows; its labels drift between periods (LD "
            f"{_number(times.iloc[0].ld, '.3g')}), which is what such a model will meet, not a fault of the split."
        )
    reason = "; ".join(reasons) + "." + "".join(f" {note}" for note in notes)
    return Recommendation(str(best.config), reason[0].upper() + reason[1:])
