"""The inputs corpus in the dashboard (AppTest): one ``st.error`` line, no exception, the last good state kept.

After every bad input the session still holds the dataset, tasks and split
config it held before. Odd but valid inputs load and split with no error, and
show a warning where the user should know something.
"""

from __future__ import annotations

import json
import time

import pytest
from streamlit.testing.v1 import AppTest

import core.data
from core.data import BUILTIN_NAMES
from core.splits import STRATEGIES, SplitConfig
from dashboard import state
from tests.apptest import new_app, open_app
from tests.corpus import (
    BAD_FILES,
    BAD_SPLITS,
    BAD_TASKS,
    HTML_NAME,
    ODD_FILES,
    csv_bytes,
    split_table,
    task_table,
    wide_table,
)


@pytest.fixture
def app() -> AppTest:
    return open_app()


def snapshot(at: AppTest) -> tuple:
    """What must survive a bad input: the dataset (by content), the tasks and the split config."""
    data = at.session_state[state.DATASET]
    return data.name, data.fingerprint, at.session_state[state.TASKS], at.session_state[state.SPLIT_CONFIG]


def upload(at: AppTest, filename: str, content: bytes) -> AppTest:
    if at.radio(key="data_source").value != "Upload a file":
        at.radio(key="data_source").set_value("Upload a file").run()
    return at.file_uploader(key="data_upload").set_value((filename, content, "application/octet-stream")).run()


def the_one_error(at: AppTest, message: str) -> str:
    assert not at.exception, at.exception
    errors = [error.value for error in at.error]
    assert len(errors) == 1, errors
    assert "\n" not in errors[0] and "Traceback" not in errors[0]
    import re

    assert re.search(message, errors[0]), (message, errors[0])
    return errors[0]


def widget_key(at: AppTest, name: str) -> str:
    return f"split_{name}_{at.session_state[state.SPLIT_WIDGETS]}"


# --------------------------------------------------------------------------- invalid: files


@pytest.mark.parametrize("case", BAD_FILES, ids=lambda c: c.case)
def test_bad_upload_is_one_error_and_the_last_good_state_stays(app, case):
    before = snapshot(app)
    upload(app, case.filename, case.content)
    the_one_error(app, case.message)
    assert snapshot(app) == before


def test_an_upload_over_the_cap_is_refused_by_its_size_before_it_is_read(app, monkeypatch):
    from streamlit.runtime.uploaded_file_manager import UploadedFile

    monkeypatch.setattr(core.data, "MAX_UPLOAD_MB", 1)  # the page reads the cap at every run
    read = []
    original = UploadedFile.getvalue
    monkeypatch.setattr(UploadedFile, "getvalue", lambda self: read.append(self.name) or original(self))
    before = snapshot(app)
    upload(app, "big.csv", b"a,b\n" + b"1,2\n" * 400_000)  # 1.5 MB
    the_one_error(app, r"big\.csv is 2 MB, over the 1 MB limit; upload a smaller file")
    assert read == [], "the page read the file before checking its size"
    assert snapshot(app) == before


# --------------------------------------------------------------------------- invalid: tasks


@pytest.fixture
def task_app(app) -> AppTest:
    upload(app, "tasks.csv", csv_bytes(task_table()))
    assert not app.error and not app.exception
    assert [t.name for t in app.session_state[state.TASKS]] == ["label"]
    return app


def pick(at: AppTest, *names: str) -> AppTest:
    fingerprint = at.session_state[state.DATASET].fingerprint
    return at.multiselect(key=f"data_tasks_{fingerprint}").set_value(list(names)).run()


# the cases a person can reach on the Data page (an unknown column is not offered; a column that cannot be a
# task at all, such as 'code', cannot then be forced to multiclass)
PICKED = {"all-missing task": "empty", "single-valued task": "constant", "multiclass task with >1,000 values": "code"}


