"""The runs table and its summaries over seeds: :func:`runs_frame` (design, weighting, seed, per-task best val
metric and epoch, test metric, gain over each baseline, Δm), :func:`seed_summary` its mean and sd over the seeds of
one setting, the multi-seed keys of a metrics file (:func:`seeds_metrics`), the per-seed gains
(:func:`seed_gains`) and the tasks flagged over seeds (:func:`transfer_flags`). The runs are ``_runs.py``'s records.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._baselines import BASELINES
from ._grouping import negative_transfer
from ._metrics import LOWER_IS_BETTER, PRIMARY_METRIC
from ._runs import RunRecord, _strict

__all__ = [
    "runs_frame",
    "seed_summary",
    "seeds_metrics",
    "seed_gains",
    "TransferFlags",
    "transfer_flags",
]


RUN_COLUMNS = ["run", "setting", "design", "weighting", "seed", "status", "epochs", "task", "metric", "best_val",
               "best_epoch", "test", "single_task", "trees", "vs_single_task", "vs_trees", "delta_m_single_task",
               "delta_m_trees", "early_stop_epoch"]


def _vs(metric: str, mtl: float | None, other: float | None) -> float | None:
    if mtl is None or other is None:
        return None
    return (other - mtl) if metric in LOWER_IS_BETTER else (mtl - other)


def runs_frame(runs: Sequence[RunRecord]) -> pd.DataFrame:
    """The runs table, one row per run and task: best val metric and epoch, test metric, each baseline's and the
    gain over it (positive: the multi-task net is better), and the run's Δm over each baseline.

    Examples
    --------
    >>> runs_frame([]).columns[:4].tolist()
    ['run', 'setting', 'design', 'weighting']
    """
    rows = []
    for run in runs:
        metrics = run.metrics or {}
        test, fitted, delta_m = metrics.get("test") or {}, metrics.get("baselines") or {}, metrics.get("delta_m") or {}
        best = run.best_val
        for task, kind in run.kinds.items():
            metric = PRIMARY_METRIC[kind]
            mtl = (test.get(task) or {}).get(metric)
            base = {name: ((fitted.get(name) or {}).get(task) or {}).get(metric) for name in BASELINES}
            rows.append({
                "run": run.name, "setting": run.setting, "design": run.design, "weighting": run.weighting,
                "seed": run.seed, "status": run.status, "epochs": len(run.history), "task": task, "metric": metric,
                "best_val": (best.get(task) or {}).get("value"), "best_epoch": (best.get(task) or {}).get("epoch"),
                "test": mtl, "single_task": base["single_task"], "trees": base["trees"],
                "vs_single_task": _vs(metric, mtl, base["single_task"]), "vs_trees": _vs(metric, mtl, base["trees"]),
                "delta_m_single_task": delta_m.get("single_task"), "delta_m_trees": delta_m.get("trees"),
                "early_stop_epoch": run.early_stop_epoch,
            })
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


SUMMARY_VALUES = ("best_val", "test", "single_task", "trees", "vs_single_task", "vs_trees", "delta_m_single_task",
                  "delta_m_trees")


def seed_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd over seeds of each setting (runs that differ only by seed) and task, ended runs only.

    Columns: ``setting``, ``design``, ``weighting``, ``task``, ``metric``, ``seeds`` (how many), then
    ``<value>_mean`` and ``<value>_sd`` for each value of :func:`runs_frame` (sd with n-1; None for one seed).

    Examples
    --------
    >>> frame = pd.DataFrame({"setting": "a", "design": "hard", "weighting": "equal", "task": "y",
    ...                       "metric": "r2", "seed": [0, 1], "status": "done", "test": [0.5, 0.7]})
    >>> row = seed_summary(frame).iloc[0]
    >>> int(row["seeds"]), round(row["test_mean"], 3), round(row["test_sd"], 3)
    (2, 0.6, 0.141)
    """
    keys = ["setting", "design", "weighting", "task", "metric"]
    done = frame[frame["status"] == "done"]
    values = [v for v in SUMMARY_VALUES if v in done.columns]
    columns = keys + ["seeds"] + [f"{v}_{s}" for v in values for s in ("mean", "sd")]
    if done.empty:
        return pd.DataFrame(columns=columns)
    numbers = done[keys + values].copy()
    numbers[values] = numbers[values].apply(pd.to_numeric, errors="coerce")
    grouped = numbers.groupby(keys, sort=False, dropna=False)
    out = grouped[values].agg(["mean", "std"])
    out.columns = [f"{v}_{'mean' if s == 'mean' else 'sd'}" for v, s in out.columns]
    out.insert(0, "seeds", done.groupby(keys, sort=False, dropna=False)["seed"].nunique())
    out = out.reset_index()
    return out.astype(object).where(out.notna(), None)[columns]


# --------------------------------------------------------------------------- several seeds


def _mean_sd(values: list) -> tuple[float | None, float | None]:
    known = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not known:
        return None, None
    return float(np.mean(known)), float(np.std(known, ddof=1)) if len(known) > 1 else None


def _nested_mean_sd(tables: list[Mapping]) -> tuple[dict, dict]:
    """Mean and sd of ``{task: {metric: value}}`` tables, key by key."""
    mean, sd = {}, {}
    for task in dict.fromkeys(t for table in tables for t in table):
        names = dict.fromkeys(m for table in tables for m in (table.get(task) or {}))
        pairs = {m: _mean_sd([(table.get(task) or {}).get(m) for table in tables]) for m in names}
        mean[task] = {m: pair[0] for m, pair in pairs.items()}
        sd[task] = {m: pair[1] for m, pair in pairs.items()}
    return mean, sd


