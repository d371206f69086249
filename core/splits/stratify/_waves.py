"""Order 2 at many labels: the batched deal by columns, many batches at once.

Every unit is placed in the batch of its first column in canonical order (its rarest column),
the batches taken in that order, so the batches are known before the deal starts; only their splits
depend on what earlier batches placed. A batch's quota follows its own column's demand, which changes
only when a unit holding that column is placed. So consecutive batches none of whose units holds
a later one's column (a *wave*) see exactly the column demand they would see one at a time, and
are dealt together: quota, interleave and order for the whole wave in a few array operations.
What they see from the wave's start is the rest: the need of their other columns and the room
of the splits, both only tie-breaks (a wave of single rows never takes more units than the emptiest
split's room).

On the 1,000,000 x 10,000 power-law set the 584,888 batches (318,642 of one unit) form about
1,400 waves; delicious's 12,391 batches form 148. A batch of single rows too big for the room left is
dealt alone, capped by room. Groups (``sizes``, counts above 1) are dealt as
:func:`core.splits.stratify._deal.deal` deals them: a batch's quota is the largest remainder of its
units' counts of its column (never capped by room; the settling after the polish mends the sizes),
its units sorted by their two rarest other columns, then heavier and bigger first, each taking the split
at the middle of its stretch of the interleave.

Hand-written because no library offers batched multi-label stratification (see
:mod:`core.splits.stratify._engine`).
"""

from __future__ import annotations

import numpy as np

from ._blocks import give_back_freed, small_dtype
from ._cover import entries
from ._deal import batch_quota, column_counts, fill_unlabelled, interleave
from ._pair_rows import PairRows

__all__ = ["deal_in_waves"]

_WAVE_BATCHES = 512  # batches dealt together at most: fewer is nearer the one-at-a-time deal's tie-breaks
_CONFLICT_ROWS = 1 << 14  # rows read at a time when finding which batch holds a later batch's column
_KEY_UNITS = 1 << 16  # units whose deal-order keys are made at a time
# Up to this many (column, split) cells the deal keeps its demand as floats (fastest: delicious's 611,000 cells);
# beyond, int32 placed counts (:class:`_Demand`; the 1M x 10,000 set's 4M cells: 16 MiB instead of 32)
_FLOAT_DEMAND_CELLS = 1 << 21


def deal_in_waves(counts, shares, targets, shuffle, rng, sizes=None) -> tuple[np.ndarray, _Demand]:
    """Place every unit of ``counts`` (columns in canonical order, at least one per unit or none), a wave of
    batches at a time.

    ``sizes``: rows per unit, for groups or counts above 1 (None: single rows of 0/1 counts, whose
    split sizes are then the ``targets`` exactly). Returns the assignment and the demand left (per
    column and split, its share minus what it got) as a :class:`_Demand`: ``demand[rows]`` the float rows
    of some columns, ``np.asarray(demand)`` the whole table.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> counts = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1], [0, 0, 1]]))
    >>> shares, targets = np.array([0.5, 0.5]), np.array([2, 2])
    >>> assignment, _ = deal_in_waves(counts, shares, targets, np.arange(4), np.random.default_rng(0))
    >>> np.bincount(assignment).tolist()
    [2, 2]
    >>> grouped, _ = deal_in_waves(counts * 2, shares, targets * 2, np.arange(4), np.random.default_rng(0), np.full(4, 2))
    >>> len(grouped)
    4
    """
    n_units, n_cols = counts.shape
    k = len(shares)
    weighted = sizes is not None
    # the batches first: their sort's keys (16 MiB a million units) are freed before the demand and the assignment
    units, columns, starts, limit = _batches(counts, shuffle, sizes)
    if isinstance(counts, PairRows):  # rows made when read (single 0/1 rows): its totals are known
        give_back_freed()  # the batch sort's keys (16 MiB a million units), before the demand and the assignment
        totals = counts.totals
    else:
        totals = column_counts(counts.indices, n_cols, counts.data if weighted else None)
    demand = _Demand(totals, shares, weighted or n_cols * k <= _FLOAT_DEMAND_CELLS)
    del totals
    state = _State(
        counts=counts, demand=demand, room=targets.astype(np.float64),
        assignment=np.full(n_units, -1, dtype=np.int64), sizes=sizes,
    )  # fmt: skip
    first = 0
    while first < len(columns):
        # groups: a quota is never capped by room, so no room bounds a wave
        last = _wave_end(first, limit, starts, np.inf if weighted else state.room.min())
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
    rows = np.broadcast_to(np.int64(1), (n_units,)) if sizes is None else sizes
    fill_unlabelled(rest[np.argsort(shuffle[rest])], state.assignment, state.room, rows, rng, weighted)
    return state.assignment, state.demand


