"""The vocabulary once (issue 13): fold and split names from core.splits, labels carried as data, odd names work."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.data import Dataset
from core.diagnostics import cooccurrence, label_distribution, task_association, task_scores
from core.errors import DataError
from core.figures import Condition, Drill, cooccurrence_heatmap, drill_from_points, drill_rows, split_color
from core.figures._palette import EXTRA_COLORS, FOLD_COLORS
from core.report import diagnose, render_report
from core.splits import (
    EXCLUDED,
    SplitConfig,
    fold_index,
    fold_name,
    is_fold,
    predefined_order,
    split,
    split_order,
)
from core.tasks import Task, encode_tasks, label_name
from core.training import resolve_parts

# --------------------------------------------------------------------------- fold and split names


@pytest.mark.parametrize("i", [0, 1, 9, 10, 123])
def test_a_fold_name_reads_back_as_its_number(i):
    assert fold_index(fold_name(i)) == i and is_fold(fold_name(i))


@pytest.mark.parametrize("name", ["train", "fold-", "fold-x", "fold-1a", "my fold-1", "Fold-1", EXCLUDED, "fold_1"])
def test_other_names_are_not_folds(name):
    assert fold_index(name) is None and not is_fold(name)


def test_the_splits_of_a_k_fold_config_are_fold_names():
    config = SplitConfig(strategy="random", n_folds=4)
    assert config.split_names == tuple(fold_name(i) for i in range(4))
    frame = pd.DataFrame({"y": [0, 1] * 20})
    result = split(frame, [Task("y", ("y",), "binary")], config)
    assert sorted({fold_index(n) for n in result.assignment}) == [0, 1, 2, 3]


@pytest.mark.parametrize("name", ["fold-0", "fold-1", "fold-7", "fold-12", "fold-x", "fold-", "holdout"])
def test_the_palette_reads_folds_as_core_does(name):
    """core.figures imports nothing of core, so its palette spells the fold rule itself; it must agree."""
    expected = FOLD_COLORS[fold_index(name) % len(FOLD_COLORS)] if is_fold(name) else EXTRA_COLORS[1]
    assert split_color(name, position=1) == expected


def test_split_order_and_predefined_order_keep_their_orders():
    assert split_order(["fold-10", "test", EXCLUDED, "fold-2", "zz", "val", "train"]) == [
        "train", "val", "test", "fold-2", "fold-10", "zz", EXCLUDED]
    assert predefined_order(["b2", "test", "b10", "valid", "training", "a"]) == [
        "training", "valid", "test", "a", "b2", "b10"]


def test_resolve_parts_reads_folds_through_fold_index():
    frame = pd.DataFrame({"x": range(12)})
    parts, _ = resolve_parts([fold_name(i % 3) for i in range(12)], frame, test_fold=2, val_fraction=0.25)
    assert parts["test"].tolist() == [2, 5, 8, 11]
    with pytest.raises(DataError, match="holds 'fold-x'"):
        resolve_parts(["fold-0", "fold-x"] * 6, frame)


# --------------------------------------------------------------------------- odd names: a=b, fold-1, excluded

ODD_TASKS = [
    Task("a=b", ("a=b",), "binary"),  # a task (and column) with '=' in its name
    Task("a", ("a",), "binary"),  # its labels hold '=' too: a=x=y
    Task("fold-1", ("fold-1",), "multiclass"),  # a split's name as a task
    Task("excluded", ("excluded",), "binary"),
]


def odd_frame(n: int = 400) -> pd.DataFrame:
    """Tasks named like labels and splits. In the first half ``a`` follows ``a=b`` exactly; in the second it is
    independent of it, so P(a=x=y | a=b=1) drops from 1 to about one half."""
    rng = np.random.default_rng(5)
    ab = rng.integers(0, 2, n)
    follows = np.where(ab == 1, "x=y", "z")
    independent = rng.choice(["x=y", "z"], n)
    return pd.DataFrame({
        "a=b": ab,
        "a": np.where(np.arange(n) < n // 2, follows, independent),
        "fold-1": rng.choice(["p", "q", "r"], n),
        "excluded": rng.choice(["yes", "no"], n),
        "x": rng.normal(size=n),
    })


def halves(n: int = 400) -> pd.Series:
    return pd.Series(np.where(np.arange(n) < n // 2, "train", "test"))


def test_the_encoded_labels_carry_their_task_and_value():
    encoded = encode_tasks(odd_frame(), ODD_TASKS)
    assert encoded.labels[:4] == ("a=b=0", "a=b=1", "a=x=y", "a=z")
    assert encoded.label_tasks[:4] == ("a=b", "a=b", "a", "a")
    assert encoded.label_values[:4] == ("0", "1", "x=y", "z")
    assert all(label_name(t, v) == label for t, v, label in
               zip(encoded.label_tasks, encoded.label_values, encoded.labels, strict=True))


def test_cooccurrence_pairs_carry_tasks_and_values():
    pairs = cooccurrence(odd_frame(), ODD_TASKS).to_frame()
    row = pairs[(pairs["row_label"] == "a=b=1") & (pairs["col_label"] == "a=x=y")].iloc[0]
    assert (row["row_task"], row["row_value"], row["col_task"], row["col_value"]) == ("a=b", "1", "a", "x=y")


def test_the_heatmap_groups_labels_by_their_real_task():
    fig = cooccurrence_heatmap(cooccurrence(odd_frame(), ODD_TASKS).to_frame(), min_support=0)
    ticks = list(fig.layout.yaxis.ticktext)
    assert ticks[:4] == ["<b>a=b</b>=0", "1", "<b>a</b>=x=y", "z"]
    assert "<b>fold-1</b>=p" in ticks and "<b>excluded</b>=no" in ticks
    assert len(fig.layout.shapes) == 2 * (len(ODD_TASKS) - 1)  # a line each way between two tasks
    z = np.asarray(fig.data[0].z, dtype=float)
    assert np.isnan(z[0, 1]) and np.isfinite(z[1, 2])  # a=b's two labels never share a row; a=b and a do


def test_a_clicked_cell_drills_to_the_rows_of_its_two_labels():
    frame = odd_frame()
    fig = cooccurrence_heatmap(cooccurrence(frame, ODD_TASKS).to_frame(), min_support=0)
    cell = next(list(c) for c in fig.data[1].customdata if c[1] == "a=b=1" and c[2] == "a=x=y")
    drill = drill_from_points([{"customdata": cell}])
    assert drill == Drill("all", (Condition("a=b", "1"), Condition("a", "x=y")))
    rows = drill_rows(encode_tasks(frame, ODD_TASKS), np.zeros(len(frame), int), ["train"], drill)
    expected = np.flatnonzero((frame["a=b"] == 1) & (frame["a"] == "x=y"))
    assert rows.tolist() == expected.tolist()


def test_a_condition_reads_as_its_label_name():
    """core.figures spells a condition itself (it imports nothing of core): the same text as label_name."""
    assert Condition("a=b", "x=y").text == label_name("a=b", "x=y")


def test_odd_names_split_and_score_everywhere():
    frame = odd_frame()
    for config in (SplitConfig(strategy="stratified", seed=1), SplitConfig(strategy="stratified", n_folds=3)):
        assignment = split(frame, ODD_TASKS, config).assignment
        assert set(assignment) <= {"train", "val", "test", "fold-0", "fold-1", "fold-2"}
        counts = label_distribution(frame, ODD_TASKS, assignment).to_frame()
        assert set(counts["task"]) == {t.name for t in ODD_TASKS}
        mine = counts[counts["task"] == "a=b"]
        assert set(mine["indicator"].dropna()) == {"a=b=0", "a=b=1"}
        scores = task_scores(frame, ODD_TASKS, assignment).to_frame()
        assert set(scores["task"]) == {t.name for t in ODD_TASKS}
        association = task_association(frame, ODD_TASKS, assignment)
        assert association.tasks == tuple(t.name for t in ODD_TASKS)


def test_the_report_compares_labels_of_two_tasks_even_when_one_name_holds_the_others():
    """The report's largest shifts skip pairs within one task; a=b and a are two tasks."""
    frame = odd_frame()
    dataset = Dataset(name="odd", frame=frame, feature_columns=("x",))
    diagnosis = diagnose(dataset, ODD_TASKS, halves(), SplitConfig(), lambda *_: None)
    pairs = set(zip(diagnosis.shifts["given"], diagnosis.shifts["label"], strict=True))
    assert {("a=b=1", "a=x=y"), ("a=b=1", "a=z")} & pairs  # one of the two mirrored labels is listed
    page = render_report(dataset, ODD_TASKS, halves(), config=SplitConfig())
    assert "a=b=1" in page and "a=x=y" in page


