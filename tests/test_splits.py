"""split(), SplitConfig and SplitResult: hand-computed cases, validation messages, stability."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import ConfigError, DataError
from core.splits import EXCLUDED, Fractions, SplitConfig, SplitResult, split
from core.tasks import Task

ROOT = Path(__file__).resolve().parents[1]
BINARY = Task("y", ("y",), "binary")


def quiet_split(df, tasks, config):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return split(df, tasks, config)


def labelled_frame(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "c": rng.choice(["a", "b", "c"], n),
            "r": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
            "g": rng.integers(0, 8, n),
            "t": rng.integers(2000, 2010, n),
            "id": [f"row-{i}" for i in range(n)],
        }
    )


# --------------------------------------------------------------------------- SplitConfig


def test_config_defaults_match_the_design():
    config = SplitConfig()
    assert config.strategy == "stratified"
    assert dict(config.fractions) == {"train": 0.7, "val": 0.15, "test": 0.15}
    assert (config.n_folds, config.seed, config.gap, config.order, config.n_bins) == (None, 0, 0, 1, 5)
    assert config.split_names == ("train", "val", "test")


def test_config_is_hashable_and_equal_by_value():
    a = SplitConfig(fractions={"train": 0.8, "test": 0.2}, seed=4)
    b = SplitConfig(fractions={"train": 0.8, "test": 0.2}, seed=4)
    assert a == b and hash(a) == hash(b)
    assert len({a, b, SplitConfig()}) == 2
    assert a != SplitConfig(fractions={"test": 0.2, "train": 0.8}, seed=4)  # order names the splits
    assert pickle.loads(pickle.dumps(a)) == a


def test_fractions_is_an_ordered_read_only_mapping():
    shares = Fractions({"train": 0.5, "val": 0.25, "test": 0.25})
    assert list(shares) == ["train", "val", "test"] and shares["val"] == 0.25 and len(shares) == 3
    assert shares == {"test": 0.25, "train": 0.5, "val": 0.25}
    with pytest.raises(KeyError):
        shares["nope"]
    with pytest.raises(TypeError):
        shares["train"] = 1.0  # type: ignore[index]


@pytest.mark.parametrize(
    "config",
    [
        SplitConfig(),
        SplitConfig(strategy="group", group_column="nr", n_folds=5, seed=2**32 - 1, order=2, n_bins=3),
        SplitConfig(strategy="time", time_column="year", gap=2, fractions={"fit": 0.6, "check": 0.4}),
        SplitConfig(strategy="hash", id_column="id"),
        SplitConfig(strategy="predefined", split_column="s"),
    ],
)
def test_config_round_trips_through_json(config):
    text = config.to_json()
    assert '"version": 2' in text
    back = SplitConfig.from_json(text)
    assert back == config and list(back.fractions) == list(config.fractions)
    assert SplitConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a TaskSplit split config"),
        ('{"strategy": "random"}', "not a TaskSplit split config"),
        ('{"format": "tasksplit.SplitConfig", "version": 99, "strategy": "random"}', "version 99"),
        ('{"format": "tasksplit.SplitConfig", "version": 1, "strategy": "random", "colour": 1}', "colour"),
        ('{"format": "tasksplit.SplitConfig", "version": 1, "strategy": "shuffle"}', "strategy='shuffle'"),
    ],
)
def test_bad_or_foreign_json_is_a_one_line_config_error(text, words):
    with pytest.raises(ConfigError, match=words) as caught:
        SplitConfig.from_json(text)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"strategy": "shuffle"}, "strategy='shuffle' is unknown"),
        ({"fractions": {"train": 0.7, "test": 0.2}}, "fractions sum to 0.9"),
        ({"fractions": {"train": 1.2, "test": -0.2}}, "test=-0.2 is negative"),
        ({"fractions": {"train": 1.0}}, "fewer than two splits"),
        ({"fractions": {"train": 0.5, EXCLUDED: 0.5}}, "not allowed"),
        ({"fractions": {"train": "a", "test": 0.5}}, "not a number"),
        ({"fractions": [0.5, 0.5]}, "must map split names"),
        ({"n_folds": 1}, "n_folds=1 must be at least 2"),
        ({"n_folds": 2.5}, "n_folds=2.5 must be a whole number"),
        ({"strategy": "time", "time_column": "t", "n_folds": 3}, "does not apply to strategy 'time'"),
        ({"seed": -1}, "seed=-1 is out of range"),
        ({"seed": 2**32}, "seed=4294967296 is out of range"),
        ({"seed": True}, "seed=True must be a whole number"),
        ({"order": 3}, "order=3 is not supported"),
        ({"gap": -1}, "gap=-1 is out of range"),
        ({"n_bins": 0}, "n_bins=0 is out of range"),
        ({"strategy": "group"}, "needs group_column"),
        ({"strategy": "time"}, "needs time_column"),
        ({"strategy": "hash"}, "needs id_column"),
        ({"strategy": "predefined"}, "needs split_column"),
        ({"group_column": ""}, "group_column='' must be a column name"),
    ],
)
def test_bad_config_is_a_one_line_error_naming_the_field(options, words):
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")) as caught:
        SplitConfig(**options)
    assert "\n" not in str(caught.value)


def test_numpy_integers_are_accepted_and_stored_as_int():
    config = SplitConfig(seed=np.uint32(2**32 - 1), n_folds=np.int64(3))
    assert type(config.seed) is int and type(config.n_folds) is int
    assert config.split_names == ("fold-0", "fold-1", "fold-2")


# --------------------------------------------------------------------------- SplitResult


def test_result_assignment_is_a_named_string_series_aligned_with_the_index():
    df = labelled_frame().set_index(pd.Index(range(100, 140)))
    result = split(df, [BINARY], SplitConfig(strategy="random"))
    assert isinstance(result, SplitResult)
    assert result.assignment.name == "split" and result.assignment.index.equals(df.index)
    assert all(isinstance(v, str) for v in result.assignment)
    assert result.split_names == ("train", "val", "test")
    frame = result.to_frame()
    assert list(frame.columns) == ["split", "rows", "share"]
    assert frame["rows"].tolist() == [28, 6, 6] and frame["share"].sum() == pytest.approx(1.0)


def test_random_hand_computed_sizes_and_zero_share_split():
    df = pd.DataFrame({"x": range(10)})
    result = split(df, [], SplitConfig(strategy="random"))
    assert result.to_frame()["rows"].tolist() == [7, 2, 1]  # cut at 7, 8.5, 10
    zero = split(df, [], SplitConfig(strategy="random", fractions={"train": 0.6, "val": 0.0, "test": 0.4}))
    assert zero.to_frame()["rows"].tolist() == [6, 0, 4] and zero.split_names == ("train", "val", "test")


def test_an_empty_split_is_a_warning_not_an_error():
    config = SplitConfig(strategy="random", fractions={"train": 0.9, "val": 0.05, "test": 0.05})
    with pytest.warns(UserWarning, match="val, test got none of the 3 rows"):
        result = split(pd.DataFrame({"x": [1, 2, 3]}), [], config)
    assert result.assignment.tolist() == ["train"] * 3 and result.to_frame()["rows"].tolist() == [3, 0, 0]


def test_warnings_are_emitted_and_kept():
    df = pd.DataFrame({"y": ["a"] * 9 + ["b"]})  # one 'b': cannot reach 3 folds
    with pytest.warns(UserWarning, match="too rare") as caught:
        result = split(df, [BINARY], SplitConfig(n_folds=3))
    assert result.warnings and result.warnings[0] == str(caught[0].message)
    assert "y=b (1 row)" in result.warnings[0] and "\n" not in result.warnings[0]


def test_split_rejects_a_non_config():
    with pytest.raises(ConfigError, match="not a SplitConfig"):
        split(labelled_frame(), [BINARY], {"strategy": "random"})


# --------------------------------------------------------------------------- data errors


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"strategy": "group", "group_column": "nope"}, "group_column='nope' is not a column"),
        ({"strategy": "time", "time_column": "nope"}, "time_column='nope' is not a column"),
        ({"strategy": "hash", "id_column": "nope"}, "id_column='nope' is not a column"),
        ({"strategy": "predefined", "split_column": "nope"}, "split_column='nope' is not a column"),
        ({"strategy": "random", "group_column": "nope"}, "group_column='nope' is not a column"),
        ({"n_folds": 7}, "n_folds=7 is greater than the 5 rows of the dataset. Lower n_folds."),
        ({"strategy": "random", "n_folds": 7}, "n_folds=7 is greater than the 5 rows"),
        ({"strategy": "group", "group_column": "g", "n_folds": 3}, "greater than the 2 groups in column 'g'"),
        ({"strategy": "group", "group_column": "one"}, "holds a single group"),
        ({"strategy": "time", "time_column": "word"}, "does not parse as numbers or dates"),
        ({"strategy": "hash", "id_column": "holey"}, "id_column 'holey' has 1 missing values"),
        ({"strategy": "time", "time_column": "holey"}, "time_column 'holey' has 1 missing values"),
        ({"strategy": "time", "time_column": "y"}, "2 distinct values, too few for 3 splits"),
    ],
)
def test_data_errors_are_one_line_and_sklearn_like(options, words):
    df = pd.DataFrame(
        {
            "y": [0, 1, 0, 1, 1],
            "g": ["a", "a", "b", "b", "b"],
            "one": ["x"] * 5,
            "word": ["soon", "later", "then", "now", "never"],
            "holey": [1.0, 2.0, np.nan, 4.0, 5.0],
        }
    )
    with pytest.raises(DataError, match=words.replace("(", r"\(").replace(".", r"\.")) as caught:
        split(df, [BINARY], SplitConfig(**options))
    assert "\n" not in str(caught.value)


def test_a_row_with_no_group_id_is_a_group_of_its_own():
    df = labelled_frame(30).assign(g=[np.nan] * 10 + ["a"] * 10 + ["b"] * 10)
    with pytest.warns(UserWarning, match="10 rows have no value in group_column 'g'; each is kept"):
        result = split(df, [BINARY], SplitConfig(strategy="group", group_column="g"))
    assert (result.assignment[10:].groupby(df["g"][10:]).nunique() == 1).all()
    assert result.assignment[:10].nunique() > 1  # the ten loose rows are free to go anywhere


def test_column_settings_the_strategy_does_not_read_are_ignored():
    df = labelled_frame()
    config = SplitConfig(strategy="random", time_column="gone", id_column="gone", split_column="gone")
    assert split(df, [], config).assignment.notna().all()
    predefined = SplitConfig(strategy="predefined", split_column="c", group_column="gone")
    assert split(df, [], predefined).assignment.tolist() == df["c"].tolist()


def test_stratified_without_tasks_and_empty_data_are_data_errors():
    with pytest.raises(DataError, match="none is chosen"):
        split(labelled_frame(), [], SplitConfig())
    with pytest.raises(DataError, match="no rows"):
        split(labelled_frame().iloc[:0], [BINARY], SplitConfig())


# --------------------------------------------------------------------------- stratified and group


def test_stratified_assigns_rows_with_missing_labels_and_balances_classes():
    df = labelled_frame(200, seed=3)
    tasks = [BINARY, Task("c", ("c",), "multiclass"), Task("r", ("r",), "regression")]
    result = quiet_split(df, tasks, SplitConfig(n_folds=4))
    assert result.assignment.notna().all() and result.assignment.isin(result.split_names).all()
    assert df["r"].isna().any()
    for column in ("y", "c"):
        counts = pd.crosstab(df[column], result.assignment)
        expected = counts.sum(axis=1).to_numpy()[:, None] / 4
        assert np.all(np.abs(counts.to_numpy() - expected) <= 2), counts


def test_group_strategy_keeps_groups_whole_and_sizes_within_a_group():
    df = labelled_frame(120, seed=5)
    result = quiet_split(df, [BINARY], SplitConfig(strategy="group", group_column="g"))
    assert (df.groupby("g")["y"].size() > 0).all()
    per_group = result.assignment.groupby(df["g"]).nunique()
    assert (per_group == 1).all()
    biggest = df["g"].value_counts().max()
    rows = result.to_frame().set_index("split")["rows"]
    for name, share in SplitConfig().fractions.items():
        assert abs(rows[name] - share * len(df)) <= biggest


# --------------------------------------------------------------------------- time


def test_time_hand_computed_blocks_with_and_without_gap():
    df = pd.DataFrame({"t": range(1, 11)})
    config = SplitConfig(strategy="time", time_column="t", fractions={"train": 0.6, "val": 0.2, "test": 0.2})
    assert split(df, [], config).assignment.tolist() == ["train"] * 6 + ["val"] * 2 + ["test"] * 2
    gapped = split(df, [], SplitConfig(**{**config.to_dict(), "gap": 1})).assignment.tolist()
    assert gapped == ["train"] * 5 + [EXCLUDED, "val", EXCLUDED, "test", "test"]


def test_time_keeps_ties_together_and_parses_dates_and_date_strings():
    stamps = ["2021-01-03", "2021-01-01", "2021-01-02", "2021-01-01", "2021-01-05", "2021-01-04"] * 3
    for column in (stamps, pd.to_datetime(stamps), [s.replace("-", "/") for s in stamps]):
        df = pd.DataFrame({"t": column})
        result = split(df, [], SplitConfig(strategy="time", time_column="t", fractions={"a": 0.5, "b": 0.5}))
        assert (result.assignment.groupby(df["t"]).nunique() == 1).all()
        order = pd.to_datetime(pd.Series(stamps).str.replace("/", "-"))
        assert order[result.assignment == "a"].max() < order[result.assignment == "b"].min()


def test_time_with_groups_places_each_group_by_its_first_time_value():
    # first time values: a 1 (3 rows), b 2, c 3, d 4 (2 rows each), e 5 (1 row). Test starts at the
    # value whose rows-before count (5) is nearest half of 10, t=3; the gap value t=2 is the end of train.
    df = pd.DataFrame(
        {
            "g": ["a", "a", "a", "b", "b", "c", "c", "d", "d", "e"],
            "t": [1, 2, 5, 2, 4, 3, 5, 4, 5, 5],
        }
    )
    config = SplitConfig(
        strategy="time", time_column="t", group_column="g", gap=1, fractions={"train": 0.5, "test": 0.5}
    )
    result = quiet_split(df, [], config)
    by_group = result.assignment.groupby(df["g"]).agg(lambda s: set(s))
    assert by_group.to_dict() == {
        "a": {"train"},
        "b": {EXCLUDED},
        "c": {"test"},
        "d": {"test"},
        "e": {"test"},
    }


def test_time_panel_where_every_group_starts_at_once_warns(wagepan):
    config = SplitConfig(strategy="time", time_column="year", group_column="nr")
    with pytest.warns(UserWarning, match="starts at the same time value"):
        result = split(wagepan.frame, [], config)
    assert set(result.assignment) == {"train"}


# --------------------------------------------------------------------------- hash


def test_hash_ignores_row_order_and_appended_rows():
    df = labelled_frame(60)
    config = SplitConfig(strategy="hash", id_column="id", seed=11)
    base = split(df, [], config).assignment
    grown = pd.concat(
        [df, labelled_frame(30, seed=9).assign(id=[f"new-{i}" for i in range(30)])], ignore_index=True
    )
    assert split(grown, [], config).assignment.iloc[:60].tolist() == base.tolist()
    shuffled = df.sample(frac=1.0, random_state=1)
    assert split(shuffled, [], config).assignment.reindex(df.index).tolist() == base.tolist()


def test_hash_salt_is_the_seed_and_whole_float_ids_hash_like_ints():
    ids = pd.DataFrame({"id": np.arange(500)})
    a = split(ids, [], SplitConfig(strategy="hash", id_column="id")).assignment
    b = split(ids.astype(float), [], SplitConfig(strategy="hash", id_column="id")).assignment
    c = split(ids, [], SplitConfig(strategy="hash", id_column="id", seed=1)).assignment
    assert a.tolist() == b.tolist() and a.tolist() != c.tolist()
    assert a.value_counts(normalize=True)["train"] == pytest.approx(0.7, abs=0.07)


def test_hash_with_groups_hashes_the_group_id():
    df = labelled_frame(80)
    result = quiet_split(df, [], SplitConfig(strategy="hash", id_column="id", group_column="g"))
    assert (result.assignment.groupby(df["g"]).nunique() == 1).all()


def test_hash_is_the_same_in_another_process():
    df = labelled_frame(200)
    here = split(df, [], SplitConfig(strategy="hash", id_column="id", seed=123)).assignment.tolist()
    code = (
        "import sys, json\n"
        "from tests.test_splits import labelled_frame\n"
        "from core.splits import split, SplitConfig\n"
        "a = split(labelled_frame(200), [], SplitConfig(strategy='hash', id_column='id', seed=123)).assignment\n"
        "sys.stdout.write(json.dumps(a.tolist()))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "977"}  # another salt for Python's own str hash
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True, env=env
    )
    assert json.loads(out.stdout) == here


def test_hash_known_values_do_not_drift():
    # Pinned: a change here moves users' rows between splits. Only change it on purpose.
    df = pd.DataFrame({"id": ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]})
    result = quiet_split(df, [], SplitConfig(strategy="hash", id_column="id"))
    assert result.assignment.tolist() == [
        "test",
        "train",
        "test",
        "train",
        "train",
        "train",
        "train",
        "train",
    ]


# --------------------------------------------------------------------------- predefined


def test_predefined_copies_names_orders_them_and_excludes_missing():
    df = pd.DataFrame({"s": ["test", "train", None, "val", "train", " ", "holdout"]})
    with pytest.warns(UserWarning, match="2 rows have no value"):
        result = split(df, [], SplitConfig(strategy="predefined", split_column="s"))
    assert result.assignment.tolist() == ["test", "train", EXCLUDED, "val", "train", EXCLUDED, "holdout"]
    assert result.split_names == ("train", "val", "test", "holdout", EXCLUDED)


def test_predefined_numbers_become_whole_number_names():
    df = pd.DataFrame({"fold": [2.0, 0.0, 10.0, 1.0, 2.0]})
    result = split(df, [], SplitConfig(strategy="predefined", split_column="fold"))
    assert result.assignment.tolist() == ["2", "0", "10", "1", "2"]
    assert result.split_names == ("0", "1", "2", "10")


def test_predefined_ignores_groups_and_rejects_an_empty_column():
    df = pd.DataFrame({"s": ["a", "b", "a"], "g": [1, 1, 1], "empty": [None, None, None]})
    result = split(df, [], SplitConfig(strategy="predefined", split_column="s", group_column="g"))
    assert result.assignment.tolist() == ["a", "b", "a"]
    with pytest.raises(DataError, match="has no values"):
        split(df, [], SplitConfig(strategy="predefined", split_column="empty"))


def test_rare_regression_bins_advise_fewer_bins_and_one_row_is_singular():
    """newuser6 item 7: 20 rows in 5 folds said 'merge rare classes' of regression bins, and '(1 rows)'."""
    rng = np.random.default_rng(6)
    tiny = pd.DataFrame({"weight": rng.normal(180, 20, 20), "pulse": rng.normal(55, 6, 20),
                         "kind": ["a"] * 19 + ["b"]})
    bins_only = [Task("weight", ("weight",), "regression"), Task("pulse", ("pulse",), "regression")]
    with pytest.warns(UserWarning, match=r"; use fewer bins for regression tasks \(n_bins\) or fewer splits\.$"):
        split(tiny, bins_only, SplitConfig(strategy="stratified", n_folds=5))
    both = [*bins_only, Task("kind", ("kind",), "multiclass")]
    with pytest.warns(UserWarning, match=r"kind=b \(1 row\).*; merge rare classes, use fewer bins for regression"):
        split(tiny[["kind", "weight", "pulse"]], both[::-1], SplitConfig(strategy="stratified", n_folds=5))
    classes = pd.DataFrame({"kind": ["a"] * 29 + ["b"]})
    with pytest.warns(UserWarning, match=r"kind=b \(1 row\); merge rare classes or use fewer splits\.$"):
        split(classes, [Task("kind", ("kind",), "multiclass")], SplitConfig(strategy="stratified"))
