"""The report's runs section: the runs table (with mean ± sd over seeds and the baselines) and the per-task curves.

Given the runs of a runs folder (``core.training.list_runs``), the report shows what
the Model page's runs table shows: each run's best val metric and its epoch, its test
metric, the single-task nets' and the trees' metrics and the gains over them, Δm,
the mean and sd over the seeds of each setting, the tasks where the multi-task net
loses in words, and the runs' loss curves overlaid.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..figures import run_curves, run_marks
from ..training import RunRecord, baseline_losses, runs_frame, seed_summary, transfer_flags
from ._html import escape, html_section, html_table

__all__ = ["runs_section"]

MAX_CURVE_RUNS = 8  # the newest runs drawn; more lines than this in one panel cannot be told apart
TABLE_COLUMNS = {"run": "run", "design": "design", "weighting": "weighting", "seed": "seed", "status": "run status",
                 "task": "task", "metric": "metric", "best_val": "best val", "best_epoch": "at epoch", "test": "test",
                 "single_task": "single-task", "trees": "trees", "vs_single_task": "Δ vs single-task",
                 "vs_trees": "Δ vs trees", "delta_m_single_task": "Δm vs single-task", "delta_m_trees": "Δm vs trees"}


def _summary_table(table: pd.DataFrame) -> str:
    summary = seed_summary(table)
    summary = summary[summary["seeds"].astype(float) >= 2] if len(summary) else summary
    if summary.empty:
        return ""
    shown = pd.DataFrame({
        "design": summary["design"], "weighting": summary["weighting"], "task": summary["task"],
        "metric": summary["metric"], "seeds": summary["seeds"],
        **{label: [_pm(m, s) for m, s in zip(summary[f"{value}_mean"], summary[f"{value}_sd"], strict=True)]
           for label, value in (("test", "test"), ("single-task", "single_task"), ("trees", "trees"),
                                ("Δm vs single-task", "delta_m_single_task"), ("Δm vs trees", "delta_m_trees"))},
    })
    return "<h3>Mean ± sd over seeds</h3>" + html_table(shown)


def _pm(mean, sd) -> str:
    if mean is None or pd.isna(mean):
        return "–"
    return f"{mean:.3f}" if sd is None or pd.isna(sd) else f"{mean:.3f} ± {sd:.3f}"


def _flags(runs: Sequence[RunRecord]) -> str:
    """The tasks flagged over seeds, per setting with 2 or more finished seeds with baselines (as the page flags)."""
    items = []
    for flags in transfer_flags(runs):
        setting = f"{flags.design} · {flags.weighting} (seeds {', '.join(map(str, flags.seeds))})"
        said = [f"negative transfer: {line}" for line in flags.alone] + [f"loses to the trees: {line}"
                                                                      for line in flags.trees]
        items += [f"<li>{escape(setting)}: {escape(line)}</li>" for line in said] or [
            f"<li>{escape(setting)}: no task worse than alone or than the trees on every seed.</li>"]
    if not items:
        return ""
    return ("<h3>Tasks flagged over seeds</h3><p class=\"note\">A task is flagged when its primary test metric is "
            "below the baseline's on every seed of the setting.</p><ul>" + "".join(items) + "</ul>")


def runs_section(runs: Sequence[RunRecord], figure, safe_figure) -> str:
    """The ``runs`` section: the table, the seed summary, the losses to a baseline in words, and the curves."""
    runs = tuple(runs)
    if not runs:
        return html_section("runs", "Training runs", "<p>The runs folder holds no runs.</p>")
    table = runs_frame(runs)
    body = html_table(table[list(TABLE_COLUMNS)].rename(columns=TABLE_COLUMNS), percent=("Δm vs single-task",
                                                                                           "Δm vs trees"))
    body += _summary_table(table)
    said = [f"{run.name}: {sentence}" for run in runs if (run.metrics or {}).get("baselines")
            for sentence in baseline_losses(run.metrics.get("test") or {}, run.metrics["baselines"], run.kinds)]
    if said:
        body += "<h3>Where the multi-task net loses to a baseline</h3><ul>"
        body += "".join(f"<li>{escape(sentence)}</li>" for sentence in said) + "</ul>"
    body += _flags(runs)
    drawn = runs[-MAX_CURVE_RUNS:]
    history = pd.concat([run.history_frame() for run in drawn], ignore_index=True)
    if len(history):
        names = {run.name for run in drawn}
        body += safe_figure(figure, "runs' loss curves", lambda: run_curves(
            history, run_marks(table[table["run"].isin(names)])))
        if len(runs) > MAX_CURVE_RUNS:
            body += f'<p class="note">The curves show the newest {MAX_CURVE_RUNS} of the {len(runs)} runs.</p>'
    lead = ("Each run's best val metric and its epoch, its test metric, and the single-task nets' and trees' on the "
            "same features and split; Δ is the multi-task net minus the baseline (positive: multi-task is better).")
    return html_section("runs", "Training runs", body, escape(lead))
