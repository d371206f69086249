"""Diagnostics page: is the split good? Scores, leakage, label distributions, co-occurrence, drill-down, strategies."""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from core.data import Dataset
from core.diagnostics import dealt_groups, recommend_strategy
from core.errors import TaskSplitError
from core.figures import MANY_TASKS, MIN_SUPPORT, Condition, Drill, drill_from_points, drill_rows
from core.report import comparison_configs as strategy_configs
from core.splits import STRATEGIES, WHOLE, SplitConfig
from core.tasks import MISSING, Task, label_name
from dashboard import compute, large, state
from dashboard.guards import Work, require_work

K = state.DiagnosticsKeys

SCORES = ("LD", "ED", "LPD", "FZ", "FLZ", "JS")  # the scorecard's cards, in order
BADGE = {"pass": ":green-badge[pass]", "warn": ":orange-badge[warn]", "fail": ":red-badge[fail]",
         "skipped": ":gray-badge[skipped]", "info": ":blue-badge[info]"}
MAX_HEATMAP_LABELS = 60  # the most frequent labels drawn in the co-occurrence heatmap
SHOWN_ROWS = 500  # drill-down rows shown in the table
AUTO_COMPARE_ROWS = 100_000  # larger data compares strategies on request
ANY = "(any label)"
ALL_DATA = "all data"
SCROLL_TO_DRILL = """<script>
(() => {  // bring the drill-down into view now, and again when the run is over and the page has its height
  const show = () => document.querySelector('.st-key-diag_drill')?.scrollIntoView({block: 'start'});
  show();
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return;
  const watch = new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') !== 'running') { watch.disconnect(); requestAnimationFrame(show); }
  });
  watch.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  setTimeout(() => watch.disconnect(), 10000);
})();
</script><!-- click %d -->"""


def score_card(container, row) -> None:
    with container.container(border=True):
        st.markdown(f"**{row.score}** · {row.name}  \n{BADGE.get(row.status, row.status)}")
        st.markdown(f"### {'∞' if row.value == float('inf') else f'{row.value:.3g}'}")
        reading = row.reading.split(": ", 1)[-1]  # the value is shown above
        threshold = row.threshold[0].upper() + row.threshold[1:] if row.status == "info" else f"Threshold: {row.threshold}"
        st.caption(f"{reading[0].upper()}{reading[1:]}  \n{threshold}")


def judged_on(config: SplitConfig) -> str:
    """What this split is judged on, in one line, by its strategy."""
    if STRATEGIES[config.strategy].by_time:
        placed = {"first": " (each group placed by its first time)", "last": " (each group placed by its last time)",
                  "rows": " (rows by time, groups free to straddle, as chosen)"}.get(config.time_groups, "")
        return (f"A time split is judged on what it promises: its sizes (ED) here; its time order{placed} in the "
                "leakage table below. How labels differ between periods is drift, shown as information (info), not "
                "as a fault to stratify away.")
    if STRATEGIES[config.strategy].given:
        return ("A predefined split was made elsewhere: how labels differ between its splits is shown as "
                "information (info), and its sizes are as given.")
    dealt = dealt_groups(config)
    if dealt:
        return (f"Whole `{dealt}` groups were dealt, so each score is judged against what random deals of the same "
                "groups give, not against a random split of rows.")
    return ("Each score is judged against its threshold; LD and LPD against what a random split of these sizes gives, "
            "and gap, JS and KS too when they are past their threshold (many classes or few rows a split).")


def scorecard(work: Work) -> None:
    """The scores of the split, one card each, and the scores per task and split."""
    try:
        whole = compute.whole_split(*work.key, work.frame)
        if whole is None:
            card, scores = compute.split_scores(*work.key, work.frame, work.assignment)
        else:  # a large dataset: from the counts of every row
            card, scores = compute.whole_scores(whole, work.config)
    except TaskSplitError as error:
        st.error(str(error))
        st.stop()

    st.subheader("Quality scorecard")
    st.caption(judged_on(work.config))
    shown = card.set_index("score").reindex([s for s in SCORES if s in set(card["score"])]).reset_index()
    for start in range(0, len(shown), 3):
        columns = st.columns(3)
        for column, row in zip(columns, shown.iloc[start:start + 3].itertuples(index=False), strict=False):
            score_card(column, row)
    others = card[~card["score"].isin(SCORES)]
    if len(others):
        st.caption(" · ".join(f"{BADGE.get(r.status, r.status)} {r.reading}" for r in others.itertuples(index=False)))
    with st.expander("Scores per task and split: Jensen-Shannon distance, KS statistic, absent classes, "
                     "missing labels"):
        st.dataframe(scores, hide_index=True, width="stretch")


