"""Properties every sklearn-style splitter keeps, checked by hypothesis on generated labels, and their use
inside sklearn (check_cv, cross_val_score, GridSearchCV, cross_validate with groups).

Properties: the rows are partitioned (each in exactly one test fold per round; train and test
disjoint), sizes as promised (folds within one row, or one group; shuffle splits exactly sklearn's
rounded sizes), groups never split, the same seed gives the same splits, ``shuffle=False`` gives the
same folds on every call whatever numpy's global state, 1-D classes within one row of their share
per fold, and shuffle splits fair to tied classes over many seeds.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, check_cv, cross_val_score, cross_validate
from sklearn.multiclass import OneVsRestClassifier

from core.errors import DataError
from core.splits import (
    MultiTaskStratifiedGroupKFold,
    MultiTaskStratifiedKFold,
    MultiTaskStratifiedShuffleSplit,
    RepeatedMultiTaskStratifiedKFold,
    multitask_train_test_split,
)

PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def labelled(draw, min_rows=12):
    """(y, groups): 1-D classes, a 0/1 matrix (dense or sparse), a float matrix with NaN, or a mixed frame."""
    n = draw(st.integers(min_rows, 80))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    form = draw(st.sampled_from(["classes", "matrix", "sparse", "holey", "frame"]))
    if form == "classes":
        y = rng.integers(0, draw(st.integers(2, 4)), n)
    elif form in ("matrix", "sparse"):
        y = (rng.random((n, draw(st.integers(1, 6)))) < rng.uniform(0.05, 0.7)).astype(np.int8)
        y = sp.csr_matrix(y) if form == "sparse" else y
    elif form == "holey":
        y = rng.integers(0, 3, (n, 2)).astype(float)
        y[rng.random((n, 2)) < 0.2] = np.nan
    else:
        y = pd.DataFrame({"kind": rng.choice(["a", "b", "c"], n), "size": rng.normal(size=n),
                          "flag": np.where(rng.random(n) < 0.2, None, rng.choice(["y", "n"], n))})  # fmt: skip
    groups = rng.integers(0, max(n // draw(st.integers(1, 4)), 6), n)
    return y, groups


def run(cv, n, y, groups=None):
    """The (train, test) pairs, or None when the labels are too rare for 1-D checks (sklearn's errors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            return [(train, test) for train, test in cv.split(np.zeros(n), y, groups)]
        except DataError:
            event("labels too rare for a 1-D check")
            return None


def n_rows(y) -> int:
    return y.shape[0]


def assert_partition(pairs, n, rounds=1):
    tested = np.concatenate([test for _, test in pairs])
    assert np.array_equal(np.sort(tested), np.repeat(np.arange(n), rounds))
    for train, test in pairs:
        assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(n))


def assert_groups_whole(pairs, groups):
    for train, test in pairs:
        assert not set(groups[train]) & set(groups[test])


@PROPERTY
@given(data=labelled(), k=st.integers(2, 5), shuffle=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_kfold_partitions_sizes_and_determinism(data, k, shuffle, seed):
    y, _ = data
    n = n_rows(y)
    cv = MultiTaskStratifiedKFold(k, shuffle=shuffle, random_state=seed if shuffle else None)
    pairs = run(cv, n, y)
    if pairs is None:
        return
    assert len(pairs) == k == cv.get_n_splits()
    assert_partition(pairs, n)
    assert np.ptp([len(test) for _, test in pairs]) <= 1
    np.random.seed(seed % 1000)  # numpy's global state never matters
    again = run(cv, n, y)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(pairs, again, strict=True))


