"""The sampled leakage checks: near-duplicates across splits, and single features that predict a task.

Both work on samples of large data (sizes in :mod:`core.diagnostics._thresholds`) and say so in their detail.
Both read inf and -inf in a feature as missing, and scale so that no value, however large,
overflows: a feature of 1.5e170 is an outlier, not a crash.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.impute import SimpleImputer
from sklearn.neighbors import KDTree
from sklearn.preprocessing import MaxAbsScaler

from ..errors import DataError
from ..tasks import Task, encode
from ._leakage_checks import CheckResult, are_folds, reference_rows, share_text, skipped
from ._thresholds import (
    NEAR_DUPLICATE_CHANCE_FACTOR,
    NEAR_DUPLICATE_DISTANCE,
    NEAR_DUPLICATE_FAIL_SHARE,
    NEAR_DUPLICATE_QUERIES,
    NEAR_DUPLICATE_SAMPLE,
    NEAR_DUPLICATE_WARN_SHARE,
    PREDICTOR_FAIL,
    PREDICTOR_SAMPLE,
    PREDICTOR_WARN,
)

__all__ = ["near_duplicate_check", "predictor_check", "PREDICTOR_BINS"]

PREDICTOR_BINS = 64
MIN_CLASS_ROWS = 10  # rows of a class (and of the rest) a single-feature AUC needs to mean anything
_FAR = 1e12  # a scaled distance beyond any radius: the most a scaled feature may be
_NORMAL_IQR = 1.3489795003921634  # scipy.stats.norm.ppf(0.75) - norm.ppf(0.25): a normal variable's IQR in SDs


def _sample(rows: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    return rows if rows.size <= size else np.sort(rng.choice(rows, size, replace=False))


def _feature_values(df: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Numeric feature columns as float64, with inf and -inf read as missing (NaN)."""
    values = df[columns].to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isfinite(values), values, np.nan)


