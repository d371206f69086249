"""From a click on a diagnostics chart to the rows behind it.

The clickable figures of :mod:`core.figures._diagnostics` and
:mod:`core.figures._cooccurrence` put ``customdata`` on every mark, its first
item naming what the mark stands for:

* ``("label", task, label, split, ...)``: a bar of a label distribution (the
  label may be ``(missing)``);
* ``("range", task, split, low, high, ...)``: a bin of a regression histogram
  (None for an open end);
* ``("pair", row_label, col_label, split, value, a, b, row_task, row_value, col_task, col_value)``:
  a co-occurrence cell (``PAIR_FIELDS``); its two conditions read from the tasks and values it carries,
  never from the ``task=value`` names (a task may be called ``a=b``).

:func:`drill_from_points` reads a plotly selection (Streamlit's
``event.selection.points``) into a :class:`Drill`, and :func:`drill_rows` finds
its rows with the encoded tasks of :func:`core.tasks.encode_tasks`. Pure
functions, so the page's drill-down is tested without a browser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._cooccurrence import PAIR_FIELDS

MISSING = "(missing)"  # core.tasks.MISSING
WHOLE = "all"


@dataclass(frozen=True)
class Condition:
    """One task's condition on a row: a label (``(missing)`` for none), or a value range of a regression task.

    Examples
    --------
    >>> Condition("union", "1").text, Condition("lwage", low=1.0, high=1.5).text
    ('union=1', 'lwage in [1, 1.5)')
    """

    task: str
    label: str | None = None
    low: float | None = None
    high: float | None = None

    @property
    def is_range(self) -> bool:
        return self.label is None

    @property
    def text(self) -> str:
        """How the condition reads: ``task=label`` as :func:`core.tasks.label_name` spells it (a test checks it)."""
        if not self.is_range:
            return f"{self.task}={self.label}"
        if self.low is None:
            return f"{self.task} < {self.high:.4g}"
        if self.high is None:
            return f"{self.task} ≥ {self.low:.4g}"
        return f"{self.task} in [{self.low:.4g}, {self.high:.4g})"


@dataclass(frozen=True)
class Drill:
    """The rows of one split (or ``all``) that meet every condition.

    Examples
    --------
    >>> Drill("test", (Condition("union", "1"), Condition("married", "0"))).text
    'test rows with union=1 and married=0'
    """

    split: str = WHOLE
    conditions: tuple[Condition, ...] = ()

    @property
    def text(self) -> str:
        where = "all rows" if self.split == WHOLE else f"{self.split} rows"
        if not self.conditions:
            return where
        return f"{where} with " + " and ".join(c.text for c in self.conditions)


def _number(value) -> float | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else float(value)


def drill_from_points(points: Sequence[dict]) -> Drill | None:
    """The drill-down of the first clicked mark that carries our ``customdata``; None when there is none.

    Parameters
    ----------
    points : sequence of dict
        ``event.selection.points`` from ``st.plotly_chart(..., on_select="rerun")``.

    Examples
    --------
    >>> cell = ["pair", "union=1", "married=0", "test", 0.4, None, None, "union", "1", "married", "0"]
    >>> drill_from_points([{"customdata": cell}]).text
    'test rows with union=1 and married=0'
    >>> drill_from_points([{"customdata": ["label", "union", "(missing)", "val", 3]}]).text
    'val rows with union=(missing)'
    """
    for point in points or ():
        data = point.get("customdata") if isinstance(point, dict) else None
        if not data or not isinstance(data, list | tuple):
            continue
        kind = data[0]
        if kind == "label" and len(data) >= 4:
            return Drill(str(data[3]), (Condition(str(data[1]), str(data[2])),))
        if kind == "range" and len(data) >= 5:
            return Drill(str(data[2]), (Condition(str(data[1]), low=_number(data[3]), high=_number(data[4])),))
        if kind == "pair" and len(data) >= len(PAIR_FIELDS):
            first, second = Condition(str(data[7]), str(data[8])), Condition(str(data[9]), str(data[10]))
            return Drill(str(data[3]), (first,) if first == second else (first, second))
    return None


def _task_part(encoded, name: str):
    for part in encoded.tasks:
        if part.task.name == name:
            return part
    raise KeyError(f"No task named '{name}' among {', '.join(p.task.name for p in encoded.tasks)}.")


def condition_mask(encoded, condition: Condition) -> np.ndarray:
    """Boolean mask of the rows meeting one condition, from ``EncodedTasks``.

    A label is one column of the indicator matrix; ``(missing)`` is the task's
    missing mask; a range reads the regression values (NaN never matches).
    """
    part = _task_part(encoded, condition.task)
    if condition.is_range:
        if part.values is None:
            raise KeyError(f"Task '{condition.task}' has no values to take a range of; it is not a regression task.")
        values = part.values
        mask = ~np.isnan(values)
        if condition.low is not None:
            mask &= values >= condition.low
        if condition.high is not None:
            mask &= values < condition.high
        return mask
    if condition.label == MISSING:
        return np.asarray(part.missing, dtype=bool)
    classes = [str(c) for c in part.classes]
    if condition.label not in classes:
        raise KeyError(f"Task '{condition.task}' has no label '{condition.label}'.")
    column = part.columns.start + classes.index(condition.label)
    mask = np.zeros(encoded.n_rows, dtype=bool)
    matrix = encoded.matrix
    # rows of one CSR column without a column slice: the nonzeros whose index is the column
    hits = np.flatnonzero((matrix.indices == column) & (matrix.data != 0))
    mask[np.searchsorted(matrix.indptr, hits, side="right") - 1] = True
    return mask


def drill_rows(encoded, split_codes: np.ndarray, split_names: Sequence[str], drill: Drill) -> np.ndarray:
    """Positions of the rows of ``drill``: in its split (any split but excluded for ``all``), meeting every condition.

    Parameters
    ----------
    encoded : EncodedTasks
        From :func:`core.tasks.encode_tasks` on the same data.
    split_codes : ndarray of int
        Split code per row (-1 excluded), as :func:`core.splits.split_codes` gives them.
    split_names : sequence of str
        The split of each code.

    Examples
    --------
    >>> import pandas as pd
    >>> from core.tasks import encode_tasks
    >>> from core.tasks import Task
    >>> frame = pd.DataFrame({"a": [0, 1, 1, 1], "b": ["x", "y", "x", None]})
    >>> encoded = encode_tasks(frame, [Task("a", ("a",), "binary"), Task("b", ("b",), "binary")])
    >>> codes = np.array([0, 0, 1, 1])
    >>> drill_rows(encoded, codes, ["train", "test"], Drill("test", (Condition("a", "1"),))).tolist()
    [2, 3]
    >>> drill_rows(encoded, codes, ["train", "test"], Drill("all", (Condition("b", "(missing)"),))).tolist()
    [3]
    """
    codes = np.asarray(split_codes)
    if drill.split == WHOLE:
        mask = codes >= 0
    elif drill.split in split_names:
        mask = codes == list(split_names).index(drill.split)
    else:
        raise KeyError(f"No split named '{drill.split}'; the split has {', '.join(split_names)}.")
    for condition in drill.conditions:
        mask &= condition_mask(encoded, condition)
    return np.flatnonzero(mask)
