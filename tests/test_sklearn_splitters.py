"""MultiTaskStratifiedKFold and MultiTaskStratifiedShuffleSplit behave like sklearn splitters."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import BaseCrossValidator, GridSearchCV, check_cv, cross_val_score
from sklearn.multiclass import OneVsRestClassifier

from core.errors import ConfigError, DataError
from core.splits import MultiTaskStratifiedKFold, MultiTaskStratifiedShuffleSplit, multitask_train_test_split


def labels(n=120, seed=0):
    """Three tasks: a binary, a 4-class and a string task, with some NaN in the first."""
    rng = np.random.default_rng(seed)
    y = np.column_stack([rng.integers(0, 2, n), rng.integers(0, 4, n), rng.integers(0, 3, n)]).astype(float)
    y[rng.random(n) < 0.1, 0] = np.nan
    return y


def folds_of(cv, X, y, groups=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return [(train, test) for train, test in cv.split(X, y, groups)]


def test_public_base_class_only_and_repr_shows_params():
    for cls in (MultiTaskStratifiedKFold, MultiTaskStratifiedShuffleSplit):
        assert issubclass(cls, BaseCrossValidator)
        sklearn_bases = {base for base in cls.__mro__ if base.__module__.startswith("sklearn")}
        assert sklearn_bases == set(BaseCrossValidator.__mro__) - {object}  # no private sklearn base
        assert "_BaseKFold" not in {base.__name__ for base in cls.__mro__}
    assert " ".join(repr(MultiTaskStratifiedKFold(3, order=2, shuffle=True, random_state=0)).split()) == (
        "MultiTaskStratifiedKFold(n_splits=3, order=2, random_state=0, shuffle=True)"
    )
    assert "test_size=0.3" in repr(MultiTaskStratifiedShuffleSplit(test_size=0.3))
    cv = MultiTaskStratifiedKFold(4)
    assert check_cv(cv) is cv and cv.get_n_splits() == 4


@pytest.mark.parametrize("k", [2, 3, 5])
def test_kfold_every_row_in_exactly_one_test_fold_sizes_within_one(k):
    y = labels()
    folds = folds_of(MultiTaskStratifiedKFold(k, shuffle=True, random_state=0), np.zeros((len(y), 2)), y)
    assert len(folds) == k
    tests = np.concatenate([test for _, test in folds])
    assert np.array_equal(np.sort(tests), np.arange(len(y)))
    sizes = [len(test) for _, test in folds]
    assert max(sizes) - min(sizes) <= 1
    for train, test in folds:
        assert np.intersect1d(train, test).size == 0 and train.size + test.size == len(y)


def test_kfold_class_proportions_within_tolerance_per_task():
    y = labels(400, seed=1)
    for _, test in folds_of(MultiTaskStratifiedKFold(4, shuffle=True, random_state=3), np.zeros(len(y)), y):
        for column in range(y.shape[1]):
            whole = pd.Series(y[:, column]).value_counts(normalize=True)
            part = pd.Series(y[test, column]).value_counts(normalize=True).reindex(whole.index, fill_value=0)
            assert np.abs(part - whole).max() < 0.06, (column, part, whole)


def test_same_random_state_same_folds_none_fresh_and_globals_untouched():
    y = labels(200)
    X = np.zeros((200, 1))
    state = np.random.get_state()[1].copy()
    cv = MultiTaskStratifiedKFold(5, shuffle=True, random_state=0)
    params = dict(vars(cv))
    first = folds_of(cv, X, y)
    again = folds_of(cv, X, y)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, again, strict=True))
    assert vars(cv) == params  # split never changes the splitter
    fresh = MultiTaskStratifiedKFold(5, shuffle=True)
    assert not all(
        np.array_equal(a[1], b[1]) for a, b in zip(folds_of(fresh, X, y), folds_of(fresh, X, y), strict=True)
    )
    assert np.array_equal(np.random.get_state()[1], state)
    fixed = MultiTaskStratifiedKFold(5, shuffle=False)
    assert all(
        np.array_equal(a[1], b[1]) for a, b in zip(folds_of(fixed, X, y), folds_of(fixed, X, y), strict=True)
    )


def test_renaming_labels_and_reordering_columns_does_not_change_the_folds():
    y = labels(150)
    names = np.array(["cat", "dog", "eel", "owl"])
    renamed = pd.DataFrame(
        {"third": y[:, 2] * 7 + 1, "second": names[y[:, 1].astype(int)], "first": 1 - y[:, 0]}
    )
    cv = MultiTaskStratifiedKFold(3, shuffle=True, random_state=5)
    a = folds_of(cv, np.zeros(150), y)
    b = folds_of(cv, np.zeros(150), renamed)
    assert all(np.array_equal(x[1], z[1]) for x, z in zip(a, b, strict=True))


def test_one_dimensional_string_and_multilabel_and_missing_labels():
    X = np.zeros((60, 1))
    text = np.array(["a", "b", "c"] * 20)
    for _, test in folds_of(MultiTaskStratifiedKFold(5, shuffle=True, random_state=0), X, text):
        assert sorted(pd.Series(text[test]).value_counts().tolist()) == [4, 4, 4]
    multilabel = (np.random.default_rng(0).random((60, 6)) < 0.3).astype(int)
    for _, test in folds_of(MultiTaskStratifiedKFold(3, shuffle=True, random_state=0), X, multilabel):
        assert np.all(np.abs(multilabel[test].sum(axis=0) - multilabel.sum(axis=0) / 3) <= 2)
    holey = np.where(np.arange(60) % 4 == 0, np.nan, np.arange(60) % 2)
    tests = np.concatenate(
        [test for _, test in folds_of(MultiTaskStratifiedKFold(3, shuffle=True, random_state=0), X, holey)]
    )
    assert np.array_equal(np.sort(tests), np.arange(60))  # rows with no label still get a fold


def test_a_0_1_matrix_dense_sparse_or_float_gives_the_same_folds():
    rng = np.random.default_rng(4)
    y = (rng.random((90, 5)) < [0.1, 0.3, 0.5, 0.8, 0.0]).astype(np.int8)  # a majority and an empty column
    y[:, 2] = np.arange(90) % 2  # a tie
    cv = MultiTaskStratifiedKFold(3, order=2, shuffle=True, random_state=2)
    reference = folds_of(cv, np.zeros(90), y.astype(float))  # the general, per-column path
    for same in (y, y.astype(bool), sp.csr_matrix(y)):
        assert all(
            np.array_equal(a[1], b[1])
            for a, b in zip(reference, folds_of(cv, np.zeros(90), same), strict=True)
        )


def test_groups_are_never_split():
    y = labels(200)
    groups = np.random.default_rng(1).integers(0, 30, 200)
    for cv in (
        MultiTaskStratifiedKFold(4, shuffle=True, random_state=0),
        MultiTaskStratifiedShuffleSplit(3, random_state=0),
    ):
        for train, test in folds_of(cv, np.zeros(200), y, groups):
            assert np.intersect1d(groups[train], groups[test]).size == 0


def test_bad_groups_are_one_line_errors():
    y = np.array([0, 1] * 5)
    cv = MultiTaskStratifiedKFold(2, shuffle=True, random_state=0)
    with pytest.warns(UserWarning, match="1 rows have no value in groups"):
        list(cv.split(np.zeros(10), y, [1, 2, 3, None, 5, 6, 7, 8, 9, 10]))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):  # sklearn's own check
        list(cv.split(np.zeros(10), y, [1, 2, 3]))
    with pytest.raises(DataError, match="groups holds a single group"):
        list(cv.split(np.zeros(10), y, ["a"] * 10))
    with pytest.raises(DataError, match="n_splits=3 is greater than the 2 groups of the dataset"):
        list(MultiTaskStratifiedKFold(3).split(np.zeros(10), y, ["a", "b"] * 5))


def test_rare_class_is_a_warning_like_sklearn():
    y = np.array([0] * 19 + [1])
    with pytest.warns(UserWarning, match="The least populated class in y has only 1 members"):
        list(MultiTaskStratifiedKFold(3, shuffle=True, random_state=0).split(np.zeros(20), y))
    multilabel = np.column_stack([y, np.arange(20) % 2])  # rare labels are normal here: a warning too
    with pytest.warns(UserWarning, match=r"0=1 \(1 row\)"):
        list(MultiTaskStratifiedKFold(3, shuffle=True, random_state=0).split(np.zeros(20), multilabel))


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: MultiTaskStratifiedKFold(1), ConfigError, "requires at least one train/test split"),
        (lambda: MultiTaskStratifiedKFold(2.0), ConfigError, "must be of Integral type"),
        (lambda: MultiTaskStratifiedKFold(2, order=3), ConfigError, "order=3"),
        (lambda: MultiTaskStratifiedKFold(2, shuffle=False, random_state=1), ConfigError, "no effect since shuffle is False"),
        (lambda: MultiTaskStratifiedKFold(2, shuffle="False"), TypeError, "shuffle must be True or False"),
        (lambda: MultiTaskStratifiedShuffleSplit(order=0), ConfigError, "order=0"),
    ],
)
def test_bad_parameters_fail_at_construction_as_in_sklearn(make, error, words):
    with pytest.raises(error, match=words):
        make()


@pytest.mark.parametrize(
    ("cv", "y", "error", "words"),
    [
        (
            MultiTaskStratifiedKFold(7),
            np.array([0, 1, 0, 1, 1]),
            DataError,
            "n_splits=7 is greater than the 5 rows of the dataset. Lower n_splits.",
        ),
        (MultiTaskStratifiedKFold(2), None, ConfigError, "y is required"),
        (MultiTaskStratifiedKFold(2), pd.DataFrame({"a": [None] * 4}), DataError, "Label column a has no labelled rows"),
        (
            MultiTaskStratifiedShuffleSplit(test_size=1.5),
            np.array([0, 1, 0, 1]),
            ConfigError,
            "test_size=1.5 should be either positive",
        ),
    ],
)
def test_bad_data_are_value_errors_raised_at_split(cv, y, error, words):
    with pytest.raises(error, match=words.replace(".", r"\.").replace("(", r"\(")) as caught:
        list(cv.split(np.zeros((4 if y is None else len(y), 1)), y))
    assert isinstance(caught.value, ValueError)


def test_a_continuous_y_is_binned_into_quintiles():
    y = np.random.default_rng(0).normal(size=100)
    for _, test in MultiTaskStratifiedKFold(5).split(np.zeros(100), y):
        assert sorted(np.searchsorted(np.quantile(y, [0.2, 0.4, 0.6, 0.8]), y[test])) == sorted(
            np.repeat(np.arange(5), 4)
        )


def test_shuffle_split_test_size_share_and_count_and_different_iterations():
    y = labels(100)
    X = np.zeros((100, 1))
    splits = folds_of(MultiTaskStratifiedShuffleSplit(4, test_size=0.25, random_state=0), X, y)
    assert len(splits) == 4 and all(abs(len(test) - 25) <= 1 for _, test in splits)
    assert len({tuple(test) for _, test in splits}) > 1
    for train, test in splits:
        assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(100))
    counted = folds_of(MultiTaskStratifiedShuffleSplit(1, test_size=10, random_state=0), X, y)
    assert abs(len(counted[0][1]) - 10) <= 1
    again = folds_of(MultiTaskStratifiedShuffleSplit(4, test_size=0.25, random_state=0), X, y)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(splits, again, strict=True))


def test_works_in_cross_val_score_and_grid_search():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 4))
    y = (X[:, 0] + 0.3 * rng.normal(size=150) > 0).astype(int)
    tasks = np.column_stack([y, (X[:, 1] > 0).astype(int)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        scores = cross_val_score(LogisticRegression(), X, y, cv=MultiTaskStratifiedKFold(5, shuffle=True, random_state=0))
        assert scores.shape == (5,) and scores.mean() > 0.8
        groups = np.repeat(np.arange(30), 5)
        grouped = cross_val_score(
            LogisticRegression(), X, y, groups=groups, cv=MultiTaskStratifiedKFold(3, shuffle=True, random_state=0)
        )
        assert grouped.shape == (3,)
        search = GridSearchCV(
            OneVsRestClassifier(LogisticRegression()),
            {"estimator__C": [0.1, 1.0]},
            cv=MultiTaskStratifiedKFold(3, shuffle=True, random_state=0),
        )
        search.fit(X, tasks)
        assert search.best_params_["estimator__C"] in (0.1, 1.0)
        shuffled = cross_val_score(
            LogisticRegression(), X, y, cv=MultiTaskStratifiedShuffleSplit(3, random_state=0)
        )
        assert shuffled.shape == (3,)


def test_groups_reach_the_splitter_through_metadata_routing():
    rng = np.random.default_rng(0)
    X, groups = rng.normal(size=(100, 3)), np.repeat(np.arange(20), 5)
    y = (X[:, 0] > 0).astype(int)
    cv = MultiTaskStratifiedKFold(4, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        scores = cross_val_score(LogisticRegression(), X, y, cv=cv, params={"groups": groups})
    assert scores.shape == (4,)
    assert cv.get_metadata_routing().split.requests == {"groups": True}


# ------------------------------------------------------------------ labels as a new user passes them (try14)


def test_object_columns_of_bools_or_ints_with_missing_labels_are_tasks():
    """read_csv reads True/False with a blank as object; a mixed frame's to_numpy() holds ints as objects."""
    flags = pd.read_csv(io.StringIO("flag,x\n" + "True,1\nFalse,2\n,3\nFalse,4\n" * 15))["flag"]
    assert flags.dtype == object
    X = np.zeros((60, 1))
    folds = [test.tolist() for _, test in MultiTaskStratifiedKFold(3).split(X, flags)]
    assert folds == [test.tolist() for _, test in MultiTaskStratifiedKFold(3).split(X, flags.astype("boolean"))]
    assert [int(flags[test].eq(True).sum()) for test in folds] == [5, 5, 5]
    frame = pd.DataFrame({"flag": flags, "kind": ["a", "b", "c"] * 20})
    assert [test.tolist() for _, test in MultiTaskStratifiedKFold(3).split(X, frame)] == [
        test.tolist() for _, test in MultiTaskStratifiedKFold(3).split(X, frame.astype({"flag": "boolean"}))
    ]
    mixed = pd.DataFrame({"kind": ["a", "b", None] * 20, "union": [0, 1, 1, 0] * 15}).to_numpy()
    assert mixed.dtype == object
    folds = [test for _, test in MultiTaskStratifiedKFold(3).split(X, mixed)]
    assert [int(mixed[test, 1].sum()) for test in folds] == [10, 10, 10]


