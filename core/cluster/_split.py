"""Split and diagnose a table of any size on a Dask cluster: summarise, solve, join.

1. **Summarise** (one pass): rows per partition and per label key (a regression column's exact
   quantile bin, from two short passes over that column first); for ``time`` the rows per time value;
   for groups a second pass sums each group's labels, rows, first row and first/last time.
2. **Solve** on the client with the in-memory engine: :func:`core.splits.stratify.stratify` on the
   group table (the very call :func:`core.splits.split` makes, on the same matrix in the same group
   order, so a group split *is* the in-memory one) or on the leftover rows of the label-set table
   (:func:`core.cluster._solve.set_split_counts`); the registry's own ``random`` and ``time`` functions
   on the group or time-value table; ``hash`` as :func:`core.splits.split` hashes, row by row.
3. **Join** (one pass): each row's split, by its label set and rank, its group, its time value or
   its id's hash, written to a temporary folder that is renamed to ``out`` only when every part is
   written; the same pass counts rows per label set and split, and reduces the exact leakage checks.

Where the result may differ from the in-memory engine's: ``stratified`` without groups, up to
``exact_rows`` rows (2,000,000), runs the in-memory solver on every row's label set in data order (each
row's set code comes to the client, its split goes back to its partition) and gives the in-memory
assignment itself; beyond, each label set's whole blocks of D rows are dealt exactly in proportion and
only the rows left over go to the solver (:func:`core.cluster._solve.set_split_counts`), so the per-set
counts are within D - 1 rows of proportional, not the solver's on every row, and which rows of a set take
them follows a seeded walk over their ranks (see :mod:`core.cluster._solve`);
``random`` without groups cuts a keyed permutation of the rows at the largest-remainder sizes (the
in-memory ``random`` cuts a numpy permutation at the cumulative fractions, so its sizes can differ by one
row). ``hash``, ``group`` (and any strategy over groups), ``time`` and ``predefined`` give the in-memory
assignment itself; regression bins use the exact quantiles. With folds, a fold left empty by a tiny
group table is not refilled as in memory (the in-memory engine moves one unit into it).
"""

from __future__ import annotations

import json
import operator
import shutil
import uuid
import warnings
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..data import id_like_names
from ..errors import ConfigError, DataError
from ..splits import EXCLUDED, STRATEGIES, SplitConfig, Units, split
from ..splits.stratify import largest_remainder, stratify
from ..tasks import Task
from ._client import open_client, run_pass
from ._diagnose import (
    ClusterDiagnosis,
    build_diagnosis,
    check_frame,
    duplicate_check_row,
    group_check_row,
    spread_graph,
    spread_totals,
    time_check_rows,
)
from ._labels import LabelSets, encode_sets, key_hashes, label_columns, regression_columns, sampled_edges
from ._parts import Plan, Solution, group_rows, join_part, sum_groups
from ._read import fingerprint, lazy_table, partitions
from ._rows import bracket_of, read_part, sets_of, small_of
from ._solve import set_split_counts

__all__ = ["ClusterSplit", "split_dataset", "diagnose_split", "SUMMARY"]

SUMMARY = "summary.json"
CHECKS = ("group", "duplicates", "time")  # the exact leakage checks over every row
PARTS = "assignment"  # the Parquet dataset inside the output folder, beside summary.json
SUMMARY_FORMAT = "tasksplit.ClusterSplit"
Progress = Callable[[float, str], None]


@dataclass(frozen=True, eq=False, kw_only=True)
class ClusterSplit:
    """A split written by :func:`split_dataset`: where, how, its sizes and its diagnosis.

    Attributes
    ----------
    out : Path
        The folder: ``assignment/part-*.parquet`` (``row``, the id column if any, ``split``; read it with
        ``pandas.read_parquet(out / "assignment")``) and ``summary.json``.
    config : SplitConfig
    n_rows : int
    sizes : pandas.DataFrame
        ``split, rows, share``.
    diagnosis : ClusterDiagnosis
    fingerprint : dict
        The input's files, sizes and their SHA-256.
    warnings : tuple of str
    summary : dict
        What ``summary.json`` holds.
    """

    out: Path
    config: SplitConfig
    n_rows: int
    sizes: pd.DataFrame
    diagnosis: ClusterDiagnosis
    fingerprint: dict
    warnings: tuple[str, ...]
    summary: dict


