"""Diagnostics: hand-computed cases, brute-force versions of each measure, pandas.crosstab, scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp
from scipy.stats.contingency import association

from core.diagnostics import (
    compare_strategies,
    cooccurrence,
    cooccurrence_shift,
    cramers_v,
    label_distribution,
    leakage,
    scorecard,
    split_quality,
    task_association,
    task_scores,
)
from core.errors import DataError
from core.splits import WHOLE
from core.tasks import MISSING, Task, encode_tasks, indicator_matrix


@pytest.fixture
def mixed() -> tuple[pd.DataFrame, list[Task], np.ndarray]:
    """Binary, multiclass, multilabel and regression tasks with missing labels, 300 rows."""
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame(
        {
            "smoker": rng.choice(["no", "yes", None], n, p=[0.6, 0.3, 0.1]),
            "colour": rng.choice(["red", "green", "blue"], n),
            "tag_a": rng.integers(0, 2, n).astype(float),
            "tag_b": rng.integers(0, 2, n).astype(float),
            "income": rng.normal(50, 10, n),
            "x": rng.normal(size=n),
        }
    )
    frame.loc[rng.random(n) < 0.1, ["tag_a", "tag_b"]] = np.nan
    frame.loc[rng.random(n) < 0.05, "income"] = np.nan
    tasks = [
        Task("smoker", ("smoker",), "binary"),
        Task("colour", ("colour",), "multiclass"),
        Task("tags", ("tag_a", "tag_b"), "multilabel"),
        Task("income", ("income",), "regression"),
    ]
    assignment = np.array(["train", "val", "test", "excluded"], dtype=object)[
        rng.choice(4, n, p=[0.6, 0.15, 0.15, 0.1])
    ]
    return frame, tasks, assignment


# --------------------------------------------------------------------------- encoding


def test_encoding_matches_indicator_matrix(mixed):
    frame, tasks, _ = mixed
    Y, labels = indicator_matrix(frame, tasks)
    encoded = encode_tasks(frame, tasks)
    assert list(encoded.labels) == labels
    assert (encoded.matrix != Y).nnz == 0


def test_fast_multilabel_path_matches_indicator_matrix():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.integers(0, 2, (200, 6)).astype(np.int8), columns=[f"l{i}" for i in range(6)])
    frame["l5"] = frame["l5"].astype(np.int64)
    tasks = [Task("labels", tuple(frame.columns), "multilabel")]
    Y, labels = indicator_matrix(frame, tasks)
    encoded = encode_tasks(frame, tasks)
    assert list(encoded.labels) == labels and (encoded.matrix != Y).nnz == 0
    assert not encoded.tasks[0].missing.any()


# --------------------------------------------------------------------------- label distribution


def test_label_distribution_hand_computed():
    frame = pd.DataFrame({"y": ["a", "b", None, "a", "a", "excluded-row"]})
    frame.loc[5, "y"] = "b"
    assignment = ["train", "train", "test", "test", "train", "excluded"]
    counts = label_distribution(frame, [Task("y", ("y",), "binary")], assignment).to_frame()
    train = counts[counts["split"] == "train"].set_index("label")
    assert train.loc["a", "count"] == 2 and train.loc["b", "count"] == 1 and train.loc[MISSING, "count"] == 0
    test = counts[counts["split"] == "test"].set_index("label")
    assert test.loc[MISSING, "fraction"] == 0.5 and np.isnan(test.loc[MISSING, "fraction_labelled"])
    assert test.loc["a", "fraction_labelled"] == 1.0
    whole = counts[counts["split"] == WHOLE].set_index("label")
    assert whole["count"].tolist() == [3, 1, 1]  # the excluded row is left out
    assert list(counts["split"].unique()) == ["train", "test", WHOLE]


def test_label_distribution_against_brute_force(mixed):
    frame, tasks, assignment = mixed
    counts = label_distribution(frame, tasks, assignment).to_frame()
    kept = assignment != "excluded"
    for split in ["train", "val", "test", WHOLE]:
        rows = kept if split == WHOLE else assignment == split
        part = counts[(counts["split"] == split) & (counts["task"] == "colour")].set_index("label")
        expected = frame.loc[rows, "colour"].value_counts()
        for label, count in expected.items():
            assert part.loc[label, "count"] == count
        tags = counts[(counts["split"] == split) & (counts["task"] == "tags")].set_index("label")
        assert tags.loc["tag_a", "count"] == (frame.loc[rows, "tag_a"] == 1).sum()
        assert tags.loc[MISSING, "count"] == frame.loc[rows, "tag_a"].isna().sum()
        labelled = frame.loc[rows, "tag_a"].notna().sum()
        assert tags.loc["tag_b", "fraction_labelled"] == pytest.approx(
            (frame.loc[rows, "tag_b"] == 1).sum() / labelled
        )


def test_regression_quantiles_and_histogram(mixed):
    frame, tasks, assignment = mixed
    dist = label_distribution(frame, tasks, assignment)
    train = frame.loc[assignment == "train", "income"].dropna()
    medians = dist.quantiles.query("split == 'train' and quantile == 0.5")["value"]
    assert medians.item() == pytest.approx(train.median())
    histogram = dist.histogram.query("split == 'train'")
    assert histogram["count"].sum() == train.size
    assert histogram["fraction"].sum() == pytest.approx(1.0)


# --------------------------------------------------------------------------- co-occurrence


def test_cooccurrence_matches_crosstab(mixed):
    frame, tasks, assignment = mixed
    result = cooccurrence(frame, tasks, assignment, split="train")
    rows = frame[assignment == "train"]
    table = pd.crosstab(rows["smoker"], rows["colour"])
    for smoker in table.index:
        for colour in table.columns:
            assert result.counts.loc[f"smoker={smoker}", f"colour={colour}"] == table.loc[smoker, colour]
            expected = table.loc[smoker, colour] / (rows["smoker"] == smoker).sum()
            assert result.conditional.loc[f"smoker={smoker}", f"colour={colour}"] == pytest.approx(expected)
    both = ((rows["smoker"] == "yes") & (rows["tag_a"] == 1)).sum()
    assert result.counts.loc["smoker=yes", "tags=tag_a"] == both
    n = len(rows)
    lift = both * n / ((rows["smoker"] == "yes").sum() * (rows["tag_a"] == 1).sum())
    assert result.lift.loc["smoker=yes", "tags=tag_a"] == pytest.approx(lift)
    assert result.n_rows == n and result.split == "train"


def test_cooccurrence_to_frame_is_long(mixed):
    frame, tasks, _ = mixed
    result = cooccurrence(frame, tasks)
    long = result.to_frame()
    n_labels = len(result.counts)
    assert len(long) == n_labels**2
    assert list(long.columns) == [
        "row_label",
        "col_label",
        "row_task",
        "col_task",
        "row_value",
        "col_value",
        "count",
        "conditional",
        "lift",
        "row_count",
    ]
    assert (long["row_count"] == long["row_label"].map(pd.Series(np.diag(result.counts), result.counts.index))).all()
    assert result.split == WHOLE and result.n_rows == len(frame)
    assert set(long["row_task"]) == {task.name for task in tasks}


def test_cooccurrence_shift_is_difference_of_conditionals(mixed):
    frame, tasks, assignment = mixed
    shift = cooccurrence_shift(frame, tasks, assignment, "train", "test")
    train = cooccurrence(frame, tasks, assignment, "train").conditional
    test = cooccurrence(frame, tasks, assignment, "test").conditional
    pd.testing.assert_frame_equal(shift.difference, test - train)
    assert shift.largest == pytest.approx(np.nanmax(np.abs((test - train).to_numpy())))
    long = shift.to_frame()  # each row label's support in both splits, for the heatmap's fading and hover
    for name, column in (("train", "row_count_a"), ("test", "row_count_b")):
        counts = cooccurrence(frame, tasks, assignment, name).counts
        assert (long[column] == long["row_label"].map(pd.Series(np.diag(counts), counts.index))).all()


def test_unknown_split_is_a_clear_error(mixed):
    frame, tasks, assignment = mixed
    with pytest.raises(DataError, match="Unknown split 'holdout'"):
        cooccurrence(frame, tasks, assignment, split="holdout")


# --------------------------------------------------------------------------- association


def _v(x: pd.Series, y: pd.Series) -> float:
    """Cramér's V by scipy over rows where both are known, dropping empty rows and columns."""
    both = x.notna() & y.notna()
    table = pd.crosstab(x[both], y[both]).to_numpy()
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    return association(table, method="cramer") if min(table.shape) > 1 else np.nan


