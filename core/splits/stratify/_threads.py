"""One BLAS thread while the solver runs, so that the same input and seed give the same split on any machine.

OpenBLAS cuts a long dot product or matrix-vector product into one piece a thread and adds the pieces'
sums in another order than one thread does: the polish's float objective then differs in its last bits,
a tie breaks another way, and delicious (983 labels, order 2) got other folds with ``OPENBLAS_NUM_THREADS=1``
than with 2. Under :func:`one_blas_thread` every product is summed the way one thread sums it (for short
vectors, which OpenBLAS never cuts, that is what it did anyway: small inputs' splits are unchanged).

Setting and lifting the limit costs ~30-50 us a call (a tenth of a warm split of yeast), so a ``needed``
test can skip it where no product can be cut: OpenBLAS runs a matrix-vector product on one thread below
m x n = 9,216 entries and a dot product up to 10,000 (its ``interface/gemv.c`` and ``ddot`` thresholds), and
its matrix products cut the rows and columns, never the sums. :func:`blas_may_split` is that test for the
solver, whose float products have a label (or label pair) axis and a split axis.

The limit is process-wide (BLAS has no per-thread setting): calls from several threads at once (two app
sessions splitting together) share it; the first in sets one thread and the last out restores the pool.
"""

from __future__ import annotations

import functools
import threading

__all__ = ["one_blas_thread", "blas_may_split"]

_GEMV_ONE_THREAD = 9_216  # OpenBLAS: 2304 x GEMM_MULTITHREAD_THRESHOLD (4); below it, one thread

_lock = threading.Lock()
_state = {"inside": 0, "limit": None, "controller": None}


def one_blas_thread(solver=None, *, needed=None):
    """Decorate ``solver`` so that it runs with BLAS limited to one thread (see the module); with ``needed``
    (called with the solver's arguments), only when it returns True.

    Examples
    --------
    >>> import numpy as np
    >>> @one_blas_thread
    ... def total(a):
    ...     return float(a @ a)
    >>> total(np.ones(20_000))
    20000.0
    """

    if solver is None:
        return functools.partial(one_blas_thread, needed=needed)

    @functools.wraps(solver)
    def pinned(*args, **kwargs):
        if needed is not None and not needed(*args, **kwargs):
            return solver(*args, **kwargs)
        _enter()
        try:
            return solver(*args, **kwargs)
        finally:
            _leave()

    return pinned


def blas_may_split(columns: int, splits: int) -> bool:
    """Whether OpenBLAS may cut a product of the solver on ``columns`` columns (labels, or labels and pairs)
    and ``splits`` splits among threads.

    Examples
    --------
    >>> blas_may_split(14, 5), blas_may_split(14 + 91, 5), blas_may_split(983, 5), blas_may_split(20_000, 2)
    (False, False, False, True)
    >>> blas_may_split(983 * 982 // 2, 5)
    True
    """
    return columns * max(splits, 1) >= _GEMV_ONE_THREAD or columns > 10_000


def _enter() -> None:
    with _lock:
        if _state["inside"] == 0:
            _state["limit"] = _controller().limit(limits=1, user_api="blas")
        _state["inside"] += 1


def _leave() -> None:
    with _lock:
        _state["inside"] -= 1
        if _state["inside"] == 0 and _state["limit"] is not None:
            _state["limit"].restore_original_limits()
            _state["limit"] = None


def _controller():
    """threadpoolctl's view of the loaded BLAS libraries, made once (~1 ms; a limit through it then costs ~20 us)."""
    if _state["controller"] is None:
        from threadpoolctl import ThreadpoolController

        _state["controller"] = ThreadpoolController()
    return _state["controller"]
