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

The export helpers (:func:`assignment_frame`, :func:`assignment_digest`,
:func:`reproduce_code`) live in :mod:`core.export` and are importable from here.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import plotly
import plotly.graph_objects as go

import core
from core import diagnostics
from core.data import Dataset
from core.errors import DataError
from core.export import assignment_digest, assignment_frame, data_spec, reproduce_code  # noqa: F401
from core.figures import (
    association_heatmap,
    cooccurrence_heatmap,
    fold_strip,
    label_distribution_bars,
    loss_curves,
    regression_histogram,
    split_sizes,
)
from core.figures.palette import split_color, status_color
from core.figures.split import strip_order
from core.quality import split_order
from core.splits import EXCLUDED, SplitConfig
from core.tasks import Task
from core.thresholds import status_of

__all__ = ["render_report", "write_report", "assignment_frame", "assignment_digest", "reproduce_code"]

Progress = Callable[[float, str], None]
MAX_LABEL_ROWS = 30  # labels shown per task in a distribution table; the rest are summed up
MAX_HEATMAP_LABELS = 60  # the most frequent labels drawn in a co-occurrence heatmap, as on the Diagnostics page
SHIFT_PAIRS = 10  # co-occurrence pairs listed per split
MIN_SHIFT_SUPPORT = 20  # rows with the conditioning label, in both splits, before a shift is listed


# --------------------------------------------------------------------------- diagnostics


@dataclass(frozen=True, eq=False)
class _Diagnosis:
    """Everything the report shows, computed once."""

    splits: tuple[str, ...]  # scored splits, in display order (no ``excluded``)
    sizes: pd.DataFrame
    quality: diagnostics.SplitQuality
    scores: diagnostics.TaskScores
    card: pd.DataFrame
    leakage: diagnostics.LeakageReport
    distribution: diagnostics.LabelDistribution
    association: diagnostics.TaskAssociation
    shifts: pd.DataFrame  # the largest changes of P(label | given) from the first split to each other
    pairs: pd.DataFrame  # Cooccurrence.to_frame() over all scored rows
    shift: pd.DataFrame | None  # CooccurrenceShift.to_frame(), first split to last
    fractions_known: bool
    digest: str


def _fractions(config: SplitConfig | None, sizes: pd.DataFrame) -> tuple[dict | None, bool]:
    """Target shares for ED: the config's, else equal shares for folds, else the observed (ED unknown)."""
    scored = sizes[sizes["split"] != EXCLUDED]
    asked = config is not None and config.n_folds is None and config.strategy != "predefined"
    if asked and set(config.fractions) >= set(scored["split"]):
        return dict(config.fractions), True
    if scored["split"].str.fullmatch(r"fold-\d+").all():
        return None, True
    return dict(zip(scored["split"], scored["rows"] / scored["rows"].sum(), strict=True)), False


def _shift_pairs(frame: pd.DataFrame, encoded, assignment: pd.Series, splits: tuple[str, ...]) -> pd.DataFrame:
    """The cross-task label pairs whose P(b | a) moves most from the first split to each other split."""
    rows = []
    counts = {name: np.diag(diagnostics.cooccurrence(frame, encoded, assignment, name).counts) for name in splits}
    labels = np.asarray(encoded.labels)
    tasks = np.array([label.split("=", 1)[0] for label in labels])
    for other in splits[1:]:
        shift = diagnostics.cooccurrence_shift(frame, encoded, assignment, splits[0], other)
        difference = shift.difference.to_numpy()
        support = np.minimum(counts[splits[0]], counts[other])[:, None]
        usable = (tasks[:, None] != tasks[None, :]) & (support >= MIN_SHIFT_SUPPORT) & np.isfinite(difference)
        flat = np.flatnonzero(usable.ravel())
        ranked = flat[np.argsort(-np.abs(difference.ravel()[flat]), kind="stable")]
        shown = set()  # one pair per given label and other task: a binary task's two labels mirror each other
        for i, j in zip(*np.unravel_index(ranked, difference.shape), strict=True):
            if len(shown) == SHIFT_PAIRS:
                break
            if (i, tasks[j]) in shown:
                continue
            shown.add((i, tasks[j]))
            rows.append((other, labels[i], labels[j], shift.conditional_a.iat[i, j],
                         shift.conditional_b.iat[i, j], difference[i, j], int(support[i, 0])))
    columns = ["split", "given", "label", f"P in {splits[0]}", "P in split", "difference", "rows given"]
    return pd.DataFrame(rows, columns=columns)


