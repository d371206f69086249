"""The hybrid group split's hash-fixed core (:mod:`core.cluster._group_deal`): which groups a seeded hash
places (:class:`Fixing`), the fixed rows' label counts per split (:func:`fixed_counts`), each batch's share of
the fixed part's deviation (:func:`aims`) and the polish of a batch around it (:func:`polish_around`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..splits.stratify import offset_polish
from ._settle import mixed_keys
from ._solve import code_dtype

__all__ = ["Fixing", "fixed_counts", "aims", "polish_around", "POLISH_ROUNDS", "POLISH_UNITS", "WEIGHT_POWER",
           "RATE_FLOOR", "column_weights"]

POLISH_ROUNDS = 40  # rounds of the offset polish (it stops earlier when no exchange helps)
POLISH_UNITS = 64  # units a side each exchange of the offset polish tries
# The offset polish weighs each column by rate ** -WEIGHT_POWER: squared, a deviation over the rate, about the
# deviation in binomial standard deviations (a chi-square), so rare labels count. 100M rows, seed 0: LD (20 labels)
# 1.0e-06 unweighted, 5.4e-08 at 0.5, 5.4e-07 at 1.
WEIGHT_POWER = 0.5
RATE_FLOOR = 1e-5  # rates below this weigh as this (see column_weights)


class Fixing:
    """Which groups the hash fixes and where: a group is free when its seeded 64-bit mix
    (:func:`core.cluster._settle.mixed_keys`) is below ``free`` * 2**64; a fixed group's split is its mix's low
    32 bits against the cumulative shares of the splits with a positive share (``wanted``).

    Examples
    --------
    >>> fixing = Fixing(0.5, np.array([0.5, 0.5]), seed=0)
    >>> free, code = fixing.decide(np.arange(10_000, dtype=np.uint64))
    >>> bool(0.45 < free.mean() < 0.55), bool(0.45 < code[~free].mean() < 0.55)
    (True, True)
    """

    def __init__(self, free: float, shares: np.ndarray, seed: int) -> None:
        self.below = np.uint64(min(int(free * 2.0**64), 2**64 - 1))
        self.wanted = np.flatnonzero(shares > 0)
        self.dtype = code_dtype(len(shares))  # the rows' codes (indices into every split)
        cumulative = np.cumsum(shares[self.wanted] / shares[self.wanted].sum())[:-1]
        self.cuts = np.minimum(np.round(cumulative * 2.0**32), 2**32 - 1).astype(np.uint64)
        self.seed = seed

    def decide(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per key: whether its group is free, and its fixed split (an index into ``wanted``; a dtype that also
        holds ``len(wanted)``).

        Examples
        --------
        >>> free, code = Fixing(0.0, np.array([0.0, 1.0]), seed=0).decide(np.arange(3, dtype=np.uint64))
        >>> free.tolist(), code.tolist()  # nothing free; one wanted split (index 0 into wanted, split 1)
        ([False, False, False], [0, 0, 0])
        """
        mixed = mixed_keys(keys, self.seed)
        low = mixed & np.uint64(0xFFFF_FFFF)
        code = np.searchsorted(self.cuts, low, side="right").astype(code_dtype(len(self.wanted) + 1))
        return mixed < self.below, code


