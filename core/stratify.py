"""The fast multi-task stratification engine: one split index per unit, every label balanced at once.

A unit is a row, or a group of rows carrying the sum of its rows' indicators. :func:`stratify`
deals units to k splits so that each split gets its share of the rows and of every column of
the indicator matrix (and, with ``order=2``, of every co-occurring column pair).

The algorithm is a batched form of iterative stratification (Sechidis et al. 2011). The
original places one example at a time in Python; here each column is one vectorised step:

1. Columns are put in a canonical order (positive units, then a hash of their content), so the
   result depends on neither the order nor the names of the columns.
2. Take the column with the fewest units still unplaced (ties: canonical order). All of its
   unplaced units form a batch.
3. Split the batch among the splits by the column's remaining demand per split (largest
   remainder, within each split's room; ties go to the split the batch's other columns need
   most, then to the emptier split, then at random).
4. Sort the batch by its units' two rarest other columns, then at random, and deal it out along
   a proportional interleave of the splits' quotas: every run of units sharing a column is
   spread over the splits in proportion, so dealing one column also balances those it co-occurs
   with (and their pairs).
5. Subtract the batch from every column's demand with one count; repeat. Units with no positive
   indicator fill the room left.

Then, when a label ended a whole unit off its share (or units differ in size), a local search
polishes the split: the exact best swaps (and, for groups, moves) between every pair of splits,
among the few units whose move helps most, reducing the squared deviation of every split's
label composition and size. Groups are settled to within one unit's size of the targets. Last,
a label with at least k units that some split lacks gets a unit swapped in.
Hand-written because no library offers batched multi-label stratification (scikit-multilearn
and iterative-stratification place one example at a time in Python).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from core.errors import ConfigError, DataError

__all__ = ["stratify", "pair_indicators", "largest_remainder"]

_DENSE_CHUNK_ROWS = 1 << 15  # rows converted at a time from a dense Y, to bound memory
_POLISH_MAX_ROUNDS = 500
_POLISH_MIN_ROUNDS = 3
_POLISH_WORK = 200_000_000  # polish rounds stop at about this many sparse multiply-adds in all
_MIX = np.uint64(0x9E3779B97F4A7C15)  # splitmix64 constants for the column content hash


def stratify(Y, fractions, *, rng: np.random.Generator, sizes=None, order: int = 1) -> np.ndarray:
    """Assign each unit to a split so that every column of ``Y`` is balanced across splits.

    Parameters
    ----------
    Y : scipy sparse matrix or ndarray, shape (n_units, L)
        Nonnegative integer counts: 0/1 rows, or per group the sum of its rows' indicators.
        Kept sparse; a dense ``Y`` is read in chunks, never converted to a float matrix.
    fractions : sequence of float
        The k splits' shares, positive and summing to 1 (k equal shares make k folds).
    rng : numpy.random.Generator
        The only source of randomness (ties and the order within runs of similar units).
    sizes : array of int, shape (n_units,), optional
        Rows per unit (group sizes); all 1 when omitted.
    order : {1, 2}
        2 also balances every co-occurring pair of columns.

    Returns
    -------
    ndarray of int64, shape (n_units,)
        The split index 0..k-1 of every unit. Split sizes (sums of ``sizes``) are the
        largest-remainder targets of ``fractions`` exactly when every size is 1, and within one
        unit's size of them otherwise. A label (column) with at least k positive units is in
        every split whenever swaps can arrange it (all but tiny, densely labelled inputs).

    Examples
    --------
    >>> Y = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [1, 1], [0, 0]])
    >>> stratify(Y, [0.5, 0.5], rng=np.random.default_rng(0)).tolist().count(0)
    3
    """
    counts = _as_count_csr(Y)
    shares = _check_fractions(fractions)
    n_units, n_labels = counts.shape
    unit_sizes = _check_sizes(sizes, n_units)
    if order not in (1, 2):
        raise ConfigError(f"order={order!r} is not supported; use 1 (labels) or 2 (labels and label pairs).")
    if not isinstance(rng, np.random.Generator):
        raise ConfigError(
            f"rng={rng!r} is not a numpy Generator; pass np.random.default_rng(seed)."
        )
    if n_units == 0:
        return np.zeros(0, dtype=np.int64)
    if order == 2:
        counts = sp.hstack([counts, pair_indicators(counts)], format="csr")
    columns = _canonical_order(counts)
    counts = _permute_columns(counts, columns)
    is_label = columns < n_labels  # canonical columns that are labels, not pairs
    targets = largest_remainder(int(unit_sizes.sum()), shares)
    weighted = bool((unit_sizes != 1).any() or (counts.data != 1).any())
    shuffle = rng.permutation(n_units)  # a random rank per unit breaks every remaining tie

    assignment, demand = _deal(counts, shares, targets, unit_sizes, shuffle, rng, weighted)
    polished = _polish(counts, is_label, assignment, demand, unit_sizes, targets, weighted)
    if polished or _may_lack(counts, is_label, demand, shares, targets):
        band = int(unit_sizes.max()) if (unit_sizes > 1).any() else 0  # rows a split may stray from its target
        _cover_rare_columns(counts, is_label, assignment, unit_sizes, targets, shuffle, band)
    return assignment


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


def pair_indicators(Y) -> sp.csr_matrix:
    """One column per co-occurring pair of columns of ``Y``: the rows (units) holding both.

    A unit's pair count is the smaller of its two counts (exact for 0/1 rows, an upper bound
    on the rows holding both for a group). Columns follow the pairs (a, b), a < b, in order.

    Examples
    --------
    >>> pair_indicators(np.array([[1, 1, 1], [1, 0, 1]])).toarray().tolist()
    [[1, 1, 1], [0, 1, 0]]
    """
    matrix = _as_count_csr(Y)
    if not matrix.has_sorted_indices:
        matrix = matrix.sorted_indices()
    n, n_cols = matrix.shape
    per_row = np.diff(matrix.indptr)
    rows, codes, values = [], [], []
    for width in np.unique(per_row[per_row >= 2]):  # rows with the same number of labels at once
        members = np.flatnonzero(per_row == width)
        at = matrix.indptr[members][:, None] + np.arange(width)  # (m, width)
        first, second = np.triu_indices(width, 1)
        cols, vals = matrix.indices[at], matrix.data[at]
        rows.append(np.repeat(members, len(first)))
        codes.append((cols[:, first].astype(np.int64) * n_cols + cols[:, second]).ravel())
        values.append(np.minimum(vals[:, first], vals[:, second]).ravel())
    if not rows:
        return sp.csr_matrix((n, 0), dtype=matrix.dtype)
    present, column = np.unique(np.concatenate(codes), return_inverse=True)
    pairs = sp.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), column)), shape=(n, len(present))
    )
    pairs.sort_indices()
    return pairs


# ---------------------------------------------------------------------------------------------
# input checks


def _as_count_csr(Y) -> sp.csr_matrix:
    """Y as a CSR matrix of nonnegative integer counts without explicit zeros; Y itself is never changed.

    A dense Y is read a block of rows at a time, never copied whole or turned into floats.
    """
    if sp.issparse(Y):
        if Y.ndim != 2:
            raise DataError(f"Y has shape {Y.shape}; pass a 2-D (units x labels) matrix.")
        matrix = Y.tocsr()
        if not matrix.has_canonical_format or (matrix.data == 0).any():
            matrix = matrix.copy()
            matrix.sum_duplicates()
            matrix.eliminate_zeros()
    else:
        dense = np.asarray(Y)
        if dense.ndim != 2:
            raise DataError(f"Y has shape {dense.shape}; pass a 2-D (units x labels) matrix.")
        matrix = _dense_to_csr(dense)
    data = matrix.data
    if data.dtype == np.bool_:
        data = data.view(np.uint8)
    elif not np.issubdtype(data.dtype, np.integer):
        try:
            values = data.astype(np.float64)
        except (TypeError, ValueError):
            raise DataError(f"Y holds {data.dtype} values, not counts; pass 0/1 indicators or integer counts.") from None
        whole = np.isfinite(values) & (values == np.round(values))
        if not whole.all():
            raise DataError(f"Y holds {values[~whole][0]!r}, not a count; pass 0/1 indicators or integer counts.")
        data = values.astype(np.int64)
    if data.size and data.min() < 0:
        raise DataError(f"Y holds the negative value {data.min()}; pass 0/1 indicators or nonnegative counts.")
    return sp.csr_matrix((data, matrix.indices, matrix.indptr), shape=matrix.shape)


def _dense_to_csr(dense: np.ndarray) -> sp.csr_matrix:
    """CSR from a dense matrix, a block of rows at a time (peak memory: one block), rows sorted."""
    n, n_cols = dense.shape
    indptr = np.zeros(n + 1, dtype=np.int64)
    indices, data = [], []
    for start in range(0, n, _DENSE_CHUNK_ROWS):
        block = np.ascontiguousarray(dense[start : start + _DENSE_CHUNK_ROWS]).reshape(-1)
        flat = _flat_nonzero(block)
        row, col = np.divmod(flat, n_cols)
        height = min(_DENSE_CHUNK_ROWS, n - start)
        indptr[start + 1 : start + 1 + height] = np.bincount(row, minlength=height)
        indices.append(col.astype(np.int32))
        data.append(block[flat])
    np.cumsum(indptr, out=indptr)
    if not data:
        return sp.csr_matrix((n, n_cols), dtype=dense.dtype)
    return sp.csr_matrix((np.concatenate(data), np.concatenate(indices), indptr), shape=(n, n_cols))


def _flat_nonzero(block: np.ndarray) -> np.ndarray:
    """np.flatnonzero, faster for sparse one-byte data: find nonzero 8-byte words first."""
    if block.itemsize != 1 or block.size < 8:
        return np.flatnonzero(block)
    whole = block.size // 8 * 8
    words = block[:whole].view(np.uint64)
    hit = np.flatnonzero(words)
    inside = np.flatnonzero(words[hit].view(np.uint8))  # byte positions within the hit words
    flat = hit[inside // 8] * 8 + inside % 8
    if whole < block.size:
        flat = np.concatenate([flat, whole + np.flatnonzero(block[whole:])])
    return flat


def _check_fractions(fractions) -> np.ndarray:
    shares = np.asarray(fractions, dtype=np.float64).ravel()
    if shares.size == 0 or not np.all(np.isfinite(shares)) or (shares <= 0).any():
        raise ConfigError(f"fractions={list(fractions)!r} must be positive numbers; give each split a share above 0.")
    if abs(shares.sum() - 1) > 1e-6:
        raise ConfigError(f"fractions={list(fractions)!r} sum to {shares.sum():g}, not 1; rescale them.")
    return shares / shares.sum()


def _check_sizes(sizes, n_units: int) -> np.ndarray:
    if sizes is None:
        return np.ones(n_units, dtype=np.int64)
    values = np.asarray(sizes)
    if values.shape != (n_units,):
        raise DataError(f"sizes has shape {values.shape}; pass one row count per unit, shape ({n_units},).")
    if values.size and (not np.all(values == np.round(values)) or values.min() < 1):
        raise DataError(f"sizes holds {values.min()!r}; every unit needs a whole number of rows, at least 1.")
    return values.astype(np.int64)


# ---------------------------------------------------------------------------------------------
# canonical column order


def _canonical_order(counts: sp.csr_matrix) -> np.ndarray:
    """Column order by (positive units, content hash): the same for any order of the columns."""
    by_column = counts.tocsc()
    units = np.diff(by_column.indptr)
    mixed = by_column.indices.astype(np.uint64) * _MIX + by_column.data.astype(np.uint64)
    mixed ^= mixed >> np.uint64(31)
    mixed *= np.uint64(0xBF58476D1CE4E5B9)
    mixed ^= mixed >> np.uint64(29)
    content = np.zeros(len(units), dtype=np.uint64)
    nonempty = units > 0
    content[nonempty] = np.add.reduceat(mixed, by_column.indptr[:-1][nonempty])
    return np.lexsort((content, units))


def _permute_columns(counts: sp.csr_matrix, columns: np.ndarray) -> sp.csr_matrix:
    """Columns reordered so that column i is ``columns[i]``, indices sorted per row."""
    position = np.empty(len(columns), dtype=counts.indices.dtype)
    position[columns] = np.arange(len(columns), dtype=counts.indices.dtype)
    permuted = sp.csr_matrix((counts.data.copy(), position[counts.indices], counts.indptr), shape=counts.shape)
    permuted.sort_indices()
    return permuted


# ---------------------------------------------------------------------------------------------
# batched dealing


def _deal(counts, shares, targets, sizes, shuffle, rng, weighted) -> tuple[np.ndarray, np.ndarray]:
    """Place every unit, a batch at a time: all unplaced units of the column with fewest of them.

    A batch is sorted by its units' next rarest columns and dealt along an interleave of the
    splits' quotas, which come from the demand the earlier batches left. Returns the
    assignment and the demand left: per column and split, its share minus what it got.
    """
    n_units, n_cols = counts.shape
    k = len(shares)
    by_column = counts.tocsc()
    indptr, indices = counts.indptr, counts.indices
    data = counts.data.astype(np.float64) if weighted else None  # else every count is 1
    totals = np.bincount(indices, weights=data, minlength=n_cols)
    demand = totals[:, None] * shares[None, :]  # (L, k) positives each split still wants
    per_total = 1.0 / np.maximum(totals, 1.0)
    unplaced = np.diff(by_column.indptr).astype(np.int64)  # units per column not placed yet
    done = np.iinfo(np.int64).max
    key = np.where(unplaced > 0, unplaced * n_cols + np.arange(n_cols), done)  # fewest first, then canonical
    ties = rng.random((n_cols, k))  # the last tie-break between splits, per column
    room = targets.astype(np.float64)  # rows each split can still take
    assignment = np.full(n_units, -1, dtype=np.int64)
    placed_yet = np.zeros(n_units, dtype=bool)
    row_lengths = np.diff(indptr)
    while n_cols and key.min() < done:
        column = int(np.argmin(key))
        units = by_column.indices[by_column.indptr[column] : by_column.indptr[column + 1]]
        units = units[~placed_yet[units]]
        placed_yet[units] = True
        starts, per_row = indptr[units], row_lengths[units]
        row_starts = np.cumsum(per_row) - per_row
        at = np.repeat(starts - row_starts, per_row) + np.arange(per_row.sum())
        batch_indices = indices[at]
        held = np.bincount(batch_indices, minlength=n_cols)  # the batch's units per column
        batch_data = data[at] if weighted else None
        carried = np.bincount(batch_indices, weights=batch_data, minlength=n_cols) if weighted else held
        need = (carried * per_total) @ demand  # how much the batch's columns want each split
        priority = np.lexsort((ties[column], -room, -need))
        quota = _batch_quota(int(carried[column]), demand[column], room, priority, weighted)
        sequence = _interleave(quota, priority)
        weight = batch_data[batch_indices == column].astype(np.int64) if weighted else None
        order = _batch_order(batch_indices, row_starts, per_row, column, n_cols, shuffle[units], weight, sizes[units])
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
    left = np.flatnonzero(assignment < 0)
    _fill_unlabelled(left[np.argsort(shuffle[left])], assignment, room, sizes, rng, weighted)
    return assignment, demand


def _batch_quota(total, demand, room, priority, weighted) -> np.ndarray:
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


def _interleave(quota: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """A sequence holding split j quota[j] times, each split spread evenly along it.

    Split j's i-th place sits at (i + 1/2) / quota[j]; places at the same point follow
    ``priority``. Any stretch of the sequence thus holds each split in proportion.
    """
    ordered = quota[priority]
    split = np.repeat(priority, ordered)
    starts = np.repeat(np.cumsum(ordered) - ordered, ordered)
    place = (np.arange(len(split)) - starts + 0.5) / np.repeat(ordered, ordered)
    return split[np.argsort(place, kind="stable")]


def _batch_order(indices, row_starts, per_row, column, n_cols, shuffle, weight, sizes) -> np.ndarray:
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


def _fill_unlabelled(left, assignment, room, sizes, rng, weighted) -> None:
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
    sequence = _interleave(quota, priority)
    assignment[left] = sequence[np.minimum(np.cumsum(weight) - (weight + 1) // 2, len(sequence) - 1)]


# ---------------------------------------------------------------------------------------------
# polishing


def _polish(counts, is_label, assignment, demand, sizes, targets, weighted) -> bool:
    """Improve ``assignment`` in place by swaps (and moves, for groups); whether it ran.

    Single rows are polished only when the deal left a label a whole unit off its share, and
    only on the labels (not pairs), until every label is within one unit. Groups are always
    polished on every column and size, then settled to within one unit's size of the targets.
    """
    if not weighted and np.abs(demand[is_label]).max(initial=0.0) < 1:
        return False
    scored = counts if weighted else counts[:, np.flatnonzero(is_label)]
    balance = _Balance(scored, sizes, assignment, targets, moves=weighted)
    work = len(targets) * (counts.nnz + counts.shape[0])
    balance.polish(max(_POLISH_MIN_ROUNDS, min(_POLISH_MAX_ROUNDS, _POLISH_WORK // work)), until_within_one=not weighted)
    if weighted:
        balance.settle_sizes()
    return True


class _Balance:
    """Per-split deviations of label composition and size, and the moves and swaps that shrink them.

    Unit u stands for the vector e_u = (y_u - rate * s_u, s_u): its label counts beyond what its
    rows would carry at the overall label rates, then its rows. Column j of ``deviation`` is
    the sum of e_u over split j minus (0, target_j): label composition off the overall rates,
    then rows off the target. Moving a summed vector d from split a to b changes the objective
    |deviation|^2 by 2 d . (D_b - D_a) + 2 |d|^2; a swap of u (in a) and v (in b) moves e_u - e_v.
    """

    def __init__(self, counts, sizes, assignment, targets, moves: bool) -> None:
        self.counts = counts.astype(np.float64)
        self.sizes = sizes.astype(np.float64)
        self.assignment = assignment
        self.moves = moves  # units of one row only swap, so that split sizes stay exact
        k = len(targets)
        self.rate = self.counts.sum(axis=0).A1 / self.sizes.sum()
        self.by_rate = self.counts @ self.rate  # y_u . rate
        split_rows = np.bincount(assignment, weights=self.sizes, minlength=k)
        onehot = sp.csr_matrix(
            (np.ones(len(assignment)), (np.arange(len(assignment)), assignment)), shape=(len(assignment), k)
        )
        label = (self.counts.T @ onehot).toarray() - self.rate[:, None] * split_rows[None, :]
        self.deviation = np.vstack([label, split_rows - targets])  # (L + 1, k)
        self.norm = self.counts.multiply(self.counts).sum(axis=1).A1  # |y_u|^2

    def rows(self, units: np.ndarray) -> np.ndarray:
        """The label counts of a few ``units`` as a dense (len(units), L) array."""
        indptr = self.counts.indptr
        starts, lengths = indptr[units], indptr[units + 1] - indptr[units]
        at = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        rows = np.zeros((len(units), len(self.rate)))
        rows[np.repeat(np.arange(len(units)), lengths), self.counts.indices[at]] = self.counts.data[at]
        return rows

    def pulls(self, rows, sizes, splits) -> np.ndarray:
        """(units, len(splits)): e_u . D_j for the units with label ``rows`` and ``sizes``."""
        label = self.deviation[:-1, splits]
        return rows @ label + sizes[:, None] * (self.deviation[-1, splits] - self.rate @ label)[None, :]

    def gram(self, rows, sizes, by_rate) -> np.ndarray:
        """e_u . e_v for every pair of the units with label ``rows``, ``sizes`` and y . rate."""
        cross = np.outer(by_rate, sizes)
        return rows @ rows.T - cross - cross.T + np.outer(sizes, sizes) * (self.rate @ self.rate + 1)

    def move_costs(self) -> np.ndarray:
        """(n_units, k): change of the objective if each unit alone moved to each split (inf: stays)."""
        pull = self.pulls(self.counts, self.sizes, slice(None))
        rows = np.arange(len(self.assignment))
        own = self.norm - 2 * self.sizes * self.by_rate + self.sizes**2 * (self.rate @ self.rate + 1)
        cost = 2 * (pull - pull[rows, self.assignment][:, None]) + 2 * own[:, None]
        cost[rows, self.assignment] = np.inf
        return cost

    def transfer(self, units, signs, a: int, b: int) -> None:
        """Move ``units`` with sign +1 from split a to b, and with sign -1 from b to a."""
        for unit, sign in zip(units, signs, strict=True):
            lo, hi = self.counts.indptr[unit], self.counts.indptr[unit + 1]
            for split, direction in ((a, -sign), (b, sign)):
                self.deviation[self.counts.indices[lo:hi], split] += direction * self.counts.data[lo:hi]
                self.deviation[:-1, split] -= direction * self.sizes[unit] * self.rate
                self.deviation[-1, split] += direction * self.sizes[unit]
            self.assignment[unit] = b if sign > 0 else a

    def polish(self, max_rounds: int, until_within_one: bool = False, shortlist: int = 8) -> None:
        """Rounds of improving swaps (and moves) between every pair of splits, until none helps.

        With ``until_within_one``, stop as soon as every column is within one unit of its
        share in every split.
        """
        k = self.deviation.shape[1]
        for _ in range(max_rounds):
            if until_within_one and np.abs(self.deviation[:-1]).max(initial=0) < 1:
                return
            cost = self.move_costs()
            improved = False
            for a in range(k):
                for b in range(a + 1, k):
                    # Swaps of one-row units change each label by at most one: none can help
                    # unless some label is more than one apart between the two splits.
                    gap = self.deviation[:-1, a] - self.deviation[:-1, b]
                    if self.moves or np.abs(gap).max(initial=0) > 1:
                        improved |= self._exchange(cost, a, b, shortlist)
            if not improved:
                return

    def _exchange(self, cost, a: int, b: int, shortlist: int) -> bool:
        """Greedy exact swaps (and moves) among the units likeliest to help between splits a and b.

        The candidates' pulls and Gram matrix are exact, and updated after each step, so every
        applied step lowers the objective.
        """
        from_a = _cheapest(np.flatnonzero(self.assignment == a), cost[:, b], shortlist)
        from_b = _cheapest(np.flatnonzero(self.assignment == b), cost[:, a], shortlist)
        units = np.concatenate([from_a, from_b])
        if not len(from_a) or (not len(from_b) and not self.moves):
            return False
        sign = np.r_[np.ones(len(from_a)), -np.ones(len(from_b))]  # +1: would go a -> b
        rows, sizes = self.rows(units), self.sizes[units]
        gram = self.gram(rows, sizes, self.by_rate[units])
        pull = self.pulls(rows, sizes, [a, b])
        free = np.ones(len(units), dtype=bool)
        na = len(from_a)
        changed = False
        while True:
            move = 2 * sign * (pull[:, 1] - pull[:, 0]) + 2 * np.diag(gram)
            move[~free] = np.inf
            swap = move[:na, None] + move[None, na:] - 4 * gram[:na, na:]
            chosen = np.unravel_index(np.argmin(swap), swap.shape) if swap.size else None
            best = swap[chosen] if chosen is not None else np.inf
            picked = [chosen[0], na + chosen[1]] if chosen is not None else []
            if self.moves and move.min() < best:
                best, picked = move.min(), [int(np.argmin(move))]
            if not best < -1e-9:
                return changed
            picked = np.array(picked)
            self.transfer(units[picked], sign[picked], a, b)
            shift = gram[:, picked] @ sign[picked]
            pull[:, 0] -= shift
            pull[:, 1] += shift
            free[picked] = False
            changed = True

    def settle_sizes(self) -> None:
        """Move units from the fullest to the emptiest split until no move narrows the gap.

        Ends with every split within the largest unit size of its target: when the fullest
        split a has no unit smaller than the gap x_a - x_b, that gap is at most one unit.
        """
        while True:
            excess = self.deviation[-1]
            fullest, emptiest = int(np.argmax(excess)), int(np.argmin(excess))
            gap = excess[fullest] - excess[emptiest]
            members = np.flatnonzero((self.assignment == fullest) & (self.sizes < gap))
            if gap <= 0 or not len(members):
                return
            fit = np.abs(self.sizes[members] - gap / 2)
            close = members[fit == fit.min()]
            harm = self.move_costs()[close, emptiest] if len(close) > 1 else np.zeros(1)
            self.transfer([int(close[np.argmin(harm)])], [1.0], fullest, emptiest)


def _cheapest(units: np.ndarray, cost: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` units with the lowest cost, cheapest first."""
    if len(units) > count:
        units = units[np.argpartition(cost[units], count)[:count]]
    return units[np.argsort(cost[units], kind="stable")]


