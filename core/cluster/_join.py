"""Join (the last pass) and the diagnosis from its counts.

:func:`join` applies a :class:`core.cluster._parts.Solution` to every partition from worker memory (writing
each row's split unless only diagnosing) and reduces the exact leakage checks over the cluster;
:func:`diagnosis_of` turns the pass's counts into a :class:`core.cluster._diagnose.ClusterDiagnosis`.
"""

from __future__ import annotations

import operator

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from ..splits import STRATEGIES, SplitConfig, rare_line
from ._client import retried, run_pass
from ._diagnose import (
    ClusterDiagnosis,
    build_diagnosis,
    check_frame,
    duplicate_check_row,
    group_check_row,
    quality_of,
    spread_graph,
    spread_totals,
    time_check_rows,
)
from ._labels import LabelSets
from ._parts import early_rows, join_part
from ._plan import scatter
from ._read import lazy_table, partitions

__all__ = ["join", "diagnosis_of", "early_quality", "planned_counts"]


def _scatter_same(client, extra: list) -> list:
    """``extra`` with one object shared by every partition (the rows without a group) scattered once (not futures,
    nor a single partition's own object); each partition's own arrays scattered to two workers.

    Scattered data cannot be recomputed: a killed worker's copy is lost, so each partition's arrays are kept on
    two workers (not on every worker: that grew with workers x partitions), and a retried join task reads the
    other copy. On a one-worker cluster there is no other copy: a worker lost mid-join fails the split with an
    error (the output folder is never presented as done); split again.
    """
    from distributed import Future

    if len(extra) > 1 and all(e is extra[0] for e in extra) and extra[0] is not None \
            and not isinstance(extra[0], Future):
        future = client.scatter(extra[0], broadcast=True, hash=False)
        return [future] * len(extra)
    if extra and all(isinstance(e, (np.ndarray, tuple)) for e in extra):
        # each partition's own arrays (its label sets' global index and earlier rows: ~18 MiB at 100M rows) go to
        # the workers directly, not inside the graph through the scheduler; on two workers, so that a worker lost
        # mid-join loses no data the retried task needs
        futures = client.scatter(list(extra), hash=False)
        workers = len(client.scheduler_info()["workers"])
        if workers > 1:
            client.replicate(futures, n=min(2, workers))
        return futures
    return extra


def _small(result: dict) -> dict:
    return {key: value for key, value in result.items() if key not in ("groups", "rows", "tested")}


