"""Encoding a task's labels as arrays, and one task's 0/1 indicator columns.

:func:`encode` turns a :class:`~core.tasks.Task` into an :class:`~core.tasks.EncodedTask`
with missing labels kept as missing (regression targets also get quantile bins from
:func:`quantile_bins`); :func:`indicator_block` turns one encoded task into 0/1 columns
(:func:`_fast_multilabel` straight from integer 0/1 columns). :func:`core.tasks.encode_tasks` stacks
them for all tasks: the one indicator matrix that the stratifier and the diagnostics share.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import ConfigError, DataError, shown
from ._labels import (
    _binary_block,
    _check_columns,
    _integer_01_block,
    _is_datetime,
    _label_strings,
    _sort_classes,
)
from ._task import LABEL_DELIMITER, MAX_CLASSES, EncodedTask, Task

__all__ = ["encode", "quantile_bins", "indicator_block", "bin_name"]

# --------------------------------------------------------------------------- encoding


def encode(df: pd.DataFrame, task: Task, n_bins: int = 5) -> EncodedTask:
    """Encode ``task``'s labels from ``df``, keeping missing labels as missing.

    Raises :class:`DataError` for an unknown column, a task with one value or no
    values, text forced as regression, or more than ``MAX_CLASSES`` classes.

    Examples
    --------
    >>> frame = pd.DataFrame({"y": ["no", "yes", None, "yes"]})
    >>> encode(frame, Task("y", ("y",), "binary")).values.tolist()
    [0, 1, -1, 1]
    """
    _check_columns(df, task.columns)
    if task.kind == "regression":
        return _encode_regression(df, task, n_bins)
    if task.kind == "multilabel":
        return _encode_multilabel(df, task)
    if len(task.columns) > 1:
        return _encode_one_hot(df, task)
    labels = _label_strings(df[task.columns[0]])
    classes = _sort_classes(labels)
    _check_class_count(task, classes)
    codes = pd.Categorical(labels, categories=list(classes)).codes.astype(np.int64)
    return EncodedTask(task=task, classes=classes, values=codes)


def _check_class_count(task: Task, classes: tuple[str, ...]) -> None:
    name = task.name
    if not classes:
        raise DataError(f"Task '{name}' has no labelled rows; pick a column with labels.")
    if len(classes) < 2:
        raise DataError(
            f"Task '{name}' has a single value ({shown(classes[0])}); a task needs at least two, "
            "so pick another column."
        )
    if task.kind == "binary" and len(classes) > 2:
        raise DataError(
            f"Task '{name}' is binary but has {len(classes)} values ({', '.join(classes[:4])}...); "
            "choose kind multiclass."
        )
    if len(classes) > MAX_CLASSES:
        raise DataError(
            f"Task '{name}' has {len(classes):,} classes, more than {MAX_CLASSES:,}; "
            "it looks like an id or free text, so pick another column or choose kind regression."
        )


def _encode_one_hot(df: pd.DataFrame, task: Task) -> EncodedTask:
    values = _binary_block(df[list(task.columns)])
    if values is None:
        raise DataError(
            f"Task '{task.name}' is built from one-hot columns, but some hold values other than 0/1; "
            "pick 0/1 columns."
        )
    counts = np.nansum(values, axis=1)
    labelled = ~np.isnan(values).any(axis=1) & (counts == 1)
    if (counts > 1).any():
        raise DataError(
            f"Task '{task.name}' is multiclass, but {int((counts > 1).sum()):,} rows have more than one "
            "of its columns set; choose kind multilabel."
        )
    codes = np.where(labelled, np.nan_to_num(values).argmax(axis=1), -1).astype(np.int64)
    present = tuple(task.columns[i] for i in np.unique(codes[codes >= 0]))
    _check_class_count(task, present)
    return EncodedTask(task=task, classes=tuple(task.columns), values=codes)


def _encode_multilabel(df: pd.DataFrame, task: Task) -> EncodedTask:
    if len(task.columns) == 1:
        return _encode_delimited(df, task)
    block = df[list(task.columns)]
    encoded = _integer_01_block(block)
    if encoded is None:
        values = _binary_block(block)
        if values is None:
            raise DataError(
                f"Task '{task.name}' is multilabel, but some of {', '.join(task.columns)} hold values "
                "other than 0/1; pick 0/1 columns."
            )
        encoded = np.where(np.isnan(values), -1, values).astype(np.int8)
    _check_multilabel(task, encoded)
    return EncodedTask(task=task, classes=tuple(task.columns), values=encoded)


def _encode_delimited(df: pd.DataFrame, task: Task) -> EncodedTask:
    text = _label_strings(df[task.columns[0]])
    present = text.notna().to_numpy()
    tokens = text[present].str.split(LABEL_DELIMITER, regex=False)
    exploded = tokens.explode().str.strip()
    exploded = exploded[exploded.notna() & (exploded != "")]
    classes = _sort_classes(exploded)
    if len(classes) > MAX_CLASSES:
        raise DataError(
            f"Task '{task.name}' has {len(classes):,} distinct labels, more than {MAX_CLASSES:,}; "
            "pick another column."
        )
    encoded = np.full((len(df), len(classes)), -1, dtype=np.int8)
    encoded[present] = 0
    if classes:
        positions = np.flatnonzero(present)
        row_of = pd.Series(positions, index=text.index[present])
        rows = row_of.loc[exploded.index].to_numpy()
        cols = pd.Categorical(exploded, categories=list(classes)).codes
        encoded[rows, cols] = 1
    _check_multilabel(task, encoded)
    return EncodedTask(task=task, classes=classes, values=encoded)


def _check_multilabel(task: Task, encoded: np.ndarray) -> None:
    if encoded.shape[1] == 0 or (encoded < 0).all():
        raise DataError(f"Task '{task.name}' has no labelled rows; pick columns with labels.")
    if not (encoded == 1).any():
        raise DataError(f"Task '{task.name}' has no positive label in any row; pick other columns.")


def _encode_regression(df: pd.DataFrame, task: Task, n_bins: int) -> EncodedTask:
    column = task.columns[0]
    series = df[column]
    if _is_datetime(series):
        raise DataError(
            f"Task '{task.name}' is regression but column '{column}' holds dates; "
            "use it as the time column instead."
        )
    numbers = pd.to_numeric(series, errors="coerce")
    unparsed = numbers.isna() & series.notna()
    if unparsed.any():
        example = series[unparsed].iloc[0]
        raise DataError(
            f"Task '{task.name}' is regression but column '{column}' holds text (e.g. {shown(example)}); "
            "choose kind multiclass or pick a numeric column."
        )
    values = numbers.to_numpy(dtype="float64", na_value=np.nan)
    values = np.where(np.isfinite(values), values, np.nan)
    observed = values[~np.isnan(values)]
    if observed.size == 0:
        raise DataError(f"Task '{task.name}' has no labelled rows; pick a column with labels.")
    if np.unique(observed).size < 2:
        raise DataError(
            f"Task '{task.name}' has a single value ({observed[0]:g}); "
            "a task needs at least two, so pick another column."
        )
    bins, edges = quantile_bins(values, n_bins)
    names = tuple(bin_name(i, edges) for i in range(len(edges) - 1))
    return EncodedTask(task=task, classes=names, values=values, bins=bins, bin_edges=edges)


def quantile_bins(values: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Quantile-bin codes of ``values`` (-1 where NaN) and the bin edges (ties merge bins).

    Examples
    --------
    >>> codes, edges = quantile_bins(np.array([1.0, 2.0, 3.0, 4.0, np.nan]), 2)
    >>> codes.tolist()
    [0, 0, 1, 1, -1]
    """
    if n_bins < 1:
        raise ConfigError(f"n_bins={n_bins} must be at least 1; use 5 for quintiles.")
    observed = values[~np.isnan(values)]
    edges = np.unique(np.quantile(observed, np.linspace(0.0, 1.0, n_bins + 1)))
    if edges.size < 2:
        edges = np.array([observed.min(), observed.max()])
    codes = np.searchsorted(edges[1:-1], values, side="right").astype(np.int64)
    codes[np.isnan(values)] = -1
    return codes, edges