@PROPERTY
@given(data=labelled(), k=st.integers(2, 4), shuffle=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_group_kfold_keeps_groups_whole_and_sizes_within_a_group(data, k, shuffle, seed):
    y, groups = data
    n = n_rows(y)
    cv = MultiTaskStratifiedGroupKFold(k, shuffle=shuffle, random_state=seed if shuffle else None)
    pairs = run(cv, n, y, groups)
    if pairs is None:
        return
    assert_partition(pairs, n)
    assert_groups_whole(pairs, groups)
    largest = np.bincount(groups).max()
    assert all(abs(len(test) - n / k) <= largest for _, test in pairs)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(pairs, run(cv, n, y, groups), strict=True))


@PROPERTY
@given(data=labelled(), test_size=st.sampled_from([0.1, 0.25, 0.33, 0.5, 3]), train_size=st.sampled_from([None, 0.4]),
       seed=st.integers(0, 2**32 - 1), grouped=st.booleans())  # fmt: skip
def test_shuffle_split_sizes_disjoint_groups_and_seeds(data, test_size, train_size, seed, grouped):
    y, groups = data
    n = n_rows(y)
    cv = MultiTaskStratifiedShuffleSplit(3, test_size=test_size, train_size=train_size, random_state=seed)
    pairs = run(cv, n, y, groups if grouped else None)
    if pairs is None:
        return
    n_test = test_size if isinstance(test_size, int) else math.ceil(test_size * n)
    n_train = n - n_test if train_size is None else math.floor(train_size * n)
    for train, test in pairs:
        assert not set(train) & set(test) and set(train) | set(test) <= set(range(n))
        if not grouped:
            assert (len(train), len(test)) == (n_train, n_test)
    if grouped:
        assert_groups_whole(pairs, groups)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(pairs, run(cv, n, y, groups if grouped else None), strict=True))


@PROPERTY
@given(data=labelled(), k=st.integers(2, 4), repeats=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_repeated_kfold_partitions_every_round(data, k, repeats, seed):
    y, _ = data
    n = n_rows(y)
    cv = RepeatedMultiTaskStratifiedKFold(n_splits=k, n_repeats=repeats, random_state=seed)
    pairs = run(cv, n, y)
    if pairs is None:
        return
    assert len(pairs) == cv.get_n_splits() == k * repeats
    for r in range(repeats):
        assert_partition(pairs[r * k : (r + 1) * k], n)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(pairs, run(cv, n, y), strict=True))


@PROPERTY
@given(data=labelled(min_rows=20), val=st.sampled_from([None, 0.2]), seed=st.integers(0, 2**32 - 1))
def test_train_test_split_partitions_the_rows(data, val, seed):
    y, groups = data
    n = n_rows(y)
    rows = np.arange(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        try:
            parts = multitask_train_test_split(rows, groups, stratify=y, groups=groups, val_size=val, random_state=seed)
        except DataError:
            return
    sets = parts[: len(parts) // 2]
    assert np.array_equal(np.sort(np.concatenate(sets)), rows)
    owners = [set(groups[s]) for s in sets]
    assert all(not owners[i] & owners[j] for i in range(len(sets)) for j in range(i + 1, len(sets)))


@PROPERTY
@given(counts=st.lists(st.integers(5, 40), min_size=2, max_size=4), k=st.integers(2, 5), shuffle=st.booleans(),
       seed=st.integers(0, 2**32 - 1))  # fmt: skip
def test_one_task_classes_within_one_row_of_their_share_in_every_fold(counts, k, shuffle, seed):
    y = np.random.default_rng(seed).permutation(np.repeat(np.arange(len(counts)), counts))
    cv = MultiTaskStratifiedKFold(k, shuffle=shuffle, random_state=seed if shuffle else None)
    for _, test in cv.split(np.zeros(len(y)), y):
        per_class = np.bincount(y[test], minlength=len(counts))
        assert np.all(np.abs(per_class - np.array(counts) / k) < 1)


def test_unshuffled_folds_ignore_numpy_state_and_earlier_shuffled_calls():
    y = np.random.default_rng(0).integers(0, 2, (50, 3))
    fixed = MultiTaskStratifiedKFold(5)
    first = run(fixed, 50, y)
    np.random.seed(123)
    run(MultiTaskStratifiedKFold(5, shuffle=True), 50, y)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, run(MultiTaskStratifiedKFold(5), 50, y), strict=True))


