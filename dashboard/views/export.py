"""Export page: download the assignment, the workspace (tasks, roles, split) and the HTML report; load a saved
workspace or split config back."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import streamlit as st

import core
from core.data import Dataset
from core.errors import TaskSplitError
from core.report import (
    Workspace,
    assignment_digest,
    assignment_frame,
    is_workspace,
    render_report,
    reproduce_code,
)
from core.splits import SplitConfig, SplitResult
from core.tasks import Task
from dashboard import compute, large, state
from dashboard.guards import split_problem_banner
from dashboard.report_store import ReportStore
from dashboard.views import model_runs

REPORTS_KEPT = 4  # built HTML reports kept in memory (about 5 MB each), for all sessions together
K = state.ExportKeys
CLI = "python -m core" if core.__name__ == "core" else core.__name__  # installed, `tasksplit app` serves this page


@st.cache_resource(show_spinner=False)
def built_reports() -> ReportStore:
    """Reports already built, by session and (data fingerprint, tasks, config, run id): built once per split."""
    return ReportStore(REPORTS_KEPT)


def summary(result) -> str:
    sizes = " · ".join(f"{row.split} {row.rows:,}" for row in result.to_frame().itertuples(index=False))
    return f"{sizes} · assignment hash `{assignment_digest(result.assignment)}`"


def finished_training(split_key: tuple):
    """The Model page's finished run on this data, tasks and split, as (run id, TrainResult, TransferGain or None);
    else (None, None, None)."""
    run = state.training()
    if run is None or run.running or run.request.key != split_key:
        return None, None, None
    snapshot = run.snapshot()
    if snapshot.result is None:
        return None, None, None
    return run.id, snapshot.result, snapshot.gain


def reproduce_from_upload(data: Dataset, tasks: tuple[Task, ...], config: SplitConfig) -> None:
    """Read a saved workspace or split config; when it fits this data, make it the session's work."""
    uploaded = st.file_uploader(
        "Load a saved workspace or split config (JSON) to get its tasks, roles and split back",
        type=["json"], key=K.CONFIG_UPLOAD,
        help="A workspace restores the tasks, column roles and split on the data it was saved from; a split "
             "config restores the split. The same split on the same data and tasks is the same, row for row.",
    )
    if uploaded is None:
        return
    content = uploaded.getvalue()
    if is_workspace(content):
        restore_workspace(uploaded.name, content, data, tasks, config)
        return
    try:
        loaded = SplitConfig.from_json(content)
        reproduced = compute.split_result(data.fingerprint, tasks, loaded, data.frame)
    except TaskSplitError as error:
        st.error(f"{uploaded.name}: {error}")
        return
    if loaded != config:
        state.set_split_config(loaded)
        st.rerun()  # draw the downloads above, and the sidebar, from the loaded config
    st.success(f"Reproduced the split of **{uploaded.name}**: {summary(reproduced)}. "
               "It is the current split on every page now.")


def offer_on_other_data(name: str, saved: Workspace, data: Dataset) -> None:
    """A workspace of other data whose columns are all here (another export of the table, or the same file read
    by a newer TaskSplit): say so, and offer to use its tasks, roles and split on this data."""
    st.warning(f"{name} was made for {saved.made_for()}; {data.name} here reads as content hash "
               f"{data.fingerprint[:12]}: another version of the table, or the same file read differently by a newer "
               "TaskSplit. Every column it uses is here, so its tasks, roles and split can be used on this data; "
               "the split is then this data's, not the saved one row for row.", icon=":material/difference:")
    st.button("Use its tasks, roles and split on this data", key=K.OTHER_DATA,
              on_click=state.apply_workspace, args=(saved,), kwargs={"other_data": True})