@contextmanager
def _client_or_local(client):
    if client is not None:
        yield client
        return
    with open_client() as local:
        yield local


def _say(progress: Progress | None, share: float, text: str) -> None:
    if progress is not None:
        progress(share, text)


def _check(frame, tasks: Sequence[Task], config: SplitConfig) -> None:
    columns = set(frame.columns)
    for name in ("group_column", "time_column", "id_column", "split_column"):
        column = getattr(config, name)
        if column is not None and column not in columns and _reads(config, name):
            shown = ", ".join(map(str, list(frame.columns)[:8])) + (" ..." if len(frame.columns) > 8 else "")
            raise DataError(f"{name}='{column}' is not a column of the data (it has {shown}); check the spelling.")
    for column in label_columns(tasks):
        if column not in columns:
            raise DataError(f"Task column '{column}' is not in the data; check the task's columns.")


def _reads(config: SplitConfig, name: str) -> bool:
    strategy = STRATEGIES[config.strategy]
    if strategy.given:
        return name == strategy.column
    return name == "group_column" or name == strategy.column


# --------------------------------------------------------------------------- summarise


def _read_columns(frame, tasks, config, plan) -> list[str]:
    """The columns pass 1 reads: the tasks' and those the split (or its checks) read later."""
    return list(dict.fromkeys([*plan.label_columns, *plan.keep,
                               *([plan.time_column] if plan.time_values else []),
                               *([plan.hash_column] if plan.hash_column else []),
                               *([config.split_column] if plan.split_values else [])]))


def _summarise(client, data, tasks, config, plan_options, progress, watch):
    """Pass 1 (reading only the columns the split needs) and, for regression tasks, the exact bins from memory.

    Returns the plan, each partition's small counts, the rows per partition, the label sets, each
    partition's (local set -> global set, rows of the set in earlier partitions), and the futures of the
    partitions' states, kept on the workers for the later passes.
    """
    import dask

    plan = Plan(config=config, label_columns=tuple(label_columns(tasks)), regression=tuple(regression_columns(tasks)),
                **plan_options)
    columns = _read_columns(None, tasks, config, plan) or [lazy_table(data).columns[0]]  # at least the rows
    _say(progress, 0.15, "Summarising: rows per label set")
    states = client.compute([dask.delayed(read_part)(part, plan) for part in partitions(data, columns)])
    got = run_pass(client, [client.submit(small_of, s, pure=False) for s in states], watch)
    n = np.array([g["n"] for g in got], dtype=np.int64)
    if n.sum() == 0:
        raise DataError("The data has no rows; give a table with at least one row.")
    edges = {}
    for column in plan.regression:
        _say(progress, 0.2, f"Exact quantiles of '{column}'")

        def bracket(low, high, column=column):
            return run_pass(client, [client.submit(bracket_of, s, column, low, high, pure=False) for s in states])

        edges[column] = sampled_edges([g[f"sample:{column}"] for g in got], config.n_bins, bracket, column)
    plan = replace(plan, edges=edges)
    sets, per_part = None, None
    if plan.label_columns:
        if plan.regression:
            states = [client.submit(sets_of, s, plan, edges, pure=False) for s in states]
            tables = run_pass(client, [client.submit(_table_of, s, pure=False) for s in states], watch)
        else:
            tables = [g["sets"] for g in got]
        sets, per_part = _merge_sets(tables, tasks, edges, config.n_bins, list(plan.label_columns))
    return plan, got, n, sets, per_part, states


def _table_of(state: dict) -> pd.DataFrame:
    return state["table"]


def _merge_sets(tables, tasks, edges, n_bins, columns):
    """The data's label sets (in the order first met) from each partition's, and per partition its local sets'
    global index and rows of that set in earlier partitions."""
    keys = [key_hashes(table[columns]) for table in tables]
    rows = np.concatenate([table["_rows"].to_numpy(dtype=np.int64) for table in tables])
    every = np.concatenate(keys)
    index, first = np.unique(every, return_index=True)
    order = np.sort(first)  # the sets in the order first met
    distinct = pd.concat(tables, ignore_index=True).iloc[order].reset_index(drop=True)
    distinct["_key"] = every[order]
    index = pd.Index(every[order])
    set_of = index.get_indexer(every)
    distinct["_rows"] = np.bincount(set_of, weights=rows, minlength=len(index)).astype(np.int64)
    sets = encode_sets(distinct, tasks, edges, n_bins)
    before = pd.Series(rows).groupby(set_of, sort=False).cumsum().to_numpy() - rows
    bounds = np.cumsum([0] + [len(k) for k in keys])
    per_part = [(set_of[bounds[i]:bounds[i + 1]], before[bounds[i]:bounds[i + 1]]) for i in range(len(tables))]
    return sets, per_part


