"""Split diagnostics: label distributions, co-occurrence, task association, quality scores, leakage.

Every public function returns a frozen dataclass with ``to_frame()``, a tidy
DataFrame for charts and tables. The functions share one reading of the data:

* tasks are encoded once into the indicator matrix of DESIGN.md (labels named
  ``task=value``); pass ``encode_tasks(df, tasks)`` instead of ``tasks`` to
  reuse one encoding across several calls;
* the assignment holds ``train``/``val``/``test``, ``fold-0``.. or ``excluded``;
  excluded rows are left out, and splits are shown train, val, test, folds,
  with the whole data (``all``) last;
* a missing label is its own value, ``(missing)``, in distributions, and
  otherwise left out of a task's counts.

The quality scores live in :mod:`core.quality`, the leakage checks in
:mod:`core.leakage`, the pass/warn/fail thresholds in :mod:`core.thresholds`;
all are importable from here.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats
from scipy.spatial.distance import jensenshannon

from core.errors import DataError
from core.leakage import LeakageReport, leakage
from core.quality import EXCLUDED, SplitQuality, split_codes, split_order, split_quality
from core.tasks import Task, encode, indicator_block
from core.thresholds import THRESHOLDS, Threshold, scorecard, status_of

__all__ = [
    "MISSING",
    "WHOLE",
    "EXCLUDED",
    "EncodedTasks",
    "TaskLabels",
    "encode_tasks",
    "LabelDistribution",
    "label_distribution",
    "Cooccurrence",
    "cooccurrence",
    "CooccurrenceShift",
    "cooccurrence_shift",
    "TaskAssociation",
    "task_association",
    "cramers_v",
    "SplitQuality",
    "split_quality",
    "split_order",
    "TaskScores",
    "task_scores",
    "LeakageReport",
    "leakage",
    "StrategyComparison",
    "compare_strategies",
    "THRESHOLDS",
    "Threshold",
    "scorecard",
]

MISSING = "(missing)"
WHOLE = "all"
QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)
HISTOGRAM_BINS = 30


# --------------------------------------------------------------------------- encoding


@dataclass(frozen=True, eq=False)
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


@dataclass(frozen=True, eq=False)
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


def _fast_multilabel(df: pd.DataFrame, task: Task) -> sp.csc_matrix | None:
    """A multilabel task of integer 0/1 columns straight to CSC, column by column; None if not such.

    ``core.tasks.encode`` goes through a float (n, L) copy and a dense-to-sparse
    conversion; on 1,000,000 x 100 int8 columns this path is about ten times
    faster. Anything unusual (floats, NaN, values outside 0/1, no positives)
    returns None and takes the general path, which raises the proper error.
    """
    if task.kind != "multilabel" or len(task.columns) < 2:
        return None
    rows = []
    for column in task.columns:
        if column not in df.columns:
            return None
        values = df[column].to_numpy()
        if values.dtype != bool and not np.issubdtype(values.dtype, np.integer):
            return None
        if values.size and (values.min() < 0 or values.max() > 1):
            return None
        # 0/1 bytes read as bool take numpy's fast path (about twice as fast on int8)
        rows.append(np.flatnonzero(values.view(bool) if values.itemsize == 1 else values != 0))
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([r.size for r in rows], out=indptr[1:])
    if indptr[-1] == 0:
        return None
    indices = np.concatenate(rows)
    data = np.ones(indices.size, dtype=np.uint8)
    return sp.csc_matrix((data, indices, indptr), shape=(len(df), len(rows)))


def encode_tasks(df: pd.DataFrame, tasks: Sequence[Task], n_bins: int = 5) -> EncodedTasks:
    """Encode ``tasks`` of ``df`` once, for several diagnostics to share.

    Examples
    --------
    >>> frame = pd.DataFrame({"y": ["a", "b", None], "z": [0, 1, 1]})
    >>> encoded = encode_tasks(frame, [Task("y", ("y",), "binary"), Task("z", ("z",), "binary")])
    >>> encoded.labels
    ('y=a', 'y=b', 'z=0', 'z=1')
    """
    if isinstance(tasks, EncodedTasks):
        return tasks
    tasks = tuple(tasks)
    if not tasks:
        raise DataError("No task chosen; pick at least one target column.")
    parts, blocks, labels, start = [], [], [], 0
    for task in tasks:
        block = _fast_multilabel(df, task)
        if block is not None:
            part = TaskLabels(
                task, task.columns, slice(start, start + block.shape[1]), np.zeros(len(df), bool)
            )
        else:
            encoded = encode(df, task, n_bins=n_bins)
            block = indicator_block(encoded)
            columns = slice(start, start + block.shape[1])
            codes = None if task.kind == "multilabel" else encoded.codes
            values = encoded.values if task.kind == "regression" else None
            part = TaskLabels(
                task, encoded.classes, columns, encoded.missing, codes, values, encoded.bin_edges
            )
        parts.append(part)
        blocks.append(block)
        labels.extend(f"{task.name}={value}" for value in part.classes)
        start += block.shape[1]
    matrix = sp.hstack(blocks, format="csr", dtype=np.uint8)
    return EncodedTasks(tuple(parts), matrix, tuple(labels), df.index, n_bins)


def _encoded(df: pd.DataFrame, tasks, n_bins: int) -> EncodedTasks:
    encoded = encode_tasks(df, tasks, n_bins)
    if encoded.n_rows != len(df):
        raise DataError(
            f"The encoded tasks have {encoded.n_rows:,} rows but the data has {len(df):,}; "
            "encode the same data you pass."
        )
    return encoded


def _ones(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """The same 0/1 pattern with float64 data, so products count exactly and do not overflow."""
    return sp.csr_matrix((np.ones(matrix.nnz), matrix.indices, matrix.indptr), shape=matrix.shape)


# --------------------------------------------------------------------------- assignment


def _assignment_codes(index: pd.Index, assignment) -> tuple[np.ndarray, tuple[str, ...]]:
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


def _split_rows(index: pd.Index, assignment) -> tuple[np.ndarray, tuple[str, ...]]:
    """Like :func:`_assignment_codes`, but with no assignment every row is in one split, ``all``."""
    if assignment is None:
        return np.zeros(len(index), dtype=np.int64), (WHOLE,)
    return _assignment_codes(index, assignment)


@dataclass(frozen=True, eq=False)
class _SplitCounts:
    """Per-split counts shared by label_distribution and task_scores (row k is the whole)."""

    splits: tuple[str, ...]  # the splits, then WHOLE
    sizes: np.ndarray  # (k+1,)
    positives: np.ndarray  # (k+1, L)
    missing: np.ndarray  # (k+1, T)


def _split_counts(encoded: EncodedTasks, codes: np.ndarray, splits: tuple[str, ...]) -> _SplitCounts:
    k, n_labels = len(splits), encoded.matrix.shape[1]
    matrix = encoded.matrix
    split_of_entry = np.repeat(codes, np.diff(matrix.indptr))  # the split of every stored 1
    kept = split_of_entry >= 0
    positives = np.bincount(
        split_of_entry[kept] * n_labels + matrix.indices[kept], minlength=k * n_labels
    ).reshape(k, n_labels)
    kept_rows = codes >= 0
    sizes = np.bincount(codes[kept_rows], minlength=k)
    missing = np.stack(
        [np.bincount(codes[kept_rows & part.missing], minlength=k) for part in encoded.tasks], axis=1
    )
    with_whole = [np.vstack([x, x.sum(axis=0, keepdims=True)]) for x in (positives, missing)]
    return _SplitCounts((*splits, WHOLE), np.append(sizes, sizes.sum()), *with_whole)


# --------------------------------------------------------------------------- label distribution


@dataclass(frozen=True, eq=False)
class LabelDistribution:
    """Label counts and fractions per task, split and label; regression quantiles and histograms.

    Attributes
    ----------
    counts : pandas.DataFrame
        One row per task, split (the splits, then ``all``) and label (its
        classes, labels or bins, then ``(missing)``): ``task``, ``kind``,
        ``split``, ``label``, ``indicator`` (``task=value``, None for missing),
        ``is_missing``, ``count``, ``split_rows``, ``fraction`` (of the split's
        rows), ``fraction_labelled`` (of its labelled rows; NaN for missing).
    quantiles : pandas.DataFrame
        Regression tasks: ``task``, ``split``, ``quantile``, ``value``.
    histogram : pandas.DataFrame
        Regression tasks: ``task``, ``split``, ``bin``, ``left``, ``right``,
        ``count``, ``fraction`` (of the split's labelled rows). The bins span
        the whole data's 1st to 99th percentile; values beyond fall in the end bins.
    """

    counts: pd.DataFrame
    quantiles: pd.DataFrame
    histogram: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The tidy ``counts`` frame."""
        return self.counts


def _count_rows(part: TaskLabels, counts: _SplitCounts, t: int) -> pd.DataFrame:
    """The counts frame of one task: (splits+1) x (classes + missing) rows."""
    positives = counts.positives[:, part.columns]  # (k+1, C)
    missing = counts.missing[:, t]
    k1, n_classes = positives.shape
    count = np.hstack([positives, missing[:, None]]).astype(np.int64)
    labelled = counts.sizes - missing
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = count / counts.sizes[:, None]
        fraction_labelled = np.hstack([positives / labelled[:, None], np.full((k1, 1), np.nan)])
    labels = [*part.classes, MISSING]
    return pd.DataFrame(
        {
            "task": part.task.name,
            "kind": part.task.kind,
            "split": np.repeat(counts.splits, n_classes + 1),
            "label": labels * k1,
            "indicator": [*(f"{part.task.name}={c}" for c in part.classes), None] * k1,
            "is_missing": ([False] * n_classes + [True]) * k1,
            "count": count.ravel(),
            "split_rows": np.repeat(counts.sizes, n_classes + 1),
            "fraction": fraction.ravel(),
            "fraction_labelled": fraction_labelled.ravel(),
        }
    )


def _regression_frames(part: TaskLabels, codes: np.ndarray, splits: tuple[str, ...]):
    """Quantiles and histogram rows of one regression task, per split and for the whole."""
    labelled = ~np.isnan(part.values) & (codes >= 0)
    values, split_of = part.values[labelled], codes[labelled]
    k = len(splits)
    quantile_rows = []
    for i, name in enumerate((*splits, WHOLE)):
        chosen = values if i == k else values[split_of == i]
        qs = np.quantile(chosen, QUANTILES) if chosen.size else np.full(len(QUANTILES), np.nan)
        quantile_rows += [(part.task.name, name, q, v) for q, v in zip(QUANTILES, qs, strict=True)]
    low, high = np.quantile(values, (0.01, 0.99)) if values.size else (0.0, 1.0)
    edges = np.linspace(low, high, HISTOGRAM_BINS + 1) if high > low else np.array([low, low + 1.0])
    bins = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, edges.size - 2)
    n_bins = edges.size - 1
    counts = np.bincount(split_of * n_bins + bins, minlength=k * n_bins).reshape(k, n_bins)
    counts = np.vstack([counts, counts.sum(axis=0)])
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = counts / totals
    histogram = pd.DataFrame(
        {
            "task": part.task.name,
            "split": np.repeat((*splits, WHOLE), n_bins),
            "bin": np.tile(np.arange(n_bins), k + 1),
            "left": np.tile(edges[:-1], k + 1),
            "right": np.tile(edges[1:], k + 1),
            "count": counts.ravel(),
            "fraction": fraction.ravel(),
        }
    )
    return pd.DataFrame(quantile_rows, columns=["task", "split", "quantile", "value"]), histogram


