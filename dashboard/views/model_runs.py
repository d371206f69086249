"""The Model page's runs: every run in the runs folder in one table, their curves overlaid, repeats with more seeds.

Runs are folders (``core.training.RunWriter``): the page's own runs, the queued
repeats and runs made with ``python -m core train --runs-dir DIR`` all land there,
so they survive a page reload and open here. The table is read from the folders
on every draw and redrawn every second while a run in it is live (with the curves,
every half second, while the page's own run trains).
"""

from __future__ import annotations

import os
import time
from dataclasses import fields, replace

import pandas as pd
import streamlit as st

from core.errors import TaskSplitError
from core.figures import FIGURE_ERRORS, failure_note, run_curves, run_marks
from core.model import ModelConfig
from core.tasks import Task
from core.training import (
    RunRecord,
    TrainConfig,
    baseline_losses,
    check_runs_dir,
    list_runs,
    negative_transfer,
    runs_frame,
    seed_gains,
    seed_summary,
    split_digest,
)
from dashboard import state
from dashboard.guards import Work
from dashboard.training_run import RunRequest

K = state.ModelKeys
POLL_SECONDS = 1.0  # how often the table and curves redraw while a run in the folder is live
LIVE_WITHIN = 300  # seconds: a "running" run whose history has not moved for longer is taken for dead
REPEAT_SEEDS = 3


def default_runs_dir() -> str:
    """``$TASKSPLIT_RUNS_DIR``, else ``runs`` in the folder the app was started from (git-ignored)."""
    return os.environ.get("TASKSPLIT_RUNS_DIR") or "runs"

COLUMNS = {
    "started": "started", "data": "data", "design": "design", "weighting": "weighting", "seed": "seed", "status": "status",
    "task": "task", "metric": "metric", "best_val": "best val", "best_epoch": "at epoch", "test": "test",
    "seeds": "seeds done", "test_seeds": "test over seeds", "single_task": "single-task", "trees": "trees",
    "vs_single_task": "Δ vs single-task", "vs_trees": "Δ vs trees", "delta_m_single_task": "Δm vs single-task",
    "delta_m_trees": "Δm vs trees", "delta_m_seeds": "Δm over seeds",
}


def chosen_runs_dir() -> str | None:
    """The runs folder set on the page (default ``./runs``), or None when it is not usable (the page says why)."""
    folder = str(state.value(K.RUNS_DIR, default_runs_dir()) or "").strip()
    if not folder:
        return None
    try:
        check_runs_dir(folder)
    except TaskSplitError:
        return None
    return folder


def runs_of_split(fingerprint: str, assignment) -> tuple[RunRecord, ...]:
    """The ended runs in the runs folder made on this data and split (the Export page's report shows them)."""
    folder = chosen_runs_dir()
    if folder is None:
        return ()
    digest = digest_of(assignment)
    return tuple(run for run in list_runs(folder) if run.status == "done"
                 and run.config.get("data", {}).get("fingerprint") == fingerprint
                 and run.config.get("split", {}).get("digest") == digest)


def _folder_setting() -> str | None:
    folder = st.text_input("Runs folder", value=default_runs_dir(), key=K.RUNS_DIR,
                           help="Every run (this page's, the queued repeats, `python -m core train --runs-dir DIR`) "
                                "writes a folder here; the table reads them back.").strip()
    if not folder:
        st.error("The runs folder is empty; give a folder, e.g. runs.")
        return None
    try:
        check_runs_dir(folder)
    except TaskSplitError as error:
        st.error(str(error))
        return None
    return folder


def _started(run: RunRecord) -> str:
    """When the run started (UTC, from its folder's name), or the folder's name."""
    day, stamp = run.name[4:8], run.name[9:15]
    if not (day.isdigit() and stamp.isdigit()):
        return run.name
    return f"{day[:2]}-{day[2:]} {stamp[:2]}:{stamp[2:4]}:{stamp[4:]}"


def _label(run: RunRecord) -> str:
    return f"{run.design} · {run.weighting} · seed {run.seed} · {_started(run)}"


def _mean_sd(mean, sd, seeds) -> str | None:
    if mean is None or pd.isna(mean) or seeds is None or seeds < 2:
        return None
    return f"{mean:.3f} ± {sd:.3f}"


