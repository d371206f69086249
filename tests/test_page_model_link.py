"""AppTest: a reload keeps the Model page's choices (the features dropped, the sharing design, the loss
weighting, the baselines, the numbers), as it keeps the split: they ride in the page address (new-user
report 3, item 4)."""

from __future__ import annotations

from dashboard import state
from tests.apptest import open_app
from tests.test_page_workspace import reload

K, DK = state.ModelKeys, state.ModelDesignKeys


def features(at):
    return next(m for m in at.multiselect if m.key.startswith("model_features_"))


def test_a_reload_keeps_the_model_pages_choices():
    at = open_app("model")
    picker = features(at)
    default = list(picker.value)
    dropped = default[:2]
    picker.set_value([c for c in default if c not in dropped]).run()
    at.selectbox(key=DK.ARCHITECTURE).set_value("soft").run()
    at.number_input(key=DK.COUPLING).set_value(0.5)
    at.selectbox(key=K.WEIGHTING).set_value("pcgrad")
    at.checkbox(key=K.BASELINES).check()
    at.number_input(key=K.EPOCHS).set_value(7)
    at.number_input(key=K.LR).set_value(0.01).run()
    assert not at.exception
    assert at.query_params["model_drop_feature"] == dropped

    again = reload(at)
    assert again.session_state[state.DATASET].name == at.session_state[state.DATASET].name
    again.switch_page("views/model.py").run()
    assert not again.exception
    assert features(again).value == [c for c in default if c not in dropped]
    assert again.selectbox(key=DK.ARCHITECTURE).value == "soft"
    assert again.number_input(key=DK.COUPLING).value == 0.5
    assert again.selectbox(key=K.WEIGHTING).value == "pcgrad"
    assert again.checkbox(key=K.BASELINES).value is True
    assert again.number_input(key=K.EPOCHS).value == 7 and again.number_input(key=K.LR).value == 0.01
    assert again.number_input(key=K.WIDTH).value == 128  # untouched: the default, and not in the address
    assert "model_width" not in again.query_params


def test_the_choices_survive_a_visit_to_another_page_and_a_reload_there():
    at = open_app("model")
    picker = features(at)
    default = list(picker.value)
    picker.set_value(default[1:]).run()
    at.selectbox(key=DK.ARCHITECTURE).set_value("mmoe").run()
    at.switch_page("views/split.py").run()
    at.switch_page("views/model.py").run()
    assert features(at).value == default[1:]  # the feature edit is kept while another page shows
    at.switch_page("views/diagnostics.py").run()
    again = reload(at)
    again.switch_page("views/model.py").run()
    assert features(again).value == default[1:]
    assert again.selectbox(key=DK.ARCHITECTURE).value == "mmoe"


def test_a_bad_value_in_the_address_falls_back_to_the_default():
    at = open_app("model")
    at.query_params["model_epochs"] = "many"
    at.query_params["model_width"] = "1"  # below the input's minimum
    at.query_params["model_design_architecture"] = "nonsense"
    again = reload(at)
    again.switch_page("views/model.py").run()
    assert not again.exception
    assert again.number_input(key=K.EPOCHS).value == 50 and again.number_input(key=K.WIDTH).value == 128
    assert again.selectbox(key=DK.ARCHITECTURE).value == "hard"
