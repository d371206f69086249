"""Diagnostics figures on small hand-made frames: trace types, values, axis titles, one colour per split, drill-down."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.diagnostics import cooccurrence, cooccurrence_shift, label_distribution, recommend_strategy
from core.figures import (
    Condition,
    Drill,
    association_heatmap,
    cooccurrence_heatmap,
    drill_from_points,
    drill_rows,
    label_distribution_bars,
    label_distribution_grid,
    leakage_table,
    regression_histogram,
    scorecard_table,
    split_color,
    status_color,
    strategy_comparison,
)
from core.figures._facets import text_px
from core.figures._palette import HIGHLIGHT, NEUTRAL
from core.tasks import Task, encode_tasks

SPLITS = ["train", "train", "train", "train", "val", "val", "test", "test"]


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "union": [0, 1, 1, 0, 1, 0, 0, 1],
            "married": ["no", "yes", None, "yes", "no", None, "yes", "no"],
            "wage": [1.0, 2.0, 3.0, np.nan, 5.0, 6.0, 7.0, 8.0],
            "a": [1, 0, 1, 1, 0, 1, 0, 0],
            "b": [0, 1, 1, 0, 0, 1, 1, 0],
        }
    )


@pytest.fixture
def tasks() -> list[Task]:
    return [
        Task("union", ("union",), "binary"),
        Task("married", ("married",), "binary"),
        Task("wage", ("wage",), "regression"),
        Task("tags", ("a", "b"), "multilabel"),
    ]


def counts_of(frame, tasks, task):
    return label_distribution(frame, tasks, SPLITS, n_bins=2).counts.query("task == @task")


# --------------------------------------------------------------------------- label distribution bars


def test_bars_one_trace_per_split_in_its_colour_with_fractions(frame, tasks):
    fig = label_distribution_bars(counts_of(frame, tasks, "union"))
    assert [t.type for t in fig.data] == ["bar"] * 3
    assert [t.name for t in fig.data] == ["train", "val", "test"]
    assert [t.marker.color for t in fig.data] == [split_color(s) for s in ("train", "val", "test")]
    train = fig.data[0]
    assert list(train.x) == ["0", "1"]  # no missing union label: no missing bar
    assert train.y.tolist() == [0.5, 0.5]
    assert fig.layout.yaxis.title.text == "share of the split's rows"
    assert fig.layout.xaxis.title.text == "union"
    assert fig.layout.title.text.startswith("union (binary")


def test_missing_labels_are_their_own_hatched_bar(frame, tasks):
    fig = label_distribution_bars(counts_of(frame, tasks, "married"))
    train, val = fig.data[0], fig.data[1]
    assert list(train.x) == ["no", "yes", "(missing)"]
    assert train.y.tolist() == [0.25, 0.5, 0.25]  # 4 train rows: no, yes, missing, yes
    assert val.y.tolist() == [0.5, 0.0, 0.5]
    assert list(train.marker.pattern.shape) == ["", "", "/"]
    assert "hatched" in fig.layout.title.text
    # counts travel in customdata for the hover and the drill-down
    assert list(train.customdata[2][:5]) == ["label", "married", "(missing)", "train", 1]


def test_many_labels_lie_down_and_keep_those_that_differ_most():
    labels = [f"l{i:02d}" for i in range(40)]
    rows = []
    for split, shift in (("train", 0.0), ("test", 1.0), ("all", 0.2)):
        for i, label in enumerate(labels):
            fraction = 0.1 + (0.05 * shift if i < 5 else 0.0)  # l00..l04 differ between splits
            rows.append(("t", "multilabel", split, label, False, 10, 100, fraction, fraction))
        rows.append(("t", "multilabel", split, "(missing)", True, 0, 100, 0.0, math.nan))
    counts = pd.DataFrame(rows, columns=["task", "kind", "split", "label", "is_missing", "count", "split_rows",
                                         "fraction", "fraction_labelled"])
    fig = label_distribution_bars(counts, max_labels=20)
    assert fig.data[0].orientation == "h"
    shown = list(fig.data[0].y)
    assert len(shown) == 20 and shown[:5] == labels[:5]
    assert "20 of 40 labels" in fig.layout.title.text
    assert fig.layout.xaxis.title.text == "share of the split's rows"


def test_bars_refuse_rows_of_several_tasks(frame, tasks):
    with pytest.raises(ValueError, match="one task"):
        label_distribution_bars(label_distribution(frame, tasks, SPLITS).counts)


# --------------------------------------------------------------------------- regression histograms


def hand_histogram(counts_by_split: dict[str, list[int]]) -> pd.DataFrame:
    rows = []
    for split, counts in counts_by_split.items():
        total = sum(counts)
        for b, count in enumerate(counts):
            rows.append(("y", split, b, float(b), float(b + 1), count, count / total))
    return pd.DataFrame(rows, columns=["task", "split", "bin", "left", "right", "count", "fraction"])


def test_histogram_steps_per_split_with_open_end_bins():
    histogram = hand_histogram({"train": [1, 2, 1], "test": [2, 1, 1], "all": [3, 3, 2]})
    fig = regression_histogram(histogram, missing={"train": 0.0, "test": 0.25})
    assert [t.type for t in fig.data] == ["scatter", "scatter"]
    assert [t.line.color for t in fig.data] == [split_color("train"), split_color("test")]
    assert fig.data[0].x.tolist() == [0.5, 1.5, 2.5]
    assert fig.data[0].y.tolist() == [0.25, 0.5, 0.25]
    assert fig.layout.xaxis.title.text == "value (edge bins hold the outer 1% each side)"  # the tail is said
    assert fig.layout.title.text.startswith("y (regression)")  # the task is named once, above
    assert "no value" in fig.layout.title.text and "test 25.0%" in fig.layout.title.text
    first, last = fig.data[0].customdata[0], fig.data[0].customdata[-1]
    assert first[3] is None and first[4] == 1.0  # the first bin also holds the values below it
    assert last[3] == 2.0 and last[4] is None


def test_gappy_histogram_draws_bars_on_filled_bins_only():
    histogram = hand_histogram({"train": [3, 0, 0, 2], "all": [5, 0, 0, 3]})
    fig = regression_histogram(histogram)
    assert fig.data[0].type == "bar"
    assert fig.data[0].x.tolist() == [0.5, 3.5]
    assert fig.data[0].marker.color == split_color("train")


def test_histogram_from_label_distribution(frame, tasks):
    histogram = label_distribution(frame, tasks, SPLITS).histogram.query("task == 'wage'")
    fig = regression_histogram(histogram)
    assert [t.name for t in fig.data] == ["train", "val", "test"]
    assert math.isclose(sum(fig.data[0].y), 1.0)


# --------------------------------------------------------------------------- every task in one figure


def grid_of(frame, tasks, **options):
    distribution = label_distribution(frame, tasks, SPLITS, n_bins=2)
    return label_distribution_grid(distribution.counts, distribution.histogram, **options)


def test_grid_has_a_titled_facet_per_task_and_one_legend_entry_per_split(frame, tasks):
    fig = grid_of(frame, tasks, binary_rates=False)
    titles = [a.text for a in fig.layout.annotations]
    assert [t.split("<br>")[0] for t in titles] == [
        "<b>union (binary)</b>", "<b>married (binary) · 6 of 8 labelled</b>",
        "<b>wage (regression) · 7 of 8 labelled</b>", "<b>tags (multilabel)</b>",
    ]
    assert "a row can have several labels" in titles[3]  # under it: on the title line it would run past the facet
    assert "hatched" in titles[1]  # married has missing labels
    assert [t.xaxis for t in fig.data] == ["x"] * 3 + ["x2"] * 3 + ["x3"] * 3 + ["x4"] * 3
    assert [t.name for t in fig.data if t.showlegend] == ["train", "val", "test"]
    assert {t.legendgroup for t in fig.data} == {"train", "val", "test"}  # a legend click hides a split everywhere
    for trace in fig.data:
        color = trace.marker.color if trace.type == "bar" else trace.line.color
        assert color == split_color(trace.name)


def test_grid_facets_draw_what_the_single_figures_draw(frame, tasks):
    fig = grid_of(frame, tasks, binary_rates=False)
    alone = label_distribution_bars(counts_of(frame, tasks, "married"))
    married = [t for t in fig.data if t.xaxis == "x2"]
    for faceted, single in zip(married, alone.data, strict=True):
        assert list(faceted.x) == list(single.x) and faceted.y.tolist() == single.y.tolist()
        assert [repr(list(c)) for c in faceted.customdata] == [repr(list(c)) for c in single.customdata]  # NaN too
    assert fig.layout.xaxis2.title.text == "married" and fig.layout.yaxis2.title.text == "share of the split's rows"
    wage = [t for t in fig.data if t.xaxis == "x3"]
    assert wage[0].customdata[0][0] == "range"  # a histogram bin drills to a value range
    assert fig.layout.yaxis3.title.text == "share of the split's labelled rows"


def test_grid_facets_neither_overlap_nor_leave_the_figure(frame, tasks):
    fig = grid_of(frame, tasks)
    axes = [fig.layout[f"{letter}axis{k if k > 1 else ''}"] for letter in "xy" for k in range(1, 5)]
    assert all(axis.automargin is False for axis in axes)  # margins set from the labels (plotly would draw twice)
    boxes = [(fig.layout[f"xaxis{k if k > 1 else ''}"].domain, fig.layout[f"yaxis{k if k > 1 else ''}"].domain)
             for k in range(1, 5)]
    for (x, y) in boxes:
        assert 0 <= x[0] < x[1] <= 1 and 0 <= y[0] < y[1] <= 1
    for i, (xa, ya) in enumerate(boxes):  # two facets share a row or a column, never a patch of the page
        for xb, yb in boxes[i + 1:]:
            assert xa[1] <= xb[0] or xb[1] <= xa[0] or ya[1] <= yb[0] or yb[1] <= ya[0]
    assert boxes[0][1] == boxes[1][1] and boxes[0][1][0] > boxes[2][1][1]  # two per row, rows top to bottom
    assert fig.layout.margin.l >= text_px("100%")  # room for the share ticks of the left column


def test_a_clicked_grid_bar_drills_to_its_rows(frame, tasks):
    """From the grid's customdata to rows: the path the page takes on a click."""
    fig = grid_of(frame, tasks, binary_rates=False)
    test_trace = next(t for t in fig.data if t.name == "test" and t.xaxis == "x2")  # married
    point = {"customdata": list(test_trace.customdata[list(test_trace.x).index("no")])}
    drill = drill_from_points([point])
    assert drill == Drill("test", (Condition("married", "no"),))
    encoded = encode_tasks(frame, tasks, 2)
    codes = np.array([["train", "val", "test"].index(s) for s in SPLITS])
    assert drill_rows(encoded, codes, ["train", "val", "test"], drill).tolist() == [7]


