"""Per-task metrics from sklearn, confusion matrices, and whether the test rows can judge a task.

The multi-task vs single-task comparison is :mod:`core.training._transfer_gain`.

A metric that is undefined (one class in the split, no labelled rows, a
constant target) is ``None``, never NaN, so results serialise to strict JSON.
Missing labels (-1, NaN) are left out of every metric.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, softmax
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
)

__all__ = [
    "METRICS",
    "PRIMARY_METRIC",
    "LOWER_IS_BETTER",
    "task_metrics",
    "Confusion",
    "confusion",
    "unreliable",
    "MIN_TEST_ROWS",
]

METRICS = {
    "binary": ("accuracy", "macro_f1", "roc_auc"),
    "multiclass": ("accuracy", "macro_f1", "roc_auc"),
    "multilabel": ("accuracy", "macro_f1", "roc_auc"),
    "regression": ("r2", "mae"),
}
PRIMARY_METRIC = {"binary": "roc_auc", "multiclass": "macro_f1", "multilabel": "roc_auc", "regression": "r2"}
LOWER_IS_BETTER = frozenset({"mae"})


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _labelled(kind: str, target: np.ndarray) -> np.ndarray:
    return ~np.isnan(target) if kind == "regression" else target >= 0


def task_metrics(
    kind: str, output: np.ndarray, target: np.ndarray, *, mean: float = 0.0, std: float = 1.0,
    names: tuple[str, ...] | None = None,
) -> dict[str, float | None]:
    """Metrics of one task from model outputs (logits, or standardised values) and encoded targets.

    Regression metrics are on the original scale (``value * std + mean``).
    ``names`` picks some of ``METRICS[kind]``; by default all of them.

    Examples
    --------
    >>> task_metrics("binary", np.array([-2.0, 2.0, 1.0]), np.array([0, 1, -1]))
    {'accuracy': 1.0, 'macro_f1': 1.0, 'roc_auc': 1.0}
    >>> task_metrics("binary", np.array([-2.0, 2.0]), np.array([1, 1]))["roc_auc"] is None
    True
    """
    names = names or METRICS[kind]
    empty = dict.fromkeys(names)
    output = np.asarray(output, dtype=np.float64)
    target = np.asarray(target)
    if not np.isfinite(output).all():
        return empty
    if kind == "multilabel":
        return _multilabel_metrics(output, target, names)
    keep = _labelled(kind, target)
    if not keep.any():
        return empty
    output, target = output[keep], target[keep]
    if kind == "regression":
        return _regression_metrics(output * std + mean, target * std + mean, names)
    if kind == "binary":
        scores = expit(output)  # (n,) P(class 1)
        predicted = (scores >= 0.5).astype(np.int64)
    else:
        scores = softmax(output, axis=1)  # (n, C)
        predicted = scores.argmax(axis=1)
    target = target.astype(np.int64)
    found = {
        "accuracy": lambda: accuracy_score(target, predicted),
        "macro_f1": lambda: f1_score(target, predicted, average="macro", zero_division=np.nan),
        "roc_auc": lambda: _roc_auc(target, scores),
    }
    return {name: _finite(found[name]()) for name in names}


def _regression_metrics(predicted: np.ndarray, actual: np.ndarray, names: tuple[str, ...]) -> dict:
    found = {
        # R² is undefined for fewer than two rows or a constant target.
        "r2": lambda: r2_score(actual, predicted) if actual.size >= 2 and np.ptp(actual) > 0 else math.nan,
        "mae": lambda: mean_absolute_error(actual, predicted),
    }
    return {name: _finite(found[name]()) for name in names}


def _roc_auc(target: np.ndarray, scores: np.ndarray) -> float:
    """Macro one-vs-rest AUC over the classes present in ``target``; NaN with fewer than two."""
    present = np.unique(target)
    if present.size < 2:
        return math.nan
    if scores.ndim == 1:
        return roc_auc_score(target, scores)
    kept = scores[:, present]  # (n, K) probabilities of the present classes, renormalised
    kept = kept / kept.sum(axis=1, keepdims=True)
    if present.size == 2:
        return roc_auc_score(target == present[1], kept[:, 1])
    return roc_auc_score(target, kept, multi_class="ovr", average="macro", labels=present)


def _multilabel_metrics(output: np.ndarray, target: np.ndarray, names: tuple[str, ...]) -> dict:
    """Accuracy over labelled entries (1 - Hamming loss); F1 and AUC per label, then their mean."""
    labelled = target >= 0  # (n, L)
    if not labelled.any():
        return dict.fromkeys(names)
    predicted = (output >= 0).astype(np.int64)  # logit >= 0 <=> p >= 0.5
    f1s, aucs = [], []
    for j in range(target.shape[1]):
        rows = labelled[:, j]
        actual = target[rows, j].astype(np.int64)
        if actual.size == 0:
            continue
        f1s.append(f1_score(actual, predicted[rows, j], zero_division=np.nan))
        aucs.append(roc_auc_score(actual, output[rows, j]) if np.unique(actual).size == 2 else math.nan)
    found = {
        "accuracy": lambda: float((predicted == target)[labelled].mean()),
        "macro_f1": lambda: np.nanmean(f1s) if np.isfinite(f1s).any() else math.nan,
        "roc_auc": lambda: np.nanmean(aucs) if np.isfinite(aucs).any() else math.nan,
    }
    return {name: _finite(found[name]()) for name in names}


# --------------------------------------------------------------------------- confusion matrices


@dataclass(frozen=True, eq=False)
class Confusion:
    """Confusion counts of one classification task on the labelled test rows.

    ``matrix`` is ``(C, C)`` (rows true, columns predicted) for binary and
    multiclass, ``(L, 2, 2)`` (one 2x2 per label) for multilabel.
    """

    task: str
    kind: str
    classes: tuple[str, ...]
    matrix: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """Tidy counts: ``label`` (multilabel only, else None), ``true``, ``predicted``, ``count``."""
        rows = []
        if self.kind == "multilabel":
            for j, label in enumerate(self.classes):
                for t in (0, 1):
                    for p in (0, 1):
                        rows.append((label, str(t), str(p), int(self.matrix[j, t, p])))
        else:
            for t, true_name in enumerate(self.classes):
                for p, predicted_name in enumerate(self.classes):
                    rows.append((None, true_name, predicted_name, int(self.matrix[t, p])))
        return pd.DataFrame(rows, columns=["label", "true", "predicted", "count"])


def confusion(task: str, kind: str, classes: tuple[str, ...], output: np.ndarray, target: np.ndarray) -> Confusion:
    """The confusion counts of a classification task from its logits and encoded targets.

    Examples
    --------
    >>> confusion("y", "binary", ("no", "yes"), np.array([-1.0, 1.0, 1.0]), np.array([0, 0, 1])).matrix.tolist()
    [[1, 1], [0, 1]]
    """
    output, target = np.asarray(output, dtype=np.float64), np.asarray(target)
    if kind == "multilabel":
        matrix = np.zeros((len(classes), 2, 2), dtype=np.int64)
        for j in range(len(classes)):
            rows = target[:, j] >= 0
            predicted = (output[rows, j] >= 0).astype(np.int64)
            matrix[j] = _counts(target[rows, j], predicted, [0, 1])
        return Confusion(task, kind, tuple(classes), matrix)
    rows = target >= 0
    predicted = (output[rows] >= 0).astype(np.int64) if kind == "binary" else output[rows].argmax(axis=1)
    matrix = _counts(target[rows], predicted, list(range(len(classes))))
    return Confusion(task, kind, tuple(classes), matrix)


def _counts(actual: np.ndarray, predicted: np.ndarray, labels: list[int]) -> np.ndarray:
    """sklearn's confusion matrix, or zeros when there is no labelled row."""
    if actual.size == 0:
        return np.zeros((len(labels), len(labels)), dtype=np.int64)
    return confusion_matrix(actual, predicted, labels=labels)


