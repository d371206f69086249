"""Solving on the client: how many rows of each label set go to each split, and which rank goes where.

Rows of one label set are interchangeable for every count, so the stratified split of N rows is a
(label sets x splits) table of counts (:func:`set_split_counts`): each set's whole blocks of D rows (the
smallest block the shares cut into whole rows: 20 rows as 14/3/3 for 70/15/15) are dealt exactly in
proportion, and the fewer than D rows left over per set are dealt by the in-memory engine,
:func:`core.splits.stratify.stratify`, as single rows at the same shares. So the split sizes are exactly
the in-memory ones, and every label is balanced as the engine balances it, on at most S x (D - 1) rows.

Which rows of a set take its split's places: the set's rows are ranked in data order, and a seeded
Weyl walk over the ranks (:func:`place`: rank r to place ``(a r + b) mod n``) picks the places. So each
split's rows of a set are spread evenly along the file order, and a row's split depends only on the
data, the seed and the files, never on the workers. It is *not* the
in-memory engine's choice of rows within a set (that one shuffles rows in memory): the counts per set
and split follow the same solver, the rows taking them differ.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..splits.stratify import largest_remainder, stratify

__all__ = ["permute", "whole_block", "set_split_counts", "place", "walk_of", "code_dtype"]

_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX_2 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_3 = np.uint64(0x94D049BB133111EB)
_ROUNDS = 4  # Luby-Rackoff: four rounds of a balanced Feistel network give a pseudo-random permutation


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, elementwise on uint64."""
    x = x + _MIX
    x ^= x >> np.uint64(30)
    x *= _MIX_2
    x ^= x >> np.uint64(27)
    x *= _MIX_3
    x ^= x >> np.uint64(31)
    return x