def label_distribution(df: pd.DataFrame, tasks, assignment, *, n_bins: int = 5) -> LabelDistribution:
    """Count and fraction of every label of every task, per split and for the whole data.

    Parameters
    ----------
    df : pandas.DataFrame
    tasks : sequence of Task, or EncodedTasks from :func:`encode_tasks`
    assignment : array-like or pandas.Series
        Split name per row; ``excluded`` rows are left out.
    n_bins : int
        Quantile bins of regression tasks.

    Examples
    --------
    >>> frame = pd.DataFrame({"y": ["a", "b", None, "a"]})
    >>> dist = label_distribution(frame, [Task("y", ("y",), "binary")], ["train", "train", "test", "test"])
    >>> dist.to_frame().query("split == 'test'")[["label", "count", "fraction", "fraction_labelled"]]
           label  count  fraction  fraction_labelled
    3          a      1       0.5                1.0
    4          b      0       0.0                0.0
    5  (missing)      1       0.5                NaN
    """
    encoded = _encoded(df, tasks, n_bins)
    codes, splits = _assignment_codes(encoded.index, assignment)
    counts = _split_counts(encoded, codes, splits)
    frames = [_count_rows(part, counts, t) for t, part in enumerate(encoded.tasks)]
    regression = [_regression_frames(p, codes, splits) for p in encoded.tasks if p.task.kind == "regression"]
    quantiles = [q for q, _ in regression] or [pd.DataFrame(columns=["task", "split", "quantile", "value"])]
    histograms = [h for _, h in regression] or [
        pd.DataFrame(columns=["task", "split", "bin", "left", "right", "count", "fraction"])
    ]
    return LabelDistribution(
        pd.concat(frames, ignore_index=True),
        pd.concat(quantiles, ignore_index=True),
        pd.concat(histograms, ignore_index=True),
    )


