"""What a partition keeps on its worker between passes: each row's label-set code, in one read of the labels.

The first pass reads only the columns a split needs (labels, and the group, time, id or split column
it reads), packs each row's label values into one int64 (each column's small integer codes in mixed
radix: no strings, no tuples, no hashing per row) and keeps, on the worker, the row's code and the
columns a later pass reads. Every later pass (the regression bins, the group table, the join that
writes the split) works from that memory, not from the files. A lost worker's state is rebuilt by
the scheduler from the same read (the tasks are pure functions of their partition).

A partition's label sets are numbered in the order first met in it; the client matches them across
partitions by their raw values (:func:`core.cluster._labels.key_hashes` of one representative row).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._labels import bin_codes

__all__ = ["read_part", "small_of", "sample_of", "bracket_of", "sets_of", "local_rank", "column_codes",
           "mixed_codes", "first_met"]

SAMPLE = 20_000  # regression values per partition for the rough quantiles that bracket the exact ones


def column_codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Each value as a small integer (0..radix-1; equal values, equal codes; missing its own code), and radix.

    Examples
    --------
    >>> column_codes(pd.Series([3, 5, 3]))[0].tolist(), column_codes(pd.Series(["a", None, "a"]))[0].tolist()
    ([0, 2, 0], [1, 0, 1])
    """
    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "iub" and len(values):
        numbers = values.to_numpy().astype(np.int64, copy=False)
        low, high = int(numbers.min()), int(numbers.max())
        if high - low < 1 << 20:
            return numbers - low, high - low + 1
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False) + 1, len(uniques) + 1


def mixed_codes(frame: pd.DataFrame, columns) -> np.ndarray:
    """One int64 per row: the columns' codes in mixed radix (renumbered whenever the product nears 2**62).

    A small-integer column (0/1 labels) is added in place, without a code array of its own.

    Examples
    --------
    >>> mixed_codes(pd.DataFrame({"a": [0, 1, 0], "b": [1, 1, 0]}), ["a", "b"]).tolist()
    [1, 3, 0]
    """
    key = np.zeros(len(frame), dtype=np.int64)
    bound = 1
    for column in columns:
        values = frame[column]
        small = _small_range(values)
        if small is not None:
            low, radix = small
            codes = values.to_numpy()
        else:
            codes, radix = column_codes(values)
            low = 0
        if bound * radix >= 1 << 62:
            key, uniques = pd.factorize(key)
            key, bound = key.astype(np.int64), len(uniques)
        key *= radix
        key += codes
        if low:
            key -= low
        bound *= radix
    return key


def _small_range(values: pd.Series) -> tuple[int, int] | None:
    """(lowest value, range) of a numpy integer or bool column spanning fewer than 2**20 values, else None."""
    dtype = values.dtype
    if not (isinstance(dtype, np.dtype) and dtype.kind in "iub") or not len(values):
        return None
    numbers = values.to_numpy()
    low, high = int(numbers.min()), int(numbers.max())
    return (low, high - low + 1) if high - low < 1 << 20 else None


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


def local_rank(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """Each row's rank among the rows of its code, in row order (0, 1, ... per code)."""
    order = np.argsort(codes, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=n_codes))[:-1]])
    rank = np.empty(codes.size, dtype=np.int64)
    rank[order] = np.arange(codes.size, dtype=np.int64) - starts[codes[order]]
    return rank


def _numbers(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def read_part(frame: pd.DataFrame, plan) -> dict:
    """Pass 1 on one partition (only the columns the split reads): what the worker keeps.

    ``pre``: each row's code over the non-regression label columns, ``pre_rows``: one row of raw label
    values per code; the regression columns' values (binned once their exact edges are known); the
    columns a later pass reads (``keep``); and the small counts the client gathers (``small``).
    """
    n = len(frame)
    state: dict = {"n": n}
    small: dict = {"n": n}
    if plan.label_columns:
        plain = [c for c in plan.label_columns if c not in plan.regression]
        pre, _ = pd.factorize(mixed_codes(frame, plain))
        state["pre"] = pre.astype(np.int64, copy=False)
        state["pre_rows"] = frame[plain].iloc[first_met(pre)].reset_index(drop=True)
        for column in plan.regression:
            state[column] = _numbers(frame[column])
            small[f"sample:{column}"] = sample_of(state[column], n)
        if not plan.regression:
            state = sets_of(state, plan, {})
            small["sets"] = state["table"]
    keep = [c for c in plan.keep if c in frame.columns]
    if keep:
        state["keep"] = frame[keep].reset_index(drop=True)
    if plan.time_values:
        from ._parts import times_of  # (_parts reads this module)

        small["times"] = times_of(frame[plan.time_column]).value_counts(dropna=False, sort=False)
    if plan.hash_column is not None:
        small["missing_ids"] = int(frame[plan.hash_column].isna().sum())
    if plan.split_values:
        small["splits"] = frame[plan.config.split_column].value_counts(dropna=False, sort=False)
    state["small"] = small
    return state


def small_of(state: dict) -> dict:
    """What the client gathers of a partition's state (the rest stays on the worker)."""
    return state["small"]


def sample_of(values: np.ndarray, n: int) -> tuple[int, np.ndarray]:
    """The finite values' count and a sample of them (a fixed draw per partition size), for rough quantiles."""
    finite = values[np.isfinite(values)]
    if finite.size > SAMPLE:
        finite = finite[np.random.default_rng(n).choice(finite.size, SAMPLE, replace=False)]
    return int(np.isfinite(values).sum()), np.sort(finite)


def bracket_of(state: dict, column: str, low: np.ndarray, high: np.ndarray) -> tuple[int, np.ndarray, list]:
    """Per bracket: the finite values below it, and those inside it (for the exact order statistics)."""
    values = state[column]
    values = values[np.isfinite(values)]
    below = np.array([(values < lo).sum() for lo in low], dtype=np.int64)
    inside = [values[(values >= lo) & (values <= hi)] for lo, hi in zip(low, high, strict=True)]
    return values.size, below, inside


def sets_of(state: dict, plan, edges: dict) -> dict:
    """Each row's label set in this partition (``sets``, numbered in the order first met) and ``table``.

    ``table`` holds one row per set: the raw label values (a regression column's bin code, -1 for
    missing) and ``_rows``. The regression values are dropped once binned. Returns ``state``.
    """
    state = dict(state)  # the worker's stored state stays as it was (a retried task reads it again)
    pre = state.pop("pre")
    pre_rows = state.pop("pre_rows")
    key = pre
    bins = {}
    for column in plan.regression:
        bins[column] = bin_codes(pd.Series(state.pop(column)), edges[column])
        key, _ = pd.factorize(key * (len(edges[column]) + 1) + bins[column] + 1)
        key = key.astype(np.int64, copy=False)
    first = first_met(key)
    table = pre_rows.iloc[pre[first]].reset_index(drop=True)
    for column, codes in bins.items():
        table[column] = codes[first]
    table = table[list(plan.label_columns)]
    table["_rows"] = np.bincount(key, minlength=first.size)
    state["sets"] = key.astype(np.uint16 if first.size <= 1 << 16 else np.int32)
    state["n_sets"] = int(first.size)
    state["table"] = table
    state["small"] = {**state.get("small", {}), "sets": table}
    return state
