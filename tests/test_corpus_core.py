"""The inputs corpus in ``core``: every invalid input is one clear DataError/ConfigError line; odd inputs work."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pandas as pd
import pytest

import core.data._read
from core.data import MAX_UPLOAD_MB, column_summary, load_data, load_file
from core.errors import DataError, TaskSplitError
from core.splits import SplitConfig, split
from core.tasks import Task, parse_task_spec
from tests.corpus import (
    BAD_FILES,
    BAD_SPLITS,
    BAD_TASKS,
    HTML_NAME,
    ODD_FILES,
    OVER_CAP_MB,
    UNKNOWN_BUILTIN,
    csv_bytes,
    split_table,
    task_table,
    wide_table,
)


def one_line(error: pytest.ExceptionInfo) -> str:
    text = str(error.value)
    assert "\n" not in text and "Traceback" not in text
    assert text.rstrip().endswith("."), f"a message ends with its fix and a full stop: {text}"
    return text


# --------------------------------------------------------------------------- invalid


@pytest.mark.parametrize("case", BAD_FILES, ids=lambda c: c.case)
def test_bad_file_is_one_data_error_line(case):
    with pytest.raises(DataError, match=case.message) as error:
        load_file(case.content, case.filename)
    one_line(error)


def test_file_over_the_cap_is_refused_by_its_size_without_reading_it(tmp_path, monkeypatch):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as handle:  # a sparse file: 201 MB long, nothing written
        handle.truncate(OVER_CAP_MB * 2**20)
    assert os.path.getsize(path) == OVER_CAP_MB * 2**20

    def no_reading(*args):
        raise AssertionError("the file was read although it is over the cap")

    monkeypatch.setattr(core.data._read, "_read_bytes", no_reading)
    with pytest.raises(DataError, match=f"huge.csv is 201 MB, over the {MAX_UPLOAD_MB} MB limit") as error:
        load_data(str(path))
    one_line(error)


@pytest.mark.parametrize("case", BAD_TASKS, ids=lambda c: c.case)
def test_bad_task_is_one_data_error_line(case):
    with pytest.raises(DataError, match=case.message) as error:
        parse_task_spec(case.spec, task_table())
    one_line(error)


@pytest.mark.parametrize("case", BAD_SPLITS, ids=lambda c: c.case)
def test_bad_split_is_one_error_line_of_its_kind(case):
    frame = split_table()
    with pytest.raises(case.error, match=case.message) as error:
        split(frame, [Task("label", ("label",), "binary")], SplitConfig(**case.options))
    one_line(error)


def test_unknown_builtin_names_the_choices():
    spec, message = UNKNOWN_BUILTIN
    with pytest.raises(DataError, match=message) as error:
        load_data(spec)
    one_line(error)


def test_a_message_never_spans_lines_even_when_a_value_does():
    frame = pd.DataFrame({"a\nb": [1, 1, 1]})
    with pytest.raises(DataError) as error:
        parse_task_spec("a\nb", frame)
    assert "\n" not in str(error.value) and "a b" in str(error.value)


def test_numpy_values_are_shown_as_plain_numbers():
    frame = pd.DataFrame({"g": [7] * 6, "y": [0, 1] * 3})
    with pytest.raises(DataError, match=r"holds a single group \(7\)"):
        split(frame, [Task("y", ("y",), "binary")], SplitConfig(strategy="group", group_column="g"))


# --------------------------------------------------------------------------- odd but valid


def load_and_split(case):
    """Load the odd file, make its task and split it as the case says; return (dataset, result, warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = load_file(case.content, case.filename)
        task = parse_task_spec(case.task, dataset.frame)
        options = {"n_folds": 5} if "--folds 5" in case.strategy_flags else {}
        if "--strategy time" in case.strategy_flags:
            options = {"strategy": "time", "time_column": "date"}
        result = split(dataset.frame, [task], SplitConfig(**options))
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    return dataset, result, messages


@pytest.mark.parametrize("case", ODD_FILES, ids=lambda c: c.case)
def test_odd_file_loads_splits_and_warns_when_it_should(case):
    dataset, result, messages = load_and_split(case)
    assignment = result.assignment
    assert len(assignment) == len(dataset.frame) and assignment.notna().all()
    assert set(assignment) <= set(result.split_names)
    if case.warning:
        assert any(pd.Series(messages).str.contains(case.warning)), messages
    else:
        assert not messages, messages


def test_latin1_is_read_right_and_the_warning_is_kept_on_the_dataset():
    case = next(c for c in ODD_FILES if c.case == "Latin-1 text")
    dataset, _, _ = load_and_split(case)
    assert {"José", "Zoë", "Ñuño"} <= set(dataset.frame["name"])
    assert dataset.warnings and "Latin-1" in dataset.warnings[0]


def test_mixed_label_types_are_classes_of_their_text():
    case = next(c for c in ODD_FILES if c.case == "mixed types in a label column")
    dataset, result, _ = load_and_split(case)
    from core.tasks import encode

    with pytest.warns(UserWarning, match="mixes numbers and text"):
        task = parse_task_spec("answer", dataset.frame)
    encoded = encode(dataset.frame, task)
    # 1, "1" and 1.0 are one class; True is its own; None is missing
    assert set(encoded.classes) == {"1", "2.5", "True", "a", "b"}
    assert encoded.missing.sum() == 8


def test_one_labelled_row_per_class_keeps_the_sizes():
    case = next(c for c in ODD_FILES if c.case == "one labelled row per class")
    dataset, result, messages = load_and_split(case)
    # a single row can reach only one split: the warning says so; the sizes still follow the fractions
    assert result.to_frame()["rows"].tolist() == [28, 6, 6]
    assert "kind=a (1 row)" in " ".join(messages)


def test_time_ties_stay_together():
    case = next(c for c in ODD_FILES if c.case == "a time column with ties")
    dataset, result, _ = load_and_split(case)
    assert (result.assignment.groupby(dataset.frame["date"]).nunique() == 1).all()


def test_inf_and_nan_features_are_imputed_in_training():
    from core.training import TrainConfig, fit_on_split

    case = next(c for c in ODD_FILES if c.case == "inf and NaN in features")
    dataset, result, _ = load_and_split(case)
    assert np.isinf(dataset.frame["x"]).any() and dataset.frame["x"].isna().any()
    trained = fit_on_split(dataset.frame, dataset.tasks, result.assignment, feature_columns=["x", "z"],
                           config=TrainConfig(epochs=3, patience=None))
    assert trained.history and all(np.isfinite(record.train_total) for record in trained.history)


def test_odd_names_survive_and_the_report_shows_html_as_text():
    from core.report import render_report

    case = next(c for c in ODD_FILES if c.case == "column names with spaces, unicode or HTML")
    dataset, result, _ = load_and_split(case)
    assert HTML_NAME in dataset.frame.columns and "naïve ünïcødé 列" in dataset.frame.columns
    page = render_report(dataset, [parse_task_spec(HTML_NAME, dataset.frame)], result.assignment,
                         config=result.config)
    assert HTML_NAME not in page, "a column named <script>...</script> must be escaped in the report"
    assert "<i>x</i>" not in page and "<b>bold</b>" not in page


def test_ten_thousand_columns_load_summarise_and_split():
    frame = wide_table()
    dataset = load_file(csv_bytes(frame), "wide.csv")
    assert dataset.frame.shape == (200, 10_001)
    assert [t.name for t in dataset.tasks] == ["label"]
    summary = column_summary(dataset.frame)
    assert len(summary) == 10_001 and summary["distinct"].iloc[-1] == 3
    result = split(dataset.frame, dataset.tasks, SplitConfig())
    assert result.assignment.value_counts().sum() == 200


def test_column_summary_matches_a_column_by_column_count():
    frame = pd.DataFrame({"a": [1, None, 1, 3], "b": [None] * 4, "c": ["x", "y", None, "x"]})
    summary = column_summary(frame).set_index("column")
    for column in frame.columns:
        observed = frame[column].dropna()
        assert summary.loc[column, "distinct"] == observed.nunique()
        assert summary.loc[column, "missing %"] == round(100 * frame[column].isna().mean(), 1)
        assert summary.loc[column, "example"] == (str(observed.iloc[0]) if len(observed) else "")


def test_nested_json_cells_become_text():
    raw = b'[{"a": {"k": 1}, "y": 0}, {"a": [1, 2], "y": 1}, {"a": null, "y": 1}]'
    dataset = load_file(raw, "nested.json")
    assert dataset.frame["a"].tolist()[:2] == ['{"k": 1}', "[1, 2]"]
    assert column_summary(dataset.frame).loc[0, "distinct"] == 2


# --------------------------------------------------------------------------- the modules split out of splits.py


def test_every_error_is_a_value_error():
    assert issubclass(TaskSplitError, ValueError)
