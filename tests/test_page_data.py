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


# --------------------------------------------------------------------------- issue 12: a new user's upload


def upload(app: AppTest, name: str, content: bytes) -> AppTest:
    """Upload ``content`` through the page's uploader, as a user does."""
    app.radio(key="data_source").set_value("Upload a file").run()
    app.file_uploader(key="data_upload").set_value((name, content, "text/csv")).run()
    assert not app.exception
    return app


def task_names(app: AppTest) -> list[str]:
    from dashboard import state

    return [task.name for task in app.session_state[state.TASKS]]


def tasks_multiselect(app: AppTest):
    from dashboard import state

    return app.multiselect(key=f"data_tasks_{app.session_state[state.DATASET].fingerprint}")


def combine(app: AppTest, name: str, columns: list[str], kind: str = "multilabel") -> AppTest:
    """Fill the "Combine several columns into one task" form and press Add task."""
    app.text_input(key="data_combine_name").input(name)
    app.multiselect(key="data_combine_columns").set_value(columns)
    app.selectbox(key="data_combine_kind").select(kind)
    next(button for button in app.button if button.label == "Add task").click().run()
    assert not app.exception
    return app


def test_add_task_adds_the_combined_task_and_it_stays(app):
    before = task_names(app)
    combine(app, "status", ["union", "married"])
    assert task_names(app) == [*before, "status"]
    assert tasks_multiselect(app).value == [*before, "status"]
    assert any("`status` (multi)" in md.value for md in app.sidebar.markdown)
    assert any("Added task `status` (multilabel, 2 columns)" in s.value for s in app.success)
    app.run()  # one more rerun: the multiselect's old value must not come back
    assert task_names(app) == [*before, "status"]
    assert tasks_multiselect(app).value == [*before, "status"]


def test_add_task_on_an_upload_keeps_the_guessed_task_and_adds_the_combined_one(app):
    from tests import messy

    upload(app, "labels.csv", messy.labels_csv(n_rows=600))
    assert task_names(app) == ["label", "target"]
    combine(app, "first_two", ["label_0", "label_1"])
    app.run()
    assert task_names(app) == ["label", "target", "first_two"]
    assert tasks_multiselect(app).value == ["label", "target", "first_two"]


def test_after_an_add_the_combine_form_is_empty_and_after_an_error_it_keeps_the_columns(app):
    """A second task silently took the first one's columns: the form kept them after a successful add."""
    combine(app, "status", ["union", "married"])
    assert app.text_input(key="data_combine_name").value == ""
    assert app.multiselect(key="data_combine_columns").value == []
    next(button for button in app.button if button.label == "Add task").click().run()  # nothing picked
    assert [e.value for e in app.error] == ["Pick two or more 0/1 columns to combine into one task."]
    assert task_names(app)[-1] == "status"
    combine(app, "lonely", ["union"])
    assert app.text_input(key="data_combine_name").value == "lonely"  # kept, to be fixed
    assert app.multiselect(key="data_combine_columns").value == ["union"]


def test_add_task_with_one_column_says_what_to_do(app):
    before = task_names(app)
    combine(app, "lonely", ["union"])
    assert task_names(app) == before
    assert [e.value for e in app.error] == ["Pick two or more 0/1 columns to combine into one task."]


def test_a_column_in_two_tasks_is_said_and_diagnostics_draws(app):
    combine(app, "status", ["union", "married"])
    captions = [c.value for c in app.caption if "in 2 tasks" in c.value]
    assert len(captions) == 2 and captions[0].startswith("Column `union` is in 2 tasks (union, status): each task")
    assert captions[1].startswith("Column `married` is in 2 tasks (married, status)")


def test_columns_shared_by_the_same_two_tasks_are_said_once(app):
    from tests import messy

    upload(app, "labels.csv", messy.labels_csv(n_rows=600))
    combine(app, "pair", ["label_0", "label_1"])
    assert [c.value for c in app.caption if "in 2 tasks" in c.value] == [
        "Columns `label_0`, `label_1` are each in 2 tasks (label, pair): each task is kept, so their labels count "
        "twice when the split balances labels, and the model learns them twice. Remove a task if that is not "
        "what you want."
    ]
    app.switch_page("views/diagnostics.py").run()
    assert not app.exception
    assert not app.error


