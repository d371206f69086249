"""Leakage checks: ways a split lets what the model is tested on seep into what it learns from.

:func:`leakage` runs five checks and reports one row per check with a status
(``pass``, ``warn``, ``fail``, or ``skipped`` when the inputs a check needs
were not given) and a one-line detail:

* ``group``: a group (person, patient, aircraft...) with rows in more than one split;
* ``duplicates``: identical feature rows in different splits (whole copies,
  labels included, fail; rows alike only in their features warn);
* ``near_duplicates``: val/test rows within a small scaled distance of a train
  row, but not identical to it (a nearest-neighbour radius search, sklearn's KDTree), on a sample of large data;
* ``time``: val/test rows dated on or before the end of train;
* ``predictor``: a single feature that alone predicts a task almost perfectly
  on a sample of train: a label copied into the features.

The first three of these cost one pass over the data; ``near_duplicates`` and
``predictor`` work on samples (sizes in :mod:`core.thresholds`) and say so.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.impute import SimpleImputer
from sklearn.neighbors import KDTree
from sklearn.preprocessing import StandardScaler

from core.errors import DataError
from core.quality import split_codes
from core.tasks import Task, encode, task_source_columns
from core.thresholds import (
    DUPLICATE_FAIL_SHARE,
    NEAR_DUPLICATE_DISTANCE,
    NEAR_DUPLICATE_FAIL_SHARE,
    NEAR_DUPLICATE_QUERIES,
    NEAR_DUPLICATE_SAMPLE,
    NEAR_DUPLICATE_WARN_SHARE,
    PREDICTOR_FAIL,
    PREDICTOR_SAMPLE,
    PREDICTOR_WARN,
    status_of,
)

__all__ = ["CHECKS", "LeakageReport", "leakage"]

CHECKS = {
    "group": "Groups in more than one split",
    "duplicates": "Identical feature rows across splits",
    "near_duplicates": "Near-duplicates across splits",
    "time": "Train time overlapping val/test time",
    "predictor": "A single feature predicting a task",
}
FAST_CHECKS = ("group", "duplicates", "time")
PREDICTOR_BINS = 64
N_EXAMPLES = 5


@dataclass(frozen=True, eq=False)
class LeakageReport:
    """The leakage checks of one split.

    Attributes
    ----------
    checks : pandas.DataFrame
        One row per check: ``check`` (key), ``title``, ``status``
        (pass/warn/fail/skipped), ``detail`` (one line), ``count`` (groups,
        rows or features found; NaN when skipped), ``seconds``.
    predictors : pandas.DataFrame
        The predictor check's scores: ``feature``, ``task``, ``label``,
        ``metric`` (AUC or R2), ``score``, best first.
    """

    checks: pd.DataFrame
    predictors: pd.DataFrame

    @property
    def status(self) -> str:
        """The worst status over the checks that ran."""
        return status_of(self.checks["status"])

    def to_frame(self) -> pd.DataFrame:
        return self.checks


@dataclass(frozen=True)
class _Result:
    status: str
    detail: str
    count: float = np.nan


def _skipped(why: str) -> _Result:
    return _Result("skipped", why)


def _share(part: int, whole: int) -> str:
    percent = 100 * part / whole if whole else 0.0
    return f"{percent:.0f}%" if percent >= 10 else f"{percent:.2g}%"


def _reference(codes: np.ndarray, splits: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, str]:
    """Rows learned from (train, or the first split) and rows tested on (the other splits)."""
    ref = splits.index("train") if "train" in splits else 0
    others = [s for i, s in enumerate(splits) if i != ref]
    words = f"{'/'.join(others[:3])}{'...' if len(others) > 3 else ''} rows against {splits[ref]}"
    return np.flatnonzero(codes == ref), np.flatnonzero((codes >= 0) & (codes != ref)), words


# --------------------------------------------------------------------------- one pass checks


def _splits_per_code(item_codes: np.ndarray, split_codes_: np.ndarray, k: int, n_items: int) -> np.ndarray:
    """How many distinct splits each item (group, distinct row) appears in (a hash table, no sort)."""
    pairs = pd.unique(item_codes.astype(np.int64) * k + split_codes_)
    return np.bincount(pairs // k, minlength=n_items)


def _group_check(df: pd.DataFrame, column: str | None, codes: np.ndarray, splits) -> _Result:
    if column is None:
        return _skipped("No group column given.")
    kept = codes >= 0
    group_codes, groups = pd.factorize(df[column].to_numpy()[kept])
    split_of = codes[kept]
    labelled = group_codes >= 0
    k = len(splits)
    spread = _splits_per_code(group_codes[labelled], split_of[labelled], k, len(groups))
    leaked = np.flatnonzero(spread > 1)
    if leaked.size == 0:
        return _Result("pass", f"Each of the {len(groups):,} groups of '{column}' sits in one split.", 0)
    rows = int(np.isin(group_codes, leaked).sum())
    examples = []
    for g in leaked[:N_EXAMPLES]:
        in_splits = [splits[s] for s in np.unique(split_of[group_codes == g])]
        examples.append(f"{groups[g]} ({'+'.join(in_splits)})")
    return _Result(
        "fail",
        f"{leaked.size:,} of {len(groups):,} groups of '{column}' ({_share(leaked.size, len(groups))}) have rows "
        f"in more than one split ({rows:,} rows), e.g. {', '.join(examples)}. Split by group.",
        leaked.size,
    )


def _shared_rows(df: pd.DataFrame, columns: list[str], kept: np.ndarray, codes: np.ndarray, k: int):
    """Per kept row: its distinct-row code, and whether that row's values appear in two or more splits."""
    hashes = pd.util.hash_pandas_object(df[columns].iloc[kept], index=False).to_numpy()
    row_codes, uniques = pd.factorize(hashes)
    spread = _splits_per_code(row_codes, codes[kept], k, len(uniques))
    return row_codes, spread[row_codes] > 1


