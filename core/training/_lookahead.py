"""The lookahead inter-task affinity of Fifty et al. 2021 (TAG): how a step on one task's loss moves another's.

``Z[i][j] = 1 - L_j(x, theta_s - lr * grad_s L_i) / L_j(x, theta_s)``: take one step on task ``i``'s
loss alone, on the shared parameters ``theta_s`` only, and see by what share task ``j``'s loss on
the same batch fell (positive: ``i`` helps ``j``) or rose (negative). Averaged over the measured
steps of a short training run.

The run: a fresh shared-trunk model (the hard design, whatever the caller's architecture: TAG is
defined on a shared trunk) trained with equal weights for ``epochs`` epochs with the caller's
:class:`~core.training.TrainConfig` otherwise (batch size, lr, seed, clipping); every ``every``-th
batch is measured before its optimiser step. The lookahead is a plain gradient step of size
``lookahead_lr`` (Fifty et al. take the optimiser's own step; a fixed SGD step keeps the measure free
of Adam's state, and only the signs and the ranking of the pairs are read from it). A task without a
labelled row in a batch is skipped in that batch, as source and as target. Written by hand: no
maintained library computes TAG (the authors' code is a TensorFlow research script).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch.func import functional_call

from ..errors import ConfigError
from ..model import ModelConfig, SharedTrunkModel, task_losses
from ._affinity import Affinity, affinity_frame, affinity_matrix, shared_parameters
from ._features import PreparedSplit
from ._records import TrainConfig

__all__ = ["LOOKAHEAD_EPOCHS", "LOOKAHEAD_EVERY", "LOOKAHEAD_LR", "LookaheadAffinity", "lookahead_affinity",
           "lookahead_step"]

LOOKAHEAD_EPOCHS = 2  # a short run: Fifty et al. find the affinities settle early in training
LOOKAHEAD_EVERY = 5  # measure every 5th batch
LOOKAHEAD_STEPS = 30  # a small train part runs more epochs (and is measured more often) to reach this many steps
LOOKAHEAD_LR = 0.1  # the lookahead's SGD step on the shared parameters


@dataclass(frozen=True, kw_only=True)
class LookaheadAffinity:
    """``affinity[i][j]``: the mean share by which a step on task ``i`` lowered task ``j``'s loss (None: never measured).

    Not symmetric. ``steps`` is how many batches were measured; ``stopped`` is True when the caller stopped the run.
    """

    affinity: Affinity
    steps: int
    epochs: int
    lookahead_lr: float
    stopped: bool = False

    def to_frame(self) -> pd.DataFrame:
        """Tidy cells: ``task`` (the one stepped on), ``other`` (the one whose loss is read), ``value``."""
        return affinity_frame(self.affinity)


def lookahead_step(model: torch.nn.Module, x: torch.Tensor, y, lookahead_lr: float) -> tuple[np.ndarray, np.ndarray]:
    """One batch's ``Z`` as ``(T, T)`` sums and counts (0/1) in ``model.task_names`` order; ``.grad`` untouched.

    Examples
    --------
    >>> model = SharedTrunkModel(1, {"a": ("regression", 1), "b": ("regression", 1)})
    >>> _ = model.heads[1].load_state_dict(model.heads[0].state_dict())  # task b is task a
    >>> x = torch.linspace(-1, 1, 16)[:, None]
    >>> z, seen = lookahead_step(model, x, {"a": x[:, 0], "b": x[:, 0]}, 0.1)  # the same targets
    >>> bool(z[0, 1] > 0), seen.tolist()
    (True, [[1.0, 1.0], [1.0, 1.0]])
    """
    names = list(model.task_names)
    named = {id(p): name for name, p in model.named_parameters()}
    params = shared_parameters(model)
    sums, counts = np.zeros((len(names), len(names))), np.zeros((len(names), len(names)))
    was_training = model.training
    model.eval()  # before and after read alike: no dropout, batch norm's running statistics left as they are
    try:
        return _lookahead(model, x, y, lookahead_lr, names, named, params, sums, counts)
    finally:
        model.train(was_training)


def _lookahead(model, x, y, lookahead_lr, names, named, params, sums, counts) -> tuple[np.ndarray, np.ndarray]:
    with torch.enable_grad():
        losses, labelled = task_losses(model(x), y, model.kinds)
    present = [i for i, t in enumerate(names) if int(labelled[t]) > 0]
    before = {t: float(losses[t].detach()) for t in names}
    for i in present:
        grads = torch.autograd.grad(losses[names[i]], params, retain_graph=True, allow_unused=True)
        stepped = {named[id(p)]: p.detach() - lookahead_lr * g for p, g in zip(params, grads, strict=True)
                   if g is not None}
        with torch.no_grad():
            after, _ = task_losses(functional_call(model, stepped, (x,)), y, model.kinds)
        for j in present:
            base = before[names[j]]
            if base > 0 and math.isfinite(base) and math.isfinite(float(after[names[j]])):
                sums[i, j] += 1.0 - float(after[names[j]]) / base
                counts[i, j] += 1
    return sums, counts


def lookahead_affinity(
    prepared: PreparedSplit,
    config: TrainConfig | None = None,
    model_config: ModelConfig | None = None,
    *,
    tasks: Sequence[str] | None = None,
    epochs: int | None = None,
    every: int | None = None,
    lookahead_lr: float = LOOKAHEAD_LR,
    should_stop: Callable[[], bool] | None = None,
    on_step: Callable[[int, int], None] | None = None,
) -> LookaheadAffinity:
    """The lookahead inter-task affinity (TAG, Fifty et al. 2021) over a short equal-weighted run; see the module.

    ``on_step(done, total)`` reports progress in batches; ``should_stop()`` is polled every batch.
    ``epochs`` defaults to :data:`LOOKAHEAD_EPOCHS`, or more on a small train part, to reach
    :data:`LOOKAHEAD_STEPS` batches; ``every`` to every :data:`LOOKAHEAD_EVERY`-th batch, or every batch when
    that would measure fewer than :data:`LOOKAHEAD_STEPS` of them.

    Examples
    --------
    >>> frame = pd.DataFrame({"x": np.arange(40.0), "y": np.arange(40) % 2, "z": np.arange(40.0)})
    >>> from core.tasks import Task
    >>> from core.training import prepare_split
    >>> tasks = [Task("y", ("y",), "binary"), Task("z", ("z",), "regression")]
    >>> prepared = prepare_split(frame, tasks, ["train"] * 30 + ["val"] * 5 + ["test"] * 5)
    >>> tag = lookahead_affinity(prepared, TrainConfig(batch_size=8), epochs=1, every=1)
    >>> tag.steps, sorted(tag.affinity)
    (4, ['y', 'z'])
    """
    config, model_config = config or TrainConfig(), model_config or ModelConfig()
    batches = math.ceil(len(prepared.train) / config.batch_size)
    epochs = epochs if epochs is not None else max(LOOKAHEAD_EPOCHS, math.ceil(LOOKAHEAD_STEPS / max(batches, 1)))
    every = every if every is not None else (LOOKAHEAD_EVERY if epochs * batches >= LOOKAHEAD_EVERY * LOOKAHEAD_STEPS
                                             else 1)
    if epochs < 1 or every < 1 or not lookahead_lr > 0:
        raise ConfigError(f"epochs={epochs}, every={every}, lookahead_lr={lookahead_lr}: each must be positive; "
                          f"use epochs={LOOKAHEAD_EPOCHS}, every={LOOKAHEAD_EVERY}, lookahead_lr={LOOKAHEAD_LR}.")
    targets = [s for s in prepared.targets if tasks is None or s.name in set(tasks)]
    if len(targets) < 2:
        raise ConfigError(f"Lookahead affinity needs at least two tasks; {len(targets)} given. Add a task.")
    threads = torch.get_num_threads()
    if config.num_threads is not None:  # one thread by default, as train() does: far faster on a shared machine
        torch.set_num_threads(config.num_threads)
    try:
        return _run(prepared, config, model_config, targets, epochs, every, lookahead_lr, should_stop, on_step)
    finally:
        torch.set_num_threads(threads)


def _run(prepared, config, model_config, targets, epochs, every, lookahead_lr, should_stop, on_step):
    """The short equal-weighted run, measuring every ``every``-th batch (see :func:`lookahead_affinity`)."""
    data = prepared.train
    n, size = len(data), config.batch_size
    batches = math.ceil(n / size)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = SharedTrunkModel(prepared.n_features, {s.name: (s.kind, s.output_size) for s in targets},
                                 ModelConfig(width=model_config.width, depth=model_config.depth,
                                             dropout=model_config.dropout, norm=model_config.norm))
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        generator = torch.Generator().manual_seed(config.seed)
        names = list(model.task_names)
        sums, counts = np.zeros((len(names), len(names))), np.zeros((len(names), len(names)))
        steps, stopped, done = 0, False, 0
        for _ in range(epochs):
            order = torch.randperm(n, generator=generator)
            for batch in range(batches):
                if should_stop is not None and should_stop():
                    stopped = True
                    break
                rows = order[batch * size : (batch + 1) * size]
                if model.config.norm == "batch" and len(rows) < 2:
                    continue
                x, y = data.x[rows], {t: data.y[t][rows] for t in names}
                model.train()
                if done % every == 0:
                    z, seen = lookahead_step(model, x, y, lookahead_lr)
                    sums, counts, steps = sums + z, counts + seen, steps + 1
                losses, _ = task_losses(model(x), y, model.kinds)
                optimizer.zero_grad(set_to_none=True)
                torch.stack(list(losses.values())).sum().backward()
                if config.clip_norm is not None:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm)
                optimizer.step()
                done += 1
                if on_step is not None:
                    on_step(done, epochs * batches)
            if stopped:
                break
    return LookaheadAffinity(affinity=affinity_matrix(names, sums, counts), steps=steps, epochs=epochs,
                             lookahead_lr=lookahead_lr, stopped=stopped)