def test_upload_of_a_european_csv_reads_numbers_and_dates_and_says_what_it_guessed(app):
    from dashboard import state
    from tests import messy

    upload(app, "panel.csv", messy.panel_csv())
    data = app.session_state[state.DATASET]
    assert data.frame["hours"].dtype == "float64" and data.frame["income"].dtype == "float64"
    assert str(data.frame["interview_date"].dtype).startswith("datetime64")
    assert app.selectbox(key=f"data_time_{data.fingerprint}").value == "interview_date"
    assert task_names(app) == []  # no column is named like an outcome: the user is asked, not handed `health`
    notes = [i.value for i in app.info if i.value.startswith("Pick the columns")]
    assert notes == [
        "Pick the columns to predict under Tasks: no column looks like a target. Guessed roles: group "
        "`person_id`, time `interview_date`. These replace the previous dataset's tasks (union, married, "
        "poorhlth, lwage, hours, occupation, industry)."
    ]
    app.run()  # later runs keep the question in view, without the replacement
    assert [i.value for i in app.info if i.value.startswith("Pick the columns")] == [
        "Pick the columns to predict under Tasks: no column looks like a target."
    ]
    tasks_multiselect(app).set_value(["health", "employed"]).run()
    assert not [i for i in app.info if i.value.startswith("Pick the columns")]
    assert not [i for i in app.info if "guessed from the file" in i.value]  # nothing was guessed


def test_a_300_value_text_task_is_warned_and_a_near_unique_one_refused(app):
    import numpy as np

    rng = np.random.default_rng(0)
    rows = [f"{rng.normal():.3f},town {rng.integers(0, 300)},{i % 2}" for i in range(3_000)]
    upload(app, "towns.csv", ("x,city,y\n" + "\n".join(rows)).encode())
    assert task_names(app) == ["y"]
    tasks_multiselect(app).set_value(["y", "city"]).run()
    assert task_names(app) == ["y", "city"]
    warnings = [w.value for w in app.warning if "city" in w.value]
    assert len(warnings) == 1 and warnings[0].startswith("Task 'city' has 300 classes (the distinct values of column")
    assert "Remove it from the tasks" in warnings[0]


def test_the_near_unique_comment_is_refused_with_a_line_that_stays(app):
    from tests import messy

    upload(app, "panel.csv", messy.panel_csv())
    tasks_multiselect(app).set_value(["health", "comment"]).run()
    assert task_names(app) == ["health"]
    assert tasks_multiselect(app).value == ["health"]  # the refused column is dropped, with the reason shown
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and errors[0].startswith("Column 'comment' has ")
    assert "looks like an id or free text: remove it from the tasks" in errors[0]


def test_a_mostly_missing_task_says_how_many_rows_are_labelled(app):
    from dashboard import state
    from tests import messy

    upload(app, "labels.csv", messy.labels_csv())
    tasks_multiselect(app).set_value(["label", "kind"]).run()
    frame = app.session_state[state.DATASET].frame
    labelled = int(frame["kind"].notna().sum())
    assert [w.value for w in app.warning if w.value.startswith("kind:")] == [
        f"kind: {labelled:,} of 6,000 rows labelled ({labelled / 6000:.0%}); "
        "its distributions and scores use those rows only."
    ]