def _batches(counts, shuffle, sizes=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The units holding a column, sorted by batch (their first column) and, inside one, in the order
    :func:`core.splits.stratify._deal.batch_order` deals them: by their next three columns, then ``shuffle``
    (with ``sizes``: their next two, then their count of the batch's column and their size, largest
    first, then ``shuffle``); the batches' columns; where each batch starts among the units (and the end);
    and :func:`_next_conflict` of the batches."""
    made = isinstance(counts, PairRows)
    indptr = counts.matrix.indptr if made else counts.indptr  # a unit with a label holds a column
    units = np.flatnonzero(np.diff(indptr) > 0).astype(small_dtype(len(indptr)))  # int32 when it fits: 4 MiB less a million
    keys = _deal_keys(counts, units, sizes)
    order = np.lexsort((shuffle[units], *keys))
    # made rows are not held: the first columns from the keys
    first = _first_columns(keys[-1][order], counts.shape[1]) if made else counts.indices[indptr[units[order]]]
    new = np.r_[True, first[1:] != first[:-1]] if len(units) else np.zeros(0, dtype=bool)
    begins = np.flatnonzero(new)
    columns, starts = first[begins], np.r_[begins, len(units)].astype(small_dtype(len(units)))
    del first, new, begins
    limit = _conflicts_of_keys(counts, keys, units, columns) if made else _next_conflict(counts, columns)
    del keys
    return units[order], columns, starts, limit


def _deal_keys(counts, units, sizes) -> list[np.ndarray]:
    """The sort keys of :func:`_batches` after ``shuffle``, least significant first (two columns share one
    int64 key when they fit), written ``_KEY_UNITS`` units at a time (no temporaries the length of ``units``)."""
    n_cols = counts.shape[1]
    paired = (n_cols + 1) ** 2 < 2**62
    if sizes is not None:  # groups: two columns, then heavier and bigger first
        plan = [("size",), ("weight",)] + ([(2,), (0, 1)] if paired else [(2,), (1,), (0,)])
    else:
        plan = [(2, 3), (0, 1)] if paired else [(3,), (2,), (1,), (0,)]
    keys = [np.empty(len(units), dtype=np.int64) for _ in plan]
    if isinstance(counts, PairRows):  # rows made a block at a time (their widths noted on the way)
        done = 0
        for lo, hi in counts.passes():
            block = counts.block(lo, hi)
            counts.note_widths(lo, block.indptr)
            at = np.flatnonzero(np.diff(block.indptr) > 0)  # the block's units: ``units`` holds them in order
            for key, columns in zip(keys, plan, strict=True):
                key[done : done + len(at)] = _key_of(block, at, sizes, columns)
            done += len(at)
        return keys
    for lo in range(0, len(units), _KEY_UNITS):
        part = units[lo : lo + _KEY_UNITS]
        for key, columns in zip(keys, plan, strict=True):
            key[lo : lo + len(part)] = _key_of(counts, part, sizes, columns)
    return keys


def _first_columns(key: np.ndarray, n_cols: int) -> np.ndarray:
    """Each unit's first column from the most significant key of :func:`_deal_keys` (single rows)."""
    first = key // (n_cols + 1) if (n_cols + 1) ** 2 < 2**62 else key
    return first.astype(small_dtype(n_cols))


def _key_of(counts, units, sizes, columns: tuple) -> np.ndarray:
    """One sort key of ``units``: their size or their count of their first column (negated: largest first),
    or their i-th column (n_cols past their last), or two columns i, j as i * (n_cols + 1) + j."""
    indptr, indices, n_cols = counts.indptr, counts.indices, counts.shape[1]
    if columns == ("size",):
        return -np.asarray(sizes)[units]
    if columns == ("weight",):
        return -counts.data[indptr[units]].astype(np.int64)
    starts = indptr[units]
    lengths = indptr[units + 1] - starts
    last = starts + lengths - 1
    key = np.zeros(len(units), dtype=np.int64)
    for i in columns:
        key *= n_cols + 1
        key += np.where(lengths > i, indices[np.minimum(starts + i, last)], n_cols)
    return key


def _conflicts_of_keys(counts: PairRows, keys: list[np.ndarray], units: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """:func:`_next_conflict` of single rows from their sort keys (their first four columns), without reading
    every row again: a batch's conflict is the first batch column after its own in one of its units' rows (rows
    are in canonical order, and so are the batches), so a unit whose second, third or fourth column is a batch
    column, or that has no more, is settled by its keys; only the others' rows are made."""
    n_cols = counts.shape[1]
    position = np.full(n_cols + 1, -1, dtype=small_dtype(len(columns)))  # n_cols: "no such column" in the keys
    position[columns] = np.arange(len(columns))
    limit = np.full(len(columns), len(columns), dtype=position.dtype)
    widths, rest = counts.widths(), []
    for lo in range(0, len(units), _KEY_UNITS):
        part = slice(lo, lo + _KEY_UNITS)
        if (n_cols + 1) ** 2 < 2**62:  # two columns a key: (2, 3), then (0, 1)
            (c2, c3), (c0, c1) = (np.divmod(key[part], n_cols + 1) for key in keys)
        else:
            c3, c2, c1, c0 = (key[part] for key in keys)
        owner, later = position[c0], np.full(len(c0), -1, dtype=position.dtype)
        for column in (c3, c2, c1):  # the first batch column after the unit's own, if among its next three
            found = position[column]
            later = np.where(found >= 0, found, later)
        settled = later >= 0
        np.minimum.at(limit, owner[settled], later[settled])
        rest.append(units[part][~settled & (widths[units[part]] > 4)])
    rest = np.concatenate(rest)
    for lo in range(0, len(rest), _KEY_UNITS // 16):  # about as many entries as a pass's block
        _conflicts_of_rows(*counts.raw_rows(rest[lo : lo + _KEY_UNITS // 16]), position, limit)
    return limit


def _conflicts_of_rows(indptr: np.ndarray, indices: np.ndarray, position: np.ndarray, limit: np.ndarray) -> None:
    """Lower ``limit`` of each batch (``position`` of its column) to the batch columns that its units (the CSR rows of
    ``indptr``, a slice, and ``indices``) hold after it."""
    lengths = np.diff(indptr)
    held = position[indices[indptr[0] : indptr[-1]]]
    owner = np.repeat(position[indices[indptr[:-1][lengths > 0]]], lengths[lengths > 0])
    later = held > owner
    np.minimum.at(limit, owner[later], held[later])


def _next_conflict(counts, columns) -> np.ndarray:
    """Per batch, the first later batch whose column one of its units holds (len(columns) if none)."""
    n_units = counts.shape[0]
    position = np.full(counts.shape[1], -1, dtype=small_dtype(len(columns)))  # int32 when it fits
    position[columns] = np.arange(len(columns))
    limit = np.full(len(columns), len(columns), dtype=position.dtype)
    for lo in range(0, n_units, _CONFLICT_ROWS):
        _conflicts_of_rows(counts.indptr[lo : min(lo + _CONFLICT_ROWS, n_units) + 1], counts.indices, position, limit)
    return limit


def _wave_end(first: int, limit: np.ndarray, starts: np.ndarray, room: float) -> int:
    """The end of the wave from batch ``first``: no batch in it holds a later one's column, it has at
    most ``_WAVE_BATCHES`` batches and no more units than ``room``."""
    reach = np.minimum.accumulate(limit[first : first + _WAVE_BATCHES])  # the nearest conflict so far
    last = first + int((reach >= np.arange(first + 1, first + len(reach) + 1)).sum())  # a prefix fits
    return first + int(np.searchsorted(starts[first + 1 : last + 1] - starts[first], room, side="right"))


class _Demand:
    """Each column's demand per split (its share minus what it got), the floats the deal reads and subtracts from.

    With ``float_table`` False (single rows of 0/1 counts), it keeps the placed units per column and split as
    int32 (and the columns' totals), not the (columns, k) float64 table (1M x 10,000 at order 2: 806,000
    columns, 16 MiB instead of 32): a row of demand is made when read, equal bit for bit to the float that
    subtracting 1.0 per unit placed from ``total * share`` gives (:meth:`_rows`), for about a sixth more of
    the deal's time. Groups (counts above 1) and small tables keep the floats.
    """

    def __init__(self, totals: np.ndarray, shares: np.ndarray, float_table: bool) -> None:
        self.shares = shares
        if float_table:  # float sums (of counts, for groups), subtracted from as the deal places units
            self.totals = totals.astype(np.float64)
            self.table, self.placed = self.totals[:, None] * shares[None, :], None
            self.scale = 1.0 / np.maximum(self.totals, 1.0)
            return
        self.table = None
        self.totals = totals.astype(small_dtype(int(totals.max(initial=0))), copy=False)  # a PairRows' own: shared
        self.placed = np.zeros((len(totals), len(shares)), dtype=self.totals.dtype)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.totals), len(self.shares))

    def per_total(self, columns: np.ndarray) -> np.ndarray:
        """1 / the total of each of ``columns`` (1 for a column with none)."""
        if self.table is not None:
            return self.scale[columns]
        return 1.0 / np.maximum(self.totals[columns].astype(np.float64), 1.0)

    def __getitem__(self, columns) -> np.ndarray:
        """The demand rows of ``columns`` (an index, an array of them or a bool mask), as float64."""
        if self.table is not None:
            return self.table[columns]
        return self._rows(self.totals[columns], self.placed[columns])

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        whole = self[np.arange(self.shape[0])]
        return whole if dtype is None else whole.astype(dtype)

    def subtract(self, cells: np.ndarray, values) -> None:
        """Take ``values`` (1.0 per single row) from the flat (column * k + split) ``cells``; without the float
        table only 1 per cell (placed counts), anything else raises ValueError."""
        if self.table is not None:
            np.subtract.at(self.table.reshape(-1), cells, values)
        else:
            if np.ndim(values) or values != 1:
                raise ValueError(f"the int32 demand takes 1 per unit placed, not {values!r}; counts above 1 need float_table=True.")
            np.add.at(self.placed.reshape(-1), cells, self.placed.dtype.type(1))  # of its own type: numpy's fast path

    def _rows(self, totals: np.ndarray, placed: np.ndarray) -> np.ndarray:
        """``total * share`` less 1.0 ``placed`` times, as floats subtracting one at a time give it.

        While the value is 1 or more, taking 1.0 is exact (a float of at least 1 is a multiple of its
        spacing, and so is 1.0): up to ``floor(total * share)`` units placed, one subtraction gives the
        same float, and it is not negative. Past that (a split given more than its share: the value is
        negative) a step may round, but only where it crosses a power of two (:func:`_minus_ones`), so the
        rest is taken from ``total * share``'s fraction a stretch between powers of two at a time.
        """
        start = totals[:, None] * self.shares if np.ndim(totals) else totals * self.shares
        value = start - placed
        late = np.flatnonzero(value.reshape(-1) < 0)
        if len(late):
            begin = start.reshape(-1)[late]
            whole = np.floor(begin)
            value.reshape(-1)[late] = _minus_ones(begin - whole, placed.reshape(-1)[late] - whole)
        return value


def _minus_ones(value: np.ndarray, times: np.ndarray) -> np.ndarray:
    """``value`` less 1.0 ``times`` times (whole float counts), as floats subtracting one at a time give it, in
    about log2(``times``) passes.

    A negative value of magnitude in [2^m, 2^(m+1)) is a multiple of its spacing, and so is 1.0: taking 1.0 is
    exact, as is taking j at once, while the magnitude stays within 2^(m+1). Only the step that crosses 2^(m+1)
    (or one from a value in [0, 1)) may round: that one is taken alone. Each pass then doubles the magnitude.

    Examples
    --------
    >>> _minus_ones(np.array([0.1]), np.array([5.0])).tolist() == [0.1 - 1.0 - 1.0 - 1.0 - 1.0 - 1.0]
    True
    """
    value, rest = value.copy(), times.copy()
    more = np.flatnonzero(rest > 0)
    while len(more):
        now = value[more]
        room = np.floor(np.ldexp(1.0, np.frexp(now)[1]) - np.abs(now))  # whole steps to the power of two above: exact
        step = np.minimum(np.where(now > 0, 1.0, np.maximum(room, 1.0)), rest[more])
        value[more] = now - step
        rest[more] -= step
        more = more[rest[more] > 0]
    return value


class _State:
    """What the deal has placed so far: every unit's split, each column's demand, each split's room."""

    def __init__(self, *, counts, demand, room, assignment, sizes=None) -> None:
        self.counts, self.demand = counts, demand
        self.room, self.assignment, self.sizes = room, assignment, sizes

    def _entries(self, units):
        """The columns the ``units`` hold, unit after unit, how many each, and (groups) their counts as floats."""
        if isinstance(self.counts, PairRows):  # single 0/1 rows: the wave's rows made now
            indptr, indices = self.counts.raw_rows(units)
            return indices, np.diff(indptr), None
        indptr = self.counts.indptr
        lengths = indptr[units + 1] - indptr[units]
        at = entries(indptr[units], lengths)
        values = None if self.sizes is None else self.counts.data[at].astype(np.float64)  # a wave's only
        return self.counts.indices[at], lengths, values

    def deal_one(self, units, column: int, tie) -> None:
        """One batch, its quota capped by the room left (the one-at-a-time deal's step)."""
        columns, lengths, values = self._entries(units)
        scale = self.demand.per_total(columns) if values is None else self.demand.per_total(columns) * values
        need = scale @ self.demand[columns]
        priority = np.lexsort((tie, -self.room, -need))
        own = None if values is None else values[np.cumsum(lengths) - lengths].astype(np.int64)
        carried = len(units) if own is None else int(own.sum())
        quota = batch_quota(carried, self.demand[column], self.room, priority, own is not None)
        self._place(units, interleave(quota, priority), columns, lengths, values, own)

    def deal_wave(self, units, columns, sizes, ties) -> None:
        """Batches of ``sizes`` units each (``units`` in deal order), one per column of ``columns``, at once."""
        held, lengths, values = self._entries(units)
        entry_starts = np.cumsum(lengths) - lengths
        batch_starts = np.cumsum(sizes) - sizes
        first_entry = entry_starts[batch_starts]  # every batch has entries: its units hold its column
        scale = self.demand.per_total(held) if values is None else self.demand.per_total(held) * values
        need = _batch_need(self.demand, held, scale, first_entry)
        priority = np.lexsort((ties, np.broadcast_to(-self.room, ties.shape), -need), axis=-1)
        own = None if values is None else values[entry_starts].astype(np.int64)  # a unit's count of its batch's column
        carried = sizes if own is None else np.add.reduceat(own, batch_starts)
        quota = _quotas(carried, self.demand[columns], self.room, priority)
        self._place(units, _interleaves(quota, priority), held, lengths, values, own)

    def _place(self, units, sequence, columns, lengths, values=None, own=None) -> None:
        """Give ``units`` their places of ``sequence``: one each, or (groups) the middle of a stretch of ``own``."""
        if own is None:
            splits = sequence
        else:
            ends = np.cumsum(own)  # the batches' sequences one after another: a stretch never crosses into the next
            splits = sequence[np.minimum(ends - (own + 1) // 2, len(sequence) - 1)]
        self.assignment[units] = splits
        k = self.demand.shape[1]
        self.demand.subtract(columns.astype(np.int64) * k + np.repeat(splits, lengths), 1.0 if values is None else values)
        rows = None if self.sizes is None else self.sizes[units]
        self.room -= np.bincount(splits, weights=rows, minlength=k)


def _batch_need(demand: _Demand, held: np.ndarray, scale: np.ndarray, first_entry: np.ndarray) -> np.ndarray:
    """Per batch (its entries from ``first_entry`` on) and split: the sum of its entries' demand times ``scale``.

    ``np.add.reduceat(demand[held] * scale[:, None], first_entry, axis=0)``, the same floats (the same products,
    summed in the same order along a contiguous axis), from the float table a split at a time: gathering
    (entries, k) rows and reducing along a strided axis cost about twice as much (delicious at order 2, 3.2M
    entries: ~90 -> ~40 ms a split). The int32 demand makes its rows as before.

    Examples
    --------
    >>> demand = _Demand(np.array([4, 2]), np.array([0.5, 0.5]), float_table=True)
    >>> _batch_need(demand, np.array([0, 1, 1]), np.array([1.0, 0.5, 0.5]), np.array([0, 1])).tolist()
    [[2.0, 2.0], [1.0, 1.0]]
    """
    if demand.table is None:
        return np.add.reduceat(demand[held] * scale[:, None], first_entry, axis=0)
    gathered = np.empty((demand.shape[1], len(held)))
    for split, row in enumerate(gathered):
        np.multiply(demand.table[held, split], scale, out=row)
    return np.add.reduceat(gathered, first_entry, axis=1).T


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