# --------------------------------------------------------------------------- the Diagnostics page (AppTest)


@pytest.fixture(scope="module")
def odd_page():
    from tests.apptest import open_upload

    config = SplitConfig(strategy="stratified", seed=1)
    return open_upload(odd_frame(), config, tuple(ODD_TASKS), "diagnostics", feature_columns=("x",))


def test_the_diagnostics_page_groups_the_heatmap_by_real_task(odd_page):
    from tests.test_page_diagnostics import chart_titled

    assert not odd_page.exception and not odd_page.error
    spec = json.loads(chart_titled(odd_page, "Co-occurrence across tasks").proto.spec)
    ticks = spec["layout"]["yaxis"]["ticktext"]
    assert "<b>a=b</b>=1" in ticks and not any(t.startswith("<b>a</b>=b") for t in ticks)


def test_the_diagnostics_page_drills_to_a_label_of_a_task_named_a_equals_b(odd_page):
    from tests.test_page_diagnostics import drill_header

    odd_page.selectbox(key="diag_drill_a").select("a=b=1").run()
    assert not odd_page.exception
    header = drill_header(odd_page)
    assert "all rows with a=b=1" in header
    assert int(header.split()[0].strip("*").replace(",", "")) == int((odd_frame()["a=b"] == 1).sum())