def test_a_repeating_id_is_proposed_as_the_group_with_one_click(app):
    from dashboard import state
    from tests import messy

    panel = messy.panel_frame(n_people=60)
    upload(app, "panel.csv", panel.rename(columns={"person_id": "id"}).to_csv(index=False).encode())
    data = app.session_state[state.DATASET]
    assert data.group_column == "region"  # guessed by its name; the plain "id" that repeats is proposed
    repeats = len(panel) / panel["person_id"].nunique()
    proposals = [i.value for i in app.info if "repeats" in i.value]
    assert proposals == [f"`id` repeats {repeats:.1f} times on average: rows of one person (or one thing)? "
                         "Use it as the group, so that the rows of one stay in one split."]
    app.button(key="data_use_group_id").click().run()
    assert not app.exception
    assert app.session_state[state.DATASET].group_column == "id"
    assert app.session_state[state.SPLIT_CONFIG].group_column == "id"
    assert app.selectbox(key=f"data_group_{data.fingerprint}").value == "id"
    assert not [i for i in app.info if "repeats" in i.value]


def test_no_proposal_when_the_person_id_already_is_the_group(app):
    from dashboard import state
    from tests import messy

    upload(app, "panel.csv", messy.panel_csv())
    assert app.session_state[state.DATASET].group_column == "person_id"
    assert not [i for i in app.info if "repeats" in i.value]
    fingerprint = app.session_state[state.DATASET].fingerprint
    app.selectbox(key=f"data_group_{fingerprint}").select("(none)").run()
    assert [i.value for i in app.info if "repeats" in i.value][0].startswith("`person_id` repeats 5.1 times")


def test_features_metric_follows_the_tasks_and_roles(app):
    from tests import messy

    upload(app, "panel.csv", messy.panel_csv())

    def features() -> str:
        return next(m.value for m in app.metric if m.label == "Features")

    # 11 columns: no task is guessed, person_id is the group, interview_date the time, row and comment name rows
    # (core.training._features.feature_columns: a different value in every row is an id or free text, never a feature)
    assert features() == "7"
    tasks_multiselect(app).set_value(["health", "employed"]).run()
    assert features() == "5"
    from dashboard import state

    fingerprint = app.session_state[state.DATASET].fingerprint
    app.selectbox(key=f"data_group_{fingerprint}").select("(none)").run()
    assert features() == "6"


def test_coming_back_after_an_upload_says_which_file_is_in_use(app):
    from tests import messy

    upload(app, "panel.csv", messy.panel_csv())
    app.switch_page("views/split.py").run()
    app.switch_page("views/data.py").run()
    assert not app.exception
    assert app.radio(key="data_source").value == "Upload a file"
    from dashboard import state

    n_rows = app.session_state[state.DATASET].n_rows
    assert [i.value for i in app.info if i.value.startswith("Using")] == [
        f"Using **panel.csv** ({n_rows:,} rows), uploaded this session. Upload another file to replace it."
    ]
    assert not [i for i in app.info if i.value.startswith("No file yet")]


def test_diagnostics_draws_every_table_with_a_column_in_two_tasks(app):
    from core.tasks import Task
    from dashboard import state

    app.session_state[state.TASKS] = (*app.session_state[state.TASKS], Task("status", ("union", "married"), "multilabel"))
    app.switch_page("views/diagnostics.py").run()
    assert not app.exception  # was: "Duplicate column names found" in the drill-down table
    assert any("rows**" in md.value for md in app.markdown)  # the drill-down table's heading drew


def test_an_airfare_like_panel_guesses_no_year_dummy_and_asks_in_one_line(app):
    from tests import messy

    upload(app, "airfare.csv", messy.route_panel_frame().to_csv(index=False).encode())
    assert task_names(app) == []  # y00, a dummy of year, was guessed before
    notes = [i.value for i in app.info if i.value.startswith("Pick the columns")]
    assert notes == ["Pick the columns to predict under Tasks: no column looks like a target. Guessed roles: group "
                     "`id` (one row per id and year: a panel), time `year`. These replace the previous dataset's "
                     "tasks (union, married, poorhlth, lwage, hours, occupation, industry)."]


@pytest.mark.parametrize(("name", "unit", "make"), [("crime4.csv", "county", "county_panel_frame"),
                                                    ("jtrain.csv", "fcode", "firm_panel_frame")])
