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

On small inputs of single 0/1 rows (at most 62 labels; see :func:`core.splits.stratify._sorted.small_binary`),
a faster first try comes before all this: the *sorted deal* (:mod:`core.splits.stratify._sorted`) sorts
the rows by their label set, deals them along one interleave and mends each label left a row
off its share by swapping a row for its twin (the same labels but that one) or a cousin (that
label traded for another that can spare it). When it mends every label, that is the split (on
yeast: every label within one row, better label-pair balance, in a twentieth of the time); a
few rows left off go to the polish below; with more (one-hot classes far off), the batched deal
runs instead.

With ``order=2`` on small 0/1 inputs of single rows, the sorted deal's split (labels within one
row) is polished on labels and pairs together (:func:`_polish_pairs_of`). Otherwise the columns
are the labels and their co-occurring pairs. Up to 2,048 columns in
all, every pair is dealt as above. With more (delicious: 983 labels, 173,508 pairs), only pairs held
by two units or more are kept (a pair on one unit is balanced wherever that unit goes), and the deal
takes the columns in canonical order, each step reading and updating only its batch's entries, so
its cost follows the entries it places, not the columns times the batches: delicious at order 2 went
from 181 s to under 2 s of CPU. Units (single rows and groups) are dealt a *wave* of batches at a time
(:mod:`core.splits.stratify._waves`: consecutive batches none of which holds a later one's column), in
a few array operations per wave (the 1,000,000 x 10,000 power-law set: 584,888 batches in about 1,400
waves; delicious in groups of two rows: 1.0 s of CPU one batch at a time, 0.44 s in waves, the same
balance). Single rows then get a pair polish: the swaps below, scored on labels and pairs alike. Past 4M
pair entries, single rows' labels and pairs are never written as one matrix: each read makes the rows it needs
from the rows' labels and the table of kept pairs (:mod:`core.splits.stratify._pair_rows`; at 1M x 10,000 the
peak RSS rise went from 142 to 73 MiB, 5.3x to 2.7x the CSR input, for about 4 s more CPU). The rows read are
the matrix's, entry for entry: the split is the same, except where the pair polish keeps counts in place of
float deviations (more than 4,096 columns and 2**20 rows x splits as well: from 209,716 rows at 5 splits), whose
rounding can break a tie another way.

Then, when a label ended a whole unit off its share (or units differ in size), a local search
polishes the split: the exact best swaps (and, for groups, moves) between every pair of splits,
among the few units whose move helps most, reducing the squared deviation of every split's
label composition and size. Groups are settled to within one unit's size of their share of the
rows. Last, a label with at least k units that some split lacks gets a unit swapped in, within
the same size bound (:mod:`core.splits.stratify._repair`).
Hand-written because no library offers batched multi-label stratification (scikit-multilearn
and iterative-stratification place one example at a time in Python).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from ...errors import ConfigError, DataError
from ._blocks import give_back_freed
from ._blocks import permuted_columns as _permute_columns
from ._deal import deal, largest_remainder
from ._pair_build import canonical_with_pairs
from ._pair_rows import PairRows
from ._pairs import column_keys, pair_columns
from ._repair import Repair, may_lack
from ._sorted import SORTED_POLISH_ROWS, small_binary, sorted_deal
from ._threads import blas_may_split, one_blas_thread
from ._waves import deal_in_waves

__all__ = ["stratify", "pair_indicators"]

_DENSE_CHUNK_ROWS = 1 << 15  # rows converted at a time from a dense Y, to bound memory
# Order 2 with more columns (labels and co-occurring pairs) than this deals only the pairs on two units
# or more, with the deal whose steps cost the entries they place (:mod:`._pairs`); up to it, every
# pair, with the deal that picks the column with fewest units left (its steps cost the columns).
# yeast (14 labels, 91 pairs), medical (45, 63) and the 100,000 x 50 bench set (1,071 pairs) stay
# below; delicious (983 labels, 173,508 pairs) is far above.
_FEW_COLUMNS = 2048
# With many pairs, the pair polish runs at least this many rounds, each exchange among this many units per split.
_MANY_PAIR_ROUNDS, _MANY_PAIR_SHORTLIST = 1, 128


def _may_split(Y, fractions, *, order: int = 1, **_) -> bool:
    """Whether BLAS may cut one of the solver's products on ``Y`` (:func:`core.splits.stratify._threads.blas_may_split`)."""
    shape = getattr(Y, "shape", None) or np.shape(Y)  # arrays and sparse matrices: no conversion
    labels = int(shape[1]) if len(shape) == 2 else 1
    columns = labels + labels * (labels - 1) // 2 if order == 2 else labels  # at most every pair co-occurs
    return blas_may_split(columns, len(np.atleast_1d(fractions)))


