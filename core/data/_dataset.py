"""Datasets: built-in ones and users' files, read into a :class:`Dataset` with its column roles.

A :class:`Dataset` is a DataFrame plus its roles: suggested tasks, feature
columns, and the group, time and id columns. Every problem with a file is a
:class:`~core.errors.DataError` whose one line names the problem and the fix.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from ..errors import DataError
from ..tasks import Task
from ._builtins import DEFAULT_DATASET, builtin
from ._read import MAX_UPLOAD_MB, read_table
from ._roles import (
    suggest_roles,
)

__all__ = ["Dataset", "load_builtin", "load_data", "load_file", "dataset_from_frame"]



@dataclass(frozen=True, kw_only=True, eq=False)
class Dataset:
    """A table and the roles of its columns.

    ``feature_columns`` is a built-in dataset's curated feature list; it is empty for a user's
    file. Read the features through :func:`core.data.feature_columns` (dataset, current
    tasks), never from this field alone: the tasks and roles chosen since loading change them.

    Examples
    --------
    >>> wagepan = load_builtin("wagepan")
    >>> wagepan.frame.shape, wagepan.group_column, wagepan.time_column
    ((4360, 44), 'nr', 'year')
    """

    name: str
    frame: pd.DataFrame
    description: str = ""
    source: str = ""
    tasks: tuple[Task, ...] = ()
    feature_columns: tuple[str, ...] = ()
    group_column: str | None = None
    time_column: str | None = None
    id_column: str | None = None
    builtin: bool = False
    warnings: tuple[str, ...] = field(default=())
    task_note: str = ""  # an upload's guessed tasks and why, or that none was guessed (core.data._roles)

    @cached_property
    def fingerprint(self) -> str:
        """A content hash of the frame (values, index, column names and dtypes)."""
        digest = hashlib.blake2b(digest_size=16)
        digest.update(repr([(str(c), str(t)) for c, t in self.frame.dtypes.items()]).encode())
        hashed = pd.util.hash_pandas_object(self.frame, index=True, categorize=True)
        digest.update(hashed.to_numpy().tobytes())
        return digest.hexdigest()

    @property
    def n_rows(self) -> int:
        return len(self.frame)


# --------------------------------------------------------------------------- built-ins


def load_builtin(name: str = DEFAULT_DATASET) -> Dataset:
    """Load a built-in dataset by name (``synthetic:ROWSxLABELS`` sets the synthetic size).

    Examples
    --------
    >>> load_builtin("penguins").tasks[0].name
    'species'
    """
    record = builtin(name)
    frame = record.load()
    frame.columns = [str(c) for c in frame.columns]
    return Dataset(
        name=record.name,
        frame=frame,
        description=record.description,
        source=record.source,
        tasks=record.tasks,
        feature_columns=record.feature_columns,
        group_column=record.group_column,
        time_column=record.time_column,
        id_column=record.id_column,
        builtin=True,
    )


def load_data(spec: str, *, max_mb: float = MAX_UPLOAD_MB) -> Dataset:
    """A dataset from a command-line DATA argument: a file path, ``builtin:NAME`` or ``builtin:synthetic:RxL``.

    Examples
    --------
    >>> load_data("builtin:synthetic:100x3").frame.shape
    (100, 23)
    """
    if spec.startswith("builtin:"):
        return load_builtin(spec.removeprefix("builtin:"))
    path = Path(spec)
    if not path.exists():
        raise DataError(f"No file at '{spec}'; give a CSV/TSV/Parquet/Excel/JSON path or builtin:NAME.")
    if path.is_dir():
        raise DataError(f"'{spec}' is a folder; give a file path or builtin:NAME.")
    return load_file(path, path.name, max_mb=max_mb)


def load_file(source: str | Path | bytes | BinaryIO, filename: str, *, max_mb: float = MAX_UPLOAD_MB) -> Dataset:
    """Read a user's file and suggest the roles of its columns.

    What the user should know about the reading (a Latin-1 fallback, say) is
    kept in ``Dataset.warnings`` and also emitted as ``UserWarning``.

    Examples
    --------
    >>> load_file(b"x,label\\n1,a\\n2,b\\n3,a\\n", "tiny.csv").tasks[0].name
    'label'
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        frame = read_table(source, filename, max_mb=max_mb)
    notes = tuple(str(w.message) for w in caught if issubclass(w.category, UserWarning))
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    dataset = dataset_from_frame(frame, name=Path(filename).name, source=f"upload: {Path(filename).name}")
    return replace(dataset, warnings=notes)


def dataset_from_frame(frame: pd.DataFrame, *, name: str, source: str = "") -> Dataset:
    """Wrap a DataFrame as a :class:`Dataset` with suggested roles."""
    roles = suggest_roles(frame)
    return Dataset(
        name=name,
        frame=frame,
        description=f"{len(frame):,} rows x {frame.shape[1]:,} columns from {name}.",
        source=source,
        tasks=roles.tasks,  # no feature list: the features follow the tasks and roles chosen later
        group_column=roles.group_column,
        time_column=roles.time_column,
        id_column=roles.id_column,
        task_note=roles.task_note,
    )


def with_roles(dataset: Dataset, **changes: object) -> Dataset:
    """A copy of ``dataset`` with some roles changed (tasks, group_column, ...)."""
    return replace(dataset, **changes)