def restore_workspace(name: str, content: bytes, data: Dataset, tasks: tuple[Task, ...], config: SplitConfig) -> None:
    """Make a saved workspace's tasks, roles and split the session's, or say which data it was made for."""
    try:
        saved = Workspace.from_json(content)
        held = (saved.tasks, saved.config) == (tasks, config) and (
            saved.group_column, saved.time_column, saved.id_column) == (data.group_column, data.time_column,
                                                                       data.id_column)
        if not saved.fits(data) and not held:  # once used on this data (the button below), it is the work
            needed = {c for task in saved.tasks for c in task.columns} | {
                c for c in (saved.group_column, saved.time_column, saved.id_column) if c}
            if needed <= set(data.frame.columns):
                offer_on_other_data(name, saved, data)
                return
        changed = state.apply_workspace(saved, other_data=held)
    except TaskSplitError as error:
        st.error(f"{name}: {error}")
        return
    if changed:
        st.rerun()  # every part of this page, and the sidebar, from the restored work
    try:
        reproduced = compute.split_result(data.fingerprint, tasks, config, data.frame)
    except TaskSplitError as error:
        st.error(f"{name}: the workspace's split does not run on this data: {error}")
        return
    listed = ", ".join(task.name for task in tasks) or "none"
    st.success(f"Restored the workspace **{name}**: tasks {listed}; {config.strategy} split, "
               f"{summary(reproduced)}. It is the current work on every page now.")


def downloads(data: Dataset, config: SplitConfig, result: SplitResult, name: str) -> list:
    """The assignment and workspace downloads; returns the row of columns, the last one left for the report."""
    st.subheader("Downloads")
    id_note = f", and the id column `{data.id_column}`" if data.id_column else ""
    st.caption(f"The assignment has a row per data row: `row` (0-based position) and `split`{id_note}, "
               f"as `{CLI} split --out` writes it.")

    def assignment_csv() -> bytes:
        return assignment_frame(result.assignment, data).to_csv(index=False).encode()

    def assignment_parquet() -> bytes:
        buffer = io.BytesIO()
        assignment_frame(result.assignment, data).to_parquet(buffer, index=False)
        return buffer.getvalue()

    columns = st.columns(4)
    columns[0].download_button("Assignment (CSV)", assignment_csv, f"{name}-split.csv", "text/csv",
                               key=K.CSV, icon=":material/download:", on_click="ignore")
    columns[1].download_button("Assignment (Parquet)", assignment_parquet, f"{name}-split.parquet",
                               "application/vnd.apache.parquet", key=K.PARQUET, icon=":material/download:",
                               on_click="ignore")
    columns[2].download_button(
        "Workspace (JSON)", state.workspace().to_json(), f"{name}-workspace.json", "application/json",
        key=K.WORKSPACE, icon=":material/download:", on_click="ignore",
        help="The data's name and content hash, the tasks, the column roles and the split config. Load it below "
             "to get this work back (after a reload, or on the same file uploaded again), or give it to "
             f"`{CLI} split --config`.",
    )
    return columns


def report_button(container, data: Dataset, tasks: tuple[Task, ...], config: SplitConfig, result: SplitResult,
                  name: str) -> bool:
    """Build the HTML report on request (this session's, kept on the server), then offer its download.

    Returns whether it ends with the Model page's training run.
    """
    run_id, training, transfer = finished_training((data.fingerprint, tasks, config))
    runs = model_runs.runs_of_split(data.fingerprint, result.assignment)  # the runs folder's runs of this split
    report_key = (data.fingerprint, tasks, config, run_id, tuple(run.name for run in runs))
    _build_then_download(container, report_key, name, lambda progress: render_report(
        data, tasks, result.assignment, config=config, warnings=result.warnings, training=training,
        transfer=transfer, runs=runs or None, progress=progress))  # transfer: the gain with its intervals
    return training is not None


def cluster_report_button(container, data: Dataset, tasks: tuple[Task, ...], config: SplitConfig, whole,
                          name: str) -> None:
    """A large dataset's HTML report, built on request on the cluster: sizes, scores and checks over every row."""
    report_key = (data.fingerprint, tasks, config, "every row")
    _build_then_download(container, report_key, name, lambda progress: large.whole_report(
        whole, tasks, config, progress=lambda share, text: progress(min(share, 1.0), text)))


def _build_then_download(container, report_key: tuple, name: str, build: Callable[[Callable], str]) -> None:
    """The report's one place: its Build button, then a progress bar while ``build(progress)`` runs, then the
    download. The page is kept on the server for this session under ``report_key``; a library error is one line."""
    reports, session = built_reports(), state.session_token()
    page = reports.get(session, report_key)
    with container:
        slot = st.empty()
        if page is None and slot.button("Build the HTML report", key=K.BUILD_REPORT, icon=":material/description:"):
            bar = slot.progress(0.0, text="Building the report…")
            try:
                page = build(lambda share, text: bar.progress(share, text=text))
            except TaskSplitError as error:
                slot.error(str(error))
            else:
                reports.put(session, report_key, page)
        if page is not None:
            slot.download_button(f"HTML report ({len(page) / 1e6:.1f} MB)", page, f"{name}-report.html",
                                 "text/html", key=K.REPORT, icon=":material/download:", type="primary",
                                 on_click="ignore")


