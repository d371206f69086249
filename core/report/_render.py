"""A self-contained HTML report of a split (and a training run, if any), for a review meeting.

The report is one HTML file that opens offline: plotly's JavaScript is inlined
once (``include_plotlyjs=True`` for the first figure, ``False`` after), the
style sheet is inline, and there are no fonts, images or links to fetch. It
draws the same figures as the dashboard (:mod:`core.figures`) from the same
diagnostics (:mod:`core.diagnostics`).

Safety: every name or value that comes from the data (columns, tasks, labels,
split names, and messages that quote them) goes through :func:`html.escape`.
Figures are embedded as plotly JSON, which encodes ``<`` as ``\\u003c``, so a
label such as ``</script><script>alert(1)</script>`` cannot close the script
element; plotly.js draws labels as SVG text.

This module orders the sections and writes the training one; the split's own sections are
:mod:`core.report._sections`. What they show is computed once by
:mod:`core.report._diagnosis`; the HTML pieces and the page are :mod:`core.report._html`.
The export helpers (:func:`assignment_frame`, :func:`assignment_digest`,
:func:`reproduce_code`) live in :mod:`core.report._export` and are importable from here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import Dataset
from ..errors import DataError
from ..figures import loss_curves
from ..splits import SplitConfig
from ..tasks import Task
from ._diagnosis import Diagnosis, Progress, diagnose
from ._export import assignment_digest, assignment_frame, data_spec, reproduce_code  # noqa: F401
from ._html import (
    FigureEmbedder,
    decision_section,
    escape,
    html_page,
    html_section,
    html_table,
)
from ._runs import runs_section
from ._sections import (
    association_section,
    comparison_section,
    config_text,
    leakage_section,
    overview_section,
    quality_section,
    split_section,
    tasks_section,
    warnings_section,
)

__all__ = ["render_report", "write_report"]



def _safe_figure(figure, what: str, build) -> str:
    """``figure(build())``, or one line saying the figure could not be drawn: one figure never sinks the report."""
    from ..figures import FIGURE_ERRORS, failure_note

    try:
        return figure(build())
    except FIGURE_ERRORS as error:
        return f'<p class="note">{escape(failure_note(what, error))}</p>'


def _training_section(training, figure, transfer=None) -> str:
    """A finished run (``TrainResult``): its test metrics, loss curves and last epoch; or a run's epoch records.

    ``transfer`` (a ``TransferGain``) adds the multi-task vs single-task comparison: its
    sentence, the bars with their intervals, and the table.
    """
    from ..figures import transfer_gain_bars
    from ..training import TrainResult, history_frame

    history = list(training.history if isinstance(training, TrainResult) else training)
    body = ""
    if isinstance(training, TrainResult):
        facts = {"epochs": len(history), "best epoch": training.best_epoch, "stopped": training.stopped,
                 "weighting": training.config.weighting}
        body = "<p>" + escape(" · ".join(f"{k} {v}" for k, v in facts.items())) + "</p>"
        if training.message:
            body += f'<p class="note">{escape(training.message)}</p>'
        if training.divergence:
            body += f'<p class="verdict">{escape(training.divergence)}</p>'
        metrics = training.to_frame()
        if len(metrics):
            wide = metrics.pivot(index="task", columns="metric", values="value")
            wide = wide.reindex(pd.unique(metrics["task"])).reset_index()  # tasks in the run's order
            if training.test_notes:
                wide["note"] = [f"n/a: {training.test_notes[t]}" if t in training.test_notes else ""
                                for t in wide["task"]]
            body += "<h3>Test metrics</h3>" + html_table(wide)
    if transfer is not None:
        body += "<h3>Multi-task vs single-task</h3>" + f'<p class="verdict">{escape(transfer.summary())}</p>'
        body += (f'<p class="note">95% percentile intervals over {transfer.resamples:,} paired bootstrap resamples '
                 "of the test rows (the same rows for both models); a task is judged only when its interval lies "
                 "on one side of 0.</p>")
        body += f'<p class="note">{escape(transfer.delta_m_note())}</p>'
        body += _safe_figure(figure, "multi-task vs single-task", lambda: transfer_gain_bars(
            transfer.to_frame(), delta_m=transfer.delta_m, delta_m_interval=(transfer.delta_m_low,
                                                                             transfer.delta_m_high)))
        body += html_table(transfer.to_frame().drop(columns=["relative_gain"]))
    if history:
        curves = history_frame(history)  # a finished run and a run's records draw the same curves
        best = training.best_epoch if isinstance(training, TrainResult) else None
        body += _safe_figure(figure, "loss curves", lambda: loss_curves(curves, best_epoch=best))
        last = history[-1]
        losses = pd.DataFrame({
            "task": list(last.train_loss),
            "train loss": [last.train_loss[t] for t in last.train_loss],
            "val loss": [last.val_loss.get(t) for t in last.train_loss],
            "val metric": [last.val_metric.get(t) for t in last.train_loss],
            "weight": [last.weights.get(t) for t in last.train_loss],
        })  # fmt: skip
        body += f"<h3>Last epoch ({last.epoch})</h3>" + html_table(losses)
    return html_section("training", "Training run", body or "<p>The run has no epochs yet.</p>")


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name.rsplit(".", 1)[0]).strip("-")[:80] or "report"


def _aligned(dataset: Dataset, assignment) -> pd.Series:
    series = assignment if isinstance(assignment, pd.Series) else pd.Series(np.asarray(assignment))
    if len(series) != len(dataset.frame):
        raise DataError(
            f"The assignment has {len(series):,} rows but {dataset.name} has {len(dataset.frame):,}; "
            "split this data again."
        )
    if not series.index.equals(dataset.frame.index):
        series = pd.Series(series.to_numpy(), index=dataset.frame.index)
    return series.astype(str).rename("split")


def render_report(
    dataset: Dataset,
    tasks: Sequence[Task],
    assignment: pd.Series,
    *,
    config: SplitConfig | None = None,
    training=None,
    transfer=None,
    runs=None,
    title: str | None = None,
    warnings: Sequence[str] = (),
    progress: Progress | None = None,
    diagnosis: Diagnosis | None = None,
    rows: int | None = None,
) -> str:
    """The report of one split as a self-contained HTML document.

    Parameters
    ----------
    dataset : core.data.Dataset
    tasks : sequence of Task
    assignment : pandas.Series or array-like
        One split name per row of ``dataset.frame`` (a Series is taken in row order).
    config : SplitConfig, optional
        The settings that made the split; without them, ED is not scored.
    training : TrainResult or sequence of EpochRecord, optional
        A training run to add: its test metrics and last epoch.
    transfer : TransferGain, optional
        The run's multi-task vs single-task comparison (``core.training.transfer_gain``), with its intervals.
    runs : sequence of RunRecord, optional
        Training runs (``core.training.list_runs(folder)``) to add as a section: the runs table with
        the baselines and the mean ± sd over seeds, and the runs' per-task curves. Left out when None.
    title : str, optional
        Default ``"Split report: <dataset name>"``.
    warnings : sequence of str
        The split's own warnings (``SplitResult.warnings``), listed with the diagnostics' concerns.
    progress : callable (share done, what now) -> None, optional
        Called as the report is built, for a progress bar.
    diagnosis : Diagnosis, optional
        What the report shows, computed already (the Dask engine builds it from counts over every row and a
        sample, :func:`core.cluster.cluster_report`); default: :func:`diagnose` of ``dataset``.
    rows : int, optional
        The rows of the whole data when ``dataset`` is a sample of it (shown in the subtitle).

    Examples
    --------
    >>> from core.data import load_builtin
    >>> from core.splits import split
    >>> data = load_builtin("penguins")
    >>> result = split(data.frame, data.tasks, SplitConfig(seed=1))
    >>> page = render_report(data, data.tasks, result.assignment, config=result.config)
    >>> page.startswith("<!DOCTYPE html>"), "<script src=" in page
    (True, False)
    """
    progress = progress or (lambda share, text: None)
    tasks = tuple(tasks)
    assignment = _aligned(dataset, assignment)
    if diagnosis is None:
        diagnosis = diagnose(dataset, tasks, assignment, config, progress)
    progress(0.8, "Drawing the figures")
    figure = FigureEmbedder()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = [
        ("overview", overview_section(dataset, tasks, config, diagnosis, stamp)),
        ("split", split_section(dataset, assignment, config, diagnosis, figure)),
        ("quality", quality_section(diagnosis)),
        ("leakage", leakage_section(diagnosis)),
        ("tasks", tasks_section(tasks, diagnosis, figure)),
        ("cooccurrence", association_section(diagnosis, figure)),
        ("comparison", comparison_section(diagnosis, config, figure)),
        ("warnings", warnings_section(dataset, warnings, diagnosis)),
    ]
    if training is not None:
        sections.append(("training", _training_section(training, figure, transfer)))
    if runs is not None:
        sections.append(("runs", runs_section(runs, figure, _safe_figure)))
    # the training run ends with the multi-task vs single-task result; the decision is always last
    sections.append(("decision", decision_section(_file_stem(title or dataset.name) + "-reviewed.html")))
    subtitle = f"{len(dataset.frame) if rows is None else rows:,} rows · {len(tasks)} task(s) · {config_text(config)} · {stamp}"
    page = html_page(title or f"Split report: {dataset.name}", subtitle, sections)
    progress(1.0, "Done")
    return page


def write_report(
    out_path: str | Path,
    dataset: Dataset,
    tasks: Sequence[Task],
    assignment: pd.Series,
    **options,
) -> Path:
    """Write :func:`render_report` to ``out_path`` (UTF-8); the keyword options are the same.

    Examples
    --------
    >>> import tempfile
    >>> from core.data import load_builtin
    >>> data = load_builtin("penguins")
    >>> path = write_report(Path(tempfile.mkdtemp()) / "r.html", data, data.tasks, ["train", "test"] * 172)
    >>> path.stat().st_size > 1_000_000  # plotly.js is inside
    True
    """
    path = Path(out_path)
    path.write_text(render_report(dataset, tasks, assignment, **options), encoding="utf-8")
    return path
