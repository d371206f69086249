"""Splits: :func:`split` assigns every row to a split as a :class:`SplitConfig` says, and :class:`SplitResult` holds it.

The strategies (random, stratified, group, time, hash, predefined: :class:`Strategy` records in
:data:`STRATEGIES`, the one place a strategy is added), the units they deal (rows or
whole groups), and the sklearn-style splitters and ``multitask_train_test_split``. The stratification engine is :mod:`core.splits.stratify`.
"""

from ._config import DEFAULT_FRACTIONS, GROUP_TIME, MAX_SEED, Fractions, SplitConfig, config_words
from ._names import (
    EXCLUDED,
    NAMED_SPLITS,
    WHOLE,
    assignment_codes,
    fold_index,
    fold_name,
    is_fold,
    predefined_order,
    split_codes,
    split_order,
    split_rows,
)
from ._sklearn import (
    MultiTaskStratifiedGroupKFold,
    MultiTaskStratifiedKFold,
    MultiTaskStratifiedShuffleSplit,
    RepeatedMultiTaskStratifiedKFold,
)
from ._split import SplitResult, split
from ._strategies import FOLD_STRATEGIES, STRATEGIES, Strategy, column_label
from ._time import (
    default_group_time,
    one_split_placings,
    time_order,
    time_order_words,
)
from ._train_test import multitask_train_test_split
from ._units import Units, fill_empty_splits, make_units, rare_line

__all__ = [
    "WHOLE",
    "NAMED_SPLITS",
    "fold_name",
    "fold_index",
    "is_fold",
    "predefined_order",
    "split_order",
    "split_codes",
    "assignment_codes",
    "split_rows",
    "SplitResult",
    "split",
    "Strategy",
    "STRATEGIES",
    "FOLD_STRATEGIES",
    "column_label",
    "EXCLUDED",
    "MAX_SEED",
    "DEFAULT_FRACTIONS",
    "GROUP_TIME",
    "Fractions",
    "SplitConfig",
    "config_words",
    "Units",
    "make_units",
    "fill_empty_splits",
    "rare_line",
    "time_order",
    "time_order_words",
    "one_split_placings",
    "default_group_time",
    "MultiTaskStratifiedKFold",
    "MultiTaskStratifiedShuffleSplit",
    "MultiTaskStratifiedGroupKFold",
    "RepeatedMultiTaskStratifiedKFold",
    "multitask_train_test_split",
]
