"""Batched dealing: the first pass of :func:`core.splits.stratify.stratify`, one column at a time.

Take the column with the fewest units still unplaced; all of its unplaced units form a batch.
The batch is split among the splits by the column's remaining demand (largest remainder,
within each split's room), sorted by its units' rarest other columns, and dealt out along a
proportional interleave of the splits' quotas, so that dealing one column also balances the
columns it co-occurs with. The batch is then subtracted from every column's demand with one
count, and the next column is taken. Units with no positive indicator fill the room left.

Hand-written because no library offers batched multi-label stratification (see
:mod:`core.splits.stratify._engine`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["largest_remainder", "deal", "column_counts"]

_COUNT_ENTRIES = 1 << 20  # entries counted at a time: bincount copies int32 indices to int64 (8 MiB, not 8 per entry)


def column_counts(indices: np.ndarray, n_cols: int, weights=None) -> np.ndarray:
    """``np.bincount(indices, weights, minlength=n_cols)``, a block of entries at a time (the same counts;
    weighted sums of whole numbers, exact in any grouping).

    Examples
    --------
    >>> column_counts(np.array([0, 2, 2], dtype=np.int32), 4).tolist()
    [1, 0, 2, 0]
    """
    if len(indices) <= _COUNT_ENTRIES:
        return np.bincount(indices, weights=weights, minlength=n_cols)
    total = np.zeros(n_cols, dtype=np.int64 if weights is None else np.float64)
    for start in range(0, len(indices), _COUNT_ENTRIES):
        part = slice(start, start + _COUNT_ENTRIES)
        total += np.bincount(indices[part], weights=None if weights is None else weights[part], minlength=n_cols)
    return total


def largest_remainder(total: int, weights, tiebreak=None) -> np.ndarray:
    """Integers summing to ``total`` in proportion to ``weights`` (Hamilton's method).

    The leftover units go to the largest fractional parts; equal parts go first to the
    lowest ``tiebreak`` value (by default the lowest index).

    Examples
    --------
    >>> largest_remainder(10, [0.7, 0.15, 0.15]).tolist()
    [7, 2, 1]
    """
    weights = np.asarray(weights, dtype=np.float64)
    values = weights.ravel().tolist() if tiebreak is None else None  # a handful of shares: plain floats are fastest
    if values and values[0] > 0 and all(value == values[0] for value in values) and total >= 0:
        k = len(values)  # equal shares: the same, the remainder to the lowest indices, as below
        return np.array([total // k + (split < total % k) for split in range(k)], dtype=np.int64)
    share = total * weights / weights.sum()
    base = np.floor(share).astype(np.int64)
    fraction = share - base
    rank = np.arange(len(weights)) if tiebreak is None else np.asarray(tiebreak)
    order = np.lexsort((rank, -np.round(fraction, 9)))  # largest remainder first
    rest = int(total - base.sum())  # float error can leave it a unit above or below the parts
    if rest > 0:
        base[order[:rest]] += 1
    elif rest < 0:
        shrinkable = order[::-1][base[order[::-1]] > 0]
        base[shrinkable[:-rest]] -= 1
    return base


def deal(counts, shares, targets, sizes, shuffle, rng, weighted) -> tuple[np.ndarray, np.ndarray]:
    """Place every unit, a batch at a time: all unplaced units of the column with fewest of them.

    A batch is sorted by its units' next rarest columns and dealt along an interleave of the
    splits' quotas, which come from the demand the earlier batches left. Returns the
    assignment and the demand left: per column and split, its share minus what it got.
    """
    n_units, n_cols = counts.shape
    k = len(shares)
    by_column = counts.tocsc()
    indptr, indices = counts.indptr, counts.indices
    data = counts.data if weighted else None  # integer counts (a batch's are made floats), else every count is 1
    totals = column_counts(indices, n_cols, data)
    demand = totals[:, None] * shares[None, :]  # (L, k) positives each split still wants
    per_total = 1.0 / np.maximum(totals, 1.0)
    unplaced = np.diff(by_column.indptr).astype(np.int64)  # units per column not placed yet
    done = np.iinfo(np.int64).max
    key = np.where(unplaced > 0, unplaced * n_cols + np.arange(n_cols), done)  # fewest first, then canonical
    ties = rng.random((n_cols, k))  # the last tie-break between splits, per column
    room = targets.astype(np.float64)  # rows each split can still take
    assignment = np.full(n_units, -1, dtype=np.int8 if k < 128 else np.int64)  # int64 once the copy by column is gone
    placed_yet = np.zeros(n_units, dtype=bool)
    while n_cols and key.min() < done:
        column = int(np.argmin(key))
        units = by_column.indices[by_column.indptr[column] : by_column.indptr[column + 1]]
        units = units[~placed_yet[units]]
        placed_yet[units] = True
        starts, per_row = indptr[units], indptr[units + 1] - indptr[units]
        row_starts = np.cumsum(per_row) - per_row
        at = np.repeat(starts - row_starts, per_row) + np.arange(per_row.sum())
        batch_indices = indices[at]
        held = np.bincount(batch_indices, minlength=n_cols)  # the batch's units per column
        batch_data = data[at].astype(np.float64) if weighted else None
        carried = np.bincount(batch_indices, weights=batch_data, minlength=n_cols) if weighted else held
        need = (carried * per_total) @ demand  # how much the batch's columns want each split
        priority = np.lexsort((ties[column], -room, -need))
        quota = batch_quota(int(carried[column]), demand[column], room, priority, weighted)
        sequence = interleave(quota, priority)
        weight = batch_data[batch_indices == column].astype(np.int64) if weighted else None
        order = batch_order(batch_indices, row_starts, per_row, column, n_cols, shuffle[units], weight, sizes[units])
        folds = np.empty(len(units), dtype=np.int64)
        if weighted:  # a unit takes the split at the middle of its stretch of the sequence
            ends = np.cumsum(weight[order])
            folds[order] = sequence[np.minimum(ends - (weight[order] + 1) // 2, len(sequence) - 1)]
            room -= np.bincount(folds, weights=sizes[units], minlength=k)
        else:
            folds[order] = sequence
            room -= quota
        assignment[units] = folds
        placed = np.bincount(batch_indices * k + np.repeat(folds, per_row), weights=batch_data, minlength=n_cols * k)
        demand -= placed.reshape(n_cols, k)
        unplaced -= held
        key = np.where(unplaced > 0, unplaced * n_cols + np.arange(n_cols), done)
    del by_column
    assignment = assignment.astype(np.int64)
    left = np.flatnonzero(assignment < 0)
    fill_unlabelled(left[np.argsort(shuffle[left])], assignment, room, sizes, rng, weighted)
    return assignment, demand


def batch_quota(total, demand, room, priority, weighted) -> np.ndarray:
    """Each split's share of a batch: largest remainder of the positive demand, within room."""
    tiebreak = np.empty(len(priority), dtype=np.int64)
    tiebreak[priority] = np.arange(len(priority))
    want = np.maximum(demand, 0.0)
    if want.sum() <= 0:
        want = np.maximum(room, 0.0) + 1e-9
    quota = largest_remainder(total, want, tiebreak)
    if not weighted:  # a unit is one row: never give a split more than its room
        capacity = np.maximum(room, 0).astype(np.int64)
        if (quota > capacity).any():
            quota = np.minimum(quota, capacity)
            spare = capacity - quota
            quota += largest_remainder(total - quota.sum(), spare + 1e-12, tiebreak)
    return quota


def interleave(quota: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """A sequence holding split j quota[j] times, each split spread evenly along it.

    Split j's i-th place sits at (i + 1/2) / quota[j]; places at the same point follow
    ``priority``. Any stretch of the sequence thus holds each split in proportion.
    """
    ordered = quota[priority]
    split = np.repeat(priority, ordered)
    starts = np.repeat(np.cumsum(ordered) - ordered, ordered)
    place = (np.arange(len(split)) - starts + 0.5) / np.repeat(ordered, ordered)
    return split[np.argsort(place, kind="stable")]


def batch_order(indices, row_starts, per_row, column, n_cols, shuffle, weight, sizes) -> np.ndarray:
    """A batch's units sorted by their three rarest other columns, then at random.

    Rows list their columns in canonical (rarest first) order, so the three rarest other columns
    are among each row's first four. Units of unequal weight also sort heavier first inside a
    run, so that a run deals out its big units evenly too.
    """
    last = row_starts + per_row - 1
    first, second, third, fourth = (
        np.where(per_row > slot, indices[np.minimum(row_starts + slot, last)], n_cols).astype(np.int64)
        for slot in range(4)
    )  # each row's first four columns, ascending; n_cols where the row is shorter
    rarest = np.where(first == column, second, first)  # the three smallest, leaving ``column`` out
    next_rarest = np.where((first == column) | (second == column), third, second)
    third_rarest = np.where((first == column) | (second == column) | (third == column), fourth, third)
    if weight is not None:
        return np.lexsort((shuffle, -sizes, -weight, next_rarest, rarest))  # groups: two columns, then size
    base, span = n_cols + 1, int(shuffle.max(initial=0)) + 1
    if base * base * base * span < 2**62:  # one int64 key sorts faster than a lexsort
        return np.argsort(((rarest * base + next_rarest) * base + third_rarest) * span + shuffle)
    return np.lexsort((shuffle, third_rarest, next_rarest, rarest))


def fill_unlabelled(left, assignment, room, sizes, rng, weighted) -> None:
    """Units with no positive indicator (``left``, in random order) fill the room left over."""
    if not len(left):
        return
    k = len(room)
    if not weighted:
        assignment[left] = np.repeat(np.arange(k), np.maximum(room, 0).astype(np.int64))
        return
    left = left[np.argsort(-sizes[left], kind="stable")]  # biggest first
    weight = sizes[left]
    priority = np.lexsort((rng.permutation(k), -room))
    quota = largest_remainder(int(weight.sum()), np.maximum(room, 0) + 1e-9, np.argsort(priority))
    sequence = interleave(quota, priority)
    assignment[left] = sequence[np.minimum(np.cumsum(weight) - (weight + 1) // 2, len(sequence) - 1)]
