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

Where the result may differ from the in-memory engine's: ``stratified`` without groups gives every
label set the same number of rows per split as the solver decides, but which rows of a set take them is
a keyed random permutation of their ranks (see :mod:`core.cluster._solve`), not the in-memory shuffle;
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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

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
from ._labels import LabelSets, encode_sets, exact_quantile_edges, label_columns, regression_columns
from ._parts import Plan, Solution, group_part, join_part, summarise_part
from ._read import fingerprint, lazy_table
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


def _summarise(client, frame, tasks, config, plan_options, progress, watch):
    """Pass 1 (and the regression edges before it): rows per partition, label sets, time or split values."""
    edges = {}
    for column in regression_columns(tasks):
        _say(progress, 0.05, f"Exact quantiles of '{column}'")
        edges[column] = exact_quantile_edges(client, frame, column, config.n_bins, lambda items: run_pass(client, items, watch))
    plan = Plan(config=config, label_columns=tuple(label_columns(tasks)), edges=edges, **plan_options)
    _say(progress, 0.15, "Summarising: rows per label set")
    import dask

    seen: dict = {}  # key -> its raw label values, first met (partition order): the client keeps one row per set
    firsts: list[pd.DataFrame] = []

    def fold(i: int, result: dict) -> dict:
        if "sets" in result:
            table = result.pop("sets")
            keys = table["_key"].to_numpy(dtype=np.uint64)
            new = ~pd.Index(keys).isin(list(seen)) if seen else np.ones(len(keys), bool)
            if new.any():
                firsts.append(table[new].drop(columns="_rows"))
                seen.update(dict.fromkeys(keys[new].tolist()))
            result["keys"], result["rows"] = keys, table["_rows"].to_numpy(dtype=np.int64)
        return result

    got = run_pass(client, [dask.delayed(summarise_part)(part, plan) for part in frame.to_delayed()], watch, fold)
    n = np.array([g["n"] for g in got], dtype=np.int64)
    if n.sum() == 0:
        raise DataError("The data has no rows; give a table with at least one row.")
    sets, per_part = None, None
    if plan.label_columns:
        distinct = pd.concat(firsts, ignore_index=True)
        keys = np.concatenate([g["keys"] for g in got])
        rows = np.concatenate([g["rows"] for g in got])
        index = pd.Index(distinct["_key"].to_numpy(dtype=np.uint64))
        set_of = index.get_indexer(keys)
        distinct["_rows"] = np.bincount(set_of, weights=rows, minlength=len(index)).astype(np.int64)
        sets = encode_sets(distinct, tasks, edges, config.n_bins)
        # each partition's rows of a set start after the set's rows in earlier partitions
        offset = pd.Series(rows).groupby(set_of, sort=False).cumsum().to_numpy() - rows
        bounds = np.cumsum([0] + [len(g["keys"]) for g in got])
        per_part = {i: (set_of[bounds[i]:bounds[i + 1]], offset[bounds[i]:bounds[i + 1]]) for i in range(len(got))}
    return plan, got, n, sets, per_part


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


def _group_table(client, frame, plan, offsets, sets: LabelSets | None, watch):
    """Pass 2: per group, rows, first row, label counts, first/last time; in the in-memory group order."""
    import dask
    import dask.dataframe as dd

    keys = sets.keys if sets is not None else np.zeros(0, np.uint64)
    index = pd.Index(keys)
    matrix = sets.matrix if sets is not None else sp.csr_matrix((0, 0))
    shared = _scatter(client, {"index": index, "matrix": matrix})
    parts = [dask.delayed(group_part)(part, int(offsets[i]), plan, shared["index"], shared["matrix"])
             for i, part in enumerate(frame.to_delayed())]
    sample = group_part(frame._meta, 0, plan, index, matrix)
    groups = dd.from_delayed([dask.delayed(operator.getitem)(p, "groups") for p in parts], meta=sample["groups"])
    how = {c: ("min" if c in ("_first", "_tmin") else "max" if c == "_tmax" else "sum")
           for c in sample["groups"].columns if c != "_g"}
    summed = groups.groupby("_g", sort=False).agg(how)
    lone = [dask.delayed(operator.getitem)(p, "lone") for p in parts]
    summed = summed.to_delayed()
    got = run_pass(client, [*summed, *lone], watch)
    table = pd.concat(got[: len(summed)]).reset_index().sort_values("_first", kind="stable")
    lone = pd.concat(got[len(summed):], ignore_index=True).sort_values("_first", kind="stable")
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