def test_cramers_v_matches_scipy():
    rng = np.random.default_rng(4)
    tables = rng.integers(0, 30, (20, 3, 4))
    expected = [association(t, method="cramer") for t in tables]
    assert cramers_v(tables) == pytest.approx(expected)


def test_task_association_against_scipy(mixed):
    frame, tasks, assignment = mixed
    result = task_association(frame, tasks, assignment)
    for split in ["train", "test", WHOLE]:
        rows = frame[assignment != "excluded"] if split == WHOLE else frame[assignment == split]
        matrix = result.matrices[split]
        assert matrix.loc["smoker", "colour"] == pytest.approx(_v(rows["smoker"], rows["colour"]))
        # multilabel: the mean over its labels, each a binary variable
        expected = np.mean([_v(rows[c], rows["colour"]) for c in ("tag_a", "tag_b")])
        assert matrix.loc["tags", "colour"] == pytest.approx(expected)
        bins = pd.Series(encode_tasks(frame, tasks).tasks[3].codes, index=frame.index).where(lambda c: c >= 0)
        assert matrix.loc["income", "smoker"] == pytest.approx(_v(bins[rows.index], rows["smoker"]))
        assert np.allclose(np.diag(matrix), 1.0)
    assert list(result.matrices) == ["train", "val", "test", WHOLE]
    assert set(result.to_frame().columns) == {"split", "task_a", "task_b", "cramers_v"}