def leakage_section(leakage_slot, work: Work) -> None:
    """The leakage table, in its place under the scorecard (``leakage_slot``)."""
    data, config = work.data, work.config
    try:
        group_column = config.group_column or data.group_column  # checked whatever the strategy (issue 12)
        features = compute.features(data, work.tasks, config)
        whole = compute.whole_split(*work.key, work.frame)
        if whole is None:
            checks = compute.leakage_checks(*work.key, group_column, features, work.frame, work.assignment)
        else:  # a large dataset: the exact checks over every row (groups, duplicates, time), the rest on the sample
            sampled = compute.leakage_checks(*work.key, group_column, features, work.frame, work.assignment)
            checks = large.checks_with_sample(whole.cluster.diagnosis.leakage, sampled, whole.source.sample_rows)
    except TaskSplitError as error:
        leakage_slot.error(str(error))
        return
    lines = ["| check | verdict | detail |", "|---|---|---|"]
    for row in checks.itertuples(index=False):
        detail = str(row.detail).replace("|", "\\|")
        lines.append(f"| {row.title} | {BADGE.get(row.status, row.status)} | {detail} |")
    leakage_slot.markdown("\n".join(lines))


# --------------------------------------------------------------------------- 2. label distributions


def distributions(work: Work) -> dict[str, object]:
    """Each task's labels per split, in one clickable chart; returns its selection event by chart key."""
    st.subheader("Label distribution per split")
    st.caption("Each task's labels as a share of each split's rows; a binary task as the share of its positive "
               "label, the dotted line the whole data's. Click a bar to list its rows under *Drill-down*; click a "
               "split in the legend to hide it.")
    events: dict[str, object] = {}
    try:  # one figure with a facet per task: one chart draws much faster in the browser than one per task
        events[K.DISTRIBUTION] = st.plotly_chart(
            compute.distribution_figure(*work.key, work.frame, work.assignment), width="stretch",
            key=K.DISTRIBUTION, on_select="rerun", selection_mode="points",
        )
    except TaskSplitError as error:
        st.error(str(error))
    return events


# --------------------------------------------------------------------------- 3. co-occurrence, 4. association


@st.fragment
def cooccurrence_section(work: Work, events: dict[str, object]) -> None:
    """Heatmap, association and drill-down rerun alone when their controls change (a fragment).

    A fragment shows its own errors: one raised in it does not reach a ``try`` around its call.
    """
    try:
        explore(work, events)
    except TaskSplitError as error:
        st.error(str(error))
    state.remember_widget_values()  # a fragment's rerun does not run app.py, which notes them otherwise


def explore(work: Work, events: dict[str, object]) -> None:
    data, tasks, config, split_names = work.data, work.tasks, work.config, work.split_names
    st.subheader("Co-occurrence across tasks")
    reference = "train" if "train" in split_names else split_names[0]
    views = [ALL_DATA, *split_names, *(f"{s} vs {reference}" for s in split_names if s != reference)]
    left, right = st.columns([2, 1])
    view = left.selectbox("Rows counted", views, key=K.COOCCURRENCE_VIEW,
                          help="All data, one split, or how P(column | row) changes from one split to another.")
    difference = " vs " in view
    measure = right.radio("Measure", ["P(column | row)", "lift"], horizontal=True, key=K.COOCCURRENCE_MEASURE,
                          disabled=difference,
                          help="Lift: how many times more often two labels meet than if they were independent.")
    split, versus = view.split(" vs ") if difference else (None if view == ALL_DATA else view, None)
    negatives = compute.binary_negatives(data.fingerprint, tasks, config.n_bins, work.frame)
    with_negatives = bool(negatives) and left.toggle(
        "Show the =0 labels of binary tasks", value=False, key=K.COOCCURRENCE_NEGATIVES,
        help="Hidden by default: a binary task's =0 label mostly says what does not co-occur.",
    )
    figure, drawn, total = compute.cooccurrence_figure(
        *work.key, split, versus, "conditional" if measure == "P(column | row)" else "lift", MAX_HEATMAP_LABELS,
        work.frame, work.assignment, with_negatives=with_negatives or not negatives,
    )
    hidden = len(negatives) if negatives and not with_negatives else 0
    shown = f" The {drawn} most frequent of {total} labels are drawn." if drawn < total else ""
    shown += f" {hidden} =0 label(s) of binary tasks are hidden." if hidden else ""
    faded = "in either split" if difference else "counted"
    st.caption("Read a cell as: among rows with the row label, the share that also has the column label. "
               f"Click a cell to list the rows that have both.{shown} Faded cells: fewer than {MIN_SUPPORT} rows "
               f"with the row label {faded}, too few for the colour to mean much; hover any cell for its n.")
    events = {**events, K.COOCCURRENCE_CHART: st.plotly_chart(
        figure, width="stretch", key=K.COOCCURRENCE_CHART, on_select="rerun", selection_mode="points"
    )}

    st.subheader("Task association")
    if len(tasks) < 2:
        st.caption("Association is measured between tasks; with one task there is no pair to measure.")
        drill_down(work, events)
        return
    association = compute.task_association(*work.key, work.frame, work.assignment)
    chosen = split if split in association.matrices and not difference else WHOLE
    left = st.container() if len(tasks) > MANY_TASKS else st.columns([3, 2])[0]  # many tasks: small cells, whole width
    left.plotly_chart(compute.association_figure(*work.key, chosen, work.frame, work.assignment), width="stretch",
                      key=K.ASSOCIATION)
    drill_down(work, events)


