"""Reading and guessing on uploads the project never designed for (issue 12): tests/messy.py's files.

A European CSV (BOM, ``;``, decimal commas, ISO dates), labels spelt ``1`` and ``1.0``, a 300-value text
column, a mostly-missing task, a repeating person id and a row-number column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.data import (
    RepeatedId,
    id_like_names,
    load_file,
    read_table,
    repeated_id_candidates,
    suggest_roles,
)
from core.tasks import MANY_CLASSES, Task, encode, infer_kind, label_notes, make_task
from tests import messy


@pytest.fixture(scope="module")
def panel():
    return load_file(messy.panel_csv(), "panel.csv")


@pytest.fixture(scope="module")
def labels():
    return load_file(messy.labels_csv(), "labels.csv")


# --------------------------------------------------------------------------- reading


def test_bom_does_not_stick_to_the_first_column_name(panel):
    assert messy.panel_csv().startswith(b"\xef\xbb\xbf")
    assert panel.frame.columns[0] == "row"


def test_decimal_commas_in_a_semicolon_csv_are_numbers(panel):
    expected = messy.panel_frame()
    frame = panel.frame
    for column in ("hours", "income", "employed"):
        assert pd.api.types.is_float_dtype(frame[column]), column
        np.testing.assert_allclose(frame[column].to_numpy(), expected[column].to_numpy(), equal_nan=True)
    assert frame["region"].tolist() == expected["region"].tolist()  # text stays text


def test_iso_dates_are_datetimes_and_offered_as_the_time_column(panel):
    frame = panel.frame
    assert pd.api.types.is_datetime64_any_dtype(frame["interview_date"])
    assert frame["interview_date"].iloc[0] == messy.panel_frame()["interview_date"].iloc[0]
    assert panel.time_column == "interview_date"


def test_a_comma_csv_keeps_quoted_commas_as_text():
    frame = read_table(b'a,b\n"1,5",x\n"2,25",y\n', "lists.csv")
    assert frame["a"].tolist() == ["1,5", "2,25"]


def test_a_column_that_is_not_all_dates_or_numbers_stays_text():
    frame = read_table(b"d;v\n2011-03-01;1,5\n2011-13-45;abc\n", "mixed.csv")
    assert not pd.api.types.is_datetime64_any_dtype(frame["d"])
    assert frame["v"].tolist() == ["1,5", "abc"]


def test_iso_date_times_in_json_are_datetimes():
    frame = read_table(b'[{"t": "2011-03-01 14:30:00", "y": 1}, {"t": "2012-01-02 08:00:00", "y": 0}]', "t.json")
    assert pd.api.types.is_datetime64_any_dtype(frame["t"])


# --------------------------------------------------------------------------- labels spelt two ways


@pytest.mark.parametrize("dtype", ["str", object])
def test_one_and_one_point_zero_are_one_class(dtype):
    frame = pd.DataFrame({"y": pd.Series(["1", "1.0", "2", "2.0", None, "1"], dtype=dtype)})
    assert infer_kind(frame, "y") == "binary"
    encoded = encode(frame, make_task(frame, "y", "y"))
    assert encoded.classes == ("1", "2")
    assert encoded.values.tolist() == [0, 0, 1, 1, -1, 0]


def test_numbers_and_text_mixed_are_one_class_as_the_note_says():
    frame = pd.DataFrame({"y": pd.Series([1, "1.0", 1.0, "2", 2], dtype=object)})
    task = make_task(frame, "y", "y")
    assert task.kind == "binary" and encode(frame, task).classes == ("1", "2")
    assert "1, 1.0 and '1' are one class" in label_notes(frame, task)[0]


def test_codes_with_leading_zeros_keep_their_text():
    frame = pd.DataFrame({"zip": ["007", "7", "007", "08"]})
    assert set(encode(frame, make_task(frame, "zip", "zip")).classes) == {"007", "7", "08"}


def test_grade_of_the_labels_upload_has_three_classes(labels):
    assert encode(labels.frame, make_task(labels.frame, "grade", "grade")).classes == ("1", "2", "3")


# --------------------------------------------------------------------------- tasks that need a word


def city_frame(n_rows: int = 3_000, n_values: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({
        "x": rng.normal(size=n_rows),
        "label": [f"city {i}" for i in rng.integers(0, n_values, n_rows)],
        "city": [f"town {i}" for i in rng.integers(0, n_values, n_rows)],
    })


def test_a_300_value_text_task_is_said_to_look_like_free_text():
    frame = city_frame()
    notes = label_notes(frame, make_task(frame, "city", "city"))
    assert len(notes) == 1
    assert "Task 'city' has 300 classes" in notes[0] and "column 'city'" in notes[0]
    assert f"group its values into at most {MANY_CLASSES} classes" in notes[0]


def test_a_300_value_text_column_is_never_guessed_as_a_task():
    roles = suggest_roles(city_frame())
    assert "label" not in [t.name for t in roles.tasks] and "city" not in [t.name for t in roles.tasks]


def test_a_mostly_missing_task_says_how_many_rows_are_labelled(labels):
    frame = labels.frame
    labelled = int(frame["kind"].notna().sum())
    notes = label_notes(frame, make_task(frame, "kind", "kind"))
    share = f"{labelled / len(frame):.0%}"
    assert notes == (f"kind: {labelled:,} of 6,000 rows labelled ({share}); "
                     "its distributions and scores use those rows only.",)


def test_612_of_6000_rows_labelled_is_warned_as_shown_10_percent():
    frame = pd.DataFrame({"kind": ["a", "b", "c"] * 204 + [None] * (6_000 - 612)})
    notes = label_notes(frame, Task("kind", ("kind",), "multiclass"))
    assert notes == ("kind: 612 of 6,000 rows labelled (10%); its distributions and scores use those rows only.",)


def test_a_task_labelled_in_a_third_of_rows_gets_no_note(panel):
    assert label_notes(panel.frame, make_task(panel.frame, "employed", "employed")) == ()


def test_a_near_unique_text_column_is_refused_with_its_count(panel):
    distinct = panel.frame["comment"].nunique()
    with pytest.raises(Exception, match=f"Column 'comment' has {distinct:,} distinct values.*remove it from"):
        make_task(panel.frame, "comment", "comment")


# --------------------------------------------------------------------------- ids


def test_the_row_number_and_free_text_are_id_like(panel):
    assert id_like_names(panel.frame) == ("row", "comment")


def test_labels_upload_has_its_sample_id_as_the_only_id_like_column(labels):
    assert id_like_names(labels.frame) == ("sample_id",)


def test_the_repeating_person_id_is_a_group_candidate(panel):
    frame = panel.frame
    mean = round(len(frame) / frame["person_id"].nunique(), 1)
    assert repeated_id_candidates(frame) == (RepeatedId("person_id", 400, mean),)


def test_a_plain_id_that_repeats_is_a_candidate_and_unique_ids_are_not():
    frame = pd.DataFrame({
        "id": np.repeat(np.arange(50), 4), "sample_id": np.arange(200), "region": ["n", "s"] * 100,
        "paid": np.repeat(np.arange(50), 4), "score": np.repeat(np.arange(50) * 0.5, 4),
    })
    assert [c.column for c in repeated_id_candidates(frame)] == ["id"]
    assert repeated_id_candidates(frame)[0].mean_rows == 4.0