def test_association_of_multilabel_pairs():
    rng = np.random.default_rng(5)
    a = rng.integers(0, 2, (200, 2))
    b = np.column_stack([a[:, 0], rng.integers(0, 2, 200)])  # b0 copies a0
    frame = pd.DataFrame(np.hstack([a, b]), columns=["a0", "a1", "b0", "b1"])
    tasks = [Task("A", ("a0", "a1"), "multilabel"), Task("B", ("b0", "b1"), "multilabel")]
    value = task_association(frame, tasks).whole.loc["A", "B"]
    pairs = [_v(frame[x], frame[y]) for x in ("a0", "a1") for y in ("b0", "b1")]
    assert value == pytest.approx(np.mean(pairs))


# --------------------------------------------------------------------------- task scores


def test_task_scores_against_brute_force(mixed):
    frame, tasks, assignment = mixed
    scores = task_scores(frame, tasks, assignment).to_frame().set_index(["task", "split"])
    kept = assignment != "excluded"
    whole = frame.loc[kept, "colour"].value_counts()
    for split in ["train", "val", "test"]:
        rows = frame[assignment == split]
        counts = rows["colour"].value_counts().reindex(whole.index, fill_value=0)
        assert scores.loc[("colour", split), "js_distance"] == pytest.approx(
            jensenshannon(counts, whole, base=2)
        )
        assert scores.loc[("smoker", split), "missing_share"] == pytest.approx(rows["smoker"].isna().mean())
        ks = ks_2samp(rows["income"].dropna(), frame.loc[kept, "income"].dropna()).statistic
        assert scores.loc[("income", split), "ks_statistic"] == pytest.approx(ks)
        tag_counts = [(rows[c] == 1).sum() for c in ("tag_a", "tag_b")]
        whole_tags = [(frame.loc[kept, c] == 1).sum() for c in ("tag_a", "tag_b")]
        assert scores.loc[("tags", split), "js_distance"] == pytest.approx(
            jensenshannon(tag_counts, whole_tags, base=2)
        )
    assert np.isnan(scores.loc[("colour", "train"), "ks_statistic"])


