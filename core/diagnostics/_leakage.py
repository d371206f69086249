"""Leakage checks: ways a split lets what the model is tested on seep into what it learns from.

:func:`leakage` runs five checks and reports one row per check with a status
(``pass``, ``warn``, ``fail``, or ``skipped`` when the inputs a check needs
were not given) and a one-line detail:

* ``group``: a group (person, patient, aircraft...) with rows in more than one split;
* ``duplicates``: identical feature rows in different splits (whole copies,
  labels included, fail; rows alike only in their features warn);
* ``near_duplicates``: val/test rows within a small scaled distance of a train
  row, but not identical to it (a nearest-neighbour radius search, sklearn's KDTree), on a sample of large data;
* ``time``: val/test rows dated on or before the end of train;
* ``predictor``: a single feature that alone predicts a task almost perfectly
  on a sample of train: a label copied into the features.

The first three of these cost one pass over the data (:mod:`core.diagnostics._leakage_checks`);
``near_duplicates`` and ``predictor`` work on samples (sizes in :mod:`core.diagnostics._thresholds`) and
say so (:mod:`core.diagnostics._leakage_sampled`). Every check reads inf and -inf in a feature as missing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import feature_columns as default_features
from ..errors import DataError
from ..splits import split_codes
from ..tasks import EncodedTasks, Task, as_tasks, task_source_columns
from ._leakage_checks import GROUP_ADVICE, duplicate_check, group_check, skipped, time_check
from ._leakage_checks import (
    N_EXAMPLES as N_EXAMPLES,  # importable from here, as before the split
)
from ._leakage_sampled import PREDICTOR_BINS as PREDICTOR_BINS
from ._leakage_sampled import near_duplicate_check, predictor_check
from ._thresholds import status_of

__all__ = ["CHECKS", "LeakageReport", "leakage"]

CHECKS = {
    "group": "Groups in more than one split",
    "duplicates": "Identical feature rows across splits",
    "near_duplicates": "Near-duplicates across splits",
    "time": "Time overlap between splits",
    "predictor": "A single feature predicting a task",
}
FAST_CHECKS = ("group", "duplicates", "time")


@dataclass(frozen=True, eq=False)
class LeakageReport:
    """The leakage checks of one split.

    Attributes
    ----------
    checks : pandas.DataFrame
        One row per check: ``check`` (key), ``title``, ``status``
        (pass/warn/fail/skipped), ``detail`` (one line), ``count`` (groups,
        rows or features found; NaN when skipped), ``seconds``.
    predictors : pandas.DataFrame
        The predictor check's scores: ``feature``, ``task``, ``label``,
        ``metric`` (AUC or R2), ``score``, best first.
    """

    checks: pd.DataFrame
    predictors: pd.DataFrame

    @property
    def status(self) -> str:
        """The worst status over the checks that ran."""
        return status_of(self.checks["status"])

    def to_frame(self) -> pd.DataFrame:
        return self.checks


# --------------------------------------------------------------------------- entry point


def leakage(
    df: pd.DataFrame,
    assignment,
    *,
    tasks: Sequence[Task] | EncodedTasks = (),
    group_column: str | None = None,
    time_column: str | None = None,
    feature_columns: Sequence[str] | None = None,
    checks: Sequence[str] = tuple(CHECKS),
    seed: int = 0,
    group_time: str | None = None,
) -> LeakageReport:
    """Check a split for leakage: shared groups, duplicate rows, near-duplicates, time overlap, copied labels.

    Parameters
    ----------
    df : pandas.DataFrame
    assignment : array-like or pandas.Series
        Split name per row; ``excluded`` rows are left out.
    tasks : sequence of Task
        Targets for the single-feature predictor check (an ``EncodedTasks`` works too).
    group_column, time_column : str, optional
        Checks that need them are ``skipped`` without them.
    feature_columns : sequence of str, optional
        Default: :func:`core.data.feature_columns` of ``df`` (every column but the
        tasks', the group, the time and id-like columns). A task's own columns are never tested as
        features, even when listed: a label predicts itself.
    checks : sequence of str
        Which of ``group``, ``duplicates``, ``near_duplicates``, ``time``,
        ``predictor`` to run; the others are reported as ``skipped``.
    seed : int
        Seed of the samples drawn by the sampled checks.
    group_time : {"first", "last", "rows"}, optional
        How a time split placed the groups (``SplitConfig.time_groups``): the
        time check then compares groups' first (last) times, and with ``rows``
        groups split across periods warn instead of failing, as chosen.

    Examples
    --------
    >>> frame = pd.DataFrame({"person": [1, 1, 2, 2], "x": [0.1, 0.2, 0.3, 0.4]})
    >>> report = leakage(frame, ["train", "test", "train", "train"], group_column="person")
    >>> report.to_frame().set_index("check").loc["group", "status"]
    'fail'
    """
    tasks = as_tasks(tasks)
    unknown = sorted(set(checks) - set(CHECKS))
    if unknown:
        raise DataError(f"Unknown leakage check '{unknown[0]}'; choose from {', '.join(CHECKS)}.")
    for column in (group_column, time_column, *(feature_columns or ())):
        if column is not None and column not in df.columns:
            raise DataError(f"Unknown column '{column}' given to the leakage checks; check the spelling.")
    if isinstance(assignment, pd.Series) and not assignment.index.equals(df.index):
        assignment = assignment.reindex(df.index)
    codes, splits = split_codes(assignment, len(df))
    if feature_columns is None:
        features = default_features(df, tasks, group_column=group_column, time_column=time_column)
    else:
        sources = task_source_columns(tasks)
        features = [c for c in dict.fromkeys(feature_columns) if c not in sources]
    rng = np.random.default_rng(seed)
    runners = {
        "group": lambda: group_check(df, group_column, codes, splits),
        "duplicates": lambda: duplicate_check(
            df, features, sorted(task_source_columns(tasks)), codes, splits
        ),
        "near_duplicates": lambda: near_duplicate_check(df, features, codes, splits, rng),
        "time": lambda: time_check(
            df, time_column, codes, splits, group_column=group_column, group_time=group_time
        ),
        "predictor": lambda: predictor_check(df, features, tasks, codes, splits, rng, group_column),
    }
    rows, predictors = [], pd.DataFrame(columns=["feature", "task", "label", "metric", "score"])
    for check, title in CHECKS.items():
        start = time.perf_counter()
        if check not in checks:
            result = skipped("Not run.")
        else:
            result = runners[check]()
            if check == "predictor":
                result, predictors = result
            if check == "group" and group_time == "rows" and result.status == "fail":
                result = type(result)(
                    "warn", result.detail.removesuffix(GROUP_ADVICE.format(column=group_column))
                    + ". The time split places rows by time "
                    "and lets groups straddle splits, as chosen: their later rows are tested on what their earlier "
                    "rows taught.", result.count,
                )
        rows.append((check, title, result.status, result.detail, result.count, time.perf_counter() - start))
    frame = pd.DataFrame(rows, columns=["check", "title", "status", "detail", "count", "seconds"])
    return LeakageReport(frame, predictors)