# --------------------------------------------------------------------------- when a test metric means nothing

MIN_TEST_ROWS = 20  # fewer labelled test rows than this: a metric is noise (2 rows give accuracy 1.000)


def unreliable(kind: str, target: np.ndarray) -> str | None:
    """Why a task's test metrics would mean nothing on these encoded targets, or None when they mean something.

    The rule: fewer than :data:`MIN_TEST_ROWS` labelled rows; a binary task (or
    every label of a multilabel one) without both values; a multiclass task with
    one class; a constant regression target.

    Examples
    --------
    >>> unreliable("binary", np.array([0, 0, -1]))
    '2 labelled test rows (fewer than 20)'
    >>> unreliable("binary", np.zeros(30, dtype=int))
    'no positive label among the 30 labelled test rows'
    >>> unreliable("regression", np.arange(25.0)) is None
    True
    """
    target = np.asarray(target)
    labelled = (target >= 0).any(axis=1) if kind == "multilabel" else _labelled(kind, target)
    n = int(labelled.sum())
    if n < MIN_TEST_ROWS:
        return f"{n} labelled test row{'' if n == 1 else 's'} (fewer than {MIN_TEST_ROWS})"
    if kind == "binary":
        positives = int((target[labelled] == 1).sum())
        if positives in (0, n):
            return f"no {'positive' if positives == 0 else 'negative'} label among the {n} labelled test rows"
    elif kind == "multiclass" and np.unique(target[labelled]).size < 2:
        return f"one class only among the {n} labelled test rows"
    elif kind == "multilabel" and not any(
        np.unique(column[column >= 0]).size == 2 for column in target.T
    ):
        return f"no label has both 0 and 1 among the {n} labelled test rows"
    elif kind == "regression" and np.ptp(target[labelled]) == 0:
        return f"the target is constant over the {n} labelled test rows"
    return None
