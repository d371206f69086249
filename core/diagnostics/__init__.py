"""Split diagnostics: label distributions, co-occurrence, task association, quality scores, leakage.

Every diagnostic is importable from here, and each returns a frozen dataclass with ``to_frame()``, a tidy DataFrame for charts and tables. The
functions share one reading of the data:

* tasks are encoded once into the indicator matrix of DESIGN.md (labels named
  ``task=value``); pass ``encode_tasks(df, tasks)`` instead of ``tasks`` to
  reuse one encoding across several calls;
* the assignment holds ``train``/``val``/``test``, ``fold-0``.. or ``excluded``;
  excluded rows are left out, and splits are shown train, val, test, folds,
  with the whole data (``all``) last;
* a missing label is its own value, ``(missing)``, in distributions, and
  otherwise left out of a task's counts.

Where each part lives:

========================  =====================================================================
:mod:`core.tasks`  :func:`encode_tasks`, :class:`EncodedTasks`, reading an assignment
:mod:`core.diagnostics._distribution`   :func:`label_distribution`, :func:`task_scores`
:mod:`core.diagnostics._cooccurrence`   :func:`cooccurrence`, :func:`cooccurrence_shift`, :func:`task_association`
:mod:`core.diagnostics._quality`        :func:`split_quality` (LD, ED, LPD, FZ, FLZ)
:mod:`core.diagnostics._leakage`        :func:`leakage` (checks in :mod:`core.diagnostics._leakage_checks`, :mod:`core.diagnostics._leakage_sampled`)
:mod:`core.diagnostics._comparison`     :func:`compare_strategies`
:mod:`core.diagnostics._thresholds`     the pass/warn/fail thresholds and :func:`scorecard`
========================  =====================================================================
"""

from __future__ import annotations

from ._comparison import (
    Recommendation,
    StrategyComparison,
    compare_strategies,
    recommend_strategy,
)
from ._cooccurrence import (
    Cooccurrence,
    CooccurrenceShift,
    TaskAssociation,
    cooccurrence,
    cooccurrence_shift,
    cramers_v,
    task_association,
)
from ._distribution import (
    HISTOGRAM_BINS,
    QUANTILES,
    LabelDistribution,
    TaskScores,
    label_distribution,
    task_scores,
)
from ._judge import chance_for, dealt_groups, group_chance, judge_split, row_chance
from ._leakage import LeakageReport, leakage
from ._leakage_checks import (
    CheckResult,
    skipped,
)
from ._quality import (
    SplitQuality,
    split_quality,
    split_quality_of_counts,
)
from ._thresholds import (
    DUPLICATE_FAIL_SHARE,
    LABEL_SCORES,
    NEAR_DUPLICATE_DISTANCE,
    NEAR_DUPLICATE_FAIL_SHARE,
    NEAR_DUPLICATE_QUERIES,
    NEAR_DUPLICATE_SAMPLE,
    NEAR_DUPLICATE_WARN_SHARE,
    PREDICTOR_FAIL,
    PREDICTOR_SAMPLE,
    PREDICTOR_WARN,
    THRESHOLDS,
    Chance,
    Threshold,
    advice,
    scorecard,
    status_of,
    status_reason,
)

__all__ = [
    "Recommendation",
    "recommend_strategy",
    "QUANTILES",
    "HISTOGRAM_BINS",
    "LabelDistribution",
    "label_distribution",
    "TaskScores",
    "task_scores",
    "Cooccurrence",
    "cooccurrence",
    "CooccurrenceShift",
    "cooccurrence_shift",
    "TaskAssociation",
    "task_association",
    "cramers_v",
    "SplitQuality",
    "split_quality",
    "split_quality_of_counts",
    "Threshold",
    "THRESHOLDS",
    "Chance",
    "LABEL_SCORES",
    "advice",
    "status_of",
    "scorecard",
    "status_reason",
    "DUPLICATE_FAIL_SHARE",
    "NEAR_DUPLICATE_DISTANCE",
    "NEAR_DUPLICATE_WARN_SHARE",
    "NEAR_DUPLICATE_FAIL_SHARE",
    "PREDICTOR_WARN",
    "PREDICTOR_FAIL",
    "PREDICTOR_SAMPLE",
    "NEAR_DUPLICATE_SAMPLE",
    "NEAR_DUPLICATE_QUERIES",
    "StrategyComparison",
    "compare_strategies",
    "dealt_groups",
    "chance_for",
    "group_chance",
    "judge_split",
    "row_chance",
    "LeakageReport",
    "leakage",
    "CheckResult",
    "skipped",
]
