"""Task affinity while a model trains: the pairwise cosine of the tasks' gradients on the shared parameters.

Two tasks whose gradients on the shared trunk point the same way help each other's steps (cosine
near +1); opposed gradients (cosine below 0) pull the trunk apart (Yu et al. 2020 call this
gradient conflict). :func:`gradient_affinity` measures it once per epoch; :func:`core.training.train`
stores the matrix in each :class:`~core.training.EpochRecord` (``affinity``) and the metrics file
carries the last epoch's. The lookahead affinity of Fifty et al. 2021 is in
:mod:`core.training._lookahead`, the grouping built on either in :mod:`core.training._grouping`.

Sampling: computing every task's gradient on every batch would cost one extra backward pass per
task per batch. Instead, at the end of each epoch, ``batches`` batches of ``batch_size`` train rows
are drawn without replacement by a generator seeded with ``seed + epoch`` (its own generator: the
training order and weights are the same with the measurement on or off), the model is put in eval
mode (no dropout, batch norm reads its running statistics and does not update them), and each
task's gradient of its masked mean loss is taken with :func:`torch.autograd.grad` (``.grad`` is not
touched). Per batch, a task without a labelled row is skipped for that batch (not counted as a zero
gradient); the cosine of a pair is averaged over the batches where both tasks had labels and
gradients that share a nonzero coordinate (two tasks whose gradients never touch the same parameter
have no measured cosine rather than a structural 0). A pair never measured is None.

What is compared (:func:`comparable_parameters`): the shared parameters, on the ones both tasks of a
pair reach (a hierarchical model's shallow head does not reach the deeper blocks: the cosine of that
pair is taken on the blocks below it, not diluted by the blocks only one task moves). Soft sharing
has no parameter two tasks share (a trunk per task): its tasks are compared on the corresponding
weights of their trunks, each task's gradient on its own trunk (the trunks start equal and the
coupling keeps them close, so a weight plays the same role in every trunk).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from ..model import StackedMLP, task_losses
from ._features import Part

__all__ = ["AFFINITY_BATCHES", "gradient_affinity", "shared_parameters", "affinity_matrix", "affinity_frame",
           "cosine_rows", "comparable_parameters"]

AFFINITY_BATCHES = 4  # batches per epoch on which the gradient cosine is measured (~1% of a flights epoch)

Affinity = dict[str, dict[str, float | None]]


def shared_parameters(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    """The parameters every task's loss reaches: ``model.shared_parameters()`` when the model says, else all but heads."""
    if hasattr(model, "shared_parameters"):
        return [p for p in model.shared_parameters() if p.requires_grad]
    return [p for name, p in model.named_parameters() if p.requires_grad and not name.startswith("heads.")]


def comparable_parameters(model: torch.nn.Module) -> tuple[list[torch.nn.Parameter], bool]:
    """The parameters the tasks' gradients are compared on, and whether they are stacked one copy per task.

    Soft sharing's trunks (a :class:`~core.model.StackedMLP` with a copy per task) share no parameter:
    their weights and biases are returned, stacked (``(tasks, ...)``), to be compared copy against copy.
    Any other model: :func:`shared_parameters`, not stacked.

    Examples
    --------
    >>> from core.model import ModelConfig, make_model
    >>> heads = {"a": ("regression", 1), "b": ("regression", 1)}
    >>> params, stacked = comparable_parameters(make_model(3, heads, ModelConfig(architecture="soft", depth=2)))
    >>> len(params), stacked, tuple(params[0].shape)
    (4, True, (2, 128, 3))
    """
    trunks = getattr(model, "trunks", None)
    if isinstance(trunks, StackedMLP) and trunks.copies == len(model.task_names):
        return [p for p in (*trunks.weights, *trunks.biases) if p.requires_grad], True
    return shared_parameters(model), False


def cosine_rows(grads: torch.Tensor, reached: torch.Tensor | None = None) -> torch.Tensor:
    """``(k, k)`` cosine of every pair of rows of ``(k, P)`` gradients; NaN where a row is zero or two rows share
    no nonzero coordinate (their cosine is 0 by construction, not by measurement).

    ``reached`` (``(k, P)``, true where row ``i``'s task reaches the coordinate at all) restricts each
    pair's norms to the coordinates both reach; None: every task reaches every coordinate.

    Examples
    --------
    >>> cosine_rows(torch.tensor([[1.0, 0.0], [-2.0, 0.0], [0.0, 0.0]]))[0].tolist()[:2]
    [1.0, -1.0]
    >>> cosine_rows(torch.tensor([[1.0, 0.0], [0.0, 3.0]]))[0, 1].isnan().item()  # disjoint: unmeasured
    True
    >>> reached = torch.tensor([[True, False], [True, True]])  # the first task cannot reach the second coordinate
    >>> cosine_rows(torch.tensor([[1.0, 0.0], [2.0, 5.0]]), reached)[0, 1].item()
    1.0
    """
    tiny = torch.finfo(grads.dtype).tiny
    if reached is None:
        norms = grads.norm(dim=1)  # (k,)
        unit = grads / norms.clamp(min=tiny)[:, None]  # (k, P)
        cosine = (unit @ unit.T).clamp(-1.0, 1.0)  # (k, k)
    else:
        squares = grads.pow(2) @ reached.to(grads.dtype).T  # (k, k): [i, j] = |g_i|^2 on the coordinates j reaches
        cosine = ((grads @ grads.T) / (squares * squares.T).sqrt().clamp(min=tiny)).clamp(-1.0, 1.0)
    support = (grads != 0).to(grads.dtype)  # (k, P)
    shared = (support @ support.T) > 0  # (k, k) pairs with a coordinate both gradients move
    return cosine.masked_fill(~shared, float("nan"))


