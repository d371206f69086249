"""sklearn's train/test sizes (:func:`split_sizes`) and :func:`multitask_train_test_split`, sklearn's
``train_test_split`` for many tasks at once, with an optional validation set.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from sklearn.utils import _safe_indexing, indexable

from ..errors import ConfigError, DataError
from ._targets import Targets, check_order, make_rng, n_samples, read_targets, stratified_split, units_of

__all__ = ["multitask_train_test_split", "split_sizes", "set_shares", "check_shuffle_classes"]


def multitask_train_test_split(
    *arrays, test_size=None, train_size=None, val_size=None, random_state=None, stratify=None, groups=None, order=1
) -> list:
    """sklearn's ``train_test_split`` for many tasks: split arrays into train and test (and validation) sets,
    stratified on every task of ``stratify`` at once, keeping ``groups`` whole.

    Parameters
    ----------
    *arrays : lists, numpy arrays, scipy sparse matrices or pandas DataFrames/Series of one length
        Each comes back split, as its own type (sparse as CSR); pandas keeps its index.
    test_size, train_size : float or int, default=None
        Share of rows (in (0, 1)) or number of rows; rounded as sklearn's (test up, train down).
        None takes the rest; test is 0.25 when both are None.
    val_size : float or int, default=None
        When given, a validation set of that size too (rounded up), and triples come back.
    random_state : int, RandomState, numpy Generator or None, default=None
    stratify : array-like, 0/1 matrix or DataFrame of task columns, default=None
        The labels to balance, read as ``MultiTaskStratifiedKFold`` reads ``y``; None: a random split.
    groups : array-like of shape (n_samples,), default=None
        No group is split across the sets (their sizes are then within a group of their share).
    order : {1, 2}, default=1
        2 also balances every co-occurring pair of labels.

    Returns
    -------
    list
        ``train, test`` for each array in turn, or ``train, val, test`` with ``val_size``.
        Rows keep their order within each set.

    Examples
    --------
    >>> X, y = np.arange(20).reshape(10, 2), np.array([0, 1] * 5)
    >>> X_train, X_test, y_train, y_test = multitask_train_test_split(X, y, stratify=y, random_state=0)
    >>> len(X_train), len(X_test), int(y_test.sum()) in (1, 2)  # 1.5 rows of each class: a tie, drawn
    (7, 3, True)
    """
    if not arrays:
        raise ConfigError("At least one array required as input; pass X (and y) to split.")
    check_order(order)
    arrays = indexable(*arrays)
    n_rows = n_samples(arrays[0])
    n_train, n_val, n_test = split_sizes(n_rows, test_size, train_size, val_size, default_test_size=0.25)
    sets = {"train": n_train, **({"val": n_val} if val_size is not None else {}), "test": n_test}
    shares, names = set_shares(n_rows, sets)
    if stratify is None:
        targets = Targets(sp.csr_matrix((n_rows, 0), dtype=np.uint8), [])
    else:
        targets = read_targets(stratify, n_rows, name="stratify")
        check_shuffle_classes(targets, n_train, n_test)
    units = units_of(groups, n_rows, required=False)
    part = stratified_split(targets, units, shares, make_rng(random_state), order, names, fair_ties=True)
    rows = [np.flatnonzero(part == i) for i in range(len(sets))]
    return [_safe_indexing(array, index) for array in arrays for index in rows]


# ---------------------------------------------------------------------------------------------
# train/test sizes, as sklearn's ShuffleSplit and train_test_split round them


def check_shuffle_classes(targets: Targets, n_train: int, n_test: int) -> None:
    """sklearn's ``StratifiedShuffleSplit`` checks of a 1-D ``y``."""
    counts = targets.class_counts
    if counts is None:
        return
    if counts.min() < 2:
        raise DataError(
            f"The least populated class in y has only 1 member, which is too few: every class needs "
            f"at least 2 rows ({int((counts < 2).sum())} class(es) have 1); merge or drop them."
        )
    for name, size in (("train_size", n_train), ("test_size", n_test)):
        if size < counts.size:
            raise DataError(
                f"The {name} = {size} should be greater or equal to the number of classes = {counts.size}; "
                f"raise {name}."
            )


def set_shares(n_rows: int, sizes: dict[str, int]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Each named set's share of the rows, and the rest (rows in no set) as a last split, if any."""
    names = tuple(sizes)
    counts = [sizes[name] for name in names]
    rest = n_rows - sum(counts)
    if rest > 0:
        counts, names = counts + [rest], names + ("unused",)
    return np.array(counts, dtype=np.float64) / n_rows, names


def _size_kind(value) -> str:
    return np.asarray(value).dtype.kind


def _check_size(name: str, value, n_rows: int) -> None:
    kind = _size_kind(value)
    if (kind == "i" and not 0 < value < n_rows) or (kind == "f" and not 0 < value < 1):
        raise ConfigError(
            f"{name}={value} should be either positive and smaller than the number of samples {n_rows} "
            "or a float in the (0, 1) range."
        )
    if value is not None and kind not in ("i", "f"):
        raise ConfigError(f"Invalid value for {name}: {value!r}; pass a float in (0, 1) or a number of rows.")


def _rows(value, n_rows: int, up: bool) -> int | None:
    if value is None:
        return None
    if _size_kind(value) == "i":
        return int(value)
    return math.ceil(value * n_rows) if up else math.floor(value * n_rows)


def split_sizes(n_rows: int, test_size, train_size, val_size=None, *, default_test_size: float) -> tuple[int, int, int]:
    """Rows in the train, validation and test sets, rounded and checked as sklearn's
    ``_validate_shuffle_split`` does: test (and validation) sizes round up, the train size down,
    and a set left as None takes the rest.

    Examples
    --------
    >>> split_sizes(16, 0.33, None, default_test_size=0.1)
    (10, 0, 6)
    >>> split_sizes(10, None, None, 0.2, default_test_size=0.25)
    (5, 2, 3)
    """
    if test_size is None and train_size is None:
        test_size = default_test_size
    given = {"test_size": test_size, "train_size": train_size, "val_size": val_size}
    for name, value in given.items():
        _check_size(name, value, n_rows)
    floats = {name: value for name, value in given.items() if value is not None and _size_kind(value) == "f"}
    if len(floats) > 1 and sum(floats.values()) > 1:
        raise ConfigError(
            f"The sum of {' and '.join(floats)} = {sum(floats.values())}, should be in the (0, 1) range. "
            f"Reduce {' and/or '.join(floats)}."
        )
    n_test, n_train, n_val = _rows(test_size, n_rows, True), _rows(train_size, n_rows, False), _rows(val_size, n_rows, True) or 0
    if n_train is None:
        n_train = n_rows - n_test - n_val
    elif n_test is None:
        n_test = n_rows - n_train - n_val
    if n_train + n_val + n_test > n_rows:
        raise ConfigError(
            f"The sum of train_size and test_size{' and val_size' if val_size is not None else ''} = "
            f"{n_train + n_val + n_test}, should be smaller than the number of samples {n_rows}. "
            "Reduce test_size and/or train_size."
        )
    for name, size in (("train", n_train), ("test", n_test)):
        if size <= 0:
            val = f", val_size={val_size}" if val_size is not None else ""
            raise ConfigError(
                f"With n_samples={n_rows}, test_size={test_size}{val} and train_size={train_size}, the resulting "
                f"{name} set will be empty. Adjust any of the aforementioned parameters."
            )
    return n_train, n_val, n_test
