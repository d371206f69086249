"""What a partition keeps on its worker between passes: each row's label-set code, in one read of the labels.

The first pass reads only the columns a split needs (labels, and the group, time, id or split column
it reads), packs each row's label values into one integer (each column's small integer codes in mixed
radix, a regression column's quantile bin among them: no strings, no tuples, no hashing per row; int32
while the radices' product and the values allow, as for 20 binary labels and a 5-bin target) and keeps, on the worker,
the row's label-set code and the columns a later pass reads. The regression bins' exact edges are known
before that pass (:func:`regression_values`, :func:`sample_of` and :func:`bracket_of` run on the
regression columns alone: from Parquet a read of those columns only, a twentieth of pass 1's bytes with the
bench's 20 labels and one target; from CSV globs a full extra parse of every file), so one pass makes the
label sets. Every later pass (the group table, the join that writes the split) works from that memory, not
from the files. A lost worker's state is rebuilt by the scheduler from the same read (the tasks are pure
functions of their partition).

A partition's label sets are numbered in the order first met in it; the client matches them across
partitions by their raw values (:func:`core.cluster._labels.key_hashes` of one representative row,
hashed on the worker).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._labels import bin_codes, first_met, key_hashes

__all__ = ["read_part", "small_of", "sample_of", "bracket_of", "regression_values", "with_rank",
           "local_rank", "column_codes", "mixed_codes"]

SAMPLE = 20_000  # regression values per partition for the rough quantiles that bracket the exact ones
_INT32 = 1 << 31
_BLOCK = 1 << 15  # rows a block when the label key is made: a 32,768-row int32 block (128 KiB) stays in L2


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


def _digits(frame: pd.DataFrame, columns, edges: dict) -> list[tuple[np.ndarray, int, int]]:
    """Each column as (codes, lowest code, radix): a small-integer column as it is, a regression column's bin code
    plus one (missing: 0), anything else by :func:`column_codes`."""
    digits = []
    for column in columns:
        values = frame[column]
        if column in edges:
            codes = bin_codes(values, edges[column], np.int8 if len(edges[column]) < 127 else np.int64)
            codes += 1
            digits.append((codes, 0, len(edges[column]) + 1))
            continue
        small = _small_range(values)
        if small is not None:
            digits.append((values.to_numpy(), *small))
        else:
            codes, radix = column_codes(values)
            digits.append((codes, 0, radix))
    return digits


def mixed_codes(frame: pd.DataFrame, columns, edges: dict | None = None) -> np.ndarray:
    """One integer per row: the columns' codes in mixed radix (a column of ``edges`` as its quantile bin).

    int32 when the radices' product stays below 2**31 (20 binary labels and a 5-bin target: 2**20 x 7) and
    every small-integer column's values fit in int32, else int64, renumbered whenever the product nears 2**62. A small-integer column (0/1 labels) is added
    in place, without a code array of its own.

    Examples
    --------
    >>> mixed_codes(pd.DataFrame({"a": [0, 1, 0], "b": [1, 1, 0]}), ["a", "b"]).tolist()
    [1, 3, 0]
    >>> mixed_codes(pd.DataFrame({"a": [0, 1], "t": [0.5, 9.0]}), ["a", "t"], {"t": np.array([0.0, 1.0, 9.0])}).tolist()
    [1, 6]
    """
    digits = _digits(frame, columns, edges or {})
    key = np.zeros(len(frame), dtype=np.int32 if _fits_int32(digits) else np.int64)
    if np.prod([float(radix) for _, _, radix in digits]) < 2.0**62:  # no renumbering
        _add_run(key, digits)
        return key
    bound, run = 1, []
    for digit in digits:  # runs of digits whose product stays below 2**62, the key renumbered between runs
        if bound * digit[2] >= 1 << 62:
            _add_run(key, run)
            key, uniques = pd.factorize(key)
            key, bound, run = key.astype(np.int64), len(uniques), []
        run.append(digit)
        bound *= digit[2]
    _add_run(key, run)
    return key


def _add_run(key: np.ndarray, digits) -> None:
    """``key`` times the digits' radices plus their mixed-radix number, in place, row block by row block."""
    for start in range(0, key.size, _BLOCK):
        _add_digits(key[start:start + _BLOCK], digits, start)


def _add_digits(key: np.ndarray, digits, start: int) -> None:
    """``key`` (a block of rows from ``start``) times the digits' radices plus their mixed-radix number, in place:
    the block stays in cache while every column is added (20 label columns on 2M rows: ~8 ms, against ~25 ms a
    column at a time over all rows, which streams the key through memory twice a column)."""
    stop = start + key.size
    for codes, low, radix in digits:
        key *= radix
        key += codes[start:stop]
        if low:
            key -= low


def _fits_int32(digits) -> bool:
    """Whether the mixed-radix key and every small-integer column's lowest and highest value fit in int32
    (a column of values near 3e9 with a range of 2 has a small radix but values int32 cannot subtract)."""
    total = 1
    for _, low, radix in digits:
        total *= radix
        if not -_INT32 <= low <= low + radix - 1 < _INT32:
            return False
    return total < _INT32


def _small_range(values: pd.Series) -> tuple[int, int] | None:
    """(lowest value, range) of a numpy integer or bool column spanning fewer than 2**20 values, else None."""
    dtype = values.dtype
    if not (isinstance(dtype, np.dtype) and dtype.kind in "iub") or not len(values):
        return None
    numbers = values.to_numpy()
    low, high = int(numbers.min()), int(numbers.max())
    return (low, high - low + 1) if high - low < 1 << 20 else None


