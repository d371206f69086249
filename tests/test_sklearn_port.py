"""scikit-learn's own splitter tests, and iterative-stratification's, run against our classes.

Ported by hand from scikit-learn 1.9.1's ``sklearn/model_selection/tests/test_split.py`` (each test
names the sklearn test it ports) with ``StratifiedKFold`` -> :class:`MultiTaskStratifiedKFold`,
``StratifiedGroupKFold`` -> :class:`MultiTaskStratifiedGroupKFold`, ``StratifiedShuffleSplit`` ->
:class:`MultiTaskStratifiedShuffleSplit`, ``RepeatedStratifiedKFold`` ->
:class:`RepeatedMultiTaskStratifiedKFold`. Where sklearn asserts an exact draw of its own random
generator (``test_repeated_stratified_kfold_deterministic_split``), the port asserts what the test
is about (the same splits on every call). Where sklearn asserts its own imperfect folds
(``test_stratified_group_kfold_approximate``), the port asserts ours are at least as good.
At the end, iterative-stratification 0.1.9's test and README examples, with its
``MultilabelStratifiedKFold`` -> ours.
"""

from __future__ import annotations

import warnings
from itertools import permutations

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from sklearn.datasets import load_digits
from sklearn.model_selection import KFold, StratifiedKFold, check_cv, cross_val_score
from sklearn.svm import SVC

from core.splits import (
    MultiTaskStratifiedGroupKFold,
    MultiTaskStratifiedKFold,
    MultiTaskStratifiedShuffleSplit,
    RepeatedMultiTaskStratifiedKFold,
)

KFOLDS = (MultiTaskStratifiedKFold, MultiTaskStratifiedGroupKFold)


def _split(cv, X, y, groups):
    """sklearn's ``_split``: group splitters get the groups."""
    return cv.split(X, y, groups) if isinstance(cv, MultiTaskStratifiedGroupKFold) else cv.split(X, y)


def check_cv_coverage(cv, X, y, groups, expected_n_splits):
    """sklearn's helper: valid splits, the right number, every sample tested."""
    n = len(X)
    assert cv.get_n_splits(X, y, groups) == expected_n_splits
    tested, iterations = set(), 0
    for train, test in cv.split(X, y, groups):
        assert not set(train) & set(test) and set(train) | set(test) == set(range(n))
        tested.update(test)
        iterations += 1
    assert iterations == expected_n_splits and tested == set(range(n))


def test_cross_validator_with_default_params():
    """Ports test_cross_validator_with_default_params: get_n_splits, 1-D X, integer indices, repr."""
    X, X_1d = np.array([[1, 2], [3, 4], [5, 6], [7, 8]]), np.array([1, 2, 3, 4])
    y, groups = np.array([1, 1, 2, 2]), np.array([1, 2, 3, 4])
    cases = [
        (MultiTaskStratifiedKFold(2), "MultiTaskStratifiedKFold(n_splits=2, order=1, random_state=None, shuffle=False)", 2),
        (MultiTaskStratifiedGroupKFold(2), "MultiTaskStratifiedGroupKFold(n_splits=2, order=1, random_state=None, shuffle=False)", 2),
        (MultiTaskStratifiedShuffleSplit(random_state=0, test_size=0.5),
         "MultiTaskStratifiedShuffleSplit(n_splits=10, order=1, random_state=0, test_size=0.5, train_size=None)", 10),
        (RepeatedMultiTaskStratifiedKFold(n_splits=2, random_state=0),
         "RepeatedMultiTaskStratifiedKFold(n_repeats=10, n_splits=2, order=1, random_state=0)", 20),
    ]  # fmt: skip
    for cv, cv_repr, n_splits in cases:
        assert cv.get_n_splits(X, y, groups) == n_splits
        np.testing.assert_equal(list(cv.split(X, y, groups)), list(cv.split(X_1d, y, groups)))
        for train, test in cv.split(X, y, groups):
            assert train.dtype.kind == "i" and test.dtype.kind == "i"
        assert " ".join(repr(cv).split()) == cv_repr


