"""Strategy comparison: several split configs of the same data, scored the same way, side by side."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..splits import STRATEGIES, assignment_codes
from ..tasks import (
    EncodedTasks,
    Task,  # noqa: F401  (the docstring examples use it)
    as_tasks,
    encode_tasks,
)
from ._distribution import task_scores_of_codes
from ._judge import chance_for
from ._leakage_checks import group_check, time_check
from ._quality import split_quality_of_codes
from ._thresholds import scorecard, status_of, status_reason

__all__ = ["StrategyComparison", "compare_strategies", "Recommendation", "recommend_strategy"]

CLOSE_LD = 0.01  # an LD this close to the best counts as "as good"


@dataclass(frozen=True, eq=False)
class StrategyComparison:
    """The same scores for several split configs, side by side.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per config: ``config`` (its name), ``strategy``, ``n_splits``,
        ``order``, ``seed``, ``seconds`` (time to split), ``ld``, ``ed``,
        ``ed_share``, ``lpd``, ``fz``, ``flz``, ``max_gap``, ``worst_js``,
        ``worst_ks``, ``groups_split`` (groups in more than one split; NaN
        without a group column), ``status`` (worst verdict of what the strategy
        promises: the scorecard judged as :func:`core.diagnostics.judge_split` does, the
        group check, and a time split's time check), ``reason`` (why, in one line),
        ``error`` (the message when the config could not split).
    results : dict of str to SplitResult
    """

    frame: pd.DataFrame
    results: dict

    def to_frame(self) -> pd.DataFrame:
        return self.frame


def _config_names(configs) -> list[tuple[str, object]]:
    if isinstance(configs, Mapping):
        return [(str(name), config) for name, config in configs.items()]
    named, seen = [], {}
    for config in configs:
        name = config.strategy + (f" k={config.n_folds}" if config.n_folds else "")
        name += f" order={config.order}" if config.order != 1 else ""
        seen[name] = seen.get(name, 0) + 1
        named.append((name if seen[name] == 1 else f"{name} #{seen[name]}", config))
    return named


def compare_strategies(
    df: pd.DataFrame, tasks, configs, *, group_column: str | None = None
) -> StrategyComparison:
    """Split ``df`` with each config and score every split the same way.

    Parameters
    ----------
    configs : sequence of SplitConfig, or mapping of name to SplitConfig
    group_column : str, optional
        Count groups that land in more than one split, for every config.

    Examples
    --------
    >>> from core.splits import SplitConfig
    >>> frame = pd.DataFrame({"y": [0, 1] * 50})
    >>> tasks = [Task("y", ("y",), "binary")]
    >>> configs = [SplitConfig(strategy="random"), SplitConfig(strategy="stratified")]
    >>> table = compare_strategies(frame, tasks, configs).to_frame()
    >>> table["config"].tolist()
    ['random', 'stratified']
    """
    # imported here: core.splits._split pulls in the stratifier, which the other diagnostics never need
    from ..errors import TaskSplitError
    from ..splits import split

    # an EncodedTasks given serves the configs of its own n_bins
    encodings = {tasks.n_bins: tasks} if isinstance(tasks, EncodedTasks) else {}
    tasks = as_tasks(tasks)
    # read once for every config: the group column, and the tasks once per n_bins
    groups = pd.factorize(df[group_column].to_numpy()) if group_column is not None else None
    rows, results = [], {}
    for name, config in _config_names(configs):
        row = {"config": name, "strategy": config.strategy, "order": config.order, "seed": config.seed}
        try:
            start = time.perf_counter()
            result = split(df, tasks, config)
            row["seconds"] = time.perf_counter() - start
        except TaskSplitError as error:
            rows.append({**row, "status": "fail", "reason": f"fail: could not split: {error}", "error": str(error)})
            continue
        results[name] = result
        if config.n_bins not in encodings:
            encodings[config.n_bins] = encode_tasks(df, tasks, config.n_bins)
        encoded = encodings[config.n_bins]
        codes, splits = assignment_codes(encoded.index, result.assignment)
        fractions = None if config.n_folds or STRATEGIES[config.strategy].given else dict(config.fractions)
        quality = split_quality_of_codes(encoded.matrix, codes, splits, fractions)
        scores = task_scores_of_codes(encoded, codes, splits)
        chance = chance_for(df, encoded, config, quality, scores)  # as the Diagnostics page judges the split
        card = scorecard(quality, scores, strategy=config.strategy, chance=chance)
        groups_split, checks = _promised_checks(df, config, codes, splits, group_column, groups)
        row.update(
            n_splits=len(splits), ld=quality.ld, ed=quality.ed, ed_share=quality.ed_share, lpd=quality.lpd,
            fz=quality.fz, flz=quality.flz, max_gap=quality.max_gap, worst_js=scores.worst_js,
            worst_ks=scores.worst_ks, groups_split=groups_split,
            status=status_of([*card["status"], *(status for status, _ in checks)]),
            reason=status_reason(card, checks), error="",
        )  # fmt: skip
        rows.append(row)
    columns = [
        "config", "strategy", "n_splits", "order", "seed", "seconds", "ld", "ed", "ed_share", "lpd", "fz",
        "flz", "max_gap", "worst_js", "worst_ks", "groups_split", "status", "reason", "error",
    ]  # fmt: skip
    return StrategyComparison(pd.DataFrame(rows, columns=columns), results)


def _promised_checks(df, config, codes, splits, group_column, groups) -> tuple[float, list[tuple[str, str]]]:
    """Groups split (NaN without a group column) and the checks of what a strategy promises: groups whole, time order."""
    checks, groups_split = [], np.nan
    if group_column is not None:
        group = group_check(df, group_column, codes, splits, factorized=groups)
        groups_split, status = group.count, group.status
        if status == "fail" and config.time_groups == "rows":
            status = "warn"  # rows split by time, groups straddling periods: as chosen
        checks.append((status, f"{group.count:,.0f} '{group_column}' groups in more than one split"))
    if STRATEGIES[config.strategy].by_time and len(splits) > 1:
        order = time_check(df, config.time_column, codes, splits, group_column=config.group_column,
                           group_time=config.time_groups)
        checks.append((order.status, "time order: " + order.detail.split(";")[0].rstrip(".")))
    return groups_split, checks


# --------------------------------------------------------------------------- recommendation


def _usable(comparison: pd.DataFrame) -> pd.DataFrame:
    errors = comparison["error"].fillna("").astype(str) if "error" in comparison.columns else ""
    return comparison[(errors == "") & comparison["ld"].notna()]


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
    by_time = {name for name, strategy in STRATEGIES.items() if strategy.by_time}
    times = usable[usable["strategy"].isin(by_time)] if "strategy" in usable.columns else usable.iloc[:0]
    if time_column and len(times) and best.config not in set(times["config"]):
        notes.append(
            f"If the model will predict forward in time, use {times.iloc[0].config} instead: it trains on the past "
            f"(by '{time_column}') and tests on what follows; its labels drift between periods (LD "
            f"{_number(times.iloc[0].ld, '.3g')}), which is what such a model will meet, not a fault of the split."
        )
    reason = "; ".join(reasons) + "." + "".join(f" {note}" for note in notes)
    return Recommendation(str(best.config), reason[0].upper() + reason[1:])
