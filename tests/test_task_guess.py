"""Issue 12: guessed tasks are defensible (outcomes by name, never a year dummy or a trait that comes last), and
tasks that carry the same information are found (identical columns, relabellings, perfectly correlated values)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.data import NO_TARGET, load_file, suggest_roles
from core.tasks import Task, duplicate_task_notes, make_task, same_information
from tests import messy


def test_a_route_panel_guesses_no_year_dummy_and_asks_for_the_target():
    frame = messy.route_panel_frame()
    roles = suggest_roles(frame)
    assert roles.time_column == "year"
    assert roles.tasks == ()  # y00 (a dummy of year) came last and was guessed before
    assert roles.task_note == NO_TARGET == "Pick the columns to predict under Tasks: no column looks like a target."


def test_a_dummy_of_the_time_column_is_never_guessed_even_when_named_like_an_outcome():
    frame = messy.route_panel_frame()
    frame["status"] = (frame["year"] >= 1999).astype(int)  # reads as an outcome, but is a function of year
    frame["result"] = np.random.default_rng(1).integers(0, 2, len(frame))
    roles = suggest_roles(frame)
    assert [t.name for t in roles.tasks] == ["result"]
    assert "`status` (fixed by `year`)" in roles.task_note


def test_a_trait_of_the_group_is_never_guessed():
    rng = np.random.default_rng(0)
    person = np.repeat(np.arange(50), 4)
    frame = pd.DataFrame({"user_id": person, "x": rng.normal(size=200),
                          "class": rng.integers(0, 2, 50)[person],  # one value per person
                          "label": rng.integers(0, 2, 200)})
    roles = suggest_roles(frame)
    assert roles.group_column == "user_id"
    assert [t.name for t in roles.tasks] == ["label"]
    assert "`class` (fixed by `user_id`)" in roles.task_note


def test_loan_applications_guess_the_decision_not_the_applicants_race():
    data = load_file(messy.european_csv(messy.loan_applications_frame()), "loanapp.csv")
    assert [(t.name, t.kind) for t in data.tasks] == [("reject", "binary")]
    assert data.task_note == ("Guessed task: `reject` (its name reads as an outcome). "
                              "Not guessed: `approve` (same labels as `reject`).")


def test_outcome_names_are_recognised():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=100), "is_fraud": rng.integers(0, 2, 100),
                          "churned": rng.integers(0, 2, 100), "white": rng.integers(0, 2, 100)})
    assert [t.name for t in suggest_roles(frame).tasks] == ["is_fraud", "churned"]


def test_identical_and_relabelled_tasks_hold_the_same_labels():
    frame = messy.route_panel_frame()
    frame["route_kind"] = np.where(frame["dist"] > 1000, "long", "short")
    frame["is_long"] = (frame["dist"] > 1000).astype(float)
    frame.loc[frame.index[::9], "is_long"] = np.nan  # labelled on fewer rows: compared where both are
    tasks = [make_task(frame, c, c) for c in ("concen", "bmktshr", "fare", "route_kind", "is_long", "y98")]
    assert same_information(frame, tasks) == (("concen", "bmktshr", "labels"), ("route_kind", "is_long", "labels"))
    assert duplicate_task_notes(frame, tasks) == (
        "`bmktshr` and `concen` hold the same labels: keep one.",
        "`is_long` and `route_kind` hold the same labels: keep one.",
    )


def test_rescaled_values_and_complementary_classes_are_found_but_different_tasks_are_not():
    frame = messy.loan_applications_frame()
    frame["loan_cents"] = frame["loanamt"] * 100.0 + 5
    tasks = [make_task(frame, c, c, "regression") for c in ("loanamt", "loan_cents", "appinc")]
    tasks += [make_task(frame, c, c) for c in ("reject", "approve", "male", "black")]
    assert same_information(frame, tasks) == (("loanamt", "loan_cents", "values"), ("reject", "approve", "labels"))
    many_valued = [Task(c, (c,), "regression") for c in ("hrat", "loanprc", "appinc")]  # near-unique values
    assert same_information(frame, many_valued) == ()


def test_a_one_hot_task_and_its_class_column_hold_the_same_labels():
    frame = messy.loan_applications_frame(n_rows=300)
    one_hot = pd.get_dummies(frame["action"], prefix="act", dtype=int)
    frame = pd.concat([frame, one_hot], axis=1)
    tasks = [make_task(frame, "action", "action", "multiclass"), make_task(frame, "act", tuple(one_hot.columns))]
    assert same_information(frame, tasks) == (("action", "act", "labels"),)


def test_a_county_panel_and_a_firm_panel_guess_their_unit_as_the_group():
    """crime4's ``county`` (90 x 7 years) and jtrain's ``fcode`` (157 x 3) stayed "(none)"."""
    from core.data import is_panel_unit, panel_units

    crime = messy.county_panel_frame()
    roles = suggest_roles(crime)
    assert (roles.group_column, roles.time_column, roles.id_column) == ("county", "year", None)
    assert panel_units(crime, "year") == ("county",)  # not a dummy, a trait or a rate
    firms = messy.firm_panel_frame()
    roles = suggest_roles(firms)
    assert (roles.group_column, roles.time_column) == ("fcode", "year")
    assert "fcode" not in roles.feature_columns
    twice = pd.concat([crime, crime.head(7)])  # a county twice in a year: no longer one row per unit and time
    assert not is_panel_unit(twice, "county", "year")
    assert not is_panel_unit(crime, "county", None)
    assert suggest_roles(crime.drop(columns="year").iloc[::7]).group_column is None  # no time, no panel