def bin_name(i: int, edges: np.ndarray) -> str:
    """The name of a regression task's bin ``i`` (of :func:`quantile_bins`' ``edges``): its quantile and range.

    Values from 10,000 on read with a thousands suffix (k, M, B, T) to 4 significant digits, so an axis tick
    reads ``Q1 (110k–1.317M)``, not ``Q1 (1.1e+05–1.317e+06)``.

    Examples
    --------
    >>> bin_name(0, np.array([110_000.0, 1_317_000.0, 5e6])), bin_name(1, np.array([0.0, 2.5, 9999.0]))
    ('Q1 (110k–1.317M)', 'Q2 (2.5–9999)')
    >>> bin_name(0, np.array([-2.5e7, 999_960.0]))
    'Q1 (-25M–1M)'
    """
    return f"Q{i + 1} ({_short_number(edges[i])}–{_short_number(edges[i + 1])})"


def _short_number(value: float) -> str:
    """``value`` to 4 significant digits, with a k/M/B/T suffix from 10,000 to below 10^15."""
    size = abs(value)
    if not 9999.5 <= size < 1e15:  # 9999.5 would print as 1e+04
        return f"{value:.4g}"
    for power, suffix in ((12, "T"), (9, "B"), (6, "M"), (3, "k")):
        if size >= 10.0 ** power * 0.99995:  # 999,960 rounds to 1M, never to 1000k
            return f"{value / 10.0 ** power:.4g}{suffix}"
    return f"{value:.4g}"


