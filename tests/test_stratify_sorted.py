"""Tests for the sorted deal (core/splits/stratify/_sorted.py): twin swaps, its fallback, and its use by stratify."""

from __future__ import annotations

import importlib.resources

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_multilabel_classification

import core.splits.stratify._engine as stratify_module
from core.diagnostics import split_quality
from core.splits.stratify import largest_remainder, stratify
from core.splits.stratify._deal import deal as deal_in_batches
from core.splits.stratify._engine import _canonical_order
from core.splits.stratify._sorted import SORTED_POLISH_ROWS, _moves, _within_one, small_binary, sorted_deal

PROPERTY = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def yeast() -> sp.csr_matrix:
    path = importlib.resources.files("river") / "datasets" / "yeast.csv.gz"
    with importlib.resources.as_file(path) as file:
        frame = pd.read_csv(file)
    return sp.csr_matrix(frame[[f"Class{i}" for i in range(1, 15)]].to_numpy(dtype=np.uint8))


def deal(Y, fractions, seed):
    """sorted_deal as stratify calls it: (assignment, demand, rows off), and the targets."""
    binary = small_binary(Y)
    shares = np.asarray(fractions, dtype=float)
    targets = largest_remainder(binary.shape[0], shares)
    rng = np.random.default_rng(seed)
    return sorted_deal(binary, shares, targets, rng.permutation(binary.shape[0]), rng)[:3], targets


def per_split(Y, assignment, k):
    onehot = sp.csr_matrix((np.ones(len(assignment)), (np.arange(len(assignment)), assignment)), shape=(len(assignment), k))
    return (sp.csr_matrix(Y).T.astype(float) @ onehot).toarray()


