"""The multi-task architectures beyond one shared trunk: soft sharing, MMoE, hierarchical heads, cross-stitch; and
:func:`make_model`.

- :class:`SoftSharingModel`: one trunk per task, all starting from the same weights;
  ``coupling * sum_{i<j} ||W_i - W_j||^2`` over the tasks' corresponding trunk weights and
  biases joins the objective (Duong et al. 2015). 0 gives independent nets; a large
  coupling keeps them one trunk (hard sharing).
- :class:`MMoEModel`: ``experts`` small MLPs shared by all tasks, and per task a softmax gate
  over them that reads the input (Ma et al. 2018); the gates' mean weights are recorded.
- :class:`HierarchicalModel`: one trunk; task ``t``'s head reads the output of block
  ``head_depth[t]`` (Søgaard & Goldberg 2016), so a low-level task supervises early layers.
- :class:`CrossStitchModel`: one trunk per task, and after each layer a learned ``T x T`` mix of
  the tasks' outputs (cross-stitch units, Misra et al. 2016).

The per-task copies (soft trunks, MMoE experts) are one :class:`StackedMLP`: weights of shape
``(copies, out, in)`` used by one batched matmul per layer, not a Python loop over copies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError
from ._network import ModelConfig, MultiTaskNet, SharedTrunkModel, _norm, trunk_block

__all__ = ["StackedMLP", "SoftSharingModel", "MMoEModel", "HierarchicalModel", "CrossStitchModel", "make_model"]


class StackedMLP(nn.Module):
    """``copies`` MLPs of the same shape in one module: each layer's weight is ``(copies, out, in)``.

    Each copy is initialised as :class:`torch.nn.Linear` would be; with ``identical`` every
    copy starts from the same draw (soft sharing starts as one trunk). ``forward`` maps
    ``(B, F)`` to a list of ``copies`` tensors ``(B, width)``; :meth:`copy_layers` gives one copy
    as plain ``(weight, bias)`` pairs. The first layer of every copy reads the same input: one
    matmul. Deeper layers are one matmul per copy: on this CPU a batched ``bmm`` of three
    1,024x128x128 products ran at a third of the speed of three ``mm`` calls.

    Examples
    --------
    >>> [tuple(h.shape) for h in StackedMLP(3, 5, 8, 2)(torch.zeros(4, 5))]
    [(4, 8), (4, 8), (4, 8)]
    """

    def __init__(self, copies: int, n_in: int, width: int, depth: int, norm: str = "none", dropout: float = 0.0,
                 *, identical: bool = False):
        super().__init__()
        self.copies, self.width, self.dropout = copies, width, dropout
        self.weights, self.biases = nn.ParameterList(), nn.ParameterList()
        drawn = 1 if identical else copies
        for layer in range(depth):
            fan_in = n_in if layer == 0 else width
            bound = 1.0 / math.sqrt(fan_in)
            weight = torch.empty(drawn, width, fan_in).uniform_(-bound, bound).expand(copies, -1, -1)
            bias = torch.empty(drawn, width).uniform_(-bound, bound).expand(copies, -1)
            self.weights.append(nn.Parameter(weight.clone()))
            self.biases.append(nn.Parameter(bias.clone()))
        self.norms = nn.ModuleList(nn.ModuleList(_norm(norm, width) for _ in range(copies)) for _ in range(depth))
        self.plain = norm == "none"

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        hs = x
        for layer in range(len(self.weights)):
            hs = self.layer(layer, hs)
        return hs

    def layer(self, index: int, h: torch.Tensor | list[torch.Tensor]) -> list[torch.Tensor]:
        """Layer ``index`` of every copy: ``h`` is the input ``(B, F)`` for layer 0, else one ``(B, H)`` per copy."""
        n, width = self.copies, self.width
        if index == 0:
            first = torch.addmm(self.biases[0].reshape(-1), h, self.weights[0].reshape(n * width, -1).t())  # (B, n*H)
            # split/unbind, not indexing: their backward is one cat/stack, where n slices' is n zero-filled full copies.
            if self.plain:  # no norm: one ReLU over all copies (a ReLU of a column slice ran ~10x slower)
                return list(self._drop(F.relu(first)).split(width, dim=1))
            return [self._activate(0, i, part.contiguous()) for i, part in enumerate(first.split(width, dim=1))]
        weights, biases = self.weights[index].unbind(0), self.biases[index].unbind(0)
        return [self._activate(index, i, F.linear(part, w, b))
                for i, (part, w, b) in enumerate(zip(h, weights, biases, strict=True))]

    def _activate(self, layer: int, copy: int, h: torch.Tensor) -> torch.Tensor:
        return self._drop(F.relu(self.norms[layer][copy](h)))

    def _drop(self, h: torch.Tensor) -> torch.Tensor:
        return F.dropout(h, self.dropout, self.training) if self.dropout > 0 else h

    def copy_layers(self, index: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Copy ``index``'s layers as ``(weight (out, in), bias (out,))`` pairs (views of the parameters)."""
        return [(w[index], b[index]) for w, b in zip(self.weights, self.biases, strict=True)]

    def spread(self) -> torch.Tensor:
        """``sum_{i<j} ||theta_i - theta_j||^2`` over the copies' weights and biases, as ``n * sum_i ||theta_i - mean||^2``.

        Differentiable; its gradient ``2 n (theta_i - mean)`` is written out in :class:`_Spread`
        (one op per parameter instead of autograd's eight: ~10% of a soft-sharing step here).
        """
        return _Spread.apply(*self.weights, *self.biases)


