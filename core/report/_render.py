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

This module writes the sections. What they show is computed once by
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
import plotly
import plotly.graph_objects as go

from .. import __version__
from ..data import Dataset
from ..diagnostics import status_of
from ..errors import DataError
from ..figures import (
    association_heatmap,
    binary_rate_bars,
    cooccurrence_heatmap,
    fold_strip,
    label_distribution_bars,
    loss_curves,
    regression_histogram,
    split_sizes,
    strategy_comparison,
    strip_order,
)
from ..splits import STRATEGIES, WHOLE, SplitConfig, split_order, time_order, time_order_words
from ..tasks import Task
from ._diagnosis import MIN_SHIFT_SUPPORT, Diagnosis, Progress, diagnose
from ._export import assignment_digest, assignment_frame, data_spec, reproduce_code  # noqa: F401
from ._html import (
    FigureEmbedder,
    decision_section,
    escape,
    html_page,
    html_section,
    html_table,
    status_badge,
)
from ._runs import runs_section

__all__ = ["render_report", "write_report"]

MAX_LABEL_ROWS = 30  # labels shown per task in a distribution table; the rest are summed up
MAX_HEATMAP_LABELS = 60  # the most frequent labels drawn in a co-occurrence heatmap, as on the Diagnostics page


# --------------------------------------------------------------------------- sections


