"""Training from a data frame and a split: the entry point, the single-task baselines and transfer gain.

:func:`fit_on_split` is the entry point for the command line and the
dashboard: data, tasks and a split assignment in, :class:`TrainResult` out.
The loop itself, over an already prepared split, is :func:`train` in :mod:`core.training._loop`.

Example, as ``python -m core train`` should call it::

    from core.training import TrainConfig, fit_on_split

    dataset = load_data(args.data)                           # a Dataset
    tasks = _tasks(dataset, args.task)                       # tuple[Task]
    assignment = read_split_file(args.split_file, dataset)   # Series aligned with dataset.frame.index
    result = fit_on_split(
        dataset.frame, tasks, assignment,
        feature_columns=feature_columns(dataset, tasks),    # core.training._features: the curated list, or every
                                                             # non-task, non-role, non-id-like column
        config=TrainConfig(epochs=50, weighting="manual", weights={"union": 2.0}, seed=0),
        test_fold=args.fold,
        group_column=dataset.group_column,
        id_column=dataset.id_column, time_column=dataset.time_column,
    )
    Path(args.out).write_text(result.to_json(indent=2))     # already strict JSON text: no json.dumps

Bad settings raise :class:`~core.errors.ConfigError`, unusable data
:class:`~core.errors.DataError`; a run that goes non-finite does not raise, it
returns with ``result.stopped == "non_finite"`` and ``result.message``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np  # noqa: F401 (the examples use it, as they did in _loop.py)
import pandas as pd

from ..model import ModelConfig
from ..tasks import Task
from ._bootstrap import BOOTSTRAP_SEED
from ._features import PreparedSplit, prepare_split
from ._loop import train
from ._preprocess import FeatureConfig
from ._records import EpochRecord, TrainConfig, TrainResult
from ._transfer_gain import TransferGain, transfer_gain_bootstrap

__all__ = ["fit_on_split", "train_baselines", "transfer_gain"]


def fit_on_split(
    df: pd.DataFrame,
    tasks: Sequence[Task],
    assignment: pd.Series | Sequence[str],
    *,
    feature_columns: Sequence[str] | None = None,
    config: TrainConfig | None = None,
    model_config: ModelConfig | None = None,
    feature_config: FeatureConfig | None = None,
    test_fold: int = 0,
    group_column: str | None = None,
    id_column: str | None = None,
    time_column: str | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainResult:
    """Prepare the split (preprocessing fitted on train only) and train on it: the one-call entry point.

    ``feature_columns=None`` uses every column that is not a task, a task's source,
    the id, group or time column, or id-like; pass
    ``core.data.feature_columns(dataset, tasks)`` for a dataset's own list.
    With a k-fold assignment fold ``test_fold`` is test; when the split has no val
    part, ``feature_config.val_fraction`` of train (whole groups when
    ``group_column`` is set) is held out as val with ``config.seed``.

    Examples
    --------
    >>> frame = pd.DataFrame({"x": np.arange(60.0), "y": np.arange(60) % 3, "g": np.arange(60) // 4})
    >>> folds = [f"fold-{i % 3}" for i in range(60)]
    >>> result = fit_on_split(frame, [Task("y", ("y",), "multiclass")], folds, feature_columns=["x"],
    ...                       config=TrainConfig(epochs=1), test_fold=2, group_column="g")
    >>> result.test_fold, sorted(result.to_dict())[:3]
    (2, ['affinity', 'architecture', 'best_epoch'])
    """
    config = config or TrainConfig()
    prepared = prepare_for_fit(df, tasks, assignment, config, feature_columns=feature_columns,
                               feature_config=feature_config, test_fold=test_fold, group_column=group_column,
                               id_column=id_column, time_column=time_column)
    return train(prepared, config, model_config, on_epoch=on_epoch, should_stop=should_stop)


def prepare_for_fit(df: pd.DataFrame, tasks: Sequence[Task], assignment, config: TrainConfig, *,
                    feature_columns: Sequence[str] | None = None, feature_config: FeatureConfig | None = None,
                    test_fold: int = 0, group_column: str | None = None, id_column: str | None = None,
                    time_column: str | None = None) -> PreparedSplit:
    """The split as :func:`fit_on_split` and :func:`core.training.fit_distributed` prepare it: preprocessing
    fitted on train only, a val part held out with ``config.seed`` when the split has none (one place, so a
    data-parallel run's every rank prepares exactly what a single process would)."""
    return prepare_split(
        df, tasks, assignment, feature_columns=feature_columns, test_fold=test_fold,
        group_column=group_column, id_column=id_column, time_column=time_column, seed=config.seed,
        config=feature_config or FeatureConfig(),
    )


def train_baselines(
    prepared: PreparedSplit,
    config: TrainConfig | None = None,
    model_config: ModelConfig | None = None,
    *,
    on_epoch: Callable[[str, EpochRecord], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict[str, TrainResult]:
    """One single-task model per task: the same trunk, data and settings, trained on that task alone.

    ``on_epoch(task, record)`` reports progress; once ``should_stop()`` is true
    the current baseline stops and no further one starts.

    Examples
    --------
    >>> frame = pd.DataFrame({"x": np.arange(40.0), "y": np.arange(40) % 2, "z": np.arange(40.0) ** 0.5})
    >>> tasks = [Task("y", ("y",), "binary"), Task("z", ("z",), "regression")]
    >>> prepared = prepare_split(frame, tasks, ["train"] * 30 + ["val"] * 5 + ["test"] * 5)
    >>> sorted(train_baselines(prepared, TrainConfig(epochs=1)))
    ['y', 'z']
    """
    baselines = {}
    for spec in prepared.targets:
        if should_stop is not None and should_stop():
            break
        report = None if on_epoch is None else (lambda record, name=spec.name: on_epoch(name, record))
        baselines[spec.name] = train(
            prepared, config, model_config, tasks=[spec.name], on_epoch=report, should_stop=should_stop
        )
    return baselines


def transfer_gain(
    result: TrainResult, baselines: Mapping[str, TrainResult], *, resamples: int | None = None,
    seed: int = BOOTSTRAP_SEED,
) -> TransferGain:
    """Per-task transfer gain (multi-task primary test metric minus single-task) and the run's Δm, with intervals.

    The intervals are 95% percentile intervals over ``resamples`` paired bootstrap
    resamples of the test rows (:func:`core.training.transfer_gain_bootstrap`; by default
    1000, fewer for more than 1,000 test rows, at least 200).

    Examples
    --------
    >>> frame = pd.DataFrame({"x": np.arange(40.0), "y": np.arange(40) % 2, "z": np.arange(40.0) ** 0.5})
    >>> tasks = [Task("y", ("y",), "binary"), Task("z", ("z",), "regression")]
    >>> prepared = prepare_split(frame, tasks, ["train"] * 30 + ["val"] * 5 + ["test"] * 5)
    >>> gain = transfer_gain(train(prepared, TrainConfig(epochs=1)), train_baselines(prepared, TrainConfig(epochs=1)))
    >>> gain.to_frame()["metric"].tolist(), gain.tasks[0].verdict  # 5 test rows cannot judge a task
    (['roc_auc', 'r2'], 'not meaningful')
    """
    stl = {task: baseline.test_outputs[task] for task, baseline in baselines.items() if task in baseline.test_outputs}
    return transfer_gain_bootstrap(result.test_outputs, stl, result.test_targets, result.kinds,
                                   resamples=resamples, seed=seed)
