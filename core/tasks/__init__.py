"""Tasks: what a target column is (:class:`Task`), how its labels are encoded, and the tasks' indicator matrix.

The first step of the flow after errors: every other package reads tasks through these names.
"""

from ._encoded import (
    MISSING,
    EncodedTasks,
    TaskLabels,
    as_tasks,
    encode_tasks,
    encoded_for,
    indicator_matrix,
    ones,
)
from ._encoding import bin_name, encode, indicator_block, quantile_bins
from ._labels import label_name, label_names, yes_no_values
from ._spec import make_task, parse_task_spec
from ._task import (
    KINDS,
    MANY_CLASSES,
    MAX_CLASSES,
    EncodedTask,
    Task,
    duplicate_task_notes,
    infer_kind,
    label_notes,
    same_information,
    task_source_columns,
)

__all__ = [
    "KINDS",
    "MAX_CLASSES",
    "MANY_CLASSES",
    "Task",
    "EncodedTask",
    "infer_kind",
    "make_task",
    "parse_task_spec",
    "task_source_columns",
    "label_notes",
    "same_information",
    "duplicate_task_notes",
    "label_name",
    "label_names",
    "yes_no_values",
    "encode",
    "quantile_bins",
    "bin_name",
    "indicator_block",
    "indicator_matrix",
    "MISSING",
    "TaskLabels",
    "EncodedTasks",
    "encode_tasks",
    "encoded_for",
    "as_tasks",
    "ones",
]
