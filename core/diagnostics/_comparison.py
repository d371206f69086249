"""Strategy comparison: several split configs of the same data, scored the same way, side by side."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.diagnostics._distribution import task_scores_of_codes
from core.diagnostics._judge import dealt_groups, group_chance
from core.diagnostics._leakage_checks import group_check, time_check
from core.diagnostics._quality import split_quality_of_codes
from core.diagnostics._thresholds import scorecard, status_of, status_reason
from core.splits import assignment_codes
from core.tasks import (
    EncodedTasks,
    Task,  # noqa: F401  (the docstring examples use it)
    encode_tasks,
)

__all__ = ["StrategyComparison", "compare_strategies"]


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
    >>> table = compare_strategies(frame, tasks, [SplitConfig("random"), SplitConfig("stratified")]).to_frame()
    >>> table["config"].tolist()
    ['random', 'stratified']
    """
    # imported here: core.splits._split pulls in the stratifier, which the other diagnostics never need
    from core.errors import TaskSplitError
    from core.splits import split

    encodings = {tasks.n_bins: tasks} if isinstance(tasks, EncodedTasks) else {}
    tasks = tuple(getattr(part, "task", part) for part in getattr(tasks, "tasks", tasks))
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
        fractions = None if config.n_folds or config.strategy == "predefined" else dict(config.fractions)
        quality = split_quality_of_codes(encoded.matrix, codes, splits, fractions)
        scores = task_scores_of_codes(encoded, codes, splits)
        dealt = dealt_groups(config)
        chance = group_chance(df, encoded, config, dealt) if dealt in df.columns else None
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
    if config.strategy == "time" and len(splits) > 1:
        order = time_check(df, config.time_column, codes, splits, group_column=config.group_column,
                           group_time=config.time_groups)
        checks.append((order.status, "time order: " + order.detail.split(";")[0].rstrip(".")))
    return groups_split, checks