@one_blas_thread(needed=_may_split)
def stratify(
    Y, fractions, *, rng: np.random.Generator | None, sizes=None, order: int = 1, fair_ties: bool = False
) -> np.ndarray:
    """Assign each unit to a split so that every column of ``Y`` is balanced across splits.

    Parameters
    ----------
    Y : scipy sparse matrix or ndarray, shape (n_units, L)
        Nonnegative integer counts: 0/1 rows, or per group the sum of its rows' indicators.
        Kept sparse; a dense ``Y`` is read in chunks, never converted to a float matrix.
    fractions : sequence of float
        The k splits' shares, positive and summing to 1 (k equal shares make k folds).
    rng : numpy.random.Generator or None
        The only source of randomness (ties and the order within runs of similar units). None
        deals without any: every tie follows the data order (the first units of a run go to the
        first splits), so the same input always gives the same split.
    sizes : array of int, shape (n_units,), optional
        Rows per unit (group sizes); all 1 when omitted.
    order : {1, 2}
        2 also balances every co-occurring pair of columns.
    fair_ties : bool, default False
        Labels of equal counts, tying for a split's rounded-up row, get it at random (the sorted
        deal orders them by a salted hash), so that over seeds every row lands in each split at
        its share, as sklearn's ``StratifiedShuffleSplit`` breaks ties (the batched deal's column
        order is salted the same way). False keeps the splits of earlier versions.

    Returns
    -------
    ndarray of int64, shape (n_units,)
        The split index 0..k-1 of every unit. Split sizes (sums of ``sizes``) are the
        largest-remainder targets of ``fractions`` exactly when every size is 1, and otherwise
        within the largest unit's size of ``fractions * sizes.sum()`` (the unrounded shares).
        A label (column) with at least k positive units is in every split whenever swaps can
        arrange it, and on up to 48 single rows whenever any split of those sizes can (an exact
        search, bounded at 3,000 steps). Only a tiny, densely labelled input can have no such split.

    Examples
    --------
    >>> Y = np.array([[1, 0], [1, 0], [0, 1], [0, 1], [1, 1], [0, 0]])
    >>> stratify(Y, [0.5, 0.5], rng=np.random.default_rng(0)).tolist().count(0)
    3
    """
    single_rows = sizes is None or bool(np.all(np.asarray(sizes) == 1))
    binary = small_binary(Y) if single_rows else None  # input the sorted deal takes
    counts = None if binary is not None else _as_count_csr(Y)
    shares = _check_fractions(fractions)
    n_units, n_labels = (counts if binary is None else binary).shape
    unit_sizes = None if sizes is None else _check_sizes(sizes, n_units)
    if order not in (1, 2):
        raise ConfigError(f"order={order!r} is not supported; use 1 (labels) or 2 (labels and label pairs).")
    if rng is None:
        rng = _DataOrder()
    elif not isinstance(rng, np.random.Generator):
        raise ConfigError(
            f"rng={rng!r} is not a numpy Generator; pass np.random.default_rng(seed), or None for the data order."
        )
    if n_units == 0:
        return np.zeros(0, dtype=np.int64)
    if binary is not None:
        assignment = _stratify_sorted(binary, shares, rng, fair_ties)
        if assignment is not None:
            return assignment if order == 1 else _polish_pairs_of(_as_count_csr(binary), assignment, shares, rng)
        counts = _as_count_csr(binary)
    if single_rows:  # one row each: a read-only view of a single 1, not n_units int64 ones (8 MiB per million)
        unit_sizes = np.broadcast_to(np.int64(1), (n_units,))
    return _stratify_batched(counts, shares, unit_sizes, rng, order, fair_ties, keep_labels=_is_input(counts, Y))