def table_view(runs: tuple[RunRecord, ...]) -> pd.DataFrame:
    """The runs table as shown: newest run first, one row per task, mean ± sd over the seeds of its setting."""
    table = runs_frame(runs)
    summary = seed_summary(table).set_index(["setting", "task"])
    table["started"] = table["run"].map({run.name: _started(run) for run in runs})
    seeds = [summary.loc[key] if key in summary.index else None for key in zip(table["setting"], table["task"], strict=True)]
    table["seeds"] = [None if s is None else int(s["seeds"]) for s in seeds]
    table["test_seeds"] = [None if s is None else _mean_sd(s["test_mean"], s["test_sd"], s["seeds"]) for s in seeds]
    table["delta_m_seeds"] = [None if s is None else _mean_sd(s["delta_m_single_task_mean"], s["delta_m_single_task_sd"],
                                                              s["seeds"]) for s in seeds]
    order = {run.name: i for i, run in enumerate(reversed(runs))}
    table = table.sort_values("run", key=lambda names: names.map(order), kind="stable").reset_index(drop=True)
    return table


HERE, OTHER_SPLIT = "this split", "this data, another split"


def data_of(work: Work, run: RunRecord) -> str:
    """Which data and split ``run`` was made on, in the page's words: the runs folder holds runs of any data."""
    if made_here(work, run):
        return HERE
    data = run.config.get("data", {})
    if data.get("fingerprint") == work.data.fingerprint:
        return OTHER_SPLIT
    return f"{data.get('name') or 'unnamed data'} (other data)"


def _selected(event, table: pd.DataFrame) -> list[str]:
    """The runs of the selected rows; none selected, the newest run made on this split (else the newest)."""
    selection = getattr(event, "selection", None) or (event.get("selection") if isinstance(event, dict) else None)
    rows = list(getattr(selection, "rows", None) or (selection or {}).get("rows", []) or [])
    names = list(dict.fromkeys(table.loc[[r for r in rows if r < len(table)], "run"]))
    if names or not len(table):
        return names
    here = table.loc[table["data"] == HERE, "run"] if "data" in table else table["run"].iloc[:0]
    return [(here if len(here) else table["run"]).iloc[0]]


UNFINISHED_BLANK = ("test", "single-task", "trees", "Δ vs single-task", "Δ vs trees", "Δm vs single-task", "Δm vs trees")
STATUS_HELP = ("done: trained to its last epoch or early stopping; cancelled: stopped before it ended (no test "
               "metric: select it to see its curves); failed: its loss became non-finite; running: still training.")


def shown_table(table: pd.DataFrame) -> pd.DataFrame:
    """The table's shown columns under their names; a run that did not finish has no test metric or comparison.

    Examples
    --------
    >>> row = {column: 0.5 for column in COLUMNS} | {"status": "cancelled"}
    >>> [str(v) for v in shown_table(pd.DataFrame([row]))[["status", "best val", "test"]].iloc[0]]
    ['cancelled', '0.5', 'nan']
    """
    shown = table.reindex(columns=list(COLUMNS)).rename(columns=COLUMNS)
    unfinished = shown["status"] != "done"
    shown[list(UNFINISHED_BLANK)] = shown[list(UNFINISHED_BLANK)].astype("float64").mask(unfinished)
    return shown


def _show_table(table: pd.DataFrame) -> list[str]:
    shown = shown_table(table)
    for column in ("seeds done", "test over seeds", "Δm over seeds"):
        if shown[column].isna().all() or column == "seeds done" and (shown[column].fillna(1) < 2).all():
            shown = shown.drop(columns=column)
    numbers = ("best val", "test", "single-task", "trees", "Δ vs single-task", "Δ vs trees")
    config = {c: st.column_config.NumberColumn(c, format="%.3f") for c in numbers}
    config.update({c: st.column_config.NumberColumn(c, format="percent") for c in ("Δm vs single-task", "Δm vs trees")})
    config["at epoch"] = st.column_config.NumberColumn("at epoch", format="%d")
    config["status"] = st.column_config.TextColumn("status", width=90, help=STATUS_HELP)  # "cancelled" was cut
    event = st.dataframe(shown, key=K.RUNS_TABLE, on_select="rerun", selection_mode="multi-row", hide_index=True,
                         width="stretch", placeholder="–", column_config=config,
                         height=35 * (min(len(shown), 15) + 1) + 3)
    return _selected(event, table)


