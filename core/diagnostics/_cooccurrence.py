"""Labels together: co-occurrence counts, P(b|a) and lift, their shift between splits, and task association.

:func:`cooccurrence` and :func:`cooccurrence_shift` work over all labels of all chosen tasks
(``task=value``; ``task=bin`` for regression), each one sparse product of the indicator matrix
with itself. :func:`task_association` gives task x task Cramér's V from one Gram matrix per split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DataError
from ..splits import WHOLE, assignment_codes, split_rows
from ..tasks import (
    EncodedTasks,
    Task,  # noqa: F401  (the docstring examples use it)
    TaskLabels,
    encoded_for,
    ones,
)

__all__ = [
    "Cooccurrence",
    "cooccurrence",
    "CooccurrenceShift",
    "cooccurrence_shift",
    "TaskAssociation",
    "task_association",
    "cramers_v",
]


def _long_form(label_tasks: tuple[str, ...], label_values: tuple[str, ...], **matrices: pd.DataFrame) -> pd.DataFrame:
    """Label x label matrices (same labels) as one long frame: a row per label pair, a column per matrix.

    Each label's task and value come as data (``row_task``, ``row_value``, ...), never parsed from its name.
    """
    labels = list(next(iter(matrices.values())).index)
    tasks, values, n = list(label_tasks), list(label_values), len(labels)
    pairs = {
        "row_label": np.repeat(labels, n),
        "col_label": np.tile(labels, n),
        "row_task": np.repeat(tasks, n),
        "col_task": np.tile(tasks, n),
        "row_value": np.repeat(values, n),
        "col_value": np.tile(values, n),
    }
    return pd.DataFrame(pairs | {name: matrix.to_numpy().ravel() for name, matrix in matrices.items()})


@dataclass(frozen=True, kw_only=True, eq=False)
class Cooccurrence:
    """How often labels occur together, over all labels of all chosen tasks.

    Attributes
    ----------
    counts : pandas.DataFrame
        Label x label: rows having both labels (the diagonal: rows having the label).
    conditional : pandas.DataFrame
        P(column label | row label) = counts / the row label's count (NaN when it has none).
        A row whose task of the column label is missing counts as not having it.
    lift : pandas.DataFrame
        P(both) / (P(row) P(column)): 1 = independent, above 1 = together more than by chance.
    n_rows : int
    split : str
        The split counted, or ``all``.
    label_tasks : tuple of str
        The task of each label, in the matrices' order.
    label_values : tuple of str
        The value of each label within its task, in the matrices' order.
    """

    counts: pd.DataFrame
    conditional: pd.DataFrame
    lift: pd.DataFrame
    n_rows: int
    split: str
    label_tasks: tuple[str, ...]
    label_values: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """Long form: ``row_label``, ``col_label``, ``row_task``, ``col_task``, ``row_value``, ``col_value``,
        ``count``, ``conditional``, ``lift``, ``row_count`` (rows with the row label: the support of P(column | row))."""
        frame = _long_form(
            self.label_tasks, self.label_values, count=self.counts, conditional=self.conditional, lift=self.lift
        )
        frame["row_count"] = np.repeat(np.diag(self.counts.to_numpy()), len(self.counts))
        return frame


def _pair_counts(encoded: EncodedTasks, rows: np.ndarray | None) -> np.ndarray:
    """``Y.T @ Y`` over the chosen rows (all when None): one sparse product."""
    matrix = ones(encoded.matrix if rows is None else encoded.matrix[rows])
    return (matrix.T.tocsr() @ matrix).toarray()


def _conditional(counts: np.ndarray) -> np.ndarray:
    diagonal = np.diag(counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(diagonal[:, None] > 0, counts / diagonal[:, None], np.nan)


def _chosen_rows(encoded: EncodedTasks, assignment, split: str | None) -> tuple[np.ndarray | None, str]:
    if assignment is None:
        if split is not None:
            raise DataError(f"split='{split}' needs an assignment; pass the assignment too.")
        return None, WHOLE
    codes, splits = assignment_codes(encoded.index, assignment)
    if split is None or split == WHOLE:
        return (None if (codes >= 0).all() else np.flatnonzero(codes >= 0)), WHOLE
    if split not in splits:
        raise DataError(f"Unknown split '{split}'; the assignment has {', '.join(splits)}.")
    return np.flatnonzero(codes == splits.index(split)), split


def cooccurrence(
    df: pd.DataFrame, tasks, assignment=None, split: str | None = None, *, n_bins: int = 5
) -> Cooccurrence:
    """Counts, P(column | row) and lift of every pair of labels, in one split or the whole data.

    Labels are named ``task=value`` (``task=bin`` for regression), as
    :func:`core.tasks.indicator_matrix` names them. One sparse product.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [0, 1, 1, 0], "b": ["x", "y", "y", "x"]})
    >>> tasks = [Task("a", ("a",), "binary"), Task("b", ("b",), "binary")]
    >>> cooccurrence(frame, tasks).conditional.loc["a=1", "b=y"]
    np.float64(1.0)
    """
    encoded = encoded_for(df, tasks, n_bins)
    rows, name = _chosen_rows(encoded, assignment, split)
    counts = _pair_counts(encoded, rows)
    n = encoded.n_rows if rows is None else rows.size
    diagonal = np.diag(counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.outer(diagonal, diagonal) / n
        lift = np.where(expected > 0, counts / expected, np.nan)
    labels = list(encoded.labels)
    frame = lambda values: pd.DataFrame(values, index=labels, columns=labels)  # noqa: E731
    return Cooccurrence(
        counts=frame(counts.astype(np.int64)), conditional=frame(_conditional(counts)), lift=frame(lift),
        n_rows=n, split=name, label_tasks=encoded.label_tasks, label_values=encoded.label_values,
    )


@dataclass(frozen=True, kw_only=True, eq=False)
class CooccurrenceShift:
    """P(column | row) in ``split_b`` minus the same in ``split_a``, label x label.

    Attributes
    ----------
    difference : pandas.DataFrame
        Label x label; NaN where a row label is absent from either split.
    conditional_a, conditional_b : pandas.DataFrame
    split_a, split_b : str
    label_tasks : tuple of str
        The task of each label, in the matrices' order.
    label_values : tuple of str
        The value of each label within its task, in the matrices' order.
    count_a, count_b : numpy.ndarray
        Rows with each label in ``split_a`` and in ``split_b``: the support of
        each row's P(column | row), in the matrices' order.
    """

    difference: pd.DataFrame
    conditional_a: pd.DataFrame
    conditional_b: pd.DataFrame
    split_a: str
    split_b: str
    label_tasks: tuple[str, ...]
    label_values: tuple[str, ...]
    count_a: np.ndarray
    count_b: np.ndarray

    @property
    def largest(self) -> float:
        """The largest absolute difference (0 when none is defined)."""
        values = np.abs(self.difference.to_numpy())
        return float(np.nanmax(values)) if np.isfinite(values).any() else 0.0

    def to_frame(self) -> pd.DataFrame:
        """Long form: ``row_label``, ``col_label``, ``row_task``, ``col_task``, ``row_value``, ``col_value``,
        ``conditional_a``, ``conditional_b``, ``difference``, ``row_count_a``, ``row_count_b`` (rows with the row
        label in each split)."""
        frame = _long_form(
            self.label_tasks,
            self.label_values,
            conditional_a=self.conditional_a,
            conditional_b=self.conditional_b,
            difference=self.difference,
        )
        n = len(self.difference)
        frame["row_count_a"] = np.repeat(np.asarray(self.count_a, dtype=np.int64), n)
        frame["row_count_b"] = np.repeat(np.asarray(self.count_b, dtype=np.int64), n)
        return frame


def cooccurrence_shift(
    df: pd.DataFrame, tasks, assignment, split_a: str, split_b: str, *, n_bins: int = 5
) -> CooccurrenceShift:
    """How P(column label | row label) changes from ``split_a`` to ``split_b`` (b minus a).

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [0, 1, 1, 1], "b": ["x", "y", "x", "y"]})
    >>> tasks = [Task("a", ("a",), "binary"), Task("b", ("b",), "binary")]
    >>> shift = cooccurrence_shift(frame, tasks, ["train", "train", "test", "test"], "train", "test")
    >>> shift.difference.loc["a=1", "b=y"]
    np.float64(-0.5)
    """
    encoded = encoded_for(df, tasks, n_bins)
    labels = list(encoded.labels)
    conditionals, supports = [], []
    for split in (split_a, split_b):
        rows, _ = _chosen_rows(encoded, assignment, split)
        counts = _pair_counts(encoded, rows)
        conditionals.append(pd.DataFrame(_conditional(counts), index=labels, columns=labels))
        supports.append(np.diag(counts).astype(np.int64))
    (a, b), (count_a, count_b) = conditionals, supports
    return CooccurrenceShift(difference=b - a, conditional_a=a, conditional_b=b, split_a=split_a, split_b=split_b,
                             label_tasks=encoded.label_tasks, label_values=encoded.label_values,
                             count_a=count_a, count_b=count_b)

# --------------------------------------------------------------------------- task association


@dataclass(frozen=True, eq=False)
class TaskAssociation:
    """Cramér's V between every pair of tasks, in the whole data and in each split.

    A multilabel task scores the mean over its labels, each a binary variable;
    a regression task counts by its quantile bins. Only rows labelled for both
    tasks count. The diagonal is 1.

    Attributes
    ----------
    tasks : tuple of str
    matrices : dict of str to pandas.DataFrame
        Task x task, keyed by split name, then ``all`` for the whole data.
    """

    tasks: tuple[str, ...]
    matrices: dict[str, pd.DataFrame]

    @property
    def whole(self) -> pd.DataFrame:
        return self.matrices[WHOLE]

    def to_frame(self) -> pd.DataFrame:
        """Long form: ``split``, ``task_a``, ``task_b``, ``cramers_v``."""
        n = len(self.tasks)
        return pd.concat(
            [
                pd.DataFrame(
                    {
                        "split": name,
                        "task_a": np.repeat(self.tasks, n),
                        "task_b": np.tile(self.tasks, n),
                        "cramers_v": matrix.to_numpy().ravel(),
                    }
                )
                for name, matrix in self.matrices.items()
            ],
            ignore_index=True,
        )


def cramers_v(tables: np.ndarray) -> np.ndarray:
    """Cramér's V of each of a stack of contingency tables ``(m, r, c)``; NaN when undefined.

    Empty rows and columns are left out of the degrees of freedom. The same as
    ``scipy.stats.contingency.association(table, method="cramer")`` (no bias
    correction) on each table with its empty rows and columns dropped; written
    out because scipy takes one table at a time and a multilabel task brings
    one table per label.

    Examples
    --------
    >>> float(cramers_v(np.array([[[10, 0], [0, 10]]]))[0])
    1.0
    """
    tables = np.asarray(tables, dtype=np.float64)
    n = tables.sum(axis=(1, 2))
    rows, cols = tables.sum(axis=2), tables.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = rows[:, :, None] * cols[:, None, :] / n[:, None, None]
        chi2 = np.where(expected > 0, (tables - expected) ** 2 / expected, 0.0).sum(axis=(1, 2))
        dof = np.minimum((rows > 0).sum(axis=1), (cols > 0).sum(axis=1)) - 1
        v = np.sqrt(chi2 / (n * dof))
    return np.where((dof > 0) & (n > 0), np.minimum(v, 1.0), np.nan)


def _task_tables(
    gram: np.ndarray, part_a: TaskLabels, part_b: TaskLabels, mask_a: int, mask_b: int
) -> np.ndarray:
    """Contingency tables of tasks a and b from the Gram matrix of ``[Y | labelled masks]``.

    A categorical task (one 1 per labelled row) gives one table; a multilabel
    task gives one 2-row table per label: positives, and labelled rows without it.
    """

    def levels(part: TaskLabels, mask: int, other: slice | int) -> np.ndarray:
        block = gram[part.columns, other]  # (C, C_other) or (C,)
        if part.task.kind != "multilabel":
            return block[None]  # one variable
        labelled = gram[mask, other]
        return np.stack([block, labelled - block], axis=1)  # (L, 2, ...)

    if part_b.task.kind != "multilabel":
        return levels(part_a, mask_a, part_b.columns)  # (m, r, C_b)
    if part_a.task.kind != "multilabel":
        return np.swapaxes(levels(part_b, mask_b, part_a.columns), 1, 2)
    positives = gram[part_a.columns, part_b.columns]  # (La, Lb)
    a_given_b = gram[part_a.columns, mask_b][:, None]  # label a, task b labelled
    b_given_a = gram[mask_a, part_b.columns][None, :]
    both = gram[mask_a, mask_b]
    table = np.stack(
        [positives, a_given_b - positives, b_given_a - positives, both - a_given_b - b_given_a + positives],
        axis=-1,
    )
    return table.reshape(-1, 2, 2)


def _association(encoded: EncodedTasks, gram: np.ndarray) -> np.ndarray:
    """Task x task Cramér's V from the Gram matrix of ``[Y | labelled masks]`` over some rows."""
    n_tasks, n_labels = len(encoded.tasks), encoded.matrix.shape[1]
    out = np.eye(n_tasks)
    for a in range(n_tasks):
        for b in range(a + 1, n_tasks):
            tables = _task_tables(gram, encoded.tasks[a], encoded.tasks[b], n_labels + a, n_labels + b)
            values = cramers_v(tables)
            out[a, b] = out[b, a] = np.nanmean(values) if np.isfinite(values).any() else np.nan
    return out


