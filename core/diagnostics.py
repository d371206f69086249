"""Split diagnostics: label distributions, co-occurrence, task association, quality scores, leakage.

This is the contract module of issue 4: every diagnostic is importable from here, and each
returns a frozen dataclass with ``to_frame()``, a tidy DataFrame for charts and tables. The
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
:mod:`core.tasks._encoded`  :func:`encode_tasks`, :class:`EncodedTasks`, reading an assignment
:mod:`core.distribution`   :func:`label_distribution`, :func:`task_scores`
:mod:`core.cooccurrence`   :func:`cooccurrence`, :func:`cooccurrence_shift`, :func:`task_association`
:mod:`core.quality`        :func:`split_quality` (LD, ED, LPD, FZ, FLZ)
:mod:`core.leakage`        :func:`leakage` (checks in :mod:`core.leakage_checks`, :mod:`core.leakage_sampled`)
:mod:`core.comparison`     :func:`compare_strategies`
:mod:`core.thresholds`     the pass/warn/fail thresholds and :func:`scorecard`
========================  =====================================================================
"""

from __future__ import annotations

from core.comparison import StrategyComparison, compare_strategies
from core.cooccurrence import (
    Cooccurrence,
    CooccurrenceShift,
    TaskAssociation,
    cooccurrence,
    cooccurrence_shift,
    cramers_v,
    task_association,
)
from core.distribution import HISTOGRAM_BINS as HISTOGRAM_BINS
from core.distribution import QUANTILES as QUANTILES
from core.distribution import LabelDistribution, TaskScores, label_distribution, task_scores
from core.tasks._encoded import MISSING, WHOLE, EncodedTasks, TaskLabels, encode_tasks
from core.errors import DataError as DataError
from core.leakage import LeakageReport, leakage
from core.quality import EXCLUDED, SplitQuality, split_order, split_quality
from core.quality import split_codes as split_codes
from core.tasks._task import Task as Task
from core.tasks._task import encode as encode
from core.tasks._task import indicator_block as indicator_block
from core.thresholds import THRESHOLDS, Threshold, scorecard
from core.thresholds import status_of as status_of

# The names below are the contract; the ``X as X`` imports above are kept importable from here
# because they were before the module was split (``from core.diagnostics import split_codes``).
__all__ = [
    "MISSING",
    "WHOLE",
    "EXCLUDED",
    "EncodedTasks",
    "TaskLabels",
    "encode_tasks",
    "LabelDistribution",
    "label_distribution",
    "Cooccurrence",
    "cooccurrence",
    "CooccurrenceShift",
    "cooccurrence_shift",
    "TaskAssociation",
    "task_association",
    "cramers_v",
    "SplitQuality",
    "split_quality",
    "split_order",
    "TaskScores",
    "task_scores",
    "LeakageReport",
    "leakage",
    "StrategyComparison",
    "compare_strategies",
    "THRESHOLDS",
    "Threshold",
    "scorecard",
]
