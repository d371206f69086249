"""Per-task metrics from sklearn, confusion matrices, and the multi-task vs single-task comparison.

A metric that is undefined (one class in the split, no labelled rows, a
constant target) is ``None``, never NaN, so results serialise to strict JSON.
Missing labels (-1, NaN) are left out of every metric.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
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
    "TaskGain",
    "TransferGain",
    "transfer_gain_from_metrics",
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


# --------------------------------------------------------------------------- transfer gain


@dataclass(frozen=True)
class TaskGain:
    """One task's primary test metric with multi-task (``mtl``) and single-task (``stl``) training."""

    task: str
    metric: str
    mtl: float | None
    stl: float | None
    gain: float | None
    relative_gain: float | None


@dataclass(frozen=True)
class TransferGain:
    """Per-task transfer gain and the run's average relative gain ``delta_m`` (a fraction)."""

    tasks: tuple[TaskGain, ...]
    delta_m: float | None

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([vars(gain) for gain in self.tasks],
                            columns=["task", "metric", "mtl", "stl", "gain", "relative_gain"])

    def to_dict(self) -> dict:
        return {"tasks": [vars(gain) for gain in self.tasks], "delta_m": self.delta_m}


def transfer_gain_from_metrics(
    mtl_test: Mapping[str, Mapping[str, float | None]],
    stl_test: Mapping[str, Mapping[str, float | None]],
    kinds: Mapping[str, str],
) -> TransferGain:
    """Primary-metric gain of multi-task over single-task training per task, and Δm.

    ``gain = mtl - stl`` (positive: the shared model does better; signs flip for a
    lower-is-better metric). Δm (Maninis et al. 2019) is the mean over tasks of
    ``(mtl - stl) / |stl|``, with ``|stl|`` so a negative baseline (an R² below
    0) keeps the sign right; tasks with an undefined metric or a zero baseline
    are left out, and Δm is None when none is left.

    Examples
    --------
    >>> gain = transfer_gain_from_metrics({"a": {"roc_auc": 0.9}}, {"a": {"roc_auc": 0.75}}, {"a": "binary"})
    >>> round(gain.tasks[0].gain, 3), round(gain.delta_m, 3)
    (0.15, 0.2)
    """
    gains = []
    for task, kind in kinds.items():
        metric = PRIMARY_METRIC[kind]
        mtl = mtl_test.get(task, {}).get(metric)
        stl = stl_test.get(task, {}).get(metric)
        sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
        gain = sign * (mtl - stl) if mtl is not None and stl is not None else None
        relative = gain / abs(stl) if gain is not None and stl != 0 else None
        gains.append(TaskGain(task, metric, mtl, stl, gain, relative))
    defined = [g.relative_gain for g in gains if g.relative_gain is not None]
    return TransferGain(tuple(gains), float(np.mean(defined)) if defined else None)