# --------------------------------------------------------------------------- co-occurrence


@dataclass(frozen=True, eq=False)
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
    """

    counts: pd.DataFrame
    conditional: pd.DataFrame
    lift: pd.DataFrame
    n_rows: int
    split: str
    label_tasks: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """Long form: ``row_label``, ``col_label``, ``row_task``, ``col_task``, ``count``, ``conditional``, ``lift``."""
        labels, tasks = list(self.counts.index), list(self.label_tasks)
        n = len(labels)
        return pd.DataFrame(
            {
                "row_label": np.repeat(labels, n),
                "col_label": np.tile(labels, n),
                "row_task": np.repeat(tasks, n),
                "col_task": np.tile(tasks, n),
                "count": self.counts.to_numpy().ravel(),
                "conditional": self.conditional.to_numpy().ravel(),
                "lift": self.lift.to_numpy().ravel(),
            }
        )


def _pair_counts(encoded: EncodedTasks, rows: np.ndarray | None) -> np.ndarray:
    """``Y.T @ Y`` over the chosen rows (all when None): one sparse product."""
    matrix = _ones(encoded.matrix if rows is None else encoded.matrix[rows])
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
    codes, splits = _assignment_codes(encoded.index, assignment)
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
    encoded = _encoded(df, tasks, n_bins)
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
        frame(counts.astype(np.int64)), frame(_conditional(counts)), frame(lift), n, name, encoded.label_tasks
    )


@dataclass(frozen=True, eq=False)
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
    """

    difference: pd.DataFrame
    conditional_a: pd.DataFrame
    conditional_b: pd.DataFrame
    split_a: str
    split_b: str
    label_tasks: tuple[str, ...]

    @property
    def largest(self) -> float:
        """The largest absolute difference (0 when none is defined)."""
        values = np.abs(self.difference.to_numpy())
        return float(np.nanmax(values)) if np.isfinite(values).any() else 0.0

    def to_frame(self) -> pd.DataFrame:
        """Long form: ``row_label``, ``col_label``, ``row_task``, ``col_task``, ``conditional_a``,
        ``conditional_b``, ``difference``."""
        labels, tasks = list(self.difference.index), list(self.label_tasks)
        n = len(labels)
        return pd.DataFrame(
            {
                "row_label": np.repeat(labels, n),
                "col_label": np.tile(labels, n),
                "row_task": np.repeat(tasks, n),
                "col_task": np.tile(tasks, n),
                "conditional_a": self.conditional_a.to_numpy().ravel(),
                "conditional_b": self.conditional_b.to_numpy().ravel(),
                "difference": self.difference.to_numpy().ravel(),
            }
        )


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
    encoded = _encoded(df, tasks, n_bins)
    labels = list(encoded.labels)
    conditionals = []
    for split in (split_a, split_b):
        rows, _ = _chosen_rows(encoded, assignment, split)
        conditionals.append(
            pd.DataFrame(_conditional(_pair_counts(encoded, rows)), index=labels, columns=labels)
        )
    a, b = conditionals
    return CooccurrenceShift(b - a, a, b, split_a, split_b, encoded.label_tasks)


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
    stacked = sp.hstack([_ones(encoded.matrix), sp.csr_matrix(labelled)], format="csr")
    grams = []
    for i in range(k):
        rows = stacked[codes == i]
        grams.append((rows.T.tocsr() @ rows).toarray())
    return [*grams, np.sum(grams, axis=0)]