def _grams(encoded: EncodedTasks, codes: np.ndarray, k: int) -> list[np.ndarray]:
    """Gram matrices of ``[Y | labelled masks]`` per split (one sparse product each), then the whole."""
    labelled = np.stack([~part.missing for part in encoded.tasks], axis=1).astype(np.float64)
    stacked = sp.hstack([ones(encoded.matrix), sp.csr_matrix(labelled)], format="csr")
    grams = []
    for i in range(k):
        rows = stacked[codes == i]
        grams.append((rows.T.tocsr() @ rows).toarray())
    width = stacked.shape[1]
    return [*grams, sum(grams, np.zeros((width, width)))]  # the whole: zeros when every row is excluded


def task_association(df: pd.DataFrame, tasks, assignment=None, *, n_bins: int = 5) -> TaskAssociation:
    """Task x task Cramér's V, for the whole data and (with an assignment) per split.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [0, 1, 0, 1], "b": ["x", "y", "x", "y"], "c": [0, 0, 1, 1]})
    >>> tasks = [Task(name, (name,), "binary") for name in "abc"]
    >>> task_association(frame, tasks).whole.round(2).to_numpy().tolist()
    [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    encoded = encoded_for(df, tasks, n_bins)
    codes, splits = split_rows(encoded.index, assignment)
    names = list(part.task.name for part in encoded.tasks)
    if len(names) < 2:  # one task: only the diagonal
        values = [np.eye(1)] * (len(splits) + 1)
    else:
        values = [_association(encoded, gram) for gram in _grams(encoded, codes, len(splits))]
    keys = [*splits, WHOLE] if assignment is not None else [WHOLE]
    values = values if assignment is not None else values[-1:]
    matrices = {key: pd.DataFrame(v, index=names, columns=names) for key, v in zip(keys, values, strict=True)}
    return TaskAssociation(tuple(names), matrices)