def test_long_labels_are_cut_short_on_the_axis_only():
    label = "a label far too long to fit under a bar"
    rows = [("t", "multiclass", split, value, False, 1, 2, 0.5, 0.5)
            for split in ("train", "all") for value in (label, "b")]
    counts = pd.DataFrame(rows, columns=["task", "kind", "split", "label", "is_missing", "count", "split_rows",
                                         "fraction", "fraction_labelled"])
    fig = label_distribution_grid(counts, counts.iloc[:0])
    assert list(fig.data[0].x) == [label, "b"] and fig.data[0].customdata[0][2] == label
    shown = list(fig.layout.xaxis.ticktext)
    assert shown[0].endswith("…") and len(shown[0]) <= 24 and shown[1] == "b"


def messy_distribution(n_rows: int = 6_000):
    """labels_frame: 7 binary tasks, a regression target and a class task missing in ~90% of rows."""
    from core.splits import SplitConfig, split
    from tests.messy import labels_frame

    frame = labels_frame(n_rows)
    tasks = [Task(f"label_{j}", (f"label_{j}",), "binary") for j in range(7)]
    tasks += [Task("target", ("target",), "regression"), Task("kind", ("kind",), "multiclass")]
    assignment = split(frame, tasks, SplitConfig()).assignment
    return frame, tasks, assignment, label_distribution(frame, tasks, assignment)


