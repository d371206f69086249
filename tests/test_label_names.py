"""Two labels never read the same: task ``a`` with the value ``b=1`` and task ``a=b`` with the value ``1`` would
both be ``a=b=1`` in every table, tick and hover, so that pair of tasks is one DataError naming both and the fix.
Labels that all differ keep their names (the golden splits do not move)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from core import diagnostics as dx
from core.data import dataset_from_frame
from core.errors import DataError
from core.splits import (
    MultiTaskStratifiedGroupKFold,
    MultiTaskStratifiedKFold,
    MultiTaskStratifiedShuffleSplit,
    RepeatedMultiTaskStratifiedKFold,
    SplitConfig,
    multitask_train_test_split,
    split,
)
from core.tasks import Task, encode_tasks, label_name
from dashboard import state
from tests.apptest import open_app

CLASH = ("Tasks 'a' and 'a=b' both have a label named 'a=b=1' (a's value 'b=1', a=b's value '1'); "
         "rename 'a=b' to a name without '=' so that every label has its own name.")
TASKS = (Task("a", ("a",), "binary"), Task("a=b", ("a=b",), "binary"))


def clashing_frame(rows: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"a": rng.choice(["b=1", "c"], rows), "a=b": rng.choice([0, 1], rows),
                         "x": rng.normal(size=rows)})


def test_two_tasks_whose_labels_read_the_same_are_one_data_error():
    with pytest.raises(DataError) as raised:
        encode_tasks(clashing_frame(), TASKS)
    assert str(raised.value) == CLASH


def test_the_order_of_the_tasks_does_not_matter():
    with pytest.raises(DataError, match="rename 'a=b' to a name without '='"):
        encode_tasks(clashing_frame(), TASKS[::-1])


def test_split_and_diagnostics_refuse_the_clash_in_one_line():
    frame = clashing_frame()
    with pytest.raises(DataError) as raised:
        split(frame, TASKS, SplitConfig(seed=0))
    assert str(raised.value) == CLASH
    with pytest.raises(DataError) as raised:
        dx.label_distribution(frame, TASKS, pd.Series(["train"] * len(frame)))
    assert str(raised.value) == CLASH


def test_a_task_named_a_equals_b_beside_a_without_a_clash_keeps_its_names():
    frame = clashing_frame().assign(a=lambda f: f["a"].replace({"b=1": "x=y"}))
    assert encode_tasks(frame, TASKS).labels == ("a=c", "a=x=y", "a=b=0", "a=b=1")


def clashing_y(rows: int = 60) -> pd.DataFrame:
    """``y`` for the sklearn splitters: the minority classes (the labels they keep of a two-class column) clash."""
    return pd.DataFrame({"a": ["b=1"] * (rows // 3) + ["c"] * (rows - rows // 3),
                         "a=b": [1] * (rows // 3 + 5) + [0] * (rows - rows // 3 - 5)})


@pytest.mark.parametrize("splitter", [
    lambda X, y: list(MultiTaskStratifiedKFold(3).split(X, y)),
    lambda X, y: list(RepeatedMultiTaskStratifiedKFold(n_splits=3, n_repeats=2).split(X, y)),
    lambda X, y: list(MultiTaskStratifiedGroupKFold(3).split(X, y, groups=np.arange(len(X)) // 2)),
    lambda X, y: list(MultiTaskStratifiedShuffleSplit(2, test_size=0.25).split(X, y)),
    lambda X, y: multitask_train_test_split(X, stratify=y, test_size=0.25),
], ids=["kfold", "repeated", "group_kfold", "shuffle_split", "train_test_split"])
def test_the_sklearn_splitters_refuse_the_clash_with_the_same_error(splitter):
    y = clashing_y()
    with pytest.raises(DataError) as raised:
        splitter(np.zeros((len(y), 1)), y)
    assert str(raised.value) == CLASH


def test_the_sklearn_splitters_keep_label_names_that_differ():
    """Task ``a`` with the value ``x=y`` beside task ``a=b``: no clash, and a warning names the label as ever."""
    y = clashing_y().assign(a=["x=y"] * 2 + ["c"] * 58)
    with pytest.warns(UserWarning, match=r"too rare to appear in every one of the 3 splits: a=x=y \(2 rows\)"):
        folds = list(MultiTaskStratifiedKFold(3).split(np.zeros((len(y), 1)), y))
    assert sorted(np.concatenate([test for _, test in folds]).tolist()) == list(range(len(y)))


names = st.text(alphabet="ab=", min_size=1, max_size=4)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(names, st.lists(names, min_size=2, max_size=3, unique=True), min_size=1, max_size=3))
@example({"a": ["=", "===="], "a===": ["=", "a"]})  # a clash, so that path runs on every run
@example({"a": ["b=1", "c"], "a=b": ["1", "0"]})
def test_encoding_refuses_exactly_the_tasks_whose_label_names_clash(values_of):
    """Task names and values of 'a', 'b' and '=': an error exactly when two (task, value) pairs read alike."""
    frame = pd.DataFrame({task: [values[i % len(values)] for i in range(6)] for task, values in values_of.items()})
    tasks = [Task(task, (task,), "multiclass") for task in values_of]
    pairs = {(task, value) for task, values in values_of.items() for value in values}
    clash = len({label_name(task, value) for task, value in pairs}) < len(pairs)
    if clash:
        with pytest.raises(DataError, match=r"^Tasks '.*' and '.*' both have a label named '.*' \(.*\); rename '.*'"):
            encode_tasks(frame, tasks)
    else:
        encoded = encode_tasks(frame, tasks)
        assert list(encoded.labels) == [label_name(t, v) for t, v in zip(encoded.label_tasks, encoded.label_values,
                                                                             strict=True)]


def test_an_uploaded_file_with_the_clash_is_one_error_on_the_data_page_when_the_tasks_are_picked():
    at = open_app()
    at.radio(key="data_source").set_value("Upload a file").run()
    at.file_uploader(key="data_upload").set_value(
        ("clash.csv", clashing_frame().to_csv(index=False).encode(), "text/csv")).run()
    fingerprint = at.session_state[state.DATASET].fingerprint
    at.multiselect(key=f"data_tasks_{fingerprint}").set_value(["a", "a=b"]).run()
    assert not at.exception
    assert [error.value for error in at.error] == [CLASH]
    assert [task.name for task in at.session_state[state.TASKS]] == ["a"]  # the second pick is refused
    for page in ("split", "diagnostics", "model", "export"):
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, page
        assert not at.error, page


def test_clashing_tasks_set_another_way_are_refused_when_the_data_page_draws():
    """Tasks given by a workspace or a link, not picked on the page, are refused there the same way."""
    from tests.apptest import new_app

    at = new_app()
    at.session_state[state.DATASET] = dataset_from_frame(clashing_frame(), name="upload.csv")
    at.session_state[state.TASKS] = TASKS
    at.session_state[state.SPLIT_CONFIG] = SplitConfig(seed=0)
    at.run()
    assert not at.exception
    assert [error.value for error in at.error] == [CLASH]
    assert [task.name for task in at.session_state[state.TASKS]] == ["a"]
