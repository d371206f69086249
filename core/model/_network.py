"""The shared-trunk network and its per-task losses: trunk, per-task heads, masked losses.

:class:`SharedTrunkModel` is an MLP trunk shared by every task with one linear
head per task (the ``hard`` architecture; the others are in
:mod:`core.model._architectures`). :class:`ModelConfig` describes every
architecture. :func:`task_losses` is the one place losses are computed; a
missing label (-1, or NaN for regression) adds nothing to the loss or its
gradient. How the per-task losses combine is in :mod:`core.model._weighting`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError

__all__ = [
    "ARCHITECTURES",
    "NORMS",
    "ModelConfig",
    "MultiTaskNet",
    "SharedTrunkModel",
    "masked_loss",
    "task_losses",
]

NORMS = ("none", "batch", "layer")
ARCHITECTURES = ("hard", "soft", "mmoe", "hierarchical", "cross_stitch")


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """The network: ``depth`` blocks of Linear -> norm -> ReLU -> Dropout, each ``width`` wide, and how tasks share them.

    ``architecture`` is ``hard`` (one trunk for all tasks), ``soft`` (one trunk per
    task, an L2 penalty of strength ``coupling`` on the differences between the
    tasks' corresponding trunk weights), ``mmoe`` (``experts`` small MLPs of
    ``expert_width`` units, by default half the width, mixed by one softmax gate per task),
    ``hierarchical`` (task ``t``'s head reads block ``head_depth[t]`` of the trunk,
    by default the last) or ``cross_stitch`` (one trunk per task, their outputs mixed after each
    layer by a learned matrix, Misra et al. 2016). ``head_depth`` may be given as a dict; it is kept as sorted pairs.

    Dropout is off by default: early stopping and weight decay already regularise,
    metrics on wagepan were no better with 0.1, and in a profile here torch's CPU dropout mask
    (``bernoulli_``) took ~30% of a flights epoch.

    Examples
    --------
    >>> ModelConfig(architecture="hierarchical", head_depth={"a": 1}).head_depth
    (('a', 1),)
    """

    width: int = 128
    depth: int = 2
    dropout: float = 0.0
    norm: str = "none"
    architecture: str = "hard"
    coupling: float = 0.01
    experts: int = 4
    expert_width: int | None = None
    head_depth: tuple[tuple[str, int], ...] | Mapping[str, int] = ()

    def __post_init__(self) -> None:
        pairs = self.head_depth.items() if isinstance(self.head_depth, Mapping) else self.head_depth
        object.__setattr__(self, "head_depth", tuple(sorted((str(k), _int(v, k)) for k, v in pairs)))
        if self.width < 1 or self.depth < 1:
            raise ConfigError(
                f"width={self.width}, depth={self.depth}: the trunk needs at least one layer of at least "
                "one unit; use width=128, depth=2."
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout={self.dropout} must be in [0, 1); use 0 or 0.1.")
        if self.norm not in NORMS:
            raise ConfigError(f"norm='{self.norm}' is unknown; use one of {', '.join(NORMS)}.")
        self._check_sharing()

    def _check_sharing(self) -> None:
        if self.architecture not in ARCHITECTURES:
            raise ConfigError(f"architecture='{self.architecture}' is unknown; use one of {', '.join(ARCHITECTURES)}.")
        if not (math.isfinite(self.coupling) and self.coupling >= 0):
            raise ConfigError(f"coupling={self.coupling} must be a finite number >= 0 (0 = independent nets); use 0.01.")
        if self.experts < 1:
            raise ConfigError(f"experts={self.experts} must be at least 1; use 4.")
        if self.expert_width is not None and self.expert_width < 1:
            raise ConfigError(f"expert_width={self.expert_width} must be at least 1, or None (half the width).")
        for task, k in self.head_depth:
            if not 1 <= k <= self.depth:
                raise ConfigError(f"head_depth of task '{task}' is {k} but the trunk has {self.depth} layers; "
                                  f"use a depth in 1..{self.depth}.")
        if self.head_depth and self.architecture != "hierarchical":
            raise ConfigError(f"head_depth={dict(self.head_depth)} is used only by architecture='hierarchical', but "
                              f"architecture='{self.architecture}'; choose hierarchical (--arch hierarchical) or drop it.")

    @property
    def units_per_expert(self) -> int:
        """Width of each MMoE expert: ``expert_width``, or half the trunk width."""
        return self.expert_width or max(1, self.width // 2)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["head_depth"] = dict(self.head_depth)
        return out


def _int(value, task) -> int:
    try:
        number = float(value)
        if number != int(number):
            raise ValueError
        return int(number)
    except (TypeError, ValueError):
        raise ConfigError(f"head_depth of task '{task}' is {value!r}; give a whole number of layers, e.g. 1.") from None


def _norm(kind: str, width: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm1d(width)
    if kind == "layer":
        return nn.LayerNorm(width)
    return nn.Identity()


class MultiTaskNet(nn.Module):
    """What every architecture shares: task names and kinds, one linear head per task, and the hooks of the loop.

    A subclass builds its layers, then its heads (:meth:`_make_heads`, in that order: the
    random initialisation follows it), calls :meth:`_outputs` with each task's features in
    ``forward``, and says which parameters the tasks share.
    """

    def __init__(self, heads: Mapping[str, tuple[str, int]], config: ModelConfig):
        super().__init__()
        self.config = config
        self.task_names = tuple(heads)
        self.kinds = {name: kind for name, (kind, _) in heads.items()}
        self._sizes = {name: size for name, (_, size) in heads.items()}

    def _make_heads(self, head_inputs: Mapping[str, int]) -> None:
        # Task names may hold dots or spaces, which module names may not: heads are kept by position.
        self.heads = nn.ModuleList(nn.Linear(head_inputs[name], self._sizes[name]) for name in self.task_names)

    def _outputs(self, features: Sequence[torch.Tensor]) -> dict[str, torch.Tensor]:
        """Each task's head on its own features (``features[i]`` for task ``i``, each ``(B, H)``)."""
        outputs = {}
        for name, head, h in zip(self.task_names, self.heads, features, strict=True):
            out = head(h)  # (B, 1) binary/regression, (B, C) multiclass, (B, L) multilabel
            outputs[name] = out.squeeze(-1) if self.kinds[name] in ("binary", "regression") else out
        return outputs

    def shared_parameters(self) -> list[nn.Parameter]:
        """The parameters the tasks share; gradient methods aggregate the tasks' gradients on these."""
        raise NotImplementedError

    @property
    def last_shared_weight(self) -> nn.Parameter:
        """The weight of the last shared layer that every task's loss reaches (GradNorm's ``W``)."""
        raise NotImplementedError

    def penalty(self) -> torch.Tensor | None:
        """A term added to the objective (soft sharing's coupling); None when there is none."""
        return None

    def pop_gate_weights(self) -> dict[str, list[float]]:
        """Mean gate weight per task and expert over the training rows since the last call (MMoE); else empty."""
        return {}

    #: The last forward's shared representation (the last features every task reads), for MGDA-UB.
    shared_features: tuple[torch.Tensor, ...] = ()


