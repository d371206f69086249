"""The HTML report: one self-contained file, every section, escaped names; and the export helpers."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from core.data import Dataset
from core.errors import DataError
from core.report import assignment_digest, assignment_frame, render_report, reproduce_code, write_report
from core.splits import SplitConfig, split
from core.tasks import Task
from core.training import EpochRecord, TrainConfig, fit_on_split

SECTIONS = ("overview", "split", "quality", "leakage", "tasks", "cooccurrence", "comparison", "warnings", "decision")
HOSTILE = "<script>alert(1)</script>"
HOSTILE_VALUE = "<img src=x onerror=alert(2)>"
CLOSER = "</script><script>alert(3)</script>"
GROUP = "</script><script>alert(4)</script> person"


def script_tags(page: str) -> list[str]:
    return re.findall(r"<script[^>]*>", page)


@pytest.fixture(scope="module")
def wagepan_split(wagepan):
    config = SplitConfig(strategy="group", group_column="nr", time_column="year", seed=4)
    return split(wagepan.frame, wagepan.tasks, config)


@pytest.fixture(scope="module")
def wagepan_page(wagepan, wagepan_split) -> str:
    return render_report(wagepan, wagepan.tasks, wagepan_split.assignment, config=wagepan_split.config)


def hostile_dataset(n: int = 120) -> Dataset:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            HOSTILE: rng.choice(["a", HOSTILE_VALUE], n),  # a task whose name and label are markup
            CLOSER: rng.integers(0, 2, n),  # a name that would end a script element if left raw
            "x": rng.normal(size=n),
            GROUP: np.arange(n) // 3,  # the fold strip is ordered by it, so its name is in a figure
        }
    )
    return Dataset(
        name=f"data {HOSTILE}", frame=frame, description=HOSTILE_VALUE, feature_columns=("x",), group_column=GROUP
    )


@pytest.fixture(scope="module")
def hostile_page() -> str:
    data = hostile_dataset()
    tasks = [Task(HOSTILE, (HOSTILE,), "binary"), Task(CLOSER, (CLOSER,), "binary")]
    result = split(data.frame, tasks, SplitConfig(seed=1))
    return render_report(data, tasks, result.assignment, config=result.config)


def test_one_html_file_with_plotly_inline_and_nothing_fetched(wagepan_page):
    assert wagepan_page.startswith("<!DOCTYPE html>") and wagepan_page.rstrip().endswith("</html>")
    assert "<script src=" not in wagepan_page and "src=" not in "".join(script_tags(wagepan_page))
    assert wagepan_page.count("plotly.js v") >= 1  # the library's banner, inlined
    # sizes, strip, 7 task charts, association, co-occurrence, its change, the strategy comparison: all drawn
    # by the one inline copy
    assert wagepan_page.count("Plotly.newPlot") == 13
    markup = re.sub(r"<script[^>]*>.*?</script>", "", wagepan_page, flags=re.S)  # our HTML, not plotly.js
    assert not re.search(r"""(href|src)=["']?(https?:)?//""", markup)  # no CDN, fonts or images
    assert "@import" not in markup and "url(" not in markup
    assert 1_000_000 < len(wagepan_page.encode()) < 8_000_000


def test_plotly_is_inlined_once(wagepan_page):
    banners = re.findall(r"plotly\.js v\d+\.\d+\.\d+", wagepan_page)
    assert len(set(banners)) == 1
    assert wagepan_page.count("window.PlotlyConfig") == 1


def test_every_section_and_split_name_is_there(wagepan_page, wagepan):
    for anchor in SECTIONS:
        assert f'<section id="{anchor}">' in wagepan_page
    for name in ("train", "val", "test"):
        assert f"</span>{name}</td>" in wagepan_page  # a split cell: colour dot, then the name
    for task in wagepan.tasks:
        assert f"<summary>{task.name} ({task.kind}): the numbers behind the chart</summary>" in wagepan_page
    for words in ("Quality scorecard", "Leakage checks", "Cramér", "Groups in more than one split", "TaskSplit 0."):
        assert words in wagepan_page
    assert 'id="training"' not in wagepan_page