@pytest.mark.parametrize(
    ("y", "test_size", "order"),
    [(np.repeat([0, 1, 2], 3), 0.5, 1), (load_iris().target, 0.25, 1), (np.repeat([0, 1, 2], 3), 0.5, 2)],
    ids=["repeat-0-1-2", "iris", "repeat-0-1-2-order-2"],
)
def test_shuffle_split_breaks_ties_by_the_seed(y, test_size, order):
    """Issue 14's tie defect: classes tying for the extra test row got it for every seed (rows 3-5 of
    repeat([0,1,2],3) in test 66% of the time, the others 33%). Over 1,000 seeds now, each class's mean
    row frequency is within 3 points of fair, as is every row on the 9 rows; on iris's 150 rows, where
    1,000 draws have a binomial noise of 1.4 points per row (sklearn's own StratifiedShuffleSplit
    spreads -3.5/+3.7 points there), every row is within 4.5 points (3.3 standard deviations).
    Order 2 takes the batched deal, whose column order is salted the same way."""
    n = len(y)
    fair = math.ceil(test_size * n) / n
    frequency = np.zeros(n)
    for seed in range(1000):
        cv = MultiTaskStratifiedShuffleSplit(1, test_size=test_size, random_state=seed, order=order)
        _, test = next(cv.split(np.zeros(n), y))
        frequency[test] += 1
    frequency /= 1000
    for label in np.unique(y):
        assert abs(frequency[y == label].mean() - fair) < 0.03
    assert np.abs(frequency - fair).max() < (0.03 if n < 20 else 0.045)


# --------------------------------------------------------------------------- inside sklearn


def tasks_and_features(n=150, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X, y, np.column_stack([y, (X[:, 1] > 0).astype(int)]), np.repeat(np.arange(n // 5), 5)


@pytest.mark.parametrize(
    "cv",
    [MultiTaskStratifiedKFold(5), MultiTaskStratifiedKFold(5, shuffle=True, random_state=0), MultiTaskStratifiedGroupKFold(3),
     MultiTaskStratifiedShuffleSplit(3, test_size=0.25, random_state=0),
     RepeatedMultiTaskStratifiedKFold(n_splits=3, n_repeats=2, random_state=0)],
    ids=lambda cv: type(cv).__name__,
)  # fmt: skip
def test_check_cv_cross_val_score_cross_validate_with_groups(cv):
    X, y, _, groups = tasks_and_features()
    assert check_cv(cv, y, classifier=True) is cv
    scores = cross_val_score(LogisticRegression(), X, y, groups=groups, cv=cv)
    assert scores.shape == (cv.get_n_splits(),) and scores.mean() > 0.8
    result = cross_validate(LogisticRegression(), X, y, groups=groups, cv=cv, return_indices=True)
    for train, test in zip(result["indices"]["train"], result["indices"]["test"], strict=True):
        assert not set(groups[train]) & set(groups[test])


def test_unshuffled_cross_val_score_compares_models_on_the_same_folds():
    X, y, _, _ = tasks_and_features()
    cv = MultiTaskStratifiedKFold(5)
    assert np.array_equal(cross_val_score(LogisticRegression(), X, y, cv=cv), cross_val_score(LogisticRegression(), X, y, cv=cv))


def test_grid_search_on_many_tasks():
    X, _, tasks, groups = tasks_and_features()
    search = GridSearchCV(OneVsRestClassifier(LogisticRegression()), {"estimator__C": [0.1, 1.0]},
                          cv=MultiTaskStratifiedGroupKFold(3))  # fmt: skip
    search.fit(X, tasks, groups=groups)
    assert search.best_params_["estimator__C"] in (0.1, 1.0) and len(search.cv_results_["split2_test_score"]) == 2