def test_a_binary_task_is_its_positive_rate_per_split():
    frame, tasks, assignment, distribution = messy_distribution()
    fig = label_distribution_grid(distribution.counts, distribution.histogram)
    label_0 = [t for t in fig.data if t.xaxis == "x"]
    assert [t.type for t in label_0] == ["bar"] * 3
    assert [list(t.x) for t in label_0] == [["train"], ["val"], ["test"]]  # one bar per split, no "0" bar
    for trace in label_0:
        rows = frame.loc[assignment == trace.name, "label_0"]
        assert trace.y[0] == pytest.approx((rows == 1).mean())
        assert list(trace.customdata[0][:6]) == ["label", "label_0", "1", trace.name, int((rows == 1).sum()),
                                                 len(rows)]  # n of the split on hover, and a click drills to =1
        assert "labelled rows" in trace.hovertemplate
    assert {t.offsetgroup for t in label_0} == {"rate"}  # each bar centred on its split, not a thin group slot
    assert fig.layout.annotations[0].text.startswith("<b>label_0 (binary) · share label_0=1")
    whole = next(s for s in fig.layout.shapes if s.yref == "y")  # the whole data's rate, a dotted line
    assert whole.y0 == pytest.approx((frame["label_0"] == 1).mean())
    assert fig.layout.annotations[7].text.startswith("<b>target (regression)")
    kind = [t for t in fig.data if t.xaxis == "x9"]
    assert list(kind[0].x) == ["a", "b", "c", "d"]  # multiclass keeps its class bars
    # seven binary facets take less height than seven class-bar facets
    assert fig.layout.height < label_distribution_grid(distribution.counts, distribution.histogram,
                                                       binary_rates=False).layout.height


def test_a_split_without_labelled_rows_draws_an_empty_rate():
    frame = pd.DataFrame({"y": [0, 1, 1, 0, None, None]})
    counts = label_distribution(frame, [Task("y", ("y",), "binary")], ["train"] * 4 + ["test"] * 2).counts
    fig = label_distribution_grid(counts, counts.iloc[:0])
    train, test = fig.data
    assert (train.y[0], train.text[0]) == (0.5, "50.0%")
    assert math.isnan(test.y[0]) and test.text[0] == ""  # no "nan%" on the chart
    assert "4 of 6 labelled" in fig.layout.annotations[0].text and "test 100.0%" in fig.layout.annotations[0].text


def test_positive_label_reads_the_negative_spellings():
    from core.figures import positive_label

    assert positive_label(["0", "1"]) == "1" and positive_label(["0.0", "1.0"]) == "1.0"
    assert positive_label(["True", "False"]) == "True" and positive_label(["no", "yes"]) == "yes"
    assert positive_label(["x", "y"]) == "y" and positive_label(["a", "b", "c"]) is None


