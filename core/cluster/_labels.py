"""Labels on a cluster: each row's label key, exact regression bin edges, and the table of label sets.

A row's *label key* is the tuple of its task columns' raw values (a regression column's quantile bin
instead of its value), hashed to one uint64 per row. Rows with one key are interchangeable for every
count the stratifier and the scores need, so the cluster only ever ships a (label sets x splits) table.
The distinct keys are encoded on the client by :func:`core.tasks.encode_tasks`, exactly as the
in-memory engine encodes rows: the same classes, in the same order, the same ``task=value`` labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DataError
from ..tasks import Task, bin_name, encode_tasks, label_name

__all__ = ["LabelSets", "label_columns", "label_keys", "bin_codes", "sampled_edges", "encode_sets", "first_met"]

# up to this many inner bin edges a value's bin is counted by comparisons (one pass a edge): on 2M floats, CPU ms
# (medians of 5, loaded machine, 2026-12-07): 4 edges (5 bins, the default) 7 against searchsorted's 32, 16 edges
# 26 against 51, 32 edges 51 against 63; searchsorted overtakes between 32 and 48 edges (48: 77 against 72)
_COMPARED = 16
_BRACKETS = (0.002, 0.02, 0.2, None)  # widths around the rough quantiles tried before reading all values


def first_met(codes: np.ndarray) -> np.ndarray:
    """Where each code first occurs, for codes numbered in the order first met (as ``pandas.factorize`` gives).

    Examples
    --------
    >>> first_met(np.array([0, 1, 0, 2, 1])).tolist()
    [0, 1, 3]
    """
    if codes.size == 0:
        return np.zeros(0, dtype=np.int64)
    running = np.maximum.accumulate(codes)
    return np.flatnonzero(np.concatenate([[True], running[1:] > running[:-1]]))


def label_columns(tasks: Sequence[Task]) -> list[str]:
    """The columns the tasks read, each once, in task order."""
    return list(dict.fromkeys(column for task in tasks for column in task.columns))


def regression_columns(tasks: Sequence[Task]) -> list[str]:
    return list(dict.fromkeys(task.columns[0] for task in tasks if task.kind == "regression"))


def bin_codes(values: pd.Series, edges: np.ndarray, dtype=np.int64) -> np.ndarray:
    """Quantile-bin code per value as :func:`core.tasks.quantile_bins` gives it (-1 for missing or infinite), as
    ``dtype`` (a signed type holding ``len(edges) - 1``; pass 1 takes int8: a byte a row to add).

    Examples
    --------
    >>> bin_codes(pd.Series([0.0, 1.0, 1.5, 3.0, None]), np.array([0.0, 1.0, 2.0, 3.0])).tolist()
    [0, 1, 1, 2, -1]
    """
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    inner = np.asarray(edges, dtype=np.float64)[1:-1]
    if inner.size <= _COMPARED:  # the edges a value reaches, counted: ~4x faster than searchsorted at 5 bins
        codes = np.zeros(numbers.size, dtype=dtype)
        for edge in inner:
            codes += numbers >= edge
    else:
        codes = np.searchsorted(inner, numbers, side="right").astype(dtype)
    codes[~np.isfinite(numbers)] = -1
    return codes


def label_keys(frame: pd.DataFrame, columns: Sequence[str], edges: dict[str, np.ndarray]) -> pd.DataFrame:
    """The label columns of a partition as its label key: raw values, regression columns as bin codes."""
    keys = frame[list(columns)].copy()
    for column, column_edges in edges.items():
        keys[column] = bin_codes(frame[column], column_edges)
    return keys


def key_hashes(keys: pd.DataFrame) -> np.ndarray:
    """One uint64 per row naming its label key: pandas' siphash of the values, the same in every process.

    (A hand-written mix of 0/1 columns measured twice as slow as ``hash_pandas_object`` on 100,000 x 20.)
    """
    if keys.shape[1] == 0:
        return np.zeros(len(keys), dtype=np.uint64)
    return pd.util.hash_pandas_object(keys, index=False, categorize=True).to_numpy()


# --------------------------------------------------------------------------- exact quantiles


def sampled_edges(samples: list, n_bins: int, bracket, column: str) -> np.ndarray:
    """A regression column's exact bin edges, ``np.unique(np.quantile(values, linspace(0, 1, n_bins + 1)))``.

    Bracketed by rough quantiles of per-partition samples, so no pass brings back every value.
    ``samples`` holds each partition's (finite values, sorted sample of them); ``bracket(low, high)``
    runs :func:`core.cluster._rows.bracket_of` on every partition (values kept in worker memory). The
    rough quantiles of the pooled samples (each weighted by its partition's values) only bracket the
    exact order statistics; a bracket that misses is widened, the last try brings back every value.
    """
    qs = np.linspace(0.0, 1.0, n_bins + 1)
    counts = np.array([count for count, _ in samples], dtype=np.float64)
    if counts.sum() == 0:
        raise DataError(f"Regression column '{column}' has no numeric values; pick a numeric column.")
    pooled = np.concatenate([sample for _, sample in samples])
    weights = np.concatenate([np.full(sample.size, count / max(sample.size, 1)) for count, sample in samples])
    order = np.argsort(pooled, kind="stable")
    pooled, cumulative = pooled[order], np.cumsum(weights[order])

    def rough(q, outside):  # a bracket reaching below 0 or above 1 is open on that side (the sample's extremes
        # are not the data's)
        value = pooled[np.minimum(np.searchsorted(cumulative, np.clip(q, 0, 1) * cumulative[-1]), pooled.size - 1)]
        return np.where((q <= 0) | (q >= 1), outside, value)

    brackets = [(rough(qs - w, -np.inf), rough(qs + w, np.inf)) for w in _BRACKETS if w is not None]
    return _exact_from_brackets(qs, brackets, bracket)


def _exact_from_brackets(qs, brackets, bracket) -> np.ndarray:
    """numpy's linear quantiles at ``qs`` from bracketing passes (``bracket(low, high)``), widened until they fit."""
    for attempt in range(len(brackets) + 1):
        if attempt == len(brackets):
            low, high = np.full(qs.size, -np.inf), np.full(qs.size, np.inf)
        else:
            low, high = brackets[attempt]
        got = bracket(low, high)
        n = sum(g[0] for g in got)
        below = np.sum([g[1] for g in got], axis=0)
        position = qs * (n - 1)
        lo_rank, hi_rank = np.floor(position).astype(np.int64), np.ceil(position).astype(np.int64)
        inside = [np.sort(np.concatenate([g[2][i] for g in got])) for i in range(qs.size)]
        if all(below[i] <= lo_rank[i] and hi_rank[i] < below[i] + inside[i].size for i in range(qs.size)):
            values = [
                np.quantile(inside[i][[lo_rank[i] - below[i], hi_rank[i] - below[i]]], position[i] - lo_rank[i])
                if hi_rank[i] != lo_rank[i] else inside[i][lo_rank[i] - below[i]]
                for i in range(qs.size)
            ]
            edges = np.unique(np.array(values, dtype=np.float64))
            return edges if edges.size >= 2 else np.array([values[0], values[-1]])
    raise AssertionError("the last bracket holds every value")  # pragma: no cover


# --------------------------------------------------------------------------- the label-set table


@dataclass(frozen=True, eq=False, kw_only=True)
class LabelSets:
    """The distinct label keys of the data, encoded: the (sets x labels) matrix the counts multiply.

    Attributes
    ----------
    keys : ndarray of uint64, shape (S,)
        Each set's key hash (:func:`key_hashes`), in the order first met in the data (partition order).
    rows : ndarray of int64, shape (S,)
        Rows holding each set.
    matrix : scipy.sparse.csr_matrix, shape (S, L)
        0/1: the labels each set holds, columns as :func:`core.tasks.encode_tasks` orders them.
    labels, label_tasks, label_values : tuple of str
        Each column's ``task=value`` name, task and value (a regression task's values are its bins).
    missing : ndarray of bool, shape (S, T)
        Whether each set misses each task's label.
    task_names : tuple of str
    task_kinds : tuple of str
    """

    keys: np.ndarray
    rows: np.ndarray
    matrix: sp.csr_matrix
    labels: tuple[str, ...]
    label_tasks: tuple[str, ...]
    label_values: tuple[str, ...]
    missing: np.ndarray
    task_names: tuple[str, ...]
    task_kinds: tuple[str, ...]

    def index_of(self, hashes: np.ndarray) -> np.ndarray:
        """The set index of each key hash (-1 when unknown)."""
        return pd.Index(self.keys).get_indexer(hashes)


def encode_sets(table: pd.DataFrame, tasks: Sequence[Task], edges: dict[str, np.ndarray], n_bins: int) -> LabelSets:
    """Encode the distinct label keys (``table``: the label columns, ``_key`` and ``_rows``) as the tasks say.

    A regression task is encoded as the classes of its bin codes, named as the in-memory engine names its
    bins; every other task by :func:`core.tasks.encode_tasks` on the distinct values, so classes and labels
    are those of the whole data.
    """
    frame = table.reset_index(drop=True)
    coded = []
    bins = {}
    for task in tasks:
        if task.kind == "regression":
            column = task.columns[0]
            name = f"__bin__{column}"
            if name not in frame:
                codes = frame[column].to_numpy(dtype=np.float64, na_value=-1)
                frame[name] = np.where(codes >= 0, codes, np.nan)
            bins[task.name] = edges[column]
            coded.append(Task(task.name, (name,), "multiclass"))
        else:
            coded.append(task)
    if any(task.kind == "regression" for task in tasks):
        for task, as_coded in zip(tasks, coded, strict=True):
            if task.kind == "regression" and frame[as_coded.columns[0]].nunique() < 2:
                raise DataError(
                    f"Task '{task.name}' has a single value bin; a task needs at least two values, so pick another column."
                )
    matrix, tasks_of, values_of, missing = _encoded_by_task(frame, coded, n_bins)
    for position, (task_name, value) in enumerate(zip(tasks_of, values_of, strict=True)):
        if task_name in bins:
            values_of[position] = bin_name(int(float(value)), bins[task_name])
    labels = tuple(label_name(t, v) for t, v in zip(tasks_of, values_of, strict=True))
    return LabelSets(
        keys=frame["_key"].to_numpy(dtype=np.uint64), rows=frame["_rows"].to_numpy(dtype=np.int64),
        matrix=matrix, labels=labels, label_tasks=tuple(tasks_of),
        label_values=tuple(values_of), missing=missing, task_names=tuple(t.name for t in tasks),
        task_kinds=tuple(t.kind for t in tasks),
    )


def _encoded_by_task(frame: pd.DataFrame, tasks: Sequence[Task], n_bins: int):
    """:func:`core.tasks.encode_tasks` of ``frame``, each task encoded on its columns' distinct value combinations
    (first met first; a handful for a binary task against ~10^5 label sets at 100M rows) and taken by row.

    A task's encoding of a row depends only on the row's values and the task's distinct values (classes sorted,
    labels named from the values), so this is the encoding of the whole frame, in a fraction of the time.
    Returns the (rows x labels) CSR matrix, each label's task and value, and the (rows x tasks) missing flags.
    """
    if not tasks:
        encode_tasks(frame, tasks, n_bins)  # its one-line error
    blocks, tasks_of, values_of, missing = [], [], [], []
    for task in tasks:
        columns = list(task.columns)
        if len(columns) == 1:
            row_of, _ = pd.factorize(frame[columns[0]], use_na_sentinel=False)
        else:  # numbered in the order first met, missing values a value of their own
            row_of = frame[columns].groupby(columns, dropna=False, sort=False).ngroup().to_numpy()
        first = first_met(row_of)
        distinct = frame[columns].iloc[first].reset_index(drop=True)
        encoded = encode_tasks(distinct, [task], n_bins)
        blocks.append(sp.csr_matrix(encoded.matrix)[row_of])
        tasks_of += encoded.label_tasks
        values_of += encoded.label_values
        missing.append(encoded.tasks[0].missing[row_of])
    matrix = sp.hstack(blocks, format="csr", dtype=np.uint8)
    flags = np.stack(missing, axis=1) if missing else np.zeros((len(frame), 0), bool)
    return matrix, tasks_of, values_of, flags
