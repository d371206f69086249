"""Which columns are model features: one answer for the leakage checks, the Model page, the report and the CLI.

A column is a feature unless it is a task or a column a task is made from, holds a role (the group,
time or id column), is named in ``exclude`` (a predefined split's column, say), or names rows rather
than describing them (:func:`id_like_columns`: a different value in every row, or text with more
distinct values than 5% of the rows and than 50). A built-in dataset's curated list is used as its
authors wrote it, minus the tasks and roles of the moment. Everything is read from the current tasks and roles on
every call, so a task picked after loading is never tested or trained on as a feature.

The rules live here, below :mod:`core.data._roles`, :mod:`core.diagnostics._leakage` and :mod:`core.training._features` (which
re-export them), so the diagnostics need not import torch to know the features.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from ..tasks import MANY_CLASSES, Task, task_source_columns

if TYPE_CHECKING:  # core.data._dataset imports this module (through core.data._roles)
    from ._dataset import Dataset

__all__ = ["feature_columns", "id_like_columns", "ID_LIKE_SHARE", "FEW_ROWS"]

# Text with more distinct values than this share of the rows, and than MANY_CLASSES, names rows: free text or an id.
ID_LIKE_SHARE = 0.05
FEW_ROWS = 20  # a column of at most this many distinct values is never id-like: a small table has few rows


def _integer_or_text(series: pd.Series) -> bool:
    """Integer or text columns: where ids live (a decimal or a date column is a measurement)."""
    if pd.api.types.is_bool_dtype(series):
        return False
    return pd.api.types.is_integer_dtype(series) or pd.api.types.is_string_dtype(series) or (
        pd.api.types.is_object_dtype(series)
    )


def zero_padded_codes(series: pd.Series, sample: int = 500) -> bool:
    """Whether a text column holds whole numbers some of which have leading zeros: ids and codes (``00042``);
    its first ``sample`` values decide.

    Examples
    --------
    >>> zero_padded_codes(pd.Series(["0264", "1021", None])), zero_padded_codes(pd.Series(["264", "1021"]))
    (True, False)
    """
    text = not pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    return text and _digit_text(series, sample) == "codes"


def _digit_text(series: pd.Series, sample: int = 500) -> str | None:
    """How text of whole numbers is written: ``"codes"`` when some value has a leading zero (``00042``, ``0264``:
    an id or a code, never a quantity), ``"numbers"`` when every value is digits (``42``), else None."""
    values = series.dropna().head(sample).astype(str).str.strip()
    if len(values) == 0 or not values.str.fullmatch(r"\d+").all():
        return None
    return "codes" if values.str.match(r"0\d").any() else "numbers"


def _reads_as_numbers_or_dates(series: pd.Series, sample: int = 500) -> bool:
    """Whether text holds numbers (``38,5`` in a decimal-comma file) or ISO dates: values read as text, not free text."""
    values = series.dropna().head(sample).astype(str).str.strip()
    if len(values) == 0:
        return False
    numbers = pd.to_numeric(values.str.replace(",", ".", regex=False), errors="coerce")
    if numbers.notna().mean() >= 0.95:
        return True
    return pd.to_datetime(values, errors="coerce", format="ISO8601").notna().mean() >= 0.95


def id_like_columns(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> dict[str, str]:
    """Columns that name rows rather than describe them, each with why: ids, row numbers, free text.

    An integer or text column with a different value in every (non-missing) row is an id or a row
    number; a text column with more distinct values than ``ID_LIKE_SHARE`` (5%) of the rows and
    than ``MANY_CLASSES`` is free text or an id. A model learns nothing from either that carries over
    to new rows, and either makes every row look unique to the duplicate checks. Decimal columns
    (measurements, even when their values happen to be whole), dates, 0/1 flags, text that reads as
    decimal numbers (``38,5``) or ISO dates, and columns of at most ``FEW_ROWS`` distinct values never are.
    Whole numbers saved as text are judged as an integer column; with leading zeros (``00042``, a
    zero-padded questionnaire number or area code) they are codes, judged as text.

    Parameters
    ----------
    frame : pandas.DataFrame
    columns : iterable of str, optional
        The columns to look at; default every column.

    Returns
    -------
    dict of str to str
        Column name to the reason, in the user's words, in the frame's column order.

    Examples
    --------
    >>> frame = pd.DataFrame({"row": range(200), "x": [0.5 * i for i in range(200)],
    ...                       "note": [f"note {i % 60}" for i in range(200)], "kind": ["a", "b"] * 100})
    >>> for column, why in id_like_columns(frame).items():
    ...     print(f"{column}: {why}")
    row: a different value in every row (an id, a row number or free text)
    note: text with 60 distinct values in 200 rows (free text or an id)
    """
    wanted = None if columns is None else {str(c) for c in columns}
    n_rows = len(frame)
    found = {}
    for column in frame.columns:
        if wanted is not None and str(column) not in wanted:
            continue
        series = frame[column]
        if not _integer_or_text(series):
            continue
        text = not pd.api.types.is_numeric_dtype(series)
        distinct = int(series.nunique(dropna=True))
        if distinct <= FEW_ROWS:
            continue
        digits = _digit_text(series) if text else None
        if digits == "numbers":  # whole numbers saved as text: judged as an integer column is
            text = False
        elif digits is None and text and _reads_as_numbers_or_dates(series):
            continue
        if distinct == int(series.notna().sum()):
            found[str(column)] = "a different value in every row (an id, a row number or free text)"
        elif text and distinct > max(ID_LIKE_SHARE * n_rows, MANY_CLASSES):
            found[str(column)] = f"text with {distinct:,} distinct values in {n_rows:,} rows (free text or an id)"
    return found


def feature_columns(
    data: Dataset | pd.DataFrame,
    tasks: Sequence[Task],
    *,
    group_column: str | None = None,
    time_column: str | None = None,
    id_column: str | None = None,
    exclude: Iterable[str] = (),
    id_like: Mapping[str, str] | None = None,
) -> list[str]:
    """The model features of a table for the current tasks and roles: the one list every page and check uses.

    Left out: the tasks and every column a task is made from; the group, time and id columns (the
    dataset's own and any given here: a split's group column may differ from the Data page's); the
    columns in ``exclude``; and, unless the dataset brings a curated list, the id-like columns of
    :func:`id_like_columns` and the date columns of :func:`date_columns`. A built-in dataset's curated list (``Dataset.feature_columns``) keeps its
    order and is only ever shortened.

    Parameters
    ----------
    data : core.data.Dataset or pandas.DataFrame
        A Dataset brings its roles and its curated feature list, if any; a DataFrame brings neither.
    tasks : sequence of Task
        The tasks chosen now (not the ones suggested when the data was read).
    group_column, time_column, id_column : str, optional
        Role columns to leave out, besides the dataset's own.
    exclude : iterable of str
        Other columns that are no features (a predefined split's column).
    id_like : mapping of str to str, optional
        :func:`id_like_columns` of the frame when already known (it counts every column's
        values: the dashboard computes it once per table); default: computed here.

    Returns
    -------
    list of str
        Feature column names, in the curated list's order, else the table's.

    Examples
    --------
    >>> frame = pd.DataFrame({"row": range(30), "person": [i // 3 for i in range(30)],
    ...                       "age": [20 + i % 7 for i in range(30)], "y": [i % 2 for i in range(30)]})
    >>> feature_columns(frame, [Task("y", ("y",), "binary")], group_column="person")
    ['age']
    """
    frame = getattr(data, "frame", data)
    roles = {group_column, time_column, id_column}
    roles |= {getattr(data, name, None) for name in ("group_column", "time_column", "id_column")}
    left_out = task_source_columns(tasks) | {task.name for task in tasks} | {str(c) for c in exclude}
    left_out |= {str(c) for c in roles if c is not None}
    columns = {str(c) for c in frame.columns}
    curated = tuple(getattr(data, "feature_columns", ()) or ())
    if curated:
        return [str(c) for c in dict.fromkeys(curated) if str(c) in columns and str(c) not in left_out]
    candidates = [str(c) for c in frame.columns if str(c) not in left_out]
    if id_like is None:
        id_like = id_like_columns(frame, candidates)
    dates = set(date_columns(frame, candidates))
    return [c for c in candidates if c not in id_like and c not in dates]


DATE_REASON = "a date or time (set it as the Time column, or derive features such as the month from it)"


def date_columns(frame: pd.DataFrame, columns: Iterable[str] | None = None) -> dict[str, str]:
    """Date and time columns, each with why they are no default feature.

    As a number a date only says when a row was recorded, which a model cannot carry over to later
    rows; the time role or features derived from it (month, weekday) are what a model can use.

    Examples
    --------
    >>> frame = pd.DataFrame({"when": pd.to_datetime(["2020-01-01", "2020-02-01"]), "x": [1.0, 2.0]})
    >>> list(date_columns(frame))
    ['when']
    """
    wanted = None if columns is None else {str(c) for c in columns}
    return {str(c): DATE_REASON for c in frame.columns
            if (wanted is None or str(c) in wanted) and pd.api.types.is_datetime64_any_dtype(frame[c])}