def trunk_block(n_in: int, config: ModelConfig) -> list[nn.Module]:
    """One block of the trunk: Linear -> norm -> ReLU (-> Dropout when set)."""
    block = [nn.Linear(n_in, config.width), _norm(config.norm, config.width), nn.ReLU()]
    if config.dropout > 0:
        block.append(nn.Dropout(config.dropout))
    return block


class SharedTrunkModel(MultiTaskNet):
    """An MLP trunk shared by all tasks and one linear head per task (hard parameter sharing).

    Parameters
    ----------
    n_features : int
    heads : mapping of task name to (kind, output size)
        Output size is 1 for binary and regression, C for multiclass, L for multilabel.
    config : ModelConfig

    Examples
    --------
    >>> model = SharedTrunkModel(4, {"y": ("binary", 1), "z": ("multiclass", 3)})
    >>> {name: tuple(out.shape) for name, out in model(torch.zeros(5, 4)).items()}
    {'y': (5,), 'z': (5, 3)}
    """

    def __init__(self, n_features: int, heads: Mapping[str, tuple[str, int]], config: ModelConfig = ModelConfig()):
        super().__init__(heads, config)
        blocks, width_in = [], n_features
        for _ in range(config.depth):
            blocks += trunk_block(width_in, config)
            width_in = config.width
        self.trunk = nn.Sequential(*blocks)
        self._make_heads(dict.fromkeys(self.task_names, config.width))

    @property
    def last_shared_layer(self) -> nn.Linear:
        """The trunk's last Linear layer (where GradNorm measures gradient norms)."""
        return [m for m in self.trunk if isinstance(m, nn.Linear)][-1]

    @property
    def last_shared_weight(self) -> nn.Parameter:
        return self.last_shared_layer.weight

    def shared_parameters(self) -> list[nn.Parameter]:
        return list(self.trunk.parameters())

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.trunk(x)  # (B, F) -> (B, H)
        self.shared_features = (h,)
        return self._outputs([h] * len(self.task_names))


# --------------------------------------------------------------------------- losses


def labelled_mask(kind: str, target: torch.Tensor) -> torch.Tensor:
    """True where a label is present: not -1 (classification), not NaN (regression)."""
    return ~torch.isnan(target) if kind == "regression" else target >= 0


def masked_loss(
    kind: str, output: torch.Tensor, target: torch.Tensor, labelled: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean loss over the labelled entries of one task, and how many entries were labelled.

    BCE with logits (binary, multilabel, per label), cross-entropy (multiclass) or
    MSE on the standardised target (regression). An entry outside ``labelled``
    (by default: -1 or NaN) contributes nothing to the loss or its gradient.
    With no labelled entry the loss is 0.

    Examples
    --------
    >>> loss, n = masked_loss("binary", torch.zeros(3), torch.tensor([1.0, -1.0, 0.0]))
    >>> round(loss.item(), 4), int(n)
    (0.6931, 2)
    """
    if labelled is None:
        labelled = labelled_mask(kind, target)
    if kind == "multiclass":
        classes = torch.where(labelled, target, torch.full_like(target, -1))  # (B,)
        total = F.cross_entropy(output, classes, ignore_index=-1, reduction="sum")
    elif kind == "regression":
        filled = torch.where(labelled, target, torch.zeros_like(target))  # (B,), NaN -> 0
        total = torch.where(labelled, (output - filled) ** 2, torch.zeros_like(output)).sum()
    else:
        filled = torch.where(labelled, target, torch.zeros_like(target)).clamp(0, 1)  # (B,) or (B, L)
        per_entry = F.binary_cross_entropy_with_logits(output, filled, reduction="none")
        total = torch.where(labelled, per_entry, torch.zeros_like(per_entry)).sum()
    count = labelled.sum()
    return total / count.clamp(min=1), count


def task_losses(
    outputs: Mapping[str, torch.Tensor], targets: Mapping[str, torch.Tensor], kinds: Mapping[str, str]
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Every task's masked mean loss and labelled-entry count: ``({task: loss}, {task: count})``."""
    losses, counts = {}, {}
    for name, output in outputs.items():
        losses[name], counts[name] = masked_loss(kinds[name], output, targets[name])
    return losses, counts
