"""The polish around a fixed part: :func:`offset_polish` (the hybrid group split beyond one machine's rows).

Some units are already placed elsewhere (a fixed part, e.g. groups split by a hash); the others are polished
so that the two together keep every label's rate and every split's rows: :class:`Balance`'s objective with
the fixed part's per-split deviation added (its ``offset``) and the whole table's label rates (``rate``).
"""

from __future__ import annotations

import numpy as np

from ._balance import Balance
from ._threads import blas_may_split, one_blas_thread

__all__ = ["offset_polish"]


@one_blas_thread(needed=lambda counts, sizes, assignment, offset, *a, **k: blas_may_split(*offset.shape))
def offset_polish(counts, sizes, assignment, offset, targets, rate, rounds: int = 40, shortlist: int = 64) -> np.ndarray:
    """``assignment`` polished by swaps and moves of whole units so that these units plus a fixed part come near
    ``rate`` times their rows per split and ``targets`` rows.

    Parameters
    ----------
    counts : scipy sparse matrix, shape (n_units, L)
        The units' label counts.
    sizes : array of int, shape (n_units,)
        Rows per unit.
    assignment : array of int, shape (n_units,)
        Each unit's split (a start, e.g. :func:`stratify`'s split of these units alone); not changed.
    offset : ndarray, shape (L + 1, k)
        The fixed part per split: its label counts minus ``rate`` times its rows, then 0 (its rows are in
        ``targets``).
    targets : array, shape (k,)
        Rows each split should take from these units.
    rate : array, shape (L,)
        The whole table's label rates (per row).
    rounds, shortlist : int
        The polish's rounds (it stops sooner when no exchange helps) and units a side each exchange tries.

    Returns
    -------
    ndarray of int64, shape (n_units,)

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> counts = sp.csr_matrix(np.array([[2.0], [0.0], [2.0], [0.0]]))
    >>> offset = np.array([[2.0, -2.0], [0.0, 0.0]])  # the fixed part: 2 positives too many in split 0
    >>> offset_polish(counts, np.full(4, 2), np.array([0, 1, 1, 0]), offset, np.array([4, 4]), np.array([0.5])).tolist()
    [1, 0, 1, 0]
    """
    balance = Balance(counts=counts.astype(np.float64), sizes=sizes, assignment=np.array(assignment, dtype=np.int64),
                      targets=targets, moves=True, offset=offset, rate=rate)
    balance.polish(rounds, shortlist=shortlist)
    return balance.assignment