def test_absent_classes_are_named():
    frame = pd.DataFrame({"y": ["a", "b", "c", "a", "b", "a"]})
    assignment = ["train", "train", "train", "test", "test", "test"]
    scores = task_scores(frame, [Task("y", ("y",), "multiclass")], assignment).to_frame().set_index("split")
    assert scores.loc["test", "absent_classes"] == 1 and scores.loc["test", "absent_labels"] == "c"
    assert scores.loc["train", "absent_classes"] == 0


# --------------------------------------------------------------------------- missing labels, scorecard


def test_missing_labels_never_crash():
    frame = pd.DataFrame(
        {
            "y": [None, None, "a", "b", None, "a"],
            "z": [1.0, np.nan, np.nan, 2.0, 3.0, np.nan],
            "m1": [np.nan, 1, 0, np.nan, 1, 0],
            "m2": [np.nan, 0, 1, np.nan, 1, 1],
        }
    )
    tasks = [
        Task("y", ("y",), "binary"),
        Task("z", ("z",), "regression"),
        Task("m", ("m1", "m2"), "multilabel"),
    ]
    assignment = ["train", "train", "train", "test", "test", "test"]
    label_distribution(frame, tasks, assignment)
    cooccurrence(frame, tasks, assignment, "test")
    cooccurrence_shift(frame, tasks, assignment, "train", "test")
    task_association(frame, tasks, assignment)
    scores = task_scores(frame, tasks, assignment)
    encoded = encode_tasks(frame, tasks)
    card = scorecard(split_quality(encoded.matrix, assignment), scores)
    assert set(card["status"]) <= {"pass", "warn", "fail"}


def test_scorecard_columns_and_relative_ld():
    rng = np.random.default_rng(2)
    Y = (rng.random((4000, 5)) < 0.2).astype(int)
    random = np.array(["train", "test"], dtype=object)[rng.integers(0, 2, 4000)]
    card = scorecard(split_quality(Y, random), worst_js=0.01).set_index("score")
    assert list(card.columns) == ["name", "value", "reference", "status", "threshold", "reading"]
    assert card.loc["LD", "status"] == "warn"  # a random split is about 1x a random split's LD
    assert card.loc["JS", "status"] == "pass"
    assert card.loc["LD", "reading"].startswith("LD ")


# --------------------------------------------------------------------------- strategy comparison


def test_compare_strategies_one_row_per_config():
    from core.splits import SplitConfig

    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"y": rng.choice(["a", "b", "c"], 600, p=[0.7, 0.2, 0.1]), "g": np.arange(600) // 4})
    tasks = [Task("y", ("y",), "multiclass")]
    configs = {
        "random": SplitConfig(strategy="random", seed=1),
        "stratified": SplitConfig(strategy="stratified", seed=1),
        "no time column": SplitConfig(strategy="time", time_column="nope"),
    }
    table = compare_strategies(frame, tasks, configs, group_column="g").to_frame().set_index("config")
    assert list(table.index) == list(configs)
    assert table.loc["stratified", "ld"] <= table.loc["random", "ld"]
    assert table.loc["random", "groups_split"] > 0
    assert table.loc["no time column", "error"] and table.loc["no time column", "status"] == "fail"


