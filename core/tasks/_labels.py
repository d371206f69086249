"""What a label is: reading label values as clean text, and the one spelling of a ``task=value`` label.

The leaf of :mod:`core.tasks`: :mod:`core.tasks._task` (inference, notes) and :mod:`core.tasks._encoding`
(encoding) both read labels through these helpers, so neither imports the other for them. A label column of
the indicator matrix is named by :func:`label_name` only; nothing parses the name back: the task and the
value of each column travel as data (:attr:`core.tasks.EncodedTasks.label_tasks`, ``label_values``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import DataError, shown

__all__ = ["label_name", "label_names", "yes_no_values"]

# A flag spelt in words: its 0 and its 1, in any case; English, then as French, German, Dutch, Spanish, Italian and
# Portuguese exports write them (oui/non, ja/nein, ja/nee, sí/no, sì/no, sim/não; vrai/faux, wahr/falsch, ...).
NO_WORDS = frozenset({"0", "0.0", "false", "no", "n", "f",
                      "non", "faux", "nein", "falsch", "nee", "onwaar", "falso", "não", "nao"})
YES_WORDS = frozenset({"1", "1.0", "true", "yes", "y", "t",
                       "oui", "vrai", "ja", "wahr", "waar", "sí", "si", "sì", "verdadero", "vero", "sim", "verdadeiro"})


def label_name(task: str, value: str) -> str:
    """The name of one label column of the indicator matrix: ``task=value``.

    A name for people (tables, ticks, hovers); the task and the value are carried beside it as data,
    because a task or a value may itself hold ``=``.

    Examples
    --------
    >>> label_name("union", "1"), label_name("a=b", "x=y")
    ('union=1', 'a=b=x=y')
    """
    return f"{task}={value}"


def label_names(classes: Iterable[tuple[str, Iterable]]) -> list[str]:
    """The label names (:func:`label_name`) of each task's classes, given as ``(task, classes)`` in column order;
    a :class:`DataError` when two labels of different tasks read the same, as task ``a`` with the value ``b=1``
    and task ``a=b`` with the value ``1`` both read ``a=b=1``: a table, a heatmap tick, a hover or a warning
    could not tell them apart. :func:`core.tasks.encode_tasks` and the sklearn splitters name labels through it.

    Examples
    --------
    >>> label_names([("y", ["a", "b"]), ("z", [0, 1])])
    ['y=a', 'y=b', 'z=0', 'z=1']
    >>> label_names([("a", ["b=1", "c"]), ("a=b", ["1", "0"])])
    Traceback (most recent call last):
    ...
    core.errors.DataError: Tasks 'a' and 'a=b' both have a label named 'a=b=1' (a's value 'b=1', a=b's value '1'); rename 'a=b' to a name without '=' so that every label has its own name.
    """
    classes = [(str(task), list(values)) for task, values in classes]
    labels = [label_name(task, value) for task, values in classes for value in values]
    if len(set(labels)) < len(labels):
        _check_distinct(classes)
    return labels


def _check_distinct(classes: list[tuple[str, list]]) -> None:
    """Raise on the first label name that two different (task, value) pairs share."""
    seen: dict[str, tuple[str, str]] = {}
    for task_name, values in classes:
        for value in values:
            name = label_name(task_name, value)
            first = seen.setdefault(name, (task_name, str(value)))
            if first != (task_name, str(value)):
                (task, other), (task_value, other_value) = (first[0], task_name), (first[1], str(value))
                renamed = max((task, other), key=len)  # the longer name holds the '=' that makes the clash
                raise DataError(
                    f"Tasks {task!r} and {other!r} both have a label named {name!r} ({task}'s value "
                    f"{task_value!r}, {other}'s value {other_value!r}); rename {renamed!r} to a name without '=' "
                    "so that every label has its own name."
                )


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _is_datetime(series: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(series)


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


def yes_no_values(series: pd.Series) -> np.ndarray | None:
    """A flag column spelt in words as float 1/0, NaN where missing; None when it is not such a flag.

    Yes/no, true/false, y/n and t/f (any case, spaces around ignored) read as 1/0, so flags exported as words
    can form a multi-label task as 0/1 columns do; so do the same words of a French, German, Dutch, Spanish,
    Italian or Portuguese export (oui/non, ja/nein, ja/nee, sí/no, sim/não, vrai/faux, ...).

    Examples
    --------
    >>> yes_no_values(pd.Series(["Yes", "no", None, " YES"])).tolist()
    [1.0, 0.0, nan, 1.0]
    >>> yes_no_values(pd.Series(["Oui", "non", "NON"])).tolist()
    [1.0, 0.0, 0.0]
    >>> yes_no_values(pd.Series(["union", "non-union"])) is None
    True
    """
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return None
    present = series.notna().to_numpy()
    words = series[present].astype(str).str.strip().str.lower()
    if not present.any() or not words.isin(NO_WORDS | YES_WORDS).all():
        return None
    values = np.full(len(series), np.nan)
    values[present] = words.isin(YES_WORDS).to_numpy(dtype=np.float64)
    return values


def _numeric_or_flag(series: pd.Series) -> np.ndarray | None:
    """A column as float: its numbers, or its yes/no words as 1/0; None when it is neither."""
    try:
        return pd.to_numeric(series, errors="raise").to_numpy(dtype="float64")
    except (TypeError, ValueError):
        return yes_no_values(series)


def _binary_block(block: pd.DataFrame) -> np.ndarray | None:
    """The block as a float array of 0/1/NaN, or None when some value is not 0/1 (or a yes/no word)."""
    fast = _integer_01_block(block)
    if fast is not None:
        return fast.astype("float64")
    try:
        values = block.apply(pd.to_numeric, errors="raise").to_numpy(dtype="float64")
    except (TypeError, ValueError):  # a flag spelt in words (yes/no, true/false) reads as 1/0
        columns = [_numeric_or_flag(series) for _, series in block.items()]
        if any(column is None for column in columns):
            return None
        values = np.column_stack(columns) if columns else np.empty((len(block), 0))
    observed = values[~np.isnan(values)]
    if observed.size and not np.isin(observed, (0.0, 1.0)).all():
        return None
    return values


def _check_columns(df: pd.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        shown = ", ".join(map(str, list(df.columns)[:8]))
        more = " ..." if len(df.columns) > 8 else ""
        raise DataError(
            f"Unknown column '{missing[0]}'; the data has columns {shown}{more}. "
            "Check the spelling."
        )


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


# Cells that stand for "no answer" in exports (pandas blanks some of them in CSV, but not "-" or "?", and JSON
# keeps them all): read as a class they make a task of one more label than the data has.
MISSING_CODES = frozenset({"-", "--", "?", "n/a", "na", "#n/a", "null", "none", "nan", "missing", "unknown", ".",
                           "n.a.", "(blank)", "(missing)"})


DOMINANT_SHARE = 0.99  # a class holding this share of the labelled rows or more gets a note


def answer_notes(series: pd.Series, name: str) -> list[str]:
    """Notes on a class column's labels: missing-value codes read as classes, one answer written two ways, and
    one class holding nearly every row.

    Examples
    --------
    >>> notes = answer_notes(pd.Series(["1", "yes", "0", "no", "-"]), "flag")
    >>> notes[0][:60]
    "Column 'flag' has 1 cell(s) holding '-', which reads as 'no "
    >>> notes[1][:66]
    "Column 'flag' writes one answer two ways (1 and 'yes', 0 and 'no')"
    >>> answer_notes(pd.Series(["yes", "no", None]), "flag")
    []
    """
    labels = _label_strings(series).dropna()
    if labels.empty:
        return []
    notes = []
    folded = labels.str.lower()
    codes = labels[folded.isin(MISSING_CODES)]
    if not codes.empty:
        which = " or ".join(shown(value) for value in sorted(codes.unique()))
        notes.append(
            f"Column '{name}' has {len(codes):,} cell(s) holding {which}, which reads as 'no answer' but counts as "
            "a class: blank those cells in your file so they count as unlabelled rows."
        )
    pairs = [(digit, word) for digit, words in (("1", YES_WORDS), ("0", NO_WORDS))
             for word in sorted(set(labels[folded.isin(words - {"1", "1.0", "0", "0.0"})]))[:1]
             if (labels == digit).any()]
    if pairs:
        which = ", ".join(f"{digit} and {shown(word)}" for digit, word in pairs)
        notes.append(
            f"Column '{name}' writes one answer two ways ({which}), so each way is a class of its own: write "
            "one form (all 1/0, or all yes/no) in your file."
        )
    return notes + _dominant_class_note(labels, name)


def _dominant_class_note(labels: pd.Series, name: str) -> list[str]:
    """A note when one class holds at least ``DOMINANT_SHARE`` of the labelled rows: the rest are easy to miss."""
    counts = labels.value_counts()
    top, rest = counts.index[0], int(counts.iloc[1:].sum())
    if rest == 0 or counts.iloc[0] < DOMINANT_SHARE * len(labels):
        return []
    share = f"{counts.iloc[0] / len(labels):.1%}"
    return [
        f"Column '{name}' is {share} {shown(top)}: its other {len(counts) - 1} class(es) hold {rest:,} row(s), "
        f"so a model that always answers {shown(top)} looks {share} accurate; judge it by macro F1 or AUC, and "
        "check each split holds some of the rare rows."
    ]
