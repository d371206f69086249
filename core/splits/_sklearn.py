"""sklearn's stratified splitters for many tasks at once: :class:`MultiTaskStratifiedKFold`,
:class:`MultiTaskStratifiedShuffleSplit`, :class:`MultiTaskStratifiedGroupKFold` and
:class:`RepeatedMultiTaskStratifiedKFold`.

Each takes the parameter names, defaults, validation (in ``__init__`` where sklearn validates
there, with sklearn's exception types), rounding and ``shuffle`` semantics of its sklearn
counterpart, and subclasses sklearn's public ``BaseCrossValidator`` (never a private base).
``__init__`` only checks and stores its parameters; the random generator is made at the start of
every ``split`` and numpy's global one is never touched. ``y`` (required) is read by
:func:`core.splits._targets.read_targets`: 1-D, a 0/1 matrix (dense or sparse) or a DataFrame of
task columns, with missing labels. With ``groups``, no group is split.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils import indexable

from ..errors import ConfigError, DataError
from ._names import fold_name
from ._targets import Targets, check_order, make_rng, n_samples, read_targets, stratified_split, units_of
from ._train_test import check_shuffle_classes, set_shares, split_sizes

__all__ = [
    "MultiTaskStratifiedKFold",
    "MultiTaskStratifiedShuffleSplit",
    "MultiTaskStratifiedGroupKFold",
    "RepeatedMultiTaskStratifiedKFold",
]


class ShuffleTypeError(ConfigError, TypeError):
    """``shuffle`` is not a bool: a TypeError, as in sklearn, and a ConfigError, as every bad setting here."""


def _check_kfold(n_splits, shuffle, random_state, order) -> None:
    """sklearn's ``_BaseKFold.__init__`` checks, with its exception types, and ours of ``order``."""
    if isinstance(n_splits, bool) or not isinstance(n_splits, numbers.Integral):
        raise ConfigError(
            f"n_splits={n_splits!r} must be of Integral type (a whole number of folds); use 5."
        )
    if n_splits <= 1:
        raise ConfigError(
            f"n_splits={n_splits}: k-fold cross-validation requires at least one train/test split "
            "by setting n_splits=2 or more."
        )
    if not isinstance(shuffle, bool):
        raise ShuffleTypeError(f"shuffle must be True or False; got {shuffle!r}.")
    if not shuffle and random_state is not None:
        raise ConfigError(
            "Setting a random_state has no effect since shuffle is False; "
            "leave random_state=None or set shuffle=True."
        )
    check_order(order)


def _class_folds(classes: np.ndarray, k: int) -> np.ndarray:
    """sklearn's unshuffled ``StratifiedKFold`` folds of one task: the class counts of each fold by a
    round robin over the sorted classes, each class's rows dealt to the folds in data order, in blocks.

    Examples
    --------
    >>> _class_folds(np.array([0, 0, 0, 1, 1, 1, 1]), 2).tolist()
    [0, 0, 1, 0, 0, 1, 1]
    """
    n_classes = int(classes.max()) + 1
    ordered = np.sort(classes)
    allocation = np.array([np.bincount(ordered[i::k], minlength=n_classes) for i in range(k)])  # (k, C)
    folds = np.empty(len(classes), dtype=np.int64)
    by_class = np.argsort(classes, kind="stable")  # each class's rows, in data order
    folds[by_class] = np.concatenate([np.repeat(np.arange(k), allocation[:, c]) for c in range(n_classes)])
    return folds


def _check_kfold_classes(targets: Targets, k: int) -> None:
    """sklearn's checks of a 1-D ``y`` against ``n_splits``: an error when every class is rarer, a
    warning when the rarest is."""
    counts = targets.class_counts
    if counts is None or counts.size < 2:
        return
    if (counts < k).all():
        raise DataError(
            f"n_splits={k} cannot be greater than the number of members in each class "
            f"(at most {counts.max()}); lower n_splits."
        )
    if counts.min() < k:
        warnings.warn(
            f"The least populated class in y has only {counts.min()} members, which is less than n_splits={k}.",
            UserWarning,
            stacklevel=5,
        )