# --------------------------------------------------------------------------- indicator matrix


def indicator_block(encoded: EncodedTask) -> sp.csr_matrix:
    """One task's 0/1 indicator columns: per class, per label, or per regression bin."""
    kind = encoded.task.kind
    if kind == "multilabel":
        values = np.asfortranarray(encoded.values)
        positives = [np.flatnonzero(values[:, j] == 1) for j in range(values.shape[1])]
        return _positive_columns(positives, values.shape[0]).tocsr()
    codes = encoded.codes
    n = codes.shape[0]
    rows = np.flatnonzero(codes >= 0)
    data = np.ones(rows.size, dtype=np.uint8)
    return sp.csr_matrix((data, (rows, codes[rows])), shape=(n, len(encoded.classes)))


def _positive_columns(positives: list[np.ndarray], n_rows: int) -> sp.csc_matrix:
    """A 0/1 uint8 CSC matrix from the rows of the 1s of each column, in column order.

    Examples
    --------
    >>> _positive_columns([np.array([0, 2]), np.array([1])], 3).toarray().tolist()
    [[1, 0], [0, 1], [1, 0]]
    """
    indptr = np.zeros(len(positives) + 1, dtype=np.int64)
    np.cumsum([p.size for p in positives], out=indptr[1:])
    indices = np.concatenate(positives) if positives else np.zeros(0, dtype=np.int64)
    data = np.ones(indices.size, dtype=np.uint8)
    return sp.csc_matrix((data, indices, indptr), shape=(n_rows, len(positives)))


def _fast_multilabel(df: pd.DataFrame, task: Task) -> sp.csc_matrix | None:
    """A multilabel task of integer 0/1 columns straight to its indicator columns (CSC); None if not such.

    :func:`encode` goes through an (n, L) copy of the labels; on 1,000,000 x 100 int8 columns this
    path is about ten times faster. Anything unusual (floats, NaN, values outside 0/1, no positives)
    returns None and takes the general path, :func:`indicator_block` of :func:`encode`, which gives the
    same matrix or raises the proper error.
    """
    if task.kind != "multilabel" or len(task.columns) < 2:
        return None
    positives = []
    for column in task.columns:
        if column not in df.columns:
            return None
        values = df[column].to_numpy()
        if values.dtype != bool and not np.issubdtype(values.dtype, np.integer):
            return None
        if values.size and (values.min() < 0 or values.max() > 1):
            return None
        # 0/1 bytes read as bool take numpy's fast path (about twice as fast on int8)
        positives.append(np.flatnonzero(values.view(bool) if values.itemsize == 1 else values != 0))
    if not any(p.size for p in positives):
        return None
    return _positive_columns(positives, len(df))