def _verdicts(runs: dict[str, RunRecord], chosen: list[str], table: pd.DataFrame) -> None:
    """Say in words where the multi-task net loses to a baseline, run by run (naming a run's data when it is not
    this split's)."""
    said = []
    where = dict(zip(table["run"], table["data"], strict=True)) if "data" in table else {}
    for name in chosen:
        run = runs[name]
        metrics = run.metrics or {}
        on = f" · {where[name]}" if where.get(name, HERE) != HERE else ""
        if metrics.get("baselines"):
            said += [f"{_label(run)}{on}: {sentence}" for sentence in
                     baseline_losses(metrics.get("test") or {}, metrics["baselines"], run.kinds)]
    if said:
        st.info("  \n".join(said), icon=":material/trending_down:")
    elif any((runs[name].metrics or {}).get("baselines") for name in chosen):
        st.success("On every task of the selected runs the multi-task net is at least as good as the single-task "
                   "nets and the trees.", icon=":material/check:")


@st.cache_resource(max_entries=8, show_spinner=False)
def _curves_figure(drawn: tuple, part: str, smoothing: float, log_x: bool, log_y: bool, _runs: dict, _table):
    """The selected runs' curves, built once per (runs, epochs so far, status) and view: the fragment polls every
    second while a run is live and a new epoch comes every few seconds at most."""
    chosen = [name for name, _, _ in drawn]
    history = pd.concat([_runs[name].history_frame() for name in chosen], ignore_index=True)
    return run_curves(history, run_marks(_table[_table["run"].isin(chosen)]), part=part, smoothing=smoothing,
                      log_x=log_x, log_y=log_y, labels={name: _label(_runs[name]) for name in chosen})


def _curves(runs: dict[str, RunRecord], chosen: list[str], table: pd.DataFrame) -> None:
    view = st.columns([1.2, 2, 1, 1], vertical_alignment="bottom")
    part = view[0].radio("Loss", ("val", "train"), horizontal=True, key=K.RUNS_PART)
    smoothing = view[1].slider("Smoothing (debiased EMA)", 0.0, 0.95, 0.6, 0.05, key=K.RUNS_SMOOTHING)
    log_x = view[2].toggle("Log x", value=True, key=K.RUNS_LOG_X)
    log_y = view[3].toggle("Log y", value=True, key=K.RUNS_LOG_Y)
    if not any(runs[name].history for name in chosen):
        st.caption("The selected runs have no epochs yet.")
        return
    drawn = tuple((name, len(runs[name].history), runs[name].status) for name in chosen)
    try:
        figure = _curves_figure(drawn, part, smoothing, log_x, log_y, runs, table)
    except FIGURE_ERRORS as error:
        st.warning(failure_note("runs' curves", error), icon=":material/broken_image:")
        return
    st.plotly_chart(figure, width="stretch", key=K.RUNS_CURVES)


_DIGESTS: list[tuple[object, str]] = []  # (assignment, its digest): the few splits polled lately


def digest_of(assignment) -> str:
    """:func:`split_digest` of ``assignment``, remembered for the same object (the session's cached split).

    The runs fragment polls every second while a run is live and compared each run in the folder with the
    split: a 336,776-row digest per run per poll stalled the live curves' fragment for seconds on flights.
    """
    for known, digest in _DIGESTS:
        if known is assignment:
            return digest
    digest = split_digest(assignment)
    _DIGESTS[:] = [(assignment, digest), *_DIGESTS[:3]]
    return digest


def made_here(work: Work, run: RunRecord) -> bool:
    """Whether ``run`` was made on the page's data and split (fingerprint and split digest)."""
    return (run.config.get("data", {}).get("fingerprint") == work.data.fingerprint
            and run.config.get("split", {}).get("digest") == digest_of(work.assignment))


