"""The tasks' indicator matrix, built once: :func:`encode_tasks`, and :func:`indicator_matrix` its view.

:func:`encode_tasks` gives the indicator matrix of DESIGN.md (labels named ``task=value``, the task
and value of each label carried as data) with each task's codes and missing-label mask; pass its
result instead of the tasks to reuse one encoding across the stratifier and several diagnostics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DataError
from ._encoding import _fast_multilabel, encode, indicator_block
from ._labels import label_names
from ._task import Task

__all__ = [
    "MISSING",
    "TaskLabels",
    "EncodedTasks",
    "encode_tasks",
    "indicator_matrix",
    "encoded_for",
    "as_tasks",
    "ones",
]

MISSING = "(missing)"


@dataclass(frozen=True, kw_only=True, eq=False)
class TaskLabels:
    """One task's labels: its columns in the indicator matrix and its per-row codes.

    ``codes`` is the class or bin code per row (-1 missing), None for multilabel;
    ``values`` the regression target (NaN missing), None otherwise.
    """

    task: Task
    classes: tuple[str, ...]
    columns: slice
    missing: np.ndarray
    codes: np.ndarray | None = None
    values: np.ndarray | None = None
    bin_edges: np.ndarray | None = None

    @cached_property
    def sorted_rows(self) -> np.ndarray:
        """Regression: the labelled rows in ascending order of value (ties in row order), sorted once."""
        labelled = np.flatnonzero(~np.isnan(self.values))
        return labelled[np.argsort(self.values[labelled], kind="stable")]


@dataclass(frozen=True, kw_only=True, eq=False)
class EncodedTasks:
    """Tasks encoded once: the indicator matrix, its ``task=value`` labels, and per-task codes.

    Attributes
    ----------
    tasks : tuple of TaskLabels
    matrix : scipy.sparse.csr_matrix
        ``(n, L)`` uint8, as :func:`core.tasks.indicator_matrix` returns it.
    labels : tuple of str
    index : pandas.Index
        The data's index, to align an assignment Series with.
    n_bins : int
    """

    tasks: tuple[TaskLabels, ...]
    matrix: sp.csr_matrix
    labels: tuple[str, ...]
    index: pd.Index
    n_bins: int

    @property
    def n_rows(self) -> int:
        return self.matrix.shape[0]

    @property
    def label_tasks(self) -> tuple[str, ...]:
        """The task name of each label (column), in matrix order."""
        return tuple(part.task.name for part in self.tasks for _ in part.classes)

    @property
    def label_values(self) -> tuple[str, ...]:
        """The value of each label (column) within its task, in matrix order: ``labels[i]`` is
        ``label_name(label_tasks[i], label_values[i])``; read these two, never the name."""
        return tuple(str(value) for part in self.tasks for value in part.classes)


def encode_tasks(df: pd.DataFrame, tasks: Sequence[Task] | EncodedTasks, n_bins: int = 5) -> EncodedTasks:
    """Encode ``tasks`` of ``df`` once, for several diagnostics to share (an ``EncodedTasks`` is returned as given).

    Examples
    --------
    >>> frame = pd.DataFrame({"y": ["a", "b", None], "z": [0, 1, 1]})
    >>> encoded = encode_tasks(frame, [Task("y", ("y",), "binary"), Task("z", ("z",), "binary")])
    >>> encoded.labels
    ('y=a', 'y=b', 'z=0', 'z=1')
    """
    if isinstance(tasks, EncodedTasks):  # the public contract since issue 4: encoding twice is a no-op
        return tasks
    tasks = tuple(tasks)
    if not tasks:
        raise DataError("No task chosen; pick at least one target column.")
    parts, blocks, start = [], [], 0
    for task in tasks:
        block = _fast_multilabel(df, task)
        if block is not None:
            part = TaskLabels(
                task=task, classes=task.columns, columns=slice(start, start + block.shape[1]),
                missing=np.zeros(len(df), bool)
            )
        else:
            encoded = encode(df, task, n_bins=n_bins)
            block = indicator_block(encoded)
            columns = slice(start, start + block.shape[1])
            codes = None if task.kind == "multilabel" else encoded.codes
            values = encoded.values if task.kind == "regression" else None
            part = TaskLabels(
                task=task, classes=encoded.classes, columns=columns, missing=encoded.missing, codes=codes,
                values=values, bin_edges=encoded.bin_edges
            )
        parts.append(part)
        blocks.append(block)
        start += block.shape[1]
    labels = label_names((part.task.name, part.classes) for part in parts)
    matrix = sp.hstack(blocks, format="csr", dtype=np.uint8)
    return EncodedTasks(tasks=tuple(parts), matrix=matrix, labels=tuple(labels), index=df.index,
                        n_bins=n_bins)


def indicator_matrix(
    df: pd.DataFrame, tasks: Sequence[Task], n_bins: int = 5
) -> tuple[sp.csr_matrix, list[str]]:
    """The 0/1 indicator matrix of all ``tasks`` and its column names ``task=value``: a view of :func:`encode_tasks`.

    One column per class (binary, multiclass), per label (multilabel) or per
    quantile bin (regression). A missing label gives no 1 in its task's columns.

    Examples
    --------
    >>> frame = pd.DataFrame({"y": ["a", "b", None], "z": [0, 1, 1]})
    >>> Y, labels = indicator_matrix(frame, [Task("y", ("y",), "binary"), Task("z", ("z",), "binary")])
    >>> labels
    ['y=a', 'y=b', 'z=0', 'z=1']
    >>> Y.toarray().tolist()
    [[1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 0, 1]]
    """
    encoded = encode_tasks(df, tasks, n_bins)
    return encoded.matrix, list(encoded.labels)


def encoded_for(df: pd.DataFrame, tasks: Sequence[Task] | EncodedTasks, n_bins: int) -> EncodedTasks:
    """``tasks`` encoded: an ``EncodedTasks`` as given, a ``Task`` sequence by :func:`encode_tasks`.

    A diagnostic taking either calls this once at its entry; it checks that a given encoding
    has the rows of ``df``.

    Examples
    --------
    >>> frame = pd.DataFrame({"y": ["a", "b"]})
    >>> encoded = encoded_for(frame, [Task("y", ("y",), "binary")], 5)
    >>> encoded_for(frame, encoded, 3) is encoded
    True
    """
    encoded = tasks if isinstance(tasks, EncodedTasks) else encode_tasks(df, tasks, n_bins)
    if encoded.n_rows != len(df):
        raise DataError(
            f"The encoded tasks have {encoded.n_rows:,} rows but the data has {len(df):,}; "
            "encode the same data you pass."
        )
    return encoded


def as_tasks(tasks: Sequence[Task] | EncodedTasks) -> tuple[Task, ...]:
    """The ``Task`` objects of a ``Task`` sequence or of an ``EncodedTasks``, in order.

    Examples
    --------
    >>> tasks = [Task("y", ("y",), "binary")]
    >>> as_tasks(encode_tasks(pd.DataFrame({"y": [0, 1]}), tasks)) == tuple(tasks)
    True
    """
    if isinstance(tasks, EncodedTasks):
        return tuple(part.task for part in tasks.tasks)
    return tuple(tasks)


def ones(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """The same 0/1 pattern with float64 data, so products count exactly and do not overflow."""
    return sp.csr_matrix((np.ones(matrix.nnz), matrix.indices, matrix.indptr), shape=matrix.shape)
