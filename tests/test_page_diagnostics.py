"""AppTest: the Diagnostics page on the first visit, its heatmap selector, strategy comparison, missing labels, drill-down."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from tests.apptest import open_app

PAGE = "views/diagnostics.py"


def open_diagnostics(dataset: str | None = None) -> AppTest:
    return open_app("diagnostics", dataset=dataset)


def charts(at: AppTest) -> list:
    return list(at.get("plotly_chart"))


def chart_titled(at: AppTest, words: str):
    found = [c for c in charts(at) if words in json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "")]
    assert found, f"no chart titled with {words!r}"
    return found[0]


def drill_header(at: AppTest) -> str:
    return next(md.value for md in at.markdown if re.match(r"\*\*[\d,]+ rows\*\* · ", md.value))


def click(at: AppTest, chart, customdata: list) -> AppTest:
    """Send a plotly selection of one point to ``chart``, as the browser does on a click.

    AppTest has no API for chart selections, so this adds the chart's widget
    state to the others (private ``_tree`` and ``_run``, streamlit 1.67).
    """
    states = at._tree.get_widget_states()
    selection = {"points": [{"curve_number": 1, "point_number": 0, "point_index": 0, "customdata": customdata}],
                 "point_indices": [0], "box": [], "lasso": []}
    states.widgets.append(WidgetState(id=chart.proto.id, string_value=json.dumps({"selection": selection})))
    at._run(states)
    assert not at.exception
    return at


@pytest.fixture(scope="module")
def wagepan() -> AppTest:
    return open_diagnostics()


def test_first_visit_shows_scores_leakage_and_every_chart(wagepan):
    at = wagepan
    assert not at.error
    assert at.title[0].value == "Diagnostics"
    headers = [h.value for h in at.subheader]
    assert headers[:3] == ["Quality scorecard", "Leakage", "Label distribution per split"]
    text = " ".join(md.value for md in at.markdown)
    for score in ("**LD**", "**ED**", "**LPD**", "**FZ**", "**FLZ**", "**JS**"):
        assert score in text
    assert "Threshold:" in " ".join(c.value for c in at.caption)
    assert "Groups in more than one split" in text and "badge[pass]" in text
    specs = [json.loads(c.proto.spec) for c in charts(at)]
    titles = [spec["layout"].get("title", {}).get("text", "") for spec in specs]
    assert len(specs) == 4  # the label distributions, co-occurrence, association, strategies: one chart each
    facets = [a["text"] for a in specs[0]["layout"]["annotations"]]  # one faceted chart for every task
    assert [f.split(" (")[0].removeprefix("<b>") for f in facets] == [
        "union", "married", "poorhlth", "lwage", "hours", "occupation", "industry"]
    assert any(t.startswith("Co-occurrence across tasks") for t in titles)
    assert any(t.startswith("Task association") for t in titles)
    assert any(t.startswith("Strategies side by side") for t in titles)


def test_clickable_charts_come_ready_for_clicks(wagepan):
    """Streamlit sets click, drag and hover modes in the browser when a selectable chart lacks them, and
    plotly.js then draws the chart again; the page's clickable charts carry them."""
    for chart in charts(wagepan):
        layout = json.loads(chart.proto.spec)["layout"]
        if chart.proto.selection_mode:
            assert (layout["clickmode"], layout["dragmode"], layout["hovermode"]) == ("event+select", "pan", "closest")


def test_compare_strategies_recommends_the_group_split_and_says_why(wagepan):
    recommendation = wagepan.success[0].value
    assert recommendation.startswith("Recommended: **group**")
    assert "keeps every 'nr' group in one split" in recommendation.lower()
    table = wagepan.dataframe[-1].value
    # the split keeps 'nr' whole, so random does too and stratified is the group split (shown once)
    assert list(table["config"]) == ["random", "group", "time"]
    assert table.set_index("config").loc["group", "groups_split"] == 0


def test_the_selector_changes_the_heatmap():
    at = open_diagnostics()
    assert chart_titled(at, "Co-occurrence across tasks: P(column | row) (all data)")
    at.selectbox(key="diag_cooc_view").select("test vs train").run()
    assert not at.exception
    difference = json.loads(chart_titled(at, "Change in P(column | row): test − train").proto.spec)
    assert difference["data"][1]["customdata"][0][3] == "test"
    assert at.radio(key="diag_cooc_measure").disabled
    at.selectbox(key="diag_cooc_view").select("val").run()
    at.radio(key="diag_cooc_measure").set_value("lift").run()
    assert chart_titled(at, "Co-occurrence across tasks: lift (val rows)")