def _sizes(assignment: pd.Series) -> pd.DataFrame:
    counts = assignment.astype(str).value_counts()
    names = split_order(counts.index)
    rows = counts.reindex(names).to_numpy(dtype=np.int64)
    return pd.DataFrame({"split": names, "rows": rows, "share": rows / max(len(assignment), 1)})


def _diagnose(dataset: Dataset, tasks, assignment, config, progress: Progress) -> _Diagnosis:
    frame = dataset.frame
    n_bins = config.n_bins if config is not None else 5
    sizes = _sizes(assignment)
    splits = tuple(name for name in sizes["split"] if name != EXCLUDED)
    fractions, known = _fractions(config, sizes)
    progress(0.05, "Encoding the tasks")
    encoded = diagnostics.encode_tasks(frame, tasks, n_bins)
    progress(0.15, "Scoring the split")
    quality = diagnostics.split_quality(encoded.matrix, assignment.to_numpy(), fractions)
    scores = diagnostics.task_scores(frame, encoded, assignment)
    card = diagnostics.scorecard(quality, scores)
    if not known:
        card = card[card["score"] != "ED"].reset_index(drop=True)
    progress(0.3, "Counting labels per split")
    distribution = diagnostics.label_distribution(frame, encoded, assignment, n_bins=n_bins)
    association = diagnostics.task_association(frame, encoded, assignment, n_bins=n_bins)
    shifts = _shift_pairs(frame, encoded, assignment, splits) if len(splits) > 1 else pd.DataFrame()
    pairs = diagnostics.cooccurrence(frame, encoded, assignment, n_bins=n_bins).to_frame()
    shift = None
    if len(splits) > 1:
        shift = diagnostics.cooccurrence_shift(frame, encoded, assignment, splits[0], splits[-1], n_bins=n_bins)
        shift = shift.to_frame()
    progress(0.5, "Checking for leakage")
    group = (config.group_column if config is not None else None) or dataset.group_column
    time = (config.time_column if config is not None else None) or dataset.time_column
    leak = diagnostics.leakage(
        frame, assignment, tasks=tasks, group_column=group, time_column=time,
        feature_columns=list(dataset.feature_columns) or None, seed=config.seed if config is not None else 0,
    )  # fmt: skip
    return _Diagnosis(
        splits, sizes, quality, scores, card, leak, distribution, association, shifts, pairs, shift, known,
        assignment_digest(assignment),
    )


# --------------------------------------------------------------------------- html pieces


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _number(value: object) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{value:,}"
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "–"
        if float(value).is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return _e("–" if value is None else value)


def _badge(status: str) -> str:
    return f'<span class="badge" style="background:{status_color(status)}">{_e(status)}</span>'


def _split_name(name: str) -> str:
    return f'<span class="dot" style="background:{split_color(str(name))}"></span>{_e(name)}'


