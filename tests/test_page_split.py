"""AppTest: the Split page shows the default group split at once and follows every control."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import state
from tests.apptest import open_app


@pytest.fixture
def app() -> AppTest:
    return open_app("split")


def widget_key(app: AppTest, name: str) -> str:
    return f"split_{name}_{app.session_state[state.SPLIT_WIDGETS]}"


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


def test_time_split_of_a_panel_warns_that_groups_all_start_at_once(app):
    app.selectbox(key=widget_key(app, "strategy")).select("time").run()
    assert not app.exception
    config = app.session_state[state.SPLIT_CONFIG]
    assert config.strategy == "time" and config.time_column == "year"
    assert app.warning, "a panel whose groups all start in 1980 cannot be split forward in time by group"


def test_time_split_without_groups_orders_rows(app):
    app.selectbox(key=widget_key(app, "strategy")).select("time").run()
    app.selectbox(key=widget_key(app, "group")).select("(none)").run()
    assert not app.exception
    assert metric_labels(app)[:3] == ["train", "val", "test"]


def test_predefined_without_a_column_shows_one_error(app):
    app.selectbox(key=widget_key(app, "strategy")).select("predefined").run()
    assert not app.exception
    assert len(app.error) == 1
    assert "split_column" in app.error[0].value


def test_fractions_follow_the_slider(app):
    app.slider(key=widget_key(app, "bounds")).set_value((0.6, 0.8)).run()
    assert not app.exception
    fractions = dict(app.session_state[state.SPLIT_CONFIG].fractions)
    assert fractions == {"train": 0.6, "val": 0.2, "test": 0.2}