class _KFoldBase(BaseCrossValidator):
    """k folds of the rows (or of whole groups), every task balanced at once."""

    __metadata_request__split = {"groups": True}  # as sklearn's GroupsConsumerMixin does
    _groups_required = False

    def __init__(self, n_splits: int = 5, *, shuffle: bool = False, random_state=None, order: int = 1) -> None:
        _check_kfold(n_splits, shuffle, random_state, order)
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state
        self.order = order

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """The number of folds, ``n_splits``."""
        return self.n_splits

    def split(self, X, y, groups=None):
        """Yield ``(train, test)`` index arrays, one pair per fold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Only its length is read; ``np.zeros(n_samples)`` will do.
        y : array-like of shape (n_samples,) or (n_samples, n_tasks), DataFrame or sparse matrix
            The labels to stratify on (required).
        groups : array-like of shape (n_samples,), optional
            No group is split across folds.
        """
        X, y, groups = indexable(X, y, groups)
        fold = self._folds(X, y, groups)  # every check runs at the first next(), as in sklearn
        for i in range(self.n_splits):
            yield np.flatnonzero(fold != i), np.flatnonzero(fold == i)

    def _iter_test_masks(self, X=None, y=None, groups=None):
        fold = self._folds(X, y, groups)
        for i in range(self.n_splits):
            yield fold == i

    def _folds(self, X, y, groups) -> np.ndarray:
        """Each row's fold."""
        n_rows = n_samples(X)
        targets = read_targets(y, n_rows)
        units = units_of(groups, n_rows, self._groups_required)
        k = self.n_splits
        n_units = units.sizes.size
        if k > n_units:
            raise DataError(f"n_splits={k} is greater than the {n_units} {units.word} of the dataset. Lower n_splits.")
        _check_kfold_classes(targets, k)
        if not self.shuffle and targets.classes is not None and units.code is None and self.order == 1:
            return _class_folds(targets.classes, k)  # one task: exactly StratifiedKFold's folds
        rng = make_rng(self.random_state) if self.shuffle else None
        names = tuple(fold_name(i) for i in range(k))
        return stratified_split(targets, units, np.full(k, 1.0 / k), rng, self.order, names)


class MultiTaskStratifiedKFold(_KFoldBase):
    """sklearn's ``StratifiedKFold`` for many tasks at once: k folds balancing every task (column of ``y``).

    ``y`` may be 1-D (one binary or multiclass task: then, unshuffled, the folds are exactly
    ``StratifiedKFold``'s), a 0/1 label matrix (dense or scipy sparse), one task per column, or a
    DataFrame of task columns of any kind (regression columns are binned into quintiles); NaN/None
    is a missing label. Given ``groups``, no group is split (see also
    :class:`MultiTaskStratifiedGroupKFold`, which requires them).

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    shuffle : bool, default=False
        False deals the rows in data order, without randomness (each class's first rows go to the
        first fold, as in ``StratifiedKFold``): the same folds on every call, and dependent
        neighbouring rows stay together. True deals them at random.
    random_state : int, RandomState, numpy Generator or None, default=None
        Only with ``shuffle=True``: an int (0 too) gives the same folds on every call, None new ones.
    order : {1, 2}, default=1
        2 also balances every co-occurring pair of labels.

    Notes
    -----
    For 1-D ``y``, as ``StratifiedKFold``: an error when every class has fewer than ``n_splits``
    rows, a warning when the rarest has. For multi-label or multi-task ``y``, where rare labels are
    normal, a warning names the labels too rare to reach every fold, and the split goes ahead.

    Examples
    --------
    >>> y = np.array([[0, 1], [1, 0], [1, 1], [0, 0]] * 5)
    >>> cv = MultiTaskStratifiedKFold(n_splits=2)
    >>> [len(test) for _, test in cv.split(np.zeros((20, 1)), y)]
    [10, 10]
    """


class MultiTaskStratifiedGroupKFold(_KFoldBase):
    """sklearn's ``StratifiedGroupKFold`` for many tasks at once: k folds of whole groups, every task balanced.

    Takes ``y`` as :class:`MultiTaskStratifiedKFold` does, and requires ``groups``: each group's
    rows are all in one fold, and each fold's size is within the largest group's size of its share.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2 and at most the number of groups.
    shuffle : bool, default=False
        False deals the groups in order of first appearance, without randomness; True at random.
    random_state : int, RandomState, numpy Generator or None, default=None
        Only with ``shuffle=True``.
    order : {1, 2}, default=1
        2 also balances every co-occurring pair of labels.

    Examples
    --------
    >>> y = np.array([0, 1] * 10)
    >>> groups = np.repeat(np.arange(10), 2)
    >>> cv = MultiTaskStratifiedGroupKFold(n_splits=2)
    >>> [np.bincount(y[test]).tolist() for _, test in cv.split(np.zeros(20), y, groups)]
    [[5, 5], [5, 5]]
    """

    _groups_required = True


