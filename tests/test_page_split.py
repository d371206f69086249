"""AppTest: the Split page shows the default group split at once and follows every control."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.data import dataset_from_frame
from core.splits import SplitConfig
from core.tasks import Task
from dashboard import state
from tests.apptest import new_app, open_app, open_upload
from tests.messy import panel_frame
from tests.test_split_verdicts import balanced_panel, staggered_panel


@pytest.fixture
def app() -> AppTest:
    return open_app("split")


def widget_key(app: AppTest, name: str) -> str:
    version = app.session_state[state.SPLIT_WIDGETS] if state.SPLIT_WIDGETS in app.session_state else 0  # noqa: SIM401 - AppTest's session state has no .get
    return f"split_{name}_{version}"


def metric_labels(app: AppTest) -> list[str]:
    return [metric.label.split(" · ")[0] for metric in app.metric]


def test_first_visit_shows_a_group_split_with_sizes_and_charts(app):
    assert metric_labels(app) == ["train", "val", "test"]
    assert sum(int(m.value.replace(",", "")) for m in app.metric) == 4360
    assert app.session_state[state.SPLIT_CONFIG].strategy == "group"
    assert len(app.get("plotly_chart")) == 2


def test_k_folds(app):
    app.radio(key=widget_key(app, "mode")).set_value("k folds").run()
    app.number_input(key=widget_key(app, "folds")).set_value(4).run()
    assert not app.exception
    assert metric_labels(app) == ["fold-0", "fold-1", "fold-2", "fold-3"]
    assert app.session_state[state.SPLIT_CONFIG].n_folds == 4


def test_seed_changes_the_split_and_is_kept_in_the_config(app):
    app.number_input(key=widget_key(app, "seed")).set_value(2**32 - 1).run()
    assert not app.exception
    assert app.session_state[state.SPLIT_CONFIG].seed == 2**32 - 1


def test_time_split_of_a_balanced_panel_splits_rows_by_time_and_says_why(app):
    app.selectbox(key=widget_key(app, "strategy")).select("time").run()
    assert not app.exception
    config = app.session_state[state.SPLIT_CONFIG]
    assert config.strategy == "time" and config.time_column == "year"
    # every man is in wagepan from 1980 to 1987: by first or last time all would go to one split
    assert config.group_time == "rows", "was 'first': train 100%"
    assert "starts and ends at the same `year`" in " ".join(c.value for c in app.caption)


def test_time_split_without_groups_orders_rows(app):
    app.selectbox(key=widget_key(app, "strategy")).select("time").run()
    app.selectbox(key=widget_key(app, "group")).select("(none)").run()
    assert not app.exception
    assert metric_labels(app)[:3] == ["train", "val", "test"]


def test_predefined_without_a_column_shows_one_error(app):
    app.selectbox(key=widget_key(app, "strategy")).select("predefined").run()
    assert not app.exception
    assert len(app.error) == 1
    assert app.error[0].value.startswith("Pick a Split column")
    assert "split_column" not in app.error[0].value, "the page speaks of its pickers, not of config fields"


def test_group_without_a_group_column_asks_for_one_in_the_pickers_words(app):
    app.selectbox(key=widget_key(app, "group")).select("(none)").run()
    assert not app.exception
    assert [e.value.split(":")[0] for e in app.error] == ["Pick a Group column"]
    assert "group_column" not in app.error[0].value
    # the sizes below are the last split that worked, and say so (they read as the group split before)
    assert any("the last split that worked" in i.value for i in app.info)
    assert app.session_state[state.SPLIT_PROBLEM][1].startswith("Pick a Group column")


# --------------------------------------------------------------------------- uploads (tests/messy.py)


def open_split_on(frame: pd.DataFrame, config: SplitConfig, **roles) -> AppTest:
    """The Split page on ``frame`` as an upload with ``roles`` set, and ``config`` as the split."""
    data = replace(dataset_from_frame(frame, name="panel.csv"), **roles)
    at = new_app()
    at.session_state[state.DATASET] = data
    at.session_state[state.TASKS] = (Task("employed", ("employed",), "binary"),)
    at.session_state[state.SPLIT_CONFIG] = config
    at.run()
    at.switch_page("views/split.py").run()
    assert not at.exception
    return at


def strip_axis(at: AppTest) -> str:
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return spec["layout"]["xaxis"]["title"]["text"]


def test_time_with_a_group_column_says_where_groups_go_and_lets_the_user_choose():
    frame = staggered_panel()
    at = open_split_on(frame, SplitConfig(strategy="time", time_column="year", group_column="person_id"),
                       group_column="person_id", time_column="year")
    placing = at.radio(key=widget_key(at, "group_time"))
    assert placing.value == "first" and placing.options == ["by its first time", "by its last time",
                                                            "rows by time, groups straddle"]
    captions = " ".join(c.value for c in at.caption)
    assert "first time falls: val/test hold only groups that start later" in captions
    assert "each person_id's first year, then person_id, then year" in strip_axis(at)
    placing.set_value("rows").run()
    assert not at.exception
    config = at.session_state[state.SPLIT_CONFIG]
    assert config.group_time == "rows" and config.time_groups == "rows"
    assert "groups may straddle splits" in " ".join(c.value for c in at.caption)
    assert "ordered by year" in strip_axis(at)
    sidebar = " ".join(md.value for md in at.sidebar.markdown)
    assert "may straddle splits" in sidebar or not sidebar  # AppTest keeps an st.navigation sidebar only at first


def test_hash_without_an_id_column_warns_and_names_the_picker():
    frame = panel_frame(n_people=60)
    at = open_split_on(frame, SplitConfig(strategy="random"))
    at.selectbox(key=widget_key(at, "strategy")).select("hash").run()
    at.selectbox(key=widget_key(at, "id")).select("(none)").run()
    assert not at.exception and not at.error
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("Hash needs an id column to be stable when rows are added; pick one under Id column")
               for w in warnings), warnings


def test_predefined_names_the_values_it_found_and_how_they_are_used():
    frame = panel_frame(n_people=60)
    frame["source"] = np.where(frame["year"] < 2013, "fit", np.where(frame["year"] < 2014, "dev", "holdout"))
    at = open_split_on(frame, SplitConfig(strategy="predefined", split_column="source"))
    assert not at.exception and not at.error
    note = " ".join(i.value for i in at.info)
    for value in ("`fit`", "`dev`", "`holdout`"):
        assert value in note
    assert "Model page trains only on train/val/test" in note


def test_fractions_follow_the_slider(app):
    app.slider(key=widget_key(app, "bounds")).set_value((0.6, 0.8)).run()
    assert not app.exception
    fractions = dict(app.session_state[state.SPLIT_CONFIG].fractions)
    assert fractions == {"train": 0.6, "val": 0.2, "test": 0.2}


# --------------------------------------------------------------------------- issue 12: a new user on airfare, loanapp


def open_page_on(frame: pd.DataFrame, config: SplitConfig, tasks: tuple[Task, ...], **roles) -> AppTest:
    """The Split page on ``frame`` as an upload with ``roles`` and ``tasks`` set, and ``config`` as the split."""
    return open_upload(frame, config, tasks, "split", **roles)


def test_settings_that_make_no_split_are_named_on_every_page_that_uses_the_last_one():
    frame = panel_frame(n_people=80)
    frame["msa"] = 1120.0  # loanapp: one metropolitan area
    at = open_page_on(frame, SplitConfig(strategy="random"), (Task("employed", ("employed",), "binary"),))
    at.selectbox(key=widget_key(at, "strategy")).select("group").run()
    at.selectbox(key=widget_key(at, "group")).select("msa").run()
    assert "holds a single group" in at.error[0].value
    at.selectbox(key=widget_key(at, "strategy")).select("stratified").run()
    at.radio(key=widget_key(at, "mode")).set_value("k folds").run()
    assert not at.exception
    error = at.error[0].value
    assert error.endswith("clear the group column, or pick a column with several groups."), error
    assert any("**the last split that worked**, random 70/15/15" in i.value for i in at.info)
    assert at.session_state[state.SPLIT_CONFIG].strategy == "random" and not at.session_state[state.SPLIT_CONFIG].n_folds
    assert at.session_state[state.SPLIT_PROBLEM][0] == "stratified, 5 folds, Group column msa"
    banner = ("The Split page's settings (stratified, 5 folds, Group column msa) could not be used: group_column "
              "'msa' holds a single group (1120.0)")
    for page in ("diagnostics", "model", "export"):
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, page
        warnings = [w.value for w in at.warning]
        assert any(w.startswith(banner) and w.endswith("Everything here is of the last split that worked: "
                                                       "random 70/15/15.") for w in warnings), (page, warnings)


def test_a_split_that_works_again_clears_the_banner():
    frame = panel_frame(n_people=60)
    at = open_page_on(frame, SplitConfig(strategy="random"), (Task("employed", ("employed",), "binary"),))
    at.selectbox(key=widget_key(at, "strategy")).select("predefined").run()
    assert at.session_state[state.SPLIT_PROBLEM] is not None
    at.selectbox(key=widget_key(at, "strategy")).select("random").run()
    assert at.session_state[state.SPLIT_PROBLEM] is None and not at.error


def test_time_on_an_airfare_like_panel_defaults_to_a_placing_that_splits():
    frame = balanced_panel()
    tasks = (Task("fare_high", ("fare_high",), "binary"),)
    at = open_page_on(frame, SplitConfig(strategy="group", group_column="id", time_column="year"), tasks,
                      group_column="id", time_column="year")
    at.selectbox(key=widget_key(at, "strategy")).select("time").run()
    assert not at.exception
    assert at.radio(key=widget_key(at, "group_time")).value == "rows"
    sizes = {m.label.split(" · ")[0]: int(m.value.replace(",", "")) for m in at.metric}
    assert set(sizes) == {"train", "val", "test"} and min(sizes.values()) > 0, sizes  # was train 100%
    captions = " ".join(c.value for c in at.caption)
    assert "so the default here is *rows by time, groups straddle*" in captions
    assert not any("place each group by its" in w.value for w in at.warning)
    at.radio(key=widget_key(at, "group_time")).set_value("first").run()  # an explicit choice is kept
    assert at.session_state[state.SPLIT_CONFIG].group_time == "first"
    assert not any("place each group by its last time" in w.value for w in at.warning)


def test_stratified_with_a_group_column_says_it_keeps_groups_whole():
    frame = balanced_panel()
    at = open_page_on(frame, SplitConfig(strategy="stratified", group_column="id"),
                      (Task("fare_high", ("fare_high",), "binary"),), group_column="id", time_column="year")
    captions = " ".join(c.value for c in at.caption)
    assert "With Group column `id` set, stratified keeps each `id` group whole" in captions


def test_a_time_split_says_what_dates_each_split_covers():
    """A day-first survey uploaded as text: the page says each split's first and last date (new-user test 4)."""
    rng = np.random.default_rng(4)
    dates = pd.Series(pd.date_range("1987-01-01", "1989-12-31", freq="D")).sample(300, random_state=4).sort_values()
    frame = pd.DataFrame({"Survey date": dates.dt.strftime("%d.%m.%Y").to_numpy(), "y": rng.integers(0, 2, 300)})
    at = open_app()
    at.radio(key="data_source").set_value("Upload a file").run()
    at.file_uploader(key="data_upload").set_value(("survey.csv", frame.to_csv(sep=";", index=False).encode(),
                                                  "text/csv")).run()
    fingerprint = at.session_state[state.DATASET].fingerprint
    at.selectbox(key=f"data_time_{fingerprint}").select("Survey date").run()
    at.switch_page("views/split.py").run()
    at.selectbox(key=state.SplitKeys.control("strategy", at.session_state[state.SPLIT_WIDGETS])).select("time").run()
    assert not at.exception
    spans = [caption.value for caption in at.caption if caption.value.startswith("Survey date: train ")]
    assert len(spans) == 1
    first, last = dates.iloc[0].strftime("%Y-%m-%d"), dates.iloc[-1].strftime("%Y-%m-%d")
    assert spans[0].startswith(f"Survey date: train {first} to ") and spans[0].endswith(f" to {last}")