def test_clicking_a_cell_of_two_odd_tasks_lists_their_rows(odd_page):
    from tests.test_page_diagnostics import chart_titled, click, drill_header

    heat = chart_titled(odd_page, "Co-occurrence across tasks")
    cells = json.loads(heat.proto.spec)["data"][1]["customdata"]
    cell = next(c for c in cells if c[1] == "a=b=1" and c[2] == "a=z")  # the =0 labels are hidden at first
    click(odd_page, heat, cell)
    frame = odd_frame()
    assert "rows with a=b=1 and a=z" in drill_header(odd_page)
    expected = int(((frame["a=b"] == 1) & (frame["a"] == "z")).sum())
    assert int(drill_header(odd_page).split()[0].strip("*").replace(",", "")) == expected


def test_odd_names_survive_the_link_and_the_exported_script(tmp_path):
    from core.report import reproduce_code, write_assignment
    from dashboard.link import task_spec, tasks_from_params

    frame = odd_frame()
    dataset = Dataset(name="odd.csv", frame=frame, feature_columns=("x",))
    tasks, problems = tasks_from_params(dataset, [task_spec(task) for task in ODD_TASKS])
    assert tasks == tuple(ODD_TASKS) and not problems
    script = reproduce_code(dataset, ODD_TASKS, SplitConfig(seed=2))
    assert "Task('a=b', ('a=b',), 'binary')" in script and "Task('fold-1', ('fold-1',), 'multiclass')" in script
    assignment = split(frame, ODD_TASKS, SplitConfig(seed=2)).assignment
    written = pd.read_csv(write_assignment(assignment, tmp_path / "split.csv"))
    assert written["split"].tolist() == assignment.tolist()


@pytest.mark.parametrize("page", ["split", "diagnostics"])
def test_pages_draw_folds_beside_a_task_named_fold_1(page):
    from tests.apptest import open_upload

    config = SplitConfig(strategy="stratified", n_folds=3, seed=1)
    at = open_upload(odd_frame(), config, tuple(ODD_TASKS), page, feature_columns=("x",))
    assert not at.exception and not at.error
    if page == "diagnostics":
        assert at.selectbox(key="diag_drill_split").options == ["all", "fold-0", "fold-1", "fold-2"]
        assert "fold-1=p" in at.selectbox(key="diag_drill_a").options