def _plan_and_solve(client, frame, tasks, config, features, progress, watch, notes, checks=CHECKS):
    """Summarise and solve: the join pass's plan, its solution, and per partition what the solution needs."""
    strategy = STRATEGIES[config.strategy]
    grouped = None if strategy.given or config.strategy == "hash" or config.time_groups == "rows" else config.group_column
    time_rows = strategy.by_time and grouped is None
    options = dict(group_column=config.group_column if not strategy.given else None,
                   time_column=config.time_column if strategy.by_time else None,
                   time_values=time_rows, split_values=strategy.given,
                   feature_columns=tuple(features) if "duplicates" in checks else (), id_column=config.id_column,
                   check_groups="group" in checks, check_time="time" in checks,
                   check_duplicates="duplicates" in checks, hash_column=(config.group_column or config.id_column) if config.strategy == "hash" else None)
    plan, got, n, sets, per_part = _summarise(client, frame, tasks, config, options, progress, watch)
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
        group_plan = Plan(config=config, label_columns=plan.label_columns, edges=plan.edges, group_column=grouped,
                          time_column=config.time_column if strategy.by_time else None)
        table, lone = _group_table(client, frame, group_plan, offsets, sets, watch)
        by_group, by_row = _solve_groups(config, tasks, table, lone, group_plan, notes)
        solution = Solution(kind="lookup", names=config.split_names, column=grouped, lookup=by_group)
        extra = [by_row] * len(n)
    else:
        total = int(n.sum())
        _check_units(config, total, None)
        if strategy.stratifies:
            _need_tasks(config, tasks)
            counts = set_split_counts(sets.rows, sets.matrix, config.shares, seed=config.seed, order=config.order)
            set_rows, by_labels = sets.rows, True
            extra = [per_part[i] for i in range(len(n))]
        else:
            counts = largest_remainder(total, config.shares)[None, :]
            set_rows, by_labels = np.array([total], dtype=np.int64), False
            extra = [(np.array([0]), np.array([offsets[i]])) for i in range(len(n))]
        solution = Solution(kind="sets", names=config.split_names, cumulative=np.cumsum(counts, axis=1), set_rows=set_rows,
                            seed=config.seed, by_labels=by_labels)
    return plan, solution, extra, n, offsets, sets


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


