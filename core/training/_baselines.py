"""Honest baselines on the same features and split as the multi-task net: single-task nets and gradient-boosted trees.

A multi-task net is worth its trouble only when it beats what one would train
anyway. :func:`fit_baselines` trains, per task, the single-task net (the same
trunk, :func:`core.training.train_baselines`) and sklearn's
``HistGradientBoostingClassifier`` / ``HistGradientBoostingRegressor`` at their
defaults (:func:`tree_baselines`), both on the net's preprocessed features
(:func:`core.training.prepare_split`) and on the train rows that carry that task's
label only. Their test outputs have the net's form (logits, standardised values),
so :func:`core.training.task_metrics` scores all three alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from ..errors import ConfigError
from ..model import ModelConfig
from ._features import PreparedSplit, TargetSpec
from ._fit import train_baselines
from ._metrics import LOWER_IS_BETTER, PRIMARY_METRIC, task_metrics
from ._records import EpochRecord, TrainConfig

__all__ = ["BASELINES", "Baselines", "tree_baselines", "fit_baselines", "baseline_losses"]

BASELINES = ("single_task", "trees")  # what a run is compared with, in the order the table shows them
BASELINE_NAMES = {"single_task": "the single-task net", "trees": "gradient-boosted trees"}
_EPS = 1e-7  # probabilities are clipped to [eps, 1 - eps] before their logits are taken


@dataclass(frozen=True, kw_only=True, eq=False)
class Baselines:
    """Test metrics (``{baseline: {task: {metric: value}}}``) and test outputs of each baseline that was fitted.

    ``notes`` says, per baseline and task, why it has no metrics (a task without two
    classes among its labelled train rows, say).
    """

    test: Mapping[str, Mapping[str, Mapping[str, float | None]]]
    test_outputs: Mapping[str, Mapping[str, np.ndarray]] = field(default_factory=dict, repr=False)
    notes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """``{baseline: {task: {metric: value}}}`` plus ``notes``: strict JSON (None, never NaN)."""
        out = {name: {task: dict(values) for task, values in tasks.items()} for name, tasks in self.test.items()}
        if any(self.notes.values()):
            out["notes"] = {name: dict(notes) for name, notes in self.notes.items() if notes}
        return out

    def to_frame(self) -> pd.DataFrame:
        """Tidy: ``baseline``, ``task``, ``metric``, ``value``."""
        rows = [(name, task, metric, value) for name, tasks in self.test.items()
                for task, values in tasks.items() for metric, value in values.items()]
        return pd.DataFrame(rows, columns=["baseline", "task", "metric", "value"])


# --------------------------------------------------------------------------- trees


def _labelled(spec: TargetSpec, y: np.ndarray) -> np.ndarray:
    return ~np.isnan(y) if spec.kind == "regression" else y >= 0


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, _EPS, 1.0 - _EPS)
    return np.log(p) - np.log1p(-p)


def _binary_logits(x_train, y_train, x_test, seed: int) -> tuple[np.ndarray | None, str | None]:
    """Logits of P(1) from a classifier on the labelled rows; a constant when train has one class."""
    seen = np.unique(y_train)
    if seen.size < 2:
        return np.full(len(x_test), 20.0 if seen.size and seen[0] == 1 else -20.0), "one class among the train rows"
    model = HistGradientBoostingClassifier(random_state=seed).fit(x_train, y_train)
    return _logit(model.predict_proba(x_test)[:, list(model.classes_).index(1)]), None


def _tree_outputs(spec: TargetSpec, x_train, y_train, x_test, seed: int) -> tuple[np.ndarray, str | None]:
    """One task's test outputs in the net's form: logits (binary, multiclass, multilabel) or standardised values."""
    if spec.kind == "regression":
        keep = _labelled(spec, y_train)
        model = HistGradientBoostingRegressor(random_state=seed).fit(x_train[keep], y_train[keep])
        return model.predict(x_test), None
    if spec.kind == "binary":
        keep = _labelled(spec, y_train)
        return _binary_logits(x_train[keep], y_train[keep].astype(np.int64), x_test, seed)
    if spec.kind == "multilabel":  # one classifier per label, on the rows that label is known for
        columns, notes = [], []
        for j in range(y_train.shape[1]):
            keep = y_train[:, j] >= 0
            logits, note = _binary_logits(x_train[keep], y_train[keep, j].astype(np.int64), x_test, seed)
            columns.append(logits)
            notes += [] if note is None else [spec.classes[j]]
        note = f"labels with one class among the train rows: {', '.join(notes)}" if notes else None
        return np.stack(columns, axis=1), note
    keep = _labelled(spec, y_train)
    codes = y_train[keep].astype(np.int64)
    out = np.full((len(x_test), len(spec.classes)), math.log(_EPS))  # (n, C) log-probabilities; unseen classes ~0
    if np.unique(codes).size < 2:
        out[:, codes[0] if codes.size else 0] = 0.0
        return out, "one class among the train rows"
    model = HistGradientBoostingClassifier(random_state=seed).fit(x_train[keep], codes)
    out[:, model.classes_] = np.log(np.clip(model.predict_proba(x_test), _EPS, 1.0))
    return out, None


def tree_baselines(prepared: PreparedSplit, *, seed: int = 0, threads: int | None = 1) -> Baselines:
    """Per task, sklearn's gradient-boosted trees at their defaults, trained on the rows with that task's label.

    The same features (the net's preprocessed columns) and the same train and test
    rows as the multi-task net; the val rows are not used (the trees stop early on
    their own inner validation, as their defaults do above 10,000 rows).
    ``seed`` fixes that inner split. The trees' OpenMP pool is held to ``threads`` (None: sklearn's
    own): on these shared 2-core machines 7 small tasks took 40 s with both cores' threads while
    another process held a core, and 0.5 s with one thread (the same trap as torch's threads).

    Examples
    --------
    >>> from core.tasks import Task
    >>> from core.training import prepare_split
    >>> frame = pd.DataFrame({"x": np.arange(300.0), "y": (np.arange(300) > 150).astype(int)})
    >>> prepared = prepare_split(frame, [Task("y", ("y",), "binary")], ["train", "val", "test"] * 100)
    >>> tree_baselines(prepared).test["trees"]["y"]["roc_auc"]
    1.0
    """
    x_train, x_test = prepared.train.x.numpy(), prepared.test.x.numpy()
    metrics, outputs, notes = {}, {}, {}
    for spec in prepared.targets:
        y_train = prepared.train.y[spec.name].numpy()
        with threadpool_limits(limits=threads, user_api="openmp"):
            output, note = _tree_outputs(spec, x_train, y_train, x_test, seed)
        outputs[spec.name] = output
        metrics[spec.name] = task_metrics(spec.kind, output, prepared.test.y[spec.name].numpy(),
                                          mean=spec.mean, std=spec.std)
        if note:
            notes[spec.name] = note
    return Baselines(test={"trees": metrics}, test_outputs={"trees": outputs}, notes={"trees": notes})


# --------------------------------------------------------------------------- both


def fit_baselines(
    prepared: PreparedSplit,
    config: TrainConfig | None = None,
    model_config: ModelConfig | None = None,
    *,
    which: tuple[str, ...] = BASELINES,
    on_epoch: Callable[[str, EpochRecord], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Baselines:
    """The single-task nets (``"single_task"``) and the trees (``"trees"``) of every task of ``prepared``.

    The nets train with the run's own ``config`` and ``model_config``; the trees at sklearn's
    defaults with ``config.seed``. Once ``should_stop()`` is true no further baseline starts.

    Examples
    --------
    >>> from core.tasks import Task
    >>> from core.training import prepare_split
    >>> frame = pd.DataFrame({"x": np.arange(60.0), "z": np.arange(60.0) ** 0.5})
    >>> prepared = prepare_split(frame, [Task("z", ("z",), "regression")], ["train", "val", "test"] * 20)
    >>> sorted(fit_baselines(prepared, TrainConfig(epochs=1)).test)
    ['single_task', 'trees']
    """
    unknown = [name for name in which if name not in BASELINES]
    if unknown:
        raise ConfigError(f"baseline '{unknown[0]}' is unknown; use one of {', '.join(BASELINES)}.")
    config = config or TrainConfig()
    test, outputs, notes = {}, {}, {}
    if "single_task" in which:
        nets = train_baselines(prepared, config, model_config, on_epoch=on_epoch, should_stop=should_stop)
        test["single_task"] = {task: dict(result.test[task]) for task, result in nets.items()}
        outputs["single_task"] = {task: result.test_outputs[task] for task, result in nets.items()}
    if "trees" in which and not (should_stop is not None and should_stop()):
        trees = tree_baselines(prepared, seed=config.seed, threads=config.num_threads)
        test.update(trees.test)
        outputs.update(trees.test_outputs)
        notes.update(trees.notes)
    return Baselines(test=test, test_outputs=outputs, notes=notes)


def _loses(metric: str, mtl: float | None, other: float | None) -> bool:
    if mtl is None or other is None:
        return False
    return other < mtl if metric in LOWER_IS_BETTER else other > mtl


def baseline_losses(
    test: Mapping[str, Mapping[str, float | None]],
    baselines: Mapping[str, Mapping[str, Mapping[str, float | None]]],
    kinds: Mapping[str, str],
) -> list[str]:
    """One sentence per task on which the multi-task net's primary test metric is worse than a baseline's.

    Examples
    --------
    >>> baseline_losses({"y": {"roc_auc": 0.70}}, {"trees": {"y": {"roc_auc": 0.81}},
    ...                  "single_task": {"y": {"roc_auc": 0.65}}}, {"y": "binary"})
    ['On y the multi-task net (roc_auc 0.700) loses to gradient-boosted trees (0.810).']
    """
    sentences = []
    for task, kind in kinds.items():
        metric = PRIMARY_METRIC[kind]
        mtl = test.get(task, {}).get(metric)
        beaten = [(name, values[task][metric]) for name, values in baselines.items()
                  if name in BASELINE_NAMES and task in values and _loses(metric, mtl, values[task].get(metric))]
        if beaten:
            who = " and to ".join(f"{BASELINE_NAMES[name]} ({value:.3f})" for name, value in beaten)
            sentences.append(f"On {task} the multi-task net ({metric} {mtl:.3f}) loses to {who}.")
    return sentences
