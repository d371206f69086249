"""The sorted deal: the first try of :func:`core.stratify.stratify` on single rows with few labels.

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

Everything happens on a (signatures x splits) table of counts; rows get their splits at the end.
When some label cannot be mended this way (no twin: typical of one-hot classes, where every row
holds exactly one class of the task), the caller falls back to the batched deal and its polish
(:mod:`core.stratify_deal`, :mod:`core.stratify_repair`). On data such as yeast this reaches
every label within one row of its share with no polish at all, at a better label-pair balance.

Hand-written because no library offers batched multi-label stratification (see
:mod:`core.stratify`).
"""

from __future__ import annotations

import numpy as np

from core.stratify_deal import interleave

__all__ = ["SORTED_POLISH_ROWS", "sorted_deal_applies", "sorted_deal"]

_MAX_LABELS = 62  # a row's label set is one int64 key
_MAX_CELLS = 2_000_000  # rows x labels; beyond, the batched deal is as fast and its memory is bounded
_FEW = 8  # moves of up to this many rows swap one twin pair at a time
_MAX_COUSIN_ROWS = 64  # rows beyond within-one that cousin swaps try to mend
SORTED_POLISH_ROWS = 16  # rows still off that the polish may finish; with more, the batched deal runs


def sorted_deal_applies(counts, order: int, weighted: bool) -> bool:
    """Whether :func:`sorted_deal` is tried: single 0/1 rows, labels only, few labels, a modest size."""
    n, n_labels = counts.shape
    return order == 1 and not weighted and n_labels <= _MAX_LABELS and n * n_labels <= _MAX_CELLS


def sorted_deal(counts, columns, shares, targets, shuffle, rng) -> tuple[np.ndarray, np.ndarray, int]:
    """Every row's split, every label as near its share as the sorted deal and its swaps bring it.

    ``counts`` is a CSR matrix of 0/1 labels, at most 62 of them, ``columns`` their canonical
    order (rarest first), ``targets`` the rows each split takes (summing to the rows) and
    ``shuffle`` a random permutation of the rows. Returns the assignment, the demand left (per
    label, in canonical order, and split: its share minus what it got, as
    :func:`core.stratify_deal.deal` returns it) and the rows still beyond one row of a share
    (0: every label within one row). When labels are left off, a second deal makes them the most
    significant (one stretch each, so the deal itself spreads them) and the better deal is kept.
    """
    n_labels = counts.shape[1]
    bit_of_rank = np.arange(n_labels)  # canonical rank -> bit; the rarest label is bit 0
    best = None
    for attempt in range(2):
        position = np.empty(n_labels, dtype=np.int64)
        position[columns] = bit_of_rank
        assignment, demand, left, rows_off = _deal_once(counts, position, shares, targets, shuffle, rng)
        if best is None or rows_off < best[2]:
            best = (assignment, demand[bit_of_rank], rows_off)
        if rows_off == 0 or rows_off > _MAX_COUSIN_ROWS or attempt:  # mended, hopeless, or tried twice
            return best
        rank_of_bit = np.argsort(bit_of_rank)
        last = np.isin(np.arange(n_labels), rank_of_bit[left])  # ranks left off go last: the top bits
        bit_of_rank = np.empty(n_labels, dtype=np.int64)
        bit_of_rank[np.r_[np.flatnonzero(~last), np.flatnonzero(last)]] = np.arange(n_labels)
    return best