def task_gradients(model: torch.nn.Module, x: torch.Tensor, y: Mapping[str, torch.Tensor],
                   params: Sequence[torch.nn.Parameter], *, stacked: bool = False
                   ) -> tuple[list[str], torch.Tensor, torch.Tensor | None]:
    """The tasks labelled in this batch, their gradients on ``params`` flattened ``(k, P)``, and where each reaches.

    ``stacked``: the parameters hold a copy per task (first axis); each gradient is summed over the
    copies, which is its own copy's (a task's loss reaches only its copy). The third value is
    ``(k, P)``, true where the task's loss reaches the parameter, or None when every task reaches all.
    """
    with torch.enable_grad():
        outputs = model(x)  # {task: (B,) or (B, C)}
        losses, counts = task_losses(outputs, y, model.kinds)
        names, rows, reach = [], [], []
        shapes = [p[0] if stacked else p for p in params]
        for name in model.task_names:
            if int(counts[name]) == 0:
                continue  # no label in this batch: skipped, not a zero gradient
            grads = torch.autograd.grad(losses[name], params, retain_graph=True, allow_unused=True)
            grads = [g.sum(0) if stacked and g is not None else g for g in grads]
            rows.append(torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1)
                                   for g, p in zip(grads, shapes, strict=True)]))
            reach.append(torch.cat([torch.full((p.numel(),), g is not None) for g, p in zip(grads, shapes, strict=True)]))
            names.append(name)
    if not rows:
        return names, torch.zeros(0, 0), None
    reached = torch.stack(reach)
    return names, torch.stack(rows), None if bool(reached.all()) else reached


def gradient_affinity(model: torch.nn.Module, part: Part, *, batch_size: int, batches: int = AFFINITY_BATCHES,
                      seed: int = 0) -> Affinity:
    """Mean pairwise cosine of the tasks' gradients on the shared parameters (soft sharing: on the corresponding
    trunk weights), over ``batches`` sampled batches.

    See the module's docstring for the sampling. Returns ``{task: {task: cosine or None}}`` over
    ``model.task_names`` (symmetric, 1 on the diagonal of a task measured at least once); ``{}``
    when ``batches`` is 0, the part is empty, or the model has no shared parameter.

    Examples
    --------
    >>> from core.model import SharedTrunkModel
    >>> model = SharedTrunkModel(2, {"a": ("regression", 1), "b": ("regression", 1)})
    >>> model.heads[1].load_state_dict(model.heads[0].state_dict())  # the same head and targets: the same gradient
    <All keys matched successfully>
    >>> part = Part(rows=np.arange(8), x=torch.randn(8, 2), y={"a": torch.ones(8), "b": torch.ones(8)})
    >>> round(gradient_affinity(model, part, batch_size=4)["a"]["b"], 6)
    1.0
    """
    names, (params, stacked) = list(model.task_names), comparable_parameters(model)
    n = len(part)
    if batches <= 0 or n == 0 or not params:
        return {}
    sums, counts = np.zeros((len(names), len(names))), np.zeros((len(names), len(names)))
    generator = torch.Generator().manual_seed(int(seed))
    order = torch.randperm(n, generator=generator)[: batches * batch_size]
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            labelled, grads, reached = task_gradients(model, part.x[rows], {t: part.y[t][rows] for t in names},
                                                      params, stacked=stacked)
            if not labelled:
                continue
            cosine = cosine_rows(grads.double(), reached).numpy()
            where = np.array([names.index(t) for t in labelled])
            known = np.isfinite(cosine)
            sums[np.ix_(where, where)] += np.where(known, cosine, 0.0)
            counts[np.ix_(where, where)] += known
    finally:
        model.train(was_training)
    return affinity_matrix(names, sums, counts)


def affinity_matrix(names: Sequence[str], sums: np.ndarray, counts: np.ndarray) -> Affinity:
    """``{task: {task: sums/counts or None}}``: a mean per pair, None where nothing was measured."""
    return {a: {b: (float(sums[i, j] / counts[i, j]) if counts[i, j] else None) for j, b in enumerate(names)}
            for i, a in enumerate(names)}


def affinity_frame(affinity: Mapping[str, Mapping[str, float | None]]) -> pd.DataFrame:
    """Tidy cells of an affinity matrix: ``task``, ``other``, ``value`` (NaN where unmeasured), in task order.

    Examples
    --------
    >>> affinity_frame({"a": {"a": 1.0, "b": -0.5}, "b": {"a": -0.5, "b": 1.0}})["value"].tolist()
    [1.0, -0.5, -0.5, 1.0]
    """
    rows = [(task, other, np.nan if value is None else float(value))
            for task, row in affinity.items() for other, value in row.items()]
    return pd.DataFrame(rows, columns=["task", "other", "value"])