def test_a_mostly_missing_task_is_drawn_over_its_labelled_rows_and_says_how_many():
    frame, tasks, assignment, distribution = messy_distribution()
    fig = label_distribution_grid(distribution.counts, distribution.histogram)
    labelled = int(frame["kind"].notna().sum())
    title = fig.layout.annotations[8].text
    assert title.startswith(f"<b>kind (multiclass) · {labelled:,} of 6,000 labelled</b>")
    assert "no label: train 9" in title  # the missing share is noted, per split
    kind = [t for t in fig.data if t.xaxis == "x9"]
    train = kind[0]
    assert "(missing)" not in list(train.x)
    rows = frame.loc[(assignment == "train") & frame["kind"].notna(), "kind"]
    assert train.y.tolist() == pytest.approx([(rows == c).mean() for c in "abcd"])  # shares of labelled rows
    assert sum(train.y) == pytest.approx(1.0)
    assert fig.layout.yaxis9.title.text == "share of the split's labelled rows"
    # a task with a few missing labels keeps its hatched missing bar
    few = frame.assign(kind=frame["kind"].fillna("e"))
    few.loc[:99, "kind"] = None
    counts = label_distribution(few, [Task("kind", ("kind",), "multiclass")], assignment).counts
    shown = label_distribution_grid(counts, counts.iloc[:0])
    assert "(missing)" in list(shown.data[0].x) and "5,900 of 6,000 labelled" in shown.layout.annotations[0].text


# --------------------------------------------------------------------------- co-occurrence heatmap


def test_heatmap_cells_and_click_targets(frame, tasks):
    pairs = cooccurrence(frame, tasks[:2]).to_frame()
    fig = cooccurrence_heatmap(pairs, min_support=0)
    heat, targets, faint = fig.data
    assert (heat.type, targets.type, faint.type) == ("heatmap", "scatter", "heatmap")
    assert np.isnan(np.asarray(faint.z, dtype=float)).all()  # no cell has fewer rows than 0
    labels = ["union=0", "union=1", "married=no", "married=yes"]
    assert list(fig.layout.yaxis.ticktext) == ["<b>union</b>=0", "1", "<b>married</b>=no", "yes"]
    z = np.asarray(heat.z, dtype=float)
    # the diagonal and the within-task cells of one-class-per-row tasks are blank
    assert np.isnan(z[0, 0]) and np.isnan(z[0, 1]) and np.isnan(z[2, 3])
    expected = cooccurrence(frame, tasks[:2]).conditional.loc["union=1", "married=yes"]
    assert z[1, 3] == pytest.approx(expected)
    cell = next(c for c in targets.customdata if c[1] == "union=1" and c[2] == "married=yes")
    assert list(cell[:4]) == ["pair", "union=1", "married=yes", "all"]
    assert len(targets.customdata) == np.isfinite(z).sum()
    assert fig.layout.xaxis.title.text == "column label" and fig.layout.yaxis.title.text == "row label"
    assert len(fig.layout.shapes) == 2  # one separator each way between the two tasks
    assert labels == [label for label in pd.unique(pairs["row_label"])]
    # margins fit the labels without plotly's automargin (which draws a chart twice)
    assert fig.layout.xaxis.automargin is False and fig.layout.yaxis.automargin is False
    assert fig.layout.margin.l >= text_px("married=yes", 11)


def test_multilabel_within_task_cells_are_drawn(frame, tasks):
    fig = cooccurrence_heatmap(cooccurrence(frame, tasks[3:]).to_frame(), min_support=0)
    z = np.asarray(fig.data[0].z, dtype=float)
    assert np.isnan(z[0, 0]) and np.isfinite(z[0, 1])  # tags=a and tags=b share rows


def test_lift_is_coloured_on_a_log_scale(frame, tasks):
    pairs = cooccurrence(frame, tasks[:2]).to_frame()
    fig = cooccurrence_heatmap(pairs, measure="lift", min_support=0)
    z = np.asarray(fig.data[0].z, dtype=float)
    lift = cooccurrence(frame, tasks[:2]).lift.loc["union=1", "married=yes"]
    assert z[1, 3] == pytest.approx(np.clip(np.log2(lift), -3, 3))
    assert fig.layout.coloraxis.cmin == -3 and fig.layout.coloraxis.cmax == 3


def test_difference_is_centred_on_zero(frame, tasks):
    shift = cooccurrence_shift(frame, tasks[:2], SPLITS, "train", "test").to_frame()
    fig = cooccurrence_heatmap(shift, measure="difference", split="test")
    assert fig.layout.coloraxis.cmin == -fig.layout.coloraxis.cmax
    assert {c[3] for c in fig.data[1].customdata} == {"test"}


