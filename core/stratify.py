"""The fast multi-task stratification engine: one split index per unit, every label balanced at once.

A unit is a row, or a group of rows carrying the sum of its rows' indicators. :func:`stratify`
deals units to k splits so that each split gets its share of the rows and of every column of
the indicator matrix (and, with ``order=2``, of every co-occurring column pair).

The algorithm is a batched form of iterative stratification (Sechidis et al. 2011). The
original places one example at a time in Python; here each column is one vectorised step:

1. Columns are put in a canonical order (positive count, then a hash of their content), so the
   result does not depend on the order or names of the columns.
2. Take the column with the fewest units still unplaced. All of its unplaced units form a batch.
3. Split the batch's weight among the splits by the column's remaining demand per split
   (largest-remainder rounding; ties go to the split the batch's other columns need most).
4. Sort the batch by its units' other columns (rarest first), then random, and deal it out along
   a proportional interleave of the splits: each run of units that share a column is spread
   over the splits in proportion, so dealing one column also balances the ones it co-occurs with.
5. Subtract the batch from every column's demand with one sparse count; repeat until every
   unit with a positive indicator is placed; unlabelled units fill the remaining room.

Units of unequal size (groups) are then polished by a vectorised local search that moves the
units whose move most reduces the squared deviation of every split's label composition and
size, and the sizes are settled to within one unit's size. Last, a column with at least k
units that some split lacks gets a unit swapped in from the split that has the most.
Hand-written because no library offers batched multi-label stratification (scikit-multilearn
and iterative-stratification do it one example at a time in Python).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from core.errors import ConfigError, DataError

__all__ = ["stratify", "pair_indicators", "largest_remainder"]

_DENSE_CHUNK_ROWS = 1 << 15  # rows converted at a time from a dense Y, to bound memory
_POLISH_MAX_ROUNDS = 500
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
        unit's size of them otherwise. A column with at least k positive units is in every split.

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
    noise = rng.random(n_units)

    assignment = _deal(counts, shares, targets, unit_sizes, noise, rng, weighted)
    if weighted:
        balance = _Balance(counts, unit_sizes, assignment, targets)
        balance.polish(_POLISH_MAX_ROUNDS)
        balance.settle_sizes()
        assignment = balance.assignment
    _cover_rare_columns(counts, is_label, assignment, unit_sizes, targets, noise)
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
    """Y as a CSR matrix of nonnegative integer counts, without explicit zeros or a dense copy."""
    if sp.issparse(Y):
        if Y.ndim != 2:
            raise DataError(f"Y has shape {Y.shape}; pass a 2-D (units x labels) matrix.")
        matrix = sp.csr_matrix(Y, copy=True)
    else:
        dense = np.asarray(Y)
        if dense.ndim != 2:
            raise DataError(f"Y has shape {dense.shape}; pass a 2-D (units x labels) matrix.")
        matrix = _dense_to_csr(dense)
    matrix.eliminate_zeros()
    data = matrix.data
    if data.dtype == np.bool_:
        matrix.data = data.astype(np.uint8)
    elif not np.issubdtype(data.dtype, np.integer):
        try:
            values = data.astype(np.float64)
        except (TypeError, ValueError):
            raise DataError(f"Y holds {data.dtype} values, not counts; pass 0/1 indicators or integer counts.") from None
        whole = np.isfinite(values) & (values == np.round(values))
        if not whole.all():
            raise DataError(f"Y holds {values[~whole][0]!r}, not a count; pass 0/1 indicators or integer counts.")
        matrix.data = values.astype(np.int64)
    if matrix.data.size and matrix.data.min() < 0:
        raise DataError(
            f"Y holds the negative value {matrix.data.min()}; pass 0/1 indicators or nonnegative counts."
        )
    matrix.sort_indices()
    return matrix


def _dense_to_csr(dense: np.ndarray) -> sp.csr_matrix:
    """CSR from a dense matrix, a block of rows at a time (peak memory: one block)."""
    n, n_cols = dense.shape
    indptr = np.zeros(n + 1, dtype=np.int64)
    indices, data = [], []
    for start in range(0, n, _DENSE_CHUNK_ROWS):
        block = np.ascontiguousarray(dense[start : start + _DENSE_CHUNK_ROWS]).reshape(-1)
        flat = np.flatnonzero(block)
        row, col = np.divmod(flat, n_cols)
        height = min(_DENSE_CHUNK_ROWS, n - start)
        indptr[start + 1 : start + 1 + height] = np.bincount(row, minlength=height)
        indices.append(col.astype(np.int32))
        data.append(block[flat])
    np.cumsum(indptr, out=indptr)
    if not data:
        return sp.csr_matrix((n, n_cols), dtype=dense.dtype)
    return sp.csr_matrix((np.concatenate(data), np.concatenate(indices), indptr), shape=(n, n_cols))


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
    permuted = sp.csr_matrix((counts.data, position[counts.indices], counts.indptr), shape=counts.shape)
    permuted.sort_indices()
    return permuted


# ---------------------------------------------------------------------------------------------
# batched dealing


def _deal(counts, shares, targets, sizes, noise, rng, weighted) -> np.ndarray:
    """Place every unit: rarest column first, each column's unplaced units in one batch."""
    n_units, n_cols = counts.shape
    k = len(shares)
    by_column = counts.tocsc()
    totals = by_column.sum(axis=0).A1.astype(np.float64)
    demand = totals[:, None] * shares[None, :]  # (L, k) positives each split still wants
    need_scale = 1.0 / np.maximum(totals, 1.0)
    unplaced = np.diff(by_column.indptr).astype(np.int64)  # units per column not yet placed
    room = targets.astype(np.float64)  # rows each split can still take
    assignment = np.full(n_units, -1, dtype=np.int64)
    never = np.iinfo(np.int64).max
    rank = np.arange(n_cols, dtype=np.int64)
    while n_cols:
        key = np.where(unplaced > 0, unplaced * n_cols + rank, never)
        column = int(np.argmin(key))
        if key[column] == never:
            break
        lo, hi = by_column.indptr[column], by_column.indptr[column + 1]
        units, weight = by_column.indices[lo:hi], by_column.data[lo:hi]
        free = assignment[units] < 0
        units, weight = units[free], weight[free].astype(np.int64)
        batch = counts[units]
        carried = np.bincount(batch.indices, weights=batch.data, minlength=n_cols)
        preference = carried @ (demand * need_scale[:, None])  # how much the batch's columns want each split
        priority = np.lexsort((rng.permutation(k), -room, -preference))
        quota = _batch_quota(int(weight.sum()), demand[column], room, priority, weighted)
        sequence = _interleave(quota, priority)
        order = _batch_order(batch, column, weight, sizes[units], noise[units], weighted)
        folds = np.empty(len(units), dtype=np.int64)
        if weighted:  # a unit takes the split at the middle of its stretch of the sequence
            ends = np.cumsum(weight[order])
            folds[order] = sequence[np.minimum(ends - (weight[order] + 1) // 2, len(sequence) - 1)]
        else:
            folds[order] = sequence
        assignment[units] = folds
        per_row = np.diff(batch.indptr)
        demand -= np.bincount(
            batch.indices * k + np.repeat(folds, per_row), weights=batch.data, minlength=n_cols * k
        ).reshape(n_cols, k)
        unplaced -= np.bincount(batch.indices, minlength=n_cols)
        room -= np.bincount(folds, weights=sizes[units], minlength=k)
    _fill_unlabelled(assignment, room, sizes, noise, rng, weighted)
    return assignment


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


def _batch_order(batch, column, weight, sizes, noise, weighted) -> np.ndarray:
    """Units sorted by their two rarest other columns (then size, then random)."""
    n_cols = batch.shape[1]
    per_row = np.diff(batch.indptr)
    head = np.full((batch.shape[0], 3), n_cols, dtype=np.int64)
    for slot in range(3):  # the first three columns of each row are its rarest (canonical order)
        has = per_row > slot
        head[has, slot] = batch.indices[batch.indptr[:-1][has] + slot]
    head[head == column] = n_cols
    head.sort(axis=1)
    if weighted:
        return np.lexsort((noise, -sizes, -weight, head[:, 1], head[:, 0]))
    return np.lexsort((noise, head[:, 1], head[:, 0]))


def _fill_unlabelled(assignment, room, sizes, noise, rng, weighted) -> None:
    """Units with no positive indicator fill the room the labelled ones left."""
    left = np.flatnonzero(assignment < 0)
    if not len(left):
        return
    k = len(room)
    if not weighted:
        quota = np.maximum(room, 0).astype(np.int64)
        assignment[left[np.argsort(noise[left])]] = np.repeat(np.arange(k), quota)
        return
    weight = sizes[left]
    priority = np.lexsort((rng.permutation(k), -room))
    tiebreak = np.argsort(priority)
    quota = largest_remainder(int(weight.sum()), np.maximum(room, 0) + 1e-9, tiebreak)
    sequence = _interleave(quota, priority)
    order = np.lexsort((noise[left], -weight))
    ends = np.cumsum(weight[order])
    assignment[left[order]] = sequence[np.minimum(ends - (weight[order] + 1) // 2, len(sequence) - 1)]


# ---------------------------------------------------------------------------------------------
# polishing units of unequal size


class _Balance:
    """Per-split deviations of label composition and size, and single-unit moves that shrink them.

    For split j, ``residual[:, j]`` is its label counts minus (overall label rate x its rows),
    and ``excess[j]`` its rows minus its target. A move of unit u from split a to b changes the
    objective sum(residual**2) + sum(excess**2) by
    2 e_u . (R_b - R_a) + 2 |e_u|^2 + 2 s_u (x_b - x_a) + 2 s_u^2, with e_u = y_u - rate s_u.
    """

    def __init__(self, counts, sizes, assignment, targets) -> None:
        self.counts = counts.astype(np.float64)
        self.sizes = sizes.astype(np.float64)
        self.assignment = assignment
        self.targets = targets.astype(np.float64)
        k = len(targets)
        self.rate = self.counts.sum(axis=0).A1 / self.sizes.sum()
        split_rows = np.bincount(assignment, weights=self.sizes, minlength=k)
        onehot = sp.csr_matrix(
            (np.ones(len(assignment)), (np.arange(len(assignment)), assignment)), shape=(len(assignment), k)
        )
        self.residual = (self.counts.T @ onehot).toarray() - self.rate[:, None] * split_rows[None, :]
        self.excess = split_rows - self.targets
        own = self.counts.multiply(self.counts).sum(axis=1).A1
        self.self_cost = (
            own - 2 * self.sizes * (self.counts @ self.rate) + self.sizes**2 * (self.rate @ self.rate) + self.sizes**2
        )

    def gains(self) -> np.ndarray:
        """(n_units, k) change of the objective if each unit moved to each split (inf: stays)."""
        pull = self.counts @ self.residual - self.sizes[:, None] * (self.rate @ self.residual)[None, :]
        pull += self.sizes[:, None] * self.excess[None, :]
        rows = np.arange(len(self.assignment))
        delta = 2 * (pull - pull[rows, self.assignment][:, None]) + 2 * self.self_cost[:, None]
        delta[rows, self.assignment] = np.inf
        return delta

    def move(self, unit: int, to: int) -> None:
        source = int(self.assignment[unit])
        lo, hi = self.counts.indptr[unit], self.counts.indptr[unit + 1]
        change = -self.rate * self.sizes[unit]
        change[self.counts.indices[lo:hi]] += self.counts.data[lo:hi]
        self.residual[:, source] -= change
        self.residual[:, to] += change
        self.excess[source] -= self.sizes[unit]
        self.excess[to] += self.sizes[unit]
        self.assignment[unit] = to

    def polish(self, max_rounds: int) -> None:
        """Apply the best improving moves, several per round when they touch different splits."""
        k = len(self.targets)
        for _ in range(max_rounds):
            delta = self.gains()
            shortlist = min(4 * k, delta.size - 1)
            best = np.argpartition(delta, shortlist, axis=None)[: shortlist + 1]
            best = best[np.argsort(delta.ravel()[best], kind="stable")]
            touched: set[int] = set()
            moved = 0
            for flat in best:
                unit, to = divmod(int(flat), k)
                if delta[unit, to] >= -1e-9:
                    break
                source = int(self.assignment[unit])
                if source in touched or to in touched:
                    continue
                touched.update((source, to))
                self.move(unit, to)
                moved += 1
            if not moved:
                return

    def settle_sizes(self) -> None:
        """Move units from the fullest to the emptiest split until no move narrows the gap.

        Ends with every split within the largest unit size of its target: when the fullest
        split a has no unit smaller than the gap x_a - x_b, that gap is at most one unit.
        """
        while True:
            fullest, emptiest = int(np.argmax(self.excess)), int(np.argmin(self.excess))
            gap = self.excess[fullest] - self.excess[emptiest]
            members = np.flatnonzero((self.assignment == fullest) & (self.sizes < gap))
            if gap <= 0 or not len(members):
                return
            fit = np.abs(self.sizes[members] - gap / 2)
            close = members[fit == fit.min()]
            harm = self.gains()[close, emptiest] if len(close) > 1 else np.zeros(1)
            self.move(int(close[np.argmin(harm)]), emptiest)


# ---------------------------------------------------------------------------------------------
# every split gets every column that has at least k units


def _cover_rare_columns(counts, is_label, assignment, sizes, targets, noise) -> None:
    """Swap units of equal size so a label with at least k units appears in every split."""
    k = len(targets)
    n_units = counts.shape[0]
    present = counts.copy()
    present.data = np.ones_like(present.data, dtype=np.int64)
    onehot = sp.csr_matrix((np.ones(n_units, dtype=np.int64), (np.arange(n_units), assignment)), shape=(n_units, k))
    held = (present.T @ onehot).toarray()  # (L, k) units with each column per split
    required = is_label & (held.sum(axis=1) >= k)
    missing = np.argwhere(required[:, None] & (held == 0) & (targets > 0)[None, :])
    if not len(missing):
        return
    by_column = present.tocsc()
    for column, split in missing:
        if held[column, split] > 0:
            continue
        _swap_in(present, by_column, held, required, assignment, sizes, noise, int(column), int(split))


def _swap_in(present, by_column, held, required, assignment, sizes, noise, column, split) -> bool:
    """Swap one unit holding ``column`` into ``split`` for a unit of the same size; False if none fits."""
    holders = by_column.indices[by_column.indptr[column] : by_column.indptr[column + 1]]
    holders = holders[held[column, assignment[holders]] >= 2]
    holders = holders[_can_leave(present, holders, assignment[holders], held, required)]
    if not len(holders):
        return False
    candidates = np.flatnonzero(assignment == split)
    candidates = candidates[_can_leave(present, candidates, np.full(len(candidates), split), held, required)]
    per_row = np.diff(present.indptr)
    for giver in holders[np.lexsort((noise[holders], per_row[holders], -held[column, assignment[holders]]))]:
        same = candidates[sizes[candidates] == sizes[giver]]
        if not len(same):
            continue
        taker = same[np.lexsort((noise[same], per_row[same]))[0]]
        source = int(assignment[giver])
        for unit, old, new in ((giver, source, split), (taker, split, source)):
            cols = present.indices[present.indptr[unit] : present.indptr[unit + 1]]
            held[cols, old] -= 1
            held[cols, new] += 1
            assignment[unit] = new
        return True
    return False


def _can_leave(present, units, splits, held, required) -> np.ndarray:
    """Whether each unit can leave its split without taking a required column's last unit away."""
    if not len(units):
        return np.zeros(0, dtype=bool)
    rows = present[units]
    per_row = np.diff(rows.indptr)
    at_risk = required[rows.indices] & (held[rows.indices, np.repeat(splits, per_row)] < 2)
    blocked = np.zeros(len(units), dtype=bool)
    has = per_row > 0
    blocked[has] = np.logical_or.reduceat(at_risk, rows.indptr[:-1][has])
    return ~blocked