class MultiTaskStratifiedShuffleSplit(BaseCrossValidator):
    """sklearn's ``StratifiedShuffleSplit`` for many tasks at once: random train/test splits balancing every task.

    Takes ``y`` as :class:`MultiTaskStratifiedKFold` does; given ``groups``, no group is split.
    Sizes round as sklearn's: the test set is ``ceil(test_size * n)`` rows, the train set
    ``floor(train_size * n)`` (or the rest). Labels tying for a rounded-up row get it at random:
    over many splits every row is in the test set at its share.

    Parameters
    ----------
    n_splits : int, default=10
        Number of re-shuffling and splitting iterations.
    test_size : float or int, default=None
        Share of rows (in (0, 1)) or number of rows in the test set; None: the complement of
        ``train_size``, or 0.1 when both are None.
    train_size : float or int, default=None
        Share or number of rows in the train set; None: the complement of ``test_size``.
    random_state : int, RandomState, numpy Generator or None, default=None
        An int (0 too) gives the same splits on every call, None new ones.
    order : {1, 2}, default=1
        2 also balances every co-occurring pair of labels.

    Notes
    -----
    For 1-D ``y``, as ``StratifiedShuffleSplit``: an error for a class of one row, or a train or
    test set smaller than the number of classes. For multi-label or multi-task ``y`` a warning
    names the labels too rare to reach both sets, and the split goes ahead.

    Examples
    --------
    >>> y = np.array([0, 1] * 10)
    >>> cv = MultiTaskStratifiedShuffleSplit(n_splits=1, test_size=0.5, random_state=0)
    >>> [np.bincount(y[test]).tolist() for _, test in cv.split(np.zeros((20, 1)), y)]
    [[5, 5]]
    """

    __metadata_request__split = {"groups": True}

    def __init__(
        self, n_splits: int = 10, *, test_size=None, train_size=None, random_state=None, order: int = 1
    ) -> None:
        check_order(order)
        self.n_splits = n_splits
        self.test_size = test_size
        self.train_size = train_size
        self.random_state = random_state
        self.order = order

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """The number of train/test splits, ``n_splits``."""
        return self.n_splits

    def split(self, X, y, groups=None):
        """Yield ``(train, test)`` index arrays, ``n_splits`` times; ``y`` is required, no group is split."""
        X, y, groups = indexable(X, y, groups)
        n_rows = n_samples(X)
        k = self.n_splits
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
            raise ConfigError(f"n_splits={k!r} must be a whole number of at least 1; use 10.")
        n_train, n_test = split_sizes(n_rows, self.test_size, self.train_size, default_test_size=0.1)[::2]
        targets = read_targets(y, n_rows)
        units = units_of(groups, n_rows, required=False)
        check_shuffle_classes(targets, n_train, n_test)
        shares, names = set_shares(n_rows, {"train": n_train, "test": n_test})
        rng = make_rng(self.random_state)
        indices = np.arange(n_rows)
        for _ in range(k):
            part = stratified_split(targets, units, shares, rng, self.order, names, fair_ties=True)
            yield indices[part == 0], indices[part == 1]


class RepeatedMultiTaskStratifiedKFold(BaseCrossValidator):
    """sklearn's ``RepeatedStratifiedKFold`` for many tasks at once: shuffled
    :class:`MultiTaskStratifiedKFold` folds, repeated ``n_repeats`` times with new randomness each time.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    n_repeats : int, default=10
        Number of repetitions.
    random_state : int, RandomState, numpy Generator or None, default=None
        An int (0 too) gives the same folds on every call, None new ones.
    order : {1, 2}, default=1
        2 also balances every co-occurring pair of labels.

    Examples
    --------
    >>> cv = RepeatedMultiTaskStratifiedKFold(n_splits=2, n_repeats=3, random_state=0)
    >>> cv.get_n_splits(), len(list(cv.split(np.zeros(8), [0, 1] * 4)))
    (6, 6)
    """

    __metadata_request__split = {"groups": True}

    def __init__(self, *, n_splits: int = 5, n_repeats: int = 10, random_state=None, order: int = 1) -> None:
        if isinstance(n_repeats, bool) or not isinstance(n_repeats, numbers.Integral):
            raise ConfigError(f"n_repeats={n_repeats!r}: the number of repetitions must be of Integral type; use 10.")
        if n_repeats <= 0:
            raise ConfigError(f"n_repeats={n_repeats}: the number of repetitions must be greater than 0.")
        _check_kfold(n_splits, True, random_state, order)
        self.n_splits = n_splits
        self.n_repeats = n_repeats
        self.random_state = random_state
        self.order = order

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """The number of train/test pairs, ``n_splits * n_repeats``."""
        return self.n_splits * self.n_repeats

    def split(self, X, y, groups=None):
        """Yield ``(train, test)`` index arrays: ``n_repeats`` rounds of ``n_splits`` folds."""
        rng = make_rng(self.random_state)
        for _ in range(self.n_repeats):
            folds = MultiTaskStratifiedKFold(self.n_splits, shuffle=True, random_state=rng, order=self.order)
            yield from folds.split(X, y, groups)
