"""Encoding a task's labels as arrays, and the one 0/1 indicator matrix of a list of tasks.

:func:`encode` turns a :class:`~core.tasks.Task` into an :class:`~core.tasks.EncodedTask`
with missing labels kept as missing (regression targets also get quantile bins from
:func:`quantile_bins`); :func:`indicator_block` turns one encoded task into 0/1 columns and
:func:`indicator_matrix` stacks them for all tasks: the matrix that the stratifier and the
diagnostics share. :mod:`core.tasks._task` re-exports every public name here.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.errors import ConfigError, DataError, shown

__all__ = ["encode", "quantile_bins", "indicator_block", "indicator_matrix"]

# --------------------------------------------------------------------------- labels


def _label_strings(series: pd.Series) -> pd.Series:
    """Label values as clean strings (``1.0`` and ``"1"`` both read ``"1"``); missing is None."""
    if _is_numeric(series):
        numbers = series.astype("float64").to_numpy(na_value=np.nan)
        out = np.full(numbers.shape, None, dtype=object)
        finite = np.isfinite(numbers)
        whole = finite & (numbers == np.round(numbers))
        out[whole] = numbers[whole].astype(np.int64).astype(str)
        fractional = finite & ~whole
        out[fractional] = [repr(float(v)) for v in numbers[fractional]]
        return pd.Series(out, index=series.index, dtype=object)
    if pd.api.types.is_string_dtype(series) and not pd.api.types.is_object_dtype(series):
        text = series.str.strip()
        decimal = text.str.fullmatch(DECIMAL_TEXT, na=False).to_numpy(dtype=bool)
        if decimal.any():  # "1.0" and "1" are one class, as the numbers 1.0 and 1 are
            text = text.astype(object)
            text[decimal] = [_number_text(float(value)) for value in text[decimal]]
        return text.where(text.notna() & (text != ""), None).astype(object)
    return series.astype(object).map(_clean_label)


# Text that is a number written with a decimal point ("1.0", "2.50", "-.5", "1e3" is left alone):
# read as that number, so a label spelt "1" in one row and "1.0" in another is one class. Whole
# numbers without a point keep their text: "007" stays a code, not 7.
DECIMAL_TEXT = r"[+-]?(?:\d+\.\d*|\.\d+)"


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _clean_label(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return None
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    text = str(value).strip()
    if re.fullmatch(DECIMAL_TEXT, text):
        return _number_text(float(text))
    return text or None


def _sort_classes(labels: pd.Series) -> tuple[str, ...]:
    """Distinct label strings in natural order: numbers by value, text alphabetically."""
    distinct = pd.unique(labels.dropna())
    try:
        return tuple(sorted(distinct, key=float))
    except (TypeError, ValueError):
        return tuple(sorted(distinct, key=str))


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
    return EncodedTask(task, classes, codes)


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
    return EncodedTask(task, tuple(task.columns), codes)


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
    return EncodedTask(task, tuple(task.columns), encoded)


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
    return EncodedTask(task, classes, encoded)


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
    names = tuple(_bin_name(i, edges) for i in range(len(edges) - 1))
    return EncodedTask(task, names, values, bins=bins, bin_edges=edges)


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


def _bin_name(i: int, edges: np.ndarray) -> str:
    low, high = edges[i], edges[i + 1]
    return f"Q{i + 1} ({low:.4g}–{high:.4g})"


# --------------------------------------------------------------------------- indicator matrix


def indicator_block(encoded: EncodedTask) -> sp.csr_matrix:
    """One task's 0/1 indicator columns: per class, per label, or per regression bin."""
    kind = encoded.task.kind
    if kind == "multilabel":
        values = np.asfortranarray(encoded.values)
        positives = [np.flatnonzero(values[:, j] == 1) for j in range(values.shape[1])]
        indptr = np.zeros(len(positives) + 1, dtype=np.int64)
        np.cumsum([p.size for p in positives], out=indptr[1:])
        indices = np.concatenate(positives) if positives else np.zeros(0, dtype=np.int64)
        data = np.ones(indices.size, dtype=np.uint8)
        return sp.csc_matrix((data, indices, indptr), shape=values.shape).tocsr()
    codes = encoded.codes
    n = codes.shape[0]
    rows = np.flatnonzero(codes >= 0)
    data = np.ones(rows.size, dtype=np.uint8)
    return sp.csr_matrix((data, (rows, codes[rows])), shape=(n, len(encoded.classes)))


def indicator_matrix(
    df: pd.DataFrame, tasks: list[Task] | tuple[Task, ...], n_bins: int = 5
) -> tuple[sp.csr_matrix, list[str]]:
    """The 0/1 indicator matrix of all ``tasks`` and its column names ``task=value``.

    One column per class (binary, multiclass), per label (multilabel) or per
    quantile bin (regression). A missing label gives no 1 in its task's columns.

    Examples
    --------
    >>> frame = pd.DataFrame({"y": ["a", "b", None], "z": [0, 1, 1]})
    >>> Y, labels = indicator_matrix(frame, [Task("y", ("y",), "binary"), Task("z", ("z",), "binary")])
    >>> labels
    ['y=a', 'y=b', 'z=0', 'z=1']
    >>> Y.toarray().tolist()
    [[1, 0, 1, 0], [0, 1, 0, 1], [0, 0, 0, 1]]
    """
    if not tasks:
        raise DataError("No task chosen; pick at least one target column.")
    blocks, labels = [], []
    for task in tasks:
        encoded = encode(df, task, n_bins=n_bins)
        blocks.append(indicator_block(encoded))
        labels.extend(f"{task.name}={value}" for value in encoded.classes)
    return sp.hstack(blocks, format="csr", dtype=np.uint8), labels


# At the end, not the top: core.tasks._task re-exports this module's names at its own end, so whichever of
# the two modules is imported first, each is fully defined before the other reads names from it.
from core.tasks._task import (  # noqa: E402
    LABEL_DELIMITER,
    MAX_CLASSES,
    EncodedTask,
    Task,
    _binary_block,
    _check_columns,
    _integer_01_block,
    _is_datetime,
    _is_numeric,
)