def test_header_names_the_dataset_strategy_and_config(wagepan_page, wagepan_split):
    assert "<title>Split report: wagepan</title>" in wagepan_page
    assert "4,360 × 44" in wagepan_page
    assert "group · train 70% / val 15% / test 15% · seed 4" in wagepan_page
    assert assignment_digest(wagepan_split.assignment) in wagepan_page
    assert "&quot;format&quot;: &quot;tasksplit.SplitConfig&quot;" in wagepan_page  # the config JSON, escaped


def test_status_badges_are_coloured(wagepan_page):
    assert re.search(r'class="badge" style="background:#[0-9a-f]{6}">(pass|warn|fail)</span>', wagepan_page)


def test_hostile_names_and_values_show_as_text(hostile_page):
    for raw in (HOSTILE, HOSTILE_VALUE, CLOSER, GROUP, "alert(1)</script>"):
        assert raw not in hostile_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile_page  # task and column names, as text
    assert "&lt;img src=x onerror=alert(2)&gt;" in hostile_page  # a label value, as text
    assert all(tag in ('<script type="text/javascript">', "<script>") for tag in script_tags(hostile_page))
    assert len(script_tags(hostile_page)) == hostile_page.count("</script>")  # no script closed early


def test_hostile_names_inside_figure_json_are_escaped(hostile_page):
    figures = re.findall(r"Plotly\.newPlot\((.*?)\)\s*};", hostile_page, flags=re.S)
    assert figures
    data = "".join(figures)
    escaped = r"\u003c\u002fscript\u003e\u003cscript\u003ealert(4)\u003c\u002fscript\u003e person"
    assert escaped in data  # the fold strip's axis title names the group column, escaped by plotly's JSON
    assert "</" not in data and "<script" not in data


def test_missing_labels_and_k_folds(wagepan):
    frame = wagepan.frame.copy()
    frame.loc[frame.index[::3], "union"] = np.nan
    data = Dataset(name="holes", frame=frame, group_column="nr", feature_columns=wagepan.feature_columns)
    tasks = [Task("union", ("union",), "binary"), Task("lwage", ("lwage",), "regression")]
    result = split(frame, tasks, SplitConfig(strategy="group", group_column="nr", n_folds=4))
    page = render_report(data, tasks, result.assignment, config=result.config)
    for fold in range(4):
        assert f"</span>fold-{fold}</td>" in page
    assert "(missing)" in page
    assert ">66.7%<" in page  # union labelled on two rows in three
    assert "4 folds" in page


def test_split_from_a_file_has_no_config_and_no_ed(wagepan, wagepan_split):
    plain = wagepan_split.assignment.to_numpy()  # no index, no config: as the command line reads it
    page = render_report(wagepan, wagepan.tasks[:2], plain)
    assert "the settings that made it are not known" in page
    assert "ED is not scored" in page and ">ED<" not in page


def test_excluded_rows_are_listed_but_not_scored(wagepan):
    tasks = wagepan.tasks[:1]
    result = split(wagepan.frame, tasks, SplitConfig(strategy="time", time_column="year", gap=1))
    page = render_report(wagepan, tasks, result.assignment, config=result.config, warnings=result.warnings)
    assert "</span>excluded</td>" in page
    assert all(f"{message}" in page for message in result.warnings)


def test_training_records_and_a_finished_run(wagepan):
    record = EpochRecord(epoch=3, seconds=0.1, train_loss={"union": 0.5}, val_loss={"union": 0.6},
                         val_metric={"union": 0.7}, weights={"union": 1.0}, train_total=0.5, val_total=0.6)
    page = render_report(wagepan, wagepan.tasks[:1], ["train", "test"] * 2180, training=[record])
    assert '<section id="training">' in page and "Last epoch (3)" in page
    assert "Loss per task: train vs val" in page  # the Model page's loss curves

    frame = wagepan.frame.iloc[:600]
    data = Dataset(name="small", frame=frame, feature_columns=("educ", "exper"))
    tasks = [Task("union", ("union",), "binary")]
    folds = np.array(["train", "val", "test"])[np.arange(600) % 3]
    run = fit_on_split(frame, tasks, folds, feature_columns=["educ", "exper"], config=TrainConfig(epochs=2))
    page = render_report(data, tasks, folds, training=run)
    assert "Test metrics" in page and "epochs 2" in page and "Loss per task: train vs val" in page