# ---------------------------------------------------------------------------------------------
# every split gets every column that has at least k units


def _may_lack(counts, is_label, demand, shares, targets) -> bool:
    """After a deal of 0/1 rows: whether some label with at least k units is absent from a split."""
    totals = np.bincount(counts.indices, minlength=counts.shape[1])
    held = np.rint(totals[:, None] * shares[None, :] - demand)  # (L, k): the share minus the demand left
    required = is_label & (held.sum(axis=1) >= len(shares))
    return bool((held[required][:, targets > 0] == 0).any())


def _cover_rare_columns(counts, is_label, assignment, sizes, targets, shuffle, band) -> None:
    """Swap a unit in wherever a label with at least k units is missing from a split.

    A swap keeps every split within ``band`` rows of its target (0: equal sizes only). When no
    swap fills the gap without opening another, one that opens a single other gap is taken and
    that gap queued, up to a fixed number of steps.
    """
    k = len(targets)
    entry_split = np.repeat(assignment, np.diff(counts.indptr))
    held = np.bincount(counts.indices * k + entry_split, minlength=counts.shape[1] * k).reshape(-1, k)
    required = is_label & (held.sum(axis=1) >= k)  # held: (L, k) units with each column per split
    missing = [tuple(pair) for pair in np.argwhere(required[:, None] & (held == 0) & (targets > 0)[None, :])]
    if not missing:
        return
    present = sp.csr_matrix((np.ones(counts.nnz, dtype=np.int64), counts.indices, counts.indptr), shape=counts.shape)
    by_column = present.tocsc()
    excess = np.bincount(assignment, weights=sizes, minlength=k) - targets
    steps = 10 * len(missing) + 10
    while missing and steps:
        column, split = missing.pop(0)
        steps -= 1
        if held[column, split] == 0:
            args = (present, by_column, held, required, assignment, sizes, shuffle, excess, band)
            missing += _swap_in(*args, int(column), int(split))