def _table(frame: pd.DataFrame, *, percent: Sequence[str] = (), wide: bool = False) -> str:
    """An HTML table of ``frame``: every header and cell escaped; ``status`` as a badge, ``split`` as a dot."""
    head = "".join(f"<th>{_e(column)}</th>" for column in frame.columns)
    body = []
    for values in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, values, strict=True):
            if column == "status":
                cells.append(f"<td>{_badge(str(value))}</td>")
            elif column == "split":
                cells.append(f"<td>{_split_name(value)}</td>")
            elif column in percent and isinstance(value, (float, np.floating)) and not math.isnan(value):
                cells.append(f'<td class="num">{value:.1%}</td>')
            else:
                numeric = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
                cells.append(f'<td class="num">{_number(value)}</td>' if numeric else f"<td>{_number(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    klass = "table wide" if wide else "table"
    return f'<div class="scroll"><table class="{klass}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


class _Figures:
    """Figures as HTML: plotly.js inline with the first one only, nothing fetched from the network."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, fig: go.Figure) -> str:
        self.count += 1
        return '<div class="figure">' + fig.to_html(
            full_html=False,
            include_plotlyjs=self.count == 1,
            config={"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "svg"}},
        ) + "</div>"


def _section(anchor: str, title: str, body: str, lead: str = "") -> str:
    intro = f'<p class="lead">{lead}</p>' if lead else ""
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>{intro}{body}</section>'


# --------------------------------------------------------------------------- sections


def _columns_text(columns: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(columns[:limit])
    return shown + (f", … (+{len(columns) - limit} more)" if len(columns) > limit else "")


def _config_text(config: SplitConfig | None) -> str:
    if config is None:
        return "read from a split file (the settings that made it are not known)"
    if config.strategy == "predefined":
        sizes = f"column {config.split_column}"
    elif config.n_folds:
        sizes = f"{config.n_folds} folds"
    else:
        sizes = " / ".join(f"{name} {share:.0%}" for name, share in config.fractions.items())
    columns = [f"{role} {getattr(config, role + '_column')}" for role in ("group", "time", "id")
               if getattr(config, role + "_column")]
    return " · ".join([config.strategy, sizes, f"seed {config.seed}", f"order {config.order}", *columns])


def _concerns(diagnosis: _Diagnosis) -> list[tuple[str, str]]:
    """(status, one line) for every score or check that does not pass."""
    found = [(row.status, row.reading) for row in diagnosis.card.itertuples() if row.status != "pass"]
    checks = diagnosis.leakage.checks
    found += [(row.status, f"{row.title}: {row.detail}") for row in checks.itertuples() if row.status in ("warn", "fail")]
    return found


def _overview(dataset: Dataset, tasks: Sequence[Task], config, diagnosis: _Diagnosis, stamp: str) -> str:
    counts = diagnosis.distribution.counts
    missing = counts[(counts["split"] == diagnostics.WHOLE) & counts["is_missing"]].set_index("task")["fraction"]
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
        "Assignment hash": diagnosis.digest,
        "Data hash": dataset.fingerprint[:12],
        "Generated": stamp,
        "Made with": f"TaskSplit {core.__version__}, plotly {plotly.__version__}",
    }
    facts_html = "".join(f"<dt>{_e(key)}</dt><dd>{_e(value)}</dd>" for key, value in facts.items())
    config_json = "" if config is None else (
        "<details><summary>Split config as JSON (the Export page and <code>SplitConfig.from_json</code> read it)"
        f"</summary><pre>{_e(config.to_json())}</pre></details>"
    )
    concerns = _concerns(diagnosis)
    verdict = status_of(status for status, _ in concerns)
    words = "every quality score and leakage check passes." if not concerns else (
        f"{len(concerns)} score(s) or check(s) to look at; see Warnings."
    )
    summary = f'<p class="verdict">Overall {_badge(verdict)} {_e(words)}</p>'
    tasks_html = "<h3>Tasks</h3>" + _table(task_rows, percent=("labelled rows",))
    return f'<section id="overview">{summary}<dl class="facts">{facts_html}</dl>{config_json}{tasks_html}</section>'


def _strip_columns(dataset: Dataset, config: SplitConfig | None) -> list[str]:
    """Order the fold strip as the Split page does: by time for a time split, else by group, then time."""
    group = (config.group_column if config else None) or dataset.group_column
    time = (config.time_column if config else None) or dataset.time_column
    by = [time, group] if config is not None and config.strategy == "time" else [group, time] if group else []
    columns = [c for c in by if c and c in dataset.frame.columns]
    return list(dict.fromkeys(columns))


def _split_section(dataset: Dataset, assignment: pd.Series, config, diagnosis: _Diagnosis, figure) -> str:
    by = _strip_columns(dataset, config)
    order = strip_order(dataset.frame, by)
    strip = fold_strip(assignment, order, split_names=list(diagnosis.sizes["split"]),
                       ordered_by=", then ".join(by) if by else "row order")
    body = _table(diagnosis.sizes, percent=("share",)) + figure(strip) + figure(split_sizes(diagnosis.sizes))
    return _section("split", "Split", body, _e(_config_text(config)))


def _quality_section(diagnosis: _Diagnosis) -> str:
    card = diagnosis.card[["name", "score", "value", "status", "threshold", "reading"]]
    lead = "Lower is better for every score. Each verdict shows its threshold and what the value means."
    if not diagnosis.fractions_known:
        lead += " ED is not scored: the target fractions of a split read from a file are not known."
    by_split = diagnosis.quality.by_split
    body = _table(card) + "<h3>Per split</h3>" + _table(by_split, percent=("fraction", "desired_fraction"))
    return _section("quality", "Quality scorecard", body, _e(lead))


def _leakage_section(diagnosis: _Diagnosis) -> str:
    checks = diagnosis.leakage.checks[["title", "status", "detail"]]
    body = _table(checks)
    predictors = diagnosis.leakage.predictors
    if len(predictors):
        body += "<h3>Strongest single-feature predictors (train sample)</h3>" + _table(predictors.head(5))
    return _section("leakage", "Leakage checks", body, "Can the model see the answer, or the test rows, in training?")


def _label_table(counts: pd.DataFrame, splits: Sequence[str]) -> str:
    """Labels x splits, each cell the share of the split's rows and the count."""
    shown = counts if counts.loc[counts["is_missing"], "count"].sum() else counts[~counts["is_missing"]]
    labels = list(dict.fromkeys(shown["label"]))
    whole = shown[shown["split"] == diagnostics.WHOLE].set_index("label")["count"]
    note = ""
    if len(labels) > MAX_LABEL_ROWS:
        keep = set(whole.sort_values(ascending=False).index[:MAX_LABEL_ROWS])
        note = f"<p class=\"note\">The {MAX_LABEL_ROWS} most frequent of {len(labels):,} labels.</p>"
        labels = [label for label in labels if label in keep]
    table = {"label": labels}
    for name in (*splits, diagnostics.WHOLE):
        part = shown[shown["split"] == name].set_index("label")
        table[name] = [f"{part.at[label, 'fraction']:.1%} ({part.at[label, 'count']:,})" for label in labels]
    return _table(pd.DataFrame(table)) + note


def _quantile_table(quantiles: pd.DataFrame) -> str:
    wide = quantiles.pivot(index="split", columns="quantile", values="value")
    wide = wide.reindex([s for s in split_order(wide.index) if s in wide.index])
    wide.columns = ["min" if q == 0 else "max" if q == 1 else f"{q:.0%}" for q in wide.columns]
    return _table(wide.reset_index())


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
    return _table(pd.DataFrame(rows), percent=("missing (largest share)",))


def _task_figure(task: Task, diagnosis: _Diagnosis) -> go.Figure:
    """The Diagnostics page's chart of one task: overlaid histograms for regression, grouped bars otherwise."""
    distribution = diagnosis.distribution
    if task.kind == "regression":
        scores = diagnosis.scores.frame
        missing = scores[scores["task"] == task.name].set_index("split")["missing_share"].to_dict()
        return regression_histogram(distribution.histogram[distribution.histogram["task"] == task.name],
                                    missing=missing)
    return label_distribution_bars(distribution.counts[distribution.counts["task"] == task.name])


def _tasks_section(tasks: Sequence[Task], diagnosis: _Diagnosis, figure) -> str:
    body = _score_table(diagnosis.scores.frame, diagnosis.splits)
    counts = diagnosis.distribution.counts
    quantiles = diagnosis.distribution.quantiles
    for task in tasks:
        numbers = _label_table(counts[counts["task"] == task.name], diagnosis.splits)
        if task.kind == "regression":
            numbers = _quantile_table(quantiles[quantiles["task"] == task.name]) + numbers
        body += figure(_task_figure(task, diagnosis)) + (
            f"<details><summary>{_e(task.name)} ({_e(task.kind)}): the numbers behind the chart</summary>"
            f"{numbers}</details>"
        )
    lead = ("How far each split's labels are from the whole data's: Jensen-Shannon distance (KS statistic for "
            "regression; 0 = identical). Then each task's labels per split, as a share of the split's rows; "
            "the counts are in the table under each chart.")
    return _section("tasks", "Per-task distributions", body, _e(lead))


def _heatmap_labels(pairs: pd.DataFrame) -> tuple[list[str], str]:
    """All labels, or the most frequent :data:`MAX_HEATMAP_LABELS` of them, and a note saying so."""
    diagonal = pairs[pairs["row_label"] == pairs["col_label"]].set_index("row_label")["count"]
    labels = list(diagonal.index)
    if len(labels) <= MAX_HEATMAP_LABELS:
        return labels, ""
    kept = set(diagonal.nlargest(MAX_HEATMAP_LABELS).index)
    note = f'<p class="note">The {MAX_HEATMAP_LABELS} most frequent of {len(labels):,} labels are drawn.</p>'
    return [label for label in labels if label in kept], note


def _association_section(diagnosis: _Diagnosis, figure) -> str:
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
                 + _table(diagnosis.shifts.round(3)))
    matrix = diagnosis.association.whole.round(3).reset_index(names="task")
    body += f"<details><summary>Cramér's V as a table</summary>{_table(matrix)}</details>"
    lead = ("Cramér's V: 0 = tasks unrelated, 1 = one task determines the other. A large change in "
            f"P(label | given) between splits (given labels with at least {MIN_SHIFT_SUPPORT} rows in both) "
            "means a model learns a relation between tasks that the evaluation split does not share.")
    return _section("cooccurrence", "Co-occurrence and association", body, _e(lead))