def local_rank(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """Each row's rank among the rows of its code, in row order (0, 1, ... per code); int32 below 2**31 rows.

    Examples
    --------
    >>> local_rank(np.array([1, 0, 1, 1, 0], dtype=np.uint16), 2).tolist()
    [0, 0, 1, 2, 1]
    """
    dtype = np.int32 if codes.size < _INT32 else np.int64
    order = np.argsort(codes, kind="stable")  # a radix sort for uint16 codes
    counts = np.bincount(codes, minlength=n_codes)
    starts = np.zeros(n_codes, dtype=dtype)
    np.cumsum(counts[:-1], out=starts[1:])
    step = np.arange(codes.size, dtype=dtype)
    step -= np.repeat(starts, counts)  # the sorted rows' codes' starts, without a gather
    rank = np.empty(codes.size, dtype=dtype)
    rank[order] = step
    return rank


def _numbers(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def regression_values(frame: pd.DataFrame, columns) -> dict:
    """A partition's regression columns' finite values as float64 (kept on the worker while their exact quantiles
    are found), and what the client gathers of them (``small``: the rows and each column's :func:`sample_of`).

    Examples
    --------
    >>> state = regression_values(pd.DataFrame({"t": [2.0, None, 1.0, np.inf]}), ["t"])
    >>> state["t"].tolist(), state["small"]["t"][0], state["small"]["t"][1].tolist()
    ([2.0, 1.0], 2, [1.0, 2.0])
    """
    state: dict = {"n": len(frame)}
    for column in columns:
        values = _numbers(frame[column])
        state[column] = values[np.isfinite(values)]
    state["small"] = {"n": len(frame), **{column: sample_of(state[column], len(frame)) for column in columns}}
    return state


def read_part(frame: pd.DataFrame, plan) -> dict:
    """Pass 1 on one partition (only the columns the split reads): what the worker keeps.

    ``sets``: each row's label set (numbered in the order first met; a regression column by its bin on
    ``plan.edges``), ``table``: one row per set (raw label values, a regression column's bin code, -1
    for missing, and ``_rows``); the columns a later pass reads (``keep``); and the small counts the
    client gathers (``small``, with the table and its sets' key hashes).
    """
    n = len(frame)
    state: dict = {"n": n}
    small: dict = {"n": n}
    if plan.label_columns:
        state.update(_sets(frame, plan))
        small["sets"] = state["table"]
        small["keys"] = key_hashes(state["table"][list(plan.label_columns)])
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


def _sets(frame: pd.DataFrame, plan) -> dict:
    """Each row's label set in this partition (``sets``, numbered in the order first met), ``n_sets`` and ``table``."""
    columns = list(plan.label_columns)
    edges = {column: plan.edges[column] for column in plan.regression}
    key, _ = pd.factorize(mixed_codes(frame, columns, edges))
    first = first_met(key)
    table = frame[columns].iloc[first].reset_index(drop=True)
    for column in plan.regression:
        table[column] = bin_codes(table[column], edges[column])
    table["_rows"] = np.bincount(key, minlength=first.size)
    return {"sets": key.astype(np.uint16 if first.size <= 1 << 16 else np.int32), "n_sets": int(first.size),
            "table": table}


def with_rank(state: dict) -> dict:
    """``state`` with each row's rank among its partition's rows of its label set (``rank``), for the join.

    Run on the workers right after pass 1, while the client merges and solves, so the join only looks up.
    """
    return {**state, "rank": local_rank(state["sets"], state["n_sets"])}


def small_of(state: dict) -> dict:
    """What the client gathers of a partition's state (the rest stays on the worker)."""
    return state["small"]


def sample_of(finite: np.ndarray, n: int) -> tuple[int, np.ndarray]:
    """The count of ``finite`` (a partition's finite values) and a sorted sample of them (a fixed draw per partition
    size ``n``), for rough quantiles.

    Examples
    --------
    >>> n, sample = sample_of(np.array([3.0, 1.0, 2.0]), 3)  # at most SAMPLE values: all of them, sorted
    >>> n, sample.tolist()
    (3, [1.0, 2.0, 3.0])
    """
    sample = finite
    if finite.size > SAMPLE:
        sample = finite[np.random.default_rng(n).choice(finite.size, SAMPLE, replace=False)]
    return int(finite.size), np.sort(sample)


def bracket_of(state: dict, column: str, low: np.ndarray, high: np.ndarray) -> tuple[int, np.ndarray, list]:
    """Per bracket: the values below it, and those inside it (for the exact order statistics), of ``state[column]``
    (the finite values of :func:`regression_values`). One comparison pass per bound (an open bound: none).

    Examples
    --------
    >>> n, below, inside = bracket_of({"t": np.array([3.0, 1.0, 2.0, 5.0])}, "t", np.array([-np.inf, 2.0]),
    ...                               np.array([1.5, np.inf]))
    >>> n, below.tolist(), [part.tolist() for part in inside]
    (4, [0, 1], [[1.0], [3.0, 2.0, 5.0]])
    """
    values = state[column]
    below = np.zeros(len(low), dtype=np.int64)
    inside = []
    for i, (lo, hi) in enumerate(zip(low, high, strict=True)):
        keep = values >= lo if lo > -np.inf else None
        if keep is not None:
            below[i] = values.size - np.count_nonzero(keep)
        if hi < np.inf:
            keep = values <= hi if keep is None else np.logical_and(keep, values <= hi, out=keep)
        inside.append(values if keep is None else values[keep])
    return values.size, below, inside
