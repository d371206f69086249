"""A checked task from the user's words: :func:`make_task` (columns, kind) and :func:`parse_task_spec` (``--task``).

Above both :mod:`core.tasks._task` (what a task is) and :mod:`core.tasks._encoding` (how its labels are
encoded): a task is checked by encoding it once.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import pandas as pd

from ..errors import DataError
from ._encoding import encode
from ._labels import _check_columns
from ._task import KINDS, Task, infer_kind, label_notes

__all__ = ["make_task", "parse_task_spec"]


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