def _warnings_section(dataset: Dataset, split_warnings: Sequence[str], diagnosis: _Diagnosis) -> str:
    items = [("warn", line) for line in (*split_warnings, *dataset.warnings)]
    items += _concerns(diagnosis)
    if not items:
        return _section("warnings", "Warnings", "<p>None: the split, its scores and its leakage checks are clean.</p>")
    body = "<ul class=\"warnings\">" + "".join(f"<li>{_badge(s)} {_e(line)}</li>" for s, line in items) + "</ul>"
    return _section("warnings", "Warnings", body)


def _training_section(training, figure) -> str:
    """A finished run (``TrainResult``): its test metrics, loss curves and last epoch; or a run's epoch records."""
    from core.training import TrainResult  # imported here: torch is slow to import and only this needs it

    history = list(getattr(training, "history", training))
    body = ""
    if isinstance(training, TrainResult):
        facts = {"epochs": len(history), "best epoch": training.best_epoch, "stopped": training.stopped,
                 "weighting": training.config.weighting}
        body = "<p>" + _e(" · ".join(f"{k} {v}" for k, v in facts.items())) + "</p>"
        if training.message:
            body += f'<p class="note">{_e(training.message)}</p>'
        metrics = training.to_frame()
        if len(metrics):
            wide = metrics.pivot(index="task", columns="metric", values="value")
            wide = wide.reindex(pd.unique(metrics["task"])).reset_index()  # tasks in the run's order
            body += "<h3>Test metrics</h3>" + _table(wide)
    if history:
        # TrainResult.history_frame reads only ``.history``, so a run's records draw the same curves
        curves = TrainResult.history_frame(SimpleNamespace(history=history))
        best = training.best_epoch if isinstance(training, TrainResult) else None
        body += figure(loss_curves(curves, best_epoch=best))
        last = history[-1]
        losses = pd.DataFrame({
            "task": list(last.train_loss),
            "train loss": [last.train_loss[t] for t in last.train_loss],
            "val loss": [last.val_loss.get(t) for t in last.train_loss],
            "val metric": [last.val_metric.get(t) for t in last.train_loss],
            "weight": [last.weights.get(t) for t in last.train_loss],
        })  # fmt: skip
        body += f"<h3>Last epoch ({last.epoch})</h3>" + _table(losses)
    return _section("training", "Training run", body or "<p>The run has no epochs yet.</p>")


