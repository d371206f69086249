"""AppTest: after a reload the Model page shows the last run's result panel, read back from its run folder
(the session that trained it is gone; the runs table always had it)."""

from __future__ import annotations

import pytest

from dashboard import state
from tests.pages import finish, model_app, open_model, reload, train

K = state.ModelKeys


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    """A runs folder of this test's own, so other tests' runs on the same data are not the newest."""
    monkeypatch.setenv("TASKSPLIT_RUNS_DIR", str(tmp_path / "runs"))
    return tmp_path / "runs"


def trained(epochs: int = 2):
    """A session that trained ``epochs`` epochs with single-task baselines on wagepan, and its run's result."""
    with model_app() as at:
        run = finish(train(open_model(at), epochs, baselines=True))
        return at, run.snapshot().result


def test_a_reload_shows_the_last_runs_curves_metrics_and_gain_from_its_folder(runs_dir):
    at, result = trained()
    again = reload(at)
    again.switch_page("views/model.py").run()
    assert not again.exception and not again.error
    assert again.session_state[state.TRAINING] is None  # a new session: the run is not in it
    assert "Last run" in [h.value for h in again.subheader]
    assert any(K.LAST_LOSSES in chart.proto.id for chart in again.get("plotly_chart"))
    metrics = again.dataframe[0].value  # the panel's test metrics, above the runs table
    assert list(metrics["task"]) == [spec.name for spec in result.targets]
    assert metrics.set_index("task")["r2"]["lwage"] == pytest.approx(result.test["lwage"]["r2"])
    assert any(m.label.startswith("Δm vs single-task") for m in again.metric)


def test_a_reload_on_other_data_shows_no_last_run(runs_dir):
    at, _ = trained(1)
    again = reload(at)
    again.switch_page("views/data.py").run()
    again.selectbox(key="data_builtin").select("penguins").run()
    again.switch_page("views/model.py").run()
    assert not again.exception
    assert "Last run" not in [h.value for h in again.subheader]
    assert any("press **Train**" in info.value for info in again.info)


def test_a_metric_in_the_millions_is_shown_with_separators_not_as_a_run_of_digits():
    import pandas as pd

    from dashboard.views.model_last import number_formats

    formats = number_formats(pd.DataFrame({"r2": [0.5, None], "mae": [4826306.879, 12.0]}), ["r2", "mae", "rmse"])
    assert formats["mae"]["type_config"]["format"] == "localized"  # new-user report 4, item 10
    assert formats["r2"]["type_config"]["format"] == formats["rmse"]["type_config"]["format"] == "%.3f"
