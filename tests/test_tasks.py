"""Tasks: kind inference, encoding with missing labels, the indicator matrix, clear errors."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from core.errors import DataError
from core.tasks import (
    MAX_CLASSES,
    Task,
    encode,
    encode_tasks,
    indicator_block,
    indicator_matrix,
    infer_kind,
    label_notes,
    make_task,
    parse_task_spec,
    quantile_bins,
)


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "binary": [0, 1, 1, None, 0, 1],
            "text": ["cat", "dog", "bird", "cat", None, "dog"],
            "amount": [0.5, 1.5, 2.5, 3.5, np.nan, 10.0],
            "tags": ["a|b", "b", None, "c|a", "a", "b|c"],
            "l1": [1, 0, 1, 0, 1, 0],
            "l2": [0, 1, 1, 0, 0, 0],
            "l3": [0, 0, 0, 1, None, 1],
            "h1": [1, 0, 0, 0, 1, 0],
            "h2": [0, 1, 0, 1, 0, 0],
            "h3": [0, 0, 1, 0, 0, 1],
        }
    )


@pytest.mark.parametrize(
    ("columns", "kind"),
    [
        ("binary", "binary"),
        ("text", "multiclass"),
        ("amount", "regression"),
        ("tags", "multilabel"),
        (("l1", "l2", "l3"), "multilabel"),
        (("h1", "h2", "h3"), "multiclass"),
    ],
)
def test_infer_kind(frame, columns, kind):
    assert infer_kind(frame, columns) == kind


def test_small_integer_column_is_multiclass_and_wide_one_is_regression():
    frame = pd.DataFrame({"stars": [1, 2, 3, 4, 5] * 4, "hours": list(range(0, 400, 20))})
    assert infer_kind(frame, "stars") == "multiclass"
    assert infer_kind(frame, "hours") == "regression"


def test_binary_encoding_keeps_missing(frame):
    encoded = encode(frame, Task("binary", ("binary",), "binary"))
    assert encoded.classes == ("0", "1")
    assert encoded.values.tolist() == [0, 1, 1, -1, 0, 1]
    assert encoded.missing.tolist() == [False, False, False, True, False, False]


def test_multiclass_classes_sorted_and_missing(frame):
    encoded = encode(frame, Task("text", ("text",), "multiclass"))
    assert encoded.classes == ("bird", "cat", "dog")
    assert encoded.values.tolist() == [1, 2, 0, 1, -1, 2]


def test_one_hot_columns_make_multiclass(frame):
    encoded = encode(frame, Task("h", ("h1", "h2", "h3"), "multiclass"))
    assert encoded.classes == ("h1", "h2", "h3")
    assert encoded.values.tolist() == [0, 1, 2, 1, 0, 2]


def test_one_hot_with_two_ones_is_refused(frame):
    with pytest.raises(DataError, match="multilabel"):
        encode(frame, Task("l", ("l1", "l2", "l3"), "multiclass"))


def test_multilabel_from_columns_marks_missing_cells(frame):
    encoded = encode(frame, Task("l", ("l1", "l2", "l3"), "multilabel"))
    assert encoded.values.shape == (6, 3)
    assert encoded.values[4].tolist() == [1, 0, -1]
    assert not encoded.missing.any()


def test_multilabel_from_delimited_text(frame):
    encoded = encode(frame, Task("tags", ("tags",), "multilabel"))
    assert encoded.classes == ("a", "b", "c")
    assert encoded.values.tolist() == [
        [1, 1, 0], [0, 1, 0], [-1, -1, -1], [1, 0, 1], [1, 0, 0], [0, 1, 1],
    ]
    assert encoded.missing.tolist() == [False, False, True, False, False, False]


def test_regression_bins_are_quantiles_and_missing_is_nan(frame):
    encoded = encode(frame, Task("amount", ("amount",), "regression"), n_bins=2)
    assert np.isnan(encoded.values[4])
    assert encoded.bins.tolist() == [0, 0, 1, 1, -1, 1]
    assert len(encoded.classes) == 2 and encoded.classes[0].startswith("Q1")


def test_quantile_bins_merge_tied_edges():
    codes, edges = quantile_bins(np.array([1.0] * 8 + [2.0, 3.0]), 5)
    assert len(edges) < 6
    assert set(codes.tolist()) <= set(range(len(edges) - 1))


def test_indicator_matrix_matches_encodings(frame):
    tasks = [
        Task("binary", ("binary",), "binary"),
        Task("text", ("text",), "multiclass"),
        Task("tags", ("tags",), "multilabel"),
        Task("amount", ("amount",), "regression"),
    ]
    Y, labels = indicator_matrix(frame, tasks, n_bins=2)
    assert Y.shape == (6, 2 + 3 + 3 + 2)
    assert Y.dtype == np.uint8
    assert labels[:5] == ["binary=0", "binary=1", "text=bird", "text=cat", "text=dog"]
    dense = Y.toarray()
    # a missing label gives no 1 in its task's columns
    assert dense[3, 0:2].sum() == 0
    assert dense[4, 2:5].sum() == 0
    assert dense[2, 5:8].sum() == 0
    assert dense[4, 8:10].sum() == 0
    # every labelled single-label row has exactly one 1 per task
    assert (dense[[0, 1, 2, 4, 5], 0:2].sum(axis=1) == 1).all()


@pytest.mark.parametrize(
    ("values", "kind", "message"),
    [
        ([1, 1, 1], None, "single value"),
        ([None, None, None], None, "no values"),
        (["a", "b", "c"], "regression", "holds text"),
        ([np.nan, np.nan], "binary", "no labelled rows"),
    ],
)
def test_bad_tasks_give_one_line_errors(values, kind, message):
    frame = pd.DataFrame({"y": values})
    with pytest.raises(DataError, match=message) as error:
        make_task(frame, "y", "y", kind)
    assert "\n" not in str(error.value)


def test_too_many_classes():
    frame = pd.DataFrame({"y": [f"id{i}" for i in range(MAX_CLASSES + 5)]})
    with pytest.raises(DataError, match="more than 1,000"):
        make_task(frame, "y", "y")
    with pytest.raises(DataError, match="more than 1,000"):
        make_task(frame, "y", "y", "multiclass")


def test_unknown_column_and_kind():
    frame = pd.DataFrame({"y": [0, 1]})
    with pytest.raises(DataError, match="Unknown column 'z'"):
        make_task(frame, "z", "z")
    with pytest.raises(DataError, match="unknown kind"):
        Task("y", ("y",), "ordinal")


def test_parse_task_spec_forms(frame):
    assert parse_task_spec("binary", frame).kind == "binary"
    assert parse_task_spec("amount:multiclass", frame).kind == "multiclass"
    task = parse_task_spec("labels=l1+l2+l3", frame)
    assert task == Task("labels", ("l1", "l2", "l3"), "multilabel")
    assert parse_task_spec("hot=h1+h2+h3", frame).kind == "multiclass"
    with pytest.raises(DataError, match="Unknown task kind"):
        parse_task_spec("binary:ordinal", frame)


def test_mixed_types_in_label_column_work():
    frame = pd.DataFrame({"y": [1, "1", 2.0, "b", None, "b"]}, dtype=object)
    encoded = encode(frame, make_task(frame, "y", "y"))
    assert encoded.classes == ("1", "2", "b")
    assert encoded.values.tolist() == [0, 0, 1, 2, -1, 2]


def test_renamed_labels_keep_their_indicator_structure():
    frame = pd.DataFrame({"y": ["a", "b", "c", "a"]})
    renamed = pd.DataFrame({"y": ["x", "y", "z", "x"]})
    Y1, _ = indicator_matrix(frame, [Task("y", ("y",), "multiclass")])
    Y2, _ = indicator_matrix(renamed, [Task("y", ("y",), "multiclass")])
    assert (Y1 != Y2).nnz == 0


# --------------------------------------------------------------------------- one builder, no cycle


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int64, bool, "float64"])
def test_the_one_indicator_builder_gives_the_general_paths_matrix(frame, dtype):
    rng = np.random.default_rng(3)
    labels = pd.DataFrame(rng.integers(0, 2, (300, 5)).astype(dtype), columns=[f"m{i}" for i in range(5)])
    data = pd.concat([frame.sample(300, replace=True, random_state=0).reset_index(drop=True), labels], axis=1)
    tasks = [Task("tags", tuple(labels.columns), "multilabel"), Task("l", ("l1", "l2", "l3"), "multilabel"),
             Task("amount", ("amount",), "regression"), Task("text", ("text",), "multiclass")]
    general = sp.hstack([indicator_block(encode(data, task)) for task in tasks], format="csr", dtype=np.uint8)
    Y, names = indicator_matrix(data, tasks)
    encoded = encode_tasks(data, tasks)
    for built in (Y, encoded.matrix):
        assert built.dtype == general.dtype and built.shape == general.shape
        assert np.array_equal(built.indptr, general.indptr) and np.array_equal(built.indices, general.indices)
        assert np.array_equal(built.data, general.data)
    assert names == list(encoded.labels)
    assert names[:5] == [f"tags=m{i}" for i in range(5)]


def _module_imports(path: Path) -> tuple[set[str], bool]:
    """The core.tasks modules a file imports, and whether some import comes after the first def or class."""
    tree = ast.parse(path.read_text())
    found, seen_def, late = set(), False, False
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            seen_def = True
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("core.tasks"):
            found.add(node.module)
            late = late or seen_def
    return found, late


def test_the_tasks_modules_import_each_other_without_a_cycle_and_at_the_top():
    folder = Path(__file__).resolve().parents[1] / "core" / "tasks"
    graph = {}
    for path in folder.glob("_*.py"):
        if path.name == "__init__.py":
            continue
        imports, late = _module_imports(path)
        assert not late, f"{path.name} imports from core.tasks below its first definition"
        assert "core.tasks" not in imports, f"{path.name} imports the package it belongs to"
        graph[f"core.tasks.{path.stem}"] = imports
    done: set[str] = set()

    def visit(module: str, trail: tuple[str, ...]) -> None:
        assert module not in trail, f"import cycle: {' -> '.join((*trail, module))}"
        if module in done:
            return
        for imported in graph.get(module, ()):
            visit(imported, (*trail, module))
        done.add(module)

    for module in graph:
        visit(module, ())


def test_encode_tasks_returns_an_encoding_it_is_given():
    """The public contract: pass encode_tasks(df, tasks) wherever tasks go, and nothing is encoded twice."""
    from core.tasks import encode_tasks

    frame = pd.DataFrame({"y": ["a", "b", "a"]})
    encoded = encode_tasks(frame, [Task("y", ("y",), "binary")])
    assert encode_tasks(frame, encoded) is encoded


def test_flags_spelt_in_words_form_a_multilabel_task_and_other_words_do_not():
    """New-user report 4, item 7: Union and Grant received were exported as yes/no."""
    frame = pd.DataFrame({"Union": ["yes", "No", None, "YES", "no"], "Grant": ["false", "true", "true", "f", "t"],
                          "Trained": [1, 0, 1, 1, 0], "Sector": ["metal", "wood", "wood", "metal", "wood"]})
    task = make_task(frame, "flags", ("Union", "Grant", "Trained"))
    assert task.kind == "multilabel"
    encoded = encode_tasks(frame, [task])
    assert encoded.matrix.toarray().tolist() == [[1, 0, 1], [0, 1, 0], [0, 1, 1], [1, 0, 1], [0, 1, 0]]
    with pytest.raises(DataError, match="must all hold 0/1"):
        make_task(frame, "mixed", ("Union", "Sector"))


def test_a_regression_value_far_outside_the_rest_is_said_with_the_fix():
    """New-user test 5, item 7: one 999 ('unknown') among 0-13 children was never mentioned, yet it stretched the
    task's scale: its first-epoch loss was 84 times smaller than another task's and the task 'hurt' from sharing."""
    rng = np.random.default_rng(5)
    children = rng.poisson(2.5, 4_000).astype(float)
    children[1234] = 999
    frame = pd.DataFrame({"Enfants nés vivants": children, "income": rng.lognormal(8, 1.5, 4_000),
                          "score": np.r_[rng.normal(50, 5, 3_950), [-999.0] * 50]})
    notes = {name: label_notes(frame, make_task(frame, name, name, "regression")) for name in frame.columns}
    assert notes["income"] == ()  # a long tail is no outlier
    (note,) = notes["Enfants nés vivants"]
    assert note.startswith(f"Enfants nés vivants: 1 row holds 999, far above every other value (0 to "
                           f"{np.sort(children)[-2]:.0f})")
    assert "missing answer" in note and "Empty or correct it in the file" in note and "\n" not in note
    (note,) = notes["score"]
    assert note.startswith("score: 50 rows hold -999, far below every other value") and "them" in note


def test_label_notes_name_no_answer_codes_and_one_answer_written_two_ways():
    """newuser6 item 1: a yes/no column written as 1/yes, 0/no with '-' for no answer became five classes, silently."""
    rng = np.random.default_rng(6)
    flag = rng.choice(["1", "yes", "0", "no", "-", "N/A", None], 600).astype(object)
    frame = pd.DataFrame({"flag": flag, "x": rng.normal(size=600)})
    task = make_task(frame, "flag", "flag")
    notes = label_notes(frame, task)
    codes = [note for note in notes if "'no answer'" in note]
    assert len(codes) == 1 and "'-' or 'N/A'" in codes[0] and "blank those cells" in codes[0], notes
    assert any("one answer two ways (1 and 'yes', 0 and 'no')" in note and "write one form" in note for note in notes)
    assert all("\n" not in note for note in notes)
    clean = pd.DataFrame({"flag": rng.choice(["yes", "no", None], 600)})
    assert label_notes(clean, make_task(clean, "flag", "flag")) == ()
    classes = pd.DataFrame({"c": rng.choice(["a", "b", "unknownish", "ok"], 600)})
    assert label_notes(classes, make_task(classes, "c", "c")) == ()


def test_whole_number_measurement_on_a_tiny_table_reads_as_regression():
    """newuser6 item 5: linnerud's Waist (8 whole inches on 20 rows) was guessed multiclass, then 'too rare'."""
    rng = np.random.default_rng(6)
    tiny = pd.DataFrame({"waist": rng.integers(31, 39, 20), "grade": rng.integers(1, 4, 20)})
    assert infer_kind(tiny, "waist") == "regression"
    assert infer_kind(tiny, "grade") == "multiclass"  # 3 values on 20 rows: classes
    assert infer_kind(pd.DataFrame({"y": [0, 1, 2, 2, 1]}), "y") == "multiclass"  # a toy frame keeps classes
    larger = pd.DataFrame({"waist": rng.integers(31, 39, 200)})
    assert infer_kind(larger, "waist") == "multiclass"


def test_label_notes_name_a_class_holding_nearly_every_row():
    """newuser6 item 8: status 99.5% 'normal' (7 fraud, 7 chargeback) drew invisible bars and had no word."""
    rng = np.random.default_rng(6)
    status = np.where(rng.random(3000) < 0.995, "normal", rng.choice(["fraud", "chargeback"], 3000))
    frame = pd.DataFrame({"status": status})
    notes = label_notes(frame, make_task(frame, "status", "status"))
    assert len(notes) == 1 and "'normal'" in notes[0] and "macro F1 or AUC" in notes[0], notes
    even = pd.DataFrame({"status": rng.choice(["normal", "fraud"], 3000, p=[0.9, 0.1])})
    assert label_notes(even, make_task(even, "status", "status")) == ()
