"""Issue 12 items 3-5 in core: one feature list, following the current tasks and roles, used by the leakage
checks, the report and the command line; ids, row numbers and free text are no features by default."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data import feature_columns, id_like_columns, load_file, with_roles
from core.diagnostics import leakage
from core.errors import DataError
from core.report import render_report
from core.splits import SplitConfig, split
from core.tasks import Task, make_task
from core.training import prepare_split
from tests.messy import panel_csv, panel_frame


@pytest.fixture(scope="module")
def panel():
    """The European panel CSV as uploaded: ``person_id`` is suggested as the group, ``interview_date`` as time."""
    return load_file(panel_csv(), "panel.csv")


def panel_tasks(data) -> tuple[Task, ...]:
    return tuple(make_task(data.frame, name, name) for name in ("employed", "health"))


def test_an_uploads_features_follow_the_tasks_chosen_after_loading(panel):
    assert [t.name for t in panel.tasks] != ["employed", "health"]  # the upload suggested other tasks
    features = feature_columns(panel, panel_tasks(panel))
    assert not {"employed", "health"} & set(features)
    assert not {"person_id", "interview_date"} & set(features)  # the group and time roles
    assert not {"row", "comment"} & set(features)  # a row number and near-unique free text
    assert set(features) == {"year", "age", "region", "hours", "income"}


def test_text_that_reads_as_numbers_or_dates_is_not_free_text(panel):
    frame = panel.frame.assign(income=panel.frame["income"].map(lambda v: f"{v:.2f}".replace(".", ",")),
                               when=panel.frame["interview_date"].astype(str))  # as a reader that missed them
    assert set(id_like_columns(frame)) == {"row", "comment"}


def test_a_task_dropped_later_becomes_a_feature_again(panel):
    only_employed = (make_task(panel.frame, "employed", "employed"),)
    assert "health" in feature_columns(panel, only_employed)


def test_roles_set_later_are_left_out_the_dataset_s_and_the_split_s(panel):
    regrouped = with_roles(panel, group_column="region", time_column=None)
    features = feature_columns(regrouped, panel_tasks(panel), id_column="year")
    assert "region" not in features and "year" not in features
    assert "person_id" in features  # no longer a role: a plain number column (repeats, so not id-like)
    assert "age" not in feature_columns(panel, panel_tasks(panel), exclude=["age"])


def test_a_builtin_curated_list_keeps_its_order_minus_tasks_and_roles_of_the_moment(wagepan):
    tasks = (*wagepan.tasks, Task("black", ("black",), "binary"))
    features = feature_columns(wagepan, tasks, group_column="educ")
    assert features == [c for c in wagepan.feature_columns if c not in ("black", "educ")]
    assert "nr" not in features and "year" not in features and "occ1" not in features


def test_id_like_columns_name_row_numbers_ids_and_free_text_with_why():
    frame = panel_frame()
    found = id_like_columns(frame)
    assert set(found) == {"row", "comment"}
    assert "every row" in found["row"] and "every row" in found["comment"]
    frame["note"] = [f"note {i % 150}" for i in range(len(frame))]  # 150 values in ~2,000 rows: over 5%
    frame["city"] = [f"city {i % 12}" for i in range(len(frame))]  # a category
    frame["price"] = [f"{i},25" for i in range(len(frame))]  # a number column read as text: every value differs
    found = id_like_columns(frame)
    assert found["note"] == f"text with 150 distinct values in {len(frame):,} rows (free text or an id)"
    # decimal numbers (income), repeating ids (person_id), dates and small categories are not id-like
    assert not {"income", "hours", "person_id", "interview_date", "city", "region", "price"} & set(found)


def test_id_like_columns_counted_once_for_the_whole_table_give_the_same_list(panel):
    tasks = panel_tasks(panel)
    assert feature_columns(panel, tasks, id_like=id_like_columns(panel.frame)) == feature_columns(panel, tasks)
    assert "row" in feature_columns(panel, tasks, id_like={})


def test_a_small_table_keeps_its_few_values_as_features():
    frame = pd.DataFrame({"x": range(12), "colour": list("rgbrgbrgbrgb"), "y": [0, 1] * 6})
    assert feature_columns(frame, [Task("y", ("y",), "binary")]) == ["x", "colour"]
    assert id_like_columns(frame) == {}


def test_the_model_default_leaves_out_row_numbers_and_free_text():
    frame = panel_frame().drop(columns=["interview_date"])
    frame["employed"] = frame["employed"].fillna(0)
    tasks = [Task("employed", ("employed",), "binary")]
    assignment = np.where(np.arange(len(frame)) % 5 == 0, "test", "train")
    prepared = prepare_split(frame, tasks, assignment, group_column="person_id")
    assert set(prepared.feature_columns) == {"year", "age", "hours", "income", "region", "health"}


def test_a_table_of_only_ids_says_why_nothing_is_left_to_learn_from():
    frame = pd.DataFrame({"row": range(40), "y": [0, 1] * 20})
    with pytest.raises(DataError, match="No column is left to learn from.*pass feature_columns"):
        prepare_split(frame, [Task("y", ("y",), "binary")], ["train"] * 30 + ["val", "test"] * 5)
    prepared = prepare_split(frame, [Task("y", ("y",), "binary")], ["train"] * 30 + ["val", "test"] * 5,
                             feature_columns=["row"])
    assert prepared.feature_columns == ("row",)


# --------------------------------------------------------------------------- leakage


def test_leakage_never_tests_a_task_against_its_own_column_even_when_listed(panel):
    tasks = panel_tasks(panel)
    result = split(panel.frame, tasks, SplitConfig(strategy="random"))
    listed = ["year", "age", "employed", "health"]  # the stale feature list of an upload, tasks included
    report = leakage(panel.frame, result.assignment, tasks=tasks, feature_columns=listed, checks=("predictor",))
    assert not {"employed", "health"} & set(report.predictors["feature"])
    assert report.to_frame().set_index("check").loc["predictor", "status"] == "pass"


def test_leakage_by_default_finds_copied_rows_despite_a_row_number_column():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"row": np.arange(400), "x": rng.normal(size=400).round(3), "y": rng.integers(0, 2, 400)})
    frame.loc[200:, ["x", "y"]] = frame.loc[:199, ["x", "y"]].to_numpy()  # rows 200.. copy rows 0..199
    assignment = np.where(np.arange(400) < 200, "train", "test")
    report = leakage(frame, assignment, tasks=[Task("y", ("y",), "binary")], checks=("duplicates",))
    duplicates = report.to_frame().set_index("check").loc["duplicates"]
    assert duplicates["status"] == "fail" and "400 of them are whole copies" in duplicates["detail"]


def test_the_group_check_counts_groups_a_row_split_cuts_and_says_what_to_do(panel):
    result = split(panel.frame, panel_tasks(panel), SplitConfig(strategy="random"))
    report = leakage(panel.frame, result.assignment, group_column=panel.group_column, checks=("group",))
    group = report.to_frame().set_index("check").loc["group"]
    assert group["status"] == "fail"
    assert f"of {panel.frame['person_id'].nunique()} groups of 'person_id'" in group["detail"]
    assert "use the group strategy, or set 'person_id' as the split's group column" in group["detail"]


def test_a_time_split_that_lets_groups_straddle_warns_without_asking_for_the_group_column_it_has(panel):
    config = SplitConfig(strategy="time", time_column="year", group_column="person_id", group_time="rows")
    result = split(panel.frame, panel_tasks(panel), config)
    report = leakage(panel.frame, result.assignment, group_column="person_id", group_time=config.time_groups,
                     checks=("group",))
    group = report.to_frame().set_index("check").loc["group"]
    assert group["status"] == "warn" and "as chosen" in group["detail"]
    assert "use the group strategy" not in group["detail"] and ";." not in group["detail"]


# --------------------------------------------------------------------------- report


def _leakage_rows(page: str) -> str:
    start = page.index('<section id="leakage"')
    return page[start:page.index("</section>", start)]


def test_the_report_of_an_upload_does_not_fail_on_a_task_s_own_column(panel):
    tasks = panel_tasks(panel)
    config = SplitConfig(strategy="group", group_column="person_id")
    result = split(panel.frame, tasks, config)
    page = render_report(panel, tasks, result.assignment, config=result.config)
    section = _leakage_rows(page)
    assert "&#x27;employed&#x27; → employed" not in section and "'employed' → employed" not in section
    assert "AUC 1.000" not in section
    verdict = page[page.index('<p class="verdict">'):]
    verdict = verdict[:verdict.index("</p>")]
    assert "fail" not in verdict, verdict


def test_a_date_column_that_is_not_the_time_role_is_no_default_feature():
    """Issue 12: with `year` as the time column, the parsed `interview_date` was still a default feature."""
    from core.data import date_columns
    from tests import messy

    data = load_file(messy.panel_csv(), "panel.csv")
    assert str(data.frame["interview_date"].dtype).startswith("datetime64")
    employed = Task("employed", ("employed",), "binary")
    features = feature_columns(data.frame, [employed], group_column="person_id", time_column="year")
    assert "interview_date" not in features and "hours" in features
    assert "Time column" in date_columns(data.frame)["interview_date"]
    assert "interview_date" not in id_like_columns(data.frame)  # a date is no id


def survey_with_text_ids(n: int = 600, seed: int = 5) -> pd.DataFrame:
    """A survey as a Parquet or JSON export holds it (new-user trial 5): the questionnaire number and the area code
    as zero-padded text, each row's answers copied from one of 40 respondents (a resampled register)."""
    rng = np.random.default_rng(seed)
    source = rng.integers(0, 40, n)
    return pd.DataFrame({
        "N° questionnaire": pd.array([f"{i:06d}" for i in range(1, n + 1)], dtype="string"),
        "Zone": [f"{z:04d}" for z in rng.integers(1, 300, n)],
        "Âge": (18 + source % 30).astype("int64"),
        "Poids": (0.5 + source / 40).round(4),
        "Religion": np.array(["Catholique", "Protestante", "Autre"])[source % 3],
        "y": rng.integers(0, 2, n),
    })


def test_zero_padded_text_ids_and_codes_are_id_like_not_numbers():
    frame = survey_with_text_ids()
    found = id_like_columns(frame)
    assert set(found) == {"N° questionnaire", "Zone"}, found
    assert "every row" in found["N° questionnaire"]
    assert feature_columns(frame, [Task("y", ("y",), "binary")]) == ["Âge", "Poids", "Religion"]
    # whole numbers saved as text (no leading zero) are judged as an integer column: unique per row only
    counts = frame.assign(Zone=frame["Zone"].str.lstrip("0"), n=[str(i) for i in range(len(frame))])
    assert set(id_like_columns(counts)) == {"N° questionnaire", "n"}


def test_the_duplicate_check_sees_copied_rows_behind_a_zero_padded_text_id():
    frame = survey_with_text_ids()
    assignment = np.where(np.arange(len(frame)) % 5 == 0, "test", "train")
    report = leakage(frame, assignment, tasks=[Task("y", ("y",), "binary")], checks=("duplicates",))
    duplicates = report.to_frame().set_index("check").loc["duplicates"]
    assert duplicates["status"] == "fail" and "of 3 feature columns" in duplicates["detail"], duplicates["detail"]