def _swap_in(present, by_column, held, required, assignment, sizes, shuffle, excess, band, column, split) -> list:
    """Move a unit holding ``column`` into ``split``, in exchange for one of its units (or none).

    The giver comes from a split with two or more of the column; sizes stay within ``band`` of
    the targets. Preferred: the exchange that leaves no split without a required column it had,
    then the closest in size, then the taker with the fewest labels. An exchange that leaves one
    such gap is taken only if none leaves none. Returns the gaps it opened.
    """
    holders = by_column.indices[by_column.indptr[column] : by_column.indptr[column + 1]]
    holders = holders[held[column, assignment[holders]] >= 2]
    per_row = np.append(np.diff(present.indptr), 0)  # the last entry stands for "no taker"
    holders = holders[np.lexsort((shuffle[holders], per_row[holders], -held[column, assignment[holders]]))]
    takers = np.append(np.flatnonzero(assignment == split), -1)
    starts, lengths = np.append(present.indptr[:-1], 0)[takers], per_row[takers]
    at = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    taker_columns = present.indices[at]  # the takers' columns, row after row
    owner = np.repeat(np.arange(len(takers)), lengths)
    sole = required[taker_columns] & (held[taker_columns, split] == 1)  # the taker is its split's only one
    shuffled = np.append(shuffle, -1)[takers]
    best = None  # (gaps opened, giver, taker position)
    for giver in holders:
        source = int(assignment[giver])
        flow = sizes[giver] - np.append(sizes, 0)[takers]  # rows going from source to split
        fits = (np.abs(excess[source] - flow) <= band) & (np.abs(excess[split] + flow) <= band)
        giver_columns = present.indices[present.indptr[giver] : present.indptr[giver + 1]]
        giver_sole = giver_columns[required[giver_columns] & (held[giver_columns, source] == 1)]
        opened = np.bincount(owner[sole & ~np.isin(taker_columns, giver_columns)], minlength=len(takers))
        opened += len(giver_sole) - np.bincount(owner[np.isin(taker_columns, giver_sole)], minlength=len(takers))
        options = np.flatnonzero(fits & (opened <= 1))
        if not len(options):
            continue
        choice = options[np.lexsort((shuffled[options], lengths[options], np.abs(flow[options]), opened[options]))[0]]
        if best is None or opened[choice] < best[0]:
            best = (opened[choice], giver, choice)
        if best[0] == 0:
            break
    if best is None:
        return []
    _, giver, choice = best
    source, taker = int(assignment[giver]), int(takers[choice])
    for unit, old, new in ((giver, source, split), (taker, split, source)):
        if unit >= 0:
            cols = present.indices[present.indptr[unit] : present.indptr[unit + 1]]
            held[cols, old] -= 1
            held[cols, new] += 1
            assignment[unit] = new
            excess[old] -= sizes[unit]
            excess[new] += sizes[unit]
    gaps = np.argwhere(required[:, None] & (held == 0))
    return [(int(c), int(j)) for c, j in gaps if j in (source, split)]