def test_wrong_length_assignment_is_a_data_error(wagepan):
    with pytest.raises(DataError, match="4,360"):
        render_report(wagepan, wagepan.tasks, ["train"] * 10)


def test_write_report_and_progress(tmp_path, wagepan, wagepan_split):
    seen = []
    path = write_report(tmp_path / "r.html", wagepan, wagepan.tasks[:2], wagepan_split.assignment,
                        title="Review <draft>", progress=lambda share, text: seen.append(share))
    page = path.read_text(encoding="utf-8")
    assert "<title>Review &lt;draft&gt;</title>" in page
    assert seen == sorted(seen) and seen[-1] == 1.0


# --------------------------------------------------------------------------- export helpers


def test_assignment_frame_is_what_the_command_line_writes(wagepan, wagepan_split):
    table = assignment_frame(wagepan_split.assignment)
    assert list(table.columns) == ["row", "split"]
    assert table["row"].tolist() == list(range(len(wagepan.frame)))
    assert table["split"].tolist() == wagepan_split.assignment.tolist()
    with_id = assignment_frame(wagepan_split.assignment, Dataset(name="d", frame=wagepan.frame, id_column="nr"))
    assert list(with_id.columns) == ["row", "split", "nr"]


def test_digest_follows_the_values_in_row_order():
    a = pd.Series(["train", "test", "train"])
    assert assignment_digest(a) == assignment_digest(pd.Series(["train", "test", "train"], index=[7, 8, 9]))
    assert assignment_digest(a) != assignment_digest(pd.Series(["test", "train", "train"]))


def test_reproduce_code_runs_and_makes_the_same_split(wagepan, wagepan_split):
    code = reproduce_code(wagepan, wagepan.tasks, wagepan_split.config)
    assert "load_data('builtin:wagepan')" in code and "group_column='nr'" in code and "seed=4" in code
    namespace: dict = {}
    exec(compile(code.replace("print(result.to_frame())", ""), "<snippet>", "exec"), namespace)  # noqa: S102
    assert assignment_digest(namespace["result"].assignment) == assignment_digest(wagepan_split.assignment)


def test_reproduce_code_for_an_uploaded_file_names_the_file(wagepan):
    data = Dataset(name="people.csv", frame=wagepan.frame)
    code = reproduce_code(data, [Task("union", ("union",), "binary")], SplitConfig(fractions={"a": 0.5, "b": 0.5}))
    assert "load_data('people.csv')  # the path to your copy of the file" in code
    assert "fractions={'a': 0.5, 'b': 0.5}" in code


def test_the_report_draws_a_binary_task_as_its_rate_per_split_like_the_page():
    """Issue 12: the page shows a binary task's positive rate per split; the report drew 0-dominated class bars."""
    from core.data import load_builtin
    from core.diagnostics import label_distribution
    from core.figures import binary_rate_bars, label_distribution_bars
    from core.splits import SplitConfig, split

    data = load_builtin("wagepan")
    union = next(t for t in data.tasks if t.name == "union")
    assignment = split(data.frame, [union], SplitConfig(strategy="group", group_column="nr")).assignment
    counts = label_distribution(data.frame, [union], assignment).counts
    counts = counts[counts["task"] == "union"]
    rate = binary_rate_bars(counts)
    assert [trace.x[0] for trace in rate.data] == ["train", "val", "test"]
    assert all(len(trace.y) == 1 and 0 < trace.y[0] < 0.5 for trace in rate.data)  # union=1 is the minority
    bars = label_distribution_bars(counts)
    assert len(bars.data[0].x) == 2  # the class bars draw 0 and 1
