"""Model: the multi-task networks (hard, soft, MMoE, hierarchical, cross-stitch), their masked per-task losses and the ways to combine them."""

from ._architectures import (
    CrossStitchModel,
    HierarchicalModel,
    MMoEModel,
    SoftSharingModel,
    StackedMLP,
    make_model,
)
from ._gradient import CAGradWeighting, GradientMethod
from ._network import (
    ARCHITECTURES,
    NORMS,
    ModelConfig,
    MultiTaskNet,
    SharedTrunkModel,
    masked_loss,
    task_losses,
)
from ._weighting import GRADIENT_METHODS, LOSS_WEIGHTINGS, WEIGHTINGS, LossWeighting, make_weighting

__all__ = [
    "ARCHITECTURES",
    "NORMS",
    "WEIGHTINGS",
    "LOSS_WEIGHTINGS",
    "GRADIENT_METHODS",
    "ModelConfig",
    "MultiTaskNet",
    "SharedTrunkModel",
    "SoftSharingModel",
    "MMoEModel",
    "CrossStitchModel",
    "HierarchicalModel",
    "StackedMLP",
    "make_model",
    "masked_loss",
    "task_losses",
    "LossWeighting",
    "GradientMethod",
    "CAGradWeighting",
    "make_weighting",
]