def cluster_section(data: Dataset, tasks: tuple[Task, ...], config: SplitConfig, whole, name: str) -> None:
    """A large dataset's export: where every row's split is, the workspace and config, and the cluster command."""
    source = whole.source
    st.subheader("Split the whole dataset")
    st.markdown(f"The split of all {source.n_rows:,} rows is written on this server at `{whole.out}` "
                "(`row`, its position in the data, and `split`).")
    st.caption(f"A temporary copy: the app keeps the {large.SPLITS_KEPT} newest splits it made and deletes them "
               "all when it stops. Copy the folder elsewhere, or run the command below, to keep the split.")
    columns = st.columns(3)
    cluster_report_button(columns[2], data, tasks, config, whole, name)
    config_file = f"{name}-config.json"
    columns[0].download_button("Split config (JSON)", config.to_json(), config_file, "application/json",
                               key=K.SPLIT_CONFIG, icon=":material/download:", on_click="ignore")
    columns[1].download_button("Workspace (JSON)", state.workspace().to_json(), f"{name}-workspace.json",
                               "application/json", key=K.WORKSPACE, icon=":material/download:", on_click="ignore",
                               help="The data's name, the tasks, the column roles and the split config.")
    st.markdown("To split every row again where the data lives, on a Dask cluster (drop `--scheduler` to use "
                "this machine's cores), with the config saved above:")
    st.code(large.cluster_command(source.path, tasks, config_file, f"{name}-split"), language="bash", wrap_lines=True)
    st.caption(f"The tables, the drill-down and the Model page used a random sample of {source.sample_rows:,} rows; "
               "this command and the scores on the Diagnostics page cover every row.")


def render(data: Dataset, tasks: tuple[Task, ...], config: SplitConfig) -> None:
    """The Export page for the session's dataset, tasks and split config."""
    st.title("Export")
    split_problem_banner()  # the config below is the last split that worked, not the Split page's failing settings
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", data.name.rsplit(".", 1)[0]).strip("-") or "data"
    try:
        result = compute.split_result(data.fingerprint, tasks, config, data.frame)
    except TaskSplitError as error:
        st.error(str(error))
        st.caption("Change the tasks or the split on the Data and Split pages, or load a saved workspace or config "
                   "that fits this data below.")
        st.subheader("Reproduce or restore")  # a fresh upload without tasks is when a saved workspace is wanted
        reproduce_from_upload(data, tasks, config)
        st.stop()

    name = f"{stem}-{config.strategy}"
    whole = compute.whole_split(data.fingerprint, tasks, config, data.frame)
    if whole is not None:  # a large dataset: every row's split is on the server; offer the command for a cluster
        sizes = " · ".join(f"{row.split} {row.rows:,}" for row in whole.sizes.itertuples(index=False))
        st.markdown(f"**{data.name}** · {config.strategy} split · {sizes}")
        for message in result.warnings:
            st.warning(message)
        cluster_section(data, tasks, config, whole, name)
        st.subheader("Reproduce or restore")
        reproduce_from_upload(data, tasks, config)
        return
    st.markdown(f"**{data.name}** · {config.strategy} split · {summary(result)}")
    for message in result.warnings:
        st.warning(message)

    columns = downloads(data, config, result, name)
    with_training = report_button(columns[3], data, tasks, config, result, name)
    st.caption("The HTML report is one file with every chart and plotly inside: it opens offline, "
               "for a review meeting. Its header names the data, tasks, config and assignment hash"
               + (", and it ends with the Model page's training run." if with_training else "."))

    st.subheader("Reproduce or restore")
    reproduce_from_upload(data, tasks, config)
    st.markdown(f"This script makes the same split with the `{core.__name__}` library:")
    st.code(reproduce_code(data, tasks, config), language="python", wrap_lines=True)


render(state.dataset(), state.tasks(), state.split_config())
