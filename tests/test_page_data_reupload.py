"""AppTest: the Data page on a user's second upload and on tasks whose labels clash (new-user test 4, items 3, 4).

A plant survey is uploaded, tasks (one a multi-label task made on the page) and roles are picked, then a
corrected export of the same table is uploaded: the work is kept. A file whose columns differ gets its own
guesses. Two tasks whose labels read alike are refused when picked, on the Data page.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from tests.apptest import open_app


def survey(n_firms: int = 30, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 3 * n_firms
    return pd.DataFrame({
        "Firm code": np.repeat(np.arange(410_000, 410_000 + n_firms), 3),
        "Survey year": np.tile([1987, 1988, 1989], n_firms),
        "Employees": rng.integers(5, 500, n).astype(float),
        "Grant received": rng.choice(["yes", "no"], n),
        "Grant last year": rng.integers(0, 2, n),
        "Trained ≥1 hr": rng.integers(0, 2, n),
        "Scrap rate": np.where(rng.random(n) < 0.6, np.nan, rng.gamma(2.0, 2.0, n)),
    })


def as_csv(frame: pd.DataFrame) -> bytes:
    return ("\ufeff" + frame.to_csv(sep=";", decimal=",", index=False)).encode("utf-8")


def upload(app: AppTest, name: str, content: bytes) -> None:
    app.file_uploader(key="data_upload").set_value((name, content, "text/csv")).run()
    assert not app.exception


def work_on_first_file(app: AppTest) -> None:
    """Upload the survey, pick two tasks and a multi-label task made of two 0/1 columns, and the roles."""
    from dashboard import state

    app.radio(key="data_source").set_value("Upload a file").run()
    upload(app, "survey.csv", as_csv(survey()))
    fingerprint = app.session_state[state.DATASET].fingerprint
    app.selectbox(key=f"data_group_{fingerprint}").select("Firm code").run()
    app.selectbox(key=f"data_time_{fingerprint}").select("Survey year").run()
    app.multiselect(key=f"data_tasks_{fingerprint}").set_value(["Grant received", "Scrap rate"]).run()
    app.text_input(key="data_combine_name").input("Programme flags")
    app.multiselect(key="data_combine_columns").set_value(["Grant last year", "Trained ≥1 hr"])
    app.button(key="FormSubmitter:data_combine-Add task").click().run()
    assert not app.exception
    assert [t.name for t in app.session_state[state.TASKS]] == ["Grant received", "Scrap rate", "Programme flags"]


def test_a_corrected_export_of_the_same_table_keeps_the_tasks_roles_and_split():
    from dashboard import state

    app = open_app()
    work_on_first_file(app)
    app.switch_page("views/split.py").run()
    app.selectbox(key=state.SplitKeys.control("strategy", app.session_state[state.SPLIT_WIDGETS])).select("time").run()
    before = app.session_state[state.SPLIT_CONFIG]
    assert before.strategy == "time"
    app.switch_page("views/data.py").run()
    corrected = survey()
    corrected.loc[0, "Employees"] = 101.0  # one cell fixed: another file, the same columns
    upload(app, "survey_v2.csv", as_csv(corrected))
    data = app.session_state[state.DATASET]
    assert data.name == "survey_v2.csv"
    tasks = app.session_state[state.TASKS]
    assert [(t.name, t.kind) for t in tasks] == [
        ("Grant received", "binary"), ("Scrap rate", "regression"), ("Programme flags", "multilabel")]
    assert (data.group_column, data.time_column) == ("Firm code", "Survey year")
    assert app.session_state[state.SPLIT_CONFIG] == before
    assert any("Kept the 3 task(s)" in info.value and "survey_v2.csv" in info.value for info in app.info)


def test_a_file_without_the_task_columns_gets_its_own_guesses_and_says_what_it_replaced():
    from dashboard import state

    app = open_app()
    work_on_first_file(app)
    other = survey().drop(columns=["Trained ≥1 hr"]).rename(columns={"Grant received": "label"})
    upload(app, "other.csv", as_csv(other))
    assert [t.name for t in app.session_state[state.TASKS]] == ["label"]
    assert any("These replace the previous dataset's tasks (Grant received, Scrap rate, Programme flags)" in info.value
               for info in app.info)


def test_a_builtin_datasets_tasks_are_not_carried_to_an_upload_with_its_columns():
    from dashboard import state

    app = open_app()  # wagepan, its curated tasks
    wagepan = app.session_state[state.DATASET].frame
    app.radio(key="data_source").set_value("Upload a file").run()
    upload(app, "my_wagepan.csv", wagepan.head(400).to_csv(index=False).encode())
    assert not any("Kept the" in info.value for info in app.info)


def clash_frame() -> pd.DataFrame:
    return pd.DataFrame({"a": ["b=1", "c"] * 20, "a=b": ["1", "0", "0", "1"] * 10, "x": np.arange(40) / 3})


def test_tasks_whose_labels_read_alike_are_refused_when_picked_with_one_line():
    from dashboard import state

    app = open_app()
    app.radio(key="data_source").set_value("Upload a file").run()
    upload(app, "clash.csv", clash_frame().to_csv(sep=";", index=False).encode())
    fingerprint = app.session_state[state.DATASET].fingerprint
    app.multiselect(key=f"data_tasks_{fingerprint}").set_value(["a", "a=b"]).run()
    assert not app.exception
    assert [t.name for t in app.session_state[state.TASKS]] == ["a"]
    errors = [error.value for error in app.error]
    assert len(errors) == 1 and "both have a label named 'a=b=1'" in errors[0] and "\n" not in errors[0]
    app.switch_page("views/split.py").run()  # the Split page splits the tasks kept, with no error
    assert not app.exception and not app.error


def test_tasks_with_an_equals_sign_that_do_not_clash_are_kept():
    from dashboard import state

    app = open_app()
    app.radio(key="data_source").set_value("Upload a file").run()
    frame = clash_frame().assign(a=["p", "q"] * 20)
    upload(app, "fine.csv", frame.to_csv(sep=";", index=False).encode())
    fingerprint = app.session_state[state.DATASET].fingerprint
    app.multiselect(key=f"data_tasks_{fingerprint}").set_value(["a", "a=b"]).run()
    assert [t.name for t in app.session_state[state.TASKS]] == ["a", "a=b"]
    assert not app.error


def test_yes_no_flags_combine_into_a_multilabel_task_and_other_two_word_columns_say_why_not():
    """New-user report 4, item 7: yes/no flags (Union, Grant received) could not form a multi-label task."""
    from dashboard import state

    app = open_app()
    app.radio(key="data_source").set_value("Upload a file").run()
    upload(app, "survey.csv", as_csv(survey().assign(Sector=lambda f: np.where(f["Employees"] > 250, "metal", "wood"))))
    assert {"Grant received", "Grant last year"} <= set(app.multiselect(key="data_combine_columns").options)
    notes = [caption.value for caption in app.caption if caption.value.startswith("Not offered:")]
    assert notes == ["Not offered: Sector (metal/wood) holds two words, neither 0/1 nor yes/no; save it as 0/1 in "
                     "the file to combine it (it can be a binary task as it is)."]
    app.text_input(key="data_combine_name").input("Programme flags")
    app.multiselect(key="data_combine_columns").set_value(["Grant received", "Grant last year"])
    app.button(key="FormSubmitter:data_combine-Add task").click().run()
    assert not app.exception and not app.error
    task = next(t for t in app.session_state[state.TASKS] if t.name == "Programme flags")
    assert task.kind == "multilabel" and task.columns == ("Grant received", "Grant last year")
    app.switch_page("views/diagnostics.py").run()
    assert not app.exception and not app.error