@st.composite
def label_sets(draw):
    """0/1 rows over few labels with many repeated label sets, so twins exist (or, at times, not)."""
    n = draw(st.integers(1, 400))
    n_labels = draw(st.integers(0, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    rates = rng.choice([0.03, 0.2, 0.5, 0.9], n_labels)
    Y = (rng.random((n, n_labels)) < rates).astype(np.uint8)
    k = draw(st.integers(2, 6))
    fractions = [1 / k] * k if draw(st.booleans()) else list(rng.dirichlet(np.ones(k)) * 0.9 + 0.1 / k)
    return Y, fractions, draw(st.integers(0, 2**32 - 1))


@PROPERTY
@given(label_sets())
def test_a_sorted_deal_hits_the_sizes_and_reports_the_rows_it_left_off(case):
    Y, fractions, seed = case
    (assignment, demand, rows_off), targets = deal(Y, fractions, seed)
    k = len(fractions)
    assert np.bincount(assignment, minlength=k).tolist() == targets.tolist()
    got = per_split(Y, assignment, k)
    share = Y.sum(axis=0)[:, None] * np.asarray(fractions)[None, :]
    columns = _canonical_order(sp.csr_matrix(Y))
    np.testing.assert_allclose(demand, (share - got)[columns], atol=1e-9)  # canonical order, as the polish reads it
    off = np.maximum(got - np.ceil(share - 1e-9), 0).sum(axis=1), np.maximum(np.floor(share + 1e-9) - got, 0).sum(axis=1)
    assert rows_off == int(np.maximum(*off).sum())  # 0: every label within one row of its share


@PROPERTY
@given(label_sets())
def test_stratify_keeps_its_promises_on_either_path(case):
    Y, fractions, seed = case
    assignment = stratify(Y, fractions, rng=np.random.default_rng(seed))
    assert np.bincount(assignment, minlength=len(fractions)).tolist() == largest_remainder(len(Y), fractions).tolist()
    assert np.array_equal(assignment, stratify(sp.csr_matrix(Y), fractions, rng=np.random.default_rng(seed)))


def test_yeast_needs_no_polish_and_beats_the_batched_deal_on_label_pairs():
    Y = yeast()
    names = np.array([f"fold-{i}" for i in range(5)])
    sorted_quality, batched_quality = [], []
    for seed in range(3):
        (assignment, _, rows_off), _ = deal(Y, [0.2] * 5, seed)
        assert rows_off == 0  # every label mended by twin swaps alone
        sorted_quality.append(split_quality(Y, names[assignment]))
        batched = stratify(sp.hstack([Y, sp.csr_matrix((Y.shape[0], 50), dtype=np.uint8)]).tocsr(), [0.2] * 5,
                           rng=np.random.default_rng(seed))  # 64 columns: the batched deal and its polish
        batched_quality.append(split_quality(Y, names[batched]))
    assert np.mean([q.lpd for q in sorted_quality]) < np.mean([q.lpd for q in batched_quality])
    assert np.mean([q.ld for q in sorted_quality]) <= 1.05 * np.mean([q.ld for q in batched_quality])


def test_a_label_with_few_twins_is_dealt_again_as_the_most_significant():
    # Yeast as the sklearn splitters see it: the two majority labels flipped to their absences. The
    # absence of Class12 has two twins only; the first deal leaves it off, the second spreads it itself.
    Y = yeast().toarray().astype(bool)
    Y[:, Y.sum(axis=0) > Y.shape[0] / 2] ^= True  # the majority labels flipped to their absences
    for seed in range(3):
        (_, _, rows_off), _ = deal(Y, [0.2] * 5, seed)
        assert rows_off == 0


def test_one_hot_classes_are_mended_by_cousin_swaps():
    # Two 3-class tasks, one-hot: every row holds exactly one class of each, so no row has a twin
    # (the same labels but one); a class is mended by trading it for another class of its task.
    rng = np.random.default_rng(0)
    first, second = rng.choice(3, 600, p=[0.6, 0.3, 0.1]), rng.choice(3, 600, p=[0.5, 0.4, 0.1])
    Y = np.hstack([np.eye(3, dtype=np.uint8)[first], np.eye(3, dtype=np.uint8)[second]])
    for seed in range(3):
        (assignment, _, rows_off), _ = deal(Y, [0.2] * 5, seed)
        assert rows_off == 0
        assert np.abs(per_split(Y, assignment, 5) - Y.sum(axis=0)[:, None] / 5).max() < 1


def test_far_off_labels_go_to_the_batched_deal(monkeypatch):
    from core.data import load_builtin
    from core.tasks import indicator_matrix

    wagepan = load_builtin("wagepan")
    Y, _ = indicator_matrix(wagepan.frame, wagepan.tasks)  # 37 columns of one-hot classes and bins
    (_, _, rows_off), _ = deal(Y, [0.2] * 5, 0)
    assert rows_off > SORTED_POLISH_ROWS
    batched = []
    monkeypatch.setattr(stratify_module, "deal", lambda *args: batched.append(1) or deal_in_batches(*args))
    assignment = stratify(Y, [0.2] * 5, rng=np.random.default_rng(0))
    assert batched == [1]
    assert np.bincount(assignment).tolist() == [872] * 5
    # and where the sorted deal mends every label, the batched deal never runs
    stratify(yeast(), [0.2] * 5, rng=np.random.default_rng(0))
    assert batched == [1]


def test_the_sorted_deal_takes_small_zero_one_matrices_only():
    eye = np.eye(4, dtype=np.uint8)
    for form in (eye, eye.astype(bool), eye.astype(np.int64), eye.astype(float), sp.csr_matrix(eye)):
        assert small_binary(form).dtype == bool
    assert small_binary(2 * eye) is None  # counts: groups, the batched deal
    assert small_binary(-eye) is None
    assert small_binary(eye * 0.5) is None
    assert small_binary(np.full((3, 2), np.nan)) is None  # the batched path names the problem
    assert small_binary(np.zeros((10, 63), dtype=np.uint8)) is None  # beyond one 62-bit key
    assert small_binary(sp.csr_matrix((100_000, 50), dtype=np.uint8)) is None  # 5 million cells
    assert small_binary(np.zeros(5)) is None


@PROPERTY
@given(label_sets())
def test_the_sorted_deal_orders_columns_as_the_batched_deal_does(case):
    Y, fractions, seed = case
    binary = small_binary(Y)
    shares = np.asarray(fractions)
    rng = np.random.default_rng(seed)
    *_, columns, units = sorted_deal(binary, shares, largest_remainder(len(Y), shares), rng.permutation(len(Y)), rng)
    assert np.array_equal(columns, _canonical_order(sp.csr_matrix(Y)))
    assert units.tolist() == Y.sum(axis=0).tolist()


def test_realistic_multilabel_data_is_within_one_row_per_label_on_both_paths():
    for n_classes in (30, 70):  # 30 labels: the sorted deal; 70: the batched deal and its polish
        _, Y = make_multilabel_classification(
            n_samples=4000, n_features=5, n_classes=n_classes, n_labels=3, return_indicator="sparse", random_state=2
        )
        assignment = stratify(Y, [0.7, 0.15, 0.15], rng=np.random.default_rng(1))
        got = per_split(Y, assignment, 3)
        assert np.abs(got - Y.sum(axis=0).A1[:, None] * np.array([0.7, 0.15, 0.15])).max() < 1


@pytest.mark.parametrize(
    ("row", "low", "high", "share", "want"),
    [
        ([5, 1, 3], [3, 3, 3], [3, 3, 3], [3.0, 3.0, 3.0], [3, 3, 3]),  # whole shares: two rows move
        ([4, 4, 1], [3, 3, 2], [4, 4, 3], [3.5, 3.2, 2.3], [4, 3, 2]),  # the split furthest above its share is lowered
        ([2, 2, 2], [2, 2, 2], [2, 2, 2], [2.0, 2.0, 2.0], [2, 2, 2]),  # already within: nothing moves
    ],
)
def test_within_one_keeps_the_total_and_moves_as_little_as_it_can(row, low, high, share, want):
    assert _within_one(row, low, high, share) == want
    moves = _moves(row, want)
    after = list(row)
    for giver, taker, rows in moves:
        after[giver] -= rows
        after[taker] += rows
    assert after == want
    assert sum(rows for _, _, rows in moves) == sum(max(r - w, 0) for r, w in zip(row, want, strict=True))


def test_label_sets_are_exact_up_to_62_labels():
    from core.splits.stratify._sorted import _label_sets

    rng = np.random.default_rng(0)
    for n_labels in (1, 14, 52, 53, 62):
        binary = rng.random((50, n_labels)) < 0.5
        expected = [sum(1 << c for c in np.flatnonzero(row)) for row in binary]
        assert _label_sets(binary).tolist() == expected


def test_sixty_labels_take_the_sorted_deal_and_keep_every_promise():
    _, Y = make_multilabel_classification(
        n_samples=3000, n_features=5, n_classes=60, n_labels=4, return_indicator="dense", random_state=3
    )
    (assignment, _, rows_off), targets = deal(Y, [0.2] * 5, 0)
    assert np.bincount(assignment).tolist() == targets.tolist()
    if rows_off == 0:
        assert np.abs(per_split(Y, assignment, 5) - Y.sum(axis=0)[:, None] / 5).max() < 1
    split = stratify(Y, [0.2] * 5, rng=np.random.default_rng(0))
    assert np.array_equal(split, stratify(sp.csr_matrix(Y), [0.2] * 5, rng=np.random.default_rng(0)))


def _edge_cases():
    """Small 0/1 sets with the edges of the sorted deal: a label on one row, all-zero rows, more folds
    than a label's positives, a single row, labels on every row."""
    rng = np.random.default_rng(7)
    for n, n_labels, k in [(1, 3, 2), (2, 1, 5), (7, 8, 10), (60, 9, 3), (400, 14, 5), (1500, 16, 7), (300, 5, 4)]:
        Y = (rng.random((n, n_labels)) < rng.choice([0.02, 0.3, 0.7], n_labels)).astype(np.uint8)
        Y[:, 0] = 0
        Y[rng.integers(n), 0] = 1  # a label on one row
        Y[rng.random(n) < 0.2] = 0  # all-zero rows
        if n_labels > 2:
            Y[:, -1] = 1  # a label on every row
        fractions = [1 / k] * k if n % 2 else list(rng.dirichlet(np.ones(k)) * 0.8 + 0.2 / k)
        yield Y, fractions


def test_the_radix_order_of_small_label_sets_gives_the_splits_of_the_general_sort(monkeypatch):
    import core.splits.stratify._sorted as sorted_module

    cases = list(_edge_cases())
    fast = [stratify(Y, fractions, rng=np.random.default_rng(seed)) for seed in range(3) for Y, fractions in cases]
    taken = []
    general = sorted_module._by_label_set

    def by_64_bit_keys(keys, shuffle, n_labels):
        taken.append(keys.itemsize)
        return general(keys.astype(np.int64), shuffle, n_labels)  # key * n + shuffle, one quicksort

    monkeypatch.setattr(sorted_module, "_by_label_set", by_64_bit_keys)
    slow = [stratify(Y, fractions, rng=np.random.default_rng(seed)) for seed in range(3) for Y, fractions in cases]
    assert set(taken) == {1, 2}  # both small key widths were on the fast path
    for expected, got in zip(slow, fast, strict=True):
        assert np.array_equal(expected, got)


def test_small_label_sets_keep_their_values():
    from core.splits.stratify._sorted import _label_sets

    rng = np.random.default_rng(1)
    for n_labels, kind in ((1, np.uint8), (8, np.uint8), (9, np.uint16), (16, np.uint16), (17, np.int64)):
        binary = rng.random((40, n_labels)) < 0.5
        columns = rng.permutation(n_labels).tolist()
        small = _label_sets(binary, columns=columns, small=True)
        assert small.dtype == kind
        assert small.tolist() == [sum(1 << bit for bit, c in enumerate(columns) if row[c]) for row in binary]


def test_the_round_robin_deals_as_the_interleave_of_near_equal_targets():
    from core.splits.stratify._deal import interleave
    from core.splits.stratify._sorted import _round_robin

    rng = np.random.default_rng(2)
    for n, k in ((10, 3), (2417, 5), (7, 10), (1, 2)):
        targets = largest_remainder(n, [1 / k] * k)
        priority = rng.permutation(k)
        per_set = np.diff(np.r_[0, np.sort(rng.integers(0, n + 1, 6)), n])
        counts = np.r_[0, per_set]
        sequence = interleave(targets, priority)  # the general deal: count the places of each stretch
        ends = np.cumsum(per_set)
        expected = [np.bincount(sequence[end - size : end], minlength=k) for end, size in zip(ends, per_set, strict=True)]
        assert np.array_equal(_round_robin(targets, priority)(counts), np.array(expected))


def test_fair_ties_without_a_generator_deal_in_data_order():
    # rng=None draws nothing: fair ties then break as the data order does (it raised a numpy error).
    Y = np.eye(4, dtype=np.uint8)[np.arange(40) % 4]
    split = stratify(Y, [0.5, 0.5], rng=None, fair_ties=True)
    assert np.array_equal(split, stratify(Y, [0.5, 0.5], rng=None))  # the sorted deal's salt is its fixed one
    batched = sp.csr_matrix(np.hstack([Y, np.zeros((40, 70), dtype=np.uint8)]))  # 74 columns: the batched deal
    assert np.array_equal(stratify(batched, [0.5, 0.5], rng=None, fair_ties=True),
                          stratify(batched, [0.5, 0.5], rng=None, fair_ties=True))  # fmt: skip
