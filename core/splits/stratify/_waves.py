"""Order 2 at many labels, single rows: the batched deal of :mod:`core.splits.stratify._pairs`, many batches at once.

In the deal by columns every unit is placed in the batch of its first column in canonical order
(its rarest column), so the batches are known before the deal starts; only their splits depend
on what earlier batches placed. A batch's quota follows its own column's demand, which changes
only when a unit holding that column is placed. So consecutive batches none of whose units holds
a later one's column (a *wave*) see exactly the column demand they would see one at a time, and
are dealt together: quota, interleave and order for the whole wave in a few array operations.
What they see from the wave's start is the rest: the need of their other columns and the room
of the splits, both only tie-breaks (a wave never takes more units than the emptiest split's room).

On the 1,000,000 x 10,000 power-law set the 584,888 batches (318,642 of one unit) form about
1,400 waves; delicious's 12,391 batches form 148. A batch too big for the room left is dealt alone,
capped by room, as :func:`core.splits.stratify._pairs.deal_by_columns` does.

Hand-written because no library offers batched multi-label stratification (see
:mod:`core.splits.stratify._engine`).
"""

from __future__ import annotations

import numpy as np

from ._cover import entries
from ._deal import batch_quota, column_counts, fill_unlabelled, interleave

__all__ = ["deal_in_waves"]

_WAVE_BATCHES = 512  # batches dealt together at most: fewer is nearer the one-at-a-time deal's tie-breaks
_CONFLICT_ROWS = 1 << 14  # rows read at a time when finding which batch holds a later batch's column


def deal_in_waves(counts, shares, targets, shuffle, rng) -> tuple[np.ndarray, np.ndarray]:
    """Place every single-row unit of the 0/1 ``counts`` (columns in canonical order), a wave of batches at a time.

    Returns the assignment and the demand left (per column and split, its share minus what it
    got), as :func:`core.splits.stratify._pairs.deal_by_columns`.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> counts = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1], [0, 0, 1]]))
    >>> shares, targets = np.array([0.5, 0.5]), np.array([2, 2])
    >>> assignment, _ = deal_in_waves(counts, shares, targets, np.arange(4), np.random.default_rng(0))
    >>> np.bincount(assignment).tolist()
    [2, 2]
    """
    n_units, n_cols = counts.shape
    k = len(shares)
    totals = column_counts(counts.indices, n_cols).astype(np.float64)
    state = _State(
        counts=counts, demand=totals[:, None] * shares[None, :], per_total=1.0 / np.maximum(totals, 1.0),
        room=targets.astype(np.float64), assignment=np.full(n_units, -1, dtype=np.int64),
    )  # fmt: skip
    del totals
    units, columns, starts = _batches(counts, shuffle)
    limit = _next_conflict(counts, columns)
    first = 0
    while first < len(columns):
        last = _wave_end(first, limit, starts, state.room.min())
        # each batch's k tie-breaks, drawn a wave at a time: the same draws, in the same order, as one
        # (batches, k) array (half a million batches: 23 MiB) drawn before the deal
        if last == first:  # too big for the room left: alone, capped by room
            ties = rng.random((1, k))
            state.deal_one(units[starts[first] : starts[first + 1]], int(columns[first]), ties[0])
            last = first + 1
        else:
            ties = rng.random((last - first, k))
            batch_sizes = np.diff(starts[first : last + 1])
            state.deal_wave(units[starts[first] : starts[last]], columns[first:last], batch_sizes, ties)
        first = last
    rest = np.flatnonzero(state.assignment < 0)
    ones = np.broadcast_to(np.int64(1), (n_units,))
    fill_unlabelled(rest[np.argsort(shuffle[rest])], state.assignment, state.room, ones, rng, False)
    return state.assignment, state.demand


def _batches(counts, shuffle) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The units holding a column, sorted by batch (their first column) and, inside one, by their next
    three columns and then ``shuffle`` (the order :func:`core.splits.stratify._deal.batch_order` deals
    them in); the batches' columns; where each batch starts among the units (and the end)."""
    indptr, indices = counts.indptr, counts.indices
    lengths = np.diff(indptr)
    units = np.flatnonzero(lengths > 0)
    lengths, starts = lengths[units], indptr[units]
    n_cols = counts.shape[1]
    last = starts + lengths - 1

    def slot(i: int) -> np.ndarray:  # each unit's i-th column, n_cols past its last
        return np.where(lengths > i, indices[np.minimum(starts + i, last)], n_cols).astype(np.int64)

    base = n_cols + 1
    if base * base < 2**62:  # two columns in one key: a lexsort of three keys instead of five
        keys = [slot(2) * base + slot(3), slot(0) * base + slot(1)]  # one key of two columns at a time
    else:
        keys = [slot(3), slot(2), slot(1), slot(0)]
    del lengths, starts, last
    units = units[np.lexsort((shuffle[units], *keys))]
    del keys
    first = indices[indptr[units]]
    new = np.r_[True, first[1:] != first[:-1]] if len(units) else np.zeros(0, dtype=bool)
    begins = np.flatnonzero(new)
    return units, first[begins], np.r_[begins, len(units)]


