"""Model inputs: which rows train, validate and test, which columns are features, and their tensors.

:func:`prepare_split` turns a DataFrame, its tasks and a split assignment into
in-memory tensors. Preprocessing is an sklearn pipeline fitted on the train
rows only (:func:`make_preprocessor` and :class:`FeatureConfig`, in ``_preprocess.py``: numbers clipped to
the train quantiles, imputed and standardised, text one-hot, dates as numbers). Which columns are
features by default is :func:`feature_columns` (from :mod:`core.data._feature_columns`). Targets come from
:func:`core.tasks.encode`; a regression target is standardised with its train
mean and standard deviation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit
from sklearn.pipeline import Pipeline

from ..data import feature_columns
from ..errors import ConfigError, DataError
from ..splits import EXCLUDED, NAMED_SPLITS, fold_index, fold_name, is_fold
from ..tasks import Task, encode, task_source_columns
from ._preprocess import FeatureConfig, make_preprocessor

__all__ = ["TargetSpec", "Part", "PreparedSplit", "default_feature_columns", "resolve_parts", "prepare_split"]

PARTS = NAMED_SPLITS  # train, val, test: the model reads the named splits as its parts


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
    config: FeatureConfig = FeatureConfig(),  # noqa: B008 (a frozen dataclass, as before the move)
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