def seeds_of_setting(work: Work, runs: tuple[RunRecord, ...], chosen: list[str]) -> tuple[RunRecord, ...]:
    """The finished runs with single-task baselines of one setting on this data and split, one per seed (the
    newest): the first selected run's setting if it was made here, else the newest run's made here."""
    here = [run for run in runs if made_here(work, run)]
    anchor = next((run for name in chosen for run in here if run.name == name), here[-1] if here else None)
    if anchor is None:
        return ()
    by_seed = {}
    for run in here:  # oldest first: a later run of a seed replaces an earlier one
        if (run.setting == anchor.setting and run.status == "done"
                and ((run.metrics or {}).get("baselines") or {}).get("single_task")):
            by_seed[run.seed] = run
    return tuple(by_seed.values())


def transfer_over_seeds(work: Work, runs: tuple[RunRecord, ...], chosen: list[str]) -> None:
    """Tasks worse than alone on every finished seed of the selected setting, in words, and the rule; with one
    seed, say so and point to *Repeat with 3 seeds*."""
    seeds = seeds_of_setting(work, runs, chosen)
    if not seeds:
        return
    setting = f"{seeds[-1].design} · {seeds[-1].weighting}"
    if len(seeds) == 1:
        st.caption(f"Negative transfer over seeds: {setting} has one finished seed with single-task baselines on "
                   f"this data and split; press **Repeat with {REPEAT_SEEDS} seeds** to flag the tasks that do worse "
                   "trained with the others than alone over seeds.")
        return
    metrics, numbers, kinds = [run.metrics for run in seeds], [run.seed for run in seeds], seeds[-1].kinds
    lines = negative_transfer(seed_gains(metrics, numbers, kinds))
    for line in lines:
        st.warning(f"**Negative transfer** ({setting}): {line}", icon=":material/call_split:")
    tree_lines = negative_transfer(seed_gains(metrics, numbers, kinds, baseline="trees"), against="the trees")
    for line in tree_lines:
        st.warning(f"**Loses to the trees** ({setting}): {line}", icon=":material/forest:")
    rule = (f"Negative transfer over the {len(seeds)} finished seeds of {setting} on this data and split "
            f"(seeds {', '.join(str(run.seed) for run in seeds)}): a task is flagged when its primary test metric "
            "is below its single-task net's on every seed (so its mean gain is below 0 too); the % is the mean "
            "gain relative to the single-task net. The same rule against the gradient-boosted trees flags the tasks "
            "where the trees beat the net on every seed.")
    found = ("" if lines else "No task is worse than alone on every seed. ") + (
        "" if tree_lines else "No task is worse than the trees on every seed. ")
    st.caption(found + rule)


# --------------------------------------------------------------------------- repeat with seeds


def _of(kind, values: dict):
    names = {f.name for f in fields(kind)}
    return kind(**{k: v for k, v in values.items() if k in names})


def repeat_requests(work: Work, run: RunRecord, runs: tuple[RunRecord, ...], folder: str) -> list[RunRequest]:
    """The runs that give ``run``'s setting :data:`REPEAT_SEEDS` seeds (its seed and the next ones not run yet).

    A run made on other data or another split is a DataError-like one-liner (TaskSplitError) naming the fix.
    """
    made_on = run.config.get("data", {}).get("fingerprint")
    if made_on != work.data.fingerprint or run.config.get("split", {}).get("digest") != digest_of(work.assignment):
        raise _NotHere(f"The run {_label(run)} was made on other data or another split; open its data and split "
                       f"({run.config.get('data', {}).get('name', 'unknown data')}) on the Data and Split pages "
                       "to repeat it.")
    have = {r.seed for r in runs if r.setting == run.setting and r.status in ("done", "running")}
    wanted = [seed for seed in range(run.seed, run.seed + REPEAT_SEEDS) if seed not in have]
    config = _of(TrainConfig, dict(run.config["train"]))
    tasks = tuple(Task(t["name"], tuple(t["columns"]), t["kind"]) for t in run.config["tasks"])
    features = run.config.get("features")
    return [RunRequest(
        frame=work.frame, tasks=tasks, assignment=work.assignment, config=replace(config, seed=seed),
        model_config=_of(ModelConfig, dict(run.config["model"])),
        feature_columns=None if features is None else tuple(features),
        test_fold=int(run.config.get("split", {}).get("test_fold") or 0), group_column=work.config.group_column,
        id_column=work.data.id_column, time_column=work.data.time_column,
        baselines=bool(run.config.get("baselines")), key=work.key, runs_dir=folder,
        data={"name": work.data.name, "fingerprint": work.data.fingerprint},
    ) for seed in wanted]


