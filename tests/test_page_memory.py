"""AppTest: what a user set on a page is still set when they come back to it (issue 12, item 9).

Streamlit drops a widget's value when its page is not drawn in a run; ``state.keep_widget_values``
(called by app.py on every run) keeps the values of every page's keyed widgets for the session.
"""

from __future__ import annotations

import pytest

from core.splits import SplitConfig
from dashboard import state
from tests.apptest import open_app


def visit(at, page: str):
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_model_settings_survive_a_visit_to_other_pages():
    at = visit(open_app(), "model")
    at.number_input(key="model_epochs").set_value(7)
    at.checkbox(key="model_baselines").check()
    at.number_input(key="model_width").set_value(64)
    at.selectbox(key="model_weighting").select("dwa")
    at.run()
    for page in ("split", "diagnostics", "export", "data", "model"):
        visit(at, page)
    assert at.number_input(key="model_epochs").value == 7
    assert at.checkbox(key="model_baselines").value is True
    assert at.number_input(key="model_width").value == 64
    assert at.selectbox(key="model_weighting").value == "dwa"


def test_a_diagnostics_picker_survives_a_visit_to_another_page():
    at = visit(open_app(), "diagnostics")
    view = at.selectbox(key="diag_cooc_view")
    chosen = view.options[2]  # one split, not the default "all data"
    view.select(chosen).run()
    at.selectbox(key="diag_drill_split").select("test").run()
    visit(at, "model")
    visit(at, "diagnostics")
    assert at.selectbox(key="diag_cooc_view").value == chosen
    assert at.selectbox(key="diag_drill_split").value == "test"


def test_a_split_setting_survives_a_visit_to_another_page():
    at = visit(open_app(), "split")
    next(w for w in at.number_input if w.key.startswith("split_seed_")).set_value(11).run()
    visit(at, "model")
    visit(at, "split")
    assert next(w for w in at.number_input if w.key.startswith("split_seed_")).value == 11
    assert at.session_state[state.SPLIT_CONFIG].seed == 11


def test_values_survive_many_switches_and_the_last_edit_wins():
    at = visit(open_app(), "model")
    at.number_input(key="model_epochs").set_value(9).run()
    for _ in range(2):
        visit(at, "split")
        visit(at, "model")
    assert at.number_input(key="model_epochs").value == 9
    at.number_input(key="model_epochs").set_value(12).run()  # an edit after a value was kept
    visit(at, "export")
    visit(at, "model")
    assert at.number_input(key="model_epochs").value == 12


def test_a_kept_choice_that_no_longer_fits_falls_back_to_the_default():
    """A Diagnostics split picked on a 3-way split, then a 5-fold split: the picker offers folds, no error."""
    at = visit(open_app(), "diagnostics")
    at.selectbox(key="diag_drill_split").select("val").run()
    visit(at, "split")
    at.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy="group", group_column="nr", n_folds=5)
    visit(at, "diagnostics")
    picker = at.selectbox(key="diag_drill_split")
    assert "val" not in picker.options and picker.value in picker.options
    assert not at.error


@pytest.mark.parametrize("dataset", ["penguins"])
def test_values_of_widgets_that_follow_the_dataset_do_not_leak_onto_another_dataset(dataset):
    """Keys that carry the data's fingerprint start from the new data's defaults."""
    at = visit(open_app(), "model")
    at.number_input(key="model_epochs").set_value(5).run()
    visit(at, "data")
    at.selectbox(key="data_builtin").select(dataset).run()
    visit(at, "model")
    assert not at.exception and not at.error
    assert at.number_input(key="model_epochs").value == 5  # a setting of the model, not of the data
    features = next(w for w in at.multiselect if w.key.startswith("model_features_"))
    assert set(features.value) <= set(features.options)


def test_a_value_its_page_dropped_does_not_come_back():
    """A page's "said once" note, dropped by its page, is not brought back by the keeping."""
    at = open_app()
    at.session_state["data_note_once"] = "said once"
    at.run()
    del at.session_state["data_note_once"]
    at.run()
    visit(at, "split")
    visit(at, "data")
    assert "data_note_once" not in at.session_state


def test_a_drill_down_of_one_dataset_does_not_follow_onto_another():
    """No stale "That selection no longer applies: no task named union" on the next dataset's Diagnostics."""
    at = visit(open_app(), "diagnostics")
    at.selectbox(key="diag_drill_a").select("union=1").run()
    assert at.selectbox(key="diag_drill_a").value == "union=1"
    visit(at, "data")
    at.selectbox(key="data_builtin").select("penguins").run()
    visit(at, "diagnostics")
    assert not at.warning, [w.value for w in at.warning]
    assert at.selectbox(key="diag_drill_a").value in at.selectbox(key="diag_drill_a").options
