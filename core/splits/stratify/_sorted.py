"""The sorted deal: the first try of :func:`core.splits.stratify.stratify` on single rows with few labels.

When every unit is one row holding 0/1 labels and the labels fit one 62-bit key, rows that hold
the same label set (a *signature*) are interchangeable. Then:

1. Sort the rows by signature, the most common label most significant (a row's key has bit i
   set for its i-th rarest label), in random order within a signature, and deal the sorted rows
   along one proportional interleave of the splits' row targets. Each signature's rows are
   spread evenly over the splits, and a common label's rows form a few long stretches of the
   sequence, so they are spread evenly too. Split sizes are the targets exactly.
2. A label left a whole row off its share in some split is mended by *twin swaps*: a row with
   the label moves from a split holding too many to one holding too few, and a row with the
   same other labels but without this one moves back. A twin swap changes this label's counts
   and no other label's, so each label is mended on its own and stays mended.
3. A label with too few twins (one-hot classes: every row holds exactly one class of its task)
   is mended by *cousin swaps*: the same labels, but this one traded for another label that stays
   within one row of its share in both splits.
4. Labels still off get a second deal that makes them the most significant bits (one stretch
   each, so the deal itself spreads them); the better of the two deals is kept.

Everything happens on a (signatures x splits) table of counts; rows get their splits at the end.
A few rows still off go to the polish of :mod:`core.splits.stratify._repair`; with more (one-hot classes
far off, as in wagepan), :func:`core.splits.stratify.stratify` runs the batched deal instead. On data
such as yeast this reaches every label within one row of its share with no polish at all, at a
better label-pair balance than the batched deal, in a fraction of its time.

Hand-written because no library offers batched multi-label stratification (see
:mod:`core.splits.stratify._engine`).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from ._deal import interleave

__all__ = ["SORTED_POLISH_ROWS", "entry_hash", "small_binary", "sorted_deal"]

_MAX_LABELS = 62  # a row's label set is one int64 key
_MIX = np.uint64(0x9E3779B97F4A7C15)  # splitmix64 constants for the column content hash
_MIX_2 = np.uint64(0xBF58476D1CE4E5B9)
# Where the sorted deal is tried (measured against the batched deal, 5 folds): up to 16 labels and
# 2 million cells it is 2-4x faster (50,000 x 10: 2.8 vs 10.3 ms); with more labels, only up to
# 250,000 cells (5,000 x 30: 2.7 vs 8.3 ms), as beyond, label sets multiply (10,000 x 60: 20 vs 12 ms).
_FEW_LABELS = 16
_MAX_CELLS = 2_000_000
_MAX_CELLS_MANY_LABELS = 250_000
_MAX_COUSIN_ROWS = 64  # rows beyond within-one that cousin swaps try to mend
SORTED_POLISH_ROWS = 16  # rows still off that the polish may finish; with more, the batched deal runs


def entry_hash(rows: np.ndarray, values) -> np.ndarray:
    """A splitmix64 mix of each (row index, value) entry of a column; a column's content hash is the
    wrapping sum over its entries, so it names the column whatever its name or position."""
    mixed = rows.astype(np.uint64)  # a copy, then worked in place (the same arithmetic, fewer temporaries)
    mixed *= _MIX
    mixed += np.asarray(values).astype(np.uint64)
    mixed ^= mixed >> np.uint64(31)
    mixed *= _MIX_2
    mixed ^= mixed >> np.uint64(29)
    return mixed


def small_binary(Y) -> np.ndarray | None:
    """``Y`` as a dense bool matrix if it is a small 0/1 matrix (integer, bool or float 0/1 values; at
    most 62 columns, and 2 million cells with up to 16 columns, 250,000 with more); else None (and
    the batched deal takes it)."""
    shape = getattr(Y, "shape", None)
    if shape is None or len(shape) != 2 or shape[1] > _MAX_LABELS:
        return None
    if shape[0] * shape[1] > (_MAX_CELLS if shape[1] <= _FEW_LABELS else _MAX_CELLS_MANY_LABELS):
        return None
    dense = Y.toarray() if sp.issparse(Y) else np.asarray(Y)
    kind = dense.dtype.kind
    if kind == "b":
        return dense
    if kind in "iu":
        if dense.size and ((kind == "i" and dense.min() < 0) or dense.max() > 1):
            return None
        return dense.view(np.bool_) if dense.itemsize == 1 else dense.astype(bool)
    if kind != "f" or not ((dense == 0) | (dense == 1)).all():
        return None
    return dense.astype(bool)


def sorted_deal(
    binary, shares, targets, shuffle, rng, fair_ties: bool = False
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, np.ndarray]:
    """Every row's split, every label as near its share as the sorted deal and its swaps bring it.

    ``binary`` is a dense bool matrix (rows x labels, at most 62), ``targets`` the rows each split
    takes (summing to the rows) and ``shuffle`` a random permutation of the rows. Returns the
    assignment; the demand left (per label, in canonical order, and split: its share minus what
    it got, as :func:`core.splits.stratify._deal.deal` returns it); the rows still beyond one row of a
    share (0: every label within one row); the canonical column order (as
    :func:`core.splits.stratify._engine._canonical_order` gives it) and the positives per column. When labels
    are left off, a second deal makes them the most significant (one stretch each, so the deal
    itself spreads them) and the better deal is kept. With ``fair_ties``, labels of equal counts
    are ordered by a hash salted from ``rng`` (not a fixed one), so that which of them comes first in
    the deal, and so which gets a split's rounded-up row, is drawn anew for every seed.

    Rows are keyed by their label set in canonical order (the rarest label is bit 0) and grouped once;
    the first deal takes the label sets in that order as they come, and both deals work on the (label
    sets x splits) table.
    """
    n, n_labels = binary.shape
    cells = _as_floats(binary)  # (n, L) 0/1 floats: matrix products on BLAS, exact
    with np.errstate(invalid="ignore"):  # BLAS kernels may flag garbage in vector lanes they then drop
        units = (np.ones(n, dtype=cells.dtype) @ cells).astype(np.int64)  # positives per column
        salt = int(rng.integers(1, 2**62)) if fair_ties else 1
        columns = _canonical_columns(binary, units, salt)  # a list: the column of each canonical rank
        keys = _label_sets(binary, cells, columns, small=True)  # bit b: the label of canonical rank b
    rows = _by_label_set(keys, shuffle, n_labels)
    signatures, counts = _runs(keys[rows])  # the label sets in ascending order, and their rows after a 0
    signatures = signatures.astype(np.int64)
    holds = (signatures[:, None] & np.array([1 << bit for bit in range(n_labels)], dtype=np.int64)) != 0  # (S, L)
    counted = units.tolist()
    totals = [counted[column] for column in columns]  # positives per label, by rank
    deal_sets = _round_robin(targets, rng.permutation(len(shares)))
    table, demand, left, rows_off = _deal_once(holds, counts, signatures, totals, shares, deal_sets, rng)
    if 0 < rows_off <= _MAX_COUSIN_ROWS:  # labels still off: deal again with them as the top bits
        again = _deal_again(holds, counts[1:], totals, shares, deal_sets, rng, left)
        if again[2] < rows_off:
            table, demand, rows_off = again
    assignment = np.empty(n, dtype=np.int64)
    assignment[rows] = (np.arange(table.size) % len(shares)).repeat(table.ravel())
    return assignment, demand, rows_off, np.array(columns, dtype=np.int64), units


def _as_floats(binary) -> np.ndarray:
    """``binary`` as float32 0/1 cells (float64 beyond 24 columns): sums of distinct powers of two
    (a row's label set) and counts of rows stay exact, and matrix products run on BLAS."""
    return binary.view(np.uint8).astype(np.float32 if binary.shape[1] <= 24 else np.float64)


def _label_sets(binary, cells=None, columns=None, small: bool = False) -> np.ndarray:
    """Each row's labels as one int64: bit b for column ``columns[b]`` (default: column b); with
    ``small``, as uint8 or uint16 when the labels fit.

    ``cells`` is ``binary`` as :func:`_as_floats` gives it; the sum of powers of two is exact in
    float while it stays below the mantissa (24 or 53 bits), else it is summed in integers.
    """
    n_labels = binary.shape[1]
    bits = [0] * n_labels
    for bit, column in enumerate(range(n_labels) if columns is None else columns):
        bits[column] = 1 << bit
    if n_labels > 52:
        return binary @ np.array(bits, dtype=np.int64)
    cells = _as_floats(binary) if cells is None else cells
    kind = np.int64 if not small or n_labels > 16 else np.uint8 if n_labels <= 8 else np.uint16
    return (cells @ np.array(bits, dtype=cells.dtype)).astype(kind)


def _by_label_set(keys, shuffle, n_labels: int) -> np.ndarray:
    """The rows sorted by label set (``keys``, 8-, 16- or 64-bit), then by ``shuffle``.

    Keys of 8 or 16 bits (up to 16 labels): one stable radix sort of the keys of the rows taken in
    shuffle order (numpy's quicksort of 64-bit keys costs twice as much, more when its code is out
    of the cache); else one sort of key * n + shuffle while that fits 62 bits.
    """
    n = len(keys)
    if keys.itemsize <= 2:
        in_order = np.empty(n, dtype=np.int64)  # the rows in shuffle order
        in_order[shuffle] = np.arange(n)
        return in_order[keys[in_order].argsort(kind="stable")]
    if n_labels + n.bit_length() <= 62:
        return (keys * n + shuffle).argsort()
    return shuffle[keys[shuffle].argsort(kind="stable")]


def _runs(keys) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of sorted ``keys``, and how many times each comes after a leading 0."""
    first = np.empty(len(keys), dtype=bool)  # where a run starts
    first[:1] = True
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    return keys[first], np.bincount(first.cumsum())


def _canonical_columns(binary, units, salt: int = 1) -> np.ndarray:
    """Columns by positives, ties broken by a hash of their rows (the order of _canonical_order;
    another ``salt`` gives another order of the tied columns, still whatever their order or names)."""
    counted = units.tolist()
    if len(set(counted)) == len(counted):  # no tie: the hash would change nothing
        return sorted(range(len(counted)), key=counted.__getitem__)
    seen = np.bincount(units)
    tied = (seen[units] > 1).nonzero()[0]  # only ties need the hash
    mixed = entry_hash(np.arange(binary.shape[0], dtype=np.uint64), np.uint64(salt))  # row index, value 1
    content = np.zeros(len(units), dtype=np.uint64)
    content[tied] = mixed @ binary[:, tied].astype(np.uint64)  # sums wrap around, as in the sparse form
    return np.lexsort((content, units)).tolist()


def _round_robin(targets, priority):
    """A function of the label sets' rows (after a leading 0, in deal order): the (sets x splits)
    rows each split gets.

    The deal is one proportional interleave of the splits' ``targets`` (ties by ``priority``).
    Near-equal targets (k folds) make it a round robin: split j takes the places p with
    p % k == turn[j], of which the first p hold (p + k - 1 - turn[j]) // k.
    """
    k = len(targets)
    sizes, order = targets.tolist(), priority.tolist()
    if max(sizes) - min(sizes) <= 1:
        turn = [0] * k
        for place, split in enumerate(sorted(order, key=lambda split: -sizes[split])):  # bigger first, stable
            turn[split] = place
        lag = np.array([k - 1 - place for place in turn])
        return lambda counts: _stretches((counts.cumsum()[:, None] + lag) // k)
    sequence = interleave(targets, priority)
    before = np.zeros((len(sequence) + 1, k), dtype=np.int64)  # rows of each split among the first p places
    before[np.arange(1, len(sequence) + 1), sequence] = 1
    np.cumsum(before, axis=0, out=before)
    return lambda counts: _stretches(before[counts.cumsum()])


def _stretches(before) -> np.ndarray:
    """Rows of each split per stretch, from the rows before each stretch's start and the last end."""
    return before[1:] - before[:-1]


def _deal_once(holds, counts, signatures, totals, shares, deal_sets, rng):
    """One sorted deal: the label sets (``holds``, sets x labels by bit, in ascending ``signatures``),
    each set's rows (``counts``, after a leading 0) dealt in that order by ``deal_sets``, then mended.
    Returns the (sets x splits) table, the demand and the labels left off (by bit), and the rows
    still off. ``totals`` are the positives per label by bit."""
    table = deal_sets(counts)
    got = holds.T @ table  # (L, k) rows of each label per split
    share = np.multiply.outer(totals, shares)
    left, rows_off = _mend(table, got, share, signatures, holds, rng)
    return table, share - got, left, rows_off


def _deal_again(holds, per_set, totals, shares, deal_sets, rng, left):
    """The second deal: the labels ``left`` off made the most significant bits. Returns the table
    (sets in the order of ``holds``), the demand by canonical rank and the rows still off."""
    n_labels = holds.shape[1]
    last = np.zeros(n_labels, dtype=bool)
    last[left] = True
    rank_of_bit = np.r_[np.flatnonzero(~last), np.flatnonzero(last)]
    keys = holds[:, rank_of_bit] @ np.left_shift(np.int64(1), np.arange(n_labels, dtype=np.int64))
    order = keys.argsort()
    counts = np.zeros(len(per_set) + 1, dtype=np.int64)
    counts[1:] = per_set[order]
    dealt, by_bit, _, rows_off = _deal_once(
        holds[order][:, rank_of_bit], counts, keys[order], [totals[rank] for rank in rank_of_bit.tolist()],
        shares, deal_sets, rng,
    )
    table = np.empty_like(dealt)
    table[order] = dealt
    demand = np.empty_like(by_bit)
    demand[rank_of_bit] = by_bit
    return table, demand, rows_off


def _mend(table, got, share, signatures, holds, rng) -> tuple[list, int]:
    """Twin (then cousin) swaps until every label is within one row of its share; the labels and
    rows still off.

    ``table`` (signatures x splits) and ``got`` (labels x splits) are updated in place. The twins
    of every label are found in one search, in random order; each label's moves are planned on
    its k counts. The bounds and moves are planned on plain lists and the swaps read the table an
    entry at a time: a handful per label is typical, and numpy's per-call cost would dwarf them.
    """
    rows_of, shares = got.tolist(), share.tolist()  # (L, k) as lists: plain floats beat numpy on a few dozen
    lows = [[math.floor(value + 1e-9) for value in row] for row in shares]  # within one row: low <= got <= high
    highs = [[math.ceil(value - 1e-9) for value in row] for row in shares]
    labels = [label for label, row in enumerate(rows_of)
              if any(count < low or count > high for count, low, high in zip(row, lows[label], highs[label], strict=True))]  # fmt: skip
    if not labels:
        return [], 0
    off = np.array(labels)
    shuffled = rng.permutation(len(signatures))  # every label meets its twins in this random order
    which, at = holds[shuffled][:, off].T.nonzero()  # (label, signature) pairs with the label
    signature = shuffled[at]
    wanted = signatures[signature] ^ np.left_shift(np.int64(1), off)[which]
    twin = np.minimum(signatures.searchsorted(wanted), len(signatures) - 1)
    found = signatures[twin] == wanted
    bounds = which[found].searchsorted(np.arange(len(off) + 1)).tolist()
    twinless = [label for index, label in enumerate(labels) if bounds[index] == bounds[index + 1]]
    if _rows_off(rows_of, lows, highs, twinless) > _MAX_COUSIN_ROWS:  # neither twins nor cousins can
        return labels, _rows_off(rows_of, lows, highs, labels)
    left = _twin_swaps(table, rows_of, lows, highs, shares, labels, bounds, signature[found].tolist(), twin[found].tolist())
    return _cousins_for(left, table, rows_of, lows, highs, shares, signatures, holds, got, rng)


def _twin_swaps(table, rows_of, lows, highs, shares, labels, bounds, mine, theirs) -> list:
    """Each label's moves to within one row, each row moved with a twin moving back; the labels
    twins could not mend. Label ``labels[i]`` has the twin pairs ``bounds[i]:bounds[i + 1]``."""
    left = []
    for index, label in enumerate(labels):
        row = rows_of[label]
        want = _within_one(row, lows[label], highs[label], shares[label])
        for giver, taker, rows in _moves(row, want):
            moved = rows - _swap_twins(table, mine, theirs, bounds[index], bounds[index + 1], giver, taker, rows)
            row[giver] -= moved
            row[taker] += moved
        if row != want:  # too few twins: cousins may mend the rest
            left.append(label)
    return left


def _cousins_for(left, table, rows_of, lows, highs, shares, signatures, holds, got, rng) -> tuple[list, int]:
    """Cousin swaps for the labels ``left`` off by twins (if few rows are off); the labels and rows
    still off. ``rows_of`` is ``got`` as lists, written back to ``got``."""
    if _rows_off(rows_of, lows, highs, left) <= _MAX_COUSIN_ROWS:
        left = [label for label in left
                if not _swap_cousins(table, rows_of, lows, highs, shares, signatures, holds, label, rng)]
    got[:] = rows_of
    return left, _rows_off(rows_of, lows, highs, left)


def _rows_off(got, low, high, labels) -> int:
    """Rows that ``labels`` hold beyond one row above, or lack beyond one row below, their shares."""
    return sum(
        max(sum(max(g - h, 0) for g, h in zip(got[label], high[label], strict=True)),
            sum(max(lo - g, 0) for g, lo in zip(got[label], low[label], strict=True)))
        for label in labels
    )  # fmt: skip


def _swap_twins(table, mine, theirs, start, stop, giver, taker, rows) -> int:
    """Move ``rows`` rows from giver to taker, each with a twin moving back; the rows not moved.

    The twin pairs ``mine[i]``, ``theirs[i]`` (a signature with the label, its twin without) for i
    in start..stop are taken in their (random) order, as many rows from each as both splits hold.
    """
    for i in range(start, stop):
        a, b = mine[i], theirs[i]
        moved = min(int(table[a, giver]), int(table[b, taker]), rows)
        if moved:
            table[a, giver] -= moved
            table[a, taker] += moved
            table[b, taker] -= moved
            table[b, giver] += moved
            rows -= moved
            if not rows:
                break
    return rows


def _swap_cousins(table, got, low, high, share, signatures, holds, label, rng) -> bool:
    """Mend ``label`` by swapping a row for a *cousin*: the same labels but this one traded for another.

    The other label moves the opposite way, so a swap is taken only where that label stays
    within one row of its share in both splits. One-hot classes of a task are each other's
    cousins. Returns whether ``label`` ended within one row.
    """
    mine = np.flatnonzero(holds[:, label])
    absent = ~holds[mine]
    absent[:, label] = False
    at, other = np.nonzero(absent)
    wanted = signatures[mine[at]] ^ (np.int64(1) << np.int64(label)) ^ np.left_shift(np.int64(1), other.astype(np.int64))
    cousin = np.minimum(np.searchsorted(signatures, wanted), len(signatures) - 1)
    found = np.flatnonzero(signatures[cousin] == wanted)
    found = found[rng.permutation(len(found))]
    pairs = list(zip(mine[at[found]].tolist(), cousin[found].tolist(), other[found].tolist(), strict=True))
    row = got[label]
    want = _within_one(row, low[label], high[label], share[label])
    for giver, taker, rows in _moves(row, want):
        for _ in range(rows):
            for a, b, trade in pairs:
                if (table[a, giver] and table[b, taker] and got[trade][giver] < high[trade][giver]
                        and got[trade][taker] > low[trade][taker]):
                    break
            else:
                return False
            table[a, giver] -= 1
            table[a, taker] += 1
            table[b, taker] -= 1
            table[b, giver] += 1
            row[giver] -= 1
            row[taker] += 1
            got[trade][giver] += 1
            got[trade][taker] -= 1
    return True


def _within_one(row, low, high, share) -> list:
    """The counts nearest ``row`` with low <= count <= high in every split and the same total.

    ``high - low`` is at most 1, so at most one adjustment per split: a split to lower is the one
    furthest above its share, a split to raise the one furthest below (the first of equals).
    Plain loops: on k counts they are faster than ``max`` with a key, or numpy.
    """
    want = [lo if r < lo else hi if r > hi else r for r, lo, hi in zip(row, low, high, strict=True)]
    extra = sum(want) - sum(row)
    while extra > 0:
        best, above = -1, 0.0
        for j, count in enumerate(want):
            if count > low[j] and (best < 0 or count - share[j] > above):
                best, above = j, count - share[j]
        want[best] -= 1
        extra -= 1
    while extra < 0:
        best, below = -1, 0.0
        for j, count in enumerate(want):
            if count < high[j] and (best < 0 or share[j] - count > below):
                best, below = j, share[j] - count
        want[best] += 1
        extra += 1
    return want


def _moves(row, want) -> list:
    """(giver, taker, rows) moves from the splits above ``want`` to those below, largest first
    (equal amounts: the higher split first)."""
    surplus, deficit = [], []
    for j, count in enumerate(row):
        if count > want[j]:
            surplus.append((count - want[j], j))
        elif count < want[j]:
            deficit.append((want[j] - count, j))
    surplus.sort(reverse=True)
    deficit.sort(reverse=True)
    moves = []
    give = take = 0
    while give < len(surplus) and take < len(deficit):
        (have, giver), (need, taker) = surplus[give], deficit[take]
        rows = min(have, need)
        moves.append((giver, taker, rows))
        surplus[give], deficit[take] = (have - rows, giver), (need - rows, taker)
        give += have == rows
        take += need == rows
    return moves