class _Spread(torch.autograd.Function):
    """``n * sum_i ||theta_i - mean_i theta||^2`` summed over stacked parameters (copies first), with its gradient."""

    @staticmethod
    def forward(ctx, *parameters: torch.Tensor) -> torch.Tensor:
        copies = parameters[0].shape[0]
        centred = [p - p.mean(0, keepdim=True) for p in parameters]
        ctx.save_for_backward(*centred)
        ctx.copies = copies
        return copies * torch.stack([c.pow(2).sum() for c in centred]).sum()

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return tuple(centred * (2.0 * ctx.copies * grad) for centred in ctx.saved_tensors)


class SoftSharingModel(MultiTaskNet):
    """One trunk per task, kept close by an L2 penalty on the differences of their weights (soft sharing).

    ``penalty()`` is ``config.coupling * sum_{i<j} ||theta_i - theta_j||^2`` over the
    trunks' corresponding weights and biases (None at coupling 0: independent nets).
    The trunks start equal (one draw), so the coupling says how far they may drift apart:
    separately drawn trunks made a large coupling spend its first epochs pulling random
    weights together (on generated data, coupling 100 had not started learning after 5 epochs).

    Examples
    --------
    >>> model = SoftSharingModel(4, {"y": ("binary", 1), "z": ("regression", 1)}, ModelConfig(architecture="soft"))
    >>> {name: tuple(out.shape) for name, out in model(torch.zeros(5, 4)).items()}
    {'y': (5,), 'z': (5,)}
    """

    def __init__(self, n_features: int, heads: Mapping[str, tuple[str, int]], config: ModelConfig):
        super().__init__(heads, config)
        self.trunks = StackedMLP(len(self.task_names), n_features, config.width, config.depth, config.norm,
                                 config.dropout, identical=True)
        self._make_heads(dict.fromkeys(self.task_names, config.width))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        hs = self.trunks(x)  # T x (B, H): task i reads its own trunk's output
        self.shared_features = tuple(hs)
        return self._outputs(hs)

    def shared_parameters(self) -> list[nn.Parameter]:
        return list(self.trunks.parameters())

    @property
    def last_shared_weight(self) -> nn.Parameter:
        return self.trunks.weights[-1]

    def penalty(self) -> torch.Tensor | None:
        if self.config.coupling == 0 or len(self.task_names) < 2:
            return None
        return self.config.coupling * self.trunks.spread()


