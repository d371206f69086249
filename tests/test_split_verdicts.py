"""What each split strategy promises and how a split is judged (issue 12, items 6 and 7).

Item 6: a time split with a group column says how it places groups (``group_time``), and the leakage
table's time row agrees with it. Item 7: a time split's label shift is drift between periods, not a
failed stratification; a group split is judged against random deals of the same groups.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from core.diagnostics import (
    compare_strategies,
    group_chance,
    judge_split,
    leakage,
    scorecard,
    split_quality,
    status_of,
    task_scores,
)
from core.diagnostics._judge import _group_ld_chance
from core.errors import ConfigError, DataError
from core.splits import (
    SplitConfig,
    Units,
    config_words,
    default_group_time,
    one_split_placings,
    split,
    time_order,
)
from core.tasks import Task, encode_tasks
from tests.messy import panel_frame


def staggered_panel(seed: int = 1) -> pd.DataFrame:
    """:func:`panel_frame` with people entering in different years (a real panel's shape)."""
    frame = panel_frame()
    rng = np.random.default_rng(seed)
    people = frame["person_id"].unique()
    entry = dict(zip(people, rng.integers(0, 6, people.size), strict=True))
    frame["year"] = frame["year"] + frame["person_id"].map(entry)
    return frame


def time_config(group_time: str | None = None, **extra) -> SplitConfig:
    chosen = {} if group_time is None else {"group_time": group_time}
    return SplitConfig(strategy="time", time_column="year", group_column="person_id", **chosen, **extra)


def checks(frame, result, group_time) -> dict[str, tuple[str, str]]:
    report = leakage(frame, result.assignment, group_column="person_id", time_column="year",
                     checks=("group", "time"), group_time=group_time)
    return {row.check: (row.status, row.detail) for row in report.checks.itertuples(index=False)}


# --------------------------------------------------------------------------- item 6: groups under time


def test_time_with_groups_places_each_group_by_its_first_or_last_time_or_splits_rows():
    frame = staggered_panel()
    years = frame.groupby("person_id")["year"]
    first, last = years.transform("min"), years.transform("max")
    for mode, placing in (("first", first), ("last", last)):
        result = split(frame, [], time_config(mode))
        spans = placing.groupby(result.assignment).agg(["min", "max"])
        assert spans.loc["train", "max"] < spans.loc["val", "min"] <= spans.loc["val", "max"] < spans.loc["test", "min"]
        assert (result.assignment.groupby(frame["person_id"]).nunique() == 1).all(), "groups stay whole"
    rows = split(frame, [], time_config("rows"))
    spans = frame["year"].groupby(rows.assignment).agg(["min", "max"])
    assert spans.loc["train", "max"] < spans.loc["val", "min"] <= spans.loc["val", "max"] < spans.loc["test", "min"]
    assert (rows.assignment.groupby(frame["person_id"]).nunique() > 1).any(), "rows split by time: groups straddle"


def test_the_leakage_time_row_agrees_with_how_groups_were_placed():
    frame = staggered_panel()
    for mode in ("first", "last"):
        result = split(frame, [], time_config(mode))
        found = checks(frame, result, result.config.time_groups)
        assert found["group"][0] == "pass"
        status, detail = found["time"]
        assert status == "pass", detail  # it warned "86% of val/test rows dated before train ends" before
        assert f"by their {mode} time allows" in detail
    rows = split(frame, [], time_config("rows"))
    found = checks(frame, rows, rows.config.time_groups)
    assert found["time"][0] == "pass"
    assert found["group"][0] == "warn" and "as chosen" in found["group"][1]
    assert checks(frame, rows, None)["group"][0] == "fail", "any other split that cuts groups still fails"


def test_the_time_row_warns_when_a_group_split_breaks_the_first_time_order():
    frame = staggered_panel()
    result = split(frame, [], time_config("first"))
    broken = result.assignment.copy()
    first_person = frame["person_id"].iloc[0]  # enters early: move it to test
    broken[frame["person_id"] == first_person] = "test"
    report = leakage(frame, broken, group_column="person_id", time_column="year", checks=("time",),
                     group_time="first")
    row = report.checks.set_index("check").loc["time"]
    assert row["status"] == "warn" and "start on or before the last train group starts" in row["detail"]


def test_a_panel_whose_groups_all_start_at_once_names_the_other_placements():
    frame = panel_frame()  # everyone enters in 2010
    with pytest.warns(UserWarning, match="place each group by its last time, or split rows by time"):
        result = split(frame, [], time_config("first"))
    assert set(result.assignment) == {"train"}
    rows = split(frame, [], time_config("rows"))
    assert rows.to_frame()["rows"].gt(0).all()


def test_time_order_draws_each_split_as_one_block():
    frame = staggered_panel()
    for mode in ("first", "last", "rows"):
        result = split(frame, [], time_config(mode))
        ordered = result.assignment.to_numpy()[time_order(frame, result.config)]
        blocks = [name for i, name in enumerate(ordered) if i == 0 or ordered[i - 1] != name]
        assert blocks == ["train", "val", "test"], mode


def test_group_time_round_trips_and_old_configs_still_load():
    config = time_config("last", gap=1)
    text = config.to_json()
    assert json.loads(text)["version"] == 2 and json.loads(text)["group_time"] == "last"
    assert SplitConfig.from_json(text) == config
    old = {"format": "tasksplit.SplitConfig", "version": 1, "strategy": "time", "time_column": "year",
           "group_column": "person_id", "fractions": {"train": 0.7, "val": 0.15, "test": 0.15}}
    assert SplitConfig.from_json(json.dumps(old)).group_time == "first"
    with pytest.raises(ConfigError, match="group_time='sideways' is unknown; use 'first'"):
        time_config("sideways")
    assert time_config("rows").time_groups == "rows"
    assert SplitConfig(strategy="group", group_column="person_id", group_time="rows").time_groups is None


# --------------------------------------------------------------------------- item 7: judged on what was promised


PANEL_TASKS = (Task("employed", ("employed",), "binary"), Task("health", ("health",), "multiclass"),
               Task("region", ("region",), "multiclass"))


def judged(frame, config, tasks=PANEL_TASKS):
    result = split(frame, list(tasks), config)
    encoded = encode_tasks(frame, tasks, config.n_bins)
    return judge_split(frame, encoded, result.assignment, config)[2].set_index("score")


def test_a_time_split_shows_label_drift_as_information_and_judges_only_its_sizes():
    frame = staggered_panel()
    frame["employed"] = np.where(frame["year"] > 2016, 1.0, frame["employed"])  # the world changed in 2017
    card = judged(frame, time_config("rows"))
    for score in ("LD", "LPD", "JS", "gap"):
        assert card.loc[score, "status"] == "info", score  # was fail, with "Stratify on these tasks"
        assert ": drift between periods: " in card.loc[score, "reading"]
        assert "Stratify" not in card.loc[score, "reading"]
        assert card.loc[score, "threshold"].startswith("not judged")
    assert card.loc["ED", "status"] in ("pass", "warn", "fail") and card.loc["ED", "status"] != "info"
    assert status_of(card["status"]) == status_of([card.loc["ED", "status"]]), "info never counts as a verdict"


def test_a_predefined_split_is_not_judged_on_labels_or_sizes():
    frame = panel_frame()
    frame["wave"] = np.where(frame["year"] < 2013, "early", "late")
    card = judged(frame, SplitConfig(strategy="predefined", split_column="wave"))
    assert "ED" not in card.index
    assert (card["status"] == "info").all() and card.loc["LD", "reading"].count("shift between the given splits")


def test_a_group_split_is_judged_against_random_deals_of_the_same_groups():
    frame = panel_frame(n_people=30, seed=3)  # 30 people of ~5 rows: whole groups cannot balance labels finely
    tasks = PANEL_TASKS
    result = split(frame, list(tasks), SplitConfig(strategy="group", group_column="person_id"))
    encoded = encode_tasks(frame, tasks, 5)
    quality, scores, card = judge_split(frame, encoded, result.assignment, result.config)
    by_rows = scorecard(quality, scores).set_index("score")
    assert by_rows.loc["JS", "status"] == "fail"  # against rows: what the page said before
    card = card.set_index("score")
    assert card.loc["JS", "status"] == "pass", card.loc["JS", "reading"]
    assert "a random deal of whole 'person_id' groups gives" in card.loc["JS", "reading"].lower()
    assert card.loc["LD", "reference"] > by_rows.loc["LD", "reference"], "groups move label shares more than rows"
    assert "random deal of whole 'person_id' groups" in card.loc["LD", "reading"]


def test_the_group_ld_chance_is_the_rows_formula_when_every_group_is_one_row():
    frame = panel_frame(n_people=50)
    encoded = encode_tasks(frame, PANEL_TASKS, 5)
    config = SplitConfig(strategy="random")
    singletons = Units(np.arange(len(frame)), np.ones(len(frame), dtype=np.int64), "groups")
    assignment = split(frame, [], config).assignment
    rows = split_quality(encoded.matrix, assignment.to_numpy(), dict(config.fractions))
    assert _group_ld_chance(encoded.matrix, singletons, config.shares) == pytest.approx(rows.ld_random, rel=0.02)


def test_an_infinite_ld_reads_as_a_sentence():
    quality = split_quality([[1], [1], [0], [0], [1]], ["train", "train", "train", "train", "test"])
    card = scorecard(quality, worst_js=0.1).set_index("score")
    reading = card.loc["LD", "reading"]
    assert math.isinf(card.loc["LD", "value"])
    assert "inf" not in reading.replace("infinite", ""), reading  # was "LD inf: ... by inf on average, inf×"
    assert reading.startswith("LD is infinite: in test (1 label), some label is on every row")


def test_the_comparison_says_why_each_strategy_got_its_status():
    frame = staggered_panel()
    configs = {
        "random": SplitConfig(strategy="random"),
        "group": SplitConfig(strategy="group", group_column="person_id"),
        "time": time_config("first"),
    }
    table = compare_strategies(frame, list(PANEL_TASKS), configs, group_column="person_id").to_frame()
    reasons = dict(zip(table["config"], table["reason"], strict=True))
    statuses = dict(zip(table["config"], table["status"], strict=True))
    assert statuses["random"] == "fail" and "'person_id' groups in more than one split" in reasons["random"]
    assert reasons["random"].startswith("fail: ")
    assert "drift between periods shown, not judged" in reasons["time"]
    assert "Stratify" not in " ".join(reasons.values())
    for name, reason in reasons.items():
        assert reason.split(":")[0] == statuses[name], (name, reason)


def test_the_group_chance_is_the_mean_score_of_random_deals_of_the_same_groups():
    """The per-group shortcut gives what scoring each deal the long way (split, split_quality, task_scores) gives."""
    frame = panel_frame(n_people=80, seed=5)
    frame["income_band"] = frame["income"]  # a regression task: KS
    tasks = (*PANEL_TASKS, Task("income_band", ("income_band",), "regression"))
    encoded = encode_tasks(frame, tasks, 5)
    config = SplitConfig(strategy="group", group_column="person_id", seed=11)
    chance = group_chance(frame, encoded, config, "person_id", deals=3)
    long_way = {"lpd": [], "ed_share": [], "gap": [], "js": [], "ks": []}
    for deal in range(3):
        dealt = split(frame, [], SplitConfig(strategy="random", group_column="person_id",
                                             seed=11 + deal)).assignment
        quality = split_quality(encoded.matrix, dealt.to_numpy(), dict(config.fractions))
        scores = task_scores(frame, encoded, dealt)
        for key, value in (("lpd", quality.lpd), ("ed_share", quality.ed_share), ("gap", quality.max_gap),
                           ("js", scores.worst_js), ("ks", scores.worst_ks)):
            long_way[key].append(value)
    for key, values in long_way.items():
        assert getattr(chance, key) == pytest.approx(np.mean(values), rel=1e-9), key


# --------------------------------------------------------------------------- issue 12: what a new user met on airfare, loanapp


def balanced_panel(n_routes: int = 60, seed: int = 3) -> pd.DataFrame:
    """airfare's shape: every route in every year 1997-2000, ids as text with stray spaces, rows shuffled."""
    rng = np.random.default_rng(seed)
    ids = np.repeat([f" r{i:03d}" if i % 7 == 0 else f"r{i:03d}" for i in range(n_routes)], 4)
    frame = pd.DataFrame({"id": ids, "year": np.tile([1997, 1998, 1999, 2000], n_routes)})
    frame["fare_high"] = (rng.random(len(frame)) < 0.3 + 0.1 * (frame["year"] - 1997)).astype(float)
    frame.loc[rng.random(len(frame)) < 0.05, "fare_high"] = np.nan
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def test_a_balanced_panel_is_never_told_to_place_groups_by_a_time_that_fails_the_same_way():
    frame = balanced_panel()
    for mode, other in (("first", "last"), ("last", "first")):
        config = SplitConfig(strategy="time", time_column="year", group_column="id", group_time=mode)
        with pytest.warns(UserWarning, match="split rows by time") as caught:
            result = split(frame, [], config)
        assert result.to_frame()["rows"].max() == len(frame), "all groups in one split"
        note = " ".join(str(w.message) for w in caught)
        assert f"by its {other} time" not in note, note  # was "place each group by its last time, or ..."
    # a panel whose people all start at once but end apart: last still works, and is suggested
    with pytest.warns(UserWarning, match="place each group by its last time, or split rows by time"):
        split(panel_frame(), [], time_config("first"))


def test_the_default_group_placing_is_one_that_splits_the_groups():
    assert default_group_time(balanced_panel(), "year", "id") == "rows"
    assert one_split_placings(balanced_panel(), "year", "id") == ("first", "last")
    assert default_group_time(panel_frame(), "year", "person_id") == "last"  # all start in 2010, end apart
    assert default_group_time(staggered_panel(), "year", "person_id") == "first"
    rows = split(balanced_panel(), [], SplitConfig(strategy="time", time_column="year", group_column="id",
                                                   group_time="rows"))
    assert rows.to_frame()["rows"].gt(0).all()


@pytest.mark.parametrize(("strategy", "fix"), [
    ("stratified", "clear the group column, or pick a column with several groups"),
    ("random", "clear the group column, or pick a column with several groups"),
    ("group", "pick a column with several groups, or use strategy 'stratified' with no group column"),
])
def test_a_single_group_names_the_fix_for_the_chosen_strategy(strategy, fix):
    frame = balanced_panel()
    frame["msa"] = 1120.0
    with pytest.raises(DataError, match=r"group_column 'msa' holds a single group \(1120\.0\); ") as caught:
        split(frame, [Task("fare_high", ("fare_high",), "binary")],
              SplitConfig(strategy=strategy, group_column="msa", n_folds=5))
    assert str(caught.value).endswith(fix + "."), str(caught.value)


def test_settings_read_as_words():
    assert config_words(SplitConfig(strategy="random")) == "random 70/15/15"
    assert config_words(SplitConfig(strategy="stratified", n_folds=5)) == "stratified, 5 folds"
    assert config_words({"strategy": "group", "fractions": {"train": 0.8, "test": 0.2}}) == "group 80/20"


def infinite_comparison() -> pd.DataFrame:
    return pd.DataFrame({
        "config": ["random", "stratified", "group", "time"], "strategy": ["random", "stratified", "group", "time"],
        "n_splits": [3, 3, 3, 3], "ld": [0.038, 0.001, 0.0011, math.inf], "lpd": [0.007, 0.003, 0.004, math.inf],
        "worst_js": [0.07, 0.002, 0.005, 0.74], "ed_share": [0.0001, 0.0001, 0.0004, 0.13], "fz": [0, 0, 0, 3],
        "flz": [0, 0, 0, 14], "groups_split": [0.0, 0.0, 0.0, 1149.0], "error": ["", "", "", ""]})


def test_an_infinite_score_is_drawn_as_a_bar_to_the_top_marked_undefined():
    from core.figures import strategy_comparison

    fig = strategy_comparison(infinite_comparison(), recommended="group")
    for trace, axis in ((fig.data[0], "yaxis"), (fig.data[1], "yaxis2")):
        heights = dict(zip(trace.x, trace.y, strict=True))
        labels = dict(zip(trace.x, trace.text, strict=True))
        top = fig.layout[axis].range[1]
        finite = max(v for k, v in heights.items() if k != "time")
        assert math.isfinite(heights["time"]) and finite < heights["time"] < top, "was no bar: read as 0"
        assert heights["time"] > 0.7 * top, "the bar reaches near the axis top, its label above it"
        assert labels["time"] == "∞<br>undefined"


def test_the_recommendation_says_infinite_in_words():
    from core.diagnostics import recommend_strategy

    text = recommend_strategy(infinite_comparison(), group_column="id", time_column="year").text
    assert "inf" not in text.replace("infinite", ""), text  # was "(LD inf)"
    assert "LD infinite" in text


def test_random_and_stratified_with_a_group_column_are_compared_as_split_makes_them():
    frame = balanced_panel()
    tasks = [Task("fare_high", ("fare_high",), "binary")]
    configs = {"stratified": SplitConfig(strategy="stratified", group_column="id"),
               "group": SplitConfig(strategy="group", group_column="id")}
    table = compare_strategies(frame, tasks, configs, group_column="id").to_frame().set_index("config")
    assert table.loc["stratified", "groups_split"] == 0 and table.loc["stratified", "status"] != "fail"
    assert table.loc["stratified", "ld"] == table.loc["group", "ld"]


def test_a_stratified_split_is_never_told_to_stratify():
    """A new user's stratified split of crime4 read "Stratify on these tasks (strategy 'stratified')"."""
    labels = [[1]] * 30 + [[0]] * 70 + [[1]] * 10 + [[0]] * 90  # 30% positive in train, 10% in test
    quality = split_quality(labels, ["train"] * 100 + ["test"] * 100)
    for strategy in ("stratified", "group"):
        card = scorecard(quality, worst_js=0.1, strategy=strategy).set_index("score")
        assert card.loc["LD", "status"] == "fail"
        for score in card.index[card["status"] != "pass"]:
            assert "Stratify" not in card.loc[score, "reading"], (strategy, score)
            assert "strategy 'stratified'" not in card.loc[score, "reading"], (strategy, score)
        assert card.loc["LD", "reading"].endswith(
            "a rare label or few groups limit the balance; try order 2, merge rare classes, or another seed.")
    random = scorecard(quality, worst_js=0.1, strategy="random").set_index("score")
    assert random.loc["LD", "reading"].endswith("Stratify on these tasks (strategy 'stratified').")


def test_a_regression_targets_ks_warning_is_not_told_to_merge_classes():
    """New-user report 3, item 10: a stratified split's KS warning said "merge rare classes" of a regression target."""
    quality = split_quality([[1]] * 50 + [[0]] * 50 + [[1]] * 50 + [[0]] * 50, ["train"] * 100 + ["test"] * 100)
    for strategy in ("stratified", "group"):
        card = scorecard(quality, worst_ks=0.2, strategy=strategy).set_index("score")
        assert card.loc["KS", "status"] == "fail"
        reading = card.loc["KS", "reading"]
        assert "merge rare classes" not in reading and "more bins" in reading, reading


def test_an_infinite_ld_says_how_many_labels_and_why_not_few_rows():
    """New-user test 5, item 10: a time split whose val and test (645 rows each) are all town rows (towns surveyed
    last) read 'some label is on every row ... this happens when a split holds very few rows'."""
    from core.diagnostics import scorecard, split_quality

    n = 1_000
    urban = (np.arange(n) >= 500).astype(int)  # rows 500.. are all urban; val and test hold only them
    rural_flag = 1 - urban
    Y = np.column_stack([urban, rural_flag, np.arange(n) % 2])
    assignment = np.where(np.arange(n) < 600, "train", np.where(np.arange(n) < 800, "val", "test"))
    card = scorecard(split_quality(Y, assignment), worst_js=0.5, strategy="time").set_index("score")
    reading = card.loc["LD", "reading"]
    assert "in val (1 label), test (1 label), some label is on every row" in reading, reading
    assert "very few rows" not in reading and "rows are of one kind, as a period, place or group can be" in reading
    tiny = np.where(np.arange(n) < 990, "train", "test")  # 10 test rows, all urban: few rows is the reason
    reading = scorecard(split_quality(Y, tiny), worst_js=0.5, strategy="time").set_index("score").loc["LD", "reading"]
    assert "a split holds very few rows" in reading, reading


def test_the_strategy_table_judges_a_split_as_the_diagnostics_page_does():
    """20 rows of 8 classes in 5 random folds: the page judged gap and JS against random splits (warn), while the
    strategy table, and so the recommendation, still failed them on the fixed lines."""
    from core.diagnostics import compare_strategies, judge_split
    from core.splits import split
    from core.tasks import Task, encode_tasks

    frame = pd.DataFrame({"y": np.arange(20) % 8, "x": np.arange(20.0)})
    tasks = [Task("y", ("y",), "multiclass")]
    config = SplitConfig(strategy="random", n_folds=5, seed=0)
    table = compare_strategies(frame, tasks, {"random": config}).frame.set_index("config")
    encoded = encode_tasks(frame, tasks, config.n_bins)
    card = judge_split(frame, encoded, split(frame, tasks, config).assignment, config)[2]
    page = status_of(card["status"])
    assert table.loc["random", "status"] == page != "fail"
