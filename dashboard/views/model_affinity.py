"""The Model page's task affinity: the live gradient-cosine heatmap, the lookahead affinity (TAG), a grouping to train.

Called from ``views/model.py``: :func:`live` inside the live-curves fragment (the heatmap redraws with the
loss curves), :func:`render` below a finished run's results. The lookahead measurement and the grouping's
training run in background jobs (``dashboard.affinity_jobs``), polled by a fragment like the curves.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.errors import TaskSplitError
from core.figures import FIGURE_ERRORS, affinity_heatmap, failure_note
from core.training import (
    AFFINITY_BATCHES,
    EXHAUSTIVE_TASKS,
    affinity_frame,
    grouped_frame,
    negative_transfer,
    suggest_groups,
)
from dashboard import state
from dashboard.affinity_jobs import groups_job, lookahead_job
from dashboard.training_run import TrainingRun

K = state.AffinityKeys
REFRESH_SECONDS = 0.5
COSINE, LOOKAHEAD = "gradient cosine (last epoch)", "lookahead affinity (TAG)"
MEASURED_ON = {  # what the gradient cosine compares, per sharing design (core.training.comparable_parameters)
    "hard": ("the shared trunk", "the shared trunk's parameters"),
    "soft": ("the corresponding trunk weights",
             "the corresponding weights of the tasks' trunks (soft sharing shares no parameter: each task has its "
             "own trunk, and the trunks start equal, so each task's gradient on its own trunk is compared)"),
    "mmoe": ("the shared experts", "the shared experts' parameters"),
    "hierarchical": ("the shared blocks", "the trunk blocks both tasks' heads reach"),
}


@st.cache_resource(max_entries=16, show_spinner=False)
def _heatmap(run_id: int, version: object, _affinity, title: str, value_name: str, row_title: str,
             column_title: str, fitted: bool):
    """The heatmap of ``_affinity`` (cached per run and ``version``), or the one line saying why it failed."""
    try:
        return affinity_heatmap(affinity_frame(_affinity), title=title, value_name=value_name, row_title=row_title,
                                column_title=column_title, symmetric_range=None if fitted else 1.0,
                                percent=fitted), None
    except FIGURE_ERRORS as error:
        return None, failure_note("task affinity", error)


def _show(drawn, key: str) -> None:
    figure, note = drawn
    if figure is None:
        st.warning(note, icon=":material/broken_image:")
    else:
        st.plotly_chart(figure, width="stretch", key=key)


def measured_pairs(affinity) -> int:
    """How many pairs of distinct tasks have a measured affinity (not None).

    Examples
    --------
    >>> measured_pairs({"a": {"a": 1.0, "b": None}, "b": {"a": None, "b": 1.0}})
    0
    """
    return sum(value is not None for task, row in affinity.items() for other, value in row.items() if other != task)


def live(snapshot) -> None:
    """The last epoch's gradient cosine as a heatmap (inside the live fragment, so it redraws every epoch)."""
    measured = [r for r in snapshot.records if r.affinity]
    if not measured or len(measured[-1].affinity) < 2:
        return
    last = measured[-1]
    run = state.training()
    design = run.request.model_config.architecture if run is not None else "hard"
    short, long = MEASURED_ON.get(design, ("the shared parameters", "the shared parameters"))
    if not measured_pairs(last.affinity):
        st.info(f"No two tasks' gradients meet on {long}, so there is no gradient affinity to show or group by; "
                "the lookahead affinity (TAG) below measures one on a shared trunk.", icon=":material/info:")
        return
    _show(_heatmap(snapshot.run_id, last.epoch, last.affinity,
                   f"Task affinity: gradient cosine on {short}, epoch {last.epoch}", "cosine", "task",
                   "task", False), K.HEATMAP)
    st.caption(f"Cosine of the tasks' gradients on {long}, averaged over {AFFINITY_BATCHES} sampled "
               "batches of train rows after each epoch: blue, the tasks pull the same way; red, they "
               "conflict. A task without labels in a batch is left out of that batch.")


@st.cache_data(max_entries=32, show_spinner=False)
def _grouping(cells: tuple, max_groups: int):
    affinity: dict[str, dict[str, float | None]] = {}
    for task, other, value in cells:
        affinity.setdefault(task, {})[other] = value
    return suggest_groups(affinity, max_groups=max_groups)


def _cells(affinity) -> tuple:
    return tuple((task, other, value) for task, row in affinity.items() for other, value in row.items())


def transfer_flags(snapshot) -> None:
    """Tasks that did worse trained with the others than alone, in words (the run's single-task comparison)."""
    if snapshot.gain is None:
        st.caption("Tick *Also train single-task baselines* and train again to flag tasks that do worse trained "
                   "with the others than alone (negative transfer).")
        return
    lines = negative_transfer([snapshot.gain])
    for line in lines:
        st.info(f"**Negative transfer**: {line}", icon=":material/call_split:")
    if not lines:
        st.caption("No task did clearly worse trained with the others than alone (one seed).")
    st.caption("This run is one seed: *Repeat with 3 seeds* in the Runs section below flags negative transfer "
               "over seeds (tasks worse than alone on every seed).")


def _job_status(kind: str, run_id: int):
    job = state.affinity_job(kind)
    return None if job is None or job.run_id != run_id else job.snapshot()


