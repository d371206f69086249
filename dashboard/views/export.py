"""Export page: download the assignment, the workspace (tasks, roles, split) and the HTML report; load a saved
workspace or split config back."""

from __future__ import annotations

import io
import re

import streamlit as st

from core.errors import TaskSplitError
from core.report import (
    Workspace,
    assignment_digest,
    assignment_frame,
    is_workspace,
    render_report,
    reproduce_code,
)
from core.splits import SplitConfig
from dashboard import compute, state
from dashboard.guards import split_problem_banner

REPORTS_KEPT = 4  # built HTML reports kept in memory (about 5 MB each), shared by every session

st.title("Export")
data = state.dataset()
tasks = state.tasks()
config = state.split_config()
split_problem_banner()  # the config below is the last split that worked, not the Split page's failing settings


@st.cache_resource(show_spinner=False)
def built_reports() -> dict:
    """Reports already built, keyed by (data fingerprint, tasks, config): a report is built once per split."""
    return {}


def summary(result) -> str:
    sizes = " · ".join(f"{row.split} {row.rows:,}" for row in result.to_frame().itertuples(index=False))
    return f"{sizes} · assignment hash `{assignment_digest(result.assignment)}`"


def finished_training(split_key: tuple):
    """The Model page's finished run on this data, tasks and split, as (run id, TrainResult); else (None, None).

    The run itself is only read here, never kept at page level (see the Model page): a kept
    reference would hold a dropped run's thread.
    """
    run = state.training()
    if run is None or run.running or run.request.key != split_key:
        return None, None
    result = run.snapshot().result
    return (run.id, result) if result is not None else (None, None)


def reproduce_from_upload() -> None:
    """Read a saved workspace or split config; when it fits this data, make it the session's work."""
    uploaded = st.file_uploader(
        "Load a saved workspace or split config (JSON) to get its tasks, roles and split back",
        type=["json"], key="export_config_upload",
        help="A workspace restores the tasks, column roles and split on the data it was saved from; a split "
             "config restores the split. The same split on the same data and tasks is the same, row for row.",
    )
    if uploaded is None:
        return
    content = uploaded.getvalue()
    if is_workspace(content):
        restore_workspace(uploaded.name, content)
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


def restore_workspace(name: str, content: bytes) -> None:
    """Make a saved workspace's tasks, roles and split the session's, or say which data it was made for."""
    try:
        saved = Workspace.from_json(content)
        changed = state.apply_workspace(saved)
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


stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", data.name.rsplit(".", 1)[0]).strip("-") or "data"
try:
    result = compute.split_result(data.fingerprint, tasks, config, data.frame)
except TaskSplitError as error:
    st.error(str(error))
    st.caption("Change the split on the Split page, or load a config that fits this data.")
    st.stop()

st.markdown(f"**{data.name}** · {config.strategy} split · {summary(result)}")
for message in result.warnings:
    st.warning(message)

# --------------------------------------------------------------------------- downloads

st.subheader("Downloads")
name = f"{stem}-{config.strategy}"
id_note = f", and the id column `{data.id_column}`" if data.id_column else ""
st.caption(f"The assignment has a row per data row: `row` (0-based position) and `split`{id_note}, "
           "as `python -m core split --out` writes it.")


def assignment_csv() -> bytes:
    return assignment_frame(result.assignment, data).to_csv(index=False).encode()


def assignment_parquet() -> bytes:
    buffer = io.BytesIO()
    assignment_frame(result.assignment, data).to_parquet(buffer, index=False)
    return buffer.getvalue()


columns = st.columns(4)
columns[0].download_button("Assignment (CSV)", assignment_csv, f"{name}-split.csv", "text/csv",
                           key="export_csv", icon=":material/download:", on_click="ignore")
columns[1].download_button("Assignment (Parquet)", assignment_parquet, f"{name}-split.parquet",
                           "application/vnd.apache.parquet", key="export_parquet", icon=":material/download:",
                           on_click="ignore")
columns[2].download_button(
    "Workspace (JSON)", state.workspace().to_json(), f"{name}-workspace.json", "application/json",
    key="export_config", icon=":material/download:", on_click="ignore",
    help="The data's name and content hash, the tasks, the column roles and the split config. Load it below "
         "to get this work back (after a reload, or on the same file uploaded again), or give it to "
         "`python -m core split --config`.",
)

reports = built_reports()
run_id, training = finished_training((data.fingerprint, tasks, config))
report_key = (data.fingerprint, tasks, config, run_id)
with columns[3]:
    slot = st.empty()  # the build button, then its progress bar, then the download: one place
    if report_key not in reports and slot.button("Build the HTML report", key="export_build_report",
                                                 icon=":material/description:"):
        bar = slot.progress(0.0, text="Building the report…")
        try:
            transfer = state.training().snapshot().gain if training is not None else None  # with its intervals
            page = render_report(data, tasks, result.assignment, config=config, warnings=result.warnings,
                                 training=training, transfer=transfer,
                                 progress=lambda share, text: bar.progress(share, text=text))
        except TaskSplitError as error:
            slot.error(str(error))
        else:
            while len(reports) >= REPORTS_KEPT:
                reports.pop(next(iter(reports)))
            reports[report_key] = page
    if report_key in reports:
        page = reports[report_key]
        slot.download_button(f"HTML report ({len(page) / 1e6:.1f} MB)", page, f"{name}-report.html",
                             "text/html", key="export_report", icon=":material/download:", type="primary",
                             on_click="ignore")
st.caption("The HTML report is one file with every chart and plotly inside: it opens offline, "
           "for a review meeting. Its header names the data, tasks, config and assignment hash"
           + (", and it ends with the Model page's training run." if training is not None else "."))

# --------------------------------------------------------------------------- reproduce

st.subheader("Reproduce or restore")
reproduce_from_upload()
st.markdown("This script makes the same split with the `core` library:")
st.code(reproduce_code(data, tasks, config), language="python", wrap_lines=True)