def _deal_once(counts, position, shares, targets, shuffle, rng):
    """One sorted deal with label c on bit ``position[c]``: assignment, demand and labels left off
    (both by bit), and the rows still off."""
    n, n_labels = counts.shape
    k = len(shares)
    key = _row_keys(counts, position)
    rows = shuffle[np.argsort(key[shuffle], kind="stable")]  # by signature, at random within
    key = key[rows]
    first = np.empty(n, dtype=bool)  # where a signature's stretch starts
    first[:1] = True
    np.not_equal(key[1:], key[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    signatures, per_signature = key[starts], np.diff(starts, append=n)
    block = np.cumsum(first) - 1  # the signature at each position
    sequence = interleave(targets, rng.permutation(k))
    table = np.bincount(block * k + sequence, minlength=len(signatures) * k).reshape(-1, k)
    holds = ((signatures[:, None] >> np.arange(n_labels, dtype=np.int64)) & 1).astype(bool)  # (S, L)
    by_label = holds.T.astype(np.float64)  # float products run on BLAS, exact below 2**53
    got = np.rint(by_label @ table).astype(np.int64)  # (L, k) rows of each label per split
    share = (by_label @ per_signature)[:, None] * shares[None, :]
    left, rows_off = _mend(table, got, share, signatures, holds, rng)
    assignment = np.empty(n, dtype=np.int64)
    assignment[rows] = np.repeat(np.tile(np.arange(k), len(signatures)), table.ravel())
    return assignment, share - got, left, rows_off


def _row_keys(counts, position) -> np.ndarray:
    """Each row's label set as an int64 with bit ``position[c]`` set for each column c it holds."""
    n = counts.shape[0]
    key = np.zeros(n, dtype=np.int64)
    if counts.nnz:
        bits = np.left_shift(np.int64(1), position[counts.indices])
        filled = np.diff(counts.indptr) > 0
        key[filled] = np.bitwise_or.reduceat(bits, counts.indptr[:-1][filled])
    return key


def _mend(table, got, share, signatures, holds, rng) -> tuple[list, int]:
    """Twin (then cousin) swaps until every label is within one row of its share; the labels and
    rows still off.

    ``table`` (signatures x splits) and ``got`` (labels x splits) are updated in place. The twins
    of every label are found in one search, in random order; each label's moves are planned on
    its k counts, and each move of many rows between two splits takes its twins in one step.
    """
    low = np.floor(share + 1e-9).astype(np.int64)  # within one row: low <= got <= high
    high = np.ceil(share - 1e-9).astype(np.int64)
    off = np.flatnonzero(((got < low) | (got > high)).any(axis=1))
    if not len(off):
        return [], 0
    which, signature = np.nonzero(holds[:, off].T)  # (label, signature) pairs with the label
    wanted = signatures[signature] ^ np.left_shift(np.int64(1), off[which].astype(np.int64))
    twin = np.minimum(np.searchsorted(signatures, wanted), len(signatures) - 1)  # sorted per label: fast
    found = signatures[twin] == wanted
    which, signature, twin = which[found], signature[found], twin[found]
    mixed = np.argsort(which.astype(np.int64) << 32 | rng.integers(0, 1 << 32, len(which)))
    which, signature, twin = which[mixed], signature[mixed], twin[mixed]  # per label, twins in random order
    bounds = np.searchsorted(which, np.arange(len(off) + 1)).tolist()
    left = []
    for index, label in enumerate(off.tolist()):
        mine, theirs = signature[bounds[index] : bounds[index + 1]], twin[bounds[index] : bounds[index + 1]]
        row = got[label].tolist()
        want = _within_one(row, low[label].tolist(), high[label].tolist(), share[label].tolist())
        if all(_swap_twins(table, mine, theirs, giver, taker, rows) for giver, taker, rows in _moves(row, want)):
            got[label] = want
        else:  # too few twins: count what moved; cousins may mend the rest
            got[label] = holds[:, label].astype(np.int64) @ table
            left.append(label)
    if _rows_off(got, low, high, left) <= _MAX_COUSIN_ROWS:
        left = [label for label in left if not _swap_cousins(table, got, low, high, share, signatures, holds, label, rng)]
    return left, _rows_off(got, low, high, left)


def _rows_off(got, low, high, labels) -> int:
    """Rows that ``labels`` hold beyond one row above, or lack beyond one row below, their shares."""
    return sum(max(int(np.maximum(got[label] - high[label], 0).sum()), int(np.maximum(low[label] - got[label], 0).sum()))
               for label in labels)


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
    row = got[label].tolist()
    want = _within_one(row, low[label].tolist(), high[label].tolist(), share[label].tolist())
    for giver, taker, rows in _moves(row, want):
        for _ in range(rows):
            for a, b, trade in pairs:
                if (table[a, giver] and table[b, taker] and got[trade, giver] < high[trade, giver]
                        and got[trade, taker] > low[trade, taker]):
                    break
            else:
                return False
            table[a, giver] -= 1
            table[a, taker] += 1
            table[b, taker] -= 1
            table[b, giver] += 1
            got[label, giver] -= 1
            got[label, taker] += 1
            got[trade, giver] += 1
            got[trade, taker] -= 1
    return True


def _swap_twins(table, mine, theirs, giver, taker, rows) -> bool:
    """Move ``rows`` rows of signatures ``mine`` from giver to taker, and as many of their twins
    ``theirs`` back; False if the twin pairs cannot carry that many.

    A few rows go one at a time (numpy scalars are cheaper than array steps then); many rows take
    the twin pairs in their (random) order, as many rows from each as both splits have, in one
    step over a stretch of pairs that is widened until it carries enough.
    """
    if not len(mine):
        return False
    if rows <= _FEW:
        for _ in range(rows):
            for a, b in zip(mine, theirs, strict=True):
                if table[a, giver] and table[b, taker]:
                    break
            else:
                return False
            table[a, giver] -= 1
            table[a, taker] += 1
            table[b, taker] -= 1
            table[b, giver] += 1
        return True
    stretch = 8 * rows
    while True:
        a, b = mine[:stretch], theirs[:stretch]
        can = np.minimum(table[a, giver], table[b, taker])  # swaps each twin pair allows
        reach = np.cumsum(can)
        if reach[-1] >= rows:
            break
        if stretch >= len(mine):
            return False
        stretch *= 4
    used = int(np.searchsorted(reach, rows)) + 1
    swaps = can[:used]
    swaps[-1] -= reach[used - 1] - rows
    table[a[:used], giver] -= swaps
    table[a[:used], taker] += swaps
    table[b[:used], taker] -= swaps
    table[b[:used], giver] += swaps
    return True


def _within_one(row, low, high, share) -> list:
    """The counts nearest ``row`` with low <= count <= high in every split and the same total.

    ``high - low`` is at most 1, so at most one adjustment per split: a split to lower is the one
    furthest above its share, a split to raise the one furthest below.
    """
    want = [min(max(r, lo), hi) for r, lo, hi in zip(row, low, high, strict=True)]
    for _ in range(len(row)):
        extra = sum(want) - sum(row)
        if extra > 0:
            j = max((j for j, w in enumerate(want) if w > low[j]), key=lambda j: want[j] - share[j])
            want[j] -= 1
        elif extra < 0:
            j = max((j for j, w in enumerate(want) if w < high[j]), key=lambda j: share[j] - want[j])
            want[j] += 1
    return want


def _moves(row, want) -> list:
    """(giver, taker, rows) moves from the splits above ``want`` to those below, largest first."""
    surplus = sorted(((r - w, j) for j, (r, w) in enumerate(zip(row, want, strict=True)) if r > w), reverse=True)
    deficit = sorted(((w - r, j) for j, (r, w) in enumerate(zip(row, want, strict=True)) if w > r), reverse=True)
    moves = []
    while surplus and deficit:
        (give, giver), (take, taker) = surplus[0], deficit[0]
        rows = min(give, take)
        moves.append((giver, taker, rows))
        surplus[0], deficit[0] = (give - rows, giver), (take - rows, taker)
        surplus = [s for s in surplus if s[0] > 0]
        deficit = [d for d in deficit if d[0] > 0]
    return moves