def test_clicking_a_heatmap_cell_lists_the_rows_with_both_labels():
    at = open_diagnostics()
    at.selectbox(key="diag_cooc_view").select("test").run()
    heat = chart_titled(at, "Co-occurrence across tasks")
    click(at, heat, ["pair", "union=1", "married=0", "test", 0.4, None, None, "union", "1", "married", "0"])
    header = drill_header(at)
    assert "test rows with union=1 and married=0" in header
    rows = at.dataframe[-2].value if "config" in at.dataframe[-1].value.columns else at.dataframe[-1].value
    assert set(rows["split"]) == {"test"}
    assert (rows["union"] == 1).all() and (rows["married"] == 0).all()
    assert int(header.split()[0].strip("*").replace(",", "")) == len(rows)  # fewer than 500: all shown
    # the pickers follow the click, so the selection can be refined by hand
    assert at.selectbox(key="diag_drill_a").value == "union=1"
    at.selectbox(key="diag_drill_split").select("all").run()
    assert "all rows with union=1 and married=0" in drill_header(at)


def test_clicking_a_bar_lists_its_rows():
    at = open_diagnostics()
    distributions = at.get("plotly_chart")[0]
    bars = json.loads(distributions.proto.spec)["data"]
    val_union = next(t for t in bars if t["name"] == "val" and t["xaxis"] == "x")  # union is the first facet
    assert val_union["x"] == ["val"] and val_union["customdata"][0][:4] == ["label", "union", "1", "val"]
    click(at, distributions, val_union["customdata"][0])
    header = drill_header(at)
    assert "val rows with union=1" in header
    assert int(header.split()[0].strip("*").replace(",", "")) == val_union["customdata"][0][4]  # the bar's count


def test_happiness_with_missing_labels_renders_and_drills_to_them():
    at = open_diagnostics("happiness")
    assert not at.error
    distributions = json.loads(at.get("plotly_chart")[0].proto.spec)
    facet = next(i for i, a in enumerate(distributions["layout"]["annotations"]) if a["text"].startswith("<b>owngun"))
    axis = "x" if facet == 0 else f"x{facet + 1}"
    owngun = [t for t in distributions["data"] if t["xaxis"] == axis]
    title = distributions["layout"]["annotations"][facet]["text"]
    assert " labelled</b>" in title and "no label: train " in title  # a binary task's rate says what is missing
    assert "rows with no label" in owngun[0]["hovertemplate"]
    assert "owngun=(missing)" in at.selectbox(key="diag_drill_a").options
    at.selectbox(key="diag_drill_a").select("owngun=(missing)").run()
    assert not at.exception
    header = drill_header(at)
    assert "all rows with owngun=(missing)" in header
    from dashboard import state

    frame = at.session_state[state.DATASET].frame
    assert int(header.split()[0].strip("*").replace(",", "")) == int(frame["owngun"].isna().sum())


def test_a_split_that_cannot_be_made_shows_one_error():
    from core.splits import SplitConfig
    from dashboard import state

    at = open_diagnostics()
    at.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy="group", group_column="no_such_column")
    at.run()
    assert not at.exception
    assert len(at.error) == 1 and "no_such_column" in at.error[0].value


@pytest.mark.parametrize(
    "config",
    [
        {"strategy": "stratified", "n_folds": 4},
        {"strategy": "time", "time_column": "year", "gap": 1},  # the gap leaves rows excluded
    ],
    ids=["folds", "time-gap"],
)
def test_folds_and_excluded_rows_render(config):
    from core.splits import SplitConfig
    from dashboard import state

    at = open_diagnostics()
    at.session_state[state.SPLIT_CONFIG] = SplitConfig(**config)
    at.run()
    assert not at.exception and not at.error
    views = at.selectbox(key="diag_cooc_view").options
    first = "fold-0" if "n_folds" in config else "train"
    assert any(view.endswith(f" vs {first}") for view in views)
    at.selectbox(key="diag_cooc_view").select(views[-1]).run()
    assert not at.exception
    assert "excluded" not in at.selectbox(key="diag_drill_split").options


# --------------------------------------------------------------------------- issue 12 item 7: verdicts by strategy


def open_diagnostics_on_panel(config) -> AppTest:
    """Diagnostics of a generated panel upload (people entering in different years), with ``config`` as the split."""
    from dataclasses import replace

    from core.data import dataset_from_frame
    from core.tasks import Task
    from dashboard import state
    from tests.apptest import new_app
    from tests.test_split_verdicts import staggered_panel

    frame = staggered_panel()
    data = replace(dataset_from_frame(frame, name="panel.csv"), group_column="person_id", time_column="year")
    at = new_app()
    at.session_state[state.DATASET] = data
    at.session_state[state.TASKS] = (Task("employed", ("employed",), "binary"),
                                     Task("health", ("health",), "multiclass"))
    at.session_state[state.SPLIT_CONFIG] = config
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception and not at.error
    return at