def jobs_section(run: TrainingRun, was_live: bool) -> None:
    """TAG and grouping: buttons, the running job's progress, and their results (a fragment, polled while live)."""
    snapshot = run.snapshot()
    tag, trained = _job_status("lookahead", run.id), _job_status("groups", run.id)
    live_now = any(job is not None and job.running for job in (tag, trained))
    if was_live and not live_now:
        st.rerun()  # a job has just ended: redraw once with its results, and stop polling
    for job in (tag, trained):
        if job is not None and job.running:
            bar, button = st.columns([5, 1], vertical_alignment="bottom")
            bar.progress(job.progress, text=job.text)
            button.button("Stop", key=K.STOP, on_click=state.stop_affinity_jobs, width="stretch")
        elif job is not None and job.error:
            st.error(job.error)
    if st.button("Measure the lookahead affinity (TAG)", key=K.LOOKAHEAD, disabled=live_now,
                 help="Fifty et al. 2021: a short equal-weighted run (2 epochs, more on small data); at every 5th batch "
                      "(every batch on small data), how much a step on one task's loss lowers each other task's "
                      "loss on that batch."):
        state.start_affinity_job(lookahead_job(run.id, run.request))
        st.rerun()
    sources = {COSINE: snapshot.records[-1].affinity if snapshot.records else {}}
    if tag is not None and tag.result is not None and not tag.running:
        result = tag.result
        sources[LOOKAHEAD] = result.affinity
        _show(_heatmap(run.id, ("tag", result.steps), result.affinity,
                       f"Lookahead affinity (TAG), {result.steps} measured batches in {result.epochs} epochs",
                       "loss drop, %", "step on task", "loss of task", True), K.LOOKAHEAD_MAP)
        st.caption("Row i, column j: the percent by which one gradient step on task i alone lowered task j's loss "
                   "on the same batch (negative: it raised it); one small step moves a loss by a fraction of a "
                   "percent, so read the signs and the ranking" + (", until you stopped it." if result.stopped else "."))
    grouping_section(run, snapshot, sources, live_now, trained)


def grouping_section(run: TrainingRun, snapshot, sources: dict, live_now: bool, trained) -> None:
    """The suggested grouping from the chosen affinity, the Train button, and the grouped results."""
    sources = {name: affinity for name, affinity in sources.items() if len(affinity) >= 2}
    unmeasured = [name for name, affinity in sources.items() if not measured_pairs(affinity)]
    sources = {name: affinity for name, affinity in sources.items() if name not in unmeasured}
    if unmeasured and not sources:
        st.info(f"No grouping is suggested: the {' and the '.join(unmeasured)} measured no pair of tasks. "
                "Measure the lookahead affinity (TAG) to group the tasks.", icon=":material/info:")
    if not sources:
        return
    names = list(sources)
    left, right = st.columns([2, 1])
    source = left.selectbox("Group the tasks by", names, index=len(names) - 1, key=K.source(len(names)))
    tasks = len(sources[source])
    most = right.number_input("At most this many groups", 2, max(2, tasks), min(3, tasks), key=K.MAX_GROUPS)
    try:
        grouping = _grouping(_cells(sources[source]), int(most))
    except TaskSplitError as error:
        st.error(str(error))
        return
    st.markdown(f"**{grouping.words()}**")
    st.dataframe(grouping.to_frame(), hide_index=True, width="stretch",
                 column_config={"score": st.column_config.NumberColumn("score", format="%.3g")})
    st.caption(f"The best split into each number of groups, by the total affinity of the pairs of tasks that share a "
               f"group ({'every partition tried' if grouping.method == 'exhaustive' else 'greedy merging'}; "
               f"exhaustive up to {EXHAUSTIVE_TASKS} tasks).")
    if st.button(f"Train this grouping ({len(grouping.groups)} models)", key=K.TRAIN_GROUPS, disabled=live_now,
                 help="One model per group on the same split and settings; each task's test metric then shows "
                      "beside the all-tasks model's."):
        state.start_affinity_job(groups_job(run.id, run.request, grouping.groups))
        st.rerun()
    if trained is not None and trained.result and not trained.running and snapshot.result is not None:
        st.markdown("**Grouped vs all tasks together** (primary test metric)")
        table = grouped_frame(snapshot.result, trained.result, snapshot.baselines)
        if table["alone"].isna().all():
            table = table.drop(columns="alone")
        shown = table.rename(columns=GROUPED_COLUMNS)
        st.dataframe(shown, hide_index=True, width="stretch", column_config={
            c: st.column_config.NumberColumn(c, format="%.3f") for c in shown.columns if c in NUMBERS})
        st.caption(_verdict(table))


GROUPED_COLUMNS = {"all_tasks": "all tasks in one model", "group": "its group", "grouped": "in its group",
                   "alone": "alone", "grouped_minus_all": "group − all (gain)"}
NUMBERS = ("all tasks in one model", "in its group", "alone", "group − all (gain)")


def _verdict(table: pd.DataFrame) -> str:
    known = table.dropna(subset=["grouped_minus_all"])
    better = known.loc[known["grouped_minus_all"] > 0, "task"].tolist()
    worse = known.loc[known["grouped_minus_all"] < 0, "task"].tolist()
    return (f"Grouped better on {', '.join(better) or 'no task'}; worse on {', '.join(worse) or 'no task'}. "
            "One seed: a difference of a few thousandths is noise.")


def render(run: TrainingRun) -> None:
    """The task affinity section below a finished run's results (nothing for a single task or a failed run)."""
    snapshot = run.snapshot()
    if snapshot.result is None or len(snapshot.tasks) < 2:
        return
    st.subheader("Task affinity")
    transfer_flags(snapshot)
    tag, trained = _job_status("lookahead", run.id), _job_status("groups", run.id)
    live_now = any(job is not None and job.running for job in (tag, trained))
    st.fragment(jobs_section, run_every=REFRESH_SECONDS if live_now else None)(run, live_now)