@pytest.mark.parametrize("case", [c for c in BAD_TASKS if c.case in PICKED], ids=lambda c: c.case)
def test_picking_a_column_that_cannot_be_a_task_is_one_error(task_app, case):
    before = snapshot(task_app)
    pick(task_app, "label", PICKED[case.case])
    the_one_error(task_app, case.message)
    assert snapshot(task_app) == before


def test_forcing_text_to_regression_is_one_error_and_the_task_keeps_its_kind(task_app):
    case = next(c for c in BAD_TASKS if c.case == "text forced as regression")
    pick(task_app, "label", "colour")
    assert not task_app.error
    before = snapshot(task_app)
    fingerprint = task_app.session_state[state.DATASET].fingerprint
    task_app.selectbox(key=f"data_kind_{fingerprint}_colour").select("regression").run()
    the_one_error(task_app, case.message)
    assert snapshot(task_app) == before
    assert {t.name: t.kind for t in task_app.session_state[state.TASKS]}["colour"] == "multiclass"


# --------------------------------------------------------------------------- invalid: split settings


@pytest.fixture
def split_app(app) -> AppTest:
    upload(app, "splits.csv", csv_bytes(split_table()))
    assert not app.error and not app.exception
    app.switch_page("views/split.py").run()
    assert not app.exception and not app.error
    return app


def test_more_folds_than_rows_is_one_error(split_app):
    case = next(c for c in BAD_SPLITS if c.case == "k above the number of rows")
    split_app.radio(key=widget_key(split_app, "mode")).set_value("k folds").run()
    before = snapshot(split_app)
    split_app.number_input(key=widget_key(split_app, "folds")).set_value(41).run()
    the_one_error(split_app, case.message)
    assert snapshot(split_app) == before


def test_a_group_column_with_one_group_is_one_error(split_app):
    case = next(c for c in BAD_SPLITS if c.case == "group column with a single group")
    before = snapshot(split_app)
    split_app.selectbox(key=widget_key(split_app, "group")).select("site").run()
    # the page's strategy is stratified: the fix it names is the one for stratified (the CLI case is group's)
    the_one_error(split_app, case.message.split("; ")[0] + r"; strategy 'stratified' keeps groups whole when a "
                  r"group column is set, so clear the group column, or pick a column with several groups\.")
    assert snapshot(split_app) == before


def test_an_unparseable_time_column_is_one_error(split_app):
    case = next(c for c in BAD_SPLITS if c.case == "unparseable time column")
    before = snapshot(split_app)
    split_app.selectbox(key=widget_key(split_app, "strategy")).select("time").run()
    assert not split_app.exception  # no time column yet: one error naming time_column
    split_app.selectbox(key=widget_key(split_app, "time")).select("when").run()
    the_one_error(split_app, case.message)
    assert snapshot(split_app) == before


def test_the_widgets_cannot_make_the_other_bad_settings(split_app):
    """Fractions come from a two-handle slider (always summing to 1, never negative), k from 2 up,
    the strategy and the built-in dataset from fixed lists."""
    slider = split_app.slider(key=widget_key(split_app, "bounds"))
    assert (slider.min, slider.max) == (0.0, 1.0)
    assert split_app.selectbox(key=widget_key(split_app, "strategy")).options == list(STRATEGIES)
    split_app.radio(key=widget_key(split_app, "mode")).set_value("k folds").run()
    assert split_app.number_input(key=widget_key(split_app, "folds")).min == 2
    split_app.switch_page("views/data.py").run()
    split_app.radio(key="data_source").set_value("Built-in dataset").run()
    options = split_app.selectbox(key="data_builtin").options
    assert [option.split(" — ")[0] for option in options] == list(BUILTIN_NAMES)


def bad_config_json(options: dict) -> bytes:
    """A config file as the Export page writes it, with one bad setting (SplitConfig itself refuses to hold it)."""
    values = json.loads(SplitConfig().to_json())
    values.update(options)
    return json.dumps(values).encode()


