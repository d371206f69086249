"""Solve on the client: each unit's split from the summarised counts, as the in-memory engine decides it.

:func:`plan_and_solve` runs the summarise pass and, per strategy, the solve: the registry's functions on
the split-column, time-value or group table; :func:`core.splits.stratify.stratify` on the group table
(:func:`group_table`, pass 2 from worker memory; beyond ``EXACT_ROWS`` rows on the workers in batches of
groups, :func:`core.cluster._group_deal.deal_group_table`) or on every row's label set up to ``EXACT_ROWS`` rows;
beyond, whole blocks per label set plus the solver on the leftovers (:func:`core.cluster._solve.set_split_counts`).
It returns the :class:`core.cluster._parts.Solution` the join pass applies.
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DataError
from ..splits import EXCLUDED, STRATEGIES, SplitConfig, Units, split
from ..splits.stratify import largest_remainder, stratify
from ._client import run_pass
from ._group_deal import deal_group_table
from ._groups import group_table, solve_groups
from ._parts import Solution
from ._solve import code_dtype, set_split_counts, walk_of
from ._summarise import CHECKS, merged_counts, plan_options, say, summarise

__all__ = ["EXACT_ROWS", "plan_and_solve", "scatter"]

EXACT_ROWS = 2_000_000  # up to this many rows a stratified split runs the in-memory solver on every row


def _need_tasks(config, tasks):
    if not tasks:
        raise DataError(
            f"strategy '{config.strategy}' balances tasks but none is chosen; pick a task or use strategy 'random'."
        )


def _check_units(config, n_units: int, column: str | None) -> None:
    positive = int((config.shares > 0).sum())
    if positive <= n_units:
        return
    where = f"{n_units} groups in column '{column}'" if column else f"{n_units} rows of the dataset"
    if config.n_folds is not None:
        raise DataError(f"n_folds={config.n_folds} is greater than the {where}. Lower n_folds.")
    raise DataError(f"{positive} splits ({', '.join(config.split_names)}) need more than the {where}. Use fewer splits.")


def _path(config, grouped: str | None) -> str:
    """Which solve a split takes: "given" (the split column's values), "hash", "time" (rows by their time),
    "groups" (the group table) or "rows" (label sets, or every row at random)."""
    strategy = STRATEGIES[config.strategy]
    if strategy.given:
        return "given"
    if config.strategy == "hash":
        return "hash"
    if grouped is not None:
        return "groups"
    return "time" if strategy.by_time else "rows"


def plan_and_solve(client, data, tasks, config, features, progress, watch, notes, checks=CHECKS,
                    exact_rows=EXACT_ROWS):
    """Summarise and solve: the join pass's plan, its solution, per partition what the solution needs, the rows
    per partition, their offsets, the label sets and the partitions' states (on the workers)."""
    strategy = STRATEGIES[config.strategy]
    grouped = None if strategy.given or config.strategy == "hash" or config.time_groups == "rows" else config.group_column
    path = _path(config, grouped)
    by_sets = path == "rows" and strategy.stratifies  # beyond exact_rows: by label set and rank (the join needs ranks)
    plan, got, n, sets, per_part, states = summarise(client, data, tasks, config, plan_options(config, features, checks),
                                                      progress, watch, exact_rows if by_sets else None)
    offsets = np.cumsum(n) - n
    extra = [None] * len(n)
    batched = grouped is not None and strategy.stratifies and not strategy.by_time and int(n.sum()) > exact_rows
    if grouped is None:  # (a group split first makes its group table, then solves it on the client or the workers)
        say(progress, 0.35, "Solving on the client")
    if path == "given":
        values = merged_counts(got, "splits")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = split(pd.DataFrame({config.split_column: values.index}), (), config)
        names = tuple(name for name in result.split_names if name != EXCLUDED)
        position = {name: i for i, name in enumerate(names)} | {EXCLUDED: -1}
        lookup = pd.Series(result.assignment.map(position).to_numpy(dtype=np.int64), index=values.index)
        missing = int(values[pd.isna(values.index) | (lookup.to_numpy() < 0)].sum())
        if missing:
            notes.append(f"{missing:,} rows have no value in split_column '{config.split_column}'; they are marked "
                         f"'{EXCLUDED}'.")
        del caught
        solution = Solution(kind="lookup", names=names, column=config.split_column, lookup=lookup)
    elif path == "hash":
        column = config.group_column or config.id_column
        missing = sum(g["missing_ids"] for g in got)
        if missing:
            setting = "group_column" if config.group_column else "id_column"
            raise DataError(f"{setting} '{column}' has {missing:,} missing values; every row needs an id for a hash "
                            "split, so fill them.")
        hashing = SplitConfig(strategy="hash", id_column=column, fractions=config.fractions, seed=config.seed)
        solution = Solution(kind="hash", names=config.split_names, column=column)
        extra = [hashing] * len(n)
    elif path == "time":
        values = merged_counts(got, "times")
        units = Units(None, values.to_numpy(dtype=np.int64), "rows")
        code = strategy.codes(pd.DataFrame({config.time_column: values.index}), (), config, units, notes)
        solution = Solution(kind="lookup", names=config.split_names, column=config.time_column,
                            lookup=pd.Series(np.asarray(code, dtype=np.int64), index=values.index))
    elif path == "groups":
        group_plan = replace(plan, group_column=grouped, time_column=config.time_column if strategy.by_time else None)
        matrix = sets.matrix if sets is not None else sp.csr_matrix((0, 0))
        to_global = [per_part[i][0] if per_part is not None else None for i in range(len(states))]
        set_rows = sets.rows if sets is not None else np.zeros(0, dtype=np.int64)
        if batched:
            _need_tasks(config, tasks)
            say(progress, 0.3, "Splitting the groups in batches on the workers")
            solution, extra = deal_group_table(client, states, group_plan, offsets, matrix, set_rows, to_global,
                                               config, grouped, notes, watch, _check_units)
        else:
            say(progress, 0.25, "Summarising: labels per group")
            table = group_table(client, states, group_plan, offsets, matrix, set_rows, to_global, watch,
                                lambda items: scatter(client, items))
            say(progress, 0.4, f"Solving the table of {len(table.sizes):,} groups on the client")
            by_group, by_row = solve_groups(config, tasks, table, grouped, notes, _need_tasks, _check_units)
            del table
            solution = Solution(kind="lookup", names=config.split_names, column=grouped, lookup=by_group)
            extra = [by_row] * len(n)
    else:  # "rows": every row by its label set (stratified) or its place among all rows (random)
        total = int(n.sum())
        _check_units(config, total, None)
        if strategy.stratifies and total <= exact_rows:
            _need_tasks(config, tasks)
            solution, extra = _solve_rows(client, states, per_part, sets, config, n, watch)
        elif strategy.stratifies:
            _need_tasks(config, tasks)
            counts = set_split_counts(sets.rows, sets.matrix, config.shares, seed=config.seed, order=config.order)
            solution = Solution(kind="sets", names=config.split_names, cumulative=np.cumsum(counts, axis=1),
                                set_rows=sets.rows, seed=config.seed, by_labels=True,
                                walk=walk_of(sets.rows, config.seed))
            extra = per_part
        else:
            counts = largest_remainder(total, config.shares)[None, :]
            solution = Solution(kind="sets", names=config.split_names, cumulative=np.cumsum(counts, axis=1),
                                set_rows=np.array([total], dtype=np.int64), seed=config.seed, by_labels=False)
    say(progress, 0.5, "Solved")
    return plan, solution, extra, n, offsets, sets, per_part, states


def _sets_of_rows(state: dict) -> np.ndarray:
    return state["sets"]


def _solve_rows(client, states, per_part, sets, config, n, watch):
    """The in-memory solver on every row: each row's label set in data order, the very call
    :func:`core.splits.split` makes on the same indicator matrix (so the same assignment)."""
    local = run_pass(client, [client.submit(_sets_of_rows, s, pure=False) for s in states], watch)
    of_row = np.concatenate([per_part[i][0][codes] for i, codes in enumerate(local)])
    shares = config.shares
    part = stratify(sets.matrix[of_row], shares[shares > 0], rng=np.random.default_rng(config.seed),
                    order=config.order)
    code = np.flatnonzero(shares > 0)[np.asarray(part, dtype=np.int64)].astype(code_dtype(len(shares)))
    bounds = np.cumsum(np.concatenate([[0], n]))
    return Solution(kind="rows", names=config.split_names), [code[bounds[i]:bounds[i + 1]] for i in range(len(n))]


def scatter(client, items: dict) -> dict:
    """Each value sent to every worker once; the tasks take its future (not a copy per task)."""
    return {name: client.scatter(value, broadcast=True, hash=False) for name, value in items.items()}
