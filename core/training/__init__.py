"""Training: fit the shared-trunk model on a split, per-epoch records, test metrics and the multi-task vs single-task comparison.

Features are prepared from the data and the split (``prepare_split``), the loop trains with early stopping on
validation loss (``train``), and ``transfer_gain`` says per task whether training the tasks together helped.
"""

from core.training._features import (
    FeatureConfig,
    Part,
    PreparedSplit,
    QuantileClip,
    TargetSpec,
    default_feature_columns,
    make_preprocessor,
    prepare_split,
    resolve_parts,
)
from core.training._loop import fit_on_split, train, train_baselines, transfer_gain
from core.training._metrics import (
    LOWER_IS_BETTER,
    METRICS,
    MIN_TEST_ROWS,
    PRIMARY_METRIC,
    Confusion,
    confusion,
    task_metrics,
    unreliable,
)
from core.training._records import EpochRecord, TrainConfig, TrainResult, divergence_message
from core.training._transfer_gain import (
    BLIND_GUESS,
    BOOTSTRAP_RESAMPLES,
    DELTA_M_FLOOR,
    VERDICTS,
    TaskGain,
    TransferGain,
    baseline_problem,
    bootstrap_counts,
    bootstrap_primary,
    bootstrap_resamples,
    floor_problem,
    neither_beats,
    transfer_gain_bootstrap,
    transfer_gain_from_metrics,
)

__all__ = [
    "FeatureConfig",
    "TargetSpec",
    "Part",
    "PreparedSplit",
    "default_feature_columns",
    "make_preprocessor",
    "QuantileClip",
    "resolve_parts",
    "prepare_split",
    "train",
    "fit_on_split",
    "train_baselines",
    "transfer_gain",
    "TrainConfig",
    "EpochRecord",
    "TrainResult",
    "divergence_message",
    "METRICS",
    "PRIMARY_METRIC",
    "LOWER_IS_BETTER",
    "task_metrics",
    "Confusion",
    "confusion",
    "unreliable",
    "MIN_TEST_ROWS",
    "TaskGain",
    "TransferGain",
    "transfer_gain_from_metrics",
    "baseline_problem",
    "floor_problem",
    "neither_beats",
    "BLIND_GUESS",
    "DELTA_M_FLOOR",
    "transfer_gain_bootstrap",
    "bootstrap_primary",
    "bootstrap_counts",
    "BOOTSTRAP_RESAMPLES",
    "bootstrap_resamples",
    "VERDICTS",
]
