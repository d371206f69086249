"""sklearn-compatible splitters: :class:`MultiTaskStratifiedKFold` and :class:`MultiTaskStratifiedShuffleSplit`.

Both subclass sklearn's public ``BaseCrossValidator`` (never a private base),
only store their parameters in ``__init__``, make their random generator at the
start of every ``split`` and never touch numpy's global one. ``y`` is 1-D (one
task) or 2-D (one binary or multiclass task per column, so a 0/1 matrix is a
multi-label set); NaN in a float ``y`` is a missing label. With ``groups``, no
group is split.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils.multiclass import type_of_target

from ..errors import ConfigError, DataError
from ..tasks import label_name
from ._names import fold_name
from ._units import Units, fill_empty_splits, make_units, rare_class_note
from .stratify import stratify
from .stratify._sorted import small_binary

__all__ = ["MultiTaskStratifiedKFold", "MultiTaskStratifiedShuffleSplit"]


def _rng(random_state) -> np.random.Generator:
    """None -> fresh entropy, an int -> a generator seeded with it (0 included); a Generator as is."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**32 - 1, dtype=np.int64))
    if random_state is None or (
        isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool)
    ):
        return np.random.default_rng(random_state)
    raise ConfigError(f"random_state={random_state!r} must be None, an int or a numpy Generator.")


def _label_indicators(y) -> tuple[sp.csr_matrix | np.ndarray, list[str]]:
    """Indicator columns for a 1-D label vector or one binary/multiclass task per column of 2-D ``y``.

    NaN/None are missing labels. A fully labelled two-class column keeps only
    its minority class (ties: the first row's class), so a 0/1 matrix becomes
    its positives and renaming labels changes nothing.
    """
    if y is None:
        raise ConfigError("y is required: these splitters stratify on the labels, so pass y to split().")
    binary = _binary_matrix_indicators(y)
    if binary is not None:
        return binary
    if sp.issparse(y):
        y = y.toarray()
    if isinstance(y, pd.Series):
        frame = y.to_frame()
    else:
        frame = pd.DataFrame(y) if np.ndim(y) == 2 else pd.DataFrame({"y": np.asarray(y)})
    blocks, labels = [], []
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        name = str(frame.columns[position]) if frame.shape[1] > 1 else "y"
        block, classes = _column_indicators(column, name)
        blocks.append(block)
        labels.extend(label_name(name, value) for value in classes)
    return sp.hstack(blocks, format="csr", dtype=np.uint8), labels


def _binary_matrix_indicators(y) -> tuple[sp.csr_matrix | np.ndarray, list[str]] | None:
    """The fast path for a 2-D 0/1 integer (or sparse) matrix, by the same minority rule; else None.

    A small matrix (what the sorted deal takes) becomes a dense bool matrix; a larger one is read
    once, column by column in sparse form, so a million-row multi-label set costs what its
    positives cost.
    """
    binary = small_binary(y) if sp.issparse(y) or (isinstance(y, np.ndarray) and y.dtype.kind in "biu") else None
    if binary is not None:
        first = binary[0] if len(binary) else np.zeros(binary.shape[1], dtype=bool)
        keep, flipped, labels = _minority_columns(binary.sum(axis=0), len(binary), first)
        return np.concatenate([binary[:, keep], ~binary[:, flipped]], axis=1), labels
    if sp.issparse(y):
        Y = sp.csr_matrix(y)
        values = Y.data
    elif isinstance(y, np.ndarray) and y.ndim == 2 and y.dtype.kind in "biu" and y.size:
        Y, values = None, y
    else:
        return None
    if values.size and (values.min() < 0 or values.max() > 1):
        return None
    Y = sp.csr_matrix(y, dtype=np.uint8) if Y is None else Y.astype(np.uint8)
    Y.eliminate_zeros()
    first = Y[0].toarray().ravel() if Y.shape[0] else np.zeros(Y.shape[1])
    keep, flipped, labels = _minority_columns(np.asarray(Y.sum(axis=0)).ravel(), Y.shape[0], first)
    blocks = [Y[:, keep]]
    if flipped.size:  # a column whose 1s are the majority keeps its 0s (usually few such columns)
        blocks.append(sp.csr_matrix(1 - Y[:, flipped].toarray(), dtype=np.uint8))
    return sp.hstack(blocks, format="csr", dtype=np.uint8), labels