def test_compare_strategies_scores_each_config_as_the_single_diagnostics_do(mixed, monkeypatch):
    from core.diagnostics import _comparison as comparison
    from core.splits import SplitConfig

    frame, tasks, _ = mixed
    frame = frame.assign(g=np.arange(len(frame)) // 3, t=np.arange(len(frame)) // 10)
    configs = {
        "random": SplitConfig(strategy="random", seed=4),
        "stratified": SplitConfig(strategy="stratified", seed=4),
        "group": SplitConfig(strategy="group", group_column="g", seed=4),
        "time gap": SplitConfig(strategy="time", time_column="t", gap=2),  # leaves rows excluded
        "bins": SplitConfig(strategy="stratified", seed=4, n_bins=3),
    }
    calls = []
    encode = comparison.encode_tasks
    monkeypatch.setattr(comparison, "encode_tasks", lambda *args: calls.append(args[2]) or encode(*args))
    table = compare_strategies(frame, tasks, configs, group_column="g")
    assert sorted(calls) == [3, 5]  # the tasks are encoded once per n_bins, not once per config
    for name, config in configs.items():
        row = table.to_frame().set_index("config").loc[name]
        assignment = table.results[name].assignment
        encoded = encode_tasks(frame, tasks, config.n_bins)
        fractions = None if config.n_folds else dict(config.fractions)
        quality = split_quality(encoded.matrix, assignment.to_numpy(), fractions)
        scores = task_scores(frame, tasks, assignment, n_bins=config.n_bins)
        group = leakage(frame, assignment, group_column="g", checks=("group",)).to_frame().set_index("check")
        assert row["ld"] == quality.ld and row["lpd"] == quality.lpd and row["ed"] == quality.ed
        assert row["worst_js"] == scores.worst_js and row["worst_ks"] == pytest.approx(scores.worst_ks)
        assert row["groups_split"] == group.loc["group", "count"]
    reused = compare_strategies(frame, encode_tasks(frame, tasks), {"random": configs["random"]}, group_column="g")
    assert reused.to_frame().drop(columns="seconds").equals(table.to_frame().drop(columns="seconds").iloc[:1])


@settings(max_examples=80, deadline=None)
@given(
    values=st.lists(st.sampled_from([np.nan, -1.0, 0.0, 0.5, 2.0, 7.0]) | st.floats(-5, 5), min_size=1, max_size=60),
    seed=st.integers(0, 2**16),
    k=st.integers(1, 4),
)
def test_ks_statistic_matches_scipy_with_ties_missing_and_excluded_rows(values, seed, k):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"v": values})
    assume(frame["v"].nunique() >= 2)
    names = np.array(["excluded"] + [f"fold-{i}" for i in range(k)], dtype=object)
    assignment = names[rng.integers(0, k + 1, len(values))]
    scores = task_scores(frame, [Task("v", ("v",), "regression")], assignment).to_frame().set_index("split")
    kept = frame["v"][assignment != "excluded"].dropna()
    for split in scores.index:
        part = frame["v"][assignment == split].dropna()
        expected = ks_2samp(part, kept).statistic if len(part) and len(kept) else np.nan
        assert scores.loc[split, "ks_statistic"] == pytest.approx(expected, nan_ok=True)


# --------------------------------------------------------------------------- the module layout


BEFORE_THE_SPLIT = [  # every name of our own that `from core.diagnostics import ...` gave when it was one file
    "Cooccurrence", "CooccurrenceShift", "DataError", "EXCLUDED", "EncodedTasks", "HISTOGRAM_BINS",
    "LabelDistribution", "LeakageReport", "MISSING", "QUANTILES", "SplitQuality", "StrategyComparison",
    "THRESHOLDS", "Task", "TaskAssociation", "TaskLabels", "TaskScores", "Threshold", "WHOLE",
    "compare_strategies", "cooccurrence", "cooccurrence_shift", "cramers_v", "encode", "encode_tasks",
    "indicator_block", "label_distribution", "leakage", "scorecard", "split_codes", "split_order",
    "split_quality", "status_of", "task_association", "task_scores",
]  # fmt: skip


def test_every_name_diagnostics_gave_before_the_split_has_one_public_home():
    """Issue 13 removed the re-exports: a task or split name now comes from core.tasks or core.splits."""
    import importlib

    homes = {m: importlib.import_module(m) for m in ("core.diagnostics", "core.tasks", "core.splits", "core.errors")}
    for name in BEFORE_THE_SPLIT:
        found = [m for m, module in homes.items() if name in getattr(module, "__all__", ())]
        assert len(found) == 1, f"{name} is public in {found}"
    namespace = {}
    exec("from core.diagnostics import *", namespace)
    assert set(homes["core.diagnostics"].__all__) <= set(namespace)


