"""Summarise (pass 1): read only the columns a split needs, count rows per label set, bin regression columns.

:func:`summarise` first finds the regression columns' exact bin edges (:func:`regression_edges`: a read of
those columns alone, kept in worker memory while the quantiles are bracketed), then runs the first pass
over every partition (:func:`core.cluster._rows.read_part`: the label sets, regression bins included, in one
pass), keeps each partition's state on its worker for the later passes, brings the small counts to the
client and merges the partitions' label sets into the data's (:func:`merge_sets`). :func:`plan_options` says what the passes of a config read and check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd

from ..errors import DataError
from ..splits import STRATEGIES
from ._client import run_pass
from ._labels import encode_sets, first_met, key_hashes, label_columns, regression_columns, sampled_edges
from ._parts import Plan
from ._read import lazy_table, mapped
from ._rows import bracket_of, read_part, regression_values, small_of, with_rank

__all__ = ["CHECKS", "Progress", "say", "plan_options", "summarise", "merge_sets", "merged_counts"]

CHECKS = ("group", "duplicates", "time")  # the exact leakage checks over every row
Progress = Callable[[float, str], None]


def say(progress: Progress | None, share: float, text: str) -> None:
    if progress is not None:
        progress(share, text)


def read_columns(frame, tasks, config, plan) -> list[str]:
    """The columns pass 1 reads: the tasks' and those the split (or its checks) read later."""
    return list(dict.fromkeys([*plan.label_columns, *plan.keep,
                               *([plan.time_column] if plan.time_values else []),
                               *([plan.hash_column] if plan.hash_column else []),
                               *([config.split_column] if plan.split_values else [])]))


def summarise(client, data, tasks, config, plan_options, progress, watch, rank_beyond: int | None = None):
    """Pass 1 (reading only the columns the split needs), after the regression columns' exact bins.

    Returns the plan, each partition's small counts, the rows per partition, the label sets, each
    partition's (local set -> global set, rows of the set in earlier partitions), and the futures of the
    partitions' states, kept on the workers for the later passes. With ``rank_beyond``, a data of more
    rows has each row's rank within its partition's label set made on the workers (:func:`with_rank`)
    while the client merges the label sets (and solves): the join of a stratified split then only looks up.
    """
    plan = Plan(config=config, label_columns=tuple(label_columns(tasks)), regression=tuple(regression_columns(tasks)),
                **plan_options)
    columns = read_columns(None, tasks, config, plan) or [lazy_table(data).columns[0]]  # at least the rows
    plan = replace(plan, edges=regression_edges(client, data, plan, progress, watch))
    say(progress, 0.15, "Summarising: rows per label set")
    states = client.compute(mapped(data, columns, read_part, plan))
    got = run_pass(client, [client.submit(small_of, s, pure=False) for s in states], watch)
    n = np.array([g["n"] for g in got], dtype=np.int64)
    _some_rows(int(n.sum()))
    if plan.label_columns and rank_beyond is not None and int(n.sum()) > rank_beyond:
        states = [client.submit(with_rank, s, pure=False) for s in states]  # not waited for: the client merges
    sets, per_part = None, None
    if plan.label_columns:
        say(progress, 0.24, "Merging the partitions' label sets on the client")
        sets, per_part = merge_sets([g["sets"] for g in got], tasks, plan.edges, config.n_bins,
                                    list(plan.label_columns), [g["keys"] for g in got])
    return plan, got, n, sets, per_part, states


def _some_rows(n: int) -> None:
    if n == 0:
        raise DataError("The data has no rows; give a table with at least one row.")


def regression_edges(client, data, plan, progress, watch) -> dict:
    """Each regression column's exact bin edges (:func:`core.cluster._labels.sampled_edges`), before pass 1.

    One pass reads the regression columns alone (a float a row: from Parquet a small share of pass 1's bytes;
    from CSV globs every file is parsed whole once more) and keeps their finite values on the workers for the
    bracketing passes (a partition's read, values and sample are one task); so pass 1 bins them as it makes the
    label sets.
    """
    if not plan.regression:
        return {}
    say(progress, 0.1, "Exact quantiles of " + ", ".join(f"'{c}'" for c in plan.regression))
    columns = list(plan.regression)
    values = client.compute(mapped(data, columns, regression_values, columns))
    samples = run_pass(client, [client.submit(small_of, v, pure=False) for v in values], watch)
    _some_rows(sum(s["n"] for s in samples))
    edges = {}
    for column in columns:

        def bracket(low, high, column=column):
            return run_pass(client, [client.submit(bracket_of, v, column, low, high, pure=False) for v in values])

        edges[column] = sampled_edges([s[column] for s in samples], plan.config.n_bins, bracket, column)
    return edges  # (the workers drop the values with the last future)


def merge_sets(tables, tasks, edges, n_bins, columns, keys=None):
    """The data's label sets (in the order first met) from each partition's, and per partition its local sets'
    global index and rows of that set in earlier partitions. ``keys``: each table's :func:`key_hashes` of
    ``columns`` (made on the workers; else here)."""
    keys = [key_hashes(table[columns]) for table in tables] if keys is None else keys
    rows = np.concatenate([table["_rows"].to_numpy(dtype=np.int64) for table in tables])
    every = np.concatenate(keys)
    set_of, uniques = pd.factorize(every)  # numbered in the order first met (a hash table: no sort of every key)
    order = first_met(set_of)
    distinct = pd.concat(tables, ignore_index=True).iloc[order].reset_index(drop=True)
    distinct["_key"] = every[order]
    distinct["_rows"] = np.bincount(set_of, weights=rows, minlength=len(uniques)).astype(np.int64)
    sets = encode_sets(distinct, tasks, edges, n_bins)
    before = pd.Series(rows).groupby(set_of, sort=False).cumsum().to_numpy() - rows
    bounds = np.cumsum([0] + [len(k) for k in keys])
    per_part = [(set_of[bounds[i]:bounds[i + 1]], before[bounds[i]:bounds[i + 1]]) for i in range(len(tables))]
    return sets, per_part


def merged_counts(got, key: str) -> pd.Series:
    series = [g[key] for g in got if len(g[key])]
    if not series:
        return pd.Series(dtype=np.int64)
    return pd.concat(series).groupby(level=0, sort=False, dropna=False).sum()


def plan_options(config, features, checks) -> dict:
    """What the passes of this config read and check (see :class:`core.cluster._parts.Plan`)."""
    strategy = STRATEGIES[config.strategy]
    grouped = None if strategy.given or config.strategy == "hash" or config.time_groups == "rows" else config.group_column
    group_column = config.group_column if not strategy.given else None
    time_column = config.time_column if strategy.by_time or "time" in checks else None  # the exact check reads it
    hash_column = (config.group_column or config.id_column) if config.strategy == "hash" else None
    keep = [group_column if grouped or (group_column and "group" in checks) else None,
            time_column, config.id_column, config.split_column if strategy.given else None, hash_column]
    return dict(group_column=group_column, time_column=time_column,
                time_values=strategy.by_time and grouped is None, split_values=strategy.given,
                feature_columns=tuple(features) if "duplicates" in checks else (), id_column=config.id_column,
                check_groups="group" in checks, check_time="time" in checks,
                check_duplicates="duplicates" in checks, hash_column=hash_column,
                keep=tuple(dict.fromkeys(c for c in keep if c)))