def _stratify_batched(counts, shares, sizes, rng, order, fair_ties=False, keep_labels=False) -> np.ndarray:
    """The batched deal of every column (and pair), then the polish and the cover of rare labels.

    ``keep_labels``: ``counts`` is the input's own arrays (holding it costs no memory); with ``order=2`` the repairs
    then read the labels alone from it (the label polish's copy a permutation of its columns, the cover's units per
    split its counts reordered), not out of every pair entry.
    """
    n_units, n_labels = counts.shape
    source = counts if order == 2 and keep_labels else None
    many = False  # order 2 with many co-occurring pairs: only pairs on two units or more, dealt in canonical order
    salt = int(rng.integers(1, 2**62)) if fair_ties else 0
    single = not bool((sizes != 1).any())  # single rows: past a million pair entries, the pairs are not written
    built = canonical_with_pairs(counts, max(0, _FEW_COLUMNS - n_labels), salt, rows=single) if order == 2 else None
    in_order = built is not None
    if in_order:  # 0/1 labels: labels and pairs built in canonical order at once
        counts, columns, n_pairs = built
        del built  # the tuple would keep ``columns`` alive
        many = n_labels + n_pairs > _FEW_COLUMNS
        if isinstance(counts, PairRows) and not many:  # few columns: the deal by columns reads the matrix
            counts = counts.whole()
    else:
        if order == 2:
            pairs = pair_columns(counts, min_units=1, all_up_to=max(0, _FEW_COLUMNS - n_labels))
            many = n_labels + pairs.shape[1] > _FEW_COLUMNS
            counts = sp.hstack([counts, pairs], format="csr")
            del pairs
        columns = _canonical_order(counts, salt)
    total = int(sizes.sum())
    targets = largest_remainder(total, shares)
    made = isinstance(counts, PairRows)  # rows made from the labels when read (0/1 single rows)
    weighted = not made and bool((sizes != 1).any() or counts.data.max(initial=1) > 1)  # counts >= 1: no mask per entry
    grouped = bool((sizes > 1).any())
    # Rows each split should hold. Single rows hit the rounded targets exactly; groups are held to
    # within one group's size of the fractions themselves (a rounded target can sit up to a row
    # nearer a wrong size, and "within one group" of it is then a row beyond the promise).
    goal = total * shares if grouped else targets.astype(np.float64)
    band = int(sizes.max()) if grouped else 0  # rows a split may stray from its goal
    shuffle = _ranks(rng, n_units)  # a random rank per unit breaks every remaining tie
    if not in_order:
        counts = _permute_columns(counts, columns)
    is_label = columns < n_labels
    labels = None if source is None else (source, columns[is_label])
    del columns, source  # one int64 per column (800,000 at 1M x 10k): only which are labels is kept
    if many:
        assignment, left = deal_in_waves(counts, shares, targets, shuffle, rng, sizes if weighted else None)
        demand = left[is_label]  # the labels' rows, all the repairs read: no (columns x k) float table
        del left
        if made:
            give_back_freed()  # the deal's int32 demand (16 MiB at 1M x 10,000), before the labels are copied
    else:
        assignment, demand = deal(counts, shares, targets, sizes, shuffle, rng, weighted)
        if order == 2:  # the labels' rows, as Repair takes them (few columns: a small copy)
            demand = demand[is_label]
    pairs = counts if made else None
    if made:  # the label polish and the cover read the labels alone (as they would copy them from the matrix)
        counts, is_label = counts.labels(), np.ones(n_labels, dtype=bool)
    repair = Repair(
        counts=counts, is_label=is_label, sizes=sizes, targets=targets, goal=goal, band=band,
        weighted=weighted, shuffle=shuffle, assignment=assignment, demand=demand, pairs=pairs,
        labels=None if made else labels,  # made rows: ``counts`` is already the labels alone
    )  # fmt: skip
    del counts, pairs, labels
    gaps = repair.cover_rare_columns() if repair.polish() or repair.may_lack(shares) else None
    del demand
    repair.demand = None  # read only by polish and may_lack: the labels' (labels x k) floats freed before the pair polish
    if order == 2 and not weighted:  # the pairs' own polish; groups already polish every column above
        if many:
            repair.polish_pairs_and_cover(
                min_rounds=_MANY_PAIR_ROUNDS, shortlist=_MANY_PAIR_SHORTLIST, gaps=gaps, kept_pairs=True
            )  # the pair columns are the label pairs on two units or more
        else:
            repair.polish_pairs_and_cover(gaps=gaps)
    return repair.assignment


def _polish_pairs_of(counts, assignment, shares, rng) -> np.ndarray:
    """Order 2 from the sorted deal's split of single rows: the pair polish, then the cover of rare labels.

    On small 0/1 inputs this beats dealing the pairs as columns, in a fraction of the time (5 folds,
    seeds 0-2): medical LPD 2.02e-3 against 2.14e-3, 7 against 22 ms; yeast 2.15e-3 against 2.44e-3.
    """
    n_units, n_labels = counts.shape
    pairs = pair_columns(counts, min_units=1, all_up_to=max(0, _FEW_COLUMNS - n_labels))
    counts = sp.hstack([counts, pairs], format="csr")
    columns = _canonical_order(counts)  # the polish and the cover then ignore the labels' order and names
    counts = _permute_columns(counts, columns)
    targets = largest_remainder(n_units, shares)
    repair = Repair(
        counts=counts, is_label=columns < n_labels, sizes=np.ones(n_units, dtype=np.int64),
        targets=targets, goal=targets.astype(np.float64), band=0, weighted=False, shuffle=rng.permutation(n_units),
        assignment=assignment, demand=np.zeros((n_labels, len(shares))),
    )  # fmt: skip
    repair.polish_pairs_and_cover()
    return repair.assignment


