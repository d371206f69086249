"""AppTest: the Model page's design controls (architecture, its parameters, gradient methods, normalising) and notes."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.model import ARCHITECTURES, GRADIENT_METHODS
from dashboard import state
from tests.pages import finish, model_app, open_model, train

DK = state.ModelDesignKeys


@pytest.fixture
def app():
    with model_app() as at:
        yield at


def train_snapshot(at: AppTest, epochs: int = 2):
    return finish(train(at, epochs)).snapshot()


def keys(at: AppTest, kind: str) -> set[str]:
    return {widget.key for widget in at.get(kind)}


def test_the_designs_and_gradient_methods_are_offered_hard_and_equal_first(app):
    at = open_model(app)
    sharing = at.selectbox(key=DK.ARCHITECTURE)
    assert sharing.value == "hard" and tuple(sharing.options) == tuple(
        f"{a}: {t}" for a, t in zip(ARCHITECTURES, ("one trunk shared by every task", "a trunk per task, pulled together",
                                                    "shared experts, a gate per task", "each head reads its own layer",
                                                    "a trunk per task, mixed after each layer"),
                                    strict=True))
    weightings = at.selectbox(key="model_weighting").options
    assert all(any(o.startswith(f"{m}: gradient method") for o in weightings) for m in GRADIENT_METHODS)
    assert not {DK.COUPLING, DK.EXPERTS} & keys(at, "number_input")
    assert at.checkbox(key=DK.NORMALIZE).value is False


@pytest.mark.parametrize("architecture, shown", [("soft", DK.COUPLING), ("mmoe", DK.EXPERTS)])
def test_each_design_shows_its_own_parameter(app, architecture, shown):
    at = open_model(app)
    at.selectbox(key=DK.ARCHITECTURE).select(architecture).run()
    assert shown in keys(at, "number_input")
    assert not ({DK.COUPLING, DK.EXPERTS} - {shown}) & keys(at, "number_input")


def test_hierarchical_asks_each_task_for_its_layer_and_a_layer_past_the_trunk_is_one_error(app):
    at = open_model(app)
    at.selectbox(key=DK.ARCHITECTURE).select("hierarchical").run()
    tasks = [task.name for task in at.session_state[state.TASKS]]
    assert {DK.head_depth(task) for task in tasks} <= keys(at, "number_input")
    assert at.number_input(key=DK.head_depth(tasks[0])).value == 2  # the trunk's depth by default
    at.number_input(key=DK.head_depth(tasks[0])).set_value(3).run()
    assert [e.value for e in at.error] == [
        f"head_depth of task '{tasks[0]}' is 3 but the trunk has 2 layers; use a depth in 1..2."]
    assert at.button(key="model_train").disabled


def test_an_mmoe_run_trains_with_its_experts_and_shows_which_experts_each_task_uses(app):
    at = open_model(app)
    at.selectbox(key=DK.ARCHITECTURE).select("mmoe").run()
    at.number_input(key=DK.EXPERTS).set_value(3).run()
    snapshot = train_snapshot(at)
    result = snapshot.result
    assert result.model_config.architecture == "mmoe" and result.model_config.experts == 3
    assert len(next(iter(snapshot.records[-1].gates.values()))) == 3
    assert any(DK.GATES in chart.proto.id for chart in at.get("plotly_chart"))
    assert not at.error


def test_a_gradient_method_trains_from_the_page_and_draws_its_weights(app):
    at = open_model(app)
    at.selectbox(key="model_weighting").select("pcgrad").run()
    at.checkbox(key=DK.NORMALIZE).check().run()
    snapshot = train_snapshot(at)
    assert snapshot.result.config.weighting == "pcgrad" and snapshot.result.config.normalize_losses
    assert any("model_weights" in chart.proto.id for chart in at.get("plotly_chart"))
    assert not at.error


def _notes_app():
    """A page of run_notes alone, on a run whose first-epoch task losses are 40x apart."""
    from core.training import EpochRecord, TrainConfig
    from dashboard.views import model_design

    class Snapshot:
        records = (EpochRecord(epoch=1, seconds=0.1, train_loss={"a": 2.0, "b": 0.05}, val_loss={}, val_metric={},
                               weights={}, train_total=2.05, val_total=None),)

    model_design.normalize_control()
    model_design.run_notes(Snapshot(), TrainConfig())


def test_far_apart_loss_scales_are_warned_about_with_an_offer_to_normalise():
    at = AppTest.from_function(_notes_app).run()
    assert not at.exception
    assert [w.value for w in at.warning][0].startswith("The first epoch's task losses differ 40x (a 2 vs b 0.05)")
    assert at.checkbox(key=DK.NORMALIZE).value is False
    at.button(key=DK.OFFER_NORMALIZE).click().run()
    assert not at.exception
    assert at.checkbox(key=DK.NORMALIZE).value is True


def test_each_hierarchical_head_depth_sits_on_its_own_row_beside_its_task_name(app):
    """New-user report 3, item 8: the inputs under wrapped task names went out of line, too narrow for +/-."""
    at = open_model(app)
    at.selectbox(key=DK.ARCHITECTURE).select("hierarchical").run()
    tasks = [task.name for task in at.session_state[state.TASKS]]
    inputs = [at.number_input(key=DK.head_depth(task)) for task in tasks]
    assert all(box.proto.label_visibility.value == box.proto.label_visibility.COLLAPSED for box in inputs)
    names = [m.value for m in at.markdown]
    assert all(task.replace("_", "\\_") in names for task in tasks), names
    at.selectbox(key="model_weighting").select("manual").run()
    weights = [at.number_input(key=state.ModelKeys.weight(task)) for task in tasks]
    assert all(box.proto.label_visibility.value == box.proto.label_visibility.COLLAPSED for box in weights)


def test_a_cross_stitch_run_trains_from_the_page(app):
    at = open_model(app)
    at.selectbox(key=DK.ARCHITECTURE).select("cross_stitch").run()
    assert not {DK.COUPLING, DK.EXPERTS} & keys(at, "number_input")  # no parameter of its own
    snapshot = train_snapshot(at)
    assert snapshot.result.model_config.architecture == "cross_stitch"
    assert snapshot.result.model.alpha.shape[1] == len(snapshot.tasks)
    assert not at.error