def _merged_counts(got, key: str) -> pd.Series:
    series = [g[key] for g in got if len(g[key])]
    if not series:
        return pd.Series(dtype=np.int64)
    return pd.concat(series).groupby(level=0, sort=False, dropna=False).sum()


# --------------------------------------------------------------------------- solve


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


def _group_table(client, states, plan, offsets, sets: LabelSets | None, per_part, watch):
    """Pass 2 (from worker memory): per group, rows, first row, label counts, first/last time; in the in-memory
    group order. Each partition sends its rows' (group, first row, label set) to one of a few buckets by a hash
    of the group; each bucket sums its groups' labels (sparse rows x sets times the set matrix)."""
    matrix = sets.matrix if sets is not None else sp.csr_matrix((0, 0))
    shared = _scatter(client, {"matrix": matrix})
    buckets = max(2, min(len(states), 16))
    to_global = [per_part[i][0] if per_part is not None else None for i in range(len(states))]
    pieces = [client.submit(group_rows, s, int(offsets[i]), plan, to_global[i], shared["matrix"], buckets, pure=False)
              for i, s in enumerate(states)]
    reduced = [client.submit(sum_groups, [client.submit(operator.getitem, p, b, pure=False) for p in pieces],
                             shared["matrix"], plan.time_column is not None, pure=False) for b in range(buckets)]
    lone = [client.submit(operator.getitem, p, "lone", pure=False) for p in pieces]
    got = run_pass(client, [*reduced, *lone], watch)
    table = pd.concat(got[:buckets], ignore_index=True).sort_values("_first", kind="stable")
    lone = pd.concat(got[buckets:], ignore_index=True).sort_values("_first", kind="stable")
    return table, lone


def _solve_groups(config, tasks, table, lone, plan, notes):
    """Each group's split code, by the registry's function or the engine, as :func:`core.splits.split` gives it."""
    units = pd.concat([table.drop(columns="_g"), lone], ignore_index=True)
    sizes = units["_size"].to_numpy(dtype=np.int64)
    column = plan.group_column
    if lone.shape[0]:
        notes.append(f"{len(lone):,} rows have no value in group_column '{column}'; each is kept as a group of its own.")
    if sizes.size < 2:
        raise DataError(f"group_column '{column}' holds a single group; a group split needs at least two groups, "
                        "so pick another column or no group column.")
    strategy = STRATEGIES[config.strategy]
    if strategy.by_time:
        placed = units["_tmin" if config.group_time == "first" else "_tmax"]
        code = strategy.codes(pd.DataFrame({config.time_column: placed.to_numpy()}), (), config,
                              Units(None, sizes, "groups"), notes)
    elif not strategy.stratifies:
        _check_units(config, sizes.size, column)
        code = strategy.codes(None, (), config, Units(None, sizes, "groups"), notes)
    else:
        _need_tasks(config, tasks)
        _check_units(config, sizes.size, column)
        label_cols = [c for c in units.columns if c.startswith("y")]
        unit_Y = sp.csr_matrix(units[label_cols].to_numpy(dtype=np.int32))
        shares = config.shares
        part = stratify(unit_Y, shares[shares > 0], rng=np.random.default_rng(config.seed), sizes=sizes,
                        order=config.order)
        code = np.flatnonzero(shares > 0)[np.asarray(part, dtype=np.int64)]
    code = np.asarray(code, dtype=np.int64)
    by_group = pd.Series(code[: len(table)], index=pd.Index(table["_g"].to_numpy()))
    by_row = pd.Series(code[len(table):], index=pd.Index(lone["_first"].to_numpy()))
    return by_group, by_row


