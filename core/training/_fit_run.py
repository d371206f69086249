"""Training into a run folder: prepare the split, train, fit the baselines asked for, and write it all
(:func:`fit_run`, used by the command line's ``--runs-dir`` and the dashboard). The folder's files are ``_runs.py``'s.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import ConfigError, TaskSplitError
from ..model import ModelConfig
from ..tasks import Task
from ._baselines import BASELINES, Baselines, fit_baselines
from ._features import prepare_split
from ._loop import train
from ._records import EpochRecord, TrainConfig, TrainResult
from ._runs import RunWriter, run_config, run_metrics, split_digest

__all__ = ["RunOutcome", "fit_run"]


@dataclass(frozen=True, kw_only=True, eq=False)
class RunOutcome:
    """A run trained into its folder: the folder, the result, the baselines (None when not asked) and metrics."""

    path: Path | None
    result: TrainResult
    baselines: Baselines | None
    metrics: dict


def fit_run(
    frame: pd.DataFrame,
    tasks: Sequence[Task],
    assignment,
    *,
    config: TrainConfig | None = None,
    model_config: ModelConfig | None = None,
    runs_dir: str | os.PathLike | None = None,
    baselines: Sequence[str] = (),
    feature_columns: Sequence[str] | None = None,
    test_fold: int = 0,
    group_column: str | None = None,
    id_column: str | None = None,
    time_column: str | None = None,
    data: Mapping | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> RunOutcome:
    """Prepare, train, fit the ``baselines`` asked for (``single_task``, ``trees``), and write it all to a run folder.

    With ``runs_dir`` None nothing is written. ``data`` (name, fingerprint) goes into
    ``config.json`` so a page can tell which data a run was made on. A run that cannot
    train (bad data) is written as ``failed`` with its reason, then the error is raised.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from core.training import read_run
    >>> frame = pd.DataFrame({"x": np.arange(60.0), "y": np.arange(60) % 2})
    >>> outcome = fit_run(frame, [Task("y", ("y",), "binary")], ["train", "val", "test"] * 20,
    ...                   config=TrainConfig(epochs=2), runs_dir=tempfile.mkdtemp(), baselines=("trees",))
    >>> read_run(outcome.path).status, len(read_run(outcome.path).history), sorted(outcome.metrics["baselines"])
    ('done', 2, ['trees'])
    """
    config, model_config = config or TrainConfig(), model_config or ModelConfig()
    unknown = [name for name in baselines if name not in BASELINES]
    if unknown:
        raise ConfigError(f"baseline '{unknown[0]}' is unknown; use one of {', '.join(BASELINES)}.")
    writer = None
    if runs_dir is not None:
        split = {"digest": split_digest(assignment), "test_fold": test_fold}
        writer = RunWriter(runs_dir, run_config(tasks, config, model_config, data=data, split=split,
                                                feature_columns=feature_columns, baselines=baselines))

    def report(record: EpochRecord) -> None:
        if writer is not None:
            writer.on_epoch(record)
        if on_epoch is not None:
            on_epoch(record)

    try:
        prepared = prepare_split(frame, tasks, assignment, feature_columns=feature_columns, test_fold=test_fold,
                                 group_column=group_column, id_column=id_column, time_column=time_column,
                                 seed=config.seed)
        result = train(prepared, config, model_config, on_epoch=report, should_stop=should_stop)
        fitted = None
        if baselines and result.stopped in ("completed", "early_stopping"):
            fitted = fit_baselines(prepared, config, model_config, which=tuple(baselines), should_stop=should_stop)
    except TaskSplitError as error:
        if writer is not None:
            writer.fail(str(error))
        raise
    except BaseException as error:
        if writer is not None:
            writer.fail(f"Training failed unexpectedly ({type(error).__name__}: {error}).")
        raise
    metrics = writer.finish(result, fitted) if writer is not None else run_metrics(result, fitted)
    return RunOutcome(path=None if writer is None else writer.path, result=result, baselines=fitted, metrics=metrics)
