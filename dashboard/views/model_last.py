"""The Model page after a reload: the last run's result panel, read back from its run folder.

A run trained on the page lives in the session (``state.training()``), so a reload
(a new session) loses it; its folder in the runs folder keeps the history and the test
metrics. When the session has no run, :func:`render` draws the newest ended run made on
this data and split from its folder: how it ended, its curves, the test metrics and the
comparison with the single-task nets. The folder keeps metrics, not predictions, so the
confusion matrices and the bootstrap intervals of the gain are not redrawn.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pandas as pd
import streamlit as st

from core.errors import TaskSplitError
from core.figures import FIGURE_ERRORS, failure_note, loss_curves
from core.training import PRIMARY_METRIC, RunRecord, history_frame, list_runs, transfer_gain_from_metrics
from dashboard import state
from dashboard.guards import Work
from dashboard.views import model_runs

K = state.ModelKeys


def last_run_here(work: Work) -> RunRecord | None:
    """The newest ended run (done, cancelled or failed) in the runs folder made on this data and split, or None."""
    folder = model_runs.chosen_runs_dir()
    if folder is None:
        return None
    try:
        runs = list_runs(folder)
    except TaskSplitError:  # an unreadable folder: the runs section below says why
        return None
    return next((run for run in reversed(runs) if run.status != "running" and model_runs.made_here(work, run)), None)


def test_table(test: Mapping, kinds: Mapping[str, str], notes: Mapping[str, str], order: list[str]) -> pd.DataFrame:
    """One row per task (in ``order``): kind, primary metric and every test metric; ``note`` when a metric is n/a.

    Examples
    --------
    >>> test_table({"y": {"roc_auc": 0.8}}, {"y": "binary"}, {}, ["roc_auc"]).to_dict("records")
    [{'task': 'y', 'kind': 'binary', 'primary': 'roc_auc', 'roc_auc': 0.8}]
    """
    table = pd.DataFrame([{"task": task, "kind": kind, "primary": PRIMARY_METRIC[kind], **dict(test.get(task) or {})}
                          for task, kind in kinds.items()])
    metrics = [m for m in order if m in table.columns]
    table = table[["task", "kind", "primary", *metrics]]
    if notes:
        table["note"] = [f"n/a: {notes[task]}" if task in notes else "" for task in table["task"]]
    return table


LARGE = 1e4  # a metric column holding a value this large (an mae in currency units) is shown with separators


def number_formats(table: pd.DataFrame, columns) -> dict:
    """Column configs for the metric columns: ``%.3f``, or thousands separators when a value reaches :data:`LARGE`
    (``4826306.879`` read as a run of digits).

    Examples
    --------
    >>> formats = number_formats(pd.DataFrame({"r2": [0.5], "mae": [4826306.879]}), ["r2", "mae"])
    >>> formats["mae"]["type_config"]["format"], formats["r2"]["type_config"]["format"]
    ('localized', '%.3f')
    """
    formats = {}
    for column in columns:
        values = pd.to_numeric(table[column], errors="coerce").abs() if column in table else pd.Series(dtype=float)
        large = bool((values >= LARGE).any())
        formats[column] = st.column_config.NumberColumn(column, format="localized" if large else "%.3f")
    return formats


def _outcome(metrics: Mapping) -> None:
    if metrics.get("divergence"):
        st.warning(metrics["divergence"], icon=":material/trending_up:")
    stopped, message = metrics.get("stopped"), metrics.get("message")
    if stopped == "non_finite":
        st.error(message)
    elif stopped == "caller":
        st.info(f"{message} The metrics below are of the best epoch before it was stopped.")
    elif stopped == "early_stopping":
        st.caption(f"{message} The weights of epoch {metrics.get('best_epoch')} were kept.")


def _curves(run: RunRecord, best_epoch: int | None) -> None:
    try:
        figure = loss_curves(history_frame(run.history), best_epoch=best_epoch)
    except FIGURE_ERRORS as error:
        st.warning(failure_note("loss curves", error), icon=":material/broken_image:")
        return
    st.plotly_chart(figure, width="stretch", key=K.LAST_LOSSES)


def _vs_single_task(run: RunRecord, metrics: Mapping) -> None:
    single = ((metrics.get("baselines") or {}).get("single_task")) or None
    if not single:
        return
    gain = transfer_gain_from_metrics(metrics.get("test") or {}, single, run.kinds)
    st.subheader("Multi-task vs single-task")
    left, right = st.columns([2, 1], vertical_alignment="center")
    table = gain.to_frame()[["task", "metric", "mtl", "stl", "gain", "relative_gain"]]
    left.dataframe(table, hide_index=True, width="stretch", placeholder="–",
                   column_config=number_formats(table, ("mtl", "stl", "gain"))
                   | {"relative_gain": st.column_config.NumberColumn("relative gain", format="percent")})
    right.metric("Δm vs single-task (no interval)", "n/a" if gain.delta_m is None else f"{gain.delta_m:+.1%}",
                 help="Mean over tasks of (multi-task − single-task) / |single-task|, primary test metric, from the "
                      "run folder's metrics; the 95% interval needs the test predictions, which the folder does not "
                      "keep.")


def render(work: Work, order: list[str]) -> bool:
    """The last run's panel from its folder, when the session has no run; False when there is none to show."""
    run = last_run_here(work)
    if run is None:
        return False
    metrics = run.metrics or {}
    label = f"{run.design} · {run.weighting} · seed {run.seed}"
    st.subheader("Last run")
    st.caption(f"Read back from its folder `{run.path}` ({label}, {run.status}, {len(run.history)} epochs), the "
               "newest run made on this data and split: the page keeps a run only while the session lasts. The "
               "folder keeps metrics, not predictions, so the confusion matrices and the intervals of the gain are "
               "drawn only for a run trained in this session.")
    if metrics.get("error"):
        st.error(metrics["error"])
        return True
    _outcome(metrics)
    if run.history:
        _curves(run, metrics.get("best_epoch"))
    if metrics.get("test"):
        st.subheader("Test metrics")
        table = test_table(metrics["test"], run.kinds, metrics.get("test_notes") or {}, order)
        st.dataframe(table, hide_index=True, width="stretch", placeholder="–", column_config=number_formats(table, order))
        st.download_button("Metrics (JSON)", json.dumps(metrics, indent=2), "metrics.json", "application/json",
                           key=K.LAST_DOWNLOAD, icon=":material/download:", on_click="ignore")
    _vs_single_task(run, metrics)
    return True
