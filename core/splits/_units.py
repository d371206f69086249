"""Units and class coverage: the pieces :func:`core.splits.split` and the sklearn splitters share.

Rows become *units* before they are split: one unit per row, or one per group
when a group column is set, so that no group is ever cut in two. After a
stratified split, :func:`rare_class_note` names the classes too rare to reach
every split (a warning, as in sklearn, never an error).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DataError, shown

__all__ = ["Units", "make_units", "to_all_splits", "fill_empty_splits", "rare_class_note", "rare_line"]



@dataclass(frozen=True, eq=False)
class Units:
    """Rows grouped into units that are never cut: ``code`` per row, ``sizes`` per unit."""

    code: np.ndarray | None  # None: one unit per row
    sizes: np.ndarray
    word: str  # "rows" or "groups", for messages

    def membership(self) -> sp.csr_matrix:
        """``(n_units, n_rows)`` 0/1 matrix; ``membership() @ Y`` sums each unit's rows."""
        n_rows = self.code.size
        ones = np.ones(n_rows, dtype=np.int32)
        return sp.csr_matrix((ones, (self.code, np.arange(n_rows))), shape=(self.sizes.size, n_rows))

    def rows(self, unit_values: np.ndarray) -> np.ndarray:
        """Spread a per-unit array to rows."""
        return unit_values if self.code is None else unit_values[self.code]


def make_units(
    df: pd.DataFrame, group_column: str | None, notes: list[str], setting: str | None = None,
    fix: str = "a group split needs at least two groups, so pick another column or no group column",
) -> Units:
    """One unit per row, or per group; a row with no group id is a group of its own (with a note).

    ``fix`` ends the error for a single group: what to do about it, in the caller's words.
    """
    if group_column is None:
        return Units(None, np.ones(len(df), dtype=np.int64), "rows")
    setting = setting or f"group_column '{group_column}'"
    codes, groups = pd.factorize(df[group_column], use_na_sentinel=True)
    codes = codes.astype(np.int64)
    missing = codes < 0
    if missing.any():
        codes[missing] = len(groups) + np.arange(int(missing.sum()))
        notes.append(
            f"{int(missing.sum()):,} rows have no value in {setting}; each is kept as a group of its own."
        )
    n_groups = int(codes.max()) + 1
    if n_groups < 2:
        raise DataError(
            f"{setting} holds a single group ({shown(groups[0]) if len(groups) else 'none'}); {fix}."
        )
    return Units(codes, np.bincount(codes, minlength=n_groups).astype(np.int64), "groups")


def to_all_splits(positive_codes: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Map codes over the positive-share splits back to codes over all splits."""
    return np.flatnonzero(shares > 0)[positive_codes]


def fill_empty_splits(unit_split: np.ndarray, sizes: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Give every fold at least one unit when there are as many units as folds, sizes still within one unit.

    An empty fold takes the one unit whose move leaves it and the unit's own
    fold (which keeps at least one unit) nearest their targets, if both stay
    within the size guarantee (one row, or the largest group's size). An empty
    test fold breaks ``cross_val_score``. Hand-written: the stratifier balances
    labels and sizes but does not promise a unit per fold.

    Examples
    --------
    >>> fill_empty_splits(np.array([0, 1, 1]), np.array([9, 1, 2]), np.full(3, 1 / 3)).tolist()
    [0, 2, 1]
    """
    wanted = np.flatnonzero(shares > 0)
    unit_split = np.array(unit_split, dtype=np.int64, copy=True)
    if wanted.size > unit_split.size or np.bincount(unit_split, minlength=shares.size)[wanted].all():
        return unit_split
    targets, slack = shares * sizes.sum(), sizes.max() + 1e-9
    for j in wanted:
        units_in = np.bincount(unit_split, minlength=shares.size)
        if units_in[j]:
            continue
        rows_in = np.bincount(unit_split, weights=sizes, minlength=shares.size)
        movable = np.flatnonzero(units_in[unit_split] >= 2)  # never empties another fold
        home = unit_split[movable]
        worst = np.maximum(
            np.abs(rows_in[home] - sizes[movable] - targets[home]), np.abs(sizes[movable] - targets[j])
        )
        if worst.size and worst.min() <= slack:
            unit_split[movable[np.argmin(worst)]] = j
    return unit_split


def units_per_split(unit_Y, unit_split, k: int) -> np.ndarray:
    """(L, k): how many units of each split hold each column of ``unit_Y`` (dense or sparse)."""
    n, n_cols = unit_Y.shape
    if n_cols == 0:
        return np.zeros((0, k), dtype=np.int64)
    if sp.issparse(unit_Y):
        present = sp.csr_matrix(unit_Y)
        held = present.data != 0
        rows = np.repeat(np.arange(n), np.diff(present.indptr))[held]
        codes = present.indices[held] * k + unit_split[rows]
    else:  # one product with the splits' 0/1 membership: faster than listing the nonzeros
        present = (np.asarray(unit_Y) != 0).astype(np.float64)
        membership = np.zeros((k, n))
        membership[unit_split, np.arange(n)] = 1.0
        return np.rint(present.T @ membership.T).astype(np.int64)  # exact: counts below 2**53
    return np.bincount(codes, minlength=n_cols * k).reshape(n_cols, k)


REGRESSION_BIN = re.compile(r"=Q\d+ \(")  # a regression task's bin label, as core.tasks.bin_name names it


def rare_class_note(unit_Y, unit_split, labels, names, shares, word: str) -> str | None:
    """One line naming the classes that miss some positive-share split, or None."""
    k = len(names)
    per_split = units_per_split(unit_Y, unit_split, k)  # (L, k) units carrying each class
    wanted = shares > 0
    absent = (per_split[:, wanted] == 0) & (per_split.sum(axis=1, keepdims=True) > 0)
    rare = np.flatnonzero(absent.any(axis=1))
    if rare.size == 0:
        return None
    totals = per_split.sum(axis=1)
    return rare_line([labels[i] for i in rare], [int(totals[i]) for i in rare], int(wanted.sum()), word)


def rare_line(labels, totals, n_splits: int, word: str) -> str:
    """The one line naming ``labels`` (with their ``totals`` of ``word``) too rare for ``n_splits`` splits, and
    the fix: fewer bins for a regression task's bins, merging for classes (both engines word it so).

    Examples
    --------
    >>> print(rare_line(["y=Q1 (0–2)", "c=z"], [1, 3], 5, "rows"))
    2 class(es) are too rare to appear in every one of the 5 splits: y=Q1 (0–2) (1 row), c=z (3 rows); merge rare classes, use fewer bins for regression tasks (n_bins) or fewer splits.
    """
    shown = ", ".join(f"{label} ({total} {word if total != 1 else word.removesuffix('s')})"
                      for label, total in zip(labels[:4], totals[:4], strict=True)) + (" ..." if len(labels) > 4 else "")
    bins = [bool(REGRESSION_BIN.search(str(label))) for label in labels]
    fix = ("use fewer bins for regression tasks (n_bins) or fewer splits" if all(bins) else
           "merge rare classes, use fewer bins for regression tasks (n_bins) or fewer splits" if any(bins) else
           "merge rare classes or use fewer splits")
    return f"{len(labels)} class(es) are too rare to appear in every one of the {n_splits} splits: {shown}; {fix}."