def _duplicate_check(
    df: pd.DataFrame, features: list[str], labels: list[str], codes: np.ndarray, splits
) -> _Result:
    """Identical feature rows across splits; with task columns, full copies (labels too) decide a fail.

    Rows that share only their features (coarse 0/1 features make many people
    look alike) warn; copies of a whole record, labels included, fail from
    ``DUPLICATE_FAIL_SHARE`` of the rows. Without tasks every feature twin counts as a copy.
    """
    if not features:
        return _skipped("No feature columns to compare.")
    kept = np.flatnonzero(codes >= 0)
    row_codes, twins = _shared_rows(df, features, kept, codes, len(splits))
    n_twins = int(twins.sum())
    if n_twins == 0:
        return _Result("pass", f"No feature row (over {len(features)} columns) appears in two splits.", 0)
    # a whole copy must be a feature twin, so only the twins are hashed again with their labels
    candidates = kept[twins]
    copy_codes, copies = (
        _shared_rows(df, features + labels, candidates, codes, len(splits))
        if labels
        else (row_codes[twins], twins[twins])
    )
    n_copies = int(copies.sum())
    example_rows = (
        candidates[copy_codes == copy_codes[np.flatnonzero(copies)[0]]]
        if n_copies
        else (kept[row_codes == row_codes[np.flatnonzero(twins)[0]]])
    )
    example = ", ".join(f"row {r:,} ({splits[codes[r]]})" for r in example_rows[:3])
    detail = (
        f"{n_twins:,} rows ({_share(n_twins, kept.size)}) share their values of {len(features)} feature columns "
        f"with a row in another split ({int(row_codes.max()) + 1:,} distinct feature rows in {kept.size:,})"
    )
    if labels:
        detail += f"; {n_copies:,} of them are whole copies, labels included"
    status = "fail" if n_copies / kept.size >= DUPLICATE_FAIL_SHARE else "warn"
    return _Result(status, f"{detail}; e.g. {example}.", n_twins)