class MMoEModel(MultiTaskNet):
    """Multi-gate mixture of experts (Ma et al. 2018): shared expert MLPs, one softmax gate per task.

    Task ``t`` reads ``sum_e g_t(x)_e * expert_e(x)``, ``g_t(x) = softmax(W_t x + b_t)``, through its
    linear head.
    In training mode the gates' weights are summed over the rows seen, and
    :meth:`pop_gate_weights` returns their mean per task and expert.

    Examples
    --------
    >>> model = MMoEModel(4, {"y": ("binary", 1)}, ModelConfig(architecture="mmoe", experts=3, width=8))
    >>> _ = model.train()(torch.zeros(5, 4))
    >>> [round(w, 3) for w in model.pop_gate_weights()["y"]]
    [0.333, 0.333, 0.333]
    """

    def __init__(self, n_features: int, heads: Mapping[str, tuple[str, int]], config: ModelConfig):
        super().__init__(heads, config)
        units = config.units_per_expert
        self.experts = StackedMLP(config.experts, n_features, units, config.depth, config.norm, config.dropout)
        self.gates = nn.Linear(n_features, len(self.task_names) * config.experts)  # all tasks' gates in one layer
        nn.init.zeros_(self.gates.weight)  # every gate starts even: no expert is favoured before training
        nn.init.zeros_(self.gates.bias)
        self._make_heads(dict.fromkeys(self.task_names, units))
        self.register_buffer("_gate_sum", torch.zeros(len(self.task_names), config.experts), persistent=False)
        self._gate_rows = 0

    def gate_weights(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, T, E)`` softmax weights of each task's gate over the experts."""
        logits = self.gates(x).reshape(x.shape[0], len(self.task_names), self.config.experts)
        return torch.softmax(logits, dim=-1)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        experts = self.experts(x)  # E x (B, U)
        self.shared_features = tuple(experts)
        gates = self.gate_weights(x)  # (B, T, E)
        if self.training:
            self._gate_sum += gates.detach().sum(0)
            self._gate_rows += x.shape[0]
        # head(sum_e g_e u_e) = sum_e g_e (W u_e) + b, as the gate weights sum to 1: every head maps every expert
        # (E matmuls to sum C columns), then the mix is of B x E x C numbers, not B x E x U units (~30% of a step).
        weight = torch.cat([head.weight for head in self.heads])  # (sum C, U)
        mapped = torch.stack([F.linear(u, weight) for u in experts], dim=1)  # (B, E, sum C)
        outputs, columns = {}, mapped.split([head.out_features for head in self.heads], dim=-1)
        for t, (name, head, per_expert) in enumerate(zip(self.task_names, self.heads, columns, strict=True)):
            out = (gates[:, t, :, None] * per_expert).sum(1) + head.bias  # (B, C)
            outputs[name] = out.squeeze(-1) if self.kinds[name] in ("binary", "regression") else out
        return outputs

    def shared_parameters(self) -> list[nn.Parameter]:
        return list(self.experts.parameters())

    @property
    def last_shared_weight(self) -> nn.Parameter:
        return self.experts.weights[-1]

    def pop_gate_weights(self) -> dict[str, list[float]]:
        if self._gate_rows == 0:
            return {}
        means = (self._gate_sum / self._gate_rows).tolist()
        self._gate_sum.zero_()
        self._gate_rows = 0
        return dict(zip(self.task_names, means, strict=True))


class CrossStitchModel(MultiTaskNet):
    """Cross-stitch networks (Misra et al. 2016): one trunk per task, and after each layer a learned mix of them.

    After layer ``l`` task ``i`` reads ``sum_j alpha[l, i, j] * h_j``, the tasks' outputs of that layer
    mixed by a learned ``T x T`` matrix (the cross-stitch unit), and feeds it to its own next layer
    (or, after the last layer, its head). ``alpha`` starts at 0.9 on the diagonal and ``0.1 / (T - 1)``
    elsewhere (the paper's best start, ``(alpha_S, alpha_D) = (0.9, 0.1)``); one task gives ``[[1]]``.
    Every trunk and ``alpha`` are shared: each task's loss reaches them all through the units.

    Examples
    --------
    >>> model = CrossStitchModel(4, {"y": ("binary", 1), "z": ("regression", 1)},
    ...                          ModelConfig(architecture="cross_stitch", depth=2))
    >>> tuple(model.alpha.shape), round(float(model.alpha[0, 0, 0]), 2), round(float(model.alpha[0, 0, 1]), 2)
    ((2, 2, 2), 0.9, 0.1)
    >>> {name: tuple(out.shape) for name, out in model(torch.zeros(5, 4)).items()}
    {'y': (5,), 'z': (5,)}
    """

    SELF = 0.9  # alpha's diagonal at the start; the rest of each row shares 1 - SELF

    def __init__(self, n_features: int, heads: Mapping[str, tuple[str, int]], config: ModelConfig):
        super().__init__(heads, config)
        tasks = len(self.task_names)
        self.trunks = StackedMLP(tasks, n_features, config.width, config.depth, config.norm, config.dropout)
        start = torch.eye(tasks) if tasks == 1 else (
            torch.full((tasks, tasks), (1 - self.SELF) / (tasks - 1)).fill_diagonal_(self.SELF))
        self.alpha = nn.Parameter(start.expand(config.depth, -1, -1).clone())  # (depth, T, T)
        self._make_heads(dict.fromkeys(self.task_names, config.width))

    def stitch(self, layer: int, hs: list[torch.Tensor]) -> list[torch.Tensor]:
        """The cross-stitch unit after ``layer``: ``T`` tensors ``(B, H)`` mixed by ``alpha[layer]``."""
        stacked = torch.stack(hs)  # (T, B, H)
        mixed = (self.alpha[layer] @ stacked.reshape(len(hs), -1)).reshape(stacked.shape)  # one (T, T) @ (T, B*H)
        return list(mixed.unbind(0))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        hs = x
        for layer in range(self.config.depth):
            hs = self.trunks.layer(layer, hs)
            if layer == self.config.depth - 1:
                self.shared_features = tuple(hs)  # the last layer's outputs, which every task reads through its unit
            hs = self.stitch(layer, hs)
        return self._outputs(hs)

    def shared_parameters(self) -> list[nn.Parameter]:
        return [*self.trunks.parameters(), self.alpha]

    @property
    def last_shared_weight(self) -> nn.Parameter:
        return self.trunks.weights[-1]