def seeds_metrics(metrics: Sequence[Mapping], seeds: Sequence[int]) -> dict:
    """The metrics file's multi-seed keys: ``seeds`` (one entry per seed), ``mean`` and ``sd`` (n-1) over them.

    ``metrics`` are the runs' :func:`run_metrics`; ``mean`` and ``sd`` hold ``test`` (task, metric), and when
    the baselines were trained, ``baselines`` (baseline, task, metric) and ``delta_m`` (per baseline).

    Examples
    --------
    >>> out = seeds_metrics([{"test": {"y": {"r2": 0.5}}}, {"test": {"y": {"r2": 0.7}}}], [0, 1])
    >>> [s["seed"] for s in out["seeds"]], round(out["mean"]["test"]["y"]["r2"], 3), round(out["sd"]["test"]["y"]["r2"], 3)
    ([0, 1], 0.6, 0.141)
    """
    kept = ("test", "best_epoch", "best_val", "stopped", "early_stop_epoch", "baselines", "delta_m")
    per_seed = [{"seed": seed, **{k: m.get(k) for k in kept if k in m}} for seed, m in zip(seeds, metrics, strict=True)]
    mean, sd = {}, {}
    mean["test"], sd["test"] = _nested_mean_sd([m.get("test") or {} for m in metrics])
    fitted = [m.get("baselines") for m in metrics if m.get("baselines")]
    if fitted:
        mean["baselines"], sd["baselines"] = {}, {}
        for name in BASELINES:
            tables = [f[name] for f in fitted if name in f]
            if tables:
                mean["baselines"][name], sd["baselines"][name] = _nested_mean_sd(tables)
        deltas = [m.get("delta_m") or {} for m in metrics]
        names = dict.fromkeys(n for d in deltas for n in d)
        pairs = {n: _mean_sd([d.get(n) for d in deltas]) for n in names}
        mean["delta_m"] = {n: p[0] for n, p in pairs.items()}
        sd["delta_m"] = {n: p[1] for n, p in pairs.items()}
    return _strict({"seeds": per_seed, "mean": mean, "sd": sd})


def seed_gains(metrics: Sequence[Mapping | None], seeds: Sequence[int], kinds: Mapping[str, str], *,
               baseline: str = "single_task") -> pd.DataFrame:
    """Per seed and task, the multi-task net's primary test metric minus the ``baseline``'s (positive: better).

    ``metrics`` are the seeds' :func:`run_metrics` (a run record's ``metrics``, or ``fit_run``'s), in the order
    of ``seeds``; ``kinds`` maps task to kind. Columns ``task``, ``metric``, ``seed``, ``gain`` and
    ``relative_gain`` (gain over the baseline's absolute value): the table ``negative_transfer`` takes. A seed
    without that baseline gives no gain (None).

    Examples
    --------
    >>> seed = {"test": {"y": {"r2": 0.4}}, "baselines": {"single_task": {"y": {"r2": 0.5}}}}
    >>> seed_gains([seed], [7], {"y": "regression"}).round(3).values.tolist()
    [['y', 'r2', 7, -0.1, -0.2]]
    """
    rows = []
    for seed, values in zip(seeds, metrics, strict=True):
        test = (values or {}).get("test") or {}
        alone = ((values or {}).get("baselines") or {}).get(baseline) or {}
        for task, kind in kinds.items():
            metric = PRIMARY_METRIC[kind]
            other = (alone.get(task) or {}).get(metric)
            gain = _vs(metric, (test.get(task) or {}).get(metric), other)
            relative = gain / abs(other) if gain is not None and other else None
            rows.append((task, metric, int(seed), gain, relative))
    return pd.DataFrame(rows, columns=["task", "metric", "seed", "gain", "relative_gain"])


@dataclass(frozen=True, kw_only=True)
class TransferFlags:
    """One setting's tasks flagged over its seeds: worse than the single-task nets, and worse than the trees."""

    design: str
    weighting: str
    seeds: tuple[int, ...]
    alone: tuple[str, ...]
    trees: tuple[str, ...]


def transfer_flags(runs: Sequence[RunRecord], *, min_seeds: int = 2) -> tuple[TransferFlags, ...]:
    """Per setting (runs that differ only by seed) with ``min_seeds`` or more finished seeds with baselines, the
    tasks worse than the single-task nets on every seed (negative transfer) and worse than the trees on every seed
    (:func:`negative_transfer`; a seed run twice counts its newest run). Runs of other data or splits are the
    caller's to leave out.

    Examples
    --------
    >>> transfer_flags(())
    ()
    """
    by_setting: dict[str, dict[int, RunRecord]] = {}
    for run in runs:  # oldest first (list_runs' order): a later run of a seed replaces an earlier one
        if run.status == "done" and ((run.metrics or {}).get("baselines") or {}):
            by_setting.setdefault(run.setting, {})[run.seed] = run
    flags = []
    for seeds in by_setting.values():
        if len(seeds) < min_seeds:
            continue
        chosen = list(seeds.values())
        metrics, numbers, kinds = [r.metrics for r in chosen], [r.seed for r in chosen], chosen[-1].kinds
        flags.append(TransferFlags(
            design=chosen[-1].design, weighting=chosen[-1].weighting, seeds=tuple(sorted(numbers)),
            alone=negative_transfer(seed_gains(metrics, numbers, kinds)),
            trees=negative_transfer(seed_gains(metrics, numbers, kinds, baseline="trees"), against="the trees"),
        ))
    return tuple(flags)