# --------------------------------------------------------------------------- 5. drill-down


def new_drill(events: dict[str, object]) -> Drill | None:
    """The drill-down of a chart whose selection changed since the last run (a new click), else None."""
    seen = state.value(K.SEEN)
    if seen is None:
        seen = {}
        state.put(K.SEEN, seen)
    chosen = None
    for name, event in events.items():
        points = list(getattr(getattr(event, "selection", None), "points", None) or [])
        fingerprint = repr(points)
        if points and seen.get(name) != fingerprint:
            chosen = drill_from_points(points) or chosen
        seen[name] = fingerprint
    return chosen


def drill_scope(work: Work) -> str:
    """The dataset and tasks the drill-down belongs to: another dataset or task list starts with a clean one."""
    return hashlib.blake2b(repr((work.data.fingerprint, work.tasks)).encode(), digest_size=8).hexdigest()


def drill_down(work: Work, events: dict[str, object]) -> None:
    """Pickers for a split and up to two labels, set by a click on a chart, and the rows they pick.

    The drill-down is kept per dataset and tasks (a plain session key: it outlives the pickers, whose
    widget state Streamlit drops while another page shows), so the pickers come back as they were and
    a new dataset never inherits an old dataset's labels.
    """
    with st.container(key=K.DRILL):  # the element a click scrolls to
        show_drill(work, events)


