"""Tasks: which columns are prediction targets, of which kind, and how they are encoded.

A :class:`Task` names one target. :func:`encode` turns it into arrays with
missing labels kept as missing, and :func:`indicator_matrix` turns a list of
tasks into the one 0/1 matrix that the stratifier and the diagnostics share.

| kind         | columns                                | encoded values                    |
|--------------|----------------------------------------|-----------------------------------|
| binary       | one column with two values             | int 0/1, -1 = missing             |
| multiclass   | one column with 3+ values, or one-hot  | int code, -1 = missing            |
| multilabel   | several 0/1 columns, or ``a|b`` text   | n x L of 0/1, -1 = missing        |
| regression   | one numeric column                     | float, NaN = missing              |
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.errors import ConfigError, DataError, shown

__all__ = [
    "KINDS",
    "MAX_CLASSES",
    "Task",
    "EncodedTask",
    "infer_kind",
    "make_task",
    "parse_task_spec",
    "encode",
    "indicator_matrix",
    "task_source_columns",
    "label_notes",
]

KINDS = ("binary", "multiclass", "multilabel", "regression")
MAX_CLASSES = 1000
LABEL_DELIMITER = "|"
# A numeric column with at most this many distinct whole-number values reads as classes.
MAX_INTEGER_CLASSES = 10


@dataclass(frozen=True)
class Task:
    """One prediction target.

    Parameters
    ----------
    name : str
        What the task is called in charts and tables.
    columns : tuple of str
        The column(s) the target is derived from. Several columns make a
        multilabel task (0/1 columns) or a multiclass task (one-hot columns).
    kind : {"binary", "multiclass", "multilabel", "regression"}

    Examples
    --------
    >>> Task("union", ("union",), "binary")
    Task(name='union', columns=('union',), kind='binary')
    """

    name: str
    columns: tuple[str, ...]
    kind: str

    def __post_init__(self) -> None:
        if isinstance(self.columns, str):
            object.__setattr__(self, "columns", (self.columns,))
        object.__setattr__(self, "columns", tuple(str(c) for c in self.columns))
        if not str(self.name).strip():
            raise DataError("A task needs a name; give it one, e.g. --task name=a+b+c.")
        if not self.columns:
            raise DataError(f"Task '{self.name}' has no columns; name at least one column.")
        if self.kind not in KINDS:
            raise DataError(
                f"Task '{self.name}' has unknown kind '{self.kind}'; use one of {', '.join(KINDS)}."
            )
        if self.kind in ("binary", "regression") and len(self.columns) != 1:
            raise DataError(
                f"Task '{self.name}' is {self.kind} but has {len(self.columns)} columns; "
                "a binary or regression task takes exactly one column."
            )


@dataclass(frozen=True, eq=False)
class EncodedTask:
    """A task's labels as arrays, with missing labels kept as missing.

    Attributes
    ----------
    task : Task
    classes : tuple of str
        Class names in code order (binary, multiclass), label names
        (multilabel) or bin names (regression).
    values : numpy.ndarray
        ``(n,)`` int64 codes with -1 for missing (binary, multiclass);
        ``(n, L)`` int8 0/1 with -1 for missing (multilabel);
        ``(n,)`` float64 with NaN for missing (regression).
    bins : numpy.ndarray or None
        Regression only: ``(n,)`` int64 quantile-bin code, -1 for missing.
    bin_edges : numpy.ndarray or None
        Regression only: the ``n_bins + 1`` (or fewer, when values tie) bin edges.
    """

    task: Task
    classes: tuple[str, ...]
    values: np.ndarray
    bins: np.ndarray | None = None
    bin_edges: np.ndarray | None = None

    @property
    def missing(self) -> np.ndarray:
        """Boolean ``(n,)`` mask of rows with no label at all for this task."""
        if self.task.kind == "regression":
            return np.isnan(self.values)
        if self.task.kind == "multilabel":
            return (self.values < 0).all(axis=1)
        return self.values < 0

    @property
    def codes(self) -> np.ndarray:
        """``(n,)`` class or bin code per row, -1 for missing (not for multilabel)."""
        if self.task.kind == "multilabel":
            raise DataError(f"Task '{self.task.name}' is multilabel; it has no single code per row.")
        return self.bins if self.task.kind == "regression" else self.values


# --------------------------------------------------------------------------- inference


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _is_datetime(series: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(series)


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
        return text.where(text.notna() & (text != ""), None).astype(object)
    return series.astype(object).map(_clean_label)


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
    return text or None


def _sort_classes(labels: pd.Series) -> tuple[str, ...]:
    """Distinct label strings in natural order: numbers by value, text alphabetically."""
    distinct = pd.unique(labels.dropna())
    try:
        return tuple(sorted(distinct, key=float))
    except (TypeError, ValueError):
        return tuple(sorted(distinct, key=str))


def _integer_01_block(block: pd.DataFrame) -> np.ndarray | None:
    """Integer or bool 0/1 columns as an (n, L) int8 array in column order; None for anything else.

    The common case (label columns of a multi-label set) without the float copy
    of :func:`_binary_block`: about ten times faster on 1,000,000 x 100.
    """
    columns = []
    for _, series in block.items():
        values = series.to_numpy()
        if values.dtype != bool and not np.issubdtype(values.dtype, np.integer):
            return None
        if values.size and (values.min() < 0 or values.max() > 1):
            return None
        columns.append(values.astype(np.int8, copy=False))
    out = np.empty((len(block), len(columns)), dtype=np.int8, order="F")
    for j, values in enumerate(columns):
        out[:, j] = values
    return out


def _binary_block(block: pd.DataFrame) -> np.ndarray | None:
    """The block as a float array of 0/1/NaN, or None when some value is not 0/1."""
    fast = _integer_01_block(block)
    if fast is not None:
        return fast.astype("float64")
    try:
        values = block.apply(pd.to_numeric, errors="raise").to_numpy(dtype="float64")
    except (TypeError, ValueError):
        return None
    observed = values[~np.isnan(values)]
    if observed.size and not np.isin(observed, (0.0, 1.0)).all():
        return None
    return values


def infer_kind(df: pd.DataFrame, columns: tuple[str, ...] | list[str] | str) -> str:
    """Guess the kind of a task made of ``columns``; raise :class:`DataError` when none fits.

    Examples
    --------
    >>> infer_kind(pd.DataFrame({"y": [0, 1, 1, None]}), "y")
    'binary'
    >>> infer_kind(pd.DataFrame({"y": [0.5, 1.25, 3.0, 7.5]}), "y")
    'regression'
    """
    columns = (columns,) if isinstance(columns, str) else tuple(columns)
    _check_columns(df, columns)
    if len(columns) > 1:
        values = _binary_block(df[list(columns)])
        if values is None:
            raise DataError(
                f"Columns {', '.join(columns)} must all hold 0/1 to form one task; "
                "pick 0/1 columns or make one task per column."
            )
        labelled = ~np.isnan(values).any(axis=1)
        one_hot = labelled.any() and (np.nansum(values[labelled], axis=1) == 1).all()
        return "multiclass" if one_hot else "multilabel"
    series = df[columns[0]]
    name = columns[0]
    observed = series.dropna()
    if observed.empty:
        raise DataError(f"Column '{name}' has no values at all; pick a column with labels.")
    if _is_datetime(series):
        raise DataError(f"Column '{name}' holds dates; use it as the time column, not as a task.")
    if not _is_numeric(series) and not pd.api.types.is_bool_dtype(series):
        text = observed.astype(str)
        if text.str.contains(LABEL_DELIMITER, regex=False).any():
            return "multilabel"
    distinct = observed.nunique()
    if distinct < 2:
        raise DataError(
            f"Column '{name}' has a single value ({shown(observed.iloc[0])}); "
            "a task needs at least two, so pick another column."
        )
    if distinct == 2:
        return "binary"
    if _is_numeric(series):
        numbers = observed.astype("float64")
        finite = numbers[np.isfinite(numbers)]
        whole = bool((finite == np.round(finite)).all())
        return "multiclass" if whole and distinct <= MAX_INTEGER_CLASSES else "regression"
    if distinct > MAX_CLASSES:
        raise DataError(
            f"Column '{name}' has {distinct:,} distinct values, more than {MAX_CLASSES:,} classes; "
            "it looks like an id or free text, so pick another column or force kind regression."
        )
    return "multiclass"


def _check_columns(df: pd.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        shown = ", ".join(map(str, list(df.columns)[:8]))
        more = " ..." if len(df.columns) > 8 else ""
        raise DataError(
            f"Unknown column '{missing[0]}'; the data has columns {shown}{more}. "
            "Check the spelling."
        )


def make_task(
    df: pd.DataFrame, name: str, columns: tuple[str, ...] | list[str] | str, kind: str | None = None
) -> Task:
    """A :class:`Task` over ``columns`` of ``df``, its kind inferred unless given, checked by encoding.

    Examples
    --------
    >>> make_task(pd.DataFrame({"y": ["a", "b", "c", "a"]}), "y", "y")
    Task(name='y', columns=('y',), kind='multiclass')
    """
    columns = (columns,) if isinstance(columns, str) else tuple(columns)
    _check_columns(df, columns)
    task = Task(name, columns, kind or infer_kind(df, columns))
    encode(df, task)
    return task


def parse_task_spec(spec: str, df: pd.DataFrame, known: Sequence[Task] = ()) -> Task:
    """A task from its command-line form: ``col``, ``col:kind`` or ``name=a+b+c[:kind]``.

    ``known`` are tasks the dataset defines itself (a built-in's suggested tasks): a spec naming
    one of them that is not a column, such as wagepan's ``occupation`` (from occ1..occ9), is that task.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": [0, 1, 1], "b": [1, 0, 1], "y": [0.1, 0.2, 0.7]})
    >>> parse_task_spec("y:regression", frame).kind
    'regression'
    >>> parse_task_spec("tags=a+b", frame)
    Task(name='tags', columns=('a', 'b'), kind='multilabel')
    >>> parse_task_spec("both", frame, known=[Task("both", ("a", "b"), "multilabel")]).columns
    ('a', 'b')
    """
    text = spec.strip()
    kind = None
    named = {task.name: task for task in known}
    head, sep, tail = text.rpartition(":")
    if sep and tail in KINDS:
        text, kind = head, tail
    elif sep and text not in df.columns and (head in df.columns or head in named or "=" in head):
        raise DataError(f"Unknown task kind '{tail}' in --task {spec}; use one of {', '.join(KINDS)}.")
    if text in named and text not in df.columns:
        task = named[text]
        return task if kind in (None, task.kind) else make_task(df, task.name, task.columns, kind)
    if "=" in text and text not in df.columns:
        name, _, joined = text.partition("=")
        columns = tuple(c.strip() for c in joined.split("+") if c.strip())
        if not name.strip() or not columns:
            raise DataError(f"--task {spec} is not of the form name=a+b+c; name the task and its columns.")
        if kind is None and len(columns) > 1:
            kind = infer_kind(df, columns)
        task = make_task(df, name.strip(), columns, kind)
    else:
        task = make_task(df, text, (text,), kind)
    for note in label_notes(df, task):
        warnings.warn(note, UserWarning, stacklevel=2)
    return task


def label_notes(df: pd.DataFrame, task: Task) -> tuple[str, ...]:
    """What the user should know about a task's labels (a column mixing numbers and text), one line each.

    Examples
    --------
    >>> label_notes(pd.DataFrame({"y": [1, "a", 1.0, "1"]}), Task("y", ("y",), "binary"))[0][:42]
    "Column 'y' mixes numbers and text (e.g. 1 "
    """
    notes = []
    for column in task.columns:
        series = df[column]
        if not pd.api.types.is_object_dtype(series):
            continue
        observed = series.dropna()
        is_text = observed.map(lambda value: isinstance(value, str)).to_numpy(dtype=bool)
        if is_text.all() or not is_text.any():
            continue
        number, text = observed[~is_text].iloc[0], observed[is_text].iloc[0]
        notes.append(
            f"Column '{column}' mixes numbers and text (e.g. {shown(number)} and {shown(text)}); every value is "
            "read as text, so 1, 1.0 and '1' are one class: clean the column if they should differ."
        )
    return tuple(notes)


def task_source_columns(tasks: list[Task] | tuple[Task, ...]) -> set[str]:
    """Every column some task is derived from (never a feature)."""
    return {column for task in tasks for column in task.columns}


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
