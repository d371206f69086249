"""The primary metric on many resamples of the test rows at once, for the paired bootstrap of the transfer gain.

Split from :mod:`core.training._transfer_gain` (which judges the gains): this module only computes metrics
(:data:`PRIMARY_METRIC`) under resample counts.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "bootstrap_primary",
    "bootstrap_counts",
    "BOOTSTRAP_RESAMPLES",
    "bootstrap_resamples",
]

# The primary metric on many resamples of the test rows at once: each resample is a row of
# counts (how often each test row was drawn), so a metric is a few matrix products over
# (B, n) counts instead of B calls to sklearn. Written by hand: sklearn has no batched metrics.

BOOTSTRAP_RESAMPLES = 1000  # up to 1,000 test rows; fewer above (bootstrap_resamples), never under 200
MIN_RESAMPLES = 200
BOOTSTRAP_SEED = 0
CONFIDENCE = 0.95
_CELLS = 1_000_000  # resamples x rows: the work of one metric's bootstrap (~0.05 s)
_CHUNK_CELLS = 8_000_000  # resamples x rows held at once (64 MB of counts)


def bootstrap_resamples(n: int) -> int:
    """How many resamples for ``n`` test rows: 1000, fewer past 1,000 rows so a metric stays ~0.1 s, at least 200.

    Examples
    --------
    >>> bootstrap_resamples(650), bootstrap_resamples(2_500), bootstrap_resamples(1_000_000)
    (1000, 400, 200)
    """
    return int(min(BOOTSTRAP_RESAMPLES, max(MIN_RESAMPLES, _CELLS // max(n, 1))))


def bootstrap_counts(n: int, resamples: int, seed: int) -> list[np.ndarray]:
    """How often each of ``n`` rows is drawn in each resample, as (chunk, n) float arrays; the same for a seed."""
    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK_CELLS // max(n, 1))
    out = []
    for start in range(0, resamples, chunk):
        b = min(chunk, resamples - start)
        drawn = rng.integers(0, n, size=(b, n)) + (np.arange(b) * n)[:, None]  # (b, n) flat row ids
        out.append(np.bincount(drawn.ravel(), minlength=b * n).reshape(b, n).astype(np.float64))
    return out


def _auc_on(scores: np.ndarray, positive: np.ndarray, rows: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """ROC AUC (ties count one half) of ``scores`` at test rows ``rows``, under each row of a (B, n) count matrix.

    Mann-Whitney: each positive row counts the (weighted) negatives scored below it,
    plus half those tied with it, read off a running sum over the sorted negatives.
    The sort and the positions are found once; each chunk of resamples then costs a
    gather, a running sum and a product. A resample without both classes gives NaN.
    """
    order = np.argsort(scores[~positive], kind="stable")
    negatives, ranked = rows[~positive][order], scores[~positive][order]  # (N,) ascending by score
    positives = rows[positive]  # (P,)
    below = np.searchsorted(ranked, scores[positive], side="left")  # (P,) negatives scored lower
    upto = np.searchsorted(ranked, scores[positive], side="right")  # (P,) lower or tied

    def auc(counts: np.ndarray) -> np.ndarray:
        running = np.zeros((counts.shape[0], negatives.size + 1))
        np.cumsum(counts[:, negatives], axis=1, out=running[:, 1:])  # (B, N + 1) negatives drawn up to each
        drawn = counts[:, positives]  # (B, P)
        wins = 0.5 * (drawn * (running[:, below] + running[:, upto])).sum(axis=1)  # below + half the ties
        pairs = drawn.sum(axis=1) * running[:, -1]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(pairs > 0, wins / pairs, np.nan)

    return auc


def _macro_f1_on(actual: np.ndarray, predicted: np.ndarray, classes: int) -> Callable[[np.ndarray], np.ndarray]:
    """Macro F1 over the classes seen (true or predicted) in each resample, as sklearn's zero_division=nan.

    ``actual`` is -1 on unlabelled rows, which then count for no class.
    """
    eye = np.vstack([np.eye(classes), np.zeros((1, classes))])  # row -1: unlabelled, no class
    true_hot = eye[actual]  # (n, C)
    predicted_hot = eye[np.where(actual >= 0, predicted, -1)]  # (n, C)
    hit, either = true_hot * predicted_hot, true_hot + predicted_hot

    def macro_f1(counts: np.ndarray) -> np.ndarray:
        hits, seen = counts @ hit, counts @ either  # (B, C) true positives; 2 TP + FP + FN
        with np.errstate(invalid="ignore", divide="ignore"):
            return _nanmean_rows(np.where(seen > 0, 2 * hits / seen, np.nan))

    return macro_f1


def _r2_on(predicted: np.ndarray, actual: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """R² over the labelled rows (``actual`` not NaN) of each resample."""
    labelled = (~np.isnan(actual)).astype(np.float64)
    y = np.nan_to_num(actual)
    squared, errors = y**2, np.where(labelled > 0, (y - predicted) ** 2, 0.0)

    def r2(counts: np.ndarray) -> np.ndarray:
        total = counts @ labelled
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = counts @ y / total
            spread = counts @ squared - total * mean**2  # sum of w (y - mean)^2
            return np.where(spread > 1e-12 * np.maximum(total, 1), 1.0 - counts @ errors / spread, np.nan)

    return r2


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    known = np.isfinite(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(known.any(axis=1), np.where(known, values, 0.0).sum(axis=1) / known.sum(axis=1), np.nan)


def primary_on(kind: str, output: np.ndarray, target: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The primary metric of one task as a function of resample counts: (B, n) -> (B,); see :func:`bootstrap_primary`."""
    output = np.asarray(output, dtype=np.float64)
    target = np.asarray(target)
    if kind == "multilabel":
        labels = []
        for j in range(target.shape[1]):
            rows = np.flatnonzero(target[:, j] >= 0)
            labels.append(_auc_on(output[rows, j], target[rows, j] == 1, rows))
        return lambda counts: _nanmean_rows(np.stack([label(counts) for label in labels], axis=1))
    if kind == "regression":
        return _r2_on(output, target.astype(np.float64))
    if kind == "binary":
        rows = np.flatnonzero(target >= 0)
        return _auc_on(output[rows], target[rows] == 1, rows)
    return _macro_f1_on(target.astype(np.int64), output.argmax(axis=1), output.shape[1])


def bootstrap_primary(kind: str, output: np.ndarray, target: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The primary metric (:data:`PRIMARY_METRIC`) of one task on each resample of its test rows: (B,).

    ``counts`` (B, n) says how often each test row is drawn (:func:`bootstrap_counts`);
    unlabelled rows are left out as in :func:`task_metrics`, and a resample where the
    metric is undefined gives NaN. With ``counts`` all ones it equals ``task_metrics``.

    Examples
    --------
    >>> output, target = np.array([-1.0, 0.5, 2.0, 0.1]), np.array([0, 1, 1, 0])
    >>> bootstrap_primary("binary", output, target, np.ones((1, 4), dtype=int)).tolist()
    [1.0]
    """
    return primary_on(kind, output, target)(np.asarray(counts, dtype=np.float64))