@pytest.mark.parametrize("case", BAD_SPLITS, ids=lambda c: c.case)
def test_a_bad_uploaded_config_is_one_error(split_app, case):
    split_app.switch_page("views/export.py").run()
    if not split_app.get("file_uploader") or not any(
        u.key == "export_config_upload" for u in split_app.get("file_uploader")
    ):
        pytest.skip("the Export page has no config upload (export_config_upload) yet")
    assert not split_app.error
    before = snapshot(split_app)
    content = bad_config_json(case.options)
    split_app.file_uploader(key="export_config_upload").set_value(("bad.json", content, "application/json")).run()
    the_one_error(split_app, case.message)
    assert snapshot(split_app) == before


# --------------------------------------------------------------------------- odd but valid


@pytest.mark.parametrize("case", ODD_FILES, ids=lambda c: c.case)
def test_odd_upload_loads_and_splits(app, case):
    upload(app, case.filename, case.content)
    assert not app.exception and not app.error, [e.value for e in app.error]
    data = app.session_state[state.DATASET]
    assert data.name == case.filename
    pick(app, case.task)
    assert [t.name for t in app.session_state[state.TASKS]] == [case.task]
    app.switch_page("views/split.py").run()
    if "--folds 5" in case.strategy_flags:
        app.radio(key=widget_key(app, "mode")).set_value("k folds").run()
        app.number_input(key=widget_key(app, "folds")).set_value(5).run()
    if "--strategy time" in case.strategy_flags:
        app.selectbox(key=widget_key(app, "strategy")).select("time").run()
        app.selectbox(key=widget_key(app, "time")).select("date").run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert sum(int(m.value.replace(",", "")) for m in app.metric) == len(data.frame)
    app.switch_page("views/data.py").run()
    warnings = [w.value for w in app.warning]
    app.switch_page("views/split.py").run()
    warnings += [w.value for w in app.warning]
    if case.warning:
        import re

        assert any(re.search(case.warning, w) for w in warnings), warnings


def no_markup_allowed(at: AppTest) -> None:
    for element in at.get("markdown") + at.get("caption"):
        if "<" in element.value:
            assert not element.proto.allow_html, element.value
    assert not at.get("html")


def test_html_in_names_and_values_is_never_rendered_as_html(app):
    case = next(c for c in ODD_FILES if c.case == "column names with spaces, unicode or HTML")
    upload(app, case.filename, case.content)
    pick(app, HTML_NAME, "first name")
    for page in ("views/data.py", "views/split.py"):
        app.switch_page(page).run()
        assert not app.exception and not app.error
        no_markup_allowed(app)


def test_the_sidebar_names_an_html_task_as_text():
    # AppTest (1.67) keeps the sidebar of an st.navigation app only on the first run, so the session is
    # seeded with the uploaded dataset and its tasks before that run.
    from core.data import load_file
    from core.tasks import parse_task_spec

    case = next(c for c in ODD_FILES if c.case == "column names with spaces, unicode or HTML")
    data = load_file(case.content, case.filename)
    at = new_app()
    at.session_state[state.DATASET] = data
    at.session_state[state.TASKS] = (parse_task_spec(HTML_NAME, data.frame),)
    at.session_state[state.SPLIT_CONFIG] = SplitConfig()
    at.run()
    assert not at.exception and not at.error
    sidebar = [md.value for md in at.sidebar.markdown]
    assert any(HTML_NAME in text for text in sidebar), sidebar
    no_markup_allowed(at)


