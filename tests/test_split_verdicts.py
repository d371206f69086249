"""What each split strategy promises and how a split is judged (issue 12, items 6 and 7).

Item 6: a time split with a group column says how it places groups (``group_time``), and the leakage
table's time row agrees with it. Item 7: a time split's label shift is drift between periods, not a
failed stratification; a group split is judged against random deals of the same groups.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.diagnostics import leakage
from core.errors import ConfigError
from core.splits import SplitConfig, split
from core.time_split import time_order
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
    return SplitConfig("time", time_column="year", group_column="person_id", **chosen, **extra)


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
    with pytest.warns(UserWarning, match="group_time='rows'"):
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
    assert SplitConfig("group", group_column="person_id", group_time="rows").time_groups is None