class _NotHere(TaskSplitError):
    """A run that cannot be repeated on the data and split shown."""


def _repeat(work: Work, runs: dict[str, RunRecord], chosen: list[str], folder: str) -> None:
    queue = state.run_queue()
    busy = queue is not None and queue.running
    left, right = st.columns([3, 1], vertical_alignment="center")
    clicked = left.button(f"Repeat with {REPEAT_SEEDS} seeds", key=K.RUNS_REPEAT, icon=":material/repeat:",
                          disabled=busy or not chosen,
                          help="Queues the selected run's setting with its seed and the next ones not run yet; "
                               "they train in the background, one after another, and the table shows mean ± sd.")
    if busy:
        right.button("Cancel queue", key=K.RUNS_CANCEL, icon=":material/cancel:", on_click=state.cancel_queue,
                     width="stretch")
    if queue is not None:
        snapshot = queue.snapshot()
        st.caption(snapshot.line())
        for error in snapshot.errors:
            st.error(error)
    if not clicked:
        return
    run = runs[chosen[0]]
    try:
        requests = repeat_requests(work, run, tuple(runs.values()), folder)
    except TaskSplitError as error:
        st.warning(str(error))
        return
    if not requests:
        st.info(f"{_label(run)} already has {REPEAT_SEEDS} seeds.")
        return
    state.start_queue(requests)
    st.rerun()


def _live(runs: tuple[RunRecord, ...]) -> bool:
    """Whether something may still change the table: the queue or the page's run, or a run still writing."""
    queue, training = state.run_queue(), state.training()
    if (queue is not None and queue.running) or (training is not None and training.running):
        return True
    now = time.time()
    return any(run.status == "running" and now - (run.path / "history.jsonl").stat().st_mtime < LIVE_WITHIN
               for run in runs if (run.path / "history.jsonl").exists())


def runs_section(work: Work, folder: str, was_live: bool) -> None:
    """The runs table, the verdicts, the curves and the queue; a fragment, polled while a run is live."""
    try:
        found = list_runs(folder)
    except TaskSplitError as error:
        st.error(str(error))
        return
    live = _live(found)
    if was_live and not live:
        st.rerun()  # everything has ended: one full redraw, then no more polling
    if not was_live and live:
        st.rerun()  # something started (a queue): redraw with polling on
    if not found:
        st.info(f"No runs in `{folder}` yet: press **Train** above, or run "
                f"`python -m core train DATA --split-file FILE --runs-dir {folder} --out metrics.json`.")
        return
    runs = {run.name: run for run in found}
    table = table_view(found)
    table["data"] = table["run"].map({run.name: data_of(work, run) for run in found})
    chosen = _show_table(table)
    st.caption("Select rows to compare their runs. Δ is the multi-task net's primary test metric minus the baseline's "
               "(positive: the multi-task net is better); Δm the mean relative gain over tasks (Maninis et al. 2019).")
    _verdicts(runs, chosen, table)
    transfer_over_seeds(work, found, chosen)
    _repeat(work, runs, chosen, folder)
    _curves(runs, chosen, table)


def render(work: Work, *, polled: bool = False) -> None:
    """The Runs section of the Model page: its own fragment, polled while a run in the folder is live (a queue,
    a command-line run); ``polled``: drawn inside the page's live poll (``model.live_page``) while the page's
    own run trains, so one timer redraws curves and table."""
    st.subheader("Runs")
    folder = _folder_setting()
    if folder is None:
        return
    if polled:
        runs_section(work, folder, True)
        return
    try:
        live = _live(list_runs(folder))
    except TaskSplitError:
        live = False
    st.fragment(runs_section, run_every=POLL_SECONDS if live else None)(work, folder, live)