def test_cells_of_few_rows_are_faded_and_every_cell_gives_its_n(frame, tasks):
    """A class of a dozen rows must not look alarming: its cells are drawn faded, with n on hover."""
    rng = np.random.default_rng(0)
    n = 2_000
    big = pd.DataFrame({"common": rng.integers(0, 2, n), "rare": np.where(np.arange(n) < 12, "r", "c")})
    chosen = [Task("common", ("common",), "binary"), Task("rare", ("rare",), "binary")]
    assignment = np.where(np.arange(n) % 2 == 0, "train", "test")
    pairs = cooccurrence(big, chosen).to_frame()
    fig = cooccurrence_heatmap(pairs)
    heat, targets, faint = fig.data
    labels = list(pd.unique(pairs["row_label"]))
    rare = labels.index("rare=r")
    z, faded = np.asarray(heat.z, dtype=float), np.asarray(faint.z, dtype=float)
    assert np.isnan(z[rare]).all() and np.isfinite(faded[rare]).any()  # the 12-row label's row is faded
    assert np.isfinite(z[labels.index("common=1")]).any()
    assert faint.opacity < 0.5
    texts = dict(zip(((c[1], c[2]) for c in targets.customdata), targets.text, strict=True))
    assert texts[("rare=r", "common=1")].startswith("n = 12 rows with rare=r")
    assert "faded" in texts[("rare=r", "common=1")] and "faded" not in texts[("common=1", "rare=r")]
    assert all(text.startswith("n = ") for text in targets.text)
    # a difference: the support is the fewer rows of the two splits, and faded cells do not set the colour range
    shift = cooccurrence_shift(big, chosen, assignment, "train", "test").to_frame()
    diff = cooccurrence_heatmap(shift, measure="difference", split="test", versus="train")
    texts = dict(zip(((c[1], c[2]) for c in diff.data[1].customdata), diff.data[1].text, strict=True))
    assert texts[("rare=r", "common=1")].startswith("n = 6 rows with rare=r in train · 6 in test")
    solid = shift[(shift["row_label"] != "rare=r") & (shift["row_task"] != shift["col_task"])]
    assert diff.layout.coloraxis.cmax == pytest.approx(max(0.05, solid["difference"].abs().max()))


def test_heatmap_draws_only_the_labels_asked_for(frame, tasks):
    pairs = cooccurrence(frame, tasks[:2]).to_frame()
    fig = cooccurrence_heatmap(pairs, labels=["union=1", "married=yes"], min_support=0)
    assert np.asarray(fig.data[0].z).shape == (2, 2)


def test_heatmap_refuses_an_unknown_measure(frame, tasks):
    pairs = cooccurrence(frame, tasks[:2]).to_frame()
    with pytest.raises(ValueError, match="measure"):
        cooccurrence_heatmap(pairs, measure="jaccard")
    with pytest.raises(ValueError, match="difference"):
        cooccurrence_heatmap(pairs, measure="difference")


# --------------------------------------------------------------------------- association, tables


def test_association_heatmap_blanks_the_diagonal():
    matrix = pd.DataFrame([[1.0, 0.3, 0.1], [0.3, 1.0, 0.6], [0.1, 0.6, 1.0]], index=list("abc"), columns=list("abc"))
    fig = association_heatmap(matrix)
    heat = fig.data[0]
    assert heat.type == "heatmap" and list(heat.x) == ["a", "b", "c"]
    z = np.asarray(heat.z, dtype=float)
    assert np.isnan(np.diag(z)).all() and z[1, 2] == 0.6
    assert heat.text[0][1] == "0.30" and heat.text[0][0] == ""
    assert heat.zmax == pytest.approx(0.6)
    matrix.loc["a", "c"] = matrix.loc["c", "a"] = np.nan  # no row labelled for both
    assert association_heatmap(matrix).data[0].text[0][2] == "n/a"


def test_association_heatmap_names_every_one_of_twenty_tasks():
    names = [f"Tâche n° {i} ({'longue ' * (i % 3)}mesure)" for i in range(20)]  # long accented names, as uploaded
    rng = np.random.default_rng(0)
    values = rng.random((20, 20))
    matrix = pd.DataFrame((values + values.T) / 2, index=names, columns=names)
    fig = association_heatmap(matrix)
    assert fig.layout.xaxis.dtick == 1 and fig.layout.yaxis.dtick == 1  # plotly skipped every other name
    assert fig.layout.xaxis.tickangle == 30
    heat = fig.data[0]
    assert heat.texttemplate is None and "V = %{z:.3f}" in heat.hovertemplate  # 20 small cells: values on hover
    assert fig.layout.height >= 20 * 30
    few = association_heatmap(matrix.iloc[:3, :3])
    assert few.data[0].texttemplate == "%{text}" and few.layout.xaxis.dtick == 1  # a few tasks: values in the cells


def test_verdict_tables_colour_the_status_column():
    card = pd.DataFrame({"score": ["LD", "JS"], "name": ["Label distribution", "Worst JS"], "value": [0.01, 0.2],
                         "status": ["pass", "fail"], "threshold": ["t1", "t2"], "reading": ["r1", "r2"]})
    table = scorecard_table(card).data[0]
    assert table.type == "table"
    assert list(table.cells.fill.color[1]) == [status_color("pass"), status_color("fail")]
    checks = pd.DataFrame({"check": ["group"], "title": ["Groups"], "status": ["warn"], "detail": ["d"]})
    assert list(leakage_table(checks).data[0].cells.fill.color[1]) == [status_color("warn")]


# --------------------------------------------------------------------------- strategy comparison


def comparison(**overrides) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "config": ["random", "stratified", "group", "time"],
            "strategy": ["random", "stratified", "group", "time"],
            "n_splits": [3, 3, 3, 3],
            "ld": [0.10, 0.012, 0.02, 0.9],
            "lpd": [0.01, 0.002, 0.003, 0.05],
            "worst_js": [0.08, 0.004, 0.01, 0.2],
            "ed_share": [0.0, 0.0, 0.001, 0.03],
            "fz": [0, 0, 0, 0],
            "flz": [0, 0, 0, 0],
            "groups_split": [545.0, 519.0, 0.0, 545.0],
            "error": ["", "", "", ""],
        }
    )
    for column, values in overrides.items():
        table[column] = values
    return table


