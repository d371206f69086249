"""Label distributions and per-task scores: each split's labels against the whole data's.

:func:`label_distribution` counts every label of every task per split (a missing label is its
own value, ``(missing)``), with quantiles and histograms for regression tasks;
:func:`task_scores` gives per task and split the Jensen-Shannon distance from the whole (the KS
statistic for regression), the classes absent from the split and the share of missing labels.
Both count with one bincount over the indicator matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon

from ..splits import WHOLE, assignment_codes
from ..tasks import (
    MISSING,
    EncodedTasks,
    Task,  # noqa: F401  (the docstring examples use it)
    TaskLabels,
    encoded_for,
    label_name,
)

__all__ = [
    "QUANTILES",
    "HISTOGRAM_BINS",
    "LabelDistribution",
    "label_distribution",
    "TaskScores",
    "task_scores",
    "task_scores_of_codes",
]

QUANTILES = (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)
HISTOGRAM_BINS = 30  # at most; fewer when a split has few labelled rows (histogram_bins)
MIN_HISTOGRAM_BINS = 5


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
            "indicator": [*(label_name(part.task.name, c) for c in part.classes), None] * k1,
            "is_missing": ([False] * n_classes + [True]) * k1,
            "count": count.ravel(),
            "split_rows": np.repeat(counts.sizes, n_classes + 1),
            "fraction": fraction.ravel(),
            "fraction_labelled": fraction_labelled.ravel(),
        }
    )


def histogram_bins(split_rows: np.ndarray) -> int:
    """Bins of a regression task's histogram: about the square root of the smallest split's labelled rows.

    Each split's bars are shares of its own rows, so a bin must hold a few of the smallest split's rows for
    its bars to be a shape and not a barcode of single rows: 4 rows a fold get 5 bins, not 30.

    Examples
    --------
    >>> histogram_bins(np.array([16, 4, 4])), histogram_bins(np.array([1258, 267, 272])), histogram_bins(np.array([70_000, 15_000]))
    (5, 17, 30)
    """
    held = split_rows[split_rows > 0]
    smallest = int(held.min()) if held.size else 0
    return int(np.clip(np.ceil(np.sqrt(smallest)), MIN_HISTOGRAM_BINS, HISTOGRAM_BINS))


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
    n_edges = histogram_bins(np.bincount(split_of, minlength=k)) + 1
    edges = np.linspace(low, high, n_edges) if high > low else np.array([low, low + 1.0])
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
    encoded = encoded_for(df, tasks, n_bins)
    codes, splits = assignment_codes(encoded.index, assignment)
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
    """Two-sample KS statistic of each split's values against the whole's (the labelled, kept rows).

    The statistic only, as ``scipy.stats.ks_2samp(split, whole).statistic`` gives it (its p-value,
    which nobody reads here, was most of the cost): a split is part of the whole, so both CDFs
    change only at the whole's distinct values, and one sort of the whole (cached on ``part``)
    serves every split and every assignment.
    """
    order = part.sorted_rows
    split = codes[order]
    kept = split >= 0
    values, split = part.values[order][kept], split[kept]
    out = np.full(k, np.nan)
    if not values.size:
        return out
    last = np.flatnonzero(np.append(values[1:] != values[:-1], True))  # the last row of each distinct value
    whole_cdf = (last + 1) / values.size
    for i in range(k):
        members = split == i
        size = np.count_nonzero(members)
        if size:
            out[i] = np.abs(np.cumsum(members)[last] / size - whole_cdf).max()
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
    encoded = encoded_for(df, tasks, n_bins)
    return task_scores_of_codes(encoded, *assignment_codes(encoded.index, assignment))


def task_scores_of_codes(encoded: EncodedTasks, codes: np.ndarray, splits: tuple[str, ...]) -> TaskScores:
    """:func:`task_scores` of an assignment already read by :func:`core.splits.assignment_codes`."""
    counts = _split_counts(encoded, codes, splits)
    frames = [_task_score_rows(part, t, counts, codes) for t, part in enumerate(encoded.tasks)]
    return TaskScores(pd.concat(frames, ignore_index=True))
