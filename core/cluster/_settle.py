"""Small pieces of the batched group split (:mod:`core.cluster._group_deal`): the seeded order of the groups and
the final settling of the split sizes."""

from __future__ import annotations

import numpy as np

from ._solve import _mix

__all__ = ["mixed_keys", "settle_rows"]

def mixed_keys(keys: np.ndarray, seed: int) -> np.ndarray:
    """The groups' 64-bit hashes mixed with the seed (one-to-one: splitmix64's finaliser, as the label sets'
    keys are mixed): sorting by them orders the groups at random, the same for the same values and seed wherever
    they come from.

    Examples
    --------
    >>> keys = np.array([1, 2, 3], dtype=np.uint64)
    >>> bool((np.sort(mixed_keys(keys, 0)) == np.sort(mixed_keys(keys[::-1], 0))).all())
    True
    """
    with np.errstate(over="ignore"):
        return _mix(np.asarray(keys, dtype=np.uint64) ^ _mix(np.array([seed], dtype=np.uint64)))


def settle_rows(code: np.ndarray, sizes: np.ndarray, targets: np.ndarray, moves: int = 100_000) -> np.ndarray:
    """Move units from the fullest split (most rows above its target) to the emptiest while a move narrows
    their gap, each time the unit whose size is nearest half the gap (the last such). At the end every
    split is within the largest unit's size of its target. Changes ``code`` in place and returns it.

    Examples
    --------
    >>> settle_rows(np.array([0, 0, 0, 1]), np.array([5, 1, 2, 2]), np.array([5, 5])).tolist()
    [0, 1, 1, 1]
    """
    k = len(targets)
    held = np.bincount(code, weights=sizes, minlength=k).astype(np.int64)
    for _ in range(moves):
        gap = held - targets
        a, b = int(np.argmax(gap)), int(np.argmin(gap))
        width = int(gap[a] - gap[b])
        if width <= 1:
            break
        mine = np.flatnonzero(code == a)
        fits = mine[sizes[mine] < width]
        if fits.size == 0:
            break
        distance = np.abs(2 * sizes[fits] - width)
        best = fits[np.flatnonzero(distance == distance.min())[-1]]
        code[best] = b
        held[a] -= sizes[best]
        held[b] += sizes[best]
    return code