def test_recommends_the_group_split_when_it_alone_keeps_groups_whole():
    recommendation = recommend_strategy(comparison(), group_column="nr", time_column="year")
    assert recommendation.config == "group"
    assert "only strategy that keeps every 'nr' group" in recommendation.reason
    assert "random 545" in recommendation.reason and "stratified 519" in recommendation.reason
    assert "within 0.01 of stratified" in recommendation.reason
    assert "use time instead" in recommendation.reason


def test_without_groups_the_lowest_ld_wins():
    table = comparison(groups_split=[math.nan] * 4)
    recommendation = recommend_strategy(table)
    assert recommendation.config == "stratified"
    assert "lowest label distribution LD" in recommendation.reason


def test_a_split_that_fills_fewer_splits_is_not_picked():
    table = comparison(groups_split=[math.nan] * 4, n_splits=[3, 3, 3, 1], ld=[0.1, 0.05, 0.06, 0.0])
    recommendation = recommend_strategy(table)
    assert recommendation.config == "stratified"
    assert "time is left out: it filled only 1 of 3 splits" in recommendation.reason


def test_a_split_missing_labels_loses_to_one_that_has_them_all():
    table = comparison(groups_split=[math.nan] * 4, fz=[0, 2, 0, 0])
    assert recommend_strategy(table).config == "group"


def test_no_usable_config_says_why():
    table = comparison(error=["bad a", "bad b", "bad c", "bad d"])
    recommendation = recommend_strategy(table)
    assert recommendation.config is None and "bad a" in recommendation.reason


def test_comparison_chart_highlights_the_recommended_config():
    table = comparison(error=["", "", "", "no time column"])
    fig = strategy_comparison(table, recommended="group")
    assert [t.type for t in fig.data] == ["bar"] * 5  # LD, LPD, JS, ED, groups split
    assert list(fig.data[0].x) == ["random", "stratified", "group"]  # the failed config is left out
    assert list(fig.data[0].marker.color) == [NEUTRAL, NEUTRAL, HIGHLIGHT]
    assert [a.text for a in fig.layout.annotations][:5] == [
        "LD (labels)", "LPD (label pairs)", "worst JS distance", "ED (share of rows)", "groups split"
    ]


# --------------------------------------------------------------------------- drill-down


def test_points_become_drills():
    assert drill_from_points([]) is None
    assert drill_from_points([{"x": 1}]) is None
    drill = drill_from_points([{"customdata": ["range", "wage", "val", None, 3.5, 4]}])
    assert drill == Drill("val", (Condition("wage", low=None, high=3.5),))
    assert drill.text == "val rows with wage < 3.5"
    cell = ["pair", "tags=a", "tags=a", "all", 1.0, None, None, "tags", "a", "tags", "a"]
    drill = drill_from_points([{"customdata": cell}])
    assert drill == Drill("all", (Condition("tags", "a"),))
    assert drill_from_points([{"customdata": ["pair", "tags=a", "tags=a", "all", 1.0]}]) is None  # no tasks, no guess


def brute_force(frame: pd.DataFrame, drill: Drill) -> list[int]:
    """The rows of a drill, read from the frame row by row (an independent reading)."""
    columns = {"union": "union", "married": "married", "wage": "wage"}
    out = []
    for i, row in enumerate(frame.itertuples(index=False)):
        if drill.split != "all" and SPLITS[i] != drill.split:
            continue
        ok = True
        for c in drill.conditions:
            if c.task == "tags":
                ok &= getattr(row, c.label) == 1
                continue
            value = getattr(row, columns[c.task])
            if c.is_range:
                ok &= not pd.isna(value) and (c.low is None or value >= c.low) and (c.high is None or value < c.high)
            elif c.label == "(missing)":
                ok &= pd.isna(value)
            else:
                ok &= not pd.isna(value) and str(value) == c.label
        if ok:
            out.append(i)
    return out


@pytest.mark.parametrize(
    "drill",
    [
        Drill(),
        Drill("test", (Condition("union", "1"),)),
        Drill("train", (Condition("union", "1"), Condition("married", "yes"))),
        Drill("all", (Condition("married", "(missing)"),)),
        Drill("all", (Condition("wage", low=2.0, high=6.0),)),
        Drill("all", (Condition("wage", low=5.0),)),
        Drill("all", (Condition("tags", "a"), Condition("tags", "b"))),
        Drill("val", (Condition("union", "0"), Condition("tags", "b"))),
    ],
    ids=lambda d: d.text,
)
def test_drill_rows_match_a_row_by_row_reading(frame, tasks, drill):
    encoded = encode_tasks(frame, tasks, 2)
    codes = np.array([["train", "val", "test"].index(s) for s in SPLITS])
    assert drill_rows(encoded, codes, ["train", "val", "test"], drill).tolist() == brute_force(frame, drill)