def permute(rank: np.ndarray, size: np.ndarray, key: np.ndarray, unit: np.ndarray | None = None) -> np.ndarray:
    """A keyed bijection of ``0..size-1`` per element: ``rank`` -> its place, for every element at once.

    Each element has its own domain ``size`` and ``key``; a balanced Feistel network on the smallest even
    number of bits covering the domain, repeated (cycle walking) until the value falls inside it. With
    ``unit`` (each element's unit index), ``size`` and ``key`` are per unit (the round keys are then
    mixed once per unit, not once per element).

    Examples
    --------
    >>> r = np.arange(10, dtype=np.uint64)
    >>> sorted(permute(r, np.full(10, 10, np.uint64), np.full(10, 7, np.uint64)).tolist()) == list(range(10))
    True
    """
    rank = np.asarray(rank, dtype=np.uint64)
    size = np.asarray(size, dtype=np.uint64)
    key = np.asarray(key, dtype=np.uint64)
    unit = np.arange(rank.size) if unit is None else np.asarray(unit)
    bits = np.maximum(np.ceil(np.log2(np.maximum(size, 2).astype(np.float64))).astype(np.int64), 2)
    bits += bits % 2
    half = (bits // 2).astype(np.uint64)
    mask = (np.uint64(1) << half) - np.uint64(1)
    round_keys = [_mix(key + np.uint64(round_)) for round_ in range(_ROUNDS)]
    out = rank.copy()
    todo = np.arange(out.size)
    mine = unit
    while todo.size:
        x, h, m, domain = out[todo], half[mine], mask[mine], size[mine]
        left, right = x >> h, x & m
        for round_key in round_keys:
            mixed = _mix(right ^ round_key[mine])
            left, right = right, left ^ (mixed & m)
        x = (left << h) | right
        out[todo] = x
        outside = x >= domain
        todo, mine = todo[outside], mine[outside]
    return out


def whole_block(shares: np.ndarray, limit: int = 200) -> np.ndarray | None:
    """The smallest block of rows that ``shares`` split into whole rows (0.7/0.15/0.15: 20 rows as 14/3/3), or None.

    Examples
    --------
    >>> whole_block(np.array([0.7, 0.15, 0.15])).tolist(), whole_block(np.full(3, 1 / 3)).tolist()
    ([14, 3, 3], [1, 1, 1])
    """
    for rows in range(1, limit + 1):
        scaled = shares * rows
        if np.all(np.abs(scaled - np.round(scaled)) < 1e-9):
            return np.round(scaled).astype(np.int64)
    return None


def set_split_counts(set_rows: np.ndarray, matrix: sp.csr_matrix, shares: np.ndarray, *, seed: int,
                     order: int = 1) -> np.ndarray:
    """(S, k) rows of each label set per split: whole blocks dealt exactly, the rows left over by the engine.

    The shares split a block of D rows into whole rows (0.7/0.15/0.15: 20 rows as 14/3/3). Each label set's
    whole blocks are dealt exactly so; its fewer than D rows left over become single rows that
    :func:`core.splits.stratify.stratify` deals at the same shares. The blocks hold every label exactly in
    proportion, so the engine's targets for the leftovers are the whole data's, and the split sizes are
    ``largest_remainder(N, shares)``, as in memory. (Shares that no block up to 200 rows splits into whole
    rows deal each set's ``floor(rows * share)`` rows instead, the leftovers at the remaining sizes.)
    A set's rows in a split are within D - 1 of its share. Splits of share 0 get no rows.

    Examples
    --------
    >>> counts = set_split_counts(np.array([10, 5]), sp.csr_matrix([[1, 0], [0, 1]]), np.array([0.8, 0.2]), seed=0)
    >>> counts.tolist(), counts.sum(axis=0).tolist()
    ([[8, 2], [4, 1]], [12, 3])
    """
    set_rows = np.asarray(set_rows, dtype=np.int64)
    k = shares.size
    total = int(set_rows.sum())
    open_ = np.flatnonzero(shares > 0)
    block = whole_block(shares)
    if block is not None:
        blocks = set_rows // block.sum()
        base = blocks[:, None] * block[None, :]
    else:
        base = np.floor(set_rows[:, None] * shares[None, :] + 1e-9).astype(np.int64)  # float error never drops a row
    left = set_rows - base.sum(axis=1)
    want = largest_remainder(total, shares) - base.sum(axis=0)
    if left.sum() == 0:
        return base
    owners = np.repeat(np.arange(set_rows.size), left)  # one unit per leftover row
    live = open_[want[open_] > 0]
    if live.size == 1:
        part = np.zeros(owners.size, dtype=np.int64)
    else:
        rng = np.random.default_rng(seed)
        part = stratify(sp.csr_matrix(matrix)[owners], want[live] / want[live].sum(), rng=rng, order=order)
    extra = np.zeros((set_rows.size, k), dtype=np.int64)
    np.add.at(extra, (owners, live[part]), 1)
    return base + extra


def set_key(seed: int, set_index: np.ndarray) -> np.ndarray:
    """The permutation key of each label set under ``seed``."""
    return _mix(np.asarray(set_index, dtype=np.uint64) * np.uint64(0x100000001B3) ^ _mix(np.array([seed], np.uint64)))


def strides(set_rows: np.ndarray) -> np.ndarray:
    """Per set of ``n`` rows, the stride of its Weyl walk: the integer nearest ``n / golden ratio``, coprime to n.

    Examples
    --------
    >>> strides(np.array([1, 2, 20, 1000])).tolist()
    [1, 1, 13, 619]
    """
    n = np.maximum(np.asarray(set_rows, dtype=np.int64), 1)
    stride = np.maximum(np.rint(n * _GOLDEN).astype(np.int64), 1)
    while True:
        shared = np.gcd(stride, n) != 1
        if not shared.any():
            return stride
        stride[shared] += 1


_GOLDEN = (np.sqrt(5.0) - 1) / 2
_WALK_LIMIT = 1 << 32  # a * rank stays below 2**64 in uint64


def walk_of(set_rows: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Each set's Weyl walk for :func:`place`: its stride ``a`` and shift ``b`` (uint64), or None when a set has
    2**32 rows or more (:func:`permute` then). Made once per solution: at 100M rows there are ~10^5 sets, and
    each partition's join made them again (the strides' gcd loop, ~0.2 s a partition).

    Examples
    --------
    >>> a, b = walk_of(np.array([5, 8]), seed=0)
    >>> a.tolist(), bool((b < np.array([5, 8])).all())
    ([3, 5], True)
    """
    set_rows = np.asarray(set_rows, dtype=np.int64)
    if set_rows.size and set_rows.max() >= _WALK_LIMIT:
        return None
    rows = np.maximum(set_rows.astype(np.uint64), np.uint64(1))
    return strides(set_rows).astype(np.uint64), set_key(seed, np.arange(set_rows.size)) % rows


def place(set_index: np.ndarray, rank: np.ndarray, set_rows: np.ndarray, cumulative: np.ndarray,
          seed: int, walk: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """The split code of each row from its label set and its rank within the set.

    A set of n rows walks its ranks r to places ``(a * r + b) mod n`` (a Weyl walk: ``a`` near n / golden
    ratio and coprime to n, so a bijection; ``b`` drawn from the seed and the set): the places of any
    stretch of ranks are spread evenly over 0..n-1, so each split's rows of a set are spread evenly along
    the file order, and the seed shifts which rows they are. ``cumulative`` is (S, k): the running sum of
    each set's counts per split; a row's place falls in one split's stretch. (A set of 2**32 rows or more
    takes the keyed Feistel permutation, :func:`permute`.) ``walk``: :func:`walk_of` the same sets and seed,
    made once for every partition.
    """
    if set_index.size == 0:
        return np.zeros(0, dtype=np.int64)
    rows = set_rows.astype(np.uint64)
    if walk is None:
        walk = walk_of(set_rows, seed)
    if walk is not None:
        a, b = walk
        spot = a[set_index] * rank.astype(np.uint64, copy=False) + b[set_index]
        spot %= rows[set_index]
    else:
        spot = permute(rank.astype(np.uint64), rows, set_key(seed, np.arange(set_rows.size)), unit=set_index)
    return split_of_place(spot, cumulative, set_index)


def split_of_place(spot: np.ndarray, cumulative: np.ndarray, set_index: np.ndarray) -> np.ndarray:
    """Each row's split from its place ``spot`` in its set ``set_index``: the split whose stretch of the set's
    places (``cumulative``, (S, k) running counts) holds it, i.e. how many bounds the place has passed.

    Examples
    --------
    >>> split_of_place(np.array([0, 2, 5], np.uint64), np.array([[2, 4, 6]]), np.zeros(3, np.int64)).tolist()
    [0, 1, 2]
    """
    bounds = np.ascontiguousarray(cumulative.astype(np.uint64).T)  # (k, S)
    code = np.zeros(set_index.size, dtype=code_dtype(len(bounds)))  # one byte a row up to 128 splits
    for bound in bounds[:-1]:
        code += spot >= bound[set_index]
    return code.astype(np.int64)


def code_dtype(n_codes: int) -> type:
    """The smallest signed integer type holding codes 0..n_codes-1 (int8 up to 128 splits; n_folds has no bound).

    Examples
    --------
    >>> code_dtype(128).__name__, code_dtype(129).__name__
    ('int8', 'int16')
    """
    for dtype in (np.int8, np.int16, np.int32):
        if n_codes - 1 <= np.iinfo(dtype).max:
            return dtype
    return np.int64
