"""AppTest: the Data page loads the default dataset, switches built-ins, reads uploads, shows bad uploads as errors."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import open_app


@pytest.fixture
def app() -> AppTest:
    return open_app()


def test_first_visit_shows_wagepan_with_its_tasks(app):
    from dashboard import state

    assert app.session_state[state.DATASET].name == "wagepan"
    names = [task.name for task in app.session_state[state.TASKS]]
    assert names == ["union", "married", "poorhlth", "lwage", "hours", "occupation", "industry"]
    assert app.session_state[state.SPLIT_CONFIG].strategy == "group"
    assert any("wagepan" in md.value for md in app.markdown)
    assert app.multiselect[0].value == names


def test_switching_builtin_loads_it_and_its_tasks(app):
    app.selectbox(key="data_builtin").select("penguins").run()
    assert not app.exception
    from dashboard import state

    assert app.session_state[state.DATASET].name == "penguins"
    assert [t.name for t in app.session_state[state.TASKS]] == ["species", "sex", "body_mass_g"]


def test_upload_reads_the_file_and_suggests_tasks(app):
    app.radio(key="data_source").set_value("Upload a file").run()
    csv = b"user_id,age,label\n" + b"".join(f"{i % 7},{20 + i % 50},{i % 2}\n".encode() for i in range(60))
    app.file_uploader(key="data_upload").set_value(("people.csv", csv, "text/csv")).run()
    assert not app.exception
    assert not app.error
    from dashboard import state

    data = app.session_state[state.DATASET]
    assert data.name == "people.csv" and data.n_rows == 60
    assert [t.name for t in app.session_state[state.TASKS]] == ["label"]
    assert data.group_column == "user_id"


def test_bad_upload_shows_one_error_and_keeps_the_last_good_dataset(app):
    app.radio(key="data_source").set_value("Upload a file").run()
    app.file_uploader(key="data_upload").set_value(("broken.csv", b"a,b\n1,2\n3,4,5,6\n", "text/csv")).run()
    assert not app.exception
    assert len(app.error) == 1
    assert "line 3 has 4 fields" in app.error[0].value
    from dashboard import state

    assert app.session_state[state.DATASET].name == "wagepan"


def test_picking_a_column_infers_its_kind(app):
    app.multiselect[0].set_value(["union", "lwage", "educ"]).run()
    assert not app.exception
    from dashboard import state

    kinds = {t.name: t.kind for t in app.session_state[state.TASKS]}
    assert kinds == {"union": "binary", "lwage": "regression", "educ": "regression"}


def test_changing_a_kind_is_checked_and_a_bad_kind_is_refused(app):
    from dashboard import state

    fingerprint = app.session_state[state.DATASET].fingerprint
    app.selectbox(key=f"data_kind_{fingerprint}_union").select("multiclass").run()
    assert not app.exception
    assert {t.name: t.kind for t in app.session_state[state.TASKS]}["union"] == "multiclass"
    # hours has 1,276 distinct values: as classes it is refused with one line, and stays regression
    app.selectbox(key=f"data_kind_{fingerprint}_hours").select("multiclass").run()
    assert not app.exception
    assert any("more than 1,000" in error.value for error in app.error)
    assert {t.name: t.kind for t in app.session_state[state.TASKS]}["hours"] == "regression"
