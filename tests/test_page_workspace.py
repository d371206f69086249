"""AppTest: an upload survives a reload, or says it was dropped; the workspace file writes and reads back
(issue 12, item 10)."""

from __future__ import annotations

import json

import pytest

from core.report import Workspace
from core.splits import SplitConfig
from core.tasks import Task
from dashboard import state
from tests.apptest import open_app
from tests.messy import labels_csv, panel_csv
from tests.pages import reload

CHOSEN = (Task("employed", ("employed",), "binary"), Task("health", ("health",), "multiclass"))


def upload(at, name: str, content: bytes):
    at.radio(key="data_source").set_value("Upload a file").run()
    at.file_uploader(key="data_upload").set_value((name, content, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def address(at) -> dict[str, list[str]]:
    return {key: at.query_params.get_all(key) if hasattr(at.query_params, "get_all") else at.query_params[key]
            for key in at.query_params}


@pytest.fixture
def uploaded():
    """The Data page after uploading a European panel CSV (BOM, ``;``, decimal commas), two tasks chosen."""
    at = upload(open_app(), "panel-messy.csv", panel_csv(n_people=120, seed=5))
    at.switch_page("views/split.py").run()  # tasks set from outside the Data page (its own widget is item 1's)
    at.session_state[state.TASKS] = CHOSEN
    at.run()
    assert not at.exception
    return at


def test_a_reload_keeps_the_upload_its_tasks_roles_and_split(uploaded):
    data = uploaded.session_state[state.DATASET]
    roles = (data.group_column, data.time_column, data.id_column)
    uploaded.switch_page("views/export.py").run()  # the Split page's own widgets would redraw the old config
    uploaded.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy="random", n_folds=3, seed=4,
                                                             group_column=data.group_column)
    uploaded.run()
    assert uploaded.query_params["upload"] and uploaded.query_params["file"] == "panel-messy.csv"

    again = reload(uploaded)
    restored = again.session_state[state.DATASET]
    assert restored.name == "panel-messy.csv" and restored.fingerprint == data.fingerprint
    assert again.session_state[state.TASKS] == CHOSEN
    assert (restored.group_column, restored.time_column, restored.id_column) == roles
    assert again.session_state[state.SPLIT_CONFIG].n_folds == 3
    assert not again.warning


def test_a_reload_after_the_server_lost_the_upload_says_so(uploaded):
    uploaded.query_params["upload"] = "0" * 32  # a digest the server never kept, as after a restart
    again = reload(uploaded)
    warnings = [w.value for w in again.warning]
    assert any("panel-messy.csv" in w and "no longer on the server" in w and "upload it again" in w
               for w in warnings), warnings
    assert again.session_state[state.DATASET].name == "wagepan"


def test_the_export_page_writes_a_workspace_with_the_tasks(uploaded):
    uploaded.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy="stratified", n_folds=4)
    uploaded.switch_page("views/export.py").run()
    assert not uploaded.exception and not uploaded.error
    button = next(b for b in uploaded.get("download_button") if b.proto.label == "Workspace (JSON)")
    assert button.proto.url  # the file is served; its content is the session's workspace
    saved = state_workspace(uploaded)
    values = json.loads(saved.to_json())
    assert [t["name"] for t in values["tasks"]] == ["employed", "health"]
    assert values["data"]["name"] == "panel-messy.csv" and "fractions" not in values["config"]


def state_workspace(at) -> Workspace:
    return Workspace.of(at.session_state[state.DATASET], at.session_state[state.TASKS],
                        at.session_state[state.SPLIT_CONFIG])


def load_workspace(app, saved: Workspace, name: str = "panel-workspace.json") -> None:
    """Open the Export page and upload ``saved`` to its "Reproduce or restore" loader."""
    app.switch_page("views/export.py").run()
    app.file_uploader(key="export_config_upload").set_value((name, saved.to_json().encode(), "application/json")).run()


def assert_restored(app, config: SplitConfig) -> None:
    """The panel workspace's tasks, roles and split are the session's, and the page said so."""
    assert app.session_state[state.TASKS] == CHOSEN
    restored = app.session_state[state.DATASET]
    assert (restored.group_column, restored.time_column, restored.id_column) == ("person_id", "year", "row")
    assert app.session_state[state.SPLIT_CONFIG] == config
    assert "Restored the workspace" in app.success[0].value


def test_a_workspace_read_back_restores_tasks_roles_and_split(uploaded):
    data = uploaded.session_state[state.DATASET]
    config = SplitConfig(strategy="group", group_column="person_id", n_folds=3, seed=8)
    saved = Workspace(data_name=data.name, data_digest=data.fingerprint, rows=data.n_rows,
                      columns=data.frame.shape[1], tasks=CHOSEN, group_column="person_id", time_column="year",
                      id_column="row", config=config)
    uploaded.session_state[state.TASKS] = (Task("region", ("region",), "multiclass"),)  # the work moved on
    load_workspace(uploaded, saved)
    assert not uploaded.exception and not uploaded.error, [e.value for e in uploaded.error]
    assert_restored(uploaded, config)
    uploaded.switch_page("views/data.py").run()  # the Data page shows the restored tasks, not its old choice
    assert uploaded.session_state[state.TASKS] == CHOSEN
    assert not uploaded.exception


def test_a_workspace_of_other_data_says_which_data_it_was_made_for(uploaded):
    other = upload(open_app(), "labels.csv", labels_csv(n_rows=300))
    other_data = other.session_state[state.DATASET]
    saved = Workspace.of(other_data, other_data.tasks, SplitConfig())
    before = (uploaded.session_state[state.TASKS], uploaded.session_state[state.SPLIT_CONFIG])
    uploaded.switch_page("views/export.py").run()
    uploaded.file_uploader(key="export_config_upload").set_value(
        ("labels-workspace.json", saved.to_json().encode(), "application/json")).run()
    assert not uploaded.exception
    assert len(uploaded.error) == 1
    message = uploaded.error[0].value
    assert "labels.csv" in message and "300 rows" in message and "panel-messy.csv" in message
    assert (uploaded.session_state[state.TASKS], uploaded.session_state[state.SPLIT_CONFIG]) == before


def test_a_workspace_of_another_version_of_the_table_can_be_used_on_it_with_one_click(uploaded):
    """Saved on the same file read by an older TaskSplit (its content hash differs) or on an earlier export of the
    table: every column is here, so the page says so and offers the work, rather than only refusing it."""
    data = uploaded.session_state[state.DATASET]
    config = SplitConfig(strategy="group", group_column="person_id", n_folds=3, seed=8)
    saved = Workspace(data_name=data.name, data_digest="0" * 32, rows=data.n_rows, columns=data.frame.shape[1],
                      tasks=CHOSEN, group_column="person_id", time_column="year", id_column="row", config=config)
    uploaded.session_state[state.TASKS] = (Task("region", ("region",), "multiclass"),)  # the work moved on
    load_workspace(uploaded, saved)
    assert not uploaded.exception and not uploaded.error, [e.value for e in uploaded.error]
    assert uploaded.session_state[state.TASKS] != CHOSEN  # nothing applied before the click
    assert any("content hash 000000000000" in warning.value and "Every column it uses is here" in warning.value
               for warning in uploaded.warning)
    uploaded.button(key="export_other_data").click().run()
    assert not uploaded.exception and not uploaded.error, [e.value for e in uploaded.error]
    assert_restored(uploaded, config)
