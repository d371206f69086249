"""The dashboard's session state: keys are declared in the dashboard/state package only, the session owns its
training run, and built reports stay with the session that built them."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st

from core.splits import SplitConfig
from core.tasks import Task
from core.training import TrainConfig
from dashboard import state
from dashboard.report_store import ReportStore
from dashboard.training_run import RunRequest
from tests.apptest import open_app

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"
JOIN_SECONDS = 120  # a bound on waiting for a training thread to end once stopped


# --------------------------------------------------------------------------- keys only in dashboard/state/


def _raw_keys(path: Path) -> list[str]:
    """Places in ``path`` that spell a session key: any use of ``session_state``, or a literal widget ``key=``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Attribute) and node.attr == "session_state":
            found.append(f"{path.name}:{node.lineno} st.session_state")
        if isinstance(node, ast.keyword) and node.arg == "key" and isinstance(node.value, ast.Constant | ast.JoinedStr):
            found.append(f"{path.name}:{node.lineno} key={ast.unparse(node.value)}")
    return found


def test_only_the_state_package_spells_session_keys():
    files = [p for p in DASHBOARD.rglob("*.py") if (DASHBOARD / "state") not in p.parents]
    assert len(files) >= 10  # app, compute, sidebar, link, training_run, guards, report_store and the five pages
    assert [place for path in files for place in _raw_keys(path)] == []


def test_the_check_finds_a_raw_key(tmp_path):
    page = tmp_path / "page.py"
    page.write_text('import streamlit as st\nst.session_state["x"] = 1\nst.button("Go", key="go")\n'
                    'st.button("Go", key=f"go_{1}")\n')
    assert [place.split(" ", 1)[1] for place in _raw_keys(page)] == ["st.session_state", "key='go'", "key=f'go_{1}'"]


def test_page_keys_carry_their_pages_prefix():
    for keys, page in ((state.DataKeys, "Data"), (state.DiagnosticsKeys, "Diagnostics"), (state.ModelKeys, "Model"),
                       (state.ExportKeys, "Export"), (state.SplitKeys, "Split")):
        spelled = [v for name, v in vars(keys).items() if name.isupper() and isinstance(v, str)]
        assert spelled and all(v.startswith(state.PAGE_PREFIXES[page]) for v in spelled), page


# --------------------------------------------------------------------------- the session owns its run


@pytest.fixture
def session():
    """A bare session state (no app running), emptied before and after."""
    st.session_state.clear()
    yield st.session_state
    run = st.session_state.get(state.TRAINING)
    if run is not None:
        run.stop()
        run.join(timeout=JOIN_SECONDS)
    st.session_state.clear()


def long_request() -> RunRequest:
    """A run that would train for a long while unless stopped."""
    frame = pd.DataFrame({"x": [i / 400 for i in range(400)], "y": [0, 1] * 200})
    assignment = pd.Series(["train"] * 300 + ["val", "test"] * 50)
    return RunRequest(frame=frame, tasks=(Task("y", ("y",), "binary"),), assignment=assignment,
                      config=TrainConfig(epochs=100_000, batch_size=8))


def test_starting_a_second_run_stops_the_first(session):
    first = state.start_training(long_request())
    second = state.start_training(long_request())
    assert state.training() is second
    assert first.stopping and not second.stopping
    assert first.join(timeout=JOIN_SECONDS), "the replaced run's thread did not end"
    result = first.snapshot().result
    assert result is None or result.stopped == "caller"


def test_a_new_dataset_stops_the_run(session, wagepan):
    run = state.start_training(long_request())
    state.set_dataset(wagepan)
    assert state.training() is None and run.stopping
    assert run.join(timeout=JOIN_SECONDS)


def test_setting_the_same_run_again_keeps_it_going(session):
    run = state.start_training(long_request())
    state.set_training(run)
    assert state.training() is run and not run.stopping


# --------------------------------------------------------------------------- reports stay with their session


def test_the_report_store_keeps_sessions_apart():
    store = ReportStore(kept=3)
    store.put("a", "work", "report of a")
    store.put("b", "work", "report of b")
    assert store.get("a", "work") == "report of a"
    assert store.get("b", "work") == "report of b"
    assert store.get("c", "work") is None


def test_the_report_store_drops_the_least_recently_used():
    store = ReportStore(kept=2)
    store.put("a", 1, "one")
    store.put("a", 2, "two")
    assert store.get("a", 1) == "one"  # used: 2 is now the oldest
    store.put("a", 3, "three")
    assert len(store) == 2
    assert store.get("a", 2) is None and store.get("a", 1) == "one" and store.get("a", 3) == "three"


def test_the_report_store_keeps_one_at_least():
    with pytest.raises(ValueError, match=r"^kept=0 keeps no report\. Pass kept=1 or more\.$"):
        ReportStore(kept=0)


def test_two_sessions_reports_stay_apart():
    config = SplitConfig(strategy="random", seed=50_321)  # a split no other test builds a report for
    first, second = open_app(), open_app()
    for at in (first, second):
        at.session_state[state.SPLIT_CONFIG] = config
        at.switch_page("views/export.py").run()
        assert not at.exception
    first.button(key=state.ExportKeys.BUILD_REPORT).click().run()
    assert not first.exception and not first.error
    second.run()
    assert report_labels(first) and not report_labels(second)  # the same work, but not its report
    assert [button.proto.label for button in second.button if button.key == state.ExportKeys.BUILD_REPORT]
    second.button(key=state.ExportKeys.BUILD_REPORT).click().run()
    first.run()
    assert report_labels(first) and report_labels(second)  # each its own, built once each


def report_labels(at) -> list[str]:
    return [b.proto.label for b in at.get("download_button") if b.proto.label.startswith("HTML report (")]