def task_association(df: pd.DataFrame, tasks, assignment=None, *, n_bins: int = 5) -> TaskAssociation:
    """Task x task Cramér's V, for the whole data and (with an assignment) per split.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [0, 1, 0, 1], "b": ["x", "y", "x", "y"], "c": [0, 0, 1, 1]})
    >>> tasks = [Task(name, (name,), "binary") for name in "abc"]
    >>> task_association(frame, tasks).whole.round(2).to_numpy().tolist()
    [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    encoded = _encoded(df, tasks, n_bins)
    codes, splits = _split_rows(encoded.index, assignment)
    names = list(part.task.name for part in encoded.tasks)
    if len(names) < 2:  # one task: only the diagonal
        values = [np.eye(1)] * (len(splits) + 1)
    else:
        values = [_association(encoded, gram) for gram in _grams(encoded, codes, len(splits))]
    keys = [*splits, WHOLE] if assignment is not None else [WHOLE]
    values = values if assignment is not None else values[-1:]
    matrices = {key: pd.DataFrame(v, index=names, columns=names) for key, v in zip(keys, values, strict=True)}
    return TaskAssociation(tuple(names), matrices)


# --------------------------------------------------------------------------- task scores


@dataclass(frozen=True, eq=False)
class TaskScores:
    """Per task and split: how far the split's labels are from the whole data's.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per task and split: ``task``, ``kind``, ``split``, ``rows``,
        ``labelled``, ``missing_share``, ``js_distance`` (Jensen-Shannon distance,
        base 2, of the split's class, label or bin counts from the whole's; a
        multilabel task's labels are normalised to one distribution over
        labels), ``ks_statistic`` (regression; NaN otherwise),
        ``absent_classes`` (count of classes present in the whole but not the
        split), ``absent_labels`` (their names, comma-separated).
    """

    frame: pd.DataFrame

    @property
    def worst_js(self) -> float:
        values = self.frame["js_distance"].to_numpy(dtype=np.float64)
        return float(np.nanmax(values)) if np.isfinite(values).any() else np.nan

    @property
    def worst_ks(self) -> float:
        values = self.frame["ks_statistic"].to_numpy(dtype=np.float64)
        return float(np.nanmax(values)) if np.isfinite(values).any() else np.nan

    def to_frame(self) -> pd.DataFrame:
        return self.frame


def _ks(part: TaskLabels, codes: np.ndarray, k: int) -> np.ndarray:
    labelled = ~np.isnan(part.values) & (codes >= 0)
    whole = part.values[labelled]
    out = np.full(k, np.nan)
    for i in range(k):
        chosen = part.values[labelled & (codes == i)]
        if chosen.size and whole.size:
            out[i] = stats.ks_2samp(chosen, whole, method="asymp").statistic
    return out


def _task_score_rows(part: TaskLabels, t: int, counts: _SplitCounts, codes: np.ndarray) -> pd.DataFrame:
    k = len(counts.splits) - 1
    positives = counts.positives[:k, part.columns]
    whole = counts.positives[k, part.columns]
    with np.errstate(invalid="ignore", divide="ignore"):
        js = jensenshannon(positives, np.broadcast_to(whole, positives.shape), base=2, axis=1)
    js = np.where(positives.sum(axis=1) > 0, js, np.nan)
    absent = (positives == 0) & (whole > 0)
    rows = counts.sizes[:k]
    missing = counts.missing[:k, t]
    with np.errstate(invalid="ignore", divide="ignore"):
        missing_share = np.where(rows > 0, missing / rows, np.nan)
    return pd.DataFrame(
        {
            "task": part.task.name,
            "kind": part.task.kind,
            "split": list(counts.splits[:k]),
            "rows": rows.astype(np.int64),
            "labelled": (rows - missing).astype(np.int64),
            "missing_share": missing_share,
            "js_distance": js,
            "ks_statistic": _ks(part, codes, k) if part.task.kind == "regression" else np.nan,
            "absent_classes": absent.sum(axis=1).astype(np.int64),
            "absent_labels": [", ".join(np.asarray(part.classes)[row]) for row in absent],
        }
    )


def task_scores(df: pd.DataFrame, tasks, assignment, *, n_bins: int = 5) -> TaskScores:
    """Jensen-Shannon distance (KS for regression), absent classes and missing share per task and split.

    Examples
    --------
    >>> frame = pd.DataFrame({"y": ["a", "b", "a", "a", None, "b"]})
    >>> scores = task_scores(frame, [Task("y", ("y",), "binary")], ["train"] * 3 + ["test"] * 3)
    >>> scores.to_frame()[["split", "missing_share", "absent_classes"]].to_numpy().tolist()
    [['train', 0.0, 0], ['test', 0.3333333333333333, 0]]
    """
    encoded = _encoded(df, tasks, n_bins)
    codes, splits = _assignment_codes(encoded.index, assignment)
    counts = _split_counts(encoded, codes, splits)
    frames = [_task_score_rows(part, t, counts, codes) for t, part in enumerate(encoded.tasks)]
    return TaskScores(pd.concat(frames, ignore_index=True))


# --------------------------------------------------------------------------- strategy comparison


@dataclass(frozen=True, eq=False)
class StrategyComparison:
    """The same scores for several split configs, side by side.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per config: ``config`` (its name), ``strategy``, ``n_splits``,
        ``order``, ``seed``, ``seconds`` (time to split), ``ld``, ``ed``,
        ``ed_share``, ``lpd``, ``fz``, ``flz``, ``max_gap``, ``worst_js``,
        ``worst_ks``, ``groups_split`` (groups in more than one split; NaN
        without a group column), ``status`` (worst verdict of the scorecard and
        the group check), ``error`` (the message when the config could not split).
    results : dict of str to SplitResult
    """

    frame: pd.DataFrame
    results: dict

    def to_frame(self) -> pd.DataFrame:
        return self.frame


def _config_names(configs) -> list[tuple[str, object]]:
    if isinstance(configs, Mapping):
        return [(str(name), config) for name, config in configs.items()]
    named, seen = [], {}
    for config in configs:
        name = config.strategy + (f" k={config.n_folds}" if config.n_folds else "")
        name += f" order={config.order}" if config.order != 1 else ""
        seen[name] = seen.get(name, 0) + 1
        named.append((name if seen[name] == 1 else f"{name} #{seen[name]}", config))
    return named


def compare_strategies(
    df: pd.DataFrame, tasks, configs, *, group_column: str | None = None
) -> StrategyComparison:
    """Split ``df`` with each config and score every split the same way.

    Parameters
    ----------
    configs : sequence of SplitConfig, or mapping of name to SplitConfig
    group_column : str, optional
        Count groups that land in more than one split, for every config.

    Examples
    --------
    >>> from core.splits import SplitConfig
    >>> frame = pd.DataFrame({"y": [0, 1] * 50})
    >>> tasks = [Task("y", ("y",), "binary")]
    >>> table = compare_strategies(frame, tasks, [SplitConfig("random"), SplitConfig("stratified")]).to_frame()
    >>> table["config"].tolist()
    ['random', 'stratified']
    """
    # imported here: core.splits pulls in the stratifier, which the other diagnostics never need
    from core.errors import TaskSplitError
    from core.leakage_checks import group_check
    from core.splits import split

    tasks = tuple(getattr(part, "task", part) for part in getattr(tasks, "tasks", tasks))
    rows, results, encodings = [], {}, {}
    for name, config in _config_names(configs):
        row = {"config": name, "strategy": config.strategy, "order": config.order, "seed": config.seed}
        try:
            start = time.perf_counter()
            result = split(df, tasks, config)
            row["seconds"] = time.perf_counter() - start
        except TaskSplitError as error:
            rows.append({**row, "status": "fail", "error": str(error)})
            continue
        results[name] = result
        encoded = encodings.setdefault(config.n_bins, encode_tasks(df, tasks, config.n_bins))
        fractions = None if config.n_folds or config.strategy == "predefined" else dict(config.fractions)
        quality = split_quality(encoded.matrix, result.assignment.to_numpy(), fractions)
        scores = task_scores(df, encoded, result.assignment)
        card = scorecard(quality, scores)
        statuses = list(card["status"])
        codes, splits = _assignment_codes(encoded.index, result.assignment)
        groups_split = np.nan
        if group_column is not None:
            group = group_check(df, group_column, codes, splits)
            groups_split, statuses = group.count, [*statuses, group.status]
        row.update(
            n_splits=len(splits), ld=quality.ld, ed=quality.ed, ed_share=quality.ed_share, lpd=quality.lpd,
            fz=quality.fz, flz=quality.flz, max_gap=quality.max_gap, worst_js=scores.worst_js,
            worst_ks=scores.worst_ks, groups_split=groups_split, status=status_of(statuses), error="",
        )  # fmt: skip
        rows.append(row)
    columns = [
        "config", "strategy", "n_splits", "order", "seed", "seconds", "ld", "ed", "ed_share", "lpd", "fz",
        "flz", "max_gap", "worst_js", "worst_ks", "groups_split", "status", "error",
    ]  # fmt: skip
    return StrategyComparison(pd.DataFrame(rows, columns=columns), results)