class HierarchicalModel(MultiTaskNet):
    """One trunk; each task's head reads the block its ``head_depth`` names (default: the last).

    Blocks below the deepest head are not built: no loss would reach them.

    Examples
    --------
    >>> config = ModelConfig(architecture="hierarchical", depth=3, head_depth={"low": 1})
    >>> model = HierarchicalModel(4, {"low": ("binary", 1), "high": ("binary", 1)}, config)
    >>> model.taps, len(model.blocks)
    ({'low': 1, 'high': 3}, 3)
    """

    def __init__(self, n_features: int, heads: Mapping[str, tuple[str, int]], config: ModelConfig):
        super().__init__(heads, config)
        chosen = dict(config.head_depth)
        self.taps = {name: chosen.get(name, config.depth) for name in self.task_names}
        deepest = max(self.taps.values())
        self.blocks = nn.ModuleList(
            nn.Sequential(*trunk_block(n_features if i == 0 else config.width, config)) for i in range(deepest)
        )
        self._make_heads(dict.fromkeys(self.task_names, config.width))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        taps, h = [], x
        for block in self.blocks:
            h = block(h)  # (B, H)
            taps.append(h)
        self.shared_features = (taps[min(self.taps.values()) - 1],)  # the deepest block every task reads
        return self._outputs([taps[self.taps[name] - 1] for name in self.task_names])

    def shared_parameters(self) -> list[nn.Parameter]:
        return list(self.blocks.parameters())

    @property
    def last_shared_weight(self) -> nn.Parameter:
        shallowest = min(self.taps.values())  # the deepest block every task's loss reaches
        return self.blocks[shallowest - 1][0].weight


_BUILDERS = {"hard": SharedTrunkModel, "soft": SoftSharingModel, "mmoe": MMoEModel, "hierarchical": HierarchicalModel,
             "cross_stitch": CrossStitchModel}


def make_model(n_features: int, heads: Mapping[str, tuple[str, int]], config: ModelConfig | None = None,
               *, all_tasks: tuple[str, ...] | None = None) -> MultiTaskNet:
    """The network ``config.architecture`` names, for ``heads`` (task name -> (kind, output size)).

    ``all_tasks`` names every task of the run, of which ``heads`` may be a subset
    (a single-task baseline); a ``head_depth`` naming none of them is a ConfigError.

    Examples
    --------
    >>> type(make_model(3, {"y": ("binary", 1)}, ModelConfig(architecture="mmoe"))).__name__
    'MMoEModel'
    """
    config = config or ModelConfig()
    known = tuple(all_tasks or heads)
    unknown = [task for task, _ in config.head_depth if task not in known]
    if unknown:
        raise ConfigError(f"head_depth names task '{unknown[0]}', which is not one of {', '.join(known)}; "
                          "name a task of this run.")
    return _BUILDERS[config.architecture](n_features, heads, config)
