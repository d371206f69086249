"""Issue 12: the report's training section survives any number of tasks and a broken figure, and says whether
multi-task training helped, with intervals."""

from __future__ import annotations

import pytest

from core.report import render_report
from core.training import EpochRecord, TaskGain, TransferGain

EIGHT = ("union", "married", "poorhlth", "lwage", "hours", "occupation", "industry", "black")


def records(tasks, epochs: int = 2) -> list[EpochRecord]:
    return [EpochRecord(epoch=e, seconds=0.1, train_loss=dict.fromkeys(tasks, 1.0 / e),
                        val_loss=dict.fromkeys(tasks, 1.1 / e),
                        val_metric=dict.fromkeys(tasks, 0.7), weights=dict.fromkeys(tasks, 1.0),
                        train_total=len(tasks) / e, val_total=1.1 * len(tasks) / e)
            for e in range(1, epochs + 1)]


@pytest.fixture(scope="module")
def assignment(wagepan):
    return ["train", "val", "test"] * (len(wagepan.frame) // 3) + ["train"] * (len(wagepan.frame) % 3)


def test_eight_tasks_draw_their_loss_curves_in_the_report(wagepan, assignment):
    """9 loss panels made a 3-row grid plotly refused, and the report failed with the Model page."""
    page = render_report(wagepan, wagepan.tasks[:1], assignment, training=records(EIGHT))
    assert "Loss per task: train vs val" in page and "could not be drawn" not in page


def test_a_figure_that_fails_is_a_one_line_note_and_the_report_is_whole(wagepan, assignment, monkeypatch):
    import core.report._render as report

    def broken(*args, **kwargs):
        raise ValueError("Invalid value of type 'builtins.float' received for the 'domain[0]' property\nmore")

    monkeypatch.setattr(report, "loss_curves", broken)
    page = render_report(wagepan, wagepan.tasks[:1], assignment, training=records(EIGHT))
    assert "The loss curves chart could not be drawn (ValueError: Invalid value of type" in page
    assert "Last epoch (2)" in page and '<section id="warnings">' in page


def test_the_comparison_with_its_sentence_intervals_and_verdicts(wagepan, assignment):
    gains = (TaskGain(task="union", metric="roc_auc", mtl=0.75, stl=0.70, gain=0.05, relative_gain=0.071,
                      low=0.02, high=0.08, verdict="helps"),
             TaskGain(task="lwage", metric="r2", mtl=0.30, stl=0.30, gain=0.001, relative_gain=0.003,
                      low=-0.02, high=0.02, verdict="no clear difference"),
             TaskGain(task="black", metric="roc_auc", mtl=None, stl=None, gain=None, relative_gain=None,
                      verdict="not meaningful",
                      note="2 labelled test rows (fewer than 20)"))
    transfer = TransferGain(tasks=gains, delta_m=0.037, delta_m_low=-0.01, delta_m_high=0.09, resamples=1000)
    page = render_report(wagepan, wagepan.tasks[:1], assignment, training=records(EIGHT), transfer=transfer)
    assert "Multi-task helps union; no clear difference on the other task; not meaningful for black" in page
    assert "1,000 paired bootstrap resamples" in page
    assert "Which tasks gain from sharing the trunk" in page
    assert "no clear difference</td>" in page and "2 labelled test rows (fewer than 20)" in page


def test_the_report_says_who_is_left_out_of_delta_m_and_when_a_run_diverged(wagepan, assignment):
    from dataclasses import replace

    import numpy as np

    from core.training import TrainConfig, fit_on_split

    gains = (TaskGain(task="union", metric="roc_auc", mtl=0.75, stl=0.70, gain=0.05, relative_gain=0.071,
                      low=0.02, high=0.08, verdict="helps"),
             TaskGain(task="loanamt", metric="r2", mtl=0.3, stl=-977.0, gain=977.3, relative_gain=1.0,
                      low=900.0, high=1000.0, verdict="helps"))
    transfer = TransferGain(tasks=gains, delta_m=0.071, delta_m_low=0.02, delta_m_high=0.12, resamples=1000,
                            left_out=(("loanamt", "single-task r2 is -977 (below 0.05)"),))
    frame = wagepan.frame.iloc[:600]
    folds = np.array(["train", "val", "test"])[np.arange(600) % 3]
    tasks = [wagepan.tasks[0]]
    run = fit_on_split(frame, tasks, folds, feature_columns=["educ", "exper"], config=TrainConfig(epochs=2))
    name = tasks[0].name
    history = tuple(replace(r, val_loss={name: 0.5 * 100 ** (r.epoch - 1)}, train_loss={name: 1.0 / r.epoch})
                    for r in run.history)
    from core.data import Dataset

    data = Dataset(name="small", frame=frame, feature_columns=("educ", "exper"))
    page = render_report(data, tasks, folds, training=replace(run, history=history),
                         transfer=transfer)
    assert "left out: loanamt (single-task r2 is -977 (below 0.05))" in page
    assert f"Validation loss of {name} diverged (x100 from epoch 1" in page
