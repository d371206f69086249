"""The solver's split must not depend on how many threads BLAS runs (core.splits.stratify._threads)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_info

from core.errors import ConfigError
from core.splits.stratify import stratify
from core.splits.stratify._threads import _state, one_blas_thread

ROOT = Path(__file__).resolve().parents[1]

# 3,000 rows x 300 labels at order 2: ~45,000 pair columns, long enough for OpenBLAS to cut the polish's products
# among threads (before the fix, OPENBLAS_NUM_THREADS=1 and 2 gave other folds on every seed of this set).
_SCRIPT = """
import hashlib, threading, numpy as np, scipy.sparse as sp
from core.splits.stratify import stratify
rng = np.random.default_rng(0)
Y = sp.csr_matrix((rng.random((3000, 300)) < 0.05).astype(np.uint8))
out = []
def run():  # in a thread of its own, as the app's script threads run it
    out.extend(hashlib.md5(stratify(Y, [0.2] * 5, rng=np.random.default_rng(s), order=2).tobytes()).hexdigest()
               for s in range(2))
worker = threading.Thread(target=run)
worker.start()
worker.join()
print(" ".join(out))
"""

def _digests(threads: int) -> str:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(threads), "OMP_NUM_THREADS": str(threads), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=300, check=True)
    return done.stdout.strip()


def test_order_two_split_is_the_same_with_one_or_two_blas_threads():
    assert _digests(1) == _digests(2)


def _blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_blas_runs_one_thread_inside_and_is_restored_after():
    seen = []
    before = _blas_threads()

    @one_blas_thread
    def probe():
        seen.extend(_blas_threads())

    probe()
    assert seen and set(seen) == {1}
    assert _blas_threads() == before


def test_the_pool_is_restored_only_when_the_last_of_several_threads_leaves():
    before = _blas_threads()
    inside, release, seen = threading.Barrier(3), threading.Event(), []

    @one_blas_thread
    def hold():
        inside.wait()
        release.wait()
        seen.append(_state["limit"] is not None)

    workers = [threading.Thread(target=hold) for _ in range(2)]
    for w in workers:
        w.start()
    inside.wait()  # both are inside
    assert _state["inside"] == 2
    release.set()
    for w in workers:
        w.join()
    assert seen == [True, True]  # the first one out did not lift the limit under the other
    assert _state["inside"] == 0 and _state["limit"] is None
    assert _blas_threads() == before


def test_an_error_inside_still_restores_the_pool():
    before = _blas_threads()
    Y = sp.csr_matrix(np.eye(4, dtype=np.uint8))
    with pytest.raises(ConfigError):  # shares that do not sum to 1
        stratify(Y, [0.5, 0.6], rng=np.random.default_rng(0))
    assert _blas_threads() == before


def test_a_small_problem_skips_the_limit_and_a_large_one_takes_it(monkeypatch):
    import core.splits.stratify._threads as threads

    entered = []
    monkeypatch.setattr(threads, "_enter", lambda: entered.append(1))
    monkeypatch.setattr(threads, "_leave", lambda: None)
    small = sp.csr_matrix((np.random.default_rng(0).random((200, 14)) < 0.3).astype(np.uint8))
    stratify(small, [0.2] * 5, rng=np.random.default_rng(0), order=2)  # 14 + 91 columns x 5 splits: never cut
    assert entered == []
    wide = sp.csr_matrix((np.random.default_rng(0).random((200, 2_000)) < 0.01).astype(np.uint8))
    stratify(wide, [0.2] * 5, rng=np.random.default_rng(0))  # 2,000 columns x 5 splits: OpenBLAS may cut them
    assert entered == [1]
