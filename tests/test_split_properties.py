"""Properties every split must have, over small realistic multi-task frames drawn by hypothesis.

``TASKSPLIT_FUZZ_EXAMPLES`` sets the number of examples per property (small by default).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.splits import EXCLUDED, SplitConfig, split
from core.tasks import Task

EXAMPLES = int(os.environ.get("TASKSPLIT_FUZZ_EXAMPLES", "15"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEEDS = st.one_of(st.sampled_from([0, 1, 2**32 - 1]), st.integers(0, 2**32 - 1))
ALL_STRATEGIES = ("random", "stratified", "group", "time", "hash", "predefined")
FOLDS = st.sampled_from([None, 2, 3, 5])
FRACTIONS = st.sampled_from(
    [{"train": 0.7, "val": 0.15, "test": 0.15}, {"train": 0.5, "test": 0.5}, {"a": 0.2, "b": 0.0, "c": 0.8}]
)


@dataclass(frozen=True)
class Case:
    frame: pd.DataFrame
    tasks: tuple[Task, ...]


def make_frame(rows: int, seed: int, n_groups: int) -> Case:
    """Binary, multiclass, multilabel and regression tasks with missing labels, groups, times, ids."""
    rng = np.random.default_rng(seed)
    missing = rng.random((rows, 4)) < 0.15
    binary = rng.choice(["no", "yes"], rows, p=[0.7, 0.3]).astype(object)
    binary[missing[:, 0]] = None
    binary[:2] = ["no", "yes"]  # both classes always present
    kind = rng.choice(["cat", "dog", "eel", "owl"], rows, p=[0.5, 0.3, 0.15, 0.05]).astype(object)
    kind[missing[:, 1]] = None
    kind[:3] = ["cat", "dog", "eel"]
    value = np.round(rng.normal(10, 3, rows), 2)
    value[missing[:, 2]] = np.nan
    value[:2] = [1.0, 20.0]
    tags = (rng.random((rows, 3)) < [0.4, 0.2, 0.05]).astype(float)
    tags[missing[:, 3]] = np.nan
    tags[0] = 1.0
    group = rng.permutation(np.concatenate([np.arange(n_groups), rng.integers(0, n_groups, rows - n_groups)]))
    first = rng.integers(0, 8, n_groups)  # each group's first year; its rows run on from there
    year = 2000 + first[group] + rng.integers(0, 3, rows)
    year[:6] = np.arange(2000, 2006)  # at least six distinct time values
    frame = pd.DataFrame(
        {
            "binary": binary,
            "kind": kind,
            "value": value,
            "tag_a": tags[:, 0],
            "tag_b": tags[:, 1],
            "tag_c": tags[:, 2],
            "group": [f"g{g}" for g in group],
            "year": year,
            "id": rng.permutation(rows * 3)[:rows],
            "given": rng.choice(["train", "test", None], rows, p=[0.6, 0.3, 0.1]),
        }
    )
    tasks = (
        Task("binary", ("binary",), "binary"),
        Task("kind", ("kind",), "multiclass"),
        Task("value", ("value",), "regression"),
        Task("tags", ("tag_a", "tag_b", "tag_c"), "multilabel"),
    )
    return Case(frame, tasks)


@st.composite
def cases(draw, min_rows: int = 12, max_rows: int = 80) -> Case:
    rows = draw(st.integers(min_rows, max_rows))
    n_groups = draw(st.integers(5, rows // 2))  # every group has a row
    case = make_frame(rows, draw(st.integers(0, 2**32 - 1)), n_groups)
    chosen = draw(st.lists(st.sampled_from(case.tasks), min_size=1, max_size=4, unique=True))
    return Case(case.frame, tuple(chosen))


def config_for(strategy: str, *, folds, fractions, seed: int, grouped: bool, order: int = 1) -> SplitConfig:
    group = "group" if grouped or strategy == "group" else None
    return SplitConfig(
        strategy=strategy,
        n_folds=folds if strategy in ("random", "stratified", "group") else None,
        fractions=fractions,
        seed=seed,
        group_column=group,
        time_column="year",
        id_column="id",
        split_column="given",
        order=order,
    )


def run(case: Case, config: SplitConfig):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = split(case.frame, case.tasks, config)
    return result, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


def sizes(result) -> pd.Series:
    return result.assignment.value_counts().reindex(result.config.split_names, fill_value=0)


# --------------------------------------------------------------------------- every strategy


@SETTINGS
@given(
    case=cases(),
    strategy=st.sampled_from(ALL_STRATEGIES),
    folds=FOLDS,
    fractions=FRACTIONS,
    seed=SEEDS,
    grouped=st.booleans(),
)
def test_every_row_gets_one_known_split_and_the_same_config_gives_the_same_split(
    case, strategy, folds, fractions, seed, grouped
):
    config = config_for(strategy, folds=folds, fractions=fractions, seed=seed, grouped=grouped)
    result, notes = run(case, config)
    assignment = result.assignment
    assert len(assignment) == len(case.frame) and assignment.index.equals(case.frame.index)
    assert assignment.notna().all() and assignment.isin(result.split_names).all()
    assert (EXCLUDED in result.split_names) == bool((assignment == EXCLUDED).any())
    assert tuple(notes) == result.warnings
    assert run(case, config)[0].assignment.equals(assignment)


@SETTINGS
@given(
    case=cases(), strategy=st.sampled_from(ALL_STRATEGIES[:-1]), folds=FOLDS, fractions=FRACTIONS, seed=SEEDS
)
def test_no_group_lands_in_two_splits(case, strategy, folds, fractions, seed):
    config = config_for(strategy, folds=folds, fractions=fractions, seed=seed, grouped=True)
    result, _ = run(case, config)
    assert (result.assignment.groupby(case.frame["group"]).nunique() == 1).all()


# --------------------------------------------------------------------------- random and stratified


@SETTINGS
@given(
    case=cases(),
    strategy=st.sampled_from(["random", "stratified", "group"]),
    folds=FOLDS,
    fractions=FRACTIONS,
    seed=SEEDS,
    grouped=st.booleans(),
)
def test_sizes_are_within_one_row_or_one_group(case, strategy, folds, fractions, seed, grouped):
    config = config_for(strategy, folds=folds, fractions=fractions, seed=seed, grouped=grouped)
    result, _ = run(case, config)
    target = config.shares * len(case.frame)
    slack = case.frame["group"].value_counts().max() if config.group_column else 1
    assert np.all(np.abs(sizes(result).to_numpy() - target) <= slack + 1e-9), (sizes(result), target, slack)


RENAMES = {
    "binary": {"no": "yes", "yes": "no"},
    "kind": {"cat": "zebra", "dog": "ant", "eel": "moth", "owl": "bee"},
}


@SETTINGS
@given(case=cases(), folds=FOLDS, seed=SEEDS, grouped=st.booleans(), order=st.sampled_from([1, 2]))
def test_renaming_labels_does_not_change_a_stratified_split(case, folds, seed, grouped, order):
    config = config_for(
        "stratified",
        folds=folds,
        fractions={"train": 0.7, "val": 0.15, "test": 0.15},
        seed=seed,
        grouped=grouped,
        order=order,
    )
    renamed = case.frame.replace(RENAMES)
    renamed = renamed.rename(columns={"tag_a": "zz", "tag_c": "aa"})
    tasks = tuple(
        Task(t.name, tuple({"tag_a": "zz", "tag_c": "aa"}.get(c, c) for c in t.columns), t.kind)
        for t in case.tasks
    )
    assert run(case, config)[0].assignment.equals(run(Case(renamed, tasks), config)[0].assignment)


@SETTINGS
@given(case=cases(min_rows=20), k=st.sampled_from([2, 3, 5]), seed=SEEDS)
def test_a_class_with_k_labelled_rows_is_in_every_fold_and_a_rarer_one_warns(case, k, seed):
    config = config_for("stratified", folds=k, fractions={"a": 0.5, "b": 0.5}, seed=seed, grouped=False)
    tasks = tuple(t for t in case.tasks if t.kind in ("binary", "multiclass"))
    if not tasks:
        return
    result, notes = run(Case(case.frame, tasks), config)
    for task in tasks:
        labels = case.frame[task.columns[0]]
        for value, count in labels.value_counts().items():
            folds = set(result.assignment[labels == value])
            if count >= k:
                assert len(folds) == k, (task.name, value, count, folds)
            else:
                named = f"{task.name}={value} ({count} {'row' if count == 1 else 'rows'})"
                assert any(named in note or " ...; " in note for note in notes), (
                    named,
                    notes,
                )


def test_rare_class_warning_names_groups_when_grouped():
    case = make_frame(60, 3, 12)
    frame = case.frame.assign(kind=np.where(case.frame["group"] == "g0", "owl", "cat"))
    config = SplitConfig(n_folds=3, group_column="group")
    with pytest.warns(UserWarning, match=r"kind=owl \(1 group\)"):
        split(frame, [Task("kind", ("kind",), "binary")], config)


# --------------------------------------------------------------------------- time


@SETTINGS
@given(case=cases(), fractions=FRACTIONS, gap=st.integers(0, 1), seed=SEEDS)
def test_time_keeps_ties_together_and_order(case, fractions, gap, seed):
    config = SplitConfig(strategy="time", time_column="year", fractions=fractions, gap=gap, seed=seed)
    result, _ = run(case, config)
    year = case.frame["year"]
    assert (result.assignment.groupby(year).nunique() == 1).all()
    spans = [
        (year[result.assignment == name].min(), year[result.assignment == name].max())
        for name in config.split_names
        if (result.assignment == name).any()
    ]
    assert all(earlier[1] < later[0] for earlier, later in zip(spans, spans[1:], strict=False))
    if gap:  # at least `gap` distinct time values lie between consecutive non-empty splits
        values = np.sort(year.unique())
        for earlier, later in zip(spans, spans[1:], strict=False):
            between = values[(values > earlier[1]) & (values < later[0])]
            assert between.size >= gap and (result.assignment[year.isin(between)] == EXCLUDED).all()


@SETTINGS
@given(case=cases(), fractions=FRACTIONS, gap=st.integers(0, 1))
def test_time_with_groups_orders_the_groups_first_time_values(case, fractions, gap):
    config = SplitConfig(
        strategy="time", time_column="year", group_column="group", fractions=fractions, gap=gap
    )
    result, _ = run(case, config)
    first = case.frame.groupby("group")["year"].min()
    where = result.assignment.groupby(case.frame["group"]).first()
    spans = [
        (first[where == name].min(), first[where == name].max())
        for name in config.split_names
        if (where == name).any()
    ]
    assert all(earlier[1] < later[0] for earlier, later in zip(spans, spans[1:], strict=False))


# --------------------------------------------------------------------------- hash


@SETTINGS
@given(case=cases(), extra=st.integers(10, 40), fractions=FRACTIONS, seed=SEEDS, grouped=st.booleans())
def test_hash_never_moves_a_row_when_rows_are_added(case, extra, fractions, seed, grouped):
    config = config_for("hash", folds=None, fractions=fractions, seed=seed, grouped=grouped)
    more = make_frame(extra, seed % 1000, 5).frame.assign(id=lambda f: f["id"] + 10**6)
    grown = pd.concat([case.frame, more], ignore_index=True)
    before = run(case, config)[0].assignment
    after = run(Case(grown, case.tasks), config)[0].assignment
    assert after.iloc[: len(before)].tolist() == before.tolist()
