"""Loss weighting: how the per-task losses combine into one objective.

:func:`make_weighting` builds the strategy: equal, manual, uncertainty (Kendall et al. 2018),
GradNorm (Chen et al. 2018) or DWA (Liu et al. 2019), or one of the gradient methods
(mgda, pcgrad, cagrad, upgrad: :mod:`core.model._gradient`). A new weighting is a
:class:`LossWeighting` subclass here, a name in :data:`WEIGHTINGS` and a branch of
:func:`make_weighting`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from torch import nn

from ..errors import ConfigError
from ._network import MultiTaskNet

__all__ = ["WEIGHTINGS", "LOSS_WEIGHTINGS", "GRADIENT_METHODS", "LossWeighting", "make_weighting"]

LOSS_WEIGHTINGS = ("equal", "manual", "uncertainty", "gradnorm", "dwa")
GRADIENT_METHODS = ("mgda", "pcgrad", "cagrad", "upgrad")  # built in core.model._gradient
WEIGHTINGS = LOSS_WEIGHTINGS + GRADIENT_METHODS


class LossWeighting(nn.Module):
    """Equal or fixed weights: the objective is ``sum_i w_i * L_i``.

    Subclasses change how the weights move. ``backward`` computes the objective
    and its gradients; ``step`` runs after the optimiser step; ``end_epoch``
    receives the epoch's mean train losses.
    """

    def __init__(self, names: Sequence[str], weights: Sequence[float] | None = None):
        super().__init__()
        self.names = tuple(names)
        fixed = torch.ones(len(self.names)) if weights is None else torch.as_tensor(weights, dtype=torch.float32)
        self.register_buffer("fixed", fixed)

    def current(self) -> torch.Tensor:
        """``(T,)`` weights in task order."""
        return self.fixed

    def objective_parameters(self) -> list[nn.Parameter]:
        """Parameters the main optimiser trains along with the model (uncertainty's log-variances)."""
        return []

    def weights(self) -> dict[str, float]:
        return dict(zip(self.names, self.current().detach().tolist(), strict=True))

    def objective(self, losses: Mapping[str, torch.Tensor]) -> torch.Tensor:
        stacked = torch.stack([losses[name] for name in self.names])  # (T,)
        return (self.current() * stacked).sum()

    def backward(self, losses: Mapping[str, torch.Tensor], counts: Mapping[str, torch.Tensor]) -> torch.Tensor:
        objective = self.objective(losses)
        objective.backward()
        return objective.detach()

    def step(self) -> None:
        """Called after the optimiser step."""

    def end_epoch(self, train_loss: Mapping[str, float]) -> None:
        """Called with the epoch's mean per-task train losses."""


class UncertaintyWeighting(LossWeighting):
    """Kendall et al. 2018: learned log-variances ``s``; objective ``sum exp(-s_i) L_i + s_i``.

    The weight shown is ``exp(-s_i)``; ``s`` is clamped to [-8, 8] so it stays finite.
    """

    def __init__(self, names: Sequence[str]):
        super().__init__(names)
        self.log_var = nn.Parameter(torch.zeros(len(self.names)))

    def objective_parameters(self) -> list[nn.Parameter]:
        return [self.log_var]

    def _clamped(self) -> torch.Tensor:
        return self.log_var.clamp(-8.0, 8.0)

    def current(self) -> torch.Tensor:
        return torch.exp(-self._clamped())

    def objective(self, losses: Mapping[str, torch.Tensor]) -> torch.Tensor:
        stacked = torch.stack([losses[name] for name in self.names])  # (T,)
        return (torch.exp(-self._clamped()) * stacked + self._clamped()).sum()


class GradNorm(LossWeighting):
    """Chen et al. 2018: weights learned so each task's gradient norm on the shared layer tracks its training rate.

    ``G_i = w_i * ||dL_i/dW||`` on the last shared layer ``W``; the weights move to
    reduce ``sum_i |G_i - mean(G) * r_i^alpha|`` where ``r_i`` is the task's loss
    ratio ``L_i / L_i(0)`` over its mean; after each step they are renormalised to sum to T.
    Hand-written (no maintained library implements it for plain PyTorch).
    """

    def __init__(self, names: Sequence[str], shared: nn.Parameter, *, alpha: float = 1.5, lr: float = 0.025):
        super().__init__(names)
        self.shared = [shared]  # a list, so the model's parameter is not registered twice
        self.alpha = alpha
        self.raw = nn.Parameter(torch.ones(len(self.names)))
        self.optimizer = torch.optim.Adam([self.raw], lr=lr)
        self.register_buffer("initial", torch.full((len(self.names),), math.nan))

    def current(self) -> torch.Tensor:
        return self.raw

    def backward(self, losses: Mapping[str, torch.Tensor], counts: Mapping[str, torch.Tensor]) -> torch.Tensor:
        stacked = torch.stack([losses[name] for name in self.names])  # (T,)
        present = torch.stack([counts[name] > 0 for name in self.names])  # (T,)
        unseen = present & torch.isnan(self.initial)
        self.initial[unseen] = stacked.detach()[unseen]
        norms = torch.zeros(len(self.names))  # (T,) ||dL_i/dW||, no graph: it does not depend on w
        for i, name in enumerate(self.names):
            if present[i]:
                (grad,) = torch.autograd.grad(losses[name], self.shared, retain_graph=True, allow_unused=True)
                norms[i] = 0.0 if grad is None else grad.norm()
        self._update_weights(stacked.detach(), norms, present)
        objective = (self.raw.detach() * stacked).sum()
        objective.backward()
        return objective.detach()

    def _update_weights(self, losses: torch.Tensor, norms: torch.Tensor, present: torch.Tensor) -> None:
        usable = present & (self.initial > 0) & torch.isfinite(norms)
        if usable.sum() < 2:
            self.raw.grad = None
            return
        ratio = losses[usable] / self.initial[usable]  # (U,) L_i / L_i(0)
        rate = ratio / ratio.mean()
        weighted = self.raw[usable] * norms[usable]  # (U,) G_i, differentiable in w
        target = (weighted.mean() * rate**self.alpha).detach()
        balance = (weighted - target).abs().sum()
        (grad,) = torch.autograd.grad(balance, self.raw)
        self.raw.grad = torch.nan_to_num(grad, nan=0.0, posinf=0.0, neginf=0.0)

    def step(self) -> None:
        if self.raw.grad is None:
            return
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        with torch.no_grad():
            clamped = self.raw.clamp(min=1e-3)
            self.raw.copy_(clamped * len(self.names) / clamped.sum())


class DynamicWeightAverage(LossWeighting):
    """Liu et al. 2019: ``w_i = T softmax(r_i / temperature)`` with ``r_i = L_i(t-1) / L_i(t-2)``.

    Equal weights for the first two epochs; the rates come from the mean train losses.
    """

    def __init__(self, names: Sequence[str], *, temperature: float = 2.0):
        super().__init__(names)
        self.temperature = temperature
        self.history: list[torch.Tensor] = []

    def end_epoch(self, train_loss: Mapping[str, float]) -> None:
        self.history.append(torch.tensor([train_loss[name] for name in self.names], dtype=torch.float32))
        if len(self.history) < 2:
            return
        previous, before = self.history[-1], self.history[-2]
        rate = torch.where((before > 0) & torch.isfinite(previous / before), previous / before, torch.ones_like(before))
        self.fixed.copy_(len(self.names) * torch.softmax(rate / self.temperature, dim=0))


def make_weighting(
    strategy: str,
    names: Sequence[str],
    *,
    model: MultiTaskNet | None = None,
    manual: Mapping[str, float] | None = None,
    alpha: float = 1.5,
    temperature: float = 2.0,
    lr: float = 0.025,
) -> LossWeighting:
    """The loss-weighting strategy ``strategy`` for tasks ``names``.

    Examples
    --------
    >>> make_weighting("manual", ["a", "b"], manual={"a": 2.0}).weights()
    {'a': 2.0, 'b': 1.0}
    """
    if strategy == "equal":
        return LossWeighting(names)
    if strategy == "manual":
        manual = dict(manual or {})
        unknown = sorted(set(manual) - set(names))
        if unknown:
            raise ConfigError(f"weights name task '{unknown[0]}', which is not one of {', '.join(names)}.")
        bad = {k: v for k, v in manual.items() if not (math.isfinite(v) and v >= 0)}
        if bad:
            name, value = next(iter(bad.items()))
            raise ConfigError(f"The weight of task '{name}' is {value}; weights must be finite and >= 0.")
        return LossWeighting(names, [float(manual.get(name, 1.0)) for name in names])
    if strategy == "uncertainty":
        return UncertaintyWeighting(names)
    if strategy == "gradnorm":
        if model is None:
            raise ConfigError("GradNorm needs the model, to measure gradients on its last shared layer.")
        return GradNorm(names, model.last_shared_weight, alpha=alpha, lr=lr)
    if strategy == "dwa":
        return DynamicWeightAverage(names, temperature=temperature)
    if strategy in GRADIENT_METHODS:
        if model is None:
            raise ConfigError(f"weighting='{strategy}' needs the model, to take the tasks' gradients on its shared layers.")
        from ._gradient import make_gradient_method  # it builds on LossWeighting, defined here

        return make_gradient_method(strategy, names, model)
    raise ConfigError(f"weighting='{strategy}' is unknown; use one of {', '.join(WEIGHTINGS)}.")