def card_badges(at: AppTest) -> dict[str, str]:
    found = {}
    for md in at.markdown:
        match = re.match(r"\*\*(\w+)\*\* · .*\n:(\w+)-badge\[(\w+)\]", md.value)
        if match:
            found[match.group(1)] = match.group(3)
    return found


def test_a_time_split_shows_drift_between_periods_not_a_failed_stratification():
    from core.splits import SplitConfig

    at = open_diagnostics_on_panel(SplitConfig(strategy="time", time_column="year", group_column="person_id",
                                               group_time="rows"))
    badges = card_badges(at)
    assert {badges[s] for s in ("LD", "LPD", "JS", "FZ", "FLZ")} == {"info"}, badges  # LD, LPD, JS were fail
    assert badges["ED"] in ("pass", "warn", "fail")
    captions = " ".join(c.value for c in at.caption)
    assert "Drift between periods" in captions and "Stratify" not in captions
    assert "A time split is judged on what it promises" in captions
    leakage = " ".join(md.value for md in at.markdown if md.value.startswith("| check |"))
    assert "as chosen" in leakage, "the time split's straddling groups warn as the user chose"


def test_the_strategy_table_says_why_each_strategy_got_its_status():
    from core.splits import SplitConfig

    at = open_diagnostics_on_panel(SplitConfig(strategy="group", group_column="person_id"))
    table = next(df.value for df in at.dataframe if "config" in df.value.columns)
    reasons = why_lines(at)
    assert set(reasons) == set(table["config"])
    assert all(reasons[row.config][0] == row.status for row in table.itertuples(index=False))
    assert "groups in more than one split" not in reasons["random"][1], "random keeps the groups, as split() does"
    assert "drift between periods shown, not judged" in reasons["time"][1]
    assert "Whole `person_id` groups were dealt" in " ".join(c.value for c in at.caption)


def why_lines(at: AppTest) -> dict[str, tuple[str, str]]:
    """The compare section's "why" lines under the table: config -> (status, reason)."""
    text = next(md.value for md in at.markdown if md.value.startswith("**Why**"))
    found = {}
    for line in text.split("  \n")[1:]:
        match = re.match(r"\*\*(.+?)\*\* :\w+-badge\[(\w+)\] (.*)", line)
        assert match, line
        found[match.group(1)] = (match.group(2), match.group(3))
    return found


def open_diagnostics_on(frame, config, tasks, **roles) -> AppTest:
    from tests.apptest import open_upload

    return open_upload(frame, config, tasks, "diagnostics", **roles)


def test_compare_judges_the_stratified_split_the_split_page_makes():
    from core.splits import SplitConfig
    from core.tasks import Task
    from tests.test_split_verdicts import balanced_panel

    at = open_diagnostics_on(balanced_panel(), SplitConfig(strategy="stratified", group_column="id",
                                                           time_column="year"),
                             (Task("fare_high", ("fare_high",), "binary"),), group_column="id", time_column="year")
    captions = " ".join(c.value for c in at.caption)
    assert "ignore the groups" not in captions
    assert "random and stratified keep its groups whole" in captions
    assert "so stratified is the group split, shown once as group" in captions
    table = next(df.value for df in at.dataframe if "config" in df.value.columns).set_index("config")
    assert "stratified" not in table.index, "was a stratified of single rows: fail, 'id' groups in several splits"
    assert table.loc["random", "groups_split"] == 0 and table.loc["group", "groups_split"] == 0
    assert "groups in more than one split" not in why_lines(at)["random"][1]


def test_an_infinite_ld_in_the_comparison_reads_as_undefined_not_infinity_or_nothing():
    from core.splits import SplitConfig
    from core.tasks import Task
    from tests.test_split_verdicts import balanced_panel

    frame = balanced_panel()
    frame["y00"] = (frame["year"] == 2000).astype(int)  # airfare's year dummy: on every row of 2000
    at = open_diagnostics_on(frame, SplitConfig(strategy="group", group_column="id", time_column="year"),
                             (Task("fare_high", ("fare_high",), "binary"), Task("y00", ("y00",), "binary")),
                             group_column="id", time_column="year")
    table = next(df.value for df in at.dataframe if "config" in df.value.columns).set_index("config")
    assert table.loc["time", "ld"] == "∞ (undefined)", table  # was "Infinity"
    spec = json.loads(chart_titled(at, "Strategies side by side").proto.spec)
    ld = spec["data"][0]
    assert dict(zip(ld["x"], ld["text"], strict=True))["time"] == "∞<br>undefined"
    recommended = " ".join(a.value for a in at.success)
    assert "inf" not in recommended.replace("infinite", ""), recommended


