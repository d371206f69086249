"""AppTest: the Export page offers the downloads, builds the report, and reproduces a split from a saved config."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.report import assignment_digest
from core.splits import SplitConfig, split
from tests.apptest import open_app


@pytest.fixture
def export() -> AppTest:
    return open_app("export")


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    return at.file_uploader(key="export_config_upload").set_value((name, content, "application/json")).run()


def test_downloads_and_the_snippet_are_offered(export):
    labels = {button.proto.label for button in export.get("download_button")}
    assert {"Assignment (CSV)", "Assignment (Parquet)", "Workspace (JSON)"} <= labels
    assert not export.error
    assert "load_data('builtin:wagepan')" in export.code[0].value
    assert "group_column='nr'" in export.code[0].value


def test_building_the_report_offers_it_for_download(export):
    from dashboard import state

    # a seed no other test uses (the built reports are kept on the server, per session)
    export.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy="random", seed=91_817)
    export.run()
    export.button(key="export_build_report").click().run()
    assert not export.exception and not export.error
    labels = [button.proto.label for button in export.get("download_button")]
    assert any(label.startswith("HTML report (") and label.endswith(" MB)") for label in labels)


def test_uploading_a_saved_config_reproduces_the_split(export, wagepan):
    from dashboard import state

    saved = SplitConfig(strategy="group", group_column="nr", fractions={"train": 0.8, "test": 0.2}, seed=7)
    version = export.session_state[state.SPLIT_WIDGETS]
    upload(export, "saved.json", saved.to_json().encode())
    assert not export.exception and not export.error
    assert export.session_state[state.SPLIT_CONFIG] == saved
    assert export.session_state[state.SPLIT_WIDGETS] > version  # the Split page's widgets redraw from it
    expected = split(wagepan.frame, wagepan.tasks, saved).assignment
    message = export.success[0].value
    assert "saved.json" in message and assignment_digest(expected) in message
    counts = expected.value_counts()
    assert f"train {counts['train']:,} · test {counts['test']:,}" in message
    assert assignment_digest(expected) in export.markdown[0].value  # the downloads now follow it


def test_a_bad_config_shows_one_error_and_keeps_the_split(export):
    from dashboard import state

    before = export.session_state[state.SPLIT_CONFIG]
    upload(export, "broken.json", b"{not json")
    assert not export.exception
    assert len(export.error) == 1 and "not valid JSON" in export.error[0].value
    assert export.session_state[state.SPLIT_CONFIG] == before


def test_a_config_for_other_data_shows_one_error(export):
    from dashboard import state

    before = export.session_state[state.SPLIT_CONFIG]
    other = SplitConfig(strategy="group", group_column="tailnum")  # a flights column, not in wagepan
    upload(export, "flights.json", other.to_json().encode())
    assert not export.exception
    assert len(export.error) == 1 and "tailnum" in export.error[0].value
    assert export.session_state[state.SPLIT_CONFIG] == before


def test_the_report_takes_the_model_pages_finished_run(export, wagepan):
    from core.training import TrainConfig
    from dashboard import state
    from dashboard.training_run import RunRequest, TrainingRun

    config = SplitConfig(strategy="random", seed=72_615)  # a split no other test builds a report for
    export.session_state[state.SPLIT_CONFIG] = config
    assignment = split(wagepan.frame, wagepan.tasks[:1], config).assignment
    export.session_state[state.TASKS] = wagepan.tasks[:1]
    request = RunRequest(frame=wagepan.frame, tasks=wagepan.tasks[:1], assignment=assignment,
                         config=TrainConfig(epochs=1),
                         feature_columns=wagepan.feature_columns, key=(wagepan.fingerprint, wagepan.tasks[:1], config))
    run = TrainingRun(request).start()
    assert run.join(timeout=60)
    export.session_state[state.TRAINING] = run
    export.run()
    assert any("ends with the Model page's training run" in caption.value for caption in export.caption)
    export.button(key="export_build_report").click().run()
    assert not export.exception and not export.error
    assert any(button.proto.label.startswith("HTML report (") for button in export.get("download_button"))


def test_a_workspace_restores_the_tasks_when_the_split_has_none():
    """New-user test 3: a file uploaded again has no task, so the Export page stopped at 'strategy balances tasks
    but none is chosen; ... or load a config' and hid the loader a saved workspace is read with."""
    from core.data import load_builtin
    from core.report import Workspace
    from dashboard import state
    from tests.apptest import open_upload

    data = load_builtin("penguins")
    frame = data.frame
    saved = Workspace.of(data, tuple(data.tasks), SplitConfig(strategy="stratified", seed=3))
    at = open_upload(frame, SplitConfig(strategy="stratified"), (), "export")
    assert [e.value for e in at.error] == ["strategy 'stratified' balances tasks but none is chosen; pick a task "
                                           "or use strategy 'random'."]
    upload(at, "penguins-workspace.json", saved.to_json().encode())
    assert not at.exception
    assert [t.name for t in at.session_state[state.TASKS]] == [t.name for t in data.tasks]
    assert not at.error and at.get("download_button")
