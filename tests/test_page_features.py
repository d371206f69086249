"""AppTest, issue 12 items 3-5: on an uploaded panel, the feature list follows the current tasks and roles.

The upload is :func:`tests.messy.panel_csv` (a European CSV: ``row`` is a row number, ``person_id``
repeats ~6 times, ``comment`` is near-unique text), sent through the Data page's uploader; the tasks
are then changed on the Data page to ``employed`` and ``health``, as a user does.
"""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from core.splits import SplitConfig
from dashboard import state
from tests.apptest import open_app
from tests.messy import panel_csv

TASKS = ["employed", "health"]
LEFT_OUT = {"employed", "health", "person_id", "interview_date", "row", "comment"}  # tasks, roles, row number, free text
FEATURES = {"year", "age", "hours", "income", "region"}


def upload_panel(tasks: list[str] = TASKS) -> AppTest:
    """The app with the panel uploaded on the Data page and ``tasks`` picked there."""
    at = open_app()
    at.radio(key="data_source").set_value("Upload a file").run()
    at.file_uploader(key="data_upload").set_value(("panel.csv", panel_csv(), "text/csv")).run()
    assert not at.exception
    data = at.session_state[state.DATASET]
    assert data.name == "panel.csv"
    at.multiselect(key=f"data_tasks_{data.fingerprint}").set_value(tasks).run()
    assert not at.exception
    assert [t.name for t in at.session_state[state.TASKS]] == tasks
    return at


def leakage_rows(at: AppTest) -> dict[str, str]:
    """The leakage table's rows, by check title: ``"verdict | detail"``."""
    table = next(md.value for md in at.markdown if md.value.startswith("| check | verdict | detail |"))
    rows = {}
    for line in table.splitlines()[2:]:
        title, verdict, detail = (cell.strip() for cell in line.strip("|").split(" | ", 2))
        rows[title] = f"{verdict} | {detail}"
    return rows


@pytest.fixture(scope="module")
def panel() -> AppTest:
    return upload_panel()


def test_the_data_page_counts_features_without_the_tasks_and_roles(panel):
    features = next(m for m in panel.metric if m.label == "Features")
    assert features.value == str(len(FEATURES))


def test_the_leakage_check_does_not_test_a_task_against_its_own_column(panel):
    panel.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy="random")  # no group column on the split
    at = panel.switch_page("views/diagnostics.py").run()
    assert not at.exception and not at.error
    rows = leakage_rows(at)
    predictor = rows["A single feature predicting a task"]
    assert "'employed' → employed" not in predictor and "'health' → health" not in predictor
    assert "AUC 1.000" not in predictor


def test_a_random_split_of_a_panel_fails_the_group_check_with_counts(panel):
    panel.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy="random")
    at = panel.switch_page("views/diagnostics.py").run()
    assert not at.exception
    group = leakage_rows(at)["Groups in more than one split"]
    assert group.startswith(":red-badge[fail]"), group
    assert re.search(r"\d+ of \d+ groups of 'person_id' \(\d+%\) have rows in more than one split", group), group
    assert "use the group strategy" in group


def test_the_model_page_leaves_out_roles_ids_and_free_text_by_default_and_says_why(panel):
    panel.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy="random")
    at = panel.switch_page("views/model.py").run()
    assert not at.exception and not at.error
    features = at.multiselect[0]
    assert set(features.value) == FEATURES
    assert LEFT_OUT - {"employed", "health"} <= set(features.options)  # still there to choose by hand
    note = " ".join(c.value for c in at.caption)
    assert "`row`" in note and "a different value in every row" in note
    assert "`comment`" in note


def test_a_group_set_on_the_data_page_leaves_the_model_defaults_and_the_leakage_check_follows_it():
    at = upload_panel()
    data = at.session_state[state.DATASET]
    at.selectbox(key=f"data_group_{data.fingerprint}").set_value("region").run()
    assert not at.exception and at.session_state[state.DATASET].group_column == "region"
    at.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy="random")  # a row split: the group is not kept whole
    at.switch_page("views/model.py").run()
    assert not at.exception
    features = set(at.multiselect[0].value)
    assert "region" not in features and "person_id" in features  # person_id repeats: a number, not an id
    assert "`region` (group column)" in " ".join(c.value for c in at.caption)
    at.switch_page("views/diagnostics.py").run()
    group = leakage_rows(at)["Groups in more than one split"]
    assert group.startswith(":red-badge[fail]") and "groups of 'region'" in group, group
