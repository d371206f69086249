"""Tasks: which columns are prediction targets, of which kind, and how a user names them.

A :class:`Task` names one target and :class:`EncodedTask` holds its labels as arrays;
:func:`infer_kind` guesses a task's kind from its columns, :func:`label_notes` says what the user should
know about its labels. Making a checked task (:func:`~core.tasks.make_task`,
:func:`~core.tasks.parse_task_spec`) lives in :mod:`core.tasks._spec`, and the encoding in
:mod:`core.tasks._encoding`, both above this module; the label helpers they share in :mod:`core.tasks._labels`.

| kind         | columns                                | encoded values                    |
|--------------|----------------------------------------|-----------------------------------|
| binary       | one column with two values             | int 0/1, -1 = missing             |
| multiclass   | one column with 3+ values, or one-hot  | int code, -1 = missing            |
| multilabel   | several 0/1 columns, or ``a|b`` text   | n x L of 0/1, -1 = missing        |
| regression   | one numeric column                     | float, NaN = missing              |
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, shown
from ._labels import _binary_block, _check_columns, _is_datetime, _is_numeric, _label_strings, answer_notes

__all__ = [
    "KINDS",
    "MAX_CLASSES",
    "MANY_CLASSES",
    "Task",
    "EncodedTask",
    "infer_kind",
    "task_source_columns",
    "label_notes",
    "same_information",
    "duplicate_task_notes",
]

KINDS = ("binary", "multiclass", "multilabel", "regression")
MAX_CLASSES = 1000
LABEL_DELIMITER = "|"
# A numeric column with at most this many distinct whole-number values reads as classes.
MAX_INTEGER_CLASSES = 10
# ...unless there are under ROWS_PER_CLASS rows a value (a measurement in whole units on a small table, as
# linnerud's waists: 8 values on 20 rows), checked from FEW_ROWS_CHECKED rows (a toy frame keeps its classes).
ROWS_PER_CLASS = 3
FEW_ROWS_CHECKED = 12
# A multiclass task with more classes than this is said to look like free text or an id (label_notes),
# and a column of more distinct values is never guessed as a task (core.data._roles).
MANY_CLASSES = 50
# A task labelled in at most this share of rows (as shown, rounded to a whole percent) is said to be sparse.
SPARSE_LABELLED = 0.10
# Two tasks labelled on fewer common rows than this are never said to hold the same labels.
MIN_SHARED_ROWS = 10
# A regression value is said to lie far outside the rest when a gap of this many interquartile ranges, and of this
# factor in size, parts it from every other value (a 999 for 'unknown' among 0-13 children; not a long tail).
OUTLIER_GAP_IQR = 50
OUTLIER_FACTOR = 5


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


@dataclass(frozen=True, kw_only=True, eq=False)
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


def infer_kind(df: pd.DataFrame, columns: tuple[str, ...] | list[str] | str) -> str:
    """Guess the kind of a task made of ``columns``; raise :class:`DataError` when none fits.

    Examples
    --------
    >>> infer_kind(pd.DataFrame({"y": [0, 1, 1, None]}), "y")
    'binary'
    >>> infer_kind(pd.DataFrame({"y": [0.5, 1.25, 3.0, 7.5]}), "y")
    'regression'
    >>> infer_kind(pd.DataFrame({"waist": [36, 37, 38, 35, 35, 36, 38, 34, 31, 33, 34, 46, 36, 34, 33, 34]}), "waist")
    'regression'
    """
    columns = (columns,) if isinstance(columns, str) else tuple(columns)
    _check_columns(df, columns)
    if len(columns) > 1:
        values = _binary_block(df[list(columns)])
        if values is None:
            raise DataError(
                f"Columns {', '.join(columns)} must all hold 0/1 (or yes/no) to form one task; "
                "pick such columns or make one task per column."
            )
        labelled = ~np.isnan(values).any(axis=1)
        one_hot = labelled.any() and (np.nansum(values[labelled], axis=1) == 1).all()
        return "multiclass" if one_hot else "multilabel"
    series = df[columns[0]]
    name = columns[0]
    observed = series.dropna()
    if _is_datetime(series) and not observed.empty:
        raise DataError(f"Column '{name}' holds dates; use it as the time column, not as a task.")
    if not observed.empty and not _is_numeric(series) and not pd.api.types.is_bool_dtype(series):
        text = observed.astype(str)
        if text.str.contains(LABEL_DELIMITER, regex=False).any():
            return "multilabel"
        observed = _label_strings(series).dropna()  # "1" and "1.0" are one value, as encode reads them
    if observed.empty:
        raise DataError(f"Column '{name}' has no values at all; pick a column with labels.")
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
        few_rows = FEW_ROWS_CHECKED <= observed.size < ROWS_PER_CLASS * distinct  # Waist in inches, 20 rows
        return "multiclass" if whole and distinct <= MAX_INTEGER_CLASSES and not few_rows else "regression"
    if distinct > MAX_CLASSES:
        raise DataError(
            f"Column '{name}' has {distinct:,} distinct values, more than {MAX_CLASSES:,} classes; "
            "it looks like an id or free text: remove it from the tasks and pick another column."
        )
    return "multiclass"


def label_notes(df: pd.DataFrame, task: Task) -> tuple[str, ...]:
    """What the user should know about a task's labels, one line each.

    A column mixing numbers and text; a class column with 'no answer' codes (``-``, ``N/A``) or one answer
    written two ways (``1`` and ``yes``); a multiclass task of more than ``MANY_CLASSES`` classes (free
    text or an id picked as a task); a task labelled in at most ``SPARSE_LABELLED`` of the rows.

    Examples
    --------
    >>> label_notes(pd.DataFrame({"y": [1, "a", 1.0, "1"]}), Task("y", ("y",), "binary"))[0][:42]
    "Column 'y' mixes numbers and text (e.g. 1 "
    >>> label_notes(pd.DataFrame({"y": [0, 1] + [None] * 18}), Task("y", ("y",), "binary"))[0]
    'y: 2 of 20 rows labelled (10%); its distributions and scores use those rows only.'
    """
    notes = [*_mixed_type_notes(df, task)]
    if task.kind in ("binary", "multiclass") and len(task.columns) == 1:
        notes += answer_notes(df[task.columns[0]], task.columns[0])
    if task.kind == "regression" and len(task.columns) == 1:
        notes += _outlier_notes(df[task.columns[0]], task.name)
    if task.kind == "multiclass" and len(task.columns) == 1:
        n_classes = _label_strings(df[task.columns[0]]).nunique()
        if n_classes > MANY_CLASSES:
            notes.append(
                f"Task '{task.name}' has {n_classes:,} classes (the distinct values of column "
                f"'{task.columns[0]}'): it looks like free text or an id, and most classes have too few rows "
                f"to split or learn. Remove it from the tasks, or group its values into at most {MANY_CLASSES} "
                "classes in your file."
            )
    labelled = int(df[list(task.columns)].notna().any(axis=1).sum())
    if len(df) and round(100 * labelled / len(df)) <= 100 * SPARSE_LABELLED:
        notes.append(
            f"{task.name}: {labelled:,} of {len(df):,} rows labelled ({labelled / len(df):.0%}); "
            "its distributions and scores use those rows only."
        )
    return tuple(notes)


def _label_codes(df: pd.DataFrame, task: Task) -> np.ndarray:
    """A task's labels as int codes in order of first appearance, -1 where unlabelled.

    Two tasks are relabellings of each other exactly when, on the rows where both are labelled, these codes
    (recomputed on those rows) are equal: first-appearance codes name a partition of the rows canonically.
    """
    values = df[list(task.columns)]
    labelled = values.notna().all(axis=1).to_numpy()
    if len(task.columns) == 1:
        codes = pd.factorize(values.iloc[:, 0], use_na_sentinel=True)[0]
    else:
        codes = pd.factorize(pd.util.hash_pandas_object(values, index=False).to_numpy())[0]
    return np.where(labelled, codes, -1).astype(np.int64)


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    both = (a >= 0) & (b >= 0)
    if both.all():
        return bool(np.array_equal(a, b))
    if both.sum() < MIN_SHARED_ROWS:  # a few shared rows agree by chance
        return False
    return bool(np.array_equal(pd.factorize(a[both])[0], pd.factorize(b[both])[0]))


def same_information(df: pd.DataFrame, tasks: Sequence[Task]) -> tuple[tuple[str, str, str], ...]:
    """Pairs of tasks that carry the same information, as ``(first, second, how)``.

    ``how`` is ``"labels"`` when one task's labels are a relabelling of the other's (identical columns,
    ``approve`` = 1 - ``reject``: a one-to-one mapping between their labels on the rows where both are
    labelled) or two regression tasks are equal where both are present, ``"values"`` when two regression
    tasks are perfectly correlated (``fare`` and ``fare`` in cents). A regression task is compared with
    regression tasks only (its values are near-unique: any two are "one-to-one"). One pass over each task's column, then cheap array comparisons: 25 tasks of 60,000 rows take
    well under a second.

    Examples
    --------
    >>> df = pd.DataFrame({"approve": [1, 0, 1, 1], "reject": [0, 1, 0, 0], "x": [1, 1, 0, 1]})
    >>> tasks = [Task(c, (c,), "binary") for c in df]
    >>> same_information(df, tasks)
    (('approve', 'reject', 'labels'),)
    """
    tasks = list(tasks)
    numbers = {
        i: df[task.columns[0]].to_numpy(dtype="float64", na_value=np.nan)
        for i, task in enumerate(tasks) if task.kind == "regression"
    }
    codes = {i: _label_codes(df, task) for i, task in enumerate(tasks) if i not in numbers}
    pairs = []
    for i in range(len(tasks)):
        for j in range(i + 1, len(tasks)):
            if tasks[i].name == tasks[j].name:
                continue
            if i in codes and j in codes:
                if _same_partition(codes[i], codes[j]):
                    pairs.append((tasks[i].name, tasks[j].name, "labels"))
            elif i in numbers and j in numbers:
                how = _same_numbers(numbers[i], numbers[j])
                if how:
                    pairs.append((tasks[i].name, tasks[j].name, how))
    return tuple(pairs)


def _same_numbers(a: np.ndarray, b: np.ndarray) -> str | None:
    """``"labels"`` when equal where both are present, ``"values"`` when perfectly correlated, else None."""
    both = np.isfinite(a) & np.isfinite(b)
    if both.sum() < min(MIN_SHARED_ROWS, len(a)) or not both.any():
        return None
    if np.array_equal(a[both], b[both]):
        return "labels"
    return "values" if _perfectly_correlated(a, b) else None


def _perfectly_correlated(a: np.ndarray, b: np.ndarray) -> bool:
    both = np.isfinite(a) & np.isfinite(b)
    if both.sum() < 3 or np.ptp(a[both]) == 0 or np.ptp(b[both]) == 0:
        return False
    with np.errstate(all="ignore"):
        r = np.corrcoef(a[both], b[both])[0, 1]
    return bool(abs(r) > 1 - 1e-9)


def duplicate_task_notes(df: pd.DataFrame, tasks: Sequence[Task]) -> tuple[str, ...]:
    """One line per pair of tasks that carry the same information (:func:`same_information`).

    Examples
    --------
    >>> df = pd.DataFrame({"concen": [0.5, 0.7, 0.5], "bmktshr": [0.5, 0.7, 0.5]})
    >>> duplicate_task_notes(df, [Task(c, (c,), "regression") for c in df])
    ('`bmktshr` and `concen` hold the same labels: keep one.',)
    """
    notes = []
    for first, second, how in same_information(df, tasks):
        one, other = sorted((first, second))
        held = "the same labels" if how == "labels" else "the same values up to scale (correlation 1.00)"
        notes.append(f"`{one}` and `{other}` hold {held}: keep one.")
    return tuple(notes)


def _outlier_notes(series: pd.Series, name: str) -> list[str]:
    """A regression target's values far outside all the others, typically a code for a missing answer (999, -1).

    Such a value stretches the task's scale: its quantile bins, its histogram, and the model's standardised target
    (one 999 among 0-13 children made that task's loss 84 times smaller than the others', new-user test 5).

    Examples
    --------
    >>> _outlier_notes(pd.Series([0, 1, 2, 2, 3, 3, 4, 5, 13] * 5 + [999]), "children")[0][:62]
    'children: 1 row holds 999, far above every other value (0 to 1'
    """
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64")
    values = np.sort(values[np.isfinite(values)])
    if values.size < 20:
        return []
    q1, q3 = np.quantile(values, [0.25, 0.75])
    spread = q3 - q1 or np.quantile(values, 0.99) - np.quantile(values, 0.01)
    if spread <= 0:
        return []
    notes = []
    for side, ordered in (("above", values), ("below", -values[::-1])):
        gaps = np.diff(ordered)
        cut = int(np.argmax(gaps))  # the widest gap between neighbouring values, on this side of the middle
        body, far = ordered[cut], ordered[cut + 1:]
        few = far.size <= max(1, 0.05 * values.size)  # a missing-answer code can be frequent
        if cut < ordered.size // 2 or not few or gaps[cut] < OUTLIER_GAP_IQR * spread:
            continue
        if abs(far[0]) < OUTLIER_FACTOR * max(abs(body), spread):
            continue
        sign = 1 if side == "above" else -1
        outer = sorted({float(v) * sign for v in far})
        shown = f"{outer[0]:g}" if len(outer) == 1 else f"{len(outer)} values from {outer[0]:g} to {outer[-1]:g}"
        rest = (values[0], body) if side == "above" else (-body, values[-1])
        notes.append(
            f"{name}: {far.size:,} row{'s hold' if far.size > 1 else ' holds'} {shown}, far {side} every other value "
            f"({rest[0]:.4g} to {rest[1]:.4g}): a code for a missing answer or a typing slip? Empty or correct "
            f"{'them' if far.size > 1 else 'it'} in the file; as it is, it stretches the task's scale (its bins, "
            "and the model's loss)."
        )
    return notes


def _mixed_type_notes(df: pd.DataFrame, task: Task) -> list[str]:
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
    return notes


def task_source_columns(tasks: list[Task] | tuple[Task, ...]) -> set[str]:
    """Every column some task is derived from (never a feature)."""
    return {column for task in tasks for column in task.columns}