def heatmap_labels(at: AppTest) -> set[str]:
    spec = json.loads(chart_titled(at, "Co-occurrence across tasks").proto.spec)
    return {cell[1] for cell in spec["data"][1]["customdata"]}


def test_binary_zero_labels_are_hidden_in_the_heatmap_until_asked_for(wagepan):
    """wagepan's binary tasks: union=0, married=0 say what does not co-occur; hidden unless the toggle shows them."""
    at = wagepan
    labels = heatmap_labels(at)
    assert {"union=1", "married=1"} <= labels and not {"union=0", "married=0"} & labels
    assert "=0 label(s) of binary tasks are hidden" in " ".join(c.value for c in at.caption)
    at.toggle(key="diag_cooc_negatives").set_value(True).run()
    assert {"union=0", "married=0", "union=1"} <= heatmap_labels(at)
    at.toggle(key="diag_cooc_negatives").set_value(False).run()


def test_the_drill_down_survives_a_page_switch_and_stays_with_its_dataset():
    at = open_diagnostics()
    at.selectbox(key="diag_cooc_view").select("test").run()
    cell = ["pair", "union=1", "married=1", "test", 0.4, None, None, "union", "1", "married", "1"]
    click(at, chart_titled(at, "Co-occurrence across tasks"), cell)
    picked = ("test", "union=1", "married=1")
    keys = ("diag_drill_split", "diag_drill_a", "diag_drill_b")
    assert tuple(at.selectbox(key=k).value for k in keys) == picked
    at.switch_page("views/split.py").run()
    at.switch_page("views/diagnostics.py").run()  # back on the page: the pickers and the rows as they were
    assert tuple(at.selectbox(key=k).value for k in keys) == picked
    assert "test rows with union=1 and married=1" in drill_header(at)

    at.switch_page("views/data.py").run()
    at.selectbox(key="data_builtin").select("happiness").run()
    at.switch_page("views/diagnostics.py").run()  # another dataset starts clean, without a stale warning
    assert not at.exception
    assert not [w.value for w in at.warning if "no longer applies" in w.value or "No task named" in w.value]
    assert tuple(at.selectbox(key=k).value for k in keys) == ("all", "(any label)", "(any label)")
    assert drill_header(at).split(" · ")[1].startswith("all rows (")

    at.switch_page("views/data.py").run()
    at.selectbox(key="data_builtin").select("wagepan").run()
    at.switch_page("views/diagnostics.py").run()  # and wagepan's drill-down is still wagepan's
    assert tuple(at.selectbox(key=k).value for k in keys) == picked


def test_a_click_scrolls_the_page_to_the_drill_down_once():
    at = open_diagnostics()
    assert not [h for h in at.get("html") if "scrollIntoView" in h.proto.body]
    distributions = at.get("plotly_chart")[0]
    bar = next(t for t in json.loads(distributions.proto.spec)["data"] if t["name"] == "test")
    click(at, distributions, bar["customdata"][0])
    scripts = [h for h in at.get("html") if "scrollIntoView" in h.proto.body]
    assert len(scripts) == 1 and ".st-key-diag_drill" in scripts[0].proto.body
    assert scripts[0].proto.unsafe_allow_javascript
    at.run()  # a run without a new click does not scroll again
    assert not [h for h in at.get("html") if "scrollIntoView" in h.proto.body]


def test_twenty_tasks_get_an_association_heatmap_the_page_wide():
    """A survey of 20 tasks: the association heatmap left in a 3/5 column squeezed 20 cells into ~250 px and
    named every other task (new-user trial 5, item 11); with many tasks it takes the page's width."""
    import numpy as np
    import pandas as pd

    from core.splits import SplitConfig
    from core.tasks import Task
    from tests.apptest import open_upload

    rng = np.random.default_rng(5)
    frame = pd.DataFrame({f"Réponse {i:02d}": rng.integers(0, 2, 300) for i in range(20)})
    frame["x"] = rng.normal(size=300)
    tasks = tuple(Task(name, (name,), "binary") for name in frame.columns[:20])
    at = open_upload(frame, SplitConfig(strategy="stratified"), tasks, "diagnostics")
    assert not at.error
    in_columns = {c.proto.id for column in at.columns for c in column.get("plotly_chart")}
    association = chart_titled(at, "Task association")
    assert association.proto.id not in in_columns
    spec = json.loads(association.proto.spec)
    assert spec["layout"]["xaxis"]["dtick"] == 1 and len(spec["data"][0]["x"]) == 20
