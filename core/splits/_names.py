"""The split vocabulary, once: split and fold names, ``excluded``, the display order, and split codes.

Every strategy writes one split name per row (``train``/``val``/``test``, ``fold-0``.., a
predefined name, or ``excluded``); every diagnostic reads it back through :func:`split_codes`,
one integer per row (-1 for ``excluded``), in the order :func:`split_order` gives.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from core.errors import DataError

__all__ = ["EXCLUDED", "WHOLE", "split_order", "split_codes", "assignment_codes", "split_rows"]

WHOLE = "all"  # the whole data, shown beside the splits
EXCLUDED = "excluded"
_NAMED_SPLITS = ("train", "val", "test")
_FOLD = re.compile(r"fold-(\d+)")


# --------------------------------------------------------------------------- assignment


def _split_key(name: str) -> tuple:
    if name in _NAMED_SPLITS:
        return (0, _NAMED_SPLITS.index(name), "")
    fold = _FOLD.fullmatch(name)
    if fold:
        return (1, int(fold.group(1)), "")
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