def _columns_text(columns: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(columns[:limit])
    return shown + (f", … (+{len(columns) - limit} more)" if len(columns) > limit else "")


def _config_text(config: SplitConfig | None) -> str:
    if config is None:
        return "read from a split file (the settings that made it are not known)"
    if STRATEGIES[config.strategy].given:
        sizes = f"column {getattr(config, STRATEGIES[config.strategy].column)}"
    elif config.n_folds:
        sizes = f"{config.n_folds} folds"
    else:
        sizes = " / ".join(f"{name} {share:.0%}" for name, share in config.fractions.items())
    columns = [f"{role} {getattr(config, role + '_column')}" for role in ("group", "time", "id")
               if getattr(config, role + "_column")]
    return " · ".join([config.strategy, sizes, f"seed {config.seed}", f"order {config.order}", *columns])


def _concerns(diagnosis: Diagnosis) -> list[tuple[str, str]]:
    """(status, one line) for every score or check that does not pass."""
    found = [(row.status, row.reading) for row in diagnosis.card.itertuples() if row.status in ("warn", "fail")]
    checks = diagnosis.leakage.checks
    found += [(row.status, f"{row.title}: {row.detail}") for row in checks.itertuples() if row.status in ("warn", "fail")]
    return found


def _overview(dataset: Dataset, tasks: Sequence[Task], config, diagnosis: Diagnosis, stamp: str) -> str:
    counts = diagnosis.distribution.counts
    missing = counts[(counts["split"] == WHOLE) & counts["is_missing"]].set_index("task")["fraction"]
    task_rows = pd.DataFrame(
        {
            "task": [t.name for t in tasks],
            "kind": [t.kind for t in tasks],
            "columns": [_columns_text(t.columns) for t in tasks],
            "labelled rows": [1.0 - float(missing.get(t.name, 0.0)) for t in tasks],
        }
    )
    facts = {
        "Dataset": dataset.name,
        "About": dataset.description or "–",
        "Source": dataset.source or "–",
        "Rows × columns": f"{len(dataset.frame):,} × {dataset.frame.shape[1]:,}",
        "Group / time / id column": " / ".join(c or "–" for c in (dataset.group_column, dataset.time_column,
                                                                   dataset.id_column)),
        "Split": _config_text(config),
        "Recommended strategy": _recommended_text(diagnosis, config),
        "Assignment hash": diagnosis.digest,
        "Data hash": dataset.fingerprint[:12],
        "Generated": stamp,
        "Made with": f"TaskSplit {__version__}, plotly {plotly.__version__}",
    }
    facts_html = "".join(f"<dt>{escape(key)}</dt><dd>{escape(value)}</dd>" for key, value in facts.items())
    config_json = "" if config is None else (
        "<details><summary>Split config as JSON (the Export page and <code>SplitConfig.from_json</code> read it)"
        f"</summary><pre>{escape(config.to_json())}</pre></details>"
    )
    concerns = _concerns(diagnosis)
    verdict = status_of(status for status, _ in concerns)
    words = "every quality score and leakage check passes." if not concerns else (
        f"{len(concerns)} score(s) or check(s) to look at; see Warnings."
    )
    summary = f'<p class="verdict">Overall {status_badge(verdict)} {escape(words)}</p>'
    tasks_html = "<h3>Tasks</h3>" + html_table(task_rows, percent=("labelled rows",))
    return f'<section id="overview">{summary}<dl class="facts">{facts_html}</dl>{config_json}{tasks_html}</section>'


def _recommended_text(diagnosis: Diagnosis, config: SplitConfig | None) -> str:
    chosen = diagnosis.recommendation.config
    if chosen is None:
        return "none could split this data (see Strategies)"
    same = config is not None and config.strategy == chosen  # the compared configs are named by strategy
    return f"{chosen}: {'this split' if same else 'not this split'} (see Strategy comparison)"


def _strip_columns(dataset: Dataset, config: SplitConfig | None) -> list[str]:
    """Order the fold strip as the Split page does: by time for a time split, else by group, then time."""
    group = (config.group_column if config else None) or dataset.group_column
    time = (config.time_column if config else None) or dataset.time_column
    by_time = config is not None and STRATEGIES[config.strategy].by_time
    by = [time, group] if by_time else [group, time] if group else []
    columns = [c for c in by if c and c in dataset.frame.columns]
    return list(dict.fromkeys(columns))


def _split_section(dataset: Dataset, assignment: pd.Series, config, diagnosis: Diagnosis, figure) -> str:
    by = _strip_columns(dataset, config)
    order = strip_order(dataset.frame, by)
    if config is not None and STRATEGIES[config.strategy].by_time:  # as the split placed rows (the Split page too)
        order, by = time_order(dataset.frame, config), [time_order_words(config)]
    strip = fold_strip(assignment, order, split_names=list(diagnosis.sizes["split"]),
                       ordered_by=", then ".join(by) if by else "row order")
    body = html_table(diagnosis.sizes, percent=("share",)) + figure(strip) + figure(split_sizes(diagnosis.sizes))
    return html_section("split", "Split", body, escape(_config_text(config)))


def _quality_section(diagnosis: Diagnosis) -> str:
    card = diagnosis.card[["name", "score", "value", "status", "threshold", "reading"]]
    lead = "Lower is better for every score. Each verdict shows its threshold and what the value means."
    if not diagnosis.fractions_known:
        lead += " ED is not scored: the target fractions of a split read from a file are not known."
    by_split = diagnosis.quality.by_split
    body = html_table(card) + "<h3>Per split</h3>" + html_table(by_split, percent=("fraction", "desired_fraction"))
    return html_section("quality", "Quality scorecard", body, escape(lead))


def _leakage_section(diagnosis: Diagnosis) -> str:
    checks = diagnosis.leakage.checks[["title", "status", "detail"]]
    body = html_table(checks)
    predictors = diagnosis.leakage.predictors
    if len(predictors):
        body += "<h3>Strongest single-feature predictors (train sample)</h3>" + html_table(predictors.head(5))
    return html_section("leakage", "Leakage checks", body, "Can the model see the answer, or the test rows, in training?")


def _label_table(counts: pd.DataFrame, splits: Sequence[str]) -> str:
    """Labels x splits, each cell the share of the split's rows and the count."""
    shown = counts if counts.loc[counts["is_missing"], "count"].sum() else counts[~counts["is_missing"]]
    labels = list(dict.fromkeys(shown["label"]))
    whole = shown[shown["split"] == WHOLE].set_index("label")["count"]
    note = ""
    if len(labels) > MAX_LABEL_ROWS:
        keep = set(whole.sort_values(ascending=False).index[:MAX_LABEL_ROWS])
        note = f"<p class=\"note\">The {MAX_LABEL_ROWS} most frequent of {len(labels):,} labels.</p>"
        labels = [label for label in labels if label in keep]
    table = {"label": labels}
    for name in (*splits, WHOLE):
        part = shown[shown["split"] == name].set_index("label")
        table[name] = [f"{part.at[label, 'fraction']:.1%} ({part.at[label, 'count']:,})" for label in labels]
    return html_table(pd.DataFrame(table)) + note


def _quantile_table(quantiles: pd.DataFrame) -> str:
    wide = quantiles.pivot(index="split", columns="quantile", values="value")
    wide = wide.reindex([s for s in split_order(wide.index) if s in wide.index])
    wide.columns = ["min" if q == 0 else "max" if q == 1 else f"{q:.0%}" for q in wide.columns]
    return html_table(wide.reset_index())


def _score_table(scores: pd.DataFrame, splits: Sequence[str]) -> str:
    """One row per task: its JS distance (KS for regression) in each split, missing share, absent labels."""
    rows = []
    for task, part in scores.groupby("task", sort=False):
        kind = part["kind"].iat[0]
        measure = "ks_statistic" if kind == "regression" else "js_distance"
        by_split = part.set_index("split")
        absent = [f"{name}: {labels}" for name, labels in zip(part["split"], part["absent_labels"], strict=True) if labels]
        rows.append({
            "task": task, "kind": kind, "measure": "KS" if kind == "regression" else "JS",
            **{name: by_split.at[name, measure] if name in by_split.index else np.nan for name in splits},
            "missing (largest share)": part["missing_share"].max(), "absent labels": "; ".join(absent) or "none",
        })  # fmt: skip
    return html_table(pd.DataFrame(rows), percent=("missing (largest share)",))


def _task_figure(task: Task, diagnosis: Diagnosis) -> go.Figure:
    """The Diagnostics page's chart of one task: overlaid histograms for regression, grouped bars otherwise."""
    distribution = diagnosis.distribution
    if task.kind == "regression":
        scores = diagnosis.scores.frame
        missing = scores[scores["task"] == task.name].set_index("split")["missing_share"].to_dict()
        return regression_histogram(distribution.histogram[distribution.histogram["task"] == task.name],
                                    missing=missing)
    counts = distribution.counts[distribution.counts["task"] == task.name]
    return binary_rate_bars(counts) if task.kind == "binary" else label_distribution_bars(counts)


def _tasks_section(tasks: Sequence[Task], diagnosis: Diagnosis, figure) -> str:
    body = _score_table(diagnosis.scores.frame, diagnosis.splits)
    counts = diagnosis.distribution.counts
    quantiles = diagnosis.distribution.quantiles
    for task in tasks:
        numbers = _label_table(counts[counts["task"] == task.name], diagnosis.splits)
        if task.kind == "regression":
            numbers = _quantile_table(quantiles[quantiles["task"] == task.name]) + numbers
        body += figure(_task_figure(task, diagnosis)) + (
            f"<details><summary>{escape(task.name)} ({escape(task.kind)}): the numbers behind the chart</summary>"
            f"{numbers}</details>"
        )
    lead = ("How far each split's labels are from the whole data's: Jensen-Shannon distance (KS statistic for "
            "regression; 0 = identical). Then each task's labels per split, as a share of the split's rows; "
            "the counts are in the table under each chart.")
    return html_section("tasks", "Per-task distributions", body, escape(lead))


def _heatmap_labels(pairs: pd.DataFrame) -> tuple[list[str], str]:
    """All labels, or the most frequent :data:`MAX_HEATMAP_LABELS` of them, and a note saying so."""
    diagonal = pairs[pairs["row_label"] == pairs["col_label"]].set_index("row_label")["count"]
    labels = list(diagonal.index)
    if len(labels) <= MAX_HEATMAP_LABELS:
        return labels, ""
    kept = set(diagonal.nlargest(MAX_HEATMAP_LABELS).index)
    note = f'<p class="note">The {MAX_HEATMAP_LABELS} most frequent of {len(labels):,} labels are drawn.</p>'
    return [label for label in labels if label in kept], note


def _association_section(diagnosis: Diagnosis, figure) -> str:
    if len(diagnosis.association.tasks) > 1:
        body = figure(association_heatmap(diagnosis.association.whole))
    else:
        body = '<p class="note">One task: there is no association between tasks to show.</p>'
    labels, note = _heatmap_labels(diagnosis.pairs)
    body += note + figure(cooccurrence_heatmap(diagnosis.pairs, measure="conditional", labels=labels))
    if diagnosis.shift is not None:
        first, last = diagnosis.splits[0], diagnosis.splits[-1]
        title = f"Change in P(column | row): {last} − {first}"
        body += figure(cooccurrence_heatmap(diagnosis.shift, measure="difference", labels=labels, split=last,
                                            title=title))
    if len(diagnosis.shifts):
        body += ("<h3>Largest changes in P(label | given) between splits</h3>"
                 + html_table(diagnosis.shifts.round(3)))
    matrix = diagnosis.association.whole.round(3).reset_index(names="task")
    body += f"<details><summary>Cramér's V as a table</summary>{html_table(matrix)}</details>"
    lead = ("Cramér's V: 0 = tasks unrelated, 1 = each task determines the other (a task with fewer classes that one task fixes scores below 1). A large change in "
            f"P(label | given) between splits (given labels with at least {MIN_SHIFT_SUPPORT} rows in both) "
            "means a model learns a relation between tasks that the evaluation split does not share.")
    return html_section("cooccurrence", "Co-occurrence and association", body, escape(lead))


COMPARISON_COLUMNS = {  # the comparison table's columns, as the Diagnostics page shows them
    "config": "config", "status": "status", "reason": "why", "ld": "LD", "lpd": "LPD", "worst_js": "worst JS",
    "ed_share": "ED (share)", "fz": "FZ", "flz": "FLZ", "groups_split": "groups split", "error": "error",
}  # fmt: skip


def _comparison_section(diagnosis: Diagnosis, config: SplitConfig | None, figure) -> str:
    """The Diagnostics page's Compare strategies: the same data split several ways, and the one to use."""
    comparison, recommendation = diagnosis.comparison, diagnosis.recommendation
    if recommendation.config:
        pick = (f'<p class="recommend">Recommended: <strong>{escape(recommendation.config)}</strong>: '
                f"{escape(recommendation.reason)}</p>")
    else:
        pick = f'<p class="recommend">{escape(recommendation.reason)}</p>'
    current = config.strategy if config is not None else "read from a split file"
    pick += f'<p class="note">This report\'s split: {escape(current)}.</p>'
    shown = [c for c in COMPARISON_COLUMNS if c in comparison.columns]
    if "error" in shown and not comparison["error"].fillna("").astype(bool).any():
        shown.remove("error")
    if "groups_split" in shown and comparison["groups_split"].isna().all():
        shown.remove("groups_split")
    table = comparison[shown].rename(columns={c: COMPARISON_COLUMNS[c] for c in shown if c != "status"})
    body = pick + figure(strategy_comparison(comparison, recommended=recommendation.config))
    body += html_table(table, percent=("ED (share)",))
    names = ", ".join(comparison["config"])
    lead = (f"The same data and tasks split {len(comparison)} ways ({names}) with this split's sizes and seed, "
            "each scored the same way, as on the Diagnostics page's Compare strategies. Lower is better; "
            "groups split counts groups with rows in more than one split.")
    return html_section("comparison", "Strategy comparison", body, escape(lead))


def _warnings_section(dataset: Dataset, split_warnings: Sequence[str], diagnosis: Diagnosis) -> str:
    items = [("warn", line) for line in (*split_warnings, *dataset.warnings)]
    items += _concerns(diagnosis)
    if not items:
        return html_section("warnings", "Warnings", "<p>None: the split, its scores and its leakage checks are clean.</p>")
    body = "<ul class=\"warnings\">" + "".join(f"<li>{status_badge(s)} {escape(line)}</li>" for s, line in items) + "</ul>"
    return html_section("warnings", "Warnings", body)


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
        ("overview", _overview(dataset, tasks, config, diagnosis, stamp)),
        ("split", _split_section(dataset, assignment, config, diagnosis, figure)),
        ("quality", _quality_section(diagnosis)),
        ("leakage", _leakage_section(diagnosis)),
        ("tasks", _tasks_section(tasks, diagnosis, figure)),
        ("cooccurrence", _association_section(diagnosis, figure)),
        ("comparison", _comparison_section(diagnosis, config, figure)),
        ("warnings", _warnings_section(dataset, warnings, diagnosis)),
    ]
    if training is not None:
        sections.append(("training", _training_section(training, figure, transfer)))
    if runs is not None:
        sections.append(("runs", runs_section(runs, figure, _safe_figure)))
    # the training run ends with the multi-task vs single-task result; the decision is always last
    sections.append(("decision", decision_section(_file_stem(title or dataset.name) + "-reviewed.html")))
    subtitle = f"{len(dataset.frame) if rows is None else rows:,} rows · {len(tasks)} task(s) · {_config_text(config)} · {stamp}"
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