def _robust_scaled(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Features in robust standard deviations of the ``reference`` rows; finite whatever the input.

    Each column becomes (x - median) / (IQR / 1.349), the IQR of a normal variable being 1.349
    standard deviations, or (x - median) / SD where the IQR is 0 (a mostly constant column, which
    sklearn's RobustScaler would leave unscaled); NaN (missing, or inf) takes the median. An
    outlier (1.5e170) moves neither the median nor the IQR, so the other rows keep their
    distances; dividing each column by its largest absolute value first keeps every square far
    from overflow. ``values[reference]`` are the rows the statistics come from.
    """
    unit = MaxAbsScaler().fit_transform(values)  # each column within [-1, 1]: no square can overflow
    imputed = SimpleImputer(strategy="median", keep_empty_features=True).fit(unit[reference]).transform(unit)
    low, middle, high = np.percentile(imputed[reference], (25, 50, 75), axis=0)
    spread = imputed[reference].std(axis=0)
    scale = np.where(high > low, (high - low) / _NORMAL_IQR, np.where(spread > 0, spread, 1.0))
    scaled = np.nan_to_num((imputed - middle) / scale, nan=0.0)
    return np.clip(scaled, -_FAR, _FAR)  # never NaN or inf to the tree


def near_duplicate_check(df, features, codes, splits, rng) -> CheckResult:
    """Sampled val/test rows within a small robust-scaled distance of a train row, but not identical to it."""
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(df[c]) and df[c].nunique() > 1]
    if not numeric:
        return skipped("No numeric feature columns to compare.")
    if len(splits) < 2:
        return skipped("Only one split: nothing to compare.")
    folds = are_folds(splits)
    if folds:  # each fold is scored by a model that learned from every other fold
        reference = tested = np.flatnonzero(codes >= 0)
        words = "rows, each against the other folds' rows"
    else:
        reference, tested, words = reference_rows(codes, splits)
    reference = _sample(reference, NEAR_DUPLICATE_SAMPLE, rng)
    queries = _sample(tested, NEAR_DUPLICATE_QUERIES, rng)
    if reference.size == 0 or queries.size == 0:
        return skipped("A split is empty: nothing to compare.")
    values = _feature_values(df.iloc[np.concatenate([reference, queries])], numeric)
    scaled = _robust_scaled(values, np.arange(reference.size))
    # a radius query with a small radius prunes well even in 20 dimensions, unlike a 1-NN search;
    # identical rows are the duplicates check's business, so only neighbours at a distance count
    radius = NEAR_DUPLICATE_DISTANCE * np.sqrt(len(numeric))
    tree = KDTree(scaled[: reference.size])
    if folds:
        near = _near_in_folds(tree, scaled[reference.size :], radius, codes[reference], codes[queries], other=True)
    else:
        near = _near_count(tree, scaled[reference.size :], radius)
    share = near / queries.size
    status = (
        "fail"
        if share >= NEAR_DUPLICATE_FAIL_SHARE
        else "warn"
        if share >= NEAR_DUPLICATE_WARN_SHARE
        else "pass"
    )
    detail = (f"{near:,} of {queries.size:,} sampled rows ({share_text(near, queries.size)}) lie within "
              f"{NEAR_DUPLICATE_DISTANCE} robust standard deviations (RMS over {len(numeric)} numeric features) of a "
              f"row they learn from without being identical to it; sample: {queries.size:,} of {tested.size:,} "
              f"{words}, {reference.size:,} searched.")
    if status == "fail":
        alike, looked = _near_within(tree, scaled[: reference.size], radius, codes[reference] if folds else None)
        if alike / looked * NEAR_DUPLICATE_CHANCE_FACTOR > share:
            status = "warn"
            detail += (f" Rows of one split lie as close to each other ({share_text(alike, looked)} of {looked:,} "
                       f"sampled): the features are coarse (many rows share their values, as ages or counts do) or "
                       "rows repeat throughout the data: not this split's doing.")
    return CheckResult(status, detail, near)


def _near_in_folds(tree, points: np.ndarray, radius: float, tree_folds: np.ndarray, point_folds: np.ndarray, *,
                   other: bool) -> int:
    """How many ``points`` have a tree row within ``radius`` (not identical) in another fold (``other``) or in
    their own fold."""
    found, distances = tree.query_radius(points, r=radius, return_distance=True)
    near = 0
    for hits, gaps, fold in zip(found, distances, point_folds, strict=True):
        pick = (tree_folds[hits] != fold) if other else (tree_folds[hits] == fold)
        near += bool((pick & (gaps > 1e-9)).any())
    return near


def _near_within(tree, reference: np.ndarray, radius: float, folds: np.ndarray | None) -> tuple[int, int]:
    """``(near, looked)``: how many of a sample of the tree's own rows have another row of their split (their fold)
    within ``radius`` without being identical to it: how close rows lie by chance, whatever the split. Its own
    seed, so that the other checks' samples are those of before it was added."""
    rows = np.random.default_rng(0).permutation(reference.shape[0])[:NEAR_DUPLICATE_QUERIES]
    if folds is not None:
        return _near_in_folds(tree, reference[rows], radius, folds, folds[rows], other=False), rows.size
    return _near_count(tree, reference[rows], radius), rows.size


def _near_count(tree, points: np.ndarray, radius: float) -> int:
    """How many ``points`` have a tree row within ``radius`` that is not identical to them."""
    within = tree.query_radius(points, r=radius, count_only=True)
    identical = tree.query_radius(points, r=1e-9, count_only=True)
    return int((within > identical).sum())


def _feature_bins(series: pd.Series) -> np.ndarray:
    """A feature as bin codes: quantile bins for numbers, categories for the rest; missing its own bin."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return np.zeros(values.size, dtype=np.int64)
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, PREDICTOR_BINS + 1)[1:-1]))
        bins = np.searchsorted(edges, values, side="right")
        return np.where(np.isfinite(values), bins, edges.size + 1)
    codes = pd.factorize(series, use_na_sentinel=True)[0]
    return np.where(codes < 0, codes.max(initial=-1) + 1, codes)  # initial: an empty sample has no codes


def _cross_fitted_means(bins: np.ndarray, targets: np.ndarray, half: np.ndarray) -> np.ndarray:
    """Per row, the mean target of its bin in the other half (the other half's mean for unseen bins).

    Hand-written: sklearn's TargetEncoder does this per target column, which is
    a hundred fits for a hundred labels; here one bincount serves all columns.
    """
    n_bins = int(bins.max()) + 1
    encoded = np.empty_like(targets, dtype=np.float64)
    for side in (False, True):
        fit, apply = half != side, half == side
        counts = np.bincount(bins[fit], minlength=n_bins).astype(np.float64)
        sums = np.stack([np.bincount(bins[fit], weights=t, minlength=n_bins) for t in targets[fit].T], axis=1)
        fallback = targets[fit].mean(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(counts[:, None] > 0, sums / counts[:, None], fallback)
        encoded[apply] = means[bins[apply]]
    return encoded


def _auc(truth: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """ROC AUC per column (Mann-Whitney form, ties averaged), NaN where a column has one class."""
    ranks = rankdata(scores, axis=0)
    positives = truth.sum(axis=0)
    negatives = truth.shape[0] - positives
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = ((ranks * truth).sum(axis=0) - positives * (positives + 1) / 2) / (positives * negatives)
    return np.where((positives > 0) & (negatives > 0), auc, np.nan)


def _r2(truth: np.ndarray, predicted: np.ndarray) -> float:
    residual = ((truth - predicted) ** 2).sum()
    total = ((truth - truth.mean()) ** 2).sum()
    return float(1 - residual / total) if total > 0 else np.nan


def _linear_r2(feature: pd.Series, labelled: np.ndarray, truth: np.ndarray) -> float:
    """R² of a straight line from a numeric feature to the target, missing values their own bin.

    Rows where the feature is missing (NaN, or inf read as missing) are predicted by their mean
    target, as :func:`_feature_bins` gives them a bin of their own. NaN for a non-numeric feature.
    """
    if not pd.api.types.is_numeric_dtype(feature):
        return np.nan
    values = feature.to_numpy(dtype=np.float64, na_value=np.nan)[labelled]
    present = np.isfinite(values)
    total = ((truth - truth.mean()) ** 2).sum()
    if present.sum() < 2 or total == 0:
        return np.nan
    x = values[present] / max(np.abs(values[present]).max(), np.finfo(np.float64).tiny)  # squares stay finite
    y, rest = truth[present], truth[~present]
    spread = ((y - y.mean()) ** 2).sum()
    fitted = np.corrcoef(x, y)[0, 1] ** 2 if x.std() > 0 and spread > 0 else 0.0
    missing = ((rest - rest.mean()) ** 2).sum() if rest.size else 0.0
    return float(1 - ((1 - fitted) * spread + missing) / total)


def _task_targets(sample: pd.DataFrame, task: Task) -> tuple[np.ndarray, np.ndarray, list[str], str] | None:
    """Labelled rows, target matrix, target names and metric of one task on the sample; None if unusable."""
    try:
        encoded = encode(sample, task)
    except DataError:
        return None  # e.g. a single class in the sample
    labelled = ~encoded.missing
    if task.kind == "regression":
        target = encoded.values[labelled]
        reach = np.abs(target).max(initial=0.0)
        # R² does not depend on the target's scale; in [-1, 1] its squares and sums stay finite
        return labelled, (target / reach if reach > 0 else target)[:, None], [task.name], "R2"
    if task.kind == "multilabel":
        return labelled, (encoded.values[labelled] == 1).astype(np.float64), list(encoded.classes), "AUC"
    codes = encoded.codes[labelled]
    if task.kind == "binary":
        return labelled, (codes == 1).astype(np.float64)[:, None], [encoded.classes[1]], "AUC"
    return labelled, np.eye(len(encoded.classes))[codes], list(encoded.classes), "AUC"


def _halves(sample: pd.DataFrame, group_column: str | None, rng) -> np.ndarray:
    """Which half of the cross-fit each sampled row is in: whole groups when the data has groups.

    A feature constant within a group (a county's share of minorities) names the group; with rows of one
    group in both halves it "predicts" every group-level label perfectly without carrying over to new groups.
    """
    if group_column is None or group_column not in sample.columns:
        return rng.random(len(sample)) < 0.5
    codes = pd.factorize(sample[group_column], use_na_sentinel=False)[0]
    return (rng.random(int(codes.max(initial=-1)) + 1) < 0.5)[codes]


def _rank_r2(feature: pd.Series, labelled: np.ndarray, truth: np.ndarray) -> float:
    """Squared Spearman correlation: 1 for any monotone copy of the target (a log, a rescaling)."""
    if not pd.api.types.is_numeric_dtype(feature) or pd.api.types.is_bool_dtype(feature):
        return np.nan
    values = feature.to_numpy(dtype=np.float64, na_value=np.nan)[labelled]
    present = np.isfinite(values)
    if present.sum() < MIN_CLASS_ROWS or np.ptp(values[present]) == 0 or np.ptp(truth[present]) == 0:
        return np.nan
    rho = np.corrcoef(rankdata(values[present]), rankdata(truth[present]))[0, 1]
    return float(rho**2 * present.mean())  # rows with the feature missing are not explained by it


def _predictor_scores(sample: pd.DataFrame, features: list[str], tasks: Sequence[Task], rng,
                      group_column: str | None = None) -> pd.DataFrame:
    rows = []
    half = _halves(sample, group_column, rng)
    feature_bins = {feature: _feature_bins(sample[feature]) for feature in features}  # once, not once per task
    for task in tasks:
        target = _task_targets(sample, task)
        if target is None:
            continue
        labelled, truth, names, metric = target
        for feature in features:
            bins = feature_bins[feature][labelled]
            encoded = _cross_fitted_means(bins, truth, half[labelled])
            if metric == "AUC":
                scores = _auc(truth, encoded)
                support = np.minimum(truth.sum(axis=0), truth.shape[0] - truth.sum(axis=0))
                scores = np.where(support >= MIN_CLASS_ROWS, scores, np.nan)  # an AUC on 2 positives is noise
            else:
                # a continuous copy of the target loses detail in 64 bins; a linear fit keeps it, and ranks
                # keep a monotone copy (a log of the target) that neither bins nor a line recover in full
                linear = _linear_r2(sample[feature], labelled, truth[:, 0])
                ranked = _rank_r2(sample[feature], labelled, truth[:, 0])
                scores = np.array([np.fmax(np.fmax(_r2(truth[:, 0], encoded[:, 0]), linear), ranked)])
            for name, score in zip(names, scores, strict=True):
                if np.isfinite(score):
                    rows.append((feature, task.name, name, metric, float(score)))
    frame = pd.DataFrame(rows, columns=["feature", "task", "label", "metric", "score"])
    return frame.sort_values("score", ascending=False, ignore_index=True)


def predictor_check(df, features, tasks, codes, splits, rng, group_column: str | None = None
                    ) -> tuple[CheckResult, pd.DataFrame]:
    """Single features that alone predict a task on a sample of train (AUC or R²), and every score.

    Cross-fitted over two halves of the sample (whole groups when ``group_column`` is given); a class
    with fewer than ``MIN_CLASS_ROWS`` rows (or non-rows) in the sample is not scored.
    """
    empty = pd.DataFrame(columns=["feature", "task", "label", "metric", "score"])
    if not tasks:
        return skipped("No task given."), empty
    if not features:
        return skipped("No feature columns to test."), empty
    learn_rows = (
        np.flatnonzero(codes == splits.index("train")) if "train" in splits else np.flatnonzero(codes >= 0)
    )
    sample_rows = _sample(learn_rows, PREDICTOR_SAMPLE, rng)
    scores = _predictor_scores(df.iloc[sample_rows], features, tasks, rng, group_column)
    where = (
        f"on {sample_rows.size:,} of {learn_rows.size:,} {'train' if 'train' in splits else ''} rows".replace(
            "  ", " "
        )
    )
    if scores.empty:
        return skipped(f"No task had two classes of at least {MIN_CLASS_ROWS} rows in the sample."), scores
    best = scores.iloc[0]
    top = f"'{best.feature}' → {best.task}" + (f"={best.label}" if best.label != best.task else "")
    flagged = scores[scores["score"] >= PREDICTOR_WARN]
    if flagged.empty:
        return CheckResult(
            "pass",
            f"No single feature predicts a task; the best is {top}, {best.metric} {best.score:.3f}, {where}.",
            0,
        ), scores
    status = "fail" if best.score >= PREDICTOR_FAIL else "warn"
    return CheckResult(
        status,
        f"{flagged['feature'].nunique()} feature(s) alone predict a task; the best is {top}, {best.metric} "
        f"{best.score:.3f}, {where}. Is a label copied into the features?",
        flagged["feature"].nunique(),
    ), scores
