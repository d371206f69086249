"""multitask_train_test_split behaves like sklearn's train_test_split, stratified on many tasks.

The first tests port sklearn 1.9.1's ``test_split.py`` tests of ``train_test_split`` (each names the
one it ports); the rest cover what ours adds: many tasks, groups, a validation set, pandas in and out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal

from core.errors import ConfigError
from core.splits import multitask_train_test_split as split

X = np.ones(10)


def test_train_test_split_errors():
    """Ports test_train_test_split_errors (less shuffle=False, which ours has not)."""
    with pytest.raises(ValueError):
        split()
    for kwargs in (dict(train_size=1.1), dict(test_size=0.6, train_size=0.6),
                   dict(test_size=np.float32(0.6), train_size=np.float32(0.6)), dict(test_size="wrong_type"),
                   dict(test_size=2, train_size=4)):  # fmt: skip
        with pytest.raises(ValueError):
            split(range(3), **kwargs)
    with pytest.raises(TypeError):
        split(range(3), some_argument=1.1)
    with pytest.raises(ValueError):
        split(range(3), range(42))
    with pytest.raises(
        ValueError,
        match=r"train_size=11 should be either positive and smaller than the number of samples 10 or a float in the \(0, 1\) range",
    ):
        split(range(10), train_size=11, test_size=1)


@pytest.mark.parametrize(("train_size", "exp_train", "exp_test"), [(None, 7, 3), (8, 8, 2), (0.8, 8, 2)])
def test_train_test_split_default_test_size(train_size, exp_train, exp_test):
    """Ports test_train_test_split_default_test_size: 0.25 when both are None, else the complement."""
    X_train, X_test = split(X, train_size=train_size)
    assert (len(X_train), len(X_test)) == (exp_train, exp_test)


def test_train_test_split():
    """Ports test_train_test_split: rows stay together across arrays, lists stay lists, n-d arrays, stratify."""
    X2, y = np.arange(100).reshape((10, 10)), np.arange(10)
    X_train, X_test, y_train, y_test = split(X2, y, test_size=None, train_size=0.5)
    assert len(y_test) == len(y_train)
    assert_array_equal(X_train[:, 0], y_train * 10) and assert_array_equal(X_test[:, 0], y_test * 10)
    parts = split(X2, sp.coo_matrix(X2), y.tolist())
    assert isinstance(parts[4], list) and isinstance(parts[5], list)
    parts = split(np.arange(10 * 5 * 3 * 2).reshape(10, 5, 3, 2), np.arange(10 * 7 * 11).reshape(10, 7, 11))
    assert [p.shape for p in parts] == [(7, 5, 3, 2), (3, 5, 3, 2), (7, 7, 11), (3, 7, 11)]
    y = np.array([1, 1, 1, 1, 2, 2, 2, 2])
    for test_size, expected in zip([2, 4, 0.25, 0.5, 0.75], [2, 4, 2, 4, 6], strict=True):
        train, test = split(y, test_size=test_size, stratify=y, random_state=0)
        assert len(test) == expected and len(test) + len(train) == len(y)
        assert np.sum(train == 1) == np.sum(train == 2)


def test_train_test_split_32bit_overflow():
    """Ports test_train_test_split_32bit_overflow: 100,000 rows with a 1% class."""
    X_big = np.arange(100_000)
    y = X_big > 0.99 * 100_000
    X_train, X_test, y_train, y_test = split(X_big, y, stratify=y, train_size=0.25)
    assert X_train.size + X_test.size == 100_000 and y_train.size + y_test.size == 100_000


def test_train_test_split_pandas_and_sparse():
    """Ports test_train_test_split_pandas and test_train_test_split_sparse: types kept, sparse as CSR."""
    X_train, X_test = split(pd.DataFrame(X))
    assert isinstance(X_train, pd.DataFrame) and isinstance(X_test, pd.DataFrame)
    for container in (sp.coo_matrix, sp.csc_matrix, sp.csr_matrix):
        X_train, X_test = split(container(np.arange(100).reshape((10, 10))))
        assert sp.issparse(X_train) and X_train.format == "csr" and X_test.format == "csr"


def test_train_test_split_list_input():
    """Ports test_train_test_split_list_input: string, float and list labels split alike."""
    X7, y1 = np.ones(7), ["1"] * 4 + ["0"] * 3
    y2 = np.hstack((np.ones(4), np.zeros(3)))
    for stratify in (True, False):
        first = split(X7, y1, stratify=y1 if stratify else None, random_state=0)
        second = split(X7, y2, stratify=y2 if stratify else None, random_state=0)
        third = split(X7, y2.tolist(), stratify=y2.tolist() if stratify else None, random_state=0)
        np.testing.assert_equal(first[0], second[0])
        np.testing.assert_equal(second[2], third[2])
        np.testing.assert_equal(first[1], third[1])


def test_train_test_split_allow_nans_and_empty_trainset():
    """Ports test_train_test_split_allow_nans and test_train_test_split_empty_trainset."""
    X_nan = np.arange(200, dtype=np.float64).reshape(10, -1)
    X_nan[2, :] = np.nan
    split(X_nan, np.repeat([0, 1], 5), test_size=0.2, random_state=42)
    with pytest.raises(ValueError, match="With n_samples=1, test_size=0.99 and train_size=None, the resulting train set will be empty"):
        split([[1]], test_size=0.99)
    with pytest.raises(ValueError, match="With n_samples=3, test_size=0.67 and train_size=None, the resulting train set will be empty"):
        split([[1], [1], [1]], test_size=0.67)


# --------------------------------------------------------------------------- ours beyond sklearn


def tasks_frame(n=400, seed=0):
    """Mixed tasks with missing labels, an index that is not 0..n-1, and groups."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "kind": rng.choice(["cat", "dog", "eel"], n, p=[0.6, 0.3, 0.1]),
        "flag": np.where(rng.random(n) < 0.1, np.nan, rng.integers(0, 2, n)),
        "price": rng.lognormal(size=n),
        "tags": rng.choice(["a", "b", "a|b", None], n),
    }, index=pd.Index(rng.permutation(n) + 1000, name="id"))  # fmt: skip
    return frame, rng.integers(0, 80, n)


