"""Issue 12: the report's training section survives any number of tasks and a broken figure, and says whether
multi-task training helped, with intervals."""

from __future__ import annotations

import pytest

from core.report import render_report
from core.training import EpochRecord, TaskGain, TransferGain

EIGHT = ("union", "married", "poorhlth", "lwage", "hours", "occupation", "industry", "black")


def records(tasks, epochs: int = 2) -> list[EpochRecord]:
    return [EpochRecord(e, 0.1, dict.fromkeys(tasks, 1.0 / e), dict.fromkeys(tasks, 1.1 / e),
                        dict.fromkeys(tasks, 0.7), dict.fromkeys(tasks, 1.0), len(tasks) / e, 1.1 * len(tasks) / e)
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
    gains = (TaskGain("union", "roc_auc", 0.75, 0.70, 0.05, 0.071, 0.02, 0.08, "helps"),
             TaskGain("lwage", "r2", 0.30, 0.30, 0.001, 0.003, -0.02, 0.02, "no clear difference"),
             TaskGain("black", "roc_auc", None, None, None, None, verdict="not meaningful",
                      note="2 labelled test rows (fewer than 20)"))
    transfer = TransferGain(gains, 0.037, -0.01, 0.09, resamples=1000)
    page = render_report(wagepan, wagepan.tasks[:1], assignment, training=records(EIGHT), transfer=transfer)
    assert "Multi-task helps union; no clear difference on the other task; not meaningful for black" in page
    assert "1,000 paired bootstrap resamples" in page
    assert "Which tasks gain from sharing the trunk" in page
    assert "no clear difference</td>" in page and "2 labelled test rows (fewer than 20)" in page


def test_the_report_says_who_is_left_out_of_delta_m_and_when_a_run_diverged(wagepan, assignment):
    from dataclasses import replace

    import numpy as np

    from core.training import TrainConfig, fit_on_split

    gains = (TaskGain("union", "roc_auc", 0.75, 0.70, 0.05, 0.071, 0.02, 0.08, "helps"),
             TaskGain("loanamt", "r2", 0.3, -977.0, 977.3, 1.0, 900.0, 1000.0, "helps"))
    transfer = TransferGain(gains, 0.071, 0.02, 0.12, 1000, (("loanamt", "single-task r2 is -977 (below 0.05)"),))
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