def test_many_classes_or_tiny_folds_judge_js_against_random_rows_not_fail():
    """newuser6 item 3: a 220-class task (3,000 rows) and a 20-row set in 5 folds 'failed' JS although their
    stratified splits beat random ones; JS, gap and KS are now judged against random splits of rows too."""
    from core.diagnostics import judge_split
    from core.splits import SplitConfig, split

    rng = np.random.default_rng(6)
    frame = pd.DataFrame({"industry": [f"IND{c:03d}" for c in rng.integers(0, 220, 3000)],
                          "y": rng.integers(0, 2, 3000)})
    tasks = [Task("industry", ("industry",), "multiclass"), Task("y", ("y",), "binary")]
    config = SplitConfig(strategy="stratified")
    assignment = split(frame, tasks, config).assignment
    card = judge_split(frame, encode_tasks(frame, tasks, 5), assignment, config)[2].set_index("score")
    assert card.loc["JS", "value"] > 0.05, card  # past the absolute fail line...
    assert card.loc["JS", "status"] != "fail" and card.loc["JS", "reference"] > card.loc["JS", "value"], card
    assert "A random split of these sizes gives" in card.loc["JS", "reading"]
    assert card.loc["JS", "threshold"].endswith("or pass < 0.5× a random split of these sizes")

    tiny = pd.DataFrame({"w": rng.normal(180, 20, 20).round(), "p": rng.normal(55, 6, 20).round()})
    tiny_tasks = [Task("w", ("w",), "regression"), Task("p", ("p",), "regression")]
    folds = SplitConfig(strategy="stratified", n_folds=5)
    with pytest.warns(UserWarning):
        tiny_split = split(tiny, tiny_tasks, folds).assignment
    tiny_card = judge_split(tiny, encode_tasks(tiny, tiny_tasks, 5), tiny_split, folds)[2].set_index("score")
    assert (tiny_card.loc[["JS", "KS", "gap"], "status"] != "fail").all(), tiny_card

    # a random split with a regression task a little past its line beside the 220-class task: judged by the ratio
    # of the task furthest past its own chance (about 1x), not the 220-class task's JS over the other's chance
    mixed = frame.iloc[:2000].assign(a=rng.normal(size=2000)).reset_index(drop=True)
    mixed_tasks = [tasks[0], Task("a", ("a",), "regression")]
    random_rows = pd.Series(rng.choice(["train", "val", "test"], 2000, p=[0.7, 0.15, 0.15]))
    mixed_card = judge_split(mixed, encode_tasks(mixed, mixed_tasks, 5), random_rows, config)[2].set_index("score")
    assert mixed_card.loc["JS", "status"] == "warn", mixed_card.loc["JS"]

    # an honest fail stays a fail: every positive of y in one split of a random-strategy-sized split
    bad = np.where(frame["y"].to_numpy() == 1, "train", np.where(rng.random(3000) < 0.5, "val", "test"))
    bad_card = judge_split(frame, encode_tasks(frame, tasks, 5), pd.Series(bad), config)[2].set_index("score")
    assert bad_card.loc["JS", "status"] == "fail", bad_card


def test_regression_histogram_bins_follow_the_smallest_split():
    """newuser6 item 4: 20 rows in 5 folds (4 rows a fold) drew 30 bins, a barcode of 25% spikes."""
    from core.diagnostics import HISTOGRAM_BINS, label_distribution

    rng = np.random.default_rng(6)
    tiny = pd.DataFrame({"weight": rng.normal(180, 25, 20).round()})
    task = Task("weight", ("weight",), "regression")
    folds = pd.Series(np.arange(20) % 5).map(lambda i: f"fold-{i}")
    hist = label_distribution(tiny, [task], folds).histogram
    assert hist.groupby("split")["bin"].nunique().max() == 5, hist
    big = pd.DataFrame({"weight": rng.normal(180, 25, 3000)})
    split = pd.Series(rng.choice(["train", "val", "test"], 3000, p=[0.7, 0.15, 0.15]))
    bins = label_distribution(big, [task], split).histogram.groupby("split")["bin"].nunique()
    assert 15 < bins.max() < HISTOGRAM_BINS, bins  # sqrt of ~450 val rows
    huge = pd.DataFrame({"weight": rng.normal(180, 25, 40_000)})
    halves = pd.Series(np.where(np.arange(40_000) % 2, "train", "test"))
    assert label_distribution(huge, [task], halves).histogram["bin"].nunique() == HISTOGRAM_BINS
