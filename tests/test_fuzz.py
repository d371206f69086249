"""Fuzzing: hypothesis throws odd data and settings at every entry point; only DataError/ConfigError may escape.

Datasets mix every task kind (binary, multiclass, multilabel from 0/1 columns
and from ``a|b`` text, regression) with missing labels, groups (some missing),
times (numbers, dates, ties, text that is not a time) and ids; split settings
are drawn valid and invalid. When a split succeeds it must keep the guarantees
of issue 3, and the diagnostics must read it. File bytes, config JSON, task
specs and the sklearn splitters are fuzzed too.

``TASKSPLIT_FUZZ_EXAMPLES`` sets the examples per test (small by default, so
the suite stays fast; ``make fuzz`` runs 10,000).
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core.data import load_file
from core.diagnostics import (
    cooccurrence,
    cooccurrence_shift,
    label_distribution,
    leakage,
    split_quality,
    task_association,
    task_scores,
)
from core.errors import ConfigError, DataError
from core.splits import (
    EXCLUDED,
    STRATEGIES,
    MultiTaskStratifiedKFold,
    MultiTaskStratifiedShuffleSplit,
    SplitConfig,
    split,
)
from core.splits._time import _parse_times
from core.tasks import KINDS, Task, encode_tasks, make_task, parse_task_spec

EXAMPLES = int(os.environ.get("TASKSPLIT_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
ALLOWED = (DataError, ConfigError)


# --------------------------------------------------------------------------- datasets


def _column(draw, n: int, values, missing: float, holes: np.random.Generator) -> list:
    """``n`` draws from ``values``, each missing with probability ``missing`` (holes from a seeded generator)."""
    cells = draw(st.lists(values, min_size=n, max_size=n))
    return [None if hole else cell for cell, hole in zip(cells, holes.random(n) < missing, strict=True)]


LABEL_POOLS = {
    "binary": st.sampled_from([0, 1]),
    "yes_no": st.sampled_from(["no", "yes"]),
    "flag": st.booleans(),
    "classes": st.sampled_from(["cat", "dog", "eel", "owl", "yak"]),
    "codes": st.integers(0, 6),
    "mixed": st.sampled_from([1, "1", 1.0, "a", 2.5, True, " b "]),
    "value": st.one_of(st.floats(-1e6, 1e6), st.sampled_from([float("nan"), float("inf"), -float("inf")])),
    "tags": st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=3).map("|".join),
}
TIME_POOLS = {
    "year": st.integers(1990, 1996),
    "float": st.floats(0, 5).map(lambda v: round(v, 1)),
    "date": st.dates(pd.Timestamp("2020-01-01").date(), pd.Timestamp("2020-01-20").date()).map(str),
    "text": st.sampled_from(["soon", "later", "2020-01-01", "never"]),
}


@st.composite
def datasets(draw) -> pd.DataFrame:
    """A small table with every kind of label column, 0/1 label columns, groups, times, ids and a split column."""
    n = draw(st.integers(1, 40))
    holes = np.random.default_rng(draw(st.integers(0, 2**16)))
    missing = draw(st.sampled_from([0.0, 0.1, 0.5, 1.0]))
    frame = {name: _column(draw, n, pool, missing, holes) for name, pool in LABEL_POOLS.items()}
    for j in range(3):
        frame[f"tag_{j}"] = _column(draw, n, st.sampled_from([0, 1]), missing, holes)
    n_groups = draw(st.integers(0, 8))
    frame["group"] = _column(draw, n, st.integers(0, n_groups), draw(st.sampled_from([0.0, 0.2])), holes)
    time_kind = draw(st.sampled_from(sorted(TIME_POOLS)))
    frame["time"] = _column(draw, n, TIME_POOLS[time_kind], draw(st.sampled_from([0.0, 0.0, 0.1])), holes)
    frame["id"] = _column(draw, n, st.integers(0, 3 * n), draw(st.sampled_from([0.0, 0.0, 0.1])), holes)
    frame["given"] = _column(draw, n, st.sampled_from(["train", "val", "test", " ", EXCLUDED, 3]), 0.1, holes)
    # features within +-1e6 (and NaN, inf): huge magnitudes break leakage, see test_leakage_reads_huge_features
    frame["x"] = draw(st.lists(st.one_of(st.floats(-1e6, 1e6), st.sampled_from([np.nan, np.inf, -np.inf])),
                               min_size=n, max_size=n))
    table = pd.DataFrame(frame)
    if time_kind == "date" and draw(st.booleans()):
        table["time"] = pd.to_datetime(table["time"])
    return table


TASK_SPECS = [
    *[(name, (name,)) for name in LABEL_POOLS],
    ("tags01", ("tag_0", "tag_1", "tag_2")),
    ("pair", ("tag_0", "tag_1")),
]


@st.composite
def task_lists(draw, frame: pd.DataFrame) -> list:
    """Tasks over ``frame``, kinds inferred or forced; a column that cannot be a task must say so with DataError."""
    chosen = draw(st.lists(st.sampled_from(TASK_SPECS), max_size=4, unique_by=lambda spec: spec[0]))
    tasks = []
    for name, columns in chosen:
        kind = draw(st.one_of(st.none(), st.sampled_from(KINDS)))
        try:
            tasks.append(make_task(frame, name, columns, kind))
        except DataError:
            continue
    return tasks


# --------------------------------------------------------------------------- settings


FRACTIONS = st.one_of(
    st.sampled_from([{"train": 0.7, "val": 0.15, "test": 0.15}, {"train": 0.5, "test": 0.5},
                     {"a": 0.2, "b": 0.0, "c": 0.8}, {"train": 1.0}]),
    st.dictionaries(st.sampled_from(["train", "val", "test", "", EXCLUDED, "x"]),
                    st.one_of(st.floats(-0.5, 1.5), st.just(float("nan"))), min_size=0, max_size=4),
    st.lists(st.floats(0.01, 1), min_size=2, max_size=5).map(
        lambda shares: {f"s{i}": share / sum(shares) for i, share in enumerate(shares)}
    ),
)
COLUMNS = ["group", "time", "id", "given", "yes_no", "nope", None]


@st.composite
def wild_options(draw) -> dict:
    """SplitConfig keyword arguments drawn with no regard for validity."""
    options = {
        "strategy": draw(st.sampled_from([*STRATEGIES, "magic", ""])),
        "seed": draw(st.one_of(st.integers(0, 2**32 - 1), st.sampled_from([0, -1, 2**32, 1.5, True]))),
        "group_column": draw(st.sampled_from(COLUMNS + [None] * 3)),
        "time_column": draw(st.sampled_from(COLUMNS)),
        "id_column": draw(st.sampled_from(COLUMNS)),
        "split_column": draw(st.sampled_from(COLUMNS)),
        "gap": draw(st.integers(-1, 3)),
        "order": draw(st.sampled_from([1, 1, 2, 3])),
        "n_bins": draw(st.integers(0, 8)),
    }
    if draw(st.booleans()):
        options["n_folds"] = draw(st.one_of(st.integers(-1, 45), st.sampled_from([2, 3, 5])))
    else:
        options["fractions"] = draw(FRACTIONS)
    return options


@st.composite
def valid_options(draw) -> dict:
    """SplitConfig keyword arguments that make a valid config, with the columns each strategy reads."""
    strategy = draw(st.sampled_from(tuple(STRATEGIES)))
    options = {
        "strategy": strategy,
        "seed": draw(st.one_of(st.sampled_from([0, 2**32 - 1]), st.integers(0, 2**32 - 1))),
        "group_column": "group" if strategy == "group" else draw(st.sampled_from(["group", None, None])),
        "time_column": "time", "id_column": "id", "split_column": "given",
        "gap": draw(st.integers(0, 2)), "order": draw(st.sampled_from([1, 2])), "n_bins": draw(st.integers(1, 6)),
    }
    if strategy in ("random", "stratified", "group") and draw(st.booleans()):
        options["n_folds"] = draw(st.integers(2, 6))
    else:
        options["fractions"] = draw(st.sampled_from([
            {"train": 0.7, "val": 0.15, "test": 0.15}, {"train": 0.5, "test": 0.5}, {"a": 0.2, "b": 0.0, "c": 0.8},
            {"train": 0.8, "test": 0.2}, {"s0": 0.25, "s1": 0.25, "s2": 0.25, "s3": 0.25},
        ]))
    return options


def config_options():
    """Mostly valid settings (so that most examples reach a split), a third drawn wild."""
    return st.one_of(valid_options(), valid_options(), wild_options())


# --------------------------------------------------------------------------- guarantees


def run_split(frame, tasks, config):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = split(frame, tasks, config)
    return result, [w for w in caught if not issubclass(w.category, UserWarning)]


def group_ids(frame: pd.DataFrame, column: str) -> pd.Series:
    """Group id per row; a row with no id is a group of its own."""
    ids = frame[column].astype(object)
    return ids.where(ids.notna(), pd.Series([f"missing-{i}" for i in range(len(frame))], index=frame.index))


def check_sizes(frame, config, assignment) -> None:
    counts = assignment.value_counts().reindex(list(config.split_names), fill_value=0).to_numpy()
    target = config.shares * len(frame)
    slack = group_ids(frame, config.group_column).value_counts().max() if config.group_column else 1
    assert np.all(np.abs(counts - target) <= slack + 1e-9), (counts, target, slack)


def check_time(frame, config, assignment) -> None:
    rank = pd.Series(np.unique(_parse_times(frame[config.time_column], config.time_column),
                               return_inverse=True)[1].ravel(), index=frame.index)
    if config.group_column:  # each group placed by its first time value
        groups = group_ids(frame, config.group_column)
        rank = rank.groupby(groups).transform("min")
    kept = assignment != EXCLUDED
    assert (assignment[kept].groupby(rank[kept]).nunique() == 1).all(), "a time value in two splits"
    spans = [(rank[assignment == name].min(), rank[assignment == name].max())
             for name in config.split_names if (assignment == name).any()]
    assert all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False)), spans


def check_guarantees(frame, tasks, config, result) -> None:
    assignment = result.assignment
    assert assignment.index.equals(frame.index) and assignment.notna().all()
    assert assignment.isin(result.split_names).all()
    assert (EXCLUDED in result.split_names) == bool((assignment == EXCLUDED).any())
    if (assignment == EXCLUDED).any():
        assert config.strategy in ("time", "predefined")
    assert run_split(frame, tasks, config)[0].assignment.equals(assignment), "same config, same split"
    if config.group_column and config.strategy != "predefined":
        groups = group_ids(frame, config.group_column)
        assert (assignment.groupby(groups).nunique() == 1).all(), "a group in two splits"
    if config.strategy in ("random", "stratified", "group"):
        check_sizes(frame, config, assignment)
        units = group_ids(frame, config.group_column).nunique() if config.group_column else len(frame)
        if config.n_folds and units >= config.n_folds:
            assert set(config.split_names) <= set(assignment), "a fold left empty although there are units enough"
    if config.strategy == "time":
        check_time(frame, config, assignment)
    if config.strategy == "predefined":
        given = frame[config.split_column]
        assert (assignment[given.isna()] == EXCLUDED).all()
    if config.strategy == "hash" and len(frame) > 1:  # the first half alone: no row moves
        head = frame.iloc[: len(frame) // 2]
        try:
            alone = run_split(head, tasks, config)[0].assignment
        except DataError:  # the half may hold a single group
            return
        assert alone.equals(assignment.iloc[: len(head)]), "hash moved a row"


def must_succeed(frame, tasks, config) -> bool:
    """Settings that cannot fail: random or stratified rows (no groups) with at least a row per split.

    A class rarer than k is a warning here, never an error.
    """
    if config.strategy not in ("random", "stratified") or config.group_column:
        return False
    if config.strategy == "stratified" and not tasks:
        return False
    return len(frame) >= int((config.shares > 0).sum())


def read_diagnostics(frame, tasks, config, assignment) -> None:
    """Every diagnostic reads the split; only DataError/ConfigError may say it cannot."""
    calls = [
        lambda: label_distribution(frame, tasks, assignment, n_bins=config.n_bins).to_frame(),
        lambda: cooccurrence(frame, tasks, assignment, n_bins=config.n_bins).to_frame(),
        lambda: task_scores(frame, tasks, assignment, n_bins=config.n_bins).to_frame(),
        lambda: task_association(frame, tasks, assignment, n_bins=config.n_bins).to_frame(),
        lambda: split_quality(encode_tasks(frame, tasks, config.n_bins).matrix, assignment.to_numpy(),
                              None if config.n_folds or config.strategy == "predefined"
                              else dict(config.fractions)).to_frame(),
        lambda: leakage(frame, assignment, tasks=tasks,
                        group_column=config.group_column, time_column=config.time_column,
                        seed=config.seed).to_frame(),
    ]
    names = [n for n in pd.unique(assignment) if n != EXCLUDED]
    if len(names) >= 2:
        calls.append(lambda: cooccurrence_shift(frame, tasks, assignment, names[0], names[1],
                                                n_bins=config.n_bins).to_frame())
    for call in calls:
        with contextlib.suppress(*ALLOWED):
            call()


@FUZZ
@given(data=st.data())
def test_split_raises_only_our_errors_and_keeps_its_guarantees(data):
    frame = data.draw(datasets(), label="frame")
    tasks = data.draw(task_lists(frame), label="tasks")
    options = data.draw(config_options(), label="options")
    try:
        config = SplitConfig(**options)
    except ConfigError:
        return
    try:
        result, _ = run_split(frame, tasks, config)
    except ALLOWED as error:
        assert "\n" not in str(error)
        assert not must_succeed(frame, tasks, config), f"{config} failed: {error}"
        return
    check_guarantees(frame, tasks, config, result)
    read_diagnostics(frame, tasks, config, result.assignment)


# --------------------------------------------------------------------------- files, configs, task specs


EXTENSIONS = st.sampled_from([".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".json", ".jsonl", ".bin", ""])
CSV_ALPHABET = st.sampled_from(list("ab,;|\t\n\r\"' 01.-x\x00é") + ["\ufeff", "NaN", "1e999", "[", "{", "PK", "PAR1"])


@FUZZ
@given(content=st.one_of(st.binary(max_size=600), st.lists(CSV_ALPHABET, max_size=200).map(
    lambda parts: "".join(parts).encode("utf-8"))), extension=EXTENSIONS)
def test_reading_any_bytes_gives_a_dataset_or_a_data_error(content, extension):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            dataset = load_file(content, f"upload{extension}")
    except DataError as error:
        assert "\n" not in str(error)
        return
    assert len(dataset.frame) > 0 and dataset.frame.shape[1] > 0
    assert dataset.frame.columns.is_unique


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 2**33), st.floats(), st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)
CONFIG_KEYS = ["strategy", "fractions", "n_folds", "seed", "group_column", "time_column", "gap", "id_column",
               "split_column", "order", "n_bins", "format", "version", "other"]


@FUZZ
@given(values=st.dictionaries(st.sampled_from(CONFIG_KEYS), JSON_VALUES, max_size=6),
       keep_header=st.booleans(), junk=st.text(max_size=30))
def test_reading_any_config_json_gives_a_config_or_a_config_error(values, keep_header, junk):
    if keep_header:
        values = {**values, "format": "tasksplit.SplitConfig", "version": 1}
    for text in (json.dumps(values), junk, json.dumps(values)[: len(junk)]):
        try:
            config = SplitConfig.from_json(text)
        except ConfigError as error:
            assert "\n" not in str(error)
            continue
        assert SplitConfig.from_json(config.to_json()) == config


COLUMN_NAMES = [*LABEL_POOLS, "tag_0", "tag_1", "tag_2", "group", "time", "id", "given", "x", "nope"]
KIND_SUFFIXES = ["", ":binary", ":multiclass", ":multilabel", ":regression", ":bogus"]
TASK_SPEC_TEXT = st.one_of(
    st.text(alphabet=st.sampled_from(list("abcdefglnopstuvxy_=+:|0123 ")), max_size=30),
    st.tuples(st.sampled_from(COLUMN_NAMES), st.sampled_from(KIND_SUFFIXES)).map("".join),
    st.tuples(st.lists(st.sampled_from(COLUMN_NAMES), min_size=1, max_size=4), st.sampled_from(KIND_SUFFIXES)).map(
        lambda parts: "t=" + "+".join(parts[0]) + parts[1]),
)


@FUZZ
@given(spec=TASK_SPEC_TEXT, frame=datasets())
def test_any_task_spec_gives_a_task_or_a_data_error(spec, frame):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            task = parse_task_spec(spec, frame)
    except DataError as error:
        assert "\n" not in str(error)
        return
    assert set(task.columns) <= set(frame.columns) and task.kind in KINDS


# --------------------------------------------------------------------------- sklearn splitters


LABEL_MATRICES = st.integers(1, 30).flatmap(lambda n: st.tuples(
    st.lists(st.lists(st.one_of(st.integers(0, 3), st.just(float("nan"))), min_size=2, max_size=2),
             min_size=n, max_size=n),
    st.lists(st.integers(0, 5), min_size=n, max_size=n),
))


@FUZZ
@given(labels=LABEL_MATRICES, n_splits=st.integers(-1, 8), one_column=st.booleans(), grouped=st.booleans(),
       kfold=st.booleans(), seed=st.one_of(st.none(), st.integers(0, 2**32 - 1)), order=st.sampled_from([1, 2, 3]))
def test_sklearn_splitters_raise_only_our_errors(labels, n_splits, one_column, grouped, kfold, seed, order):
    y, groups = labels
    y = np.array(y, dtype=float)[:, :1].ravel() if one_column else np.array(y, dtype=float)
    X = np.zeros((len(y), 1))
    assume(n_splits != 0 or not kfold)
    try:
        if kfold:  # bad settings fail here, at construction, as in sklearn
            splitter = MultiTaskStratifiedKFold(n_splits, order=order, shuffle=seed is not None, random_state=seed)
        else:
            splitter = MultiTaskStratifiedShuffleSplit(max(n_splits, 1), test_size=0.3, order=order, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            folds = list(splitter.split(X, y, groups if grouped else None))
    except ALLOWED as error:
        assert "\n" not in str(error)
        return
    for train, test in folds:
        assert not set(train) & set(test) and len(test) > 0
        if grouped:
            assert not {groups[i] for i in train} & {groups[i] for i in test}
    if kfold:
        tested = np.concatenate([test for _, test in folds])
        assert sorted(tested) == list(range(len(y))), "every row in exactly one test fold"


# --------------------------------------------------------------------------- found by fuzzing, fixed


def test_kfold_never_leaves_a_test_fold_empty_when_there_are_groups_enough():
    nan = float("nan")
    y = np.array([[0, 0], [0, 0], [0, 0], [0, nan], [nan, 0], [nan, 0], [nan, nan], [nan, nan], [nan, nan],
                  [0, nan], [nan, nan], [nan, nan]])
    groups = [0] * 9 + [2, 1, 1]
    for seed in range(20):
        folds = list(MultiTaskStratifiedKFold(3, shuffle=True, random_state=seed).split(np.zeros((12, 1)), y, groups))
        assert all(len(test) for _, test in folds), seed


def test_random_groups_fill_every_split():
    frame = pd.DataFrame({"g": [0] * 9 + [1, 2, 2]})
    for seed in range(20):
        result = split(frame, [], SplitConfig(strategy="random", n_folds=3, group_column="g", seed=seed))
        assert result.assignment.nunique() == 3, seed


# --------------------------------------------------------------------------- found by fuzzing, fixed since


def test_leakage_reads_inf_in_features():
    frame = pd.DataFrame({"x": [0.0, 1.0, np.inf, 2.0, 3.0, -np.inf], "y": [0, 1, 0, 1, 0, 1]})
    assignment = pd.Series(["train", "train", "train", "test", "test", "test"])
    report = leakage(frame, assignment, feature_columns=["x"])
    assert "near_duplicates" in set(report.to_frame()["check"])


def test_leakage_reads_huge_features():
    frame = pd.DataFrame({"x": [1.5e170, 0.0, 1.0, 2.0, 3.0, 4.0]})
    assignment = pd.Series(["train"] * 3 + ["test"] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        report = leakage(frame, assignment, feature_columns=["x"])
    assert "near_duplicates" in set(report.to_frame()["check"])


def test_association_of_a_split_that_excludes_every_row():
    # found by make fuzz: a predefined split column whose every value is excluded or missing
    frame = pd.DataFrame({"a": [0, 1, 0, 1], "t": ["x|y", "x", "y", ""]})
    tasks = [Task("a", ("a",), "binary"), Task("t", ("t",), "multilabel")]
    table = task_association(frame, tasks, pd.Series(["excluded"] * 4)).to_frame()
    assert set(table["split"]) == {"all"} and table["cramers_v"].isna().sum() == 2


def test_predictor_check_with_every_row_excluded_and_a_text_feature():
    # found by make fuzz: no row to learn from leaves the predictor check an empty sample of a text column
    frame = pd.DataFrame({"a": [0, 1, 0, 1], "c": ["u", "v", "u", None]})
    report = leakage(frame, pd.Series(["excluded"] * 4), tasks=[Task("a", ("a",), "binary")], feature_columns=["c"])
    assert report.to_frame().set_index("check").loc["predictor", "status"] in ("pass", "skipped")