def test_pandas_in_pandas_out_index_kept_and_rows_in_order():
    frame, _ = tasks_frame()
    features = pd.DataFrame({"x": np.arange(len(frame))}, index=frame.index)
    X_train, X_test, y_train, y_test = split(features, frame, stratify=frame, random_state=0)
    assert isinstance(X_train, pd.DataFrame) and isinstance(y_test, pd.DataFrame)
    assert X_train.index.equals(y_train.index) and X_test.index.equals(y_test.index)
    assert sorted(X_train.index.append(X_test.index)) == sorted(frame.index)
    assert X_train["x"].is_monotonic_increasing  # each set keeps the rows' order
    assert (len(X_train), len(X_test)) == (300, 100)


def test_every_task_of_a_frame_is_balanced():
    frame, _ = tasks_frame(1000)
    train, val, test = split(frame, stratify=frame, val_size=0.15, test_size=0.15, random_state=1)
    assert (len(train), len(val), len(test)) == (700, 150, 150)
    for column in ("kind", "flag"):
        whole = frame[column].value_counts(normalize=True, dropna=False)
        for part in (train, val, test):
            shares = part[column].value_counts(normalize=True, dropna=False).reindex(whole.index, fill_value=0)
            assert (shares - whole).abs().max() < 0.02, column
    bins = pd.qcut(frame["price"], 5, labels=False)
    for part in (val, test):
        assert np.bincount(bins[part.index], minlength=5).min() >= 28  # 30 per quintile, within a couple of rows


def test_groups_are_never_split_and_seeds_repeat():
    frame, groups = tasks_frame()
    parts = split(frame, groups, stratify=frame[["kind", "flag"]], groups=groups, val_size=0.2, random_state=3)
    _, _, _, g_train, g_val, g_test = parts
    assert not set(g_train) & set(g_val) and not set(g_train) & set(g_test) and not set(g_val) & set(g_test)
    again = split(frame, groups, stratify=frame[["kind", "flag"]], groups=groups, val_size=0.2, random_state=3)
    assert all(a.equals(b) if hasattr(a, "equals") else np.array_equal(a, b) for a, b in zip(parts, again, strict=True))


def test_multilabel_matrix_and_order_2():
    y = (np.random.default_rng(0).random((300, 8)) < 0.25).astype(int)
    y_train, y_test = split(y, stratify=sp.csr_matrix(y), test_size=0.2, random_state=0, order=2)
    assert np.abs(y_test.sum(axis=0) - y.sum(axis=0) * 0.2).max() <= 1
    with pytest.raises(ConfigError, match="order=3"):
        split(y, stratify=y, order=3)


def test_a_class_of_one_row_is_an_error_for_1d_labels_and_a_warning_for_tasks():
    y = np.array([0] * 9 + [1])
    with pytest.raises(ValueError, match="least populated class in y has only 1 member"):
        split(y, stratify=y)
    both = np.column_stack([y, np.arange(10) % 2])
    with pytest.warns(UserWarning, match="too rare"):
        split(both, stratify=both, random_state=0)


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        (dict(test_size=0.5, val_size=0.5), "test_size=0.5, val_size=0.5 and train_size=None, the resulting train set"),
        (dict(train_size=0.8, val_size=0.2), "test_size=None, val_size=0.2 and train_size=0.8, the resulting test set"),
    ],
)
def test_an_empty_set_names_val_size_when_it_emptied_it(sizes, message):
    with pytest.raises(ConfigError, match=f"^With n_samples=100, {message} will be empty"):
        split(np.arange(100), **sizes)