def fixed_counts(fixing: Fixing, keys: np.ndarray, local: np.ndarray, to_global: np.ndarray, turned) -> tuple:
    """A partition's rows by ``fixing``: which are free (their positions), every row's code (the fixed ones'
    splits; the free ones' are written later) and the fixed rows' turned label counts, then rows, per split
    ((L + 1, len(wanted)) int64: the offset's part from this partition).

    Examples
    --------
    >>> fixing = Fixing(0.0, np.array([1.0, 0.0]), seed=0)  # nothing free, every group in split 0
    >>> free, codes, counts = fixed_counts(fixing, np.arange(3, dtype=np.uint64), np.array([0, 1, 1]),
    ...                                    np.array([0, 1]), sp.csr_matrix(np.array([[1], [0]])))
    >>> free.tolist(), codes.tolist(), counts.tolist()
    ([], [0, 0, 0], [[1], [3]])
    """
    free, code = fixing.decide(keys)
    k = len(fixing.wanted)
    codes = fixing.wanted[code].astype(fixing.dtype)  # (code < k: searchsorted over the k - 1 cuts)
    code[free] = k  # a column of its own, dropped: no masked copies of the fixed rows
    per_set = np.bincount(local.astype(np.int64) * (k + 1) + code, minlength=len(to_global) * (k + 1))
    per_set = per_set.reshape(-1, k + 1)[:, :k]
    labels = np.asarray(turned[to_global].T @ per_set, dtype=np.int64)
    return np.flatnonzero(free), codes, np.vstack([labels, per_set.sum(axis=0)[None, :]])


def aims(fixed, turned, set_rows, total, free_targets, rows_in, plan_batches) -> list:
    """Each batch's (offset, targets, rate) for :func:`polish_around`: the fixed part's label counts off the whole
    table's rates per split, and the free rows each split still needs, both in proportion to the batch's rows.

    Examples
    --------
    >>> fixed = np.array([[30, 10], [60, 40]])  # label 0: 30 of train's 60 fixed rows, 10 of val's 40
    >>> got = aims(fixed, sp.csr_matrix(np.array([[1], [0]])), np.array([50, 150]), 200, np.array([60, 40]),
    ...            np.array([30, 70]), [[0], [1]])
    >>> got[0][0].tolist(), got[0][1].tolist(), got[0][2].tolist()
    ([[4.5, 0.0], [0.0, 0.0]], [18.0, 12.0], [0.25])
    """
    rate = np.asarray(turned.T @ np.asarray(set_rows, dtype=np.float64)).ravel() / total
    off = fixed[:-1].astype(np.float64) - rate[:, None] * fixed[-1][None, :].astype(np.float64)
    free_total = float(rows_in.sum())
    out = []
    for batch in plan_batches:
        weight = float(rows_in[batch].sum()) / free_total
        offset = np.zeros((len(rate) + 1, fixed.shape[1]))
        offset[:-1] = weight * off
        out.append((offset, weight * free_targets.astype(np.float64), rate))
    return out


def column_weights(rate: np.ndarray) -> np.ndarray:
    """Each label column's weight in the offset polish: ``max(rate, RATE_FLOOR) ** -WEIGHT_POWER``.

    Bounded: at most ``RATE_FLOOR ** -0.5`` (~316), so a column's squared weight is at most 1e5 times a
    rate-1 column's (5e4 times a rate-0.5 one's). Without the floor, a label on one row in 100M weighed 1e4
    (squared 1e8 times the rows'): it cannot be balanced (its one group sits in one split whatever the polish
    does), yet its weight could block every move of its group. Any label rarer than 1e-5 of the table (fewer
    than 25 rows at 2.5M rows, where the hybrid starts; 1,000 at 100M) weighs as one at 1e-5.

    Examples
    --------
    >>> column_weights(np.array([0.25, 1e-5, 1e-8])).round(1).tolist()
    [2.0, 316.2, 316.2]
    """
    return np.maximum(rate, RATE_FLOOR) ** -WEIGHT_POWER


def polish_around(counts, sizes, part, aim) -> np.ndarray:
    """A batch's split ``part`` polished around its ``aim`` (:func:`aims`), each column weighed by
    :func:`column_weights` (its rate ** -``WEIGHT_POWER``, the rate floored at ``RATE_FLOOR``:
    :func:`core.splits.stratify.offset_polish`)."""
    offset, targets, rate = aim
    weight = column_weights(rate)
    offset = offset.copy()
    offset[:-1] *= weight[:, None]
    return offset_polish(counts @ sp.diags(weight), sizes, part, offset, targets, rate * weight,
                         rounds=POLISH_ROUNDS, shortlist=POLISH_UNITS)