def test_a_county_or_firm_panel_guesses_its_unit_as_the_group_and_says_why(app, name, unit, make):
    """crime4's county and jtrain's fcode stayed "(none)"; only "Guessed roles: time year" was said."""
    from dashboard import state
    from tests import messy

    upload(app, name, getattr(messy, make)().to_csv(index=False).encode())
    data = app.session_state[state.DATASET]
    assert (data.group_column, data.time_column) == (unit, "year")
    assert app.selectbox(key=f"data_group_{data.fingerprint}").value == unit
    assert app.session_state[state.SPLIT_CONFIG].strategy == "group"
    notes = [i.value for i in app.info if "Guessed roles" in i.value]
    assert len(notes) == 1 and f"Guessed roles: group `{unit}` (one row per {unit} and year: a panel), time `year`." in notes[0]


def test_duplicate_tasks_are_warned_once_per_pair(app):
    from tests import messy

    upload(app, "airfare.csv", messy.route_panel_frame().to_csv(index=False).encode())
    tasks_multiselect(app).set_value(["concen", "bmktshr", "fare"]).run()
    assert task_names(app) == ["concen", "bmktshr", "fare"]
    assert [w.value for w in app.warning if "hold the same" in w.value] == [
        "`bmktshr` and `concen` hold the same labels: keep one."]
    tasks_multiselect(app).set_value(["concen", "fare"]).run()
    assert not [w for w in app.warning if "hold the same" in w.value]


def test_a_loanapp_like_upload_guesses_the_decision_and_the_kept_guess_can_be_removed(app):
    from tests import messy

    upload(app, "loanapp.csv", messy.loan_applications_frame().to_csv(index=False).encode())
    assert task_names(app) == ["reject"]
    notes = [i.value for i in app.info if i.value.startswith("Guessed task")]
    assert len(notes) == 1 and notes[0].startswith(
        "Guessed task: `reject` (its name reads as an outcome). Not guessed: `approve` (same labels as `reject`). "
        "Change them below.")
    tasks_multiselect(app).set_value(["reject", "married"]).run()  # the user's first own change adds a column
    assert task_names(app) == ["reject", "married"]  # the guess is kept, and said to be a guess
    kept = [i.value for i in app.info if "guessed from the file" in i.value]
    assert kept == ["`reject` is guessed from the file, not picked by you, and kept next to your tasks. "
                    "Remove it if you do not mean to predict it."]
    app.button(key="data_remove_guessed").click().run()
    assert not app.exception
    assert task_names(app) == ["married"]
    assert tasks_multiselect(app).value == ["married"]
    assert not [i for i in app.info if "guessed from the file" in i.value]
    tasks_multiselect(app).set_value(["married", "approve", "reject"]).run()
    assert [w.value for w in app.warning if "hold the same" in w.value] == [
        "`approve` and `reject` hold the same labels: keep one."]


def district_panel_csv() -> bytes:
    """A user's panel export: a district id that repeats each year, `;`, decimal commas, a BOM, 0/1 flags with
    a gap, a yes/no flag and a text band (a multi-label task can be made of the flags, not of the rest)."""
    rows = ["District;Year;Score;High dropout;Above-avg spend;Improved;Band"]
    for district in range(40):
        for year in (1996, 1997, 1998):
            dropout = "" if (district + year) % 17 == 0 else str((district * year) % 3 == 0 and 1 or 0)
            rows.append(f"{1000 + district};{year};{district % 9 + 0.5:.1f}".replace(".", ",")
                        + f";{dropout};{(district + year) % 2};{'yes' if district % 3 else 'no'};"
                        + ("low", "mid", "high")[district % 3])
    return ("\ufeff" + "\n".join(rows) + "\n").encode("utf-8")


