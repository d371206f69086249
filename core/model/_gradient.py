"""Gradient methods: combine the tasks' gradients, not their losses (multi-objective / Pareto descent).

Each method looks at the tasks' gradients on the shared parameters (the Jacobian, one
row per task with a labelled entry in the batch) and picks one update from them, with
torchjd's aggregators (Quinton & Rey 2024):

- ``upgrad``: UPGrad (torchjd's own): each task's gradient projected onto the dual cone of all of them, averaged.
- ``pcgrad``: PCGrad (Yu et al. 2020): conflicting gradients projected onto each other's normal plane.
- ``cagrad``: CAGrad (Liu et al. 2021): the update that maximises the worst task's improvement within a
  ball of radius ``c * ||g_0||`` around the mean gradient. torchjd solves its small convex problem with
  cvxpy (a package of eight compiled dependencies, and ~30 ms per solve, 230 solves per flights epoch);
  :class:`CAGradWeighting` solves the same problem with scipy's SLSQP, as the CAGrad authors' own code does,
  and plugs into torchjd's aggregator. tests/test_gradient_methods.py checks it against torchjd's to 1e-6.
- ``mgda``: MGDA-UB (Sener & Koltun 2018): the min-norm convex combination (torchjd's MGDA weighting,
  Frank-Wolfe) of the tasks' gradients on the shared *representation* (the last features every task
  reads) rather than on the shared parameters: the upper bound that costs one extra backward through
  the heads only. The update is then ``sum_i w_i L_i``.

Parameters the tasks do not share (heads, MMoE gates) get the plain sum of their tasks' gradients,
as in torchjd's ``mtl_backward``. A task with no labelled entry in a batch has no row (a zero row
would make MGDA's min-norm point 0 and stop learning).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from scipy.optimize import minimize
from torchjd.aggregation import MGDAWeighting, PCGrad, UPGrad
from torchjd.aggregation._aggregator_bases import GramianWeightedAggregator
from torchjd.aggregation._weighting_bases import Weighting

from ._network import MultiTaskNet
from ._weighting import LossWeighting

__all__ = ["GradientMethod", "MGDAUpperBound", "CAGradWeighting", "make_gradient_method"]

CAGRAD_C = 0.4  # the CAGrad paper's value for multi-task supervised learning (NYUv2, Cityscapes)


class CAGradWeighting(Weighting):
    """CAGrad's weights from the Gramian ``G = J J^T``, as torchjd's ``CAGradWeighting`` but solved with scipy.

    With ``G`` normalised (divided by its trace-based norm, as torchjd does), ``g_0`` the mean
    gradient and ``phi = c ||g_0||``, find ``w`` on the simplex minimising
    ``g_w . g_0 + phi ||g_w||`` (``g_w = J^T w``); the weights are ``1/m + phi w / ||g_w||``.

    Examples
    --------
    >>> weights = CAGradWeighting(0.5)(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    >>> [round(w, 4) for w in weights.tolist()]
    [0.75, 0.75]
    """

    def __init__(self, c: float = CAGRAD_C, norm_eps: float = 1e-4):
        super().__init__()
        self.c, self.norm_eps = c, norm_eps
        self._start: np.ndarray | None = None  # the last solution: consecutive batches' problems are alike

    def forward(self, gramian: torch.Tensor, /) -> torch.Tensor:
        from torchjd._linalg import normalize  # the same normalisation as torchjd's CAGrad

        G = normalize(gramian, self.norm_eps).detach().cpu().double().numpy()  # (m, m)
        m = G.shape[0]
        mean = np.full(m, 1.0 / m)
        phi = self.c * float(np.sqrt(max(mean @ G @ mean, 0.0)))  # c ||g_0||

        def objective(w):  # g_w . g_0 + phi ||g_w||, all through G
            return float(w @ G @ mean + phi * np.sqrt(max(w @ G @ w, 0.0) + 1e-16))

        start = self._start if self._start is not None and len(self._start) == m else mean
        found = minimize(objective, start, method="SLSQP", bounds=[(0.0, 1.0)] * m,
                         constraints=({"type": "eq", "fun": lambda w: w.sum() - 1.0},),
                         options={"ftol": 1e-14, "maxiter": 500})
        w = np.clip(found.x, 0.0, None)
        self._start = w / w.sum() if w.sum() > 0 else None
        norm = float(np.sqrt(max(w @ G @ w, 0.0)))
        weights = mean + (phi / norm) * w if norm >= self.norm_eps else np.zeros(m)
        return torch.as_tensor(weights, dtype=gramian.dtype, device=gramian.device)


class CAGrad(GramianWeightedAggregator):
    """torchjd's CAGrad aggregator with :class:`CAGradWeighting` (scipy) in place of cvxpy."""

    def __init__(self, c: float = CAGRAD_C):
        super().__init__(CAGradWeighting(c))


class GradientMethod(LossWeighting):
    """Jacobian descent on the shared parameters with a torchjd aggregator; the task-specific ones get summed gradients.

    The weights shown per epoch are the mean, over the batches where the task had a
    labelled entry, of the weight the aggregator gave its gradient.
    """

    def __init__(self, names: Sequence[str], model: MultiTaskNet, aggregator):
        super().__init__(names)
        self.aggregator = aggregator
        self._shared = list(model.shared_parameters())  # plain lists: the model registers these already
        shared = {id(p) for p in self._shared}
        self._specific = [p for p in model.parameters() if id(p) not in shared]
        self.register_buffer("_weight_sum", torch.zeros(len(self.names)))
        self.register_buffer("_batches", torch.zeros(len(self.names)))

    def backward(self, losses: Mapping[str, torch.Tensor], counts: Mapping[str, torch.Tensor]) -> torch.Tensor:
        present = [i for i, name in enumerate(self.names) if counts[name] > 0]
        total = torch.zeros(())
        if present:
            chosen = [losses[self.names[i]] for i in present]
            total = torch.stack(chosen).sum()
            weights = self._aggregate(chosen, total)
            self._weight_sum[present] += weights.detach().to(self._weight_sum.dtype)
            self._batches[present] += 1
        for parameter in (*self._shared, *self._specific):  # an unlabelled task's head: a zero gradient, as the
            if parameter.grad is None and parameter.requires_grad:  # loss weightings give it (and DDP's one
                parameter.grad = torch.zeros_like(parameter)  # all_reduce needs the same gradients on every rank)
        return total.detach()

    def _aggregate(self, chosen: list[torch.Tensor], total: torch.Tensor) -> torch.Tensor:
        """Fill the gradients from the tasks' losses ``chosen``; return the weight given to each.

        The Jacobian is built one task's backward at a time: here that measured 4.5 ms a batch
        against 20 ms for torchjd's vmapped ``autojac.backward`` (flights' trunk, 3 tasks, 1 thread).
        """
        rows = []
        for loss in chosen:  # (k, P): each task's gradient on the shared parameters
            grads = torch.autograd.grad(loss, self._shared, retain_graph=True, allow_unused=True)
            rows.append(torch.cat([torch.zeros(p.numel()) if g is None else g.reshape(-1)
                                   for p, g in zip(self._shared, grads, strict=True)]))
        jacobian = torch.stack(rows)
        weights = self.aggregator.weighting(jacobian)  # (k,) from the Gramian J J^T
        update = weights @ jacobian  # (P,)
        for parameter, piece in zip(self._shared, update.split([p.numel() for p in self._shared]), strict=True):
            parameter.grad = piece.reshape(parameter.shape).clone()
        if self._specific:  # heads and gates: the plain sum of their tasks' gradients
            torch.autograd.backward(total, inputs=self._specific)
        return weights

    def end_epoch(self, train_loss: Mapping[str, float]) -> None:
        seen = self._batches > 0
        self.fixed[seen] = self._weight_sum[seen] / self._batches[seen]
        self._weight_sum.zero_()
        self._batches.zero_()


class MGDAUpperBound(GradientMethod):
    """MGDA-UB: min-norm weights from the tasks' gradients on the shared representation, then ``sum w_i L_i``."""

    def __init__(self, names: Sequence[str], model: MultiTaskNet):
        super().__init__(names, model, None)
        self.model = [model]  # a list: not a submodule of the weighting
        self.weighting = MGDAWeighting()

    def _aggregate(self, chosen: list[torch.Tensor], total: torch.Tensor) -> torch.Tensor:
        features = self.model[0].shared_features
        rows = []
        for loss in chosen:  # (k, D): each task's gradient on the representation, through its head only
            grads = torch.autograd.grad(loss, features, retain_graph=True, allow_unused=True)
            rows.append(torch.cat([torch.zeros(f.numel()) if g is None else g.reshape(-1)
                                   for f, g in zip(features, grads, strict=True)]))
        jacobian = torch.stack(rows)
        weights = self.weighting(jacobian @ jacobian.T).detach()  # (k,)
        (weights * torch.stack(chosen)).sum().backward()
        return weights


def make_gradient_method(strategy: str, names: Sequence[str], model: MultiTaskNet) -> GradientMethod:
    """The gradient method ``strategy`` (one of :data:`GRADIENT_METHODS`) for ``model``'s tasks ``names``."""
    if strategy == "mgda":
        return MGDAUpperBound(names, model)
    aggregator = {"pcgrad": PCGrad, "cagrad": CAGrad, "upgrad": UPGrad}[strategy]()
    return GradientMethod(names, model, aggregator)
