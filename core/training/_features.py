"""Model inputs: which rows train, validate and test, which columns are features, and their tensors.

:func:`prepare_split` turns a DataFrame, its tasks and a split assignment into
in-memory tensors. Preprocessing is an sklearn pipeline fitted on the train
rows only: numbers (inf read as missing) are clipped to the train rows' 0.5% and 99.5%
quantiles (:class:`QuantileClip`: one 999,999 "missing" code or a 1,000,000 outlier
outside train no longer becomes a feature value of 100,000 standard deviations that
blows up val and test predictions), then median-imputed and standardised,
text is imputed and one-hot encoded with at most ``max_categories`` columns per
feature. Date and time columns become numbers (days since 1970-01-01;
durations in days) and are then treated like any number. Which columns are
features by default is :func:`feature_columns` (from :mod:`core.data._feature_columns`). Targets come from
:func:`core.tasks.encode`; a regression target is standardised with its train
mean and standard deviation.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from ..data import feature_columns
from ..errors import ConfigError, DataError
from ..splits import EXCLUDED, NAMED_SPLITS, fold_index, fold_name, is_fold
from ..tasks import Task, encode, task_source_columns

__all__ = ["FeatureConfig", "TargetSpec", "Part", "PreparedSplit", "default_feature_columns", "make_preprocessor", "QuantileClip", "resolve_parts", "prepare_split"]

PARTS = NAMED_SPLITS  # train, val, test: the model reads the named splits as its parts
MISSING_CATEGORY = "(missing)"


@dataclass(frozen=True)
class FeatureConfig:
    """How features are preprocessed and how val rows are held out when the split has none.

    Parameters
    ----------
    max_categories : int
        At most this many one-hot columns per text feature; rarer values share
        one "infrequent" column (10,000 distinct ids do not make 10,000 columns).
    missing_indicators : bool
        Add a 0/1 column per numeric feature that had missing values in train.
    val_fraction : float
        Share of train rows (or groups) held out as val when the split has no val part.
    """

    max_categories: int = 50
    missing_indicators: bool = True
    val_fraction: float = 0.1

    def __post_init__(self) -> None:
        if self.max_categories < 2:
            raise ConfigError(f"max_categories={self.max_categories} must be at least 2; use 50.")
        if not 0.0 < self.val_fraction < 1.0:
            raise ConfigError(f"val_fraction={self.val_fraction} must lie strictly between 0 and 1; use 0.1.")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, kw_only=True)
class TargetSpec:
    """What the model predicts for one task: kind, class names, and the regression scale."""

    name: str
    kind: str
    classes: tuple[str, ...]
    mean: float = 0.0
    std: float = 1.0

    @property
    def output_size(self) -> int:
        """Head width: 1 logit (binary), C logits (multiclass), L logits (multilabel), 1 value."""
        return len(self.classes) if self.kind in ("multiclass", "multilabel") else 1


@dataclass(frozen=True, eq=False)
class Part:
    """One part of the split as tensors: ``x`` is ``(n, F)`` float32, ``y`` one tensor per task."""

    rows: np.ndarray
    x: torch.Tensor
    y: Mapping[str, torch.Tensor]

    def __len__(self) -> int:
        return int(self.rows.shape[0])


@dataclass(frozen=True, kw_only=True, eq=False)
class PreparedSplit:
    """Everything :func:`core.training.train` needs, fitted on the train rows only."""

    train: Part
    val: Part
    test: Part
    targets: tuple[TargetSpec, ...]
    feature_columns: tuple[str, ...]
    feature_names: tuple[str, ...]
    preprocessor: Pipeline
    config: FeatureConfig
    test_fold: int | None = None
    val_held_out: bool = False

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def target(self, name: str) -> TargetSpec:
        return next(spec for spec in self.targets if spec.name == name)


# --------------------------------------------------------------------------- feature columns


def default_feature_columns(
    df: pd.DataFrame,
    tasks: Sequence[Task],
    *,
    id_column: str | None = None,
    group_column: str | None = None,
    time_column: str | None = None,
) -> list[str]:
    """:func:`feature_columns` of a bare table: no task, task source, id, group, time or id-like column.

    Examples
    --------
    >>> frame = pd.DataFrame({"id": [1, 2], "x": [0.5, 0.1], "g": [1, 1], "y": [0, 1]})
    >>> default_feature_columns(frame, [Task("y", ("y",), "binary")], id_column="id", group_column="g")
    ['x']
    """
    return feature_columns(df, tasks, id_column=id_column, group_column=group_column, time_column=time_column)


def _as_numbers(series: pd.Series) -> pd.Series:
    """Datetimes as days since 1970-01-01, durations as days, bools as 0/1; inf as missing."""
    if pd.api.types.is_datetime64_any_dtype(series):
        epoch = pd.Timestamp("1970-01-01", tz=series.dt.tz)
        series = (series - epoch) / pd.Timedelta(days=1)
    elif pd.api.types.is_timedelta64_dtype(series):
        series = series / pd.Timedelta(days=1)
    numbers = pd.to_numeric(series, errors="coerce").astype("float64")
    return numbers.where(np.isfinite(numbers))


def _is_number_like(series: pd.Series) -> bool:
    return (
        pd.api.types.is_numeric_dtype(series)
        or pd.api.types.is_bool_dtype(series)
        or pd.api.types.is_datetime64_any_dtype(series)
        or pd.api.types.is_timedelta64_dtype(series)
    )


def clean_features(frame: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str]) -> pd.DataFrame:
    """Numbers as float64 with NaN for missing or inf; categories as strings with NaN for missing."""
    out = {c: _as_numbers(frame[c]) for c in numeric}
    for c in categorical:
        text = frame[c].astype(object)
        out[c] = text.where(text.notna(), np.nan).map(str, na_action="ignore").astype(object)
    return pd.DataFrame(out, index=frame.index, columns=list(frame.columns))


class QuantileClip(TransformerMixin, BaseEstimator):
    """Clip each numeric column to its train ``[quantile, 1 - quantile]`` range; NaN stays NaN.

    When the two quantiles coincide (a rare 0/1 flag: 0.3% ones) the column is
    clipped to its train minimum and maximum instead, so the flag keeps its ones.
    A value outside the train range (a "999999" code, an extreme amount) then
    becomes the train's extreme, not a value far from anything the model saw.

    Examples
    --------
    >>> clip = QuantileClip(0.1).fit(np.array([[0.0], [1.0], [2.0], [3.0], [1000.0]]))
    >>> clip.transform(np.array([[1e6], [-5.0], [np.nan]])).ravel().tolist()
    [601.2, 0.4, nan]
    """

    def __init__(self, quantile: float = 0.005) -> None:
        self.quantile = quantile

    def fit(self, x, y=None):
        values = np.asarray(x, dtype="float64")
        self.n_features_in_ = values.shape[1]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column has no quantile
            low, high = np.nanquantile(values, [self.quantile, 1.0 - self.quantile], axis=0)
            flat = ~(low < high)
            low = np.where(flat, np.nanmin(values, axis=0, initial=np.inf, where=~np.isnan(values)), low)
            high = np.where(flat, np.nanmax(values, axis=0, initial=-np.inf, where=~np.isnan(values)), high)
        self.low_ = np.where(np.isfinite(low), low, -np.inf)
        self.high_ = np.where(np.isfinite(high), high, np.inf)
        return self

    def transform(self, x):
        return np.clip(np.asarray(x, dtype="float64"), self.low_, self.high_)

    def get_feature_names_out(self, input_features=None):
        if input_features is None:
            return np.asarray([f"x{i}" for i in range(self.n_features_in_)], dtype=object)
        return np.asarray(input_features, dtype=object)


def make_preprocessor(frame: pd.DataFrame, config: FeatureConfig = FeatureConfig()) -> Pipeline:
    """An unfitted pipeline for the columns of ``frame``: numbers and dates scaled, text one-hot.

    Examples
    --------
    >>> frame = pd.DataFrame({"x": [1.0, np.inf, 3.0], "c": ["a", "b", None]})
    >>> make_preprocessor(frame).fit_transform(frame).shape
    (3, 5)
    """
    numeric = [str(c) for c in frame.columns if _is_number_like(frame[c])]
    categorical = [str(c) for c in frame.columns if str(c) not in numeric]
    numbers = make_pipeline(
        QuantileClip(),
        SimpleImputer(strategy="median", add_indicator=config.missing_indicators, keep_empty_features=True),
        StandardScaler(),
    )
    categories = make_pipeline(
        SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY, keep_empty_features=True),
        # An unseen value counts as infrequent when there is an infrequent column, else all zeros.
        OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            max_categories=config.max_categories,
            sparse_output=False,
            dtype=np.float32,
        ),
    )
    columns = ColumnTransformer(
        [("numeric", numbers, numeric), ("categorical", categories, categorical)],
        sparse_threshold=0.0,
        verbose_feature_names_out=False,
    )
    clean = FunctionTransformer(
        clean_features,
        kw_args={"numeric": numeric, "categorical": categorical},
        feature_names_out="one-to-one",
    )
    return Pipeline([("clean", clean), ("columns", columns)])


# --------------------------------------------------------------------------- split parts


def _split_names(assignment: pd.Series | Sequence[str], df: pd.DataFrame) -> np.ndarray:
    if isinstance(assignment, pd.Series):
        if len(assignment) != len(df) or not assignment.index.equals(df.index):
            raise DataError(
                f"The split assignment has {len(assignment):,} rows that do not line up with the "
                f"{len(df):,} rows of the data; use the split made for this data."
            )
        values = assignment.to_numpy()
    else:
        values = np.asarray(assignment)
        if values.shape != (len(df),):
            raise DataError(
                f"The split assignment has {values.shape[0]:,} values for {len(df):,} rows; "
                "give one split name per row."
            )
    return np.asarray(pd.Series(values).astype(str).str.strip(), dtype=object)


def resolve_parts(
    assignment: pd.Series | Sequence[str],
    df: pd.DataFrame,
    *,
    test_fold: int = 0,
    group_column: str | None = None,
    seed: int = 0,
    val_fraction: float = 0.1,
) -> tuple[dict[str, np.ndarray], bool]:
    """Row positions of train, val and test, and whether val was held out of train.

    ``train``/``val``/``test`` are used as given. With ``fold-0``..``fold-{k-1}``,
    fold ``test_fold`` is test and the others train. When there is no val part,
    ``val_fraction`` of train (whole groups when ``group_column`` is set) is held
    out with ``seed``. ``excluded`` rows are not used.

    Examples
    --------
    >>> frame = pd.DataFrame({"x": range(6)})
    >>> parts, held_out = resolve_parts(["fold-0", "fold-1"] * 3, frame, test_fold=1, val_fraction=0.34)
    >>> parts["test"].tolist(), len(parts["train"]), len(parts["val"]), held_out
    ([1, 3, 5], 2, 1, True)
    """
    names = _split_names(assignment, df)
    folds = sorted({n for n in names if is_fold(n)}, key=fold_index)
    unknown = sorted(set(names) - set(PARTS) - set(folds) - {EXCLUDED})
    if unknown:
        bad = unknown[0]
        raise DataError(
            f"The split assignment holds '{bad}'; use train/val/test, fold-0..fold-k-1 or excluded."
        )
    if folds:
        k = max(fold_index(f) for f in folds) + 1
        if not 0 <= test_fold < k:
            raise ConfigError(f"test_fold={test_fold} is not one of the {k} folds; pick 0..{k - 1}.")
        is_test = names == fold_name(test_fold)
        parts = {
            "train": np.flatnonzero(np.isin(names, folds) & ~is_test),
            "val": np.flatnonzero(names == "val"),
            "test": np.flatnonzero(is_test | (names == "test")),
        }
    else:
        parts = {part: np.flatnonzero(names == part) for part in PARTS}
    if parts["train"].size == 0:
        raise DataError("The split has no train rows; make a split with a train part or with folds.")
    held_out = parts["val"].size == 0
    if held_out:
        parts["train"], parts["val"] = _hold_out(parts["train"], df, group_column, seed, val_fraction)
    return parts, held_out


def _hold_out(
    train: np.ndarray, df: pd.DataFrame, group_column: str | None, seed: int, fraction: float
) -> tuple[np.ndarray, np.ndarray]:
    """Hold out ``fraction`` of the train rows (as whole groups when grouped) as val."""
    if group_column is not None:
        if group_column not in df.columns:
            raise DataError(f"Unknown group column '{group_column}'; pick one of the data's columns.")
        groups = df[group_column].iloc[train].astype(str).to_numpy()
        if np.unique(groups).size < 2:
            return train, train[:0]
        splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
        keep, held = next(splitter.split(train, groups=groups))
    else:
        if train.size < 2:
            return train, train[:0]
        n_val = max(1, round(fraction * train.size))
        splitter = ShuffleSplit(n_splits=1, test_size=n_val, random_state=seed)
        keep, held = next(splitter.split(train))
    return np.sort(train[keep]), np.sort(train[held])


# --------------------------------------------------------------------------- targets


def _target_tensors(df: pd.DataFrame, task: Task, parts: Mapping[str, np.ndarray]):
    encoded = encode(df, task)
    values = encoded.values
    train_values = values[parts["train"]]
    labelled = ~np.isnan(train_values) if task.kind == "regression" else train_values >= 0
    if not labelled.any():
        raise DataError(
            f"Task '{task.name}' has no labelled rows in the train part; "
            "choose another split or drop the task."
        )
    mean, std = 0.0, 1.0
    if task.kind == "regression":
        mean = float(np.nanmean(train_values))
        std = float(np.nanstd(train_values)) or 1.0
        values = (values - mean) / std
    spec = TargetSpec(name=task.name, kind=task.kind,
                      classes=tuple(encoded.classes) if task.kind != "regression" else (), mean=mean, std=std)
    dtype = torch.int64 if task.kind == "multiclass" else torch.float32
    tensors = {part: torch.as_tensor(np.ascontiguousarray(values[rows]), dtype=dtype) for part, rows in parts.items()}
    return spec, tensors


def prepare_split(
    df: pd.DataFrame,
    tasks: Sequence[Task],
    assignment: pd.Series | Sequence[str],
    *,
    feature_columns: Sequence[str] | None = None,
    test_fold: int = 0,
    group_column: str | None = None,
    id_column: str | None = None,
    time_column: str | None = None,
    seed: int = 0,
    config: FeatureConfig = FeatureConfig(),
) -> PreparedSplit:
    """Tensors for train, val and test, with preprocessing fitted on the train rows only.

    ``feature_columns=None`` means :func:`default_feature_columns` with the given
    id, group and time columns (pass :func:`feature_columns` of a dataset for a
    built-in dataset's curated list). A task's own columns are never
    features, even when listed.

    Examples
    --------
    >>> frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "y": [0, 1, 0, 1, 0, 1]})
    >>> prepared = prepare_split(frame, [Task("y", ("y",), "binary")], ["train"] * 4 + ["val", "test"])
    >>> len(prepared.train), prepared.n_features, prepared.targets[0].output_size
    (4, 1, 1)
    """
    if not tasks:
        raise DataError("No task chosen; pick at least one target column.")
    if len({task.name for task in tasks}) != len(tasks):
        raise DataError("Two tasks share a name; give every task its own name.")
    parts, held_out = resolve_parts(
        assignment, df, test_fold=test_fold, group_column=group_column, seed=seed,
        val_fraction=config.val_fraction,
    )
    if feature_columns is None:
        feature_columns = default_feature_columns(
            df, tasks, id_column=id_column, group_column=group_column, time_column=time_column
        )
        if not feature_columns:
            raise DataError(
                "No column is left to learn from: each is a task, a group, time or id column, or id-like "
                "(a different value in every row, or free text); pass feature_columns to use some of them."
            )
    columns = _check_feature_columns(df, tasks, feature_columns)
    preprocessor = make_preprocessor(df[columns], config)
    preprocessor.fit(df[columns].iloc[parts["train"]])
    names = tuple(str(n) for n in preprocessor.get_feature_names_out())
    x = {part: _transform(preprocessor, df[columns].iloc[rows], len(names)) for part, rows in parts.items()}
    targets, y = [], {part: {} for part in PARTS}
    for task in tasks:
        spec, tensors = _target_tensors(df, task, parts)
        targets.append(spec)
        for part in PARTS:
            y[part][task.name] = tensors[part]
    made = {part: Part(parts[part], x[part], y[part]) for part in PARTS}
    fold = test_fold if any(is_fold(v) for v in _split_names(assignment, df)) else None
    return PreparedSplit(
        train=made["train"], val=made["val"], test=made["test"], targets=tuple(targets),
        feature_columns=tuple(columns), feature_names=names, preprocessor=preprocessor,
        config=config, test_fold=fold, val_held_out=held_out,
    )


def _transform(preprocessor: Pipeline, frame: pd.DataFrame, width: int) -> torch.Tensor:
    """``(n, width)`` float32 features; an empty part (no test rows, say) is an empty tensor."""
    if len(frame) == 0:
        return torch.zeros((0, width))
    return torch.from_numpy(np.ascontiguousarray(preprocessor.transform(frame), dtype=np.float32))


def _check_feature_columns(df: pd.DataFrame, tasks: Sequence[Task], feature_columns: Sequence[str]) -> list[str]:
    unknown = [c for c in feature_columns if c not in df.columns]
    if unknown:
        raise DataError(f"Unknown feature column '{unknown[0]}'; pick columns the data has.")
    sources = task_source_columns(tasks)
    columns = [str(c) for c in dict.fromkeys(feature_columns) if c not in sources]
    if not columns:
        raise DataError("No feature columns left once the task columns are removed; choose some features.")
    return columns