def test_2d_y():
    """Ports test_2d_y: 1-D, column and multi-label y all split (ours never refuse multi-label)."""
    rng = np.random.RandomState(1)
    X, y = rng.randint(0, 3, size=(30, 2)), rng.randint(0, 3, size=(30,))
    multilabel, groups = rng.randint(0, 2, size=(30, 3)), rng.randint(0, 3, size=(30,))
    for cv in (MultiTaskStratifiedKFold(), RepeatedMultiTaskStratifiedKFold(), MultiTaskStratifiedGroupKFold(3),
               MultiTaskStratifiedShuffleSplit(test_size=0.5)):  # fmt: skip
        for labels in (y, y.reshape(-1, 1), multilabel):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                assert len(list(_split(cv, X, labels, groups))) == cv.get_n_splits()


def test_kfold_valueerrors():
    """Ports test_kfold_valueerrors: rare classes warn, all-rare raise, bad n_splits/shuffle raise at construction."""
    X2 = np.array([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]])
    y = np.array([3, 3, -1, -1, 3])
    with pytest.warns(Warning, match="The least populated class"):
        next(MultiTaskStratifiedKFold(3).split(X2, y))
    with pytest.warns(Warning, match="The least populated class"):
        next(MultiTaskStratifiedGroupKFold(3).split(X2, y, np.arange(5)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_cv_coverage(MultiTaskStratifiedKFold(3), X2, y, groups=None, expected_n_splits=3)
        check_cv_coverage(MultiTaskStratifiedGroupKFold(3), X2, y, groups=np.arange(5), expected_n_splits=3)
    y = np.array([3, 3, -1, -1, 2])
    with pytest.raises(ValueError):
        next(MultiTaskStratifiedKFold(3).split(X2, y))
    with pytest.raises(ValueError):
        next(MultiTaskStratifiedGroupKFold(3).split(X2, y, np.arange(5)))
    for cls in (*KFOLDS, lambda k, **kw: RepeatedMultiTaskStratifiedKFold(n_splits=k, **kw)):
        for bad in (0, 1):
            with pytest.raises(ValueError, match="k-fold cross-validation requires at least one train/test split"):
                cls(bad)
        for bad in (1.5, 2.0):
            with pytest.raises(ValueError):
                cls(bad)
    for cls in KFOLDS:
        with pytest.raises(TypeError):
            cls(n_splits=4, shuffle=None)


def test_stratified_kfold_no_shuffle():
    """Ports test_stratified_kfold_no_shuffle: unshuffled, one 1-D task gets exactly StratifiedKFold's folds."""
    splits = MultiTaskStratifiedKFold(2).split(np.ones(4), [1, 1, 0, 0])
    train, test = next(splits)
    assert_array_equal(test, [0, 2]) and assert_array_equal(train, [1, 3])
    train, test = next(splits)
    assert_array_equal(test, [1, 3]) and assert_array_equal(train, [0, 2])
    splits = MultiTaskStratifiedKFold(2).split(np.ones(7), [1, 1, 1, 0, 0, 0, 0])
    train, test = next(splits)
    assert_array_equal(test, [0, 1, 3, 4]) and assert_array_equal(train, [2, 5, 6])
    train, test = next(splits)
    assert_array_equal(test, [2, 5, 6]) and assert_array_equal(train, [0, 1, 3, 4])
    assert MultiTaskStratifiedKFold(5).get_n_splits(np.ones(7), [1] * 7) == 5
    y1, y2 = ["1", "1", "1", "0", "0", "0", "0"], [1, 1, 1, 0, 0, 0, 0]
    cv = MultiTaskStratifiedKFold(2)
    np.testing.assert_equal(list(cv.split(np.ones(7), y1)), list(cv.split(np.ones(7), y2)))
    y = [0, 1, 0, 1, 0, 1, 0, 1]
    np.testing.assert_equal(list(MultiTaskStratifiedKFold(3).split(np.ones(8), y)), list(KFold(3).split(np.ones(8))))


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("k", [4, 5, 6, 7, 8, 9, 10])
@pytest.mark.parametrize("kfold", KFOLDS)
def test_stratified_kfold_ratios(k, shuffle, kfold):
    """Ports test_stratified_kfold_ratios: class ratios within 0.02 in every train and test set, sizes within one."""
    y = np.array([4] * 100 + [0] * 890 + [1] * 10)
    X, groups, distr = np.ones(len(y)), np.arange(len(y)), np.bincount(y) / len(y)
    sizes = []
    for train, test in _split(kfold(k, random_state=0 if shuffle else None, shuffle=shuffle), X, y, groups):
        assert_allclose(np.bincount(y[train]) / len(train), distr, atol=0.02)
        assert_allclose(np.bincount(y[test]) / len(test), distr, atol=0.02)
        sizes.append(len(test))
    assert np.ptp(sizes) <= 1


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("k", [4, 6, 7])
@pytest.mark.parametrize("kfold", KFOLDS)
def test_stratified_kfold_label_invariance(k, shuffle, kfold):
    """Ports test_stratified_kfold_label_invariance: the same folds whatever the classes are called."""
    y = np.array([2] * 10 + [0] * 89 + [1] * 1)
    X, groups = np.ones(len(y)), np.arange(len(y))

    def get_splits(labels):
        cv = kfold(k, random_state=0 if shuffle else None, shuffle=shuffle)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return [(list(train), list(test)) for train, test in _split(cv, X, labels, groups)]

    base = get_splits(y)
    for perm in permutations([0, 1, 2]):
        assert get_splits(np.take(perm, y)) == base


@pytest.mark.parametrize("kfold", KFOLDS)
def test_stratifiedkfold_balance(kfold):
    """Ports test_stratifiedkfold_balance: fold sizes within one, shuffled or not."""
    X, y, groups = np.ones(17), [0] * 3 + [1] * 14, np.arange(17)
    for shuffle in (True, False):
        cv = kfold(3, shuffle=shuffle)
        for i in range(11, 17):
            sizes = [len(test) for _, test in _split(cv, X[:i], y[:i], groups[:i])]
            assert np.ptp(sizes) <= 1 and sum(sizes) == i


@pytest.mark.parametrize("kfold", KFOLDS)
def test_shuffle_kfold_stratifiedkfold_reproducibility(kfold):
    """Ports test_shuffle_kfold_stratifiedkfold_reproducibility: an int seed repeats, a RandomState does not."""
    X, y, groups_1 = np.ones(15), [0] * 7 + [1] * 8, np.arange(15)
    X2, y2, groups_2 = np.ones(16), [0] * 8 + [1] * 8, np.arange(16)
    cv = kfold(3, shuffle=True, random_state=0)
    np.testing.assert_equal(list(_split(cv, X, y, groups_1)), list(_split(cv, X, y, groups_1)))
    cv = kfold(3, shuffle=True, random_state=np.random.RandomState(0))
    for data in zip((X, X2), (y, y2), (groups_1, groups_2), strict=True):
        for (_, test_a), (_, test_b) in zip(_split(cv, *data), _split(cv, *data), strict=True):
            with pytest.raises(AssertionError):
                assert_array_equal(test_a, test_b)


def test_shuffle_stratifiedkfold():
    """Ports test_shuffle_stratifiedkfold: different seeds, different folds; every sample covered."""
    X_40, y = np.ones(40), [0] * 20 + [1] * 20
    kf0 = MultiTaskStratifiedKFold(5, shuffle=True, random_state=0)
    kf1 = MultiTaskStratifiedKFold(5, shuffle=True, random_state=1)
    for (_, test0), (_, test1) in zip(kf0.split(X_40, y), kf1.split(X_40, y), strict=True):
        assert set(test0) != set(test1)
    check_cv_coverage(kf0, X_40, y, groups=None, expected_n_splits=5)
    X, y = np.arange(10), [0] * 5 + [1] * 5
    first = sorted(tuple(s[1]) for s in MultiTaskStratifiedKFold(5, shuffle=True, random_state=0).split(X, y))
    second = sorted(tuple(s[1]) for s in MultiTaskStratifiedKFold(5, shuffle=True, random_state=1).split(X, y))
    assert first != second


def test_kfold_can_detect_dependent_samples_on_digits():
    """Ports test_kfold_can_detect_dependent_samples_on_digits: unshuffled folds keep the writers'
    dependence (a lower score), shuffled ones hide it, as with StratifiedKFold."""
    digits = load_digits()
    X, y = digits.data[:600], digits.target[:600]
    model = SVC(C=10, gamma=0.005)
    unshuffled = cross_val_score(model, X, y, cv=MultiTaskStratifiedKFold(3)).mean()
    assert 0.80 < unshuffled < 0.94
    shuffled = cross_val_score(model, X, y, cv=MultiTaskStratifiedKFold(3, shuffle=True, random_state=0)).mean()
    assert shuffled > 0.92


def test_stratified_group_kfold_trivial():
    """Ports test_stratified_group_kfold_trivial: groups of one class mix, exact ratios."""
    y = np.array([1] * 6 + [0] * 12)
    X = np.ones_like(y).reshape(-1, 1)
    groups = np.asarray((1, 2, 3, 4, 5, 6, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6))
    distr, sizes = np.bincount(y) / len(y), []
    for train, test in MultiTaskStratifiedGroupKFold(n_splits=3).split(X, y, groups):
        assert np.intersect1d(groups[train], groups[test]).size == 0
        assert_allclose(np.bincount(y[train]) / len(train), distr, atol=0.02)
        assert_allclose(np.bincount(y[test]) / len(test), distr, atol=0.02)
        sizes.append(len(test))
    assert np.ptp(sizes) <= 1


def test_stratified_group_kfold_approximate():
    """Ports test_stratified_group_kfold_approximate: sklearn's folds there are off (0.833, 0.666, 0.5 of
    class 0 where 2/3 is possible); ours are no further from 2/3 in any fold, groups whole."""
    y = np.array([1] * 6 + [0] * 12)
    X = np.ones_like(y).reshape(-1, 1)
    groups = np.array([1, 2, 3, 3, 4, 4, 1, 1, 2, 2, 3, 4, 5, 5, 5, 6, 6, 6])
    sizes = []
    for train, test in MultiTaskStratifiedGroupKFold(n_splits=3).split(X, y, groups):
        assert np.intersect1d(groups[train], groups[test]).size == 0
        assert abs(np.bincount(y[test], minlength=2)[0] / len(test) - 2 / 3) <= 0.167 + 1e-3
        sizes.append(len(test))
    assert np.ptp(sizes) <= 1


@pytest.mark.parametrize(
    ("y", "groups", "expected"),
    [
        (np.array([0] * 6 + [1] * 6), np.array([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]), [0.5, 0.5]),
        (np.array([0] * 9 + [1] * 3), np.array([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 5, 6]), [0.75, 0.25]),
    ],
)
def test_stratified_group_kfold_homogeneous_groups(y, groups, expected):
    """Ports test_stratified_group_kfold_homogeneous_groups: one-class groups, exact ratios."""
    X = np.ones_like(y).reshape(-1, 1)
    for train, test in MultiTaskStratifiedGroupKFold(n_splits=3).split(X, y, groups):
        assert np.intersect1d(groups[train], groups[test]).size == 0
        assert_allclose(np.bincount(y[test]) / len(test), expected, atol=0.001)


def test_stratified_group_kfold_shuffle_preserves_stratification():
    """Ports test_stratified_group_kfold_shuffle_preserves_stratification: exact ratios for 100 seeds."""
    y = np.array([0] * 12 + [1] * 6)
    X = np.ones((len(y), 1))
    groups = np.array([1, 1, 3, 3, 3, 4, 5, 5, 5, 5, 7, 7, 2, 2, 6, 6, 8, 8])
    for seed in range(100):
        sizes = []
        for train, test in MultiTaskStratifiedGroupKFold(3, shuffle=True, random_state=seed).split(X, y, groups):
            assert np.intersect1d(groups[train], groups[test]).size == 0
            assert_allclose(np.bincount(y[train]) / len(train), [2 / 3, 1 / 3], atol=1e-8)
            assert_allclose(np.bincount(y[test]) / len(test), [2 / 3, 1 / 3], atol=1e-8)
            sizes.append(len(test))
        assert np.ptp(sizes) <= 1


@pytest.mark.parametrize("cls_distr", [(0.4, 0.6), (0.3, 0.7), (0.2, 0.8), (0.8, 0.2)])
@pytest.mark.parametrize("n_groups", [5, 30, 70])
def test_stratified_group_kfold_against_group_kfold(cls_distr, n_groups):
    """Ports test_stratified_group_kfold_against_group_kfold: closer to the class mix than GroupKFold."""
    from sklearn.model_selection import GroupKFold

    rng = np.random.RandomState(0)
    y = rng.choice(2, size=1000, p=cls_distr)
    X, g = np.ones_like(y).reshape(-1, 1), rng.choice(n_groups, 1000)
    ours = theirs = 0.0
    pairs = zip(MultiTaskStratifiedGroupKFold(5).split(X, y, g), GroupKFold(5).split(X, y, g), strict=True)
    for (train, test), (_, group_test) in pairs:
        assert np.intersect1d(g[train], g[test]).size == 0
        ours += stats.entropy(np.bincount(y[test], minlength=2) / len(test), qk=cls_distr)
        theirs += stats.entropy(np.bincount(y[group_test], minlength=2) / len(group_test), qk=cls_distr)
    assert ours <= theirs + 1e-12


@pytest.mark.parametrize(("train_size", "exp_train", "exp_test"), [(None, 9, 1), (8, 8, 2), (0.8, 8, 2)])
def test_shuffle_split_default_test_size(train_size, exp_train, exp_test):
    """Ports test_shuffle_split_default_test_size: 0.1 when both sizes are None, else the complement."""
    train, test = next(MultiTaskStratifiedShuffleSplit(train_size=train_size).split(np.ones(10), np.ones(10)))
    assert (len(train), len(test)) == (exp_train, exp_test)


def test_stratified_shuffle_split_init():
    """Ports test_stratified_shuffle_split_init: a one-row class, or sets smaller than the classes, raise."""
    X, y = np.arange(7), np.asarray([0, 1, 1, 1, 2, 2, 2])
    for cv in (MultiTaskStratifiedShuffleSplit(3, test_size=0.2), MultiTaskStratifiedShuffleSplit(3, test_size=2),
               MultiTaskStratifiedShuffleSplit(3, test_size=3, train_size=2)):  # fmt: skip
        with pytest.raises(ValueError):
            next(cv.split(X, y))
    X, y = np.arange(9), np.asarray([0, 0, 0, 1, 1, 1, 2, 2, 2])
    for cv in (MultiTaskStratifiedShuffleSplit(train_size=2), MultiTaskStratifiedShuffleSplit(test_size=2)):
        with pytest.raises(ValueError):
            next(cv.split(X, y))


def test_stratified_shuffle_split_respects_test_size():
    """Ports test_stratified_shuffle_split_respects_test_size: int sizes exactly."""
    y = np.array([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2])
    cv = MultiTaskStratifiedShuffleSplit(6, test_size=5, train_size=10, random_state=0)
    for train, test in cv.split(np.ones(len(y)), y):
        assert (len(train), len(test)) == (10, 5)


def test_stratified_shuffle_split_iter():
    """Ports test_stratified_shuffle_split_iter: classes on both sides, proportions, sklearn's rounding."""
    ys = [
        np.array([1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]),
        np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]),
        np.array([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2] * 2),
        np.array([1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4]),
        np.array([-1] * 800 + [1] * 50),
        np.concatenate([[i] * (100 + i) for i in range(11)]),
        [1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
        ["1", "1", "1", "1", "2", "2", "2", "3", "3", "3", "3", "3"],
    ]
    for y in ys:
        splits = MultiTaskStratifiedShuffleSplit(6, test_size=0.33, random_state=0).split(np.ones(len(y)), y)
        y = np.asanyarray(y)
        test_size = np.ceil(0.33 * len(y))
        for train, test in splits:
            assert_array_equal(np.unique(y[train]), np.unique(y[test]))
            p_train = np.bincount(np.unique(y[train], return_inverse=True)[1]) / len(train)
            p_test = np.bincount(np.unique(y[test], return_inverse=True)[1]) / len(test)
            np.testing.assert_array_almost_equal(p_train, p_test, 1)
            assert len(train) + len(test) == y.size
            assert (len(train), len(test)) == (len(y) - test_size, test_size)
            assert np.intersect1d(train, test).size == 0


def test_stratified_shuffle_split_even():
    """Ports test_stratified_shuffle_split_even: every index drawn with the chance of an even draw
    (each count's binomial probability above 0.05 / n_splits), over 1,000 splits."""
    n_splits = 1000
    for n_samples in (6, 22):
        y = np.array((n_samples // 2) * [0, 1])
        cv = MultiTaskStratifiedShuffleSplit(n_splits=n_splits, test_size=1.0 / 5, random_state=0)
        train_counts, test_counts = np.zeros(n_samples), np.zeros(n_samples)
        for train, test in cv.split(X=np.ones(n_samples), y=y):
            train_counts[train] += 1
            test_counts[test] += 1
        n_test = int(np.ceil(n_samples / 5))
        assert (len(train), len(test)) == (n_samples - n_test, n_test)
        for counts, p in ((train_counts, 1 - n_test / n_samples), (test_counts, n_test / n_samples)):
            assert (stats.binom(n_splits, p).pmf(counts) > 0.05 / n_splits).all()


def test_stratified_shuffle_split_overlap_train_test_bug():
    """Ports test_stratified_shuffle_split_overlap_train_test_bug: a partition, no overlap."""
    y = [0, 1, 2, 3] * 3 + [4, 5] * 5
    train, test = next(MultiTaskStratifiedShuffleSplit(1, test_size=0.5, random_state=0).split(np.ones(len(y)), y))
    assert np.intersect1d(train, test).size == 0
    assert_array_equal(np.union1d(train, test), np.arange(len(y)))


def test_stratified_shuffle_split_multilabel():
    """Ports test_stratified_shuffle_split_multilabel and ..._many_labels: whole label rows stratified."""
    many = np.array([[1, 0, 1] + [0] * 1000 + [1, 0, 1]] * 10 + [[1, 0, 1] + [1] * 1000 + [1, 0, 1]] * 100)
    for y, column in ((np.array([[0, 1], [1, 0], [1, 0], [0, 1]]), 0), (np.array([[0, 1], [1, 1], [1, 1], [0, 1]]), 0),
                      (many, 4)):  # fmt: skip
        train, test = next(MultiTaskStratifiedShuffleSplit(1, test_size=0.5, random_state=0).split(np.ones_like(y), y))
        assert np.intersect1d(train, test).size == 0
        assert_array_equal(np.union1d(train, test), np.arange(len(y)))
        assert np.mean(y[:, column]) == np.mean(y[train, column]) == np.mean(y[test, column])


def test_repeated_cv_value_errors_repr_and_n_splits():
    """Ports test_repeated_cv_value_errors, test_repeated_cv_repr, test_get_n_splits_for_repeated_stratified_kfold."""
    for bad in (0, 1.5):
        with pytest.raises(ValueError):
            RepeatedMultiTaskStratifiedKFold(n_repeats=bad)
    assert " ".join(repr(RepeatedMultiTaskStratifiedKFold(n_splits=2, n_repeats=6)).split()) == (
        "RepeatedMultiTaskStratifiedKFold(n_repeats=6, n_splits=2, order=1, random_state=None)"
    )
    assert RepeatedMultiTaskStratifiedKFold(n_splits=3, n_repeats=4).get_n_splits() == 12


def test_repeated_stratified_kfold_deterministic_split():
    """Ports test_repeated_stratified_kfold_deterministic_split: an int seed gives the same 4 splits on
    every call (sklearn's exact indices come from its own generator), repeats differ, then StopIteration."""
    X, y = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]], [1, 1, 1, 0, 0]
    cv = RepeatedMultiTaskStratifiedKFold(n_splits=2, n_repeats=2, random_state=1944695409)
    first = [(train.tolist(), test.tolist()) for train, test in cv.split(X, y)]
    for _ in range(3):
        splits = cv.split(X, y)
        for expected in first:
            train, test = next(splits)
            assert (train.tolist(), test.tolist()) == expected
            assert sorted(np.bincount(np.asarray(y)[test], minlength=2).tolist()) in ([1, 1], [1, 2])
        with pytest.raises(StopIteration):
            next(splits)
    many = RepeatedMultiTaskStratifiedKFold(n_splits=2, n_repeats=8, random_state=0)
    assert len({tuple(test) for _, test in many.split(np.ones(20), [0, 1] * 10)}) > 2


def test_stratifiedshufflesplit_list_input():
    """Ports test_stratifiedshufflesplit_list_input: string, float and list labels give the same splits."""
    cv = MultiTaskStratifiedShuffleSplit(test_size=2, random_state=42)
    X, y1 = np.ones(7), ["1"] * 4 + ["0"] * 3
    y2 = np.hstack((np.ones(4), np.zeros(3)))
    np.testing.assert_equal(list(cv.split(X, y1)), list(cv.split(X, y2)))
    np.testing.assert_equal(list(cv.split(X, y2.tolist())), list(cv.split(X, y2)))


@pytest.mark.parametrize(
    ("test_size", "train_size"), [(2.0, None), (1.0, None), (0.1, 0.95), (None, 1j), (11, None), (10, None), (8, 3)]
)
def test_shufflesplit_errors(test_size, train_size):
    """Ports test_shufflesplit_errors (ShuffleSplit's size checks, which StratifiedShuffleSplit shares)."""
    with pytest.raises(ValueError):
        next(MultiTaskStratifiedShuffleSplit(test_size=test_size, train_size=train_size).split(np.ones(10), [0, 1] * 5))


def test_shuffle_split_empty_trainset():
    """Ports test_shuffle_split_empty_trainset: sklearn's message."""
    with pytest.raises(ValueError, match="With n_samples=1, test_size=0.99 and train_size=None, the resulting train set will be empty"):
        next(MultiTaskStratifiedShuffleSplit(test_size=0.99).split([[1]], [0]))


def test_check_cv():
    """Ports test_check_cv: our folds equal StratifiedKFold's for binary, multiclass and column y."""
    X = np.ones(9)
    y_binary = np.array([0, 1, 0, 1, 0, 0, 1, 1, 1])
    y_multiclass = np.array([0, 1, 0, 1, 2, 1, 2, 0, 2])
    for y in (y_binary, y_multiclass, y_multiclass.reshape(-1, 1)):
        cv = check_cv(MultiTaskStratifiedKFold(3), y, classifier=True)
        np.testing.assert_equal(list(StratifiedKFold(3).split(X, y)), list(cv.split(X, y)))
    assert not np.all(next(MultiTaskStratifiedKFold(3).split(X, y_multiclass))[0] == next(KFold(3).split(X))[0])


@pytest.mark.parametrize("shuffle", [True, False])
def test_group_kfold(shuffle):
    """Ports test_group_kfold (for StratifiedGroupKFold): sizes within 5%, each group in one fold."""
    rng = np.random.RandomState(0)
    X = y = np.ones(1000)
    groups = rng.randint(0, 15, 1000)
    folds = np.zeros(1000)
    cv = MultiTaskStratifiedGroupKFold(n_splits=5, shuffle=shuffle, random_state=0 if shuffle else None)
    for i, (_, test) in enumerate(cv.split(X, y, groups)):
        folds[test] = i
    for i in np.unique(folds):
        assert abs((folds == i).sum() - 200) <= 50
    for group in np.unique(groups):
        assert len(np.unique(folds[groups == group])) == 1
    groups = np.asarray(groups, dtype=object)
    for train, test in cv.split(X, y, groups):
        assert len(np.intersect1d(groups[train], groups[test])) == 0


@pytest.mark.parametrize("cls", KFOLDS)
def test_random_state_shuffle_false(cls):
    """Ports test_random_state_shuffle_false."""
    with pytest.raises(ValueError, match="has no effect since shuffle is False"):
        cls(3, shuffle=False, random_state=0)


@pytest.mark.parametrize(
    "cv",
    [MultiTaskStratifiedKFold(), MultiTaskStratifiedShuffleSplit(), RepeatedMultiTaskStratifiedKFold()],
    ids=str,
)
def test_stratified_splitter_without_y(cv):
    """Ports test_stratified_splitter_without_y: y is a required positional argument."""
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'y'"):
        cv.split(np.ones(10))


def test_splitters_request_groups_for_metadata_routing():
    """Ports test_splitter_get_metadata_routing: ours use groups, so they request them (as group splitters do)."""
    for cv in (MultiTaskStratifiedKFold(), MultiTaskStratifiedGroupKFold(), MultiTaskStratifiedShuffleSplit(),
               RepeatedMultiTaskStratifiedKFold()):  # fmt: skip
        assert cv.get_metadata_routing().split.requests["groups"] is True


# --------------------------------------------------------------------------- iterative-stratification 0.1.9


@pytest.mark.parametrize("n_labels", [3, 5, 10])
def test_iterstrat_integration(n_labels):
    """Ports iterative-stratification's tests/test_ml_stratifiers.py::test_integration: 500 random 0/1
    rows, 7 folds; every label's share of the positives within 0.07 between train and test."""
    y = np.random.RandomState(12345 + n_labels).randint(0, 2, size=(500, n_labels))
    for train, test in MultiTaskStratifiedKFold(n_splits=7).split(np.zeros((500, 2)), y):
        assert not set(train) & set(test)
        train_share = y[train].sum(axis=0) / y[train].sum()
        test_share = y[test].sum(axis=0) / y[test].sum()
        assert np.abs(train_share - test_share).max() <= 0.07


def test_iterstrat_readme_examples():
    """Ports the three README examples (k-fold, repeated k-fold, shuffle split on 8 rows of 2 labels):
    each label is split evenly, as their output shows."""
    X = np.array([[1, 2], [3, 4]] * 4)
    y = np.array([[0, 0], [0, 0], [0, 1], [0, 1], [1, 1], [1, 1], [1, 0], [1, 0]])
    cvs = (MultiTaskStratifiedKFold(n_splits=2, shuffle=True, random_state=0),
           RepeatedMultiTaskStratifiedKFold(n_splits=2, n_repeats=2, random_state=0),
           MultiTaskStratifiedShuffleSplit(n_splits=3, test_size=0.5, random_state=0))  # fmt: skip
    for cv in cvs:
        pairs = list(cv.split(X, y))
        assert len(pairs) == cv.get_n_splits()
        for train, test in pairs:
            assert len(train) == len(test) == 4
            assert y[train].sum(axis=0).tolist() == y[test].sum(axis=0).tolist() == [2, 2]


def test_sparse_label_matrix_like_a_dense_one():
    """Beyond both ports: a scipy sparse 0/1 matrix gives the folds its dense form gives."""
    y = (np.random.default_rng(0).random((200, 6)) < 0.2).astype(np.int8)
    cv = MultiTaskStratifiedKFold(4, shuffle=True, random_state=3)
    np.testing.assert_equal(list(cv.split(np.zeros(200), y)), list(cv.split(np.zeros(200), sp.csr_matrix(y))))