def _time_values(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return series.to_numpy()
    parsed = pd.to_datetime(series, errors="coerce")
    if parsed.notna().sum() < series.notna().sum():
        raise DataError(
            f"Time column '{series.name}' holds values that are not dates or numbers; pick a time column."
        )
    return parsed.to_numpy()


def _time_check(df: pd.DataFrame, column: str | None, codes: np.ndarray, splits) -> _Result:
    if column is None:
        return _skipped("No time column given.")
    if len(splits) < 2:
        return _skipped("Only one split: nothing to compare.")
    values = pd.Series(_time_values(df[column]))
    if "train" not in splits:
        ranges = [(values[codes == i].min(), values[codes == i].max(), s) for i, s in enumerate(splits)]
        ranges = sorted((r for r in ranges if pd.notna(r[0])), key=lambda r: r[0])
        overlaps = sum(later[0] <= earlier[1] for earlier, later in zip(ranges, ranges[1:], strict=False))
        if overlaps == 0:
            return _Result("pass", "The splits follow one another in time without overlap.", 0)
        return _Result(
            "warn", f"{overlaps} consecutive pair(s) of splits overlap in time: they interleave.", overlaps
        )
    train_end = values[codes == splits.index("train")].max()
    tested = (codes >= 0) & (codes != splits.index("train"))
    early = int((tested & (values <= train_end).to_numpy()).sum())
    if early == 0:
        return _Result("pass", f"Every val/test row comes after the end of train ({train_end}).", 0)
    return _Result(
        "warn",
        f"{early:,} of {int(tested.sum()):,} val/test rows ({_share(early, int(tested.sum()))}) are dated on or "
        f"before the end of train ({train_end}); to score forecasts of the future, split by time.",
        early,
    )


# --------------------------------------------------------------------------- sampled checks


def _sample(rows: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    return rows if rows.size <= size else np.sort(rng.choice(rows, size, replace=False))


def _near_duplicate_check(df, features, codes, splits, rng) -> _Result:
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(df[c]) and df[c].nunique() > 1]
    if not numeric:
        return _skipped("No numeric feature columns to compare.")
    if len(splits) < 2:
        return _skipped("Only one split: nothing to compare.")
    reference, tested, words = _reference(codes, splits)
    reference = _sample(reference, NEAR_DUPLICATE_SAMPLE, rng)
    queries = _sample(tested, NEAR_DUPLICATE_QUERIES, rng)
    if reference.size == 0 or queries.size == 0:
        return _skipped("A split is empty: nothing to compare.")
    values = df[numeric].to_numpy(dtype=np.float64, na_value=np.nan)
    imputer = SimpleImputer(strategy="median", keep_empty_features=True).fit(values[reference])
    scaler = StandardScaler().fit(imputer.transform(values[reference]))
    scaled = scaler.transform(imputer.transform(values[np.concatenate([reference, queries])]))
    # a radius query with a small radius prunes well even in 20 dimensions, unlike a 1-NN search;
    # identical rows are the duplicates check's business, so only neighbours at a distance count
    radius = NEAR_DUPLICATE_DISTANCE * np.sqrt(len(numeric))
    tree = KDTree(scaled[: reference.size])
    within = tree.query_radius(scaled[reference.size :], r=radius, count_only=True)
    identical = tree.query_radius(scaled[reference.size :], r=1e-9, count_only=True)
    near = int((within > identical).sum())
    share = near / queries.size
    status = (
        "fail"
        if share >= NEAR_DUPLICATE_FAIL_SHARE
        else "warn"
        if share >= NEAR_DUPLICATE_WARN_SHARE
        else "pass"
    )
    return _Result(
        status,
        f"{near:,} of {queries.size:,} sampled rows ({_share(near, queries.size)}) lie within "
        f"{NEAR_DUPLICATE_DISTANCE} standard deviations (RMS over {len(numeric)} numeric features) of a row they "
        f"learn from without being identical to it; sample: {queries.size:,} of {tested.size:,} {words}, {reference.size:,} searched.",
        near,
    )


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
    return np.where(codes < 0, codes.max() + 1, codes)


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


def _task_targets(sample: pd.DataFrame, task: Task) -> tuple[np.ndarray, np.ndarray, list[str], str] | None:
    """Labelled rows, target matrix, target names and metric of one task on the sample; None if unusable."""
    try:
        encoded = encode(sample, task)
    except DataError:
        return None  # e.g. a single class in the sample
    labelled = ~encoded.missing
    if task.kind == "regression":
        return labelled, encoded.values[labelled, None], [task.name], "R2"
    if task.kind == "multilabel":
        return labelled, (encoded.values[labelled] == 1).astype(np.float64), list(encoded.classes), "AUC"
    codes = encoded.codes[labelled]
    if task.kind == "binary":
        return labelled, (codes == 1).astype(np.float64)[:, None], [encoded.classes[1]], "AUC"
    return labelled, np.eye(len(encoded.classes))[codes], list(encoded.classes), "AUC"


def _predictor_scores(sample: pd.DataFrame, features: list[str], tasks: Sequence[Task], rng) -> pd.DataFrame:
    rows = []
    half = rng.random(len(sample)) < 0.5
    for task in tasks:
        target = _task_targets(sample, task)
        if target is None:
            continue
        labelled, truth, names, metric = target
        for feature in features:
            bins = _feature_bins(sample[feature])[labelled]
            encoded = _cross_fitted_means(bins, truth, half[labelled])
            if metric == "AUC":
                scores = _auc(truth, encoded)
            else:
                scores = np.array([_r2(truth[:, 0], encoded[:, 0])])
                raw = sample[feature].to_numpy()[labelled]
                if (
                    pd.api.types.is_numeric_dtype(raw)
                    and np.isfinite(raw.astype(float)).all()
                    and raw.std() > 0
                ):
                    # a continuous copy of the target loses detail in 64 bins; a linear fit keeps it
                    scores = np.maximum(scores, np.corrcoef(raw.astype(float), truth[:, 0])[0, 1] ** 2)
            for name, score in zip(names, scores, strict=True):
                if np.isfinite(score):
                    rows.append((feature, task.name, name, metric, float(score)))
    frame = pd.DataFrame(rows, columns=["feature", "task", "label", "metric", "score"])
    return frame.sort_values("score", ascending=False, ignore_index=True)


def _predictor_check(df, features, tasks, codes, splits, rng) -> tuple[_Result, pd.DataFrame]:
    empty = pd.DataFrame(columns=["feature", "task", "label", "metric", "score"])
    if not tasks:
        return _skipped("No task given."), empty
    if not features:
        return _skipped("No feature columns to test."), empty
    learn_rows = (
        np.flatnonzero(codes == splits.index("train")) if "train" in splits else np.flatnonzero(codes >= 0)
    )
    sample_rows = _sample(learn_rows, PREDICTOR_SAMPLE, rng)
    scores = _predictor_scores(df.iloc[sample_rows], features, tasks, rng)
    where = (
        f"on {sample_rows.size:,} of {learn_rows.size:,} {'train' if 'train' in splits else ''} rows".replace(
            "  ", " "
        )
    )
    if scores.empty:
        return _skipped("No task had two classes in the sample."), scores
    best = scores.iloc[0]
    top = f"'{best.feature}' → {best.task}" + (f"={best.label}" if best.label != best.task else "")
    flagged = scores[scores["score"] >= PREDICTOR_WARN]
    if flagged.empty:
        return _Result(
            "pass",
            f"No single feature predicts a task; the best is {top}, {best.metric} {best.score:.3f}, {where}.",
            0,
        ), scores
    status = "fail" if best.score >= PREDICTOR_FAIL else "warn"
    return _Result(
        status,
        f"{flagged['feature'].nunique()} feature(s) alone predict a task; the best is {top}, {best.metric} "
        f"{best.score:.3f}, {where}. Is a label copied into the features?",
        flagged["feature"].nunique(),
    ), scores


# --------------------------------------------------------------------------- entry point


def _default_features(df, tasks, group_column, time_column) -> list[str]:
    skip = task_source_columns(tasks) | {group_column, time_column}
    return [c for c in df.columns if c not in skip]


def leakage(
    df: pd.DataFrame,
    assignment,
    *,
    tasks: Sequence[Task] = (),
    group_column: str | None = None,
    time_column: str | None = None,
    feature_columns: Sequence[str] | None = None,
    checks: Sequence[str] = tuple(CHECKS),
    seed: int = 0,
) -> LeakageReport:
    """Check a split for leakage: shared groups, duplicate rows, near-duplicates, time overlap, copied labels.

    Parameters
    ----------
    df : pandas.DataFrame
    assignment : array-like or pandas.Series
        Split name per row; ``excluded`` rows are left out.
    tasks : sequence of Task
        Targets for the single-feature predictor check (an ``EncodedTasks`` works too).
    group_column, time_column : str, optional
        Checks that need them are ``skipped`` without them.
    feature_columns : sequence of str, optional
        Default: every column but the tasks', the group and the time column.
    checks : sequence of str
        Which of ``group``, ``duplicates``, ``near_duplicates``, ``time``,
        ``predictor`` to run; the others are reported as ``skipped``.
    seed : int
        Seed of the samples drawn by the sampled checks.

    Examples
    --------
    >>> frame = pd.DataFrame({"person": [1, 1, 2, 2], "x": [0.1, 0.2, 0.3, 0.4]})
    >>> report = leakage(frame, ["train", "test", "train", "train"], group_column="person")
    >>> report.to_frame().set_index("check").loc["group", "status"]
    'fail'
    """
    tasks = tuple(getattr(tasks, "tasks", tasks))
    tasks = tuple(getattr(t, "task", t) for t in tasks)
    unknown = sorted(set(checks) - set(CHECKS))
    if unknown:
        raise DataError(f"Unknown leakage check '{unknown[0]}'; choose from {', '.join(CHECKS)}.")
    for column in (group_column, time_column, *(feature_columns or ())):
        if column is not None and column not in df.columns:
            raise DataError(f"Unknown column '{column}' given to the leakage checks; check the spelling.")
    if isinstance(assignment, pd.Series) and not assignment.index.equals(df.index):
        assignment = assignment.reindex(df.index)
    codes, splits = split_codes(assignment, len(df))
    features = (
        list(feature_columns)
        if feature_columns is not None
        else _default_features(df, tasks, group_column, time_column)
    )
    rng = np.random.default_rng(seed)
    runners = {
        "group": lambda: _group_check(df, group_column, codes, splits),
        "duplicates": lambda: _duplicate_check(
            df, features, sorted(task_source_columns(tasks)), codes, splits
        ),
        "near_duplicates": lambda: _near_duplicate_check(df, features, codes, splits, rng),
        "time": lambda: _time_check(df, time_column, codes, splits),
        "predictor": lambda: _predictor_check(df, features, tasks, codes, splits, rng),
    }
    rows, predictors = [], pd.DataFrame(columns=["feature", "task", "label", "metric", "score"])
    for check, title in CHECKS.items():
        start = time.perf_counter()
        if check not in checks:
            result = _skipped("Not run.")
        else:
            result = runners[check]()
            if check == "predictor":
                result, predictors = result
        rows.append((check, title, result.status, result.detail, result.count, time.perf_counter() - start))
    frame = pd.DataFrame(rows, columns=["check", "title", "status", "detail", "count", "seconds"])
    return LeakageReport(frame, predictors)