def test_an_id_column_that_repeats_is_warned_with_the_fix(app):
    """New-user test 3: District (one row per year) taken as the Id column; the export then keyed rows by it."""
    from dashboard import state

    upload(app, "districts.csv", district_panel_csv())
    fingerprint = app.session_state[state.DATASET].fingerprint
    assert not [w for w in app.warning if "Id column" in w.value]
    app.selectbox(key=f"data_id_{fingerprint}").select("District").run()
    assert not app.exception
    warnings = [w.value for w in app.warning if "Id column" in w.value]
    assert len(warnings) == 1 and "`District` repeats (40 values on 120 rows)" in warnings[0], warnings
    assert "joined back" in warnings[0] and "(none)" in warnings[0] and "\n" not in warnings[0]
    app.selectbox(key=f"data_group_{fingerprint}").select("District").run()
    warnings = [w.value for w in app.warning if "Id column" in w.value]
    assert len(warnings) == 1 and "make it the Group column" not in warnings[0]
    app.selectbox(key=f"data_id_{fingerprint}").select("(none)").run()
    assert not [w for w in app.warning if "Id column" in w.value]


def test_the_combine_form_offers_only_0_1_columns_and_stays_open_after_an_error(app):
    """New-user test 3: the form offered every column (the year, text) and said 'must all hold 0/1' without
    naming the culprit; after the error it closed. A yes/no flag is offered since new-user test 4 (it reads as 1/0)."""
    upload(app, "districts.csv", district_panel_csv())
    box = app.multiselect(key="data_combine_columns")
    assert box.options == ["High dropout", "Above-avg spend", "Improved"]
    combine(app, "risk", ["High dropout"])  # one column: an error
    assert [e.value for e in app.error] == ["Pick two or more 0/1 columns to combine into one task."]
    assert app.expander[0].proto.expanded
    combine(app, "risk", ["High dropout", "Above-avg spend"])
    assert task_names(app)[-1] == "risk" and not app.error


def test_flags_written_oui_non_or_ja_nein_combine_into_a_multi_label_task(app):
    """New-user test 5, item 5: a French survey's oui/non flags were 'not offered: two words, neither 0/1 nor
    yes/no; save them as 0/1' - the user had to re-save nine columns. They read as 1/0 now, as yes/no do."""
    from dashboard import state

    rows = ["Électricité\tRadio\tVélo\tMilieu\tÂge"]
    for i in range(60):
        rows.append("\t".join([("oui", "non")[i % 2], ("Oui", "NON", "")[i % 3], ("ja", "nein")[i % 4 == 0],
                               ("Urbain", "Rural")[i % 5 == 0], str(18 + i % 30)]))
    upload(app, "enquête.tsv", ("\n".join(rows) + "\n").encode("cp1252"))
    assert app.multiselect(key="data_combine_columns").options == ["Électricité", "Radio", "Vélo"]
    assert any("Milieu (Rural/Urbain)" in c.value for c in app.caption)  # two other words: still said why not
    combine(app, "Équipement", ["Électricité", "Radio", "Vélo"])
    assert not app.error and task_names(app)[-1] == "Équipement"
    task = app.session_state[state.TASKS][-1]
    assert task.kind == "multilabel" and task.columns == ("Électricité", "Radio", "Vélo")


def test_a_gzip_csv_upload_is_offered_and_read(app):
    """newuser6 item 2: digits.csv.gz was refused by the uploader ('application/gzip files are not allowed')."""
    import gzip

    import numpy as np
    import pandas as pd

    app.radio(key="data_source").set_value("Upload a file").run()
    uploader = app.file_uploader(key="data_upload")
    assert ".gz" in list(uploader.proto.type), list(uploader.proto.type)
    rng = np.random.default_rng(6)
    frame = pd.DataFrame({f"px_{i}": rng.integers(0, 16, 120) for i in range(64)}).assign(digit=rng.integers(0, 10, 120))
    packed = gzip.compress(frame.to_csv(index=False).encode())
    uploader.set_value(("digits.csv.gz", packed, "application/gzip")).run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    from dashboard import state

    data = app.session_state[state.DATASET]
    assert data.name == "digits.csv.gz" and (data.n_rows, data.frame.shape[1]) == (120, 65)