def test_labels_of_mixed_types_or_label_lists_are_one_line_errors():
    X = np.zeros((60, 1))
    with pytest.raises(DataError, match=r"^Label column y mixes int and str labels; .*astype\(str\)"):
        list(MultiTaskStratifiedKFold(3).split(X, np.array([0, 1, "a"] * 20, dtype=object)))
    for label_sets in ([["a"], ["a", "b"], ["b"]] * 20, pd.Series([["a"], ["a", "b"], ["b"]] * 20)):
        with pytest.raises(DataError, match=r"^y holds a list of labels per row; .*MultiLabelBinarizer"):
            list(MultiTaskStratifiedKFold(3).split(X, label_sets))


def test_infinite_labels_are_missing_as_in_a_dataframe():
    y = np.linspace(0, 1, 60)
    y[::9] = np.inf
    holey = np.where(np.isinf(y), np.nan, y)
    X = np.zeros((60, 1))
    folds = [test.tolist() for _, test in MultiTaskStratifiedKFold(3).split(X, y)]
    assert folds == [test.tolist() for _, test in MultiTaskStratifiedKFold(3).split(X, holey)]
    assert folds == [test.tolist() for _, test in MultiTaskStratifiedKFold(3).split(X, pd.DataFrame({"y": y}))]


def test_a_column_name_as_stratify_is_named_in_the_error():
    frame = pd.DataFrame({"a": range(20), "s": ["x", "y"] * 10})
    with pytest.raises(DataError, match=r"^stratify='s' is a string, not labels; pass the labels, e\.g\. frame\['s'\]"):
        multitask_train_test_split(frame, stratify="s")
    with pytest.raises(DataError, match=r"^stratify has shape \(20, 2, 1\)"):
        multitask_train_test_split(frame, stratify=np.zeros((20, 2, 1)))
