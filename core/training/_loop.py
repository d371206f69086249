"""Training a shared-trunk model on a prepared split: the loop and one optimiser step.

:func:`train` is the loop over an already prepared split (the entry point from a data frame,
``fit_on_split``, and the single-task baselines and transfer gain are in :mod:`core.training._fit`).
Batches are drawn by index from in-memory tensors (``torch.randperm`` and slicing): no
``DataLoader``, no per-row calls. The loop reports through ``on_epoch(record)``
and polls ``should_stop()`` every ``check_every`` batches; it never prints.
The records of a run (:class:`TrainConfig`, :class:`EpochRecord`,
:class:`TrainResult`) are defined in :mod:`core.training._records`.

Bad settings raise :class:`~core.errors.ConfigError`; a run that goes non-finite does not raise, it
returns with ``result.stopped == "non_finite"`` and ``result.message``.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np
import torch

from ..errors import ConfigError
from ..model import (
    ModelConfig,
    MultiTaskNet,
    make_model,
    make_weighting,
    masked_loss,
    task_losses,
)
from ._affinity import gradient_affinity
from ._features import Part, PreparedSplit, TargetSpec
from ._metrics import PRIMARY_METRIC, confusion, task_metrics, unreliable
from ._records import EpochRecord, TrainConfig, TrainResult

__all__ = ["train", "train_step", "StepResult", "LossScales"]

EVAL_CHUNK = 65_536


# --------------------------------------------------------------------------- the loop


@contextlib.contextmanager
def _seeded_threads(seed: int, threads: int | None) -> Iterator[None]:
    """Seed torch's generator (dropout, init) and set its thread count; both restored on exit."""
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            yield
    finally:
        torch.set_num_threads(before)


