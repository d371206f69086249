"""The polish of many groups (core.splits.stratify._repair, ``_WIDE_POLISH_UNITS``): wider exchanges, fewer passes."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from core.splits.stratify import _balance, _repair, stratify

SHARES = np.array([0.7, 0.15, 0.15])


def _groups(n_groups: int, seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray]:
    """Groups of ~20 rows with 12 correlated binary labels (0.1%-40%): each group's positives per label."""
    rng = np.random.default_rng(seed)
    sizes = rng.poisson(20, n_groups) + 1
    rates = np.geomspace(0.001, 0.4, 12)
    lift = np.exp(0.6 * rng.standard_normal(n_groups))  # labels of a group run together
    counts = rng.binomial(sizes[:, None], np.minimum(rates[None, :] * lift[:, None], 0.95))
    return sp.csr_matrix(counts.astype(np.int32)), sizes


def _deviation(counts, sizes, split) -> float:
    """Mean over labels and splits of |positives - share of the label's positives|, in rows."""
    held = np.vstack([np.asarray(counts[split == s].sum(axis=0)).ravel() for s in range(len(SHARES))])
    return float(np.abs(held - SHARES[:, None] * held.sum(axis=0)).mean())


def _passes(monkeypatch, counts, sizes) -> tuple[np.ndarray, int]:
    calls = []
    original = _balance.Balance.move_costs
    monkeypatch.setattr(_balance.Balance, "move_costs", lambda self: calls.append(1) or original(self))
    split = stratify(counts, SHARES, rng=np.random.default_rng(1), sizes=sizes)
    monkeypatch.undo()
    return split, len(calls)


def test_many_groups_are_polished_in_a_third_of_the_passes_and_balance_as_well(monkeypatch):
    """60,000 groups: the wide polish (64 units a side, a third of the rounds' budget) makes fewer passes over
    every unit than the narrow one (8 a side) and leaves the labels as balanced (within 1.5x of its mean
    deviation in rows); the sizes stay within one group of their shares. (On the 100M-row bench's batches of
    156,000 groups the budget binds: 10 passes instead of 30.)"""
    counts, sizes = _groups(60_000)
    assert len(sizes) >= _repair._WIDE_POLISH_UNITS
    wide, wide_passes = _passes(monkeypatch, counts, sizes)
    monkeypatch.setattr(_repair, "_WIDE_POLISH_UNITS", 10**9)  # the narrow polish of smaller tables
    narrow, narrow_passes = _passes(monkeypatch, counts, sizes)
    assert 0 < wide_passes < narrow_passes
    assert _deviation(counts, sizes, wide) <= 1.5 * max(_deviation(counts, sizes, narrow), 1.0)
    rows = np.bincount(wide, weights=sizes, minlength=3)
    assert np.all(np.abs(rows - SHARES * sizes.sum()) <= sizes.max())


def _bound_budget(monkeypatch, counts, sizes, rounds: int) -> None:
    """A polish budget of ``rounds`` narrow rounds (binding below the 7 the narrow polish takes here)."""
    work = len(SHARES) * (counts.nnz + counts.shape[0])
    monkeypatch.setattr(_repair, "_POLISH_WORK", rounds * work)


def test_fewer_groups_keep_the_narrow_polish(monkeypatch):
    """Below ``_WIDE_POLISH_UNITS`` groups nothing changes: the same split whatever the wide settings say, with a
    budget that binds (so a wide path taken by mistake would cut the rounds and change it)."""
    counts, sizes = _groups(3_000, seed=2)
    _bound_budget(monkeypatch, counts, sizes, 6)
    before = stratify(counts, SHARES, rng=np.random.default_rng(4), sizes=sizes)
    monkeypatch.setattr(_repair, "_WIDE_SHORTLIST", 2)
    monkeypatch.setattr(_repair, "_WIDE_WORK_CUT", 4)
    after = stratify(counts, SHARES, rng=np.random.default_rng(4), sizes=sizes)
    assert np.array_equal(before, after)


def test_the_wide_polish_makes_fewer_passes_when_the_budget_binds(monkeypatch):
    """The same 3,000 groups through the wide path (threshold lowered) under a budget of 6 narrow rounds (the
    narrow polish converges in 7 here, the wide one in 4): a third of the rounds (at least the minimum), each a
    pass over every unit."""
    counts, sizes = _groups(3_000, seed=2)
    _bound_budget(monkeypatch, counts, sizes, 6)
    _, narrow_passes = _passes(monkeypatch, counts, sizes)
    _bound_budget(monkeypatch, counts, sizes, 6)
    monkeypatch.setattr(_repair, "_WIDE_POLISH_UNITS", 0)
    _, wide_passes = _passes(monkeypatch, counts, sizes)
    assert narrow_passes == 6
    assert wide_passes == max(_repair._POLISH_MIN_ROUNDS, 6 // _repair._WIDE_WORK_CUT) < narrow_passes