def _next_conflict(counts, columns) -> np.ndarray:
    """Per batch, the first later batch whose column one of its units holds (len(columns) if none)."""
    n_units = counts.shape[0]
    position = np.full(counts.shape[1], -1, dtype=np.int64)
    position[columns] = np.arange(len(columns))
    limit = np.full(len(columns), len(columns), dtype=np.int64)
    indptr, indices = counts.indptr, counts.indices
    for lo in range(0, n_units, _CONFLICT_ROWS):
        hi = min(lo + _CONFLICT_ROWS, n_units)
        lengths = np.diff(indptr[lo : hi + 1])
        held = position[indices[indptr[lo] : indptr[hi]]]
        owner = np.repeat(position[indices[indptr[lo:hi][lengths > 0]]], lengths[lengths > 0])
        later = held > owner
        np.minimum.at(limit, owner[later], held[later])
    return limit


def _wave_end(first: int, limit: np.ndarray, starts: np.ndarray, room: float) -> int:
    """The end of the wave from batch ``first``: no batch in it holds a later one's column, it has at
    most ``_WAVE_BATCHES`` batches and no more units than ``room``."""
    reach = np.minimum.accumulate(limit[first : first + _WAVE_BATCHES])  # the nearest conflict so far
    last = first + int((reach >= np.arange(first + 1, first + len(reach) + 1)).sum())  # a prefix fits
    return first + int(np.searchsorted(starts[first + 1 : last + 1] - starts[first], room, side="right"))


class _State:
    """What the deal has placed so far: every unit's split, each column's demand, each split's room."""

    def __init__(self, *, counts, demand, per_total, room, assignment) -> None:
        self.counts, self.demand, self.per_total = counts, demand, per_total
        self.room, self.assignment = room, assignment

    def _entries(self, units):
        indptr = self.counts.indptr
        lengths = indptr[units + 1] - indptr[units]
        return self.counts.indices[entries(indptr[units], lengths)], lengths

    def deal_one(self, units, column: int, tie) -> None:
        """One batch, its quota capped by the room left (the one-at-a-time deal's step)."""
        columns, lengths = self._entries(units)
        need = self.per_total[columns] @ self.demand[columns]
        priority = np.lexsort((tie, -self.room, -need))
        quota = batch_quota(len(units), self.demand[column], self.room, priority, False)
        self._place(units, interleave(quota, priority), columns, lengths)

    def deal_wave(self, units, columns, sizes, ties) -> None:
        """Batches of ``sizes`` units each (``units`` in deal order), one per column of ``columns``, at once."""
        held, lengths = self._entries(units)
        entry_starts = np.cumsum(lengths) - lengths
        first_entry = entry_starts[np.cumsum(sizes) - sizes]  # every batch has entries: its units hold its column
        need = np.add.reduceat(self.demand[held] * self.per_total[held][:, None], first_entry, axis=0)
        priority = np.lexsort((ties, np.broadcast_to(-self.room, ties.shape), -need), axis=-1)
        quota = _quotas(sizes, self.demand[columns], self.room, priority)
        self._place(units, _interleaves(quota, priority), held, lengths)

    def _place(self, units, splits, columns, lengths) -> None:
        self.assignment[units] = splits
        k = self.demand.shape[1]
        np.subtract.at(self.demand.reshape(-1), columns.astype(np.int64) * k + np.repeat(splits, lengths), 1.0)
        self.room -= np.bincount(splits, minlength=k)


def _quotas(sizes, demand, room, priority) -> np.ndarray:
    """Per batch, :func:`core.splits.stratify._deal.batch_quota` uncapped: the largest remainder of its
    column's positive demand (or, with none, of the room), ties to the splits first in ``priority``."""
    batches, k = demand.shape
    want = np.maximum(demand, 0.0)
    empty = want.sum(axis=1) <= 0
    want[empty] = np.maximum(room, 0.0) + 1e-9
    share = sizes[:, None] * want / want.sum(axis=1, keepdims=True)
    quota = np.floor(share).astype(np.int64)
    rank = np.empty_like(priority)
    np.put_along_axis(rank, priority, np.arange(k)[None, :], axis=1)
    order = np.lexsort((rank, -np.round(share - quota, 9)), axis=-1)
    rest = sizes - quota.sum(axis=1)
    extra = np.arange(k)[None, :] < rest[:, None]  # one more for the first ``rest`` splits in that order
    np.put_along_axis(quota, order, np.take_along_axis(quota, order, axis=1) + extra, axis=1)
    for batch in np.flatnonzero(rest < 0):  # float error left a part a unit too big: the scalar method
        quota[batch] = batch_quota(int(sizes[batch]), demand[batch], room, priority[batch], True)
    return quota


def _interleaves(quota, priority) -> np.ndarray:
    """:func:`core.splits.stratify._deal.interleave` of every batch's quota, the sequences one after another."""
    batches, k = quota.shape
    ordered = np.take_along_axis(quota, priority, axis=1).ravel()
    split = np.repeat(priority.ravel(), ordered)
    batch = np.repeat(np.repeat(np.arange(batches), k), ordered)
    starts = np.repeat(np.cumsum(ordered) - ordered, ordered)
    place = (np.arange(len(split)) - starts + 0.5) / np.repeat(ordered, ordered)
    return split[np.lexsort((place, batch))]
