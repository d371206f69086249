"""Model: the shared-trunk network (one trunk, one head per task), its masked per-task losses and the ways to weight them."""

from ._network import NORMS, ModelConfig, SharedTrunkModel, masked_loss, task_losses
from ._weighting import WEIGHTINGS, LossWeighting, make_weighting

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
