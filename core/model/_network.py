"""The shared-trunk network and its per-task losses: trunk, per-task heads, masked losses.

:class:`SharedTrunkModel` is an MLP trunk shared by every task with one linear
head per task. :func:`task_losses` is the one place losses are computed; a
missing label (-1, or NaN for regression) adds nothing to the loss or its
gradient. How the per-task losses combine is in :mod:`core.model._weighting`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import ConfigError

__all__ = [
    "NORMS",
    "ModelConfig",
    "SharedTrunkModel",
    "masked_loss",
    "task_losses",
]

NORMS = ("none", "batch", "layer")


@dataclass(frozen=True)
class ModelConfig:
    """The trunk: ``depth`` blocks of Linear -> norm -> ReLU -> Dropout, each ``width`` wide.

    Dropout is off by default: early stopping and weight decay already regularise,
    metrics on wagepan were no better with 0.1, and in a profile here torch's CPU dropout mask
    (``bernoulli_``) took ~30% of a flights epoch.
    """

    width: int = 128
    depth: int = 2
    dropout: float = 0.0
    norm: str = "none"

    def __post_init__(self) -> None:
        if self.width < 1 or self.depth < 1:
            raise ConfigError(
                f"width={self.width}, depth={self.depth}: the trunk needs at least one layer of at least "
                "one unit; use width=128, depth=2."
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout={self.dropout} must be in [0, 1); use 0 or 0.1.")
        if self.norm not in NORMS:
            raise ConfigError(f"norm='{self.norm}' is unknown; use one of {', '.join(NORMS)}.")

    def to_dict(self) -> dict:
        return asdict(self)


def _norm(kind: str, width: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm1d(width)
    if kind == "layer":
        return nn.LayerNorm(width)
    return nn.Identity()


class SharedTrunkModel(nn.Module):
    """An MLP trunk shared by all tasks and one linear head per task.

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
        super().__init__()
        self.config = config
        self.task_names = tuple(heads)
        self.kinds = {name: kind for name, (kind, _) in heads.items()}
        blocks, width_in = [], n_features
        for _ in range(config.depth):
            blocks += [nn.Linear(width_in, config.width), _norm(config.norm, config.width), nn.ReLU()]
            if config.dropout > 0:
                blocks.append(nn.Dropout(config.dropout))
            width_in = config.width
        self.trunk = nn.Sequential(*blocks)
        # Task names may hold dots or spaces, which module names may not: heads are kept by position.
        self.heads = nn.ModuleList(nn.Linear(config.width, size) for _, size in heads.values())

    @property
    def last_shared_layer(self) -> nn.Linear:
        """The trunk's last Linear layer (where GradNorm measures gradient norms)."""
        return [m for m in self.trunk if isinstance(m, nn.Linear)][-1]

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.trunk(x)  # (B, F) -> (B, H)
        outputs = {}
        for name, head in zip(self.task_names, self.heads, strict=True):
            out = head(h)  # (B, 1) binary/regression, (B, C) multiclass, (B, L) multilabel
            outputs[name] = out.squeeze(-1) if self.kinds[name] in ("binary", "regression") else out
        return outputs


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