def show_drill(work: Work, events: dict[str, object]) -> None:
    tasks, config, frame, assignment = work.tasks, work.config, work.frame, work.assignment
    st.subheader("Drill-down: the rows behind a bar or a cell")
    encoded = compute.encoded_tasks(work.data.fingerprint, tasks, config.n_bins, frame)
    codes, code_names = compute.assignment_codes(*work.key, assignment)
    labelled = zip(encoded.labels, encoded.label_tasks, encoded.label_values, strict=True)
    options = {ANY: None, **{label: Condition(task, value) for label, task, value in labelled}}
    for part in encoded.tasks:
        if part.missing.any():
            options[label_name(part.task.name, MISSING)] = Condition(part.task.name, MISSING)
    scope, drills = drill_scope(work), state.value(K.DRILLS)
    if drills is None:
        drills = {}
        state.put(K.DRILLS, drills)
    if state.value(K.DRILL_SCOPE) != scope:  # pickers of another dataset or task list: start from ours
        state.forget(*K.DRILL_PICKERS)
        state.put(K.DRILL_SCOPE, scope)
    clicked = new_drill(events)
    if clicked is not None:
        drills[scope] = clicked
        state.forget(*K.DRILL_PICKERS)  # set below from the click
    drill: Drill = drills.get(scope) or Drill()
    named = {condition: name for name, condition in options.items() if condition is not None}
    for condition in drill.conditions:
        if condition not in named:  # a clicked histogram bin is a range: offer it as an option
            options[condition.text] = condition
            named[condition] = condition.text

    def picked() -> None:
        drills[scope] = picked_drill(options)

    split_options = [WHOLE, *code_names]
    conditions = [*(named[c] for c in drill.conditions), ANY, ANY][:2]
    for name, text in zip(K.DRILL_PICKERS[1:], conditions, strict=True):
        if state.value(name) not in options:  # first drawn, or back from another page
            state.put(name, text if text in options else ANY)
    if state.value(K.DRILL_SPLIT) not in split_options:
        state.put(K.DRILL_SPLIT, drill.split if drill.split in split_options else WHOLE)
    pick = st.columns([1, 2, 2])
    pick[0].selectbox("Split", split_options, key=K.DRILL_SPLIT, on_change=picked)
    pick[1].selectbox("Label", list(options), key=K.DRILL_LABEL, on_change=picked)
    pick[2].selectbox("and label", list(options), key=K.DRILL_OTHER_LABEL, on_change=picked)
    try:
        positions = drill_rows(encoded, codes, code_names, drill)
    except KeyError:  # a split of an earlier split config (fold names): the pickers show what is listed
        drill = picked_drill(options)
        drills[scope] = drill
        positions = drill_rows(encoded, codes, code_names, drill)
    # a column in two tasks (its own and a multi-label one) is listed once: a table has unique columns
    first = list(dict.fromkeys(c for task in tasks for c in task.columns if c in frame.columns))
    roles = [c for c in (config.group_column, config.time_column) if c and c in frame.columns and c not in first]
    ordered = [*first, *roles, *(c for c in frame.columns if c not in set(first) | set(roles))]
    shown = positions[:SHOWN_ROWS]
    rows = frame.iloc[shown][ordered]
    rows.insert(0, "split", assignment.iloc[shown].to_numpy())
    more = f" (the first {SHOWN_ROWS:,} shown)" if len(positions) > SHOWN_ROWS else ""
    st.markdown(f"**{len(positions):,} rows** · {drill.text}{more}")
    st.dataframe(rows, width="stretch", height=300, key=K.DRILL_ROWS)
    if clicked is not None:  # Streamlit has no scroll call: a script brings the result into view once per click
        clicks = state.value(K.CLICKS, 0) + 1
        state.put(K.CLICKS, clicks)
        st.html(SCROLL_TO_DRILL % clicks, unsafe_allow_javascript=True)


def picked_drill(options: dict[str, Condition | None]) -> Drill:
    """The drill-down the pickers show (a split, and the conditions of the labels picked)."""
    chosen = [options.get(state.value(name)) for name in K.DRILL_PICKERS[1:]]
    return Drill(state.value(K.DRILL_SPLIT), tuple(c for c in chosen if c))


# --------------------------------------------------------------------------- 6. compare strategies


def comparison_configs(data: Dataset, config: SplitConfig) -> dict[str, SplitConfig]:
    """random and stratified (keeping this split's Group column whole, as split() does), group, time."""
    return strategy_configs(config, config.group_column or data.group_column, config.time_column or data.time_column)


INFINITE = "∞ (undefined)"


def column_of(table, column: str, label: str, fmt: str):
    """A number column, or a text column when infinite values were written as words."""
    if table[column].dtype == object:
        return st.column_config.TextColumn(label, help="∞ (undefined): in some split a label is on every row, so "
                                                       "its ratio of rows with and without it has no finite value")
    return st.column_config.NumberColumn(label, format=fmt)