def _plan_options(config, features, checks) -> dict:
    """What the passes of this config read and check (see :class:`core.cluster._parts.Plan`)."""
    strategy = STRATEGIES[config.strategy]
    grouped = None if strategy.given or config.strategy == "hash" or config.time_groups == "rows" else config.group_column
    group_column = config.group_column if not strategy.given else None
    time_column = config.time_column if strategy.by_time else None
    hash_column = (config.group_column or config.id_column) if config.strategy == "hash" else None
    keep = [group_column if grouped or (group_column and "group" in checks) else None,
            time_column, config.id_column, config.split_column if strategy.given else None, hash_column]
    return dict(group_column=group_column, time_column=time_column,
                time_values=strategy.by_time and grouped is None, split_values=strategy.given,
                feature_columns=tuple(features) if "duplicates" in checks else (), id_column=config.id_column,
                check_groups="group" in checks, check_time="time" in checks,
                check_duplicates="duplicates" in checks, hash_column=hash_column,
                keep=tuple(dict.fromkeys(c for c in keep if c)))


EXACT_ROWS = 2_000_000  # up to this many rows a stratified split runs the in-memory solver on every row


def _plan_and_solve(client, data, tasks, config, features, progress, watch, notes, checks=CHECKS,
                    exact_rows=EXACT_ROWS):
    """Summarise and solve: the join pass's plan, its solution, per partition what the solution needs, the rows
    per partition, their offsets, the label sets and the partitions' states (on the workers)."""
    strategy = STRATEGIES[config.strategy]
    grouped = None if strategy.given or config.strategy == "hash" or config.time_groups == "rows" else config.group_column
    time_rows = strategy.by_time and grouped is None
    plan, got, n, sets, per_part, states = _summarise(client, data, tasks, config, _plan_options(config, features, checks),
                                                      progress, watch)
    offsets = np.cumsum(n) - n
    extra = [None] * len(n)
    _say(progress, 0.35, "Solving on the client")
    if strategy.given:
        values = _merged_counts(got, "splits")
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
    elif config.strategy == "hash":
        column = config.group_column or config.id_column
        missing = sum(g["missing_ids"] for g in got)
        if missing:
            setting = "group_column" if config.group_column else "id_column"
            raise DataError(f"{setting} '{column}' has {missing:,} missing values; every row needs an id for a hash "
                            "split, so fill them.")
        hashing = SplitConfig(strategy="hash", id_column=column, fractions=config.fractions, seed=config.seed)
        solution = Solution(kind="hash", names=config.split_names, column=column)
        extra = [hashing] * len(n)
    elif time_rows:
        values = _merged_counts(got, "times")
        units = Units(None, values.to_numpy(dtype=np.int64), "rows")
        code = strategy.codes(pd.DataFrame({config.time_column: values.index}), (), config, units, notes)
        solution = Solution(kind="lookup", names=config.split_names, column=config.time_column,
                            lookup=pd.Series(np.asarray(code, dtype=np.int64), index=values.index))
    elif grouped is not None:
        _say(progress, 0.25, "Summarising: labels per group")
        group_plan = replace(plan, group_column=grouped, time_column=config.time_column if strategy.by_time else None)
        table, lone = _group_table(client, states, group_plan, offsets, sets, per_part, watch)
        by_group, by_row = _solve_groups(config, tasks, table, lone, group_plan, notes)
        solution = Solution(kind="lookup", names=config.split_names, column=grouped, lookup=by_group)
        extra = [by_row] * len(n)
    else:
        total = int(n.sum())
        _check_units(config, total, None)
        if strategy.stratifies and total <= exact_rows:
            _need_tasks(config, tasks)
            solution, extra = _solve_rows(client, states, per_part, sets, config, n, watch)
        elif strategy.stratifies:
            _need_tasks(config, tasks)
            counts = set_split_counts(sets.rows, sets.matrix, config.shares, seed=config.seed, order=config.order)
            solution = Solution(kind="sets", names=config.split_names, cumulative=np.cumsum(counts, axis=1),
                                set_rows=sets.rows, seed=config.seed, by_labels=True)
            extra = per_part
        else:
            counts = largest_remainder(total, config.shares)[None, :]
            solution = Solution(kind="sets", names=config.split_names, cumulative=np.cumsum(counts, axis=1),
                                set_rows=np.array([total], dtype=np.int64), seed=config.seed, by_labels=False)
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
    code = np.flatnonzero(shares > 0)[np.asarray(part, dtype=np.int64)].astype(np.int8)
    bounds = np.cumsum(np.concatenate([[0], n]))
    return Solution(kind="rows", names=config.split_names), [code[bounds[i]:bounds[i + 1]] for i in range(len(n))]