def _stratify_sorted(binary, shares, rng, fair_ties=False) -> np.ndarray | None:
    """The sorted deal on a small 0/1 matrix of single rows (then the polish, if a few rows are left
    off, and the cover of rare labels); None when it leaves too many rows off for the polish."""
    n_units, n_labels = binary.shape
    targets = largest_remainder(n_units, shares)
    shuffle = rng.permutation(n_units)
    assignment, demand, rows_off, columns, units = sorted_deal(binary, shares, targets, shuffle, rng, fair_ties)
    # Every label within one row of its share: in every split, too, if each share of k or more rows
    # is a row or more (equal shares), else if no label with k rows is missing from a split.
    if rows_off == 0 and shares.min() * len(shares) > 1 - 1e-9:
        return assignment
    every = np.ones(n_labels, dtype=bool)
    if rows_off == 0 and not may_lack(totals=units[columns], is_label=every, demand=demand, shares=shares, targets=targets):
        return assignment
    if rows_off > SORTED_POLISH_ROWS:
        return None
    repair = Repair(
        counts=_permute_columns(_as_count_csr(binary), columns), is_label=every,
        sizes=np.ones(n_units, dtype=np.int64), targets=targets, goal=targets.astype(np.float64), band=0,
        weighted=False, shuffle=shuffle, assignment=assignment, demand=demand,
    )  # fmt: skip
    if rows_off:
        repair.polish()
    repair.cover_rare_columns()
    return repair.assignment


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


def _ranks(rng, n_units: int) -> np.ndarray:
    """A random permutation of the units, as int32 when it fits (the same values in half the memory)."""
    ranks = rng.permutation(n_units)
    return ranks.astype(np.int32) if n_units < 2**31 else ranks


class _DataOrder:
    """What the engine draws from when ``rng`` is None: every shuffle is the identity and every draw
    0 (or the lowest), so ties follow the data order and the split is a function of the input alone."""

    def permutation(self, n: int) -> np.ndarray:
        return np.arange(n)

    def random(self, size) -> np.ndarray:
        return np.zeros(size)

    def integers(self, low, high=None, size=None):
        lowest = 0 if high is None else low  # as numpy: one bound is the high end of [0, high)
        return lowest if size is None else np.full(size, lowest, dtype=np.int64)


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


def _is_input(counts: sp.csr_matrix, Y) -> bool:
    """Whether ``counts`` is made of ``Y``'s own arrays (sparse ``Y`` already in canonical form): keeping it costs
    no memory."""
    return sp.issparse(Y) and Y.format == "csr" and all(
        np.may_share_memory(getattr(counts, name), getattr(Y, name)) for name in ("data", "indices", "indptr")
    )


def _dense_to_csr(dense: np.ndarray) -> sp.csr_matrix:
    """CSR from a dense matrix, a block of rows at a time (peak memory: one block), rows sorted."""
    n, n_cols = dense.shape
    indptr = np.zeros(n + 1, dtype=np.int64)
    indices, data = [], []
    for start in range(0, n, _DENSE_CHUNK_ROWS):
        block = np.ascontiguousarray(dense[start : start + _DENSE_CHUNK_ROWS]).reshape(-1)
        flat = np.flatnonzero(block != 0)  # numpy finds nonzeros in a bool array far faster
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
    values = shares.tolist()  # a handful of numbers: plain floats check them fastest
    if not values or not all(0 < value < math.inf for value in values):
        raise ConfigError(f"fractions={list(fractions)!r} must be positive numbers; give each split a share above 0.")
    total = math.fsum(values)
    if abs(total - 1) > 1e-6:
        raise ConfigError(f"fractions={list(fractions)!r} sum to {total:g}, not 1; rescale them.")
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


def _canonical_order(counts: sp.csr_matrix, salt: int = 0) -> np.ndarray:
    """Column order by (positive units, content hash): the same for any order of the columns (another
    ``salt`` orders columns of equal counts another way). See :func:`core.splits.stratify._pairs.column_keys`."""
    units, content = column_keys(counts, salt)
    return np.lexsort((content, units))
