"""The vocabulary once (issue 13): fold and split names from core.splits, labels carried as data, odd names work."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.errors import DataError
from core.figures._palette import EXTRA_COLORS, FOLD_COLORS, split_color
from core.splits import (
    EXCLUDED,
    SplitConfig,
    fold_index,
    fold_name,
    is_fold,
    predefined_order,
    split,
    split_order,
)
from core.tasks import Task
from core.training import resolve_parts

# --------------------------------------------------------------------------- fold and split names


@pytest.mark.parametrize("i", [0, 1, 9, 10, 123])
def test_a_fold_name_reads_back_as_its_number(i):
    assert fold_index(fold_name(i)) == i and is_fold(fold_name(i))


@pytest.mark.parametrize("name", ["train", "fold-", "fold-x", "fold-1a", "my fold-1", "Fold-1", EXCLUDED, "fold_1"])
def test_other_names_are_not_folds(name):
    assert fold_index(name) is None and not is_fold(name)


def test_the_splits_of_a_k_fold_config_are_fold_names():
    config = SplitConfig(strategy="random", n_folds=4)
    assert config.split_names == tuple(fold_name(i) for i in range(4))
    frame = pd.DataFrame({"y": [0, 1] * 20})
    result = split(frame, [Task("y", ("y",), "binary")], config)
    assert sorted({fold_index(n) for n in result.assignment}) == [0, 1, 2, 3]


@pytest.mark.parametrize("name", ["fold-0", "fold-1", "fold-7", "fold-12", "fold-x", "fold-", "holdout"])
def test_the_palette_reads_folds_as_core_does(name):
    """core.figures imports nothing of core, so its palette spells the fold rule itself; it must agree."""
    expected = FOLD_COLORS[fold_index(name) % len(FOLD_COLORS)] if is_fold(name) else EXTRA_COLORS[1]
    assert split_color(name, position=1) == expected


def test_split_order_and_predefined_order_keep_their_orders():
    assert split_order(["fold-10", "test", EXCLUDED, "fold-2", "zz", "val", "train"]) == [
        "train", "val", "test", "fold-2", "fold-10", "zz", EXCLUDED]
    assert predefined_order(["b2", "test", "b10", "valid", "training", "a"]) == [
        "training", "valid", "test", "a", "b2", "b10"]


def test_resolve_parts_reads_folds_through_fold_index():
    frame = pd.DataFrame({"x": range(12)})
    parts, _ = resolve_parts([fold_name(i % 3) for i in range(12)], frame, test_fold=2, val_fraction=0.25)
    assert parts["test"].tolist() == [2, 5, 8, 11]
    with pytest.raises(DataError, match="holds 'fold-x'"):
        resolve_parts(["fold-0", "fold-x"] * 6, frame)
