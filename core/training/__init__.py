"""Training: fit the shared-trunk model on a split, per-epoch records, test metrics and the multi-task vs single-task comparison.

Features are prepared from the data and the split (``prepare_split``), the loop trains with early stopping on
validation loss (``train``), and ``transfer_gain`` says per task whether training the tasks together helped. ``fit_baselines`` adds the honest
baselines (single-task nets, gradient-boosted trees); ``fit_run`` writes a run to its folder and ``list_runs``
reads the folders back as the runs table (``runs_frame``, ``seed_summary``).
"""

from ._affinity import AFFINITY_BATCHES, affinity_frame, gradient_affinity
from ._baselines import BASELINES, Baselines, baseline_losses, fit_baselines, tree_baselines
from ._bootstrap import BOOTSTRAP_RESAMPLES, bootstrap_primary
from ._distributed import distributed_world, fit_distributed
from ._features import (
    PreparedSplit,
    default_feature_columns,
    prepare_split,
    resolve_parts,
)
from ._fit import fit_on_split, train_baselines, transfer_gain
from ._fit_run import RunOutcome, fit_run
from ._grouping import (
    EXHAUSTIVE_TASKS,
    TaskGrouping,
    grouped_frame,
    negative_transfer,
    partitions,
    suggest_groups,
    train_groups,
)
from ._lookahead import LookaheadAffinity, lookahead_affinity
from ._loop import LossScales, StepResult, train, train_step
from ._metrics import (
    LOWER_IS_BETTER,
    METRICS,
    MIN_TEST_ROWS,
    PRIMARY_METRIC,
    Confusion,
    confusion,
    task_metrics,
    unreliable,
)
from ._preprocess import FeatureConfig
from ._records import (
    EpochRecord,
    TrainConfig,
    TrainResult,
    divergence_message,
    gates_frame,
    history_frame,
    loss_scale_message,
    weights_frame,
)
from ._runs import (
    RUN_STATUSES,
    RunRecord,
    RunWriter,
    best_val_metrics,
    check_runs_dir,
    list_runs,
    read_run,
    run_config,
    run_metrics,
    split_digest,
)
from ._runs_table import (
    TransferFlags,
    runs_frame,
    seed_gains,
    seed_summary,
    seeds_metrics,
    transfer_flags,
)
from ._sampler import MultiTaskDistributedSampler, label_indicators
from ._transfer_gain import (
    BLIND_GUESS,
    DELTA_M_FLOOR,
    VERDICTS,
    TaskGain,
    TransferGain,
    transfer_gain_bootstrap,
    transfer_gain_from_metrics,
)

__all__ = [
    "FeatureConfig",
    "PreparedSplit",
    "default_feature_columns",
    "resolve_parts",
    "prepare_split",
    "train",
    "train_step",
    "StepResult",
    "LossScales",
    "fit_on_split",
    "train_baselines",
    "transfer_gain",
    "TrainConfig",
    "EpochRecord",
    "TrainResult",
    "divergence_message",
    "loss_scale_message",
    "gates_frame",
    "history_frame",
    "weights_frame",
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
    "BLIND_GUESS",
    "DELTA_M_FLOOR",
    "transfer_gain_bootstrap",
    "bootstrap_primary",
    "BOOTSTRAP_RESAMPLES",
    "VERDICTS",
    "AFFINITY_BATCHES",
    "gradient_affinity",
    "affinity_frame",
    "LookaheadAffinity",
    "lookahead_affinity",
    "EXHAUSTIVE_TASKS",
    "TaskGrouping",
    "suggest_groups",
    "partitions",
    "train_groups",
    "grouped_frame",
    "negative_transfer",
    "MultiTaskDistributedSampler",
    "label_indicators",
    "distributed_world",
    "fit_distributed",
    "BASELINES",
    "Baselines",
    "tree_baselines",
    "fit_baselines",
    "baseline_losses",
    "RUN_STATUSES",
    "RunWriter",
    "RunRecord",
    "RunOutcome",
    "check_runs_dir",
    "run_config",
    "run_metrics",
    "read_run",
    "list_runs",
    "fit_run",
    "runs_frame",
    "seed_summary",
    "best_val_metrics",
    "seeds_metrics",
    "seed_gains",
    "split_digest",
    "TransferFlags",
    "transfer_flags",
]
