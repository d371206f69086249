"""The report's sections on the split itself: overview, sizes and fold strip, quality scorecard, leakage checks,
per-task distributions, co-occurrence and association, the strategy comparison, and the warnings.

Each section is a function of the :class:`~core.report._diagnosis.Diagnosis` (computed once) and a ``figure``
embedder; :mod:`core.report._render` puts them in order with the training and runs sections. Every name or value
from the data goes through :func:`escape` (see ``_render.py`` on safety).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly
import plotly.graph_objects as go

from .. import __version__
from ..data import Dataset
from ..diagnostics import status_of
from ..figures import (
    association_heatmap,
    binary_rate_bars,
    cooccurrence_heatmap,
    fold_strip,
    label_distribution_bars,
    regression_histogram,
    split_sizes,
    strategy_comparison,
    strip_order,
)
from ..splits import STRATEGIES, WHOLE, SplitConfig, split_order, time_order, time_order_words
from ..tasks import Task
from ._diagnosis import MIN_SHIFT_SUPPORT, Diagnosis
from ._html import escape, html_section, html_table, status_badge

__all__ = [
    "overview_section",
    "split_section",
    "quality_section",
    "leakage_section",
    "tasks_section",
    "association_section",
    "comparison_section",
    "warnings_section",
    "config_text",
]

MAX_LABEL_ROWS = 30  # labels shown per task in a distribution table; the rest are summed up
MAX_HEATMAP_LABELS = 60  # the most frequent labels drawn in a co-occurrence heatmap, as on the Diagnostics page


# --------------------------------------------------------------------------- sections


def _columns_text(columns: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(columns[:limit])
    return shown + (f", … (+{len(columns) - limit} more)" if len(columns) > limit else "")


def config_text(config: SplitConfig | None) -> str:
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


def overview_section(dataset: Dataset, tasks: Sequence[Task], config, diagnosis: Diagnosis, stamp: str) -> str:
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
        "Split": config_text(config),
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


def split_section(dataset: Dataset, assignment: pd.Series, config, diagnosis: Diagnosis, figure) -> str:
    by = _strip_columns(dataset, config)
    order = strip_order(dataset.frame, by)
    if config is not None and STRATEGIES[config.strategy].by_time:  # as the split placed rows (the Split page too)
        order, by = time_order(dataset.frame, config), [time_order_words(config)]
    strip = fold_strip(assignment, order, split_names=list(diagnosis.sizes["split"]),
                       ordered_by=", then ".join(by) if by else "row order")
    body = html_table(diagnosis.sizes, percent=("share",)) + figure(strip) + figure(split_sizes(diagnosis.sizes))
    return html_section("split", "Split", body, escape(config_text(config)))


def quality_section(diagnosis: Diagnosis) -> str:
    card = diagnosis.card[["name", "score", "value", "status", "threshold", "reading"]]
    lead = "Lower is better for every score. Each verdict shows its threshold and what the value means."
    if not diagnosis.fractions_known:
        lead += " ED is not scored: the target fractions of a split read from a file are not known."
    by_split = diagnosis.quality.by_split
    body = html_table(card) + "<h3>Per split</h3>" + html_table(by_split, percent=("fraction", "desired_fraction"))
    return html_section("quality", "Quality scorecard", body, escape(lead))


def leakage_section(diagnosis: Diagnosis) -> str:
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


def tasks_section(tasks: Sequence[Task], diagnosis: Diagnosis, figure) -> str:
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


def association_section(diagnosis: Diagnosis, figure) -> str:
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
    lead = ("Cramér's V: 0 = tasks unrelated, 1 = one task fixes the other: the task with fewer classes is a "
            "function of the other (a digit fixes even/odd: V = 1, though even/odd does not fix the digit). A large change in "
            f"P(label | given) between splits (given labels with at least {MIN_SHIFT_SUPPORT} rows in both) "
            "means a model learns a relation between tasks that the evaluation split does not share.")
    return html_section("cooccurrence", "Co-occurrence and association", body, escape(lead))


COMPARISON_COLUMNS = {  # the comparison table's columns, as the Diagnostics page shows them
    "config": "config", "status": "status", "reason": "why", "ld": "LD", "lpd": "LPD", "worst_js": "worst JS",
    "ed_share": "ED (share)", "fz": "FZ", "flz": "FLZ", "groups_split": "groups split", "error": "error",
}  # fmt: skip


def comparison_section(diagnosis: Diagnosis, config: SplitConfig | None, figure) -> str:
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


def warnings_section(dataset: Dataset, split_warnings: Sequence[str], diagnosis: Diagnosis) -> str:
    items = [("warn", line) for line in (*split_warnings, *dataset.warnings)]
    items += _concerns(diagnosis)
    if not items:
        return html_section("warnings", "Warnings", "<p>None: the split, its scores and its leakage checks are clean.</p>")
    body = "<ul class=\"warnings\">" + "".join(f"<li>{status_badge(s)} {escape(line)}</li>" for s, line in items) + "</ul>"
    return html_section("warnings", "Warnings", body)
