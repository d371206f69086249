"""AppTest: the Model page's task affinity: the gradient-cosine heatmap after training, TAG and a grouping on demand."""

from __future__ import annotations

import json

import pytest

from dashboard import state
from tests.apptest import open_app
from tests.test_page_model import JOIN_SECONDS, finish, has_chart, open_model, train


@pytest.fixture
def app():
    at = open_app()
    yield at
    for job in at.session_state[state.AFFINITY_JOBS].values() if state.AFFINITY_JOBS in at.session_state else ():
        job.stop()
        job.join(timeout=JOIN_SECONDS)
    run = at.session_state.get(state.TRAINING)
    if run is not None:
        run.stop()
        run.join(timeout=JOIN_SECONDS)


def wait_for(at, kind: str):
    job = at.session_state[state.AFFINITY_JOBS][kind]
    assert job.join(timeout=JOIN_SECONDS), f"the {kind} job did not end"
    at.run()
    assert not at.exception
    return job


def test_the_gradient_cosine_heatmap_appears_after_training(app):
    at = open_model(app)
    assert not has_chart(at, "model_affinity_heatmap")
    train(at, 2)
    finish(at)
    assert has_chart(at, "model_affinity_heatmap")
    assert any(h.value == "Task affinity" for h in at.subheader)
    assert any(s.label == "Group the tasks by" for s in at.selectbox)
    assert any("Suggested:" in m.value for m in at.markdown)


def test_lookahead_affinity_and_a_grouping_train_on_demand_and_show_beside_the_all_tasks_model(app):
    at = open_model(app)
    train(at, 1)
    finish(at)
    at.button(key="model_affinity_lookahead").click().run()
    assert not at.exception
    wait_for(at, "lookahead")
    assert has_chart(at, "model_affinity_tag_map")
    tag = json.loads(next(c.proto.spec for c in at.get("plotly_chart") if "model_affinity_tag_map" in c.proto.id))
    heatmap = tag["data"][0]
    assert heatmap["colorbar"]["title"]["text"] == "loss drop, %"  # not "Z" (new-user report 3, item 8)
    assert not any("e-" in cell or "e+" in cell for row in heatmap["text"] for cell in row)
    assert at.selectbox(key="model_affinity_source_2").value == "lookahead affinity (TAG)"
    at.button(key="model_affinity_train").click().run()
    assert not at.exception
    job = wait_for(at, "groups")
    assert job.snapshot().error is None
    assert any("Grouped vs all tasks together" in m.value for m in at.markdown)
    table = next(frame.value for frame in at.dataframe if "in its group" in frame.value.columns)
    assert {"all tasks in one model", "in its group", "group − all (gain)"} <= set(table.columns)  # words (item 8)
    assert table["in its group"].notna().all()


def test_negative_transfer_is_flagged_or_its_absence_said_with_baselines(app):
    at = open_model(app)
    train(at, 1, baselines=True)
    finish(at)
    words = [i.value for i in at.info] + [c.value for c in at.caption]
    assert any("Negative transfer" in w or "did clearly worse" in w for w in words)


def test_after_a_soft_sharing_run_the_affinity_is_measured_on_the_trunks_and_the_grouping_reads_it(app):
    """New-user report 3, item 5: soft sharing's separate trunks gave no cosine, and the page grouped all zeros."""
    at = open_model(app)
    at.selectbox(key=state.ModelDesignKeys.ARCHITECTURE).set_value("soft").run()
    train(at, 2)
    finish(at)
    assert has_chart(at, "model_affinity_heatmap")
    assert any("corresponding weights of the tasks' trunks" in c.value for c in at.caption)
    run = at.session_state[state.TRAINING]
    cells = [v for t, row in run.snapshot().records[-1].affinity.items() for o, v in row.items() if o != t]
    assert cells and all(v is not None for v in cells)
    suggested = next(m.value for m in at.markdown if "Suggested:" in m.value)
    assert "total within-group affinity 0;" not in suggested