# --------------------------------------------------------------------------- join and diagnose


def _scatter(client, items: dict) -> dict:
    """Each value sent to every worker once; the tasks take its future (not a copy per task)."""
    return {name: client.scatter(value, broadcast=True, hash=False) for name, value in items.items()}


def _scatter_same(client, extra: list) -> list:
    """``extra`` with one object shared by every partition (the rows without a group) scattered once."""
    if extra and all(e is extra[0] for e in extra) and extra[0] is not None:
        future = client.scatter(extra[0], broadcast=True, hash=False)
        return [future] * len(extra)
    return extra


def _small(result: dict) -> dict:
    return {key: value for key, value in result.items() if key not in ("groups", "rows")}


def _join(client, data, plan, solution, extra, offsets, states, out, all_columns, watch):
    """Pass 3: every row's split (written under ``out`` unless None), the counts, the exact leakage checks.

    It works from the partitions' states in worker memory; the files are read again only to write every
    column or to hash the feature columns for the duplicate check.
    """
    import dask
    import dask.dataframe as dd

    if all_columns:
        parts = partitions(data)
    elif plan.feature_columns:
        parts = partitions(data, list(dict.fromkeys([*plan.feature_columns, *plan.label_columns])))
    else:
        parts = [None] * len(states)
    # what every task reads (a lookup of millions of groups) goes to the workers once
    shared = _scatter(client, {"solution": solution})
    extra = _scatter_same(client, extra)
    joined = [
        dask.delayed(join_part)(state, parts[i], i, int(offsets[i]), plan, shared["solution"], extra[i],
                                None if out is None else str(out), all_columns)
        for i, state in enumerate(states)
    ]
    items = [dask.delayed(_small)(j) for j in joined]
    graphs = {}
    n_out = max(1, len(states) // 8)
    whole_groups = solution.kind == "lookup" and solution.column == plan.group_column
    if plan.group_column is not None and plan.check_groups and not whole_groups:
        meta = pd.DataFrame({"g": pd.Series([], dtype=_keep_dtype(data, plan.group_column)).to_numpy(),
                             "code": np.zeros(0, np.int64)})
        graphs["group"] = spread_graph(
            dd.from_delayed([dask.delayed(operator.getitem)(j, "groups") for j in joined], meta=meta), "g", 1)
    if plan.feature_columns:
        meta = pd.DataFrame({"h": np.zeros(0, np.uint64), "w": np.zeros(0, np.uint64), "code": np.zeros(0, np.int64)})
        rows = dd.from_delayed([dask.delayed(operator.getitem)(j, "rows") for j in joined], meta=meta)
        graphs["features"] = spread_graph(rows[["h", "code"]], "h", n_out)
        graphs["whole"] = spread_graph(rows[["w", "code"]], "w", n_out)
    # every item as delayed objects, so that one graph computes the join once (dask warns on mixed collections)
    pieces = {name: graph.to_delayed() for name, graph in graphs.items()}
    got = run_pass(client, [*items, *(d for parts_ in pieces.values() for d in parts_)], watch)
    stats, rest = got[: len(items)], got[len(items):]
    reduced = {}
    for name, parts_ in pieces.items():
        reduced[name], rest = pd.concat(rest[: len(parts_)], ignore_index=True), rest[len(parts_):]
    if plan.group_column is not None and plan.check_groups and whole_groups:
        # the join placed every row by its group's split: each group sits in one split by construction
        reduced["group"] = pd.DataFrame({"items": [len(solution.lookup)], "spread": [0], "rows": [0],
                                         "examples": [""]})
    return stats, reduced


def _keep_dtype(data, column):
    return lazy_table(data)._meta[column].dtype


def _diagnosis(config, plan, solution, stats, reduced, sets, per_part, notes) -> ClusterDiagnosis:
    names = solution.names
    k = len(names)
    sizes = np.sum([s["sizes"] for s in stats], axis=0)
    counts = np.zeros((len(sets.keys) if sets is not None else 0, k), dtype=np.int64)
    if sets is not None:
        for (to_global, _), s in zip(per_part, stats, strict=True):
            np.add.at(counts, to_global, s["cells"][:, 1:])
    kept = int(sizes[1:].sum())
    results = {}
    if plan.group_column is not None and not plan.check_groups:
        results["group"] = ("skipped", "Not run.", np.nan)
    elif "group" in reduced:
        status, detail, count = group_check_row(plan.group_column, spread_totals(reduced["group"]), names)
        if config is not None and config.time_groups == "rows" and status == "fail":
            status = "warn"
            detail = detail.split("; use the group strategy")[0] + (
                ". The time split places rows by time and lets groups straddle splits, as chosen: their later rows "
                "are tested on what their earlier rows taught.")
        results["group"] = (status, detail, count)
    else:
        results["group"] = ("skipped", "No group column given.", np.nan)
    if "features" in reduced:
        results["duplicates"] = duplicate_check_row(
            len(plan.feature_columns), spread_totals(reduced["features"]), spread_totals(reduced["whole"]), kept,
            bool(plan.label_columns))
    else:
        results["duplicates"] = ("skipped", "No feature columns to compare." if plan.check_duplicates else "Not run.",
                                 np.nan)
    if plan.time_column is not None and not plan.check_time:
        results["time"] = ("skipped", "Not run.", np.nan)
    elif plan.time_column is not None and config is not None and config.time_groups in ("first", "last"):
        results["time"] = ("skipped", "Groups placed by their first or last time: checked on the report's sample.",
                           np.nan)
    elif plan.time_column is not None:
        times = [s["times"] for s in stats if len(s["times"])]
        merged = pd.concat(times).groupby(level=[0, 1]).sum() if times else pd.Series(dtype=np.int64)
        present = tuple(name for name, r in zip(names, sizes[1:], strict=True) if r > 0)
        remap = {names.index(p): i for i, p in enumerate(present)}
        merged.index = pd.MultiIndex.from_arrays(
            [merged.index.get_level_values(0), merged.index.get_level_values(1).map(remap)])
        results["time"] = time_check_rows(merged, present)
    else:
        results["time"] = ("skipped", "No time column given.", np.nan)
    if sets is not None and config is not None and STRATEGIES[config.strategy].stratifies:
        note = _rare_note(sets, counts, config, solution.names)
        if note:
            notes.append(note)
    return build_diagnosis(config, names, sizes, sets, counts, check_frame(results), notes)


def _rare_note(sets: LabelSets, counts: np.ndarray, config: SplitConfig, names) -> str | None:
    """The classes some positive-share split lacks, worded as :func:`core.splits.split` words it (rows)."""
    per_split = np.asarray(sets.matrix.T @ counts)  # (L, k) rows with each label per split
    wanted = config.shares > 0
    absent = (per_split[:, wanted] == 0) & (per_split.sum(axis=1, keepdims=True) > 0)
    rare = np.flatnonzero(absent.any(axis=1))
    if rare.size == 0:
        return None
    totals = per_split.sum(axis=1)
    shown = ", ".join(f"{sets.labels[i]} ({int(totals[i])} rows)" for i in rare[:4]) + (" ..." if rare.size > 4 else "")
    return (f"{rare.size} class(es) are too rare to appear in every one of the {int(wanted.sum())} splits: {shown}; "
            "merge rare classes or use fewer splits.")


def _check_names(checks) -> tuple[str, ...]:
    checks = tuple(checks)
    unknown = sorted(set(checks) - set(CHECKS))
    if unknown:
        raise ConfigError(f"Unknown leakage check '{unknown[0]}'; choose from {', '.join(CHECKS)}.")
    return checks


def _default_features(data, frame, tasks, config, checks) -> list[str]:
    """Every column but the tasks', the group, time, id and split columns, and the id-like ones, as the in-memory
    default (:func:`core.data.id_like_names`), judged on the first partition (an id is distinct in every row
    of it too); only read when the duplicate check runs."""
    used = set(label_columns(tasks)) | {c for c in (config.group_column, config.time_column, config.id_column,
                                                    config.split_column) if c}
    columns = [c for c in frame.columns if c not in used]
    if "duplicates" not in checks or not columns:
        return columns
    first = partitions(data, columns)[0].compute()
    id_like = set(id_like_names(first))
    return [c for c in columns if c not in id_like]


# --------------------------------------------------------------------------- output


def _temporary(out: Path) -> Path:
    folder = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    (folder / PARTS).mkdir(parents=True)
    return folder


def _commit(folder: Path, out: Path) -> None:
    """Rename the finished ``folder`` to ``out``; an earlier split output there is replaced, anything else refused."""
    if out.exists():
        if not (out.is_dir() and (out / SUMMARY).is_file()):
            raise DataError(f"'{out}' exists and is not a split output; pick another --out or remove it.")
        old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        out.rename(old)
        folder.rename(out)
        shutil.rmtree(old, ignore_errors=True)
        return
    folder.rename(out)


def split_dataset(
    data, tasks: Sequence[Task] = (), config: SplitConfig | None = None, out=None, *, client=None,
    all_columns: bool = False, feature_columns: Sequence[str] | None = None, progress: Progress | None = None,
    watch: Callable | None = None, checks: Sequence[str] = CHECKS, exact_rows: int = EXACT_ROWS,
) -> ClusterSplit:
    """Split DATA (a Parquet folder or glob, or CSV globs) on a Dask cluster and write the assignment to ``out``.

    Same data, seed and files give the same assignment on any number of workers. See the module for
    where the result equals the in-memory engine's and where it may differ.

    Parameters
    ----------
    data : str or Path
    tasks : sequence of Task
    config : SplitConfig
        The same config the in-memory engine takes (one saved from the app runs unchanged).
    out : str or Path
        A folder, written whole or not at all (a temporary folder renamed at the end); it must be a path
        every worker can write. An earlier split output there is replaced.
    client : distributed.Client, optional
        Default: a new LocalCluster sized to the machine, closed at the end.
    all_columns : bool
        Write every column too, partitioned by split (``out/split=<name>/part-*.parquet``).
    feature_columns : sequence of str, optional
        For the duplicate check; default every column but the tasks', group, time, id and split columns and the
        id-like ones (judged on the first partition, by :func:`core.data.id_like_names`).
    progress : callable (share, text), optional
    watch : callable (futures), optional
        Sees each pass's futures (the command line shows distributed's progress bar with it).
    checks : sequence of {"group", "duplicates", "time"}
        The exact leakage checks to run in the join pass (the others are ``skipped``). ``duplicates``
        hashes every row's features and shuffles the hashes: the costliest; leave it out for speed.
    exact_rows : int
        A stratified split of up to this many rows (default 2,000,000) runs the in-memory solver on every
        row (each row's label set, in data order, on the client): the in-memory assignment itself. Larger
        ones deal each label set's whole blocks and the rest by the solver (see the module).

    Examples
    --------
    >>> result = split_dataset("rows/*.parquet", tasks, SplitConfig(), "out/")  # doctest: +SKIP
    >>> result.sizes  # doctest: +SKIP
    """
    config = SplitConfig() if config is None else config
    if not isinstance(config, SplitConfig):
        raise ConfigError(f"config={config!r} is not a SplitConfig; build one with SplitConfig(...).")
    if out is None:
        raise ConfigError("out is not given; name the folder to write the split to.")
    out = Path(out).absolute()  # the workers write it: a relative path would be relative to their own folder
    tasks = tuple(tasks)
    notes: list[str] = []
    frame = lazy_table(data)
    _check(frame, tasks, config)
    features = (list(feature_columns) if feature_columns is not None
                else _default_features(data, frame, tasks, config, _check_names(checks)))
    with _client_or_local(client) as client:
        plan, solution, extra, n, offsets, sets, per_part, states = _plan_and_solve(
            client, data, tasks, config, features, progress, watch, notes, _check_names(checks), exact_rows)
        folder = _temporary(out)
        try:
            _say(progress, 0.55, "Joining: writing every row's split")
            stats, reduced = _join(client, data, plan, solution, extra, offsets, states, folder / PARTS, all_columns,
                                   watch)
            del states  # the workers may drop what they kept
            diagnosis = _diagnosis(config, plan, solution, stats, reduced, sets, per_part, notes)
            print_ = fingerprint(data)
            summary = {
                "format": SUMMARY_FORMAT, "version": 1, "config": json.loads(config.to_json()),
                "input": print_, "rows": int(n.sum()), "partitions": [int(x) for x in n],
                "tasks": [{"name": t.name, "columns": list(t.columns), "kind": t.kind} for t in tasks],
                "splits": list(solution.names), "all_columns": all_columns,
                "scores": diagnosis.scores(), "warnings": list(notes),
            }
            (folder / SUMMARY).write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
            _commit(folder, out)
        finally:
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
    _say(progress, 1.0, "Done")
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    return ClusterSplit(out=out, config=config, n_rows=int(n.sum()), sizes=diagnosis.sizes, diagnosis=diagnosis,
                        fingerprint=print_, warnings=tuple(notes), summary=summary)


def read_summary(split_dir) -> dict:
    """The ``summary.json`` of a split output folder; a missing or foreign one is a one-line DataError."""
    path = Path(split_dir) / SUMMARY
    if not path.is_file():
        raise DataError(f"No {SUMMARY} in '{split_dir}'; give a folder written by `python -m core split --engine dask`.")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise DataError(f"'{path}' is not valid JSON; split the data again.") from None
    if not isinstance(summary, dict) or summary.get("format") != SUMMARY_FORMAT:
        raise DataError(f"'{path}' is not a TaskSplit cluster split summary; split the data again.")
    return summary


def diagnose_split(
    data, tasks: Sequence[Task] = (), split_dir=None, *, config: SplitConfig | None = None, client=None,
    feature_columns: Sequence[str] | None = None, progress: Progress | None = None, watch: Callable | None = None,
    checks: Sequence[str] = CHECKS,
) -> ClusterDiagnosis:
    """The diagnosis of a split written by :func:`split_dataset` (or of ``config``'s predefined column), from counts.

    With ``split_dir``, the splits are read from its parts (one per partition of DATA, in order); the config
    defaults to the one in its ``summary.json``. Without it, ``config`` must be ``predefined``.
    """
    tasks = tuple(tasks)
    summary = read_summary(split_dir) if split_dir is not None else None
    if config is None and summary is not None:
        config = SplitConfig.from_json(json.dumps(summary["config"]))
    if config is None:
        raise ConfigError("Give split_dir (a split output folder) or a predefined config.")
    if summary is not None and summary.get("all_columns"):
        raise DataError(f"'{split_dir}' holds every column by split; diagnose a split written without --all-columns.")
    frame = lazy_table(data)
    _check(frame, tasks, config)
    features = (list(feature_columns) if feature_columns is not None
                else _default_features(data, frame, tasks, config, _check_names(checks)))
    notes: list[str] = []
    with _client_or_local(client) as client:
        if summary is None:
            if not STRATEGIES[config.strategy].given:
                raise ConfigError(f"strategy '{config.strategy}' makes a split; give split_dir, the folder it wrote.")
            plan, solution, extra, n, offsets, sets, per_part, states = _plan_and_solve(
                client, data, tasks, config, features, progress, watch, notes, _check_names(checks))
        else:
            strategy = STRATEGIES[config.strategy]
            checks = _check_names(checks)
            options = dict(group_column=config.group_column if not strategy.given else None,
                           time_column=config.time_column if strategy.by_time else None,
                           feature_columns=tuple(features) if "duplicates" in checks else (),
                           id_column=config.id_column, check_groups="group" in checks, check_time="time" in checks,
                           check_duplicates="duplicates" in checks)
            group_column, time_column = options["group_column"], options["time_column"]
            options["keep"] = tuple(c for c in (group_column if "group" in checks else None,
                                                time_column if "time" in checks else None) if c)
            plan, got, n, sets, per_part, states = _summarise(client, data, tasks, config, options, progress, watch)
            if [int(x) for x in n] != summary["partitions"]:
                raise DataError(f"'{split_dir}' was written for other data ({summary['rows']:,} rows in "
                                f"{len(summary['partitions'])} parts, here {int(n.sum()):,} in {len(n)}); split this "
                                "data again.")
            offsets = np.cumsum(n) - n
            solution = Solution(kind="file", names=tuple(summary["splits"]))
            extra = [str(Path(split_dir) / PARTS / f"part-{i:05d}.parquet") for i in range(len(n))]
        _say(progress, 0.55, "Counting labels per split")
        stats, reduced = _join(client, data, plan, solution, extra, offsets, states, None, False, watch)
    _say(progress, 1.0, "Done")
    return _diagnosis(config, plan, solution, stats, reduced, sets, per_part, notes)