def test_excluded_rows_never_drill_and_unknown_names_raise(frame, tasks):
    encoded = encode_tasks(frame, tasks, 2)
    codes = np.array([0, 0, -1, 0, 1, 1, 1, 1])
    assert 2 not in drill_rows(encoded, codes, ["train", "test"], Drill()).tolist()
    with pytest.raises(KeyError, match="split"):
        drill_rows(encoded, codes, ["train", "test"], Drill("val"))
    with pytest.raises(KeyError, match="label"):
        drill_rows(encoded, codes, ["train", "test"], Drill("all", (Condition("union", "7"),)))
    with pytest.raises(KeyError, match="regression"):
        drill_rows(encoded, codes, ["train", "test"], Drill("all", (Condition("union", low=1.0),)))


def test_a_clicked_bar_drills_to_its_rows(frame, tasks):
    """From a figure's own customdata to rows: the path the page takes on a click."""
    fig = label_distribution_bars(counts_of(frame, tasks, "married"))
    test_trace = next(t for t in fig.data if t.name == "test")
    point = {"customdata": list(test_trace.customdata[list(test_trace.x).index("no")])}
    drill = drill_from_points([point])
    encoded = encode_tasks(frame, tasks, 2)
    codes = np.array([["train", "val", "test"].index(s) for s in SPLITS])
    rows = drill_rows(encoded, codes, ["train", "val", "test"], drill)
    assert rows.tolist() == [7]  # the one test row with married=no
    assert len(rows) == test_trace.customdata[list(test_trace.x).index("no")][4]


def test_a_tie_on_ld_goes_to_the_better_label_pair_balance():
    """A new user's jtrain: random won on LD 0.02571 against group's 0.02574, although group balanced
    label pairs (0.0075 against 0.0081) and its worst task (JS 0.31 against 0.44) better."""
    table = pd.DataFrame({"config": ["random", "group"], "n_splits": [3, 3], "ld": [0.02571, 0.02574],
                          "lpd": [0.0081, 0.0075], "fz": [3, 3], "flz": [0, 0], "worst_js": [0.44, 0.31],
                          "ed_share": [0.0023, 0.0023], "groups_split": [0, 0], "error": ["", ""]})
    assert recommend_strategy(table, group_column="fcode").config == "group"


def test_a_lucky_ld_does_not_outweigh_label_pairs_and_the_worst_task():
    """wagepan, seed 4: random (groups kept whole) won on LD 0.071 against group's 0.098, though group balanced
    label pairs (0.0043 against 0.0066) and its worst task (JS 0.04 against 0.12) far better."""
    table = pd.DataFrame({"config": ["random", "group", "time"], "n_splits": [3, 3, 3], "ld": [0.071, 0.0979, 0.445],
                          "lpd": [0.00662, 0.00427, 0.0132], "fz": [0, 0, 0], "flz": [0, 0, 0],
                          "worst_js": [0.116, 0.0404, 0.182], "ed_share": [0.001, 0.001, 0.033],
                          "groups_split": [0, 0, 545], "error": ["", "", ""]})
    recommendation = recommend_strategy(table, group_column="nr")
    assert recommendation.config == "group"
    assert "LPD 0.00427 against 0.00662" in recommendation.text and "price of keeping groups" not in recommendation.text


def test_a_long_multilabel_title_puts_its_note_on_a_line_of_its_own():
    """New-user report 3, item 10: "Risk flags (multilabel · a row can have several labe" ran past its facet."""
    from core.figures._facets import TITLE_FONT, _bar_facet

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"High dropout": rng.integers(0, 2, 64), "Above-avg spend": rng.integers(0, 2, 64)})
    tasks = [Task("Risk flags", ("High dropout", "Above-avg spend"), "multilabel")]
    counts = label_distribution(frame, tasks, np.array(SPLITS * 8), n_bins=2).counts
    facet = _bar_facet(counts, 20, width=390)
    first, _, rest = facet.title.partition("<br>")
    assert first == "Risk flags (multilabel)" and "a row can have several labels" in rest
    assert text_px(first, TITLE_FONT) <= 390
    assert _bar_facet(counts, 20, width=900).title.startswith("Risk flags (multilabel · a row can have several labels)")


def test_a_long_task_name_wraps_within_its_column_and_its_row_makes_room():
    """New-user report 4, item 9: "Scrap rate (per 100 items) (regression) · 162 of 471 labelled" ran under the
    next facet's title "Size band (multiclass) · 440 of 471 labelled"."""
    from core.figures._facets import TITLE_FONT

    rng = np.random.default_rng(1)
    n = 96
    scrap = rng.gamma(2.0, 3.0, n)
    scrap[rng.random(n) < 0.65] = np.nan  # mostly missing, as in the trial
    frame = pd.DataFrame({"Scrap rate (per 100 items)": scrap,
                          "Size band": rng.choice(["small", "medium", "large", None], n)})
    tasks = [Task("Scrap rate (per 100 items)", ("Scrap rate (per 100 items)",), "regression"),
             Task("Size band", ("Size band",), "multiclass")]
    distribution = label_distribution(frame, tasks, np.array(SPLITS * 12), n_bins=8)
    fig = label_distribution_grid(distribution.counts, distribution.histogram, width=1000)
    plot_width = 1000 - fig.layout.margin.l - 20
    for k, annotation in enumerate(fig.layout.annotations, start=1):
        domain = fig.layout[f"xaxis{k if k > 1 else ''}"].domain
        bold = [line for line in annotation.text.split("<br>") if line.startswith("<b>")]
        assert all(text_px(line, TITLE_FONT) <= (domain[1] - domain[0]) * plot_width + 16 for line in bold)
        assert "".join(line.removeprefix("<b>").removesuffix("</b>") + " " for line in bold).startswith(
            tasks[k - 1].name)  # the whole title is there, wrapped, bold
    scrap_title = fig.layout.annotations[0].text
    assert scrap_title.count("<b>") == 2 and "· " in scrap_title.split("<br>")[1]  # its count on a line of its own
    assert fig.layout.yaxis.domain[1] < 1  # the row's room above the plot grew with the title's lines


