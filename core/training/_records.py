"""The records of a training run: :class:`TrainConfig` in, :class:`EpochRecord` per epoch, :class:`TrainResult` out.

A :class:`TrainConfig` checks itself when it is made, so a bad setting is a
one-line :class:`~core.errors.ConfigError` before any data is prepared.
:class:`TrainResult` is what :func:`core.training.train` returns: the history,
val and test metrics, confusion matrices and the model, with ``to_json`` for the
command line's metrics file and tidy frames for the dashboard's curves and tables.
The loop itself is in :mod:`core.training._loop`, which re-exports these three names.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..model import WEIGHTINGS, ModelConfig, MultiTaskNet
from ._features import TargetSpec
from ._metrics import Confusion
from ._preprocess import FeatureConfig

__all__ = ["TrainConfig", "EpochRecord", "TrainResult", "divergence_message", "loss_scale_message",
           "history_frame", "weights_frame", "gates_frame"]


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """How to train. ``weights`` (manual weighting) may be given as a dict; it is kept as sorted pairs.

    Defaults: batches of 1,024 with lr 3e-3 (a flights epoch ~3x faster than
    batches of 256, and wagepan metrics as good as at 64-256), 50 epochs, early
    stopping after 10 epochs without a better val loss, gradient norm clipped at 5,
    and one torch thread (``num_threads=1``): on these shared 2-core machines two
    threads were ~25% faster when the machine was idle but 10-60x slower as soon
    as another process held a core (OpenMP threads wait on each other every op).
    ``num_threads=None`` leaves torch's own setting. The count is set in the
    thread that runs :func:`core.training.train` and restored when it returns.
    ``affinity_batches``: batches of train rows on which each epoch's task gradient cosine is
    measured after the epoch (:func:`core.training.gradient_affinity`); 0 turns it off.
    """

    epochs: int = 50
    batch_size: int = 1024
    lr: float = 3e-3
    weight_decay: float = 1e-4
    weighting: str = "equal"
    weights: tuple[tuple[str, float], ...] | Mapping[str, float] = ()
    gradnorm_alpha: float = 1.5
    dwa_temperature: float = 2.0
    patience: int | None = 10
    clip_norm: float | None = 5.0
    seed: int = 0
    check_every: int = 20
    num_threads: int | None = 1
    restore_best: bool = True
    affinity_batches: int = 4
    normalize_losses: bool = False

    def __post_init__(self) -> None:
        pairs = self.weights.items() if isinstance(self.weights, Mapping) else self.weights
        object.__setattr__(self, "weights", tuple(sorted((str(k), float(v)) for k, v in pairs)))
        checks = [
            (self.epochs >= 1, f"epochs={self.epochs} must be at least 1; use 50."),
            (self.batch_size >= 1, f"batch_size={self.batch_size} must be at least 1; use 1024."),
            (self.lr > 0 and math.isfinite(self.lr), f"lr={self.lr} must be a positive number; use 0.003."),
            (self.weight_decay >= 0, f"weight_decay={self.weight_decay} must be >= 0; use 0.0001."),
            (self.weighting in WEIGHTINGS, f"weighting='{self.weighting}' is unknown; use one of {', '.join(WEIGHTINGS)}."),
            (self.patience is None or self.patience >= 1, f"patience={self.patience} must be at least 1, or None."),
            (self.clip_norm is None or self.clip_norm > 0, f"clip_norm={self.clip_norm} must be > 0, or None."),
            (self.check_every >= 1, f"check_every={self.check_every} must be at least 1; use 20."),
            (self.dwa_temperature > 0, f"dwa_temperature={self.dwa_temperature} must be > 0; use 2."),
            (0 <= self.seed < 2**32, f"seed={self.seed} must be in 0..2**32-1."),
            (self.num_threads is None or self.num_threads >= 1, f"num_threads={self.num_threads} must be >= 1, or None."),
            (self.affinity_batches >= 0, f"affinity_batches={self.affinity_batches} must be >= 0 (0 = off); use 4."),
            (not self.weights or self.weighting == "manual",
             f"weights={dict(self.weights)} are used only by manual weighting, but weighting='{self.weighting}'; "
             "choose weighting='manual' (--weighting manual) or drop the weights."),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["weights"] = dict(self.weights)
        return out


@dataclass(frozen=True, kw_only=True)
class EpochRecord:
    """One epoch: per-task train and val losses (unweighted), val primary metric, weights, totals.

    ``train_total`` and ``val_total`` are the unweighted sums of the per-task losses. ``affinity`` is the
    epoch's task x task gradient cosine on the shared parameters (:func:`core.training.gradient_affinity`;
    ``{}`` when not measured).
    """

    epoch: int
    seconds: float
    train_loss: Mapping[str, float]
    val_loss: Mapping[str, float | None]
    val_metric: Mapping[str, float | None]
    weights: Mapping[str, float]
    train_total: float
    val_total: float | None
    affinity: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)
    gates: Mapping[str, list[float]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {key: dict(value) if isinstance(value, Mapping) else value for key, value in asdict(self).items()}


LOSS_SCALE_FACTOR = 10.0


def loss_scale_message(history, *, factor: float = LOSS_SCALE_FACTOR, normalized: bool = False) -> str | None:
    """One line when the tasks' first-epoch losses, train or val, differ by more than ``factor`` times, else None.

    A task whose loss is 10x another's dominates an equally weighted objective; dividing
    each task's loss by its first-epoch value (``TrainConfig(normalize_losses=True)``,
    ``--normalize-losses``) puts them on one scale. The first epoch's train losses are means over
    the epoch, so they still carry the untrained model's first batches (every task starts near its
    blind-guess loss); the val losses, measured after the epoch, show the scales the rest of the
    run trains at (a rare binary label's loss falls ~20x within an epoch, a 300-class label's
    hardly). The larger of the two ratios is read. None once the run already normalises.

    Examples
    --------
    >>> record = EpochRecord(epoch=1, seconds=0.1, train_loss={"a": 0.05, "b": 2.0}, val_loss={}, val_metric={},
    ...                      weights={}, train_total=2.05, val_total=None)
    >>> loss_scale_message([record])[:57]
    "The first epoch's task losses differ 40x (b 2 vs a 0.05):"
    >>> record = EpochRecord(epoch=1, seconds=0.1, train_loss={"a": 0.6, "b": 5.7}, val_loss={"a": 0.04, "b": 5.7},
    ...                      val_metric={}, weights={}, train_total=6.3, val_total=5.74)
    >>> loss_scale_message([record])[:69]
    "The first epoch's task losses differ 142x on the val rows (b 5.7 vs a"
    """
    if normalized or not history:
        return None
    found = [scale for scale in (_scale(history[0].train_loss, ""), _scale(history[0].val_loss, " on the val rows"))
             if scale is not None]
    if not found:
        return None
    ratio, high, low, where = max(found, key=lambda scale: scale[0])
    if ratio <= factor:
        return None
    return (f"The first epoch's task losses differ {ratio:,.0f}x{where} ({high[0]} {high[1]:.3g} vs {low[0]} "
            f"{low[1]:.3g}): {high[0]} dominates the combined objective; normalise the task losses "
            "(divide each by its first-epoch value) or weight the tasks.")


def _scale(losses: Mapping[str, float | None], where: str):
    """``(ratio, (task, loss) highest, (task, loss) lowest, where)`` of the finite positive losses; None below two."""
    kept = {task: loss for task, loss in losses.items() if loss is not None and math.isfinite(loss) and loss > 0}
    if len(kept) < 2:
        return None
    low, high = min(kept, key=kept.get), max(kept, key=kept.get)
    return kept[high] / kept[low], (high, kept[high]), (low, kept[low]), where


DIVERGENCE_FACTOR = 10.0


def divergence_message(history, *, lr: float | None = None, best_epoch: int | None = None,
                       factor: float = DIVERGENCE_FACTOR) -> str | None:
    """One line when a task's val loss ended far above its epoch-1 value while its train loss fell, else None.

    A task diverges when its last val loss is at least ``factor`` times its first
    (or became non-finite after a finite first value) while its last train loss is
    below its first: the model fits the train rows and predicts nonsense elsewhere.

    Examples
    --------
    >>> rows = [EpochRecord(epoch=e, seconds=0.0, train_loss={"y": t}, val_loss={"y": v}, val_metric={}, weights={},
    ...                     train_total=t, val_total=v) for e, t, v in ((1, 1.0, 2.0), (2, 0.1, 900.0))]
    >>> divergence_message(rows, lr=0.003, best_epoch=1)[:62]
    'Validation loss of y diverged (x450 from epoch 1: 2 -> 900) wh'
    >>> divergence_message(rows[:1]) is None
    True
    """
    if len(history) < 2:
        return None
    first, last = history[0], history[-1]
    bad = []
    for task, start in first.val_loss.items():
        end = last.val_loss.get(task)
        train_start, train_end = first.train_loss.get(task), last.train_loss.get(task)
        if start is None or not math.isfinite(start) or train_start is None or train_end is None:
            continue
        if train_end >= train_start:
            continue
        if end is None or not math.isfinite(end):
            bad.append((math.inf, task, start, end))
        elif end >= factor * max(start, 1e-12):
            bad.append((end / max(start, 1e-12), task, start, end))
    if not bad:
        return None
    bad.sort(reverse=True)
    ratio, task, start, end = bad[0]
    others = f" (and {len(bad) - 1} more task{'s' if len(bad) > 2 else ''}: {', '.join(b[1] for b in bad[1:])})" if len(bad) > 1 else ""
    what = (f"x{ratio:,.0f} from epoch 1: {start:,.3g} -> {end:,.3g}" if math.isfinite(ratio)
            else f"from {start:,.3g} at epoch 1 to non-finite")
    kept = f"; the kept model is from epoch {best_epoch}" if best_epoch is not None else ""
    rate = f" (lr={lr})" if lr is not None else ""
    return (
        f"Validation loss of {task} diverged ({what}) while its train loss fell{others}{kept}: "
        f"its val and test metrics are not to be trusted; drop features with extreme values or codes "
        f"such as 999999, or try a lower learning rate{rate}."
    )


def history_frame(history) -> pd.DataFrame:
    """Tidy losses of epoch records: ``epoch``, ``task`` (``total`` for the sum), ``part``, ``loss``.

    A finished run's (:meth:`TrainResult.history_frame`) and a run in progress draw the same curves.

    Examples
    --------
    >>> record = EpochRecord(epoch=1, seconds=0.1, train_loss={"y": 0.5}, val_loss={"y": 0.6}, val_metric={},
    ...                      weights={"y": 1.0}, train_total=0.5, val_total=0.6)
    >>> history_frame([record])["loss"].tolist()
    [0.5, 0.5, 0.6, 0.6]
    """
    rows = []
    for r in history:
        for part, losses, total in (("train", r.train_loss, r.train_total), ("val", r.val_loss, r.val_total)):
            rows += [(r.epoch, task, part, loss) for task, loss in losses.items()]
            rows.append((r.epoch, "total", part, total))
    return pd.DataFrame(rows, columns=["epoch", "task", "part", "loss"])


def weights_frame(history) -> pd.DataFrame:
    """Tidy task weights of epoch records: ``epoch``, ``task``, ``weight``."""
    rows = [(r.epoch, task, w) for r in history for task, w in r.weights.items()]
    return pd.DataFrame(rows, columns=["epoch", "task", "weight"])


def gates_frame(history) -> pd.DataFrame:
    """Tidy MMoE gate weights of epoch records: ``epoch``, ``task``, ``expert`` (0-based), ``weight``; empty otherwise.

    Examples
    --------
    >>> record = EpochRecord(epoch=1, seconds=0.1, train_loss={}, val_loss={}, val_metric={}, weights={},
    ...                      train_total=0.0, val_total=None, gates={"y": [0.25, 0.75]})
    >>> gates_frame([record])["weight"].tolist()
    [0.25, 0.75]
    """
    rows = [(r.epoch, task, expert, w) for r in history for task, weights in r.gates.items()
            for expert, w in enumerate(weights)]
    return pd.DataFrame(rows, columns=["epoch", "task", "expert", "weight"])


@dataclass(frozen=True, kw_only=True, eq=False)
class TrainResult:
    """A finished (or stopped) run: history, val and test metrics, confusion matrices, the model.

    ``stopped`` is ``"completed"``, ``"early_stopping"``, ``"caller"`` (``should_stop``)
    or ``"non_finite"``; ``message`` says why in words when it is not ``"completed"``.
    ``test_notes`` names the tasks whose test metrics are None because the test rows
    cannot judge them (:func:`core.training.unreliable`: too few labelled rows, one class),
    with the reason. ``test_outputs`` and ``test_targets`` are the model's outputs and the
    encoded targets on the test rows, kept for the bootstrap of the transfer gain.
    """

    history: tuple[EpochRecord, ...]
    val: Mapping[str, Mapping[str, float | None]]
    test: Mapping[str, Mapping[str, float | None]]
    confusion: Mapping[str, Confusion]
    targets: tuple[TargetSpec, ...]
    config: TrainConfig
    model_config: ModelConfig
    feature_config: FeatureConfig
    feature_columns: tuple[str, ...]
    test_fold: int | None
    best_epoch: int | None
    stopped: str
    message: str | None
    model: MultiTaskNet = field(repr=False)
    test_notes: Mapping[str, str] = field(default_factory=dict)
    test_outputs: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False)
    test_targets: Mapping[str, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def divergence(self) -> str | None:
        """One line when a task's val loss diverged from epoch 1 while train fell (:func:`divergence_message`)."""
        return divergence_message(self.history, lr=self.config.lr, best_epoch=self.best_epoch)

    @property
    def loss_scale(self) -> str | None:
        """One line when the first epoch's task losses differ by more than 10x (:func:`loss_scale_message`)."""
        return loss_scale_message(self.history, normalized=self.config.normalize_losses)

    @property
    def kinds(self) -> dict[str, str]:
        return {spec.name: spec.kind for spec in self.targets}

    def config_dict(self) -> dict:
        return {
            "train": self.config.to_dict(),
            "model": self.model_config.to_dict(),
            "features": {**self.feature_config.to_dict(), "columns": list(self.feature_columns)},
            "tasks": [{"name": s.name, "kind": s.kind, "classes": list(s.classes)} for s in self.targets],
            "test_fold": self.test_fold,
        }

    def to_dict(self) -> dict:
        return {
            "history": [record.to_dict() for record in self.history],
            "test": {task: dict(values) for task, values in self.test.items()},
            "config": self.config_dict(),
            "val": {task: dict(values) for task, values in self.val.items()},
            "test_notes": dict(self.test_notes),
            "best_epoch": self.best_epoch,
            "stopped": self.stopped,
            "message": self.message,
            "divergence": self.divergence,
            "affinity": {task: dict(row) for task, row in (self.history[-1].affinity if self.history else {}).items()},
            "architecture": self.model_config.architecture,
            "weighting": self.config.weighting,
            "loss_scale": self.loss_scale,
        }

    def to_json(self, indent: int | None = None) -> str:
        """The command line's metrics file: ``history``, ``test``, ``config`` (+ val, status); null, never NaN."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def history_frame(self) -> pd.DataFrame:
        """Tidy losses for the curves: ``epoch``, ``task`` (``total`` for the sum), ``part``, ``loss``."""
        return history_frame(self.history)

    def weights_frame(self) -> pd.DataFrame:
        """Tidy task weights per epoch: ``epoch``, ``task``, ``weight``."""
        return weights_frame(self.history)

    def to_frame(self) -> pd.DataFrame:
        """Tidy test metrics: ``task``, ``metric``, ``value`` (None where undefined)."""
        rows = [(task, metric, value) for task, values in self.test.items() for metric, value in values.items()]
        return pd.DataFrame(rows, columns=["task", "metric", "value"])

