"""What the Export page and the command line write: the assignment table, its digest, a reproducing script.

``assignment_frame`` is the one place the file format of a split lives: columns
``row`` (0-based position in the data) and ``split``, plus the id column when
the dataset names one. ``python -m core split --out`` and the Export page both
write it; ``python -m core report/train --split-file`` read it back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import Dataset
from ..splits import SplitConfig
from ..tasks import Task

__all__ = ["assignment_frame", "write_assignment", "assignment_digest", "data_spec", "reproduce_code"]

_PACKAGE = __name__.split(".")[0]  # the name the library was imported as: core in the repository, tasksplit installed


def assignment_frame(assignment: pd.Series, dataset: Dataset | None = None) -> pd.DataFrame:
    """The assignment as ``python -m core split --out`` writes it: ``row`` (0-based position), ``split``.

    With a dataset that names an id column, that column is added after ``split``.

    Examples
    --------
    >>> assignment_frame(pd.Series(["train", "test", "train"])).to_dict("list")
    {'row': [0, 1, 2], 'split': ['train', 'test', 'train']}
    """
    table = pd.DataFrame({"row": np.arange(len(assignment)), "split": assignment.astype(str).to_numpy()})
    if dataset is not None and dataset.id_column and dataset.id_column in dataset.frame.columns:
        table[dataset.id_column] = dataset.frame[dataset.id_column].to_numpy()
    return table


def assignment_digest(assignment: pd.Series) -> str:
    """A short content hash of the split names in row order: equal digests, equal splits.

    Examples
    --------
    >>> assignment_digest(pd.Series(["a", "b"])) == assignment_digest(pd.Series(["a", "b"], index=[5, 6]))
    True
    """
    hashed = pd.util.hash_pandas_object(assignment.astype(str).reset_index(drop=True), index=True)
    return hashlib.blake2b(hashed.to_numpy().tobytes(), digest_size=6).hexdigest()


def data_spec(dataset: Dataset) -> str:
    """What ``core.data.load_data`` reads to get this dataset back: ``builtin:NAME`` or the file name."""
    return f"builtin:{dataset.name}" if dataset.builtin else dataset.name


def _config_arguments(config: SplitConfig) -> str:
    defaults = SplitConfig()
    parts = []
    for field in fields(SplitConfig):
        value = getattr(config, field.name)
        if field.name in ("strategy", "seed") or value != getattr(defaults, field.name):
            parts.append(f"{field.name}={dict(value) if field.name == 'fractions' else value!r}")
    return ", ".join(parts)


def reproduce_code(dataset: Dataset, tasks: Sequence[Task], config: SplitConfig) -> str:
    """A short Python script that makes the same split, importing the library by the name it has here.

    In the repository that is ``core``; installed with pip, ``tasksplit``.

    Examples
    --------
    >>> from core.data import load_builtin
    >>> print(reproduce_code(load_builtin("penguins"), [Task("sex", ("sex",), "binary")], SplitConfig(seed=3)))
    ... # doctest: +ELLIPSIS
    from core.data import load_data
    ...
    config = SplitConfig(strategy='stratified', seed=3)
    ...
    """
    where = "" if dataset.builtin else "  # the path to your copy of the file"
    task_lines = "".join(f"    Task({t.name!r}, {tuple(t.columns)!r}, {t.kind!r}),\n" for t in tasks)
    return (
        f"from {_PACKAGE}.data import load_data\n"
        f"from {_PACKAGE}.splits import SplitConfig, split\n"
        f"from {_PACKAGE}.tasks import Task\n\n"
        f"dataset = load_data({data_spec(dataset)!r}){where}\n"
        f"tasks = [\n{task_lines}]\n"
        f"config = SplitConfig({_config_arguments(config)})\n"
        "result = split(dataset.frame, tasks, config)\n"
        "print(result.to_frame())  # rows per split\n"
    )


def write_assignment(assignment: pd.Series, path: str | Path, dataset: Dataset | None = None) -> Path:
    """Write :func:`assignment_frame` as Parquet (``.parquet``/``.pq``) or CSV (any other name)."""
    path = Path(path)
    table = assignment_frame(assignment, dataset)
    if path.suffix.lower() in (".parquet", ".pq"):
        table.to_parquet(path, index=False)
    else:
        table.to_csv(path, index=False)
    return path
