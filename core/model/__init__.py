"""Model: the shared-trunk network (one trunk, one head per task), its masked per-task losses and the ways to weight them."""

from core.model._network import (
    NORMS,
    WEIGHTINGS,
    LossWeighting,
    ModelConfig,
    SharedTrunkModel,
    make_weighting,
    masked_loss,
    task_losses,
)

__all__ = [
    "NORMS",
    "WEIGHTINGS",
    "ModelConfig",
    "SharedTrunkModel",
    "masked_loss",
    "task_losses",
    "LossWeighting",
    "make_weighting",
]