# --------------------------------------------------------------------------- the page

CSS = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
       font: 15px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
header { padding: 28px 40px 12px; border-bottom: 1px solid var(--line); }
header h1 { margin: 0 0 4px; font-size: 26px; }
nav { padding: 8px 40px; background: var(--soft); border-bottom: 1px solid var(--line); position: sticky; top: 0;
      z-index: 10; }
nav a { margin-right: 18px; color: #0969da; text-decoration: none; font-size: 14px; }
main { padding: 8px 40px 40px; max-width: 1400px; }
section { padding-top: 18px; }
h2 { font-size: 21px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 20px 0 6px; }
h3 small { color: var(--muted); font-weight: normal; }
.lead, .note, .muted { color: var(--muted); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 18px; margin: 12px 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; }
.verdict { font-size: 17px; margin: 10px 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 13.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.badge { color: #fff; border-radius: 10px; padding: 1px 9px; font-size: 12.5px; font-weight: 600; }
.dot { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.warnings li { margin: 4px 0; list-style: none; } .warnings { padding-left: 0; }
pre { background: var(--soft); padding: 10px; overflow-x: auto; font-size: 13px; }
.figure { margin: 8px 0 14px; }
@media print { nav { display: none; } section { break-inside: avoid-page; } }
"""

SECTION_TITLES = {
    "overview": "Overview", "split": "Split", "quality": "Quality", "leakage": "Leakage",
    "tasks": "Tasks", "cooccurrence": "Co-occurrence", "warnings": "Warnings", "training": "Training",
}  # fmt: skip


def _page(title: str, subtitle: str, sections: list[tuple[str, str]]) -> str:
    nav = "".join(f'<a href="#{anchor}">{SECTION_TITLES[anchor]}</a>' for anchor, _ in sections)
    body = "\n".join(part for _, part in sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{_e(title)}</h1><div class=\"muted\">{_e(subtitle)}</div></header>"
        f"<nav>{nav}</nav><main>\n{body}\n</main></body></html>\n"
    )


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
    title: str | None = None,
    warnings: Sequence[str] = (),
    progress: Progress | None = None,
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
    title : str, optional
        Default ``"Split report: <dataset name>"``.
    warnings : sequence of str
        The split's own warnings (``SplitResult.warnings``), listed with the diagnostics' concerns.
    progress : callable (share done, what now) -> None, optional
        Called as the report is built, for a progress bar.

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
    diagnosis = _diagnose(dataset, tasks, assignment, config, progress)
    progress(0.8, "Drawing the figures")
    figure = _Figures()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = [
        ("overview", _overview(dataset, tasks, config, diagnosis, stamp)),
        ("split", _split_section(dataset, assignment, config, diagnosis, figure)),
        ("quality", _quality_section(diagnosis)),
        ("leakage", _leakage_section(diagnosis)),
        ("tasks", _tasks_section(tasks, diagnosis, figure)),
        ("cooccurrence", _association_section(diagnosis, figure)),
        ("warnings", _warnings_section(dataset, warnings, diagnosis)),
    ]
    if training is not None:
        sections.append(("training", _training_section(training, figure)))
    subtitle = f"{len(dataset.frame):,} rows · {len(tasks)} task(s) · {_config_text(config)} · {stamp}"
    page = _page(title or f"Split report: {dataset.name}", subtitle, sections)
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