def _optimizer(params: list[torch.nn.Parameter], extra: list[torch.nn.Parameter], config: TrainConfig):
    groups = [{"params": params}, {"params": extra, "weight_decay": 0.0}]
    try:  # the fused CPU kernel saves ~20% of an epoch at small batches
        return torch.optim.AdamW(groups, lr=config.lr, weight_decay=config.weight_decay, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.AdamW(groups, lr=config.lr, weight_decay=config.weight_decay, foreach=True)


@torch.inference_mode()
def _predict(model: MultiTaskNet, x: torch.Tensor) -> dict[str, torch.Tensor]:
    model.eval()
    chunks = [model(x[start : start + EVAL_CHUNK]) for start in range(0, x.shape[0], EVAL_CHUNK)]
    if not chunks:
        chunks = [model(x)]
    return {name: torch.cat([chunk[name] for chunk in chunks]) for name in model.task_names}


def _part_losses(outputs: Mapping[str, torch.Tensor], part: Part, kinds: Mapping[str, str]) -> dict[str, float | None]:
    losses = {}
    for name, output in outputs.items():
        loss, count = masked_loss(kinds[name], output, part.y[name])
        losses[name] = float(loss) if int(count) > 0 and math.isfinite(float(loss)) else None
    return losses


def _total(losses: Mapping[str, float | None]) -> float | None:
    known = [v for v in losses.values() if v is not None]
    return float(sum(known)) if known else None


@dataclass
class _Epoch:
    """What one pass over the train rows produced."""

    train_loss: dict[str, float]
    stopped: str | None = None
    message: str | None = None
    gates: dict[str, list[float]] = field(default_factory=dict)


def _clip(model: MultiTaskNet, clip_norm: float | None) -> torch.Tensor:
    """Clip the gradient norm (when set) and return it, so a non-finite gradient is noticed too."""
    parameters = [p for p in model.parameters() if p.grad is not None]
    if not parameters:  # no task had a labelled entry in the batch
        return torch.zeros(())
    if clip_norm is None:
        return torch.stack([p.grad.norm() for p in parameters]).norm()
    return torch.nn.utils.clip_grad_norm_(parameters, clip_norm, foreach=True)


def _non_finite_message(losses: Mapping[str, torch.Tensor], epoch: int, batch: int, config: TrainConfig,
                        elsewhere: bool = False) -> str:
    bad = next((name for name, loss in losses.items() if not torch.isfinite(loss)), None)
    what = f"the loss of task '{bad}' became {float(losses[bad].detach())}" if bad else "the gradients became non-finite"
    if elsewhere:
        what = "another process's step became non-finite (every process of the run stops at the same step)"
    return (
        f"Training stopped at epoch {epoch}, batch {batch + 1}: {what}; lower the learning rate "
        f"(lr={config.lr}), keep gradient clipping on, or check the features for extreme values."
    )


@dataclass(kw_only=True)
class StepResult:
    """One training step: every task's loss (with its graph) and labelled count, the objective, the gradient norm.

    ``ok`` is False when the objective or the gradient was not finite (the optimiser did not step).
    """

    losses: dict[str, torch.Tensor]
    counts: dict[str, torch.Tensor]
    objective: torch.Tensor
    grad_norm: torch.Tensor
    ok: bool
    elsewhere: bool = False  # not ok because another process's step was not finite (data-parallel training)


# How the processes of a data-parallel run agree on a step: given this process's ``ok``, every process's
# (None: one process). Set by :func:`step_agreement`; read by :func:`train_step`.
_AGREEMENT: ContextVar[Callable[[bool], bool] | None] = ContextVar("step_agreement", default=None)


@contextlib.contextmanager
def step_agreement(agree: Callable[[bool], bool]) -> Iterator[None]:
    """While inside, :func:`train_step` steps only when ``agree(ok)`` is true: with ``agree`` a collective
    (every process's ``ok``, e.g. an all_reduce of a flag), a process whose step went non-finite stops every
    process at the same step instead of leaving the others waiting in the gradient all_reduce.

    Examples
    --------
    >>> with step_agreement(lambda ok: False):  # as if another process had gone non-finite
    ...     model = make_model(2, {"y": ("binary", 1)}, ModelConfig(width=4, depth=1))
    ...     weighting = make_weighting("equal", model.task_names, model=model)
    ...     step = train_step(model, weighting, torch.optim.SGD(model.parameters(), lr=0.1), torch.zeros(3, 2),
    ...                       {"y": torch.tensor([1.0, 0.0, 0.0])}, clip_norm=5.0)
    >>> step.ok, step.elsewhere
    (False, True)
    """
    token = _AGREEMENT.set(agree)
    try:
        yield
    finally:
        _AGREEMENT.reset(token)


class LossScales:
    """Each task's first-epoch mean train loss, for dividing the losses by it (``TrainConfig.normalize_losses``).

    During epoch 1 a task's scale is its running mean loss so far (this batch included);
    from epoch 2 on it is the epoch-1 mean, fixed. A task not labelled yet has scale 1.
    """

    def __init__(self, names: Sequence[str]):
        self.names = tuple(names)
        self.sums, self.counts = torch.zeros(len(self.names)), torch.zeros(len(self.names))
        self.frozen = False

    def divide(self, losses: Mapping[str, torch.Tensor], counts: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        if not self.frozen:
            for i, name in enumerate(self.names):
                if counts[name] > 0:
                    self.sums[i] += float(losses[name].detach()) * float(counts[name])
                    self.counts[i] += float(counts[name])
        scales = torch.where(self.counts > 0, self.sums / self.counts.clamp(min=1), torch.ones(len(self.names)))
        scales = scales.clamp(min=1e-8)
        return {name: losses[name] / scales[i] for i, name in enumerate(self.names)}

    def freeze(self) -> None:
        self.frozen = True


def train_step(model: MultiTaskNet, weighting, optimizer, x: torch.Tensor, y: Mapping[str, torch.Tensor], *,
               clip_norm: float | None, scales: LossScales | None = None) -> StepResult:
    """One optimiser step on one batch: loss per task -> the weighting's aggregated update -> clip -> step.

    ``weighting.backward`` turns the per-task losses into gradients (a weighted sum, or a
    gradient method's aggregate); the architecture's ``penalty()`` (soft sharing's coupling)
    adds its own. With ``scales`` each loss is divided by its task's first-epoch scale
    before it is combined (the returned losses stay unscaled, for the curves).
    A task with no labelled entry in the batch has loss 0 and adds no gradient.

    Examples
    --------
    >>> model = make_model(2, {"y": ("binary", 1)}, ModelConfig(width=4, depth=1))
    >>> weighting = make_weighting("equal", model.task_names, model=model)
    >>> step = train_step(model, weighting, torch.optim.SGD(model.parameters(), lr=0.1), torch.zeros(3, 2),
    ...                   {"y": torch.tensor([1.0, -1.0, 0.0])}, clip_norm=5.0)
    >>> step.ok, int(step.counts["y"])
    (True, 2)
    """
    outputs = model(x)  # {task: (B,) or (B, C)}
    losses, counts = task_losses(outputs, y, model.kinds)
    optimizer.zero_grad(set_to_none=True)
    combined = losses if scales is None else scales.divide(losses, counts)
    objective = weighting.backward(combined, counts)
    penalty = model.penalty()
    if penalty is not None:
        penalty.backward()
        objective = objective + penalty.detach()
    norm = _clip(model, clip_norm)
    mine = bool(torch.isfinite(objective) and torch.isfinite(norm))
    agree = _AGREEMENT.get()
    ok = mine if agree is None else agree(mine)
    if ok:
        optimizer.step()
        weighting.step()
    return StepResult(losses=losses, counts=counts, objective=objective, grad_norm=norm, ok=ok,
                      elsewhere=mine and not ok)


def _run_epoch(model, weighting, optimizer, data: Part, config: TrainConfig, generator, should_stop, epoch,
               scales: LossScales | None = None, on_batch=None) -> _Epoch:
    model.train()
    names = model.task_names
    n = len(data)
    order = torch.randperm(n, generator=generator)
    # One gather per epoch, then every batch is a contiguous slice (a view): cheaper than a gather per batch.
    x = data.x[order]  # (N, F)
    y = {name: data.y[name][order] for name in names}  # {task: (N,) or (N, L)}
    sums = torch.zeros(len(names))  # (T,) sum over batches of loss * labelled entries
    counts = torch.zeros(len(names))  # (T,) labelled entries seen
    stops = range(0, n - 1 if model.config.norm == "batch" and n % config.batch_size == 1 else n, config.batch_size)
    for batch, start in enumerate(stops):
        end = start + config.batch_size
        step = train_step(model, weighting, optimizer, x[start:end], {name: y[name][start:end] for name in names},
                          clip_norm=config.clip_norm, scales=scales)
        if not step.ok:
            return _Epoch({}, "non_finite", _non_finite_message(step.losses, epoch, batch, config, step.elsewhere))
        count = torch.stack([step.counts[name] for name in names])  # (T,)
        sums += torch.stack([step.losses[name].detach() for name in names]) * count
        counts += count
        if (batch + 1) % config.check_every == 0:
            if on_batch is not None:  # the epoch's train loss so far: a live page can draw it before the epoch ends
                so_far = (sums / counts.clamp(min=1)).tolist()
                on_batch(epoch, (batch + 1) / len(stops), dict(zip(names, so_far, strict=True)))
            if should_stop is not None and should_stop():
                return _Epoch({}, "caller", f"Stopped by the user during epoch {epoch}.")
    means = (sums / counts.clamp(min=1)).tolist()
    return _Epoch(dict(zip(names, means, strict=True)), gates=model.pop_gate_weights())


def _val_metrics(outputs, part: Part, targets: Sequence[TargetSpec]) -> dict[str, float | None]:
    if len(part) == 0:
        return {spec.name: None for spec in targets}
    return {
        spec.name: task_metrics(
            spec.kind, outputs[spec.name].numpy(), part.y[spec.name].numpy(),
            mean=spec.mean, std=spec.std, names=(PRIMARY_METRIC[spec.kind],),
        )[PRIMARY_METRIC[spec.kind]]
        for spec in targets
    }


def train(
    prepared: PreparedSplit,
    config: TrainConfig | None = None,
    model_config: ModelConfig | None = None,
    *,
    tasks: Sequence[str] | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_batch: Callable[[int, float, dict[str, float]], None] | None = None,
) -> TrainResult:
    """Train a shared-trunk model on ``prepared`` (all its tasks, or those named in ``tasks``).

    After every epoch ``on_epoch(record)`` is called; ``should_stop()`` is polled
    every ``config.check_every`` batches and after every epoch, and at the same
    batches ``on_batch(epoch, share of the epoch done, {task: train loss so far})``
    is called (a live page draws the epoch before it ends). Early stopping
    watches the unweighted sum of val losses; the best epoch's weights are kept.
    A non-finite loss ends the run with ``stopped="non_finite"`` and a message;
    the history so far is kept.

    Examples
    --------
    >>> import pandas as pd
    >>> from core.tasks import Task
    >>> from core.training import prepare_split
    >>> frame = pd.DataFrame({"x": np.arange(40.0), "y": np.arange(40) % 2})
    >>> prepared = prepare_split(frame, [Task("y", ("y",), "binary")], ["train"] * 30 + ["val"] * 5 + ["test"] * 5)
    >>> result = train(prepared, TrainConfig(epochs=2, batch_size=8))
    >>> [r.epoch for r in result.history], sorted(result.test["y"])
    ([1, 2], ['accuracy', 'macro_f1', 'roc_auc'])
    """
    config, model_config = config or TrainConfig(), model_config or ModelConfig()
    targets = tuple(spec for spec in prepared.targets if tasks is None or spec.name in set(tasks))
    if not targets:
        raise ConfigError(f"tasks={list(tasks or [])} names none of the prepared tasks; pick some of them.")
    with _seeded_threads(config.seed, config.num_threads):
        model = make_model(prepared.n_features, {s.name: (s.kind, s.output_size) for s in targets}, model_config,
                           all_tasks=tuple(spec.name for spec in prepared.targets))
        names = model.task_names
        weighting = make_weighting(
            config.weighting, names, model=model, manual=dict(config.weights),
            alpha=config.gradnorm_alpha, temperature=config.dwa_temperature,
        )
        optimizer = _optimizer(list(model.parameters()), weighting.objective_parameters(), config)
        generator = torch.Generator().manual_seed(config.seed)
        scales = LossScales(names) if config.normalize_losses else None
        history, best, stopped, message = [], None, "completed", None
        best_state, since_best = None, 0
        for epoch in range(1, config.epochs + 1):
            start = time.perf_counter()
            outcome = _run_epoch(model, weighting, optimizer, prepared.train, config, generator, should_stop, epoch,
                                 scales, on_batch)
            if scales is not None:
                scales.freeze()
            if outcome.stopped:
                stopped, message = outcome.stopped, outcome.message
                break
            weighting.end_epoch(outcome.train_loss)
            outputs = _predict(model, prepared.val.x)
            val_loss = _part_losses(outputs, prepared.val, model.kinds)
            record = EpochRecord(
                epoch=epoch, seconds=time.perf_counter() - start, train_loss=outcome.train_loss, val_loss=val_loss,
                val_metric=_val_metrics(outputs, prepared.val, targets), weights=weighting.weights(),
                train_total=float(sum(outcome.train_loss.values())), val_total=_total(val_loss), gates=outcome.gates,
                affinity=gradient_affinity(model, prepared.train, batch_size=config.batch_size,
                                           batches=config.affinity_batches, seed=config.seed + epoch),
            )
            history.append(record)
            if on_epoch is not None:
                on_epoch(record)
            monitored = record.val_total if record.val_total is not None else record.train_total
            if best is None or monitored < best[1]:
                best, since_best = (epoch, monitored), 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                since_best += 1
            if config.patience is not None and len(prepared.val) and since_best >= config.patience:
                stopped = "early_stopping"
                message = f"Early stopping at epoch {epoch}: no better val loss for {config.patience} epochs."
                break
            if should_stop is not None and should_stop():
                stopped, message = "caller", f"Stopped by the user after epoch {epoch}."
                break
        last_val = outputs if history and history[-1].epoch == epoch else None  # val outputs of the final weights
        if config.restore_best and best_state is not None and best[0] != epoch:
            model.load_state_dict(best_state)
            last_val = None
        val, _, _ = _evaluate(model, prepared.val, targets, last_val)
        test_outputs = _predict(model, prepared.test.x)
        test, confusions, notes = _evaluate(model, prepared.test, targets, test_outputs, judge=True)
    return TrainResult(
        history=tuple(history), val=val, test=test, confusion=confusions, targets=targets, config=config,
        model_config=model_config, feature_config=prepared.config, feature_columns=prepared.feature_columns,
        test_fold=prepared.test_fold, best_epoch=best[0] if best else None, stopped=stopped, message=message, model=model,
        test_notes=notes, test_outputs={spec.name: test_outputs[spec.name].numpy() for spec in targets},
        test_targets={spec.name: prepared.test.y[spec.name].numpy() for spec in targets},
    )


def _evaluate(model: MultiTaskNet, part: Part, targets: Sequence[TargetSpec], outputs=None, *,
              judge: bool = False):
    """All metrics of every task on ``part``, the confusion matrices of classification tasks, and notes.

    ``outputs``: the model's outputs on ``part`` when already at hand (the last epoch's val pass).
    ``judge``: a task whose rows cannot judge it (:func:`core.training.unreliable`) gets None for
    every metric and a note saying why (test: 2 rows would otherwise show accuracy 1.000).
    """
    outputs = _predict(model, part.x) if outputs is None else outputs
    metrics, confusions, notes = {}, {}, {}
    for spec in targets:
        output, target = outputs[spec.name].numpy(), part.y[spec.name].numpy()
        metrics[spec.name] = task_metrics(spec.kind, output, target, mean=spec.mean, std=spec.std)
        reason = unreliable(spec.kind, target) if judge and len(part) else None
        if reason:
            metrics[spec.name], notes[spec.name] = dict.fromkeys(metrics[spec.name]), reason
        if spec.kind != "regression" and np.isfinite(output).all():
            confusions[spec.name] = confusion(spec.name, spec.kind, spec.classes, output, target)
    return metrics, confusions, notes