def _join(client, frame, plan, solution, extra, offsets, sets, out, all_columns, watch):
    """Pass 3: every row's split (written under ``out`` unless None), the counts, the exact leakage checks."""
    import dask
    import dask.dataframe as dd

    index = pd.Index(sets.keys) if sets is not None else pd.Index([], dtype=np.uint64)
    k_sets = len(index)
    parts = frame.to_delayed()
    # what every task reads (a lookup of millions of groups, the set keys) goes to the workers once
    shared = _scatter(client, {"solution": solution, "index": index})
    extra = _scatter_same(client, extra)
    joined = [
        dask.delayed(join_part)(part, i, int(offsets[i]), plan, shared["solution"], extra[i], shared["index"],
                                None if out is None else str(out), all_columns, k_sets)
        for i, part in enumerate(parts)
    ]
    items = [dask.delayed(_small)(j) for j in joined]
    graphs = {}
    n_out = max(1, len(parts) // 8)
    if plan.group_column is not None and plan.check_groups:
        meta = pd.DataFrame({"g": frame._meta[plan.group_column].iloc[:0].to_numpy(), "code": np.zeros(0, np.int64)})
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
    return stats, reduced


def _diagnosis(config, plan, solution, stats, reduced, sets, notes) -> ClusterDiagnosis:
    names = solution.names
    k = len(names)
    sizes = np.sum([s["sizes"] for s in stats], axis=0)
    counts = np.zeros((len(sets.keys) if sets is not None else 0, k), dtype=np.int64)
    if sets is not None:
        cells = np.concatenate([s["cells"][0] for s in stats])
        weights = np.concatenate([s["cells"][1] for s in stats])
        counts = np.bincount(cells, weights=weights, minlength=counts.size).astype(np.int64).reshape(-1, k)
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


def _default_features(frame, tasks, config) -> list[str]:
    """Every column but the tasks', the group, time, id and split columns (the in-memory default also drops id-like
    columns it finds by their values, which would take a pass of its own)."""
    used = set(label_columns(tasks)) | {c for c in (config.group_column, config.time_column, config.id_column,
                                                    config.split_column) if c}
    return [c for c in frame.columns if c not in used]


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
    watch: Callable | None = None, checks: Sequence[str] = CHECKS,
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
        For the duplicate check; default every column but the tasks', group, time, id and split columns.
    progress : callable (share, text), optional
    watch : callable (futures), optional
        Sees each pass's futures (the command line shows distributed's progress bar with it).
    checks : sequence of {"group", "duplicates", "time"}
        The exact leakage checks to run in the join pass (the others are ``skipped``). ``duplicates``
        hashes every row's features and shuffles the hashes: the costliest; leave it out for speed.

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
    features = list(feature_columns) if feature_columns is not None else _default_features(frame, tasks, config)
    with _client_or_local(client) as client:
        plan, solution, extra, n, offsets, sets = _plan_and_solve(client, frame, tasks, config, features, progress,
                                                                  watch, notes, _check_names(checks))
        folder = _temporary(out)
        try:
            _say(progress, 0.55, "Joining: writing every row's split")
            stats, reduced = _join(client, frame, plan, solution, extra, offsets, sets, folder / PARTS, all_columns,
                                    watch)
            diagnosis = _diagnosis(config, plan, solution, stats, reduced, sets, notes)
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
    features = list(feature_columns) if feature_columns is not None else _default_features(frame, tasks, config)
    notes: list[str] = []
    with _client_or_local(client) as client:
        if summary is None:
            if not STRATEGIES[config.strategy].given:
                raise ConfigError(f"strategy '{config.strategy}' makes a split; give split_dir, the folder it wrote.")
            plan, solution, extra, n, offsets, sets = _plan_and_solve(client, frame, tasks, config, features, progress,
                                                                      watch, notes, _check_names(checks))
        else:
            strategy = STRATEGIES[config.strategy]
            options = dict(group_column=config.group_column if not strategy.given else None,
                           time_column=config.time_column if strategy.by_time else None,
                           feature_columns=tuple(features) if "duplicates" in checks else (),
                           id_column=config.id_column, check_groups="group" in checks, check_time="time" in checks,
                           check_duplicates="duplicates" in checks)
            plan, got, n, sets, _ = _summarise(client, frame, tasks, config, options, progress, watch)
            if [int(x) for x in n] != summary["partitions"]:
                raise DataError(f"'{split_dir}' was written for other data ({summary['rows']:,} rows in "
                                f"{len(summary['partitions'])} parts, here {int(n.sum()):,} in {len(n)}); split this "
                                "data again.")
            offsets = np.cumsum(n) - n
            solution = Solution(kind="file", names=tuple(summary["splits"]))
            extra = [str(Path(split_dir) / PARTS / f"part-{i:05d}.parquet") for i in range(len(n))]
        _say(progress, 0.55, "Counting labels per split")
        stats, reduced = _join(client, frame, plan, solution, extra, offsets, sets, None, False, watch)
    _say(progress, 1.0, "Done")
    return _diagnosis(config, plan, solution, stats, reduced, sets, notes)