def test_the_split_strip_caption_wraps_long_column_names():
    """A time split ordered by 'each Zone de dénombrement's first Date et heure de l'entretien, then ...' ran its
    one-line caption past both ends of the chart (new-user trial 5, item 12)."""
    from core.figures import fold_strip
    from core.figures._facets import text_px
    from core.figures._split import CAPTION_PX

    words = ("each Zone de dénombrement's first Date et heure de l'entretien, then Zone de dénombrement, "
             "then Date et heure de l'entretien")
    fig = fold_strip(pd.Series(["train", "val", "test"] * 40), ordered_by=words)
    lines = fig.layout.xaxis.title.text.split("<br>")
    assert len(lines) >= 2 and all(text_px(line, 13) <= CAPTION_PX for line in lines)
    assert " ".join(lines).replace("<br>", " ").startswith("120 rows ordered by each Zone")
    assert fig.layout.margin.b >= 50 + 18 * (len(lines) - 1)  # the extra lines have room below the strip
    short = fold_strip(pd.Series(["train", "test"] * 5))
    assert "<br>" not in short.layout.xaxis.title.text and short.layout.height == 210


def test_cooccurrence_column_labels_of_twenty_tasks_do_not_overlap():
    """20 tasks (~70 labels): the slanted column labels ran over each other (new-user trial 5, item 11); the
    tasks' names are kept where they fit and every label reads on hover."""
    from core.figures._cooccurrence import PLOT_PX, SIN_60, TICK_FONT

    rng = np.random.default_rng(11)
    frame = pd.DataFrame({f"Question {i:02d}": rng.integers(0, 4 if i % 2 else 2, 400) for i in range(20)})
    tasks = [Task(c, (c,), "multiclass" if i % 2 else "binary") for i, c in enumerate(frame.columns)]
    fig = cooccurrence_heatmap(cooccurrence(frame, tasks).to_frame(), min_support=0)
    text = list(fig.layout.xaxis.ticktext)
    names = [i for i, t in enumerate(text) if t.startswith("<b>")]
    spacing = PLOT_PX / len(text)
    assert len(text) > 40 and len(names) >= 5
    assert all((b - a) * spacing * SIN_60 >= TICK_FONT for a, b in zip(names, names[1:], strict=False))  # no two names overlap
    assert all(len(t) <= 3 for t in text if t and not t.startswith("<b>"))  # between them, only short values
    assert "every label on hover" in fig.layout.xaxis.title.text
    assert all(fig.layout.yaxis.ticktext)  # the rows keep every label (a row per 12+ px)


def test_association_scale_says_one_task_fixes_the_other_not_each():
    """newuser6 item 10: digit vs even/odd is V = 1.00 while even/odd does not fix the digit."""
    from scipy.stats.contingency import association

    from core.figures import association_heatmap

    digit = np.arange(600) % 10
    v = association(pd.crosstab(digit, digit % 2).to_numpy(), method="cramer")
    matrix = pd.DataFrame([[1.0, v], [v, 1.0]], index=["digit", "even"], columns=["digit", "even"])
    texts = [a.text for a in association_heatmap(matrix).layout.annotations]
    assert round(v, 6) == 1.0 and any("1 = one task fixes the other (the one with fewer classes)" in t for t in texts)
    assert not any("each task determines the other" in t for t in texts)


def test_a_class_holding_nearly_every_row_labels_each_bar_with_its_rows():
    """newuser6 item 8: status 99.5% 'normal': the fraud and chargeback bars (7 rows each) were invisible."""
    rng = np.random.default_rng(6)
    status = np.where(rng.random(3000) < 0.995, "normal", rng.choice(["fraud", "chargeback"], 3000))
    frame = pd.DataFrame({"status": status, "kind": rng.choice(["a", "b", "c"], 3000)})
    split = pd.Series(rng.choice(["train", "val", "test"], 3000, p=[0.7, 0.15, 0.15]))
    tasks = [Task("status", ("status",), "multiclass"), Task("kind", ("kind",), "multiclass")]
    distribution = label_distribution(frame, tasks, split)
    fig = label_distribution_grid(distribution.counts, distribution.histogram)
    status_bars = [trace for trace in fig.data if trace.xaxis == fig.data[0].xaxis]
    for trace in status_bars:
        rows = frame.loc[split.to_numpy() == trace.name, "status"].value_counts()
        assert list(trace.text) == [f"{rows.get(label, 0):,}" for label in trace.x], (trace.name, trace.text)
    assert "one class holds 99." in fig.layout.annotations[0].text
    assert all(trace.text is None for trace in fig.data if trace.xaxis != fig.data[0].xaxis)
