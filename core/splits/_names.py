"""The split vocabulary, once: split and fold names, ``excluded``, the display order, and split codes.

Every strategy writes one split name per row (``train``/``val``/``test``, ``fold-0``.. from
:func:`fold_name`, a predefined name, or ``excluded``); every diagnostic reads it back through
:func:`split_codes`, one integer per row (-1 for ``excluded``), in the order :func:`split_order` gives.
A fold's number is read by :func:`fold_index` only. (:mod:`core.figures` imports nothing of core:
its palette mirrors :func:`fold_index`, and a test checks that they agree.)
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import DataError

__all__ = [
    "EXCLUDED",
    "WHOLE",
    "NAMED_SPLITS",
    "fold_name",
    "fold_index",
    "is_fold",
    "split_order",
    "predefined_order",
    "split_codes",
    "assignment_codes",
    "split_rows",
]

WHOLE = "all"  # the whole data, shown beside the splits
EXCLUDED = "excluded"
NAMED_SPLITS = ("train", "val", "test")
# A predefined split column's names that read as train/val/test, in that order (the rest follow, by name).
_PREDEFINED_FIRST = ("train", "training", "val", "valid", "validation", "dev", "test")
_FOLD_PREFIX = "fold-"
_FOLD = re.compile(r"fold-(\d+)")


# --------------------------------------------------------------------------- names


def fold_name(i: int) -> str:
    """The split name of fold ``i`` (numbered from 0).

    Examples
    --------
    >>> fold_name(0), fold_name(12)
    ('fold-0', 'fold-12')
    """
    return f"{_FOLD_PREFIX}{int(i)}"


def fold_index(name) -> int | None:
    """The number of a fold's split name, or None when ``name`` is not a fold.

    Examples
    --------
    >>> fold_index("fold-3"), fold_index("fold-x"), fold_index("train"), fold_index("my fold-1")
    (3, None, None, None)
    """
    fold = _FOLD.fullmatch(str(name))
    return int(fold.group(1)) if fold else None


def is_fold(name) -> bool:
    """Whether ``name`` is a fold's split name (``fold-0``, ``fold-1``, ...).

    Examples
    --------
    >>> is_fold("fold-1"), is_fold("fold-"), is_fold("excluded")
    (True, False, False)
    """
    return fold_index(name) is not None


# --------------------------------------------------------------------------- order


def _split_key(name: str) -> tuple:
    if name in NAMED_SPLITS:
        return (0, NAMED_SPLITS.index(name), "")
    fold = fold_index(name)
    if fold is not None:
        return (1, fold, "")
    if name == EXCLUDED:
        return (3, 0, "")
    return (2, 0, name)


def split_order(names) -> list[str]:
    """Distinct split names in display order: train, val, test, folds by number, others, excluded.

    Examples
    --------
    >>> split_order(["test", "fold-10", "excluded", "train", "fold-2", "val"])
    ['train', 'val', 'test', 'fold-2', 'fold-10', 'excluded']
    """
    return sorted({str(name) for name in names}, key=_split_key)


def _predefined_key(name: str) -> tuple:
    if name in _PREDEFINED_FIRST:
        return (0, _PREDEFINED_FIRST.index(name), ())
    head = name.rstrip("0123456789")
    tail = name[len(head) :]
    return (1, 0, (head, int(tail) if tail else -1, name))


def predefined_order(names) -> list[str]:
    """A predefined split column's names in order: train/val/test (and their synonyms) first, then the
    rest by name, numbers by value (``fold-2`` before ``fold-10``).

    Examples
    --------
    >>> predefined_order(["test", "holdout", "fold-10", "training", "fold-2", "dev"])
    ['training', 'dev', 'test', 'fold-2', 'fold-10', 'holdout']
    """
    return sorted(names, key=_predefined_key)


# --------------------------------------------------------------------------- assignment


def split_codes(assignment, n_rows: int | None = None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer split code per row (-1 for ``excluded``) and the split names in display order.

    Raises :class:`DataError` when the length differs from ``n_rows`` or a row has no split.

    Examples
    --------
    >>> codes, names = split_codes(["test", "train", "excluded", "train"])
    >>> codes.tolist(), names
    ([1, 0, -1, 0], ('train', 'test'))
    """
    if isinstance(assignment, pd.Series | pd.Index | pd.Categorical):
        values = assignment
    else:
        values = np.asarray(assignment)
        values = values.astype(object) if values.dtype.kind not in "OUT" else values.ravel()
    if n_rows is not None and len(values) != n_rows:
        raise DataError(
            f"The assignment has {len(values):,} rows but the data has {n_rows:,}; "
            "give one split name per row."
        )
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if (codes < 0).any():
        raise DataError(
            f"{int((codes < 0).sum()):,} rows of the assignment have no split; "
            f"give every row a split name, or '{EXCLUDED}' to leave it out."
        )
    names = [str(u) for u in uniques]
    ordered = [name for name in split_order(names) if name != EXCLUDED]
    position = {name: i for i, name in enumerate(ordered)}
    lookup = np.array([position.get(name, -1) for name in names], dtype=np.int64)
    return lookup[codes], tuple(ordered)


def assignment_codes(index: pd.Index, assignment) -> tuple[np.ndarray, tuple[str, ...]]:
    """Split code per row of the data (-1 excluded) and split names, aligning a Series by index."""
    if isinstance(assignment, pd.Series) and not assignment.index.equals(index):
        if len(assignment) == len(index) and assignment.index.sort_values().equals(index.sort_values()):
            assignment = assignment.reindex(index)
        else:
            raise DataError(
                "The assignment's index does not match the data's; pass SplitResult.assignment "
                "for this data, or a plain array with one split name per row."
            )
    return split_codes(assignment, len(index))


def split_rows(index: pd.Index, assignment) -> tuple[np.ndarray, tuple[str, ...]]:
    """Like :func:`assignment_codes`, but with no assignment every row is in one split, ``all``."""
    if assignment is None:
        return np.zeros(len(index), dtype=np.int64), (WHOLE,)
    return assignment_codes(index, assignment)