@st.fragment
def compare_section(data: Dataset, tasks: tuple[Task, ...], config: SplitConfig) -> None:
    """Strategies side by side; its button reruns only this part."""
    st.subheader("Compare strategies")
    group_column = config.group_column or data.group_column
    time_column = config.time_column or data.time_column
    try:
        configs = comparison_configs(data, config)
    except TaskSplitError as error:
        st.error(str(error))
        return
    placed = {"first": ", each group placed by its first time", "last": ", each group placed by its last time",
              "rows": ", rows by time with groups straddling"}
    kept = configs["random"].group_column
    unit = f"whole `{kept}` groups" if kept else "rows"
    ways = {name: STRATEGIES[name].compare_words.format(
        unit=unit, group_column=group_column, time_column=time_column,
        placing=placed[compared.group_time] if compared.time_groups else "") for name, compared in configs.items()}
    if kept:
        groups_note = (f" With the Group column `{kept}` set, random and stratified keep its groups whole, as they do "
                       "on the Split page" + (", so stratified is the group split, shown once as group."
                                              if "stratified" not in configs else "."))
    elif group_column:
        groups_note = (f" The Split page has no Group column, so random and stratified deal single rows and may cut "
                       f"`{group_column}` groups.")
    else:
        groups_note = ""
    st.caption(
        f"The same data and tasks split {len(configs)} ways with this split's sizes and seed: "
        + "; ".join(ways[name] for name in configs) + "." + groups_note
    )
    compare_key = K.compared(data.fingerprint)
    if data.n_rows > AUTO_COMPARE_ROWS and not state.value(compare_key):
        if st.button(f"Compare strategies on all {data.n_rows:,} rows (takes several seconds)", key=K.COMPARE_RUN):
            state.put(compare_key, True)
            st.rerun(scope="fragment")
    else:
        try:
            comparison = compute.strategy_comparison(
                data.fingerprint, tasks, tuple(configs.items()), group_column, data.frame
            )
        except TaskSplitError as error:  # each config's own failure is a row of the table; this is the rest
            st.error(str(error))
            return
        recommendation = recommend_strategy(comparison, group_column=group_column, time_column=time_column)
        st.success(f"Recommended: {recommendation.text}", icon=":material/recommend:")
        st.plotly_chart(
            compute.comparison_figure(data.fingerprint, tasks, tuple(configs.items()), group_column,
                                      recommendation.config, comparison),
            width="stretch", key=K.COMPARE_CHART,
        )
        columns = ["config", "status", "ld", "lpd", "worst_js", "ed_share", "fz", "flz", "groups_split", "seconds"]
        table = comparison[columns].copy()
        infinite = {"ld": "%.4f", "lpd": "%.5f"}  # an infinite LD or LPD reads as words, not "Infinity"
        for column, fmt in infinite.items():
            if np.isinf(table[column].to_numpy(dtype=float)).any():
                table[column] = [INFINITE if np.isinf(v) else ("" if v != v else fmt % v) for v in table[column]]
        st.dataframe(
            table, hide_index=True, width="stretch",
            column_config={
                "config": st.column_config.TextColumn("config", width="small"),
                "status": st.column_config.TextColumn("status", width="small"),
                "ld": column_of(table, "ld", "LD", "%.4f"),
                "lpd": column_of(table, "lpd", "LPD", "%.5f"),
                "worst_js": st.column_config.NumberColumn("worst JS", format="%.4f"),
                "ed_share": st.column_config.NumberColumn("ED (share)", format="percent"),
                "groups_split": st.column_config.NumberColumn(f"groups split ({group_column})" if group_column else
                                                              "groups split", format="%d"),
                "seconds": st.column_config.NumberColumn("split time (s)", format="%.2f"),
            },
        )
        # why each strategy got its status, wrapped in full under the table (a table cell cut it off)
        st.markdown("**Why** (what each strategy promises, and which of it did not hold)  \n" + "  \n".join(
            f"**{row.config}** {BADGE.get(row.status, row.status)} "
            f"{str(row.reason).split(': ', 1)[-1] if str(row.reason).startswith(row.status) else row.reason}"
            + (f" · could not split: {row.error}" if row.error and str(row.error) not in str(row.reason) else "")
            for row in comparison.itertuples(index=False)
        ))


def render(data: Dataset, tasks: tuple[Task, ...], config: SplitConfig) -> None:
    """The Diagnostics page for the session's dataset, tasks and split config."""
    st.title("Diagnostics")
    work = require_work(data, tasks, config, "diagnose")
    whole = compute.whole_split(*work.key, work.frame)
    rows = f"{whole.source.n_rows:,}" if whole is not None else f"{data.n_rows:,}"
    st.caption(
        f"`{data.name}` · {rows} rows · {len(tasks)} task(s) · **{config.strategy}** split into "
        f"{', '.join(work.split_names)}. Change the split on the Split page; everything below follows it."
    )
    if whole is not None:
        st.caption(f"The scorecard and the leakage checks cover all {whole.source.n_rows:,} rows (counted on the "
                   f"cluster); the charts, the drill-down and the strategy comparison show a random sample of "
                   f"{whole.source.sample_rows:,} rows.")
    scorecard(work)
    st.subheader("Leakage")
    leakage_slot = st.empty()  # filled last: the charts below are sent to the browser first
    events = distributions(work)
    cooccurrence_section(work, events)
    compare_section(data, tasks, config)
    leakage_section(leakage_slot, work)  # last: its sampled checks run while the browser draws the charts above


render(state.dataset(), state.tasks(), state.split_config())
