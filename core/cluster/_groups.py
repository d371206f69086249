"""The group table on a cluster (pass 2, from worker memory) and the solve on it, compact all the way.

Each partition sends its rows' (group, row number, label set[, time]) to one of a few buckets by a hash of
the group (:func:`group_rows`); each bucket sums its groups' labels as a sparse (groups x labels) int32
matrix (:func:`sum_groups`: rows x sets times the 0/1 set matrix, whose columns held by most rows are turned
over first, :func:`flipped`, so the product reads only the few entries that differ). The client lays the buckets' rows out
in the in-memory group order (by first row) straight into one CSR matrix (:func:`assemble`), never as a
dense frame, and hands it to :func:`core.splits.stratify.stratify` as :func:`core.splits.split` would
(the same matrix, the same unit order, so the same assignment). At 5,000,000 groups x 45 labels the
table is about 1.3 GB of CSR; a dense frame and its copies took several times that.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DataError
from ..splits import STRATEGIES, Units, fill_empty_splits
from ..splits.stratify import stratify
from ._client import run_pass
from ._labels import first_met
from ._parts import times_of

__all__ = ["GroupTable", "group_rows", "flipped", "sum_groups", "assemble", "group_table", "solve_groups"]


@dataclass(frozen=True, eq=False, kw_only=True)
class GroupTable:
    """Units in the in-memory order: the groups by first row, then the rows without a group (one unit each).

    ``groups``: the group values (the first ``len(groups)`` units); ``lone``: the row numbers of the rest;
    ``sizes``: rows per unit; ``counts``: (units x labels) int32 CSR, sorted indices; ``tmin``/``tmax``:
    each unit's first and last time (None without a time column).
    """

    groups: pd.Index
    lone: np.ndarray
    sizes: np.ndarray
    counts: sp.csr_matrix
    tmin: np.ndarray | None = None
    tmax: np.ndarray | None = None


# --------------------------------------------------------------------------- on the workers


def group_rows(state: dict, offset: int, plan, to_global, matrix, buckets: int) -> dict:
    """This partition's rows with a group, as arrays (group, row, label set[, time]) in ``buckets`` pieces by a
    hash of the group (so that each group's rows meet in one piece); ``lone``: the rows without a group, each a
    unit of its own with its labels."""
    n = state["n"]
    values = state["keep"][plan.group_column]
    rows = offset + np.arange(n, dtype=np.int64)
    sets = to_global[state["sets"]].astype(np.int64) if to_global is not None else np.zeros(n, dtype=np.int64)
    times = times_of(state["keep"][plan.time_column]).to_numpy() if plan.time_column is not None else None
    groups = values.to_numpy()
    lone = np.asarray(pd.isna(values))
    out: dict = {"lone": _lone_units(rows[lone], sets[lone], None if times is None else times[lone], matrix)}
    if lone.any():
        groups, rows, sets = groups[~lone], rows[~lone], sets[~lone]
        times = None if times is None else times[~lone]
    bucket = (pd.util.hash_pandas_object(pd.Series(groups), index=False).to_numpy() % np.uint64(buckets)).astype(
        np.uint8)  # (at most 16 buckets) one byte: numpy sorts it by radix
    order = np.argsort(bucket, kind="stable")  # each bucket's rows stay in row order
    bounds = np.searchsorted(bucket[order], np.arange(buckets + 1))
    for b in range(buckets):
        mine = order[bounds[b]:bounds[b + 1]]
        out[b] = {"g": groups[mine], "first": rows[mine], "set": sets[mine],
                  "t": None if times is None else times[mine]}
    return out


def _lone_units(rows: np.ndarray, sets: np.ndarray, times, matrix) -> dict:
    counts = _as_int32(matrix[sets]) if matrix.shape[1] else sp.csr_matrix((len(rows), 0), dtype=np.int32)
    return {"first": rows, "size": np.ones(len(rows), np.int64), "counts": counts, "tmin": times, "tmax": times}


def _as_int32(matrix) -> sp.csr_matrix:
    matrix = sp.csr_matrix(matrix, dtype=np.int32)
    matrix.sort_indices()
    return matrix


def flipped(matrix: sp.csr_matrix, set_rows: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """The set matrix with each column held by more than half the rows turned over (1 - column), and which.

    A group's count of such a column is its rows minus its rows without it: the same whole numbers from a
    product over the few rows that lack it (a binary task's 0 class: every row but the positives). At 100M
    rows with 20 binary tasks, 21 entries per row become about 4.

    Examples
    --------
    >>> m, flip = flipped(sp.csr_matrix(np.array([[1, 0], [1, 1], [0, 1]])), np.array([5, 1, 1]))
    >>> m.toarray().tolist(), flip.tolist()
    ([[0, 0], [0, 1], [1, 1]], [True, False])
    """
    rows_with = np.asarray(matrix.T @ np.asarray(set_rows, dtype=np.float64)).ravel()
    flip = rows_with * 2 > float(np.sum(set_rows))
    if not flip.any():
        return sp.csr_matrix(matrix, dtype=np.int32), flip
    dense = matrix.toarray().astype(np.int8)
    dense[:, flip] = 1 - dense[:, flip]
    return _as_int32(sp.csr_matrix(dense)), flip


def sum_groups(pieces: list, matrix, with_time: bool, flip=None) -> dict:
    """Per group of one bucket, in the order first met: group value, first row, rows, label counts (int32 CSR,
    rows x sets times the set matrix) and first/last time. With ``flip`` (see :func:`flipped`), ``matrix`` has
    those columns turned over and a group's count of each is its rows minus the product's."""
    g = np.concatenate([p["g"] for p in pieces]) if pieces else np.zeros(0)
    first = np.concatenate([p["first"] for p in pieces]) if pieces else np.zeros(0, np.int64)
    code, groups = pd.factorize(g)
    n_groups = len(groups)
    # the pieces come in partition order and each in row order: a group's first row is where it is first met
    out = {"g": groups, "first": first[first_met(code)], "size": np.bincount(code, minlength=n_groups)}
    if matrix.shape[1]:
        sets = np.concatenate([p["set"] for p in pieces])
        member = sp.csr_matrix((np.ones(len(code), np.int32), (code, sets)), shape=(n_groups, matrix.shape[0]))
        product = member @ matrix.astype(np.int32)
        if flip is not None and flip.any():
            dense = product.toarray()
            dense[:, flip] = out["size"].astype(np.int32)[:, None] - dense[:, flip]
            out["counts"] = _dense_csr(dense)
        else:
            out["counts"] = _as_int32(product)
    else:
        out["counts"] = sp.csr_matrix((n_groups, 0), dtype=np.int32)
    if with_time:
        times = pd.Series(np.concatenate([p["t"] for p in pieces])).groupby(code, sort=True)
        out["tmin"], out["tmax"] = times.min().to_numpy(), times.max().to_numpy()
    return out


def _dense_csr(dense: np.ndarray, rows_at_once: int = 1 << 16) -> sp.csr_matrix:
    """An int32 CSR (sorted indices, no zeros) from a dense int32 matrix, a block of rows at a time."""
    n, width = dense.shape
    indptr = np.zeros(n + 1, dtype=np.int64)
    data, indices = [], []
    for lo in range(0, n, rows_at_once):
        block = dense[lo:lo + rows_at_once]
        row, col = np.nonzero(block)
        indptr[lo + 1:lo + 1 + len(block)] = np.bincount(row, minlength=len(block))
        data.append(block[row, col].astype(np.int32))
        indices.append(col.astype(np.int32))
    np.cumsum(indptr, out=indptr)
    if not data:
        return sp.csr_matrix((n, width), dtype=np.int32)
    return sp.csr_matrix((np.concatenate(data), np.concatenate(indices), indptr), shape=(n, width))


# --------------------------------------------------------------------------- on the client


def assemble(buckets: list[dict], lone: list[dict], with_time: bool) -> GroupTable:
    """The buckets' groups (by first row) then the lone rows (by row), their counts laid straight into one CSR
    matrix; each bucket is dropped from ``buckets`` once placed, so the client holds the table about once."""
    parts = [*buckets, *lone]
    n_groups = sum(len(b["first"]) for b in buckets)
    first = np.concatenate([p["first"] for p in parts])
    order = np.concatenate([np.argsort(first[:n_groups], kind="stable"),
                            n_groups + np.argsort(first[n_groups:], kind="stable")])
    where = np.empty(len(order), dtype=np.int64)
    where[order] = np.arange(len(order))  # each part's row -> its unit
    lengths = np.concatenate([np.diff(p["counts"].indptr) for p in parts])
    indptr = np.zeros(len(order) + 1, dtype=np.int64)
    np.cumsum(lengths[order], out=indptr[1:])
    n_labels = parts[0]["counts"].shape[1] if parts else 0
    index = np.int32 if indptr[-1] < 2**31 else np.int64
    data, indices = np.empty(indptr[-1], np.int32), np.empty(indptr[-1], index)
    groups = pd.Index(np.concatenate([np.asarray(b["g"]) for b in buckets])) if buckets else pd.Index([])
    sizes = np.concatenate([p["size"] for p in parts]).astype(np.int64)[order]
    tmin = np.concatenate([p["tmin"] for p in parts])[order] if with_time else None
    tmax = np.concatenate([p["tmax"] for p in parts])[order] if with_time else None
    start = 0
    for i in range(len(parts)):
        counts = parts[i]["counts"]
        mine = where[start:start + counts.shape[0]]
        at = np.repeat(indptr[mine] - counts.indptr[:-1], np.diff(counts.indptr)) + np.arange(counts.nnz)
        data[at], indices[at] = counts.data, counts.indices
        start += counts.shape[0]
        parts[i] = None  # this bucket's copy may go
    buckets.clear()
    lone.clear()
    matrix = sp.csr_matrix((data, indices, indptr), shape=(len(order), n_labels))
    return GroupTable(groups=groups[order[:n_groups]], lone=np.sort(first[n_groups:]), sizes=sizes, counts=matrix,
                      tmin=tmin, tmax=tmax)


def group_table(client, states, plan, offsets, matrix, set_rows, to_global, watch, scatter) -> GroupTable:
    """Pass 2 (from worker memory): per group, rows, first row, label counts, first/last time; in the in-memory
    group order. ``scatter(dict)`` sends the set matrices to every worker once."""
    buckets = max(2, min(len(states), 16))
    turned, flip = flipped(matrix, set_rows) if matrix.shape[1] else (matrix, None)
    shared = scatter({"matrix": matrix, "turned": turned})
    pieces = [client.submit(group_rows, s, int(offsets[i]), plan, to_global[i], shared["matrix"], buckets,
                            pure=False) for i, s in enumerate(states)]
    with_time = plan.time_column is not None
    reduced = [client.submit(sum_groups, [client.submit(operator.getitem, p, b, pure=False) for p in pieces],
                             shared["turned"], with_time, flip, pure=False) for b in range(buckets)]
    lone = [client.submit(operator.getitem, p, "lone", pure=False) for p in pieces]
    got = run_pass(client, [*reduced, *lone], watch)
    del reduced, lone, pieces
    summed, alone = got[:buckets], got[buckets:]
    del got
    return assemble(summed, alone, with_time)


def solve_groups(config, tasks, table: GroupTable, column: str, notes, need_tasks, check_units):
    """Each unit's split code, by the registry's function or the engine, as :func:`core.splits.split` gives it."""
    sizes = table.sizes
    if len(table.lone):
        notes.append(f"{len(table.lone):,} rows have no value in group_column '{column}'; each is kept as a group of "
                     "its own.")
    if sizes.size < 2:
        raise DataError(f"group_column '{column}' holds a single group; a group split needs at least two groups, "
                        "so pick another column or no group column.")
    strategy = STRATEGIES[config.strategy]
    if strategy.by_time:
        placed = table.tmin if config.group_time == "first" else table.tmax
        code = strategy.codes(pd.DataFrame({config.time_column: placed}), (), config, Units(None, sizes, "groups"),
                              notes)
    elif not strategy.stratifies:
        check_units(config, sizes.size, column)
        code = strategy.codes(None, (), config, Units(None, sizes, "groups"), notes)
    else:
        need_tasks(config, tasks)
        check_units(config, sizes.size, column)
        shares = config.shares
        part = stratify(table.counts, shares[shares > 0], rng=np.random.default_rng(config.seed), sizes=sizes,
                        order=config.order)
        code = np.flatnonzero(shares > 0)[np.asarray(part, dtype=np.int64)]
        if config.n_folds:  # as the in-memory stratified split: a fold left empty by a tiny table takes a unit
            code = fill_empty_splits(code, sizes, shares)
    code = np.asarray(code, dtype=np.int64)
    n_groups = len(table.groups)
    return pd.Series(code[:n_groups], index=table.groups), pd.Series(code[n_groups:], index=pd.Index(table.lone))