def _minority_columns(counts, n: int, first) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The minority rule for 0/1 columns with ``counts`` ones in ``n`` rows: the columns kept as their
    1s, those kept as their 0s (1s the majority; ties: the first row's value), and their labels.
    Columns all 0 or all 1 say nothing and are dropped."""
    informative = (counts > 0) & (counts < n)
    flip = informative & ((2 * counts > n) | ((2 * counts == n) & (first == 0)))
    keep, flipped = np.flatnonzero(informative & ~flip), np.flatnonzero(flip)
    return keep, flipped, [label_name(str(j), "1") for j in keep] + [label_name(str(j), "0") for j in flipped]


def _column_indicators(column: pd.Series, name: str) -> tuple[sp.csr_matrix, list[str]]:
    codes, classes = pd.factorize(column, use_na_sentinel=True)
    observed = column[codes >= 0]
    if observed.empty:
        raise DataError(f"Label column {name} has no labelled rows; drop it or fill it.")
    kind = type_of_target(observed.to_numpy())
    if kind not in ("binary", "multiclass"):
        raise DataError(
            f"Label column {name} is {kind}; these splitters stratify classes, so bin it first (e.g. pd.qcut)."
        )
    n, k = codes.size, len(classes)
    if (codes >= 0).all() and k <= 2:
        counts = np.bincount(codes, minlength=k)
        if k == 1:
            return sp.csr_matrix((n, 0), dtype=np.uint8), []
        keep = int(np.argmin(counts)) if counts[0] != counts[1] else int(codes[0])
        rows = np.flatnonzero(codes == keep)
        block = sp.csr_matrix((np.ones(rows.size, np.uint8), (rows, np.zeros(rows.size, int))), shape=(n, 1))
        return block, [str(classes[keep])]
    rows = np.flatnonzero(codes >= 0)
    block = sp.csr_matrix((np.ones(rows.size, np.uint8), (rows, codes[rows])), shape=(n, k))
    return block, [str(value) for value in classes]


def _n_samples(X) -> int:
    return int(X.shape[0]) if hasattr(X, "shape") else len(X)


def _sklearnmake_units(y, groups, n_rows: int) -> tuple[sp.csr_matrix | np.ndarray, list[str], Units]:
    Y, labels = _label_indicators(y)
    if Y.shape[0] != n_rows:
        raise DataError(f"y has {Y.shape[0]} rows but X has {n_rows}; pass one label row per sample.")
    if groups is None:
        return Y, labels, Units(None, np.ones(n_rows, dtype=np.int64), "rows")
    frame = pd.DataFrame({"group": np.asarray(groups).ravel()})
    if len(frame) != n_rows:
        raise DataError(f"groups has {len(frame)} values but X has {n_rows} rows; pass one group per sample.")
    notes: list[str] = []
    units = make_units(frame, "group", notes, setting="groups")
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=5)
    return sp.csr_matrix(units.membership() @ Y.astype(np.int32)), labels, units


def _check_splitter_params(splitter, n_units: int, word: str) -> None:
    k = splitter.n_splits
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ConfigError(f"n_splits={k!r} must be a whole number of at least 1.")
    if splitter.order not in (1, 2):
        raise ConfigError(
            f"order={splitter.order!r} is not supported; use 1 (labels) or 2 (labels and label pairs)."
        )
    if n_units < 2:
        raise DataError(f"The dataset has {n_units} {word}; a split needs at least 2.")
    if isinstance(splitter, MultiTaskStratifiedKFold):
        if k < 2:
            raise ConfigError(f"n_splits={k} must be at least 2 for k-fold cross-validation; use 5.")
        if k > n_units:
            raise DataError(
                f"n_splits={k} is greater than the {n_units} {word} of the dataset. Lower n_splits."
            )
        if not splitter.shuffle and splitter.random_state is not None:
            raise ConfigError(
                "Setting a random_state has no effect since shuffle is False; leave random_state=None or set shuffle=True."
            )


class MultiTaskStratifiedKFold(BaseCrossValidator):
    """K folds balancing every task (column of ``y``) at once, optionally keeping groups whole.

    Parameters
    ----------
    n_splits : int, default=5
    order : {1, 2}, default=1
        2 also balances every co-occurring pair of labels.
    shuffle : bool, default=True
        False makes the folds fixed (a fixed generator); ``random_state`` must then be None.
    random_state : int, numpy Generator or None
        None draws fresh entropy at every ``split``; an int (0 too) is reproducible.

    Examples
    --------
    >>> y = np.array([[0, 1], [1, 0], [1, 1], [0, 0]] * 5)
    >>> cv = MultiTaskStratifiedKFold(n_splits=2, random_state=0)
    >>> [len(test) for _, test in cv.split(np.zeros((20, 1)), y)]
    [10, 10]
    """

    __metadata_request__split = {"groups": True}  # as sklearn's GroupsConsumerMixin does

    def __init__(self, n_splits: int = 5, *, order: int = 1, shuffle: bool = True, random_state=None) -> None:
        self.n_splits = n_splits
        self.order = order
        self.shuffle = shuffle
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """The number of folds."""
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Yield ``(train, test)`` index arrays; ``y`` is 1-D or one task per column; no group is split."""
        return super().split(X, y, groups)

    def _iter_test_masks(self, X=None, y=None, groups=None):
        unit_Y, labels, units = _sklearnmake_units(y, groups, _n_samples(X))
        _check_splitter_params(self, units.sizes.size, units.word)
        rng = _rng(self.random_state) if self.shuffle else np.random.default_rng(0)
        shares = np.full(self.n_splits, 1.0 / self.n_splits)
        sizes = None if units.code is None else units.sizes
        unit_fold = np.asarray(
            stratify(unit_Y, shares, rng=rng, sizes=sizes, order=self.order), dtype=np.int64
        )
        unit_fold = fill_empty_splits(unit_fold, units.sizes, shares)
        names = tuple(fold_name(i) for i in range(self.n_splits))
        note = rare_class_note(unit_Y, unit_fold, labels, names, shares, units.word)
        if note:
            warnings.warn(note, UserWarning, stacklevel=4)
        fold = units.rows(unit_fold)
        for i in range(self.n_splits):
            yield fold == i


class MultiTaskStratifiedShuffleSplit(BaseCrossValidator):
    """Repeated train/test splits balancing every task at once, optionally keeping groups whole.

    Parameters
    ----------
    n_splits : int, default=1
    test_size : float in (0, 1) or int, default=0.2
        Share of rows in the test set, or a count of rows.
    order : {1, 2}, default=1
    random_state : int, numpy Generator or None

    Examples
    --------
    >>> y = np.array([0, 1] * 10)
    >>> cv = MultiTaskStratifiedShuffleSplit(test_size=0.5, random_state=0)
    >>> [np.bincount(y[test]).tolist() for _, test in cv.split(np.zeros((20, 1)), y)]
    [[5, 5]]
    """

    __metadata_request__split = {"groups": True}

    def __init__(
        self, n_splits: int = 1, *, test_size: float | int = 0.2, order: int = 1, random_state=None
    ) -> None:
        self.n_splits = n_splits
        self.test_size = test_size
        self.order = order
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """The number of train/test splits."""
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Yield ``(train, test)`` index arrays; ``y`` is 1-D or one task per column; no group is split."""
        return super().split(X, y, groups)

    def _test_share(self, n_rows: int) -> float:
        size = self.test_size
        if isinstance(size, (float, np.floating)) and 0 < size < 1:
            return float(size)
        if isinstance(size, (int, np.integer)) and not isinstance(size, bool) and 0 < size < n_rows:
            return size / n_rows
        raise ConfigError(
            f"test_size={size!r} must be a share in (0, 1) or a count from 1 to {n_rows - 1}; use 0.2."
        )

    def _iter_test_masks(self, X=None, y=None, groups=None):
        unit_Y, labels, units = _sklearnmake_units(y, groups, _n_samples(X))
        _check_splitter_params(self, units.sizes.size, units.word)
        test = self._test_share(_n_samples(X))
        shares = np.array([1.0 - test, test])
        rng = _rng(self.random_state)
        sizes = None if units.code is None else units.sizes
        splits = [
            fill_empty_splits(
                np.asarray(stratify(unit_Y, shares, rng=rng, sizes=sizes, order=self.order), dtype=np.int64),
                units.sizes, shares,
            )
            for _ in range(self.n_splits)
        ]
        note = rare_class_note(unit_Y, splits[0], labels, ("train", "test"), shares, units.word)
        if note:
            warnings.warn(note, UserWarning, stacklevel=4)
        for unit_split in splits:
            yield units.rows(unit_split) == 1