def join(client, data, plan, solution, extra, offsets, states, out, all_columns, watch, meanwhile=None):
    """Pass 3: every row's split (written under ``out`` unless None), the counts, the exact leakage checks.

    It works from the partitions' states in worker memory; the files are read again only to write every
    column or to hash the feature columns for the duplicate check. ``meanwhile()`` (optional) runs on the client
    once the pass is submitted, while the workers join (e.g. :func:`early_quality`); its result is returned third
    (None without it). If it fails, the join is cancelled and the error is one line.
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
    shared = scatter(client, {"solution": solution})
    extra = _scatter_same(client, extra)
    joined = [
        dask.delayed(join_part)(state, parts[i], i, int(offsets[i]), plan, shared["solution"], extra[i],
                                None if out is None else str(out), all_columns)
        for i, state in enumerate(states)
    ]
    items = [dask.delayed(_small)(j) for j in joined]
    graphs = {}
    n_out = max(1, len(states) // 8)
    whole_groups = plan.group_column is not None and solution.kind in ("lookup", "rows") \
        and solution.column == plan.group_column
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
    gathered = [*items, *(d for parts_ in pieces.values() for d in parts_)]
    timed = plan.time_column is not None and plan.check_time
    tested = [dask.delayed(operator.getitem)(j, "tested") for j in joined] if timed else []

    waiting = [meanwhile] if meanwhile is not None else []
    early = []

    def submit():
        futures = client.compute([*gathered, *tested])  # the tested times stay on the workers
        while waiting:  # once, whatever the retries
            early.append(_meanwhile(client, futures, [*gathered, *tested], waiting.pop()))
        return futures, run_pass(client, futures[: len(gathered)], watch)

    futures, got = retried(submit)  # a task the scheduler dropped (a worker lost mid-join): the join once more
    stats, rest = got[: len(items)], got[len(items):]
    if timed:
        tested_futures, futures = futures[len(gathered):], None
        reduced_time = _time_reduction(client, stats, tested_futures, solution.names)
        del tested_futures
    reduced = {}
    for name, parts_ in pieces.items():
        reduced[name], rest = pd.concat(rest[: len(parts_)], ignore_index=True), rest[len(parts_):]
    if plan.group_column is not None and plan.check_groups and whole_groups:
        # the join placed every row by its group's split: each group sits in one split by construction
        groups = solution.groups if solution.groups is not None else len(solution.lookup)
        reduced["group"] = pd.DataFrame({"items": [groups], "spread": [0], "rows": [0],
                                         "examples": [""]})
    if timed:
        reduced["time"] = reduced_time
    return stats, reduced, early[0] if early else None


def _meanwhile(client, futures, graph, meanwhile):
    """``meanwhile()``'s result while the join runs; if it fails, the join's tasks are cancelled and waited for
    (none writes into a folder being removed) and the error is one line (:class:`DataError`). ``graph``: the
    delayed objects ``futures`` compute (their tasks, the writes among them, are what is waited for)."""
    try:
        return meanwhile()
    except BaseException as error:
        _cancel_and_wait(client, futures, graph)
        if isinstance(error, Exception) and not isinstance(error, (DataError, ConfigError)):
            first = (str(error).splitlines() or [""])[0]
            raise DataError(f"Scoring the split failed ({type(error).__name__}: {first:.80}); nothing was "
                            "written. Split again, or report it with this message.") from None
        raise


def _cancel_and_wait(client, futures, graph, timeout: float = 60) -> None:
    """Cancel ``futures`` and wait (up to ``timeout`` s) until the scheduler has forgotten every task of ``graph``
    (the delayed objects they compute): not only the futures' own keys, whose tasks only gather, but every task
    under them, such as the writes of the part files and the reads before them, queued or running."""
    import time

    own = {f.key for f in futures}
    keys = own.union(*(d.__dask_graph__().keys() for d in graph))
    end = time.monotonic() + timeout
    # the graph travels on the client's batched stream, the cancel on a call of its own that can overtake it: a
    # cancel of keys the scheduler does not know yet does nothing, and the join would then run and write anyway
    while time.monotonic() < end and not client.run_on_scheduler(_all_known, keys=own):
        time.sleep(0.05)
    client.cancel(futures)
    while time.monotonic() < end and client.run_on_scheduler(_still_held, keys=keys):
        time.sleep(0.05)


def _all_known(keys, dask_scheduler=None) -> bool:
    """On the scheduler: whether every one of ``keys`` is a task there (its graph has arrived)."""
    return all(key in dask_scheduler.tasks for key in keys)


def _still_held(keys, dask_scheduler=None) -> bool:
    """On the scheduler: whether any of ``keys`` is still a task there (queued, running, or held in memory)."""
    return any(key in dask_scheduler.tasks for key in keys)


def _time_reduction(client, stats, tested, names) -> dict:
    """The exact time check's numbers: each split's time range over every partition, and the rows it counts (with
    train: the other splits' rows dated on or before the end of train; with folds: each fold's rows inside the
    other folds' span), by one more short pass over the sorted times the join left on the workers."""
    ranges: dict = {}
    for s in stats:
        for code, (low, high) in s["time_ranges"].items():
            old = ranges.get(code)
            ranges[code] = (low, high) if old is None else (min(old[0], low), max(old[1], high))
    train = names.index("train") if "train" in names else None
    bounds = None
    if train is not None:
        bounds = ranges[train][1] if train in ranges else None
    elif ranges:
        bounds = []
        for i in range(len(names)):
            others = [ranges[j] for j in ranges if j != i]
            bounds.append((min(r[0] for r in others), max(r[1] for r in others)) if others else None)
    early = run_pass(client, [client.submit(early_rows, t, bounds, pure=False) for t in tested]) if tested else []
    end = pd.Timestamp(bounds) if train is not None and isinstance(bounds, np.datetime64) else bounds
    total = (int(sum(s["sizes"][1:].sum() - s["sizes"][1 + train] for s in stats)) if train is not None
             else int(sum(s["sizes"][1:].sum() for s in stats)))
    return {"ranges": ranges, "train_end": end if train is not None else None, "early": int(sum(early)),
            "total": total}


def _keep_dtype(data, column):
    return lazy_table(data)._meta[column].dtype


def early_quality(config, solution, sets):
    """The scores of a split by label sets from its planned counts (the join places exactly these: checked by
    :func:`planned_counts`), made while the join runs instead of after it; None for any other split.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from types import SimpleNamespace
    >>> from core.cluster._parts import Solution
    >>> sets = SimpleNamespace(matrix=sp.csr_matrix(np.eye(2)))  # two label sets, one label each
    >>> solution = Solution(kind="sets", names=("train", "test"), cumulative=np.array([[6, 8], [6, 8]]))
    >>> float(early_quality(None, solution, sets).ld)  # each set dealt 6/2: the labels' shares are equal
    0.0
    >>> early_quality(None, Solution(kind="lookup", names=("a", "b")), sets) is None  # not by label sets
    True
    """
    if sets is None or not solution.by_label_sets:
        return None
    counts = _plan_counts(solution)
    return quality_of(config, solution.names, counts.sum(axis=0), sets, counts)


def diagnosis_of(config, plan, solution, stats, reduced, sets, per_part, notes, quality=None) -> ClusterDiagnosis:
    """The diagnosis from the join's counts; ``quality``: :func:`early_quality` of a split by label sets."""
    names = solution.names
    k = len(names)
    sizes = np.sum([s["sizes"] for s in stats], axis=0)
    counts = np.zeros((len(sets.keys) if sets is not None else 0, k), dtype=np.int64)
    if sets is not None and solution.by_label_sets:  # the join placed exactly these
        counts = planned_counts(solution, sizes)
    elif sets is not None:
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
    if (plan.time_column or (config.time_column if config is not None else None)) and not plan.check_time:
        results["time"] = ("skipped", "Not run.", np.nan)
    elif plan.time_column is not None and config is not None and config.time_groups in ("first", "last"):
        results["time"] = ("skipped", "Groups placed by their first or last time: checked on the report's sample.",
                           np.nan)
    elif plan.time_column is not None:
        present = tuple(name for name, r in zip(names, sizes[1:], strict=True) if r > 0)
        results["time"] = time_check_rows(reduced["time"], names, present, plan.time_column)
    else:
        results["time"] = ("skipped", "No time column given.", np.nan)
    if sets is not None and config is not None and STRATEGIES[config.strategy].stratifies:
        note = _rare_note(sets, counts, config, solution.names)
        if note:
            notes.append(note)
    quality = quality if solution.by_label_sets else None  # (its counts are the plan's: planned_counts checked them)
    return build_diagnosis(config, names, sizes, sets, counts, check_frame(results), notes, quality)


def planned_counts(solution, sizes: np.ndarray) -> np.ndarray:
    """The rows per (label set, split) the plan dealt, checked against the rows per split the join counted
    (``sizes``: excluded first); the scores come from the first, the sizes from the second.

    Examples
    --------
    >>> from core.cluster._parts import Solution
    >>> solution = Solution(kind="sets", names=("a", "b"), cumulative=np.array([[2, 4], [3, 6]]))
    >>> planned_counts(solution, np.array([0, 5, 5])).tolist()
    [[2, 2], [3, 3]]
    """
    counts = _plan_counts(solution)
    if not np.array_equal(counts.sum(axis=0), sizes[1:]):
        raise DataError(f"The join placed {sizes[1:].tolist()} rows per split but the plan dealt "
                           f"{counts.sum(axis=0).tolist()}; the label sets drifted between passes, split again.")
    return counts


def _rare_note(sets: LabelSets, counts: np.ndarray, config: SplitConfig, names) -> str | None:
    """The classes some positive-share split lacks, worded as :func:`core.splits.split` words it (rows)."""
    per_split = np.asarray(sets.matrix.T @ counts)  # (L, k) rows with each label per split
    wanted = config.shares > 0
    absent = (per_split[:, wanted] == 0) & (per_split.sum(axis=1, keepdims=True) > 0)
    rare = np.flatnonzero(absent.any(axis=1))
    if rare.size == 0:
        return None
    totals = per_split.sum(axis=1)
    return rare_line([sets.labels[i] for i in rare], [int(totals[i]) for i in rare], int(wanted.sum()), "rows")


def _plan_counts(solution) -> np.ndarray:
    """Each label set's rows per split as the plan dealt them (from its cumulative counts)."""
    return np.diff(solution.cumulative, axis=1, prepend=0).astype(np.int64)