def test_ten_thousand_columns_keep_the_data_page_usable(app):
    """Upload, column summary, role pickers and the task picker all work; the timings are printed (-s)."""
    content = csv_bytes(wide_table())
    started = time.perf_counter()
    upload(app, "wide.csv", content)
    uploaded = time.perf_counter() - started
    assert not app.exception and not app.error
    data = app.session_state[state.DATASET]
    assert data.frame.shape == (200, 10_001)
    summary = app.dataframe[1].value
    assert len(summary) == 10_001
    assert app.dataframe[0].value.shape[1] == 60, "the preview shows 60 of the 10,001 columns"
    started = time.perf_counter()
    app.run()
    rerun = time.perf_counter() - started
    pick(app, "label", "f0")
    assert {t.name: t.kind for t in app.session_state[state.TASKS]} == {"label": "multiclass", "f0": "regression"}
    group = next(box for box in app.selectbox if box.label == "Group column")
    assert len(group.options) == 10_002
    group.select("f1").run()
    assert app.session_state[state.DATASET].group_column == "f1" and not app.exception
    started = time.perf_counter()
    app.switch_page("views/split.py").run()
    split_page = time.perf_counter() - started
    assert not app.exception
    print(f"\n10,001 columns: upload {uploaded:.1f} s, rerun {rerun:.1f} s, split page {split_page:.1f} s")


# --------------------------------------------------------------------------- the uploaded dataset stays


def test_an_uploaded_dataset_survives_a_visit_to_another_page(app):
    upload(app, "tasks.csv", csv_bytes(task_table()))
    before = snapshot(app)
    app.switch_page("views/split.py").run()
    app.switch_page("views/data.py").run()  # Streamlit dropped the Source radio's state meanwhile
    assert not app.exception and snapshot(app) == before
    assert app.radio(key="data_source").value == "Upload a file"


def test_the_same_file_uploaded_again_after_a_builtin_is_read_again(app):
    content = csv_bytes(task_table())
    upload(app, "tasks.csv", content)
    app.radio(key="data_source").set_value("Built-in dataset").run()
    app.selectbox(key="data_builtin").select("penguins").run()
    assert app.session_state[state.DATASET].name == "penguins"
    upload(app, "tasks.csv", content)
    assert app.session_state[state.DATASET].name == "tasks.csv"


def test_a_synthetic_size_survives_a_visit_to_another_page(app):
    app.selectbox(key="data_builtin").select("synthetic").run()
    app.number_input(key="data_syn_rows").set_value(500).run()
    assert app.session_state[state.DATASET].name == "synthetic:500x10"
    app.switch_page("views/split.py").run()
    app.switch_page("views/data.py").run()
    assert app.session_state[state.DATASET].name == "synthetic:500x10" and not app.exception


# --------------------------------------------------------------------------- caches never mix inputs


def test_same_name_different_content_is_a_new_dataset_and_a_new_split(app):
    """The caches key on content (digest, fingerprint), so a second 'people.csv' is never served the first."""
    first = b"id,colour,label\n" + b"".join(f"{i},{'red' if i % 3 else 'blue'},{i % 2}\n".encode() for i in range(30))
    second = b"id,colour,label\n" + b"".join(f"{i},{'red' if i % 5 else 'blue'},{i % 3 % 2}\n".encode()
                                              for i in range(50))
    upload(app, "people.csv", first)
    app.switch_page("views/split.py").run()
    split_a = [m.value for m in app.metric]
    data_a = app.session_state[state.DATASET]
    app.switch_page("views/data.py").run()
    upload(app, "people.csv", second)
    data_b = app.session_state[state.DATASET]
    assert data_b.fingerprint != data_a.fingerprint and data_b.n_rows == 50
    app.switch_page("views/split.py").run()
    split_b = [m.value for m in app.metric]
    assert sum(int(v.replace(",", "")) for v in split_a) == 30
    assert sum(int(v.replace(",", "")) for v in split_b) == 50


def test_equal_frames_share_a_fingerprint_and_any_change_makes_a_new_one():
    from core.data import dataset_from_frame

    frame = task_table(40)
    same = dataset_from_frame(frame.copy(), name="a.csv").fingerprint
    assert dataset_from_frame(frame.copy(), name="b.csv").fingerprint == same
    changed = frame.copy()
    changed.loc[7, "score"] += 1e-9
    renamed = frame.rename(columns={"score": "Score"})
    retyped = frame.astype({"label": "float64"})
    for other in (changed, renamed, retyped):
        assert dataset_from_frame(other, name="a.csv").fingerprint != same
