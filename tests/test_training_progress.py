"""Issue 12: the Model page's time estimate. After epoch 1 it said "~33 min"; the run took 88 s.

The estimate is checked on constructed snapshots shaped like a measured wagepan run with 8 tasks and
baselines (model: 30 of 50 planned epochs, early stopping with patience 10, ~0.07 s an epoch after ~7 s
of set-up; baselines: 11 to 26 epochs each, ~0.055 s an epoch). No clock is read.
"""

from __future__ import annotations

import pytest

from core.training import EpochRecord
from dashboard.training_run import RunSnapshot

TASKS = ("union", "married", "poorhlth", "lwage", "hours", "occupation", "industry", "black")
PLANNED, PATIENCE, SETUP = 50, 10, 7.0
MODEL_EPOCHS, MODEL_BEST, MODEL_SECONDS = 30, 20, 0.07
BASELINE_EPOCHS = dict(zip(TASKS, (20, 18, 13, 20, 11, 22, 16, 26), strict=True))
BASELINE_SECONDS = 0.055


def record(epoch: int, seconds: float, best: int) -> EpochRecord:
    """An epoch whose val loss falls until epoch ``best`` and rises after it."""
    val = 1.0 / epoch if epoch <= best else 1.0 / best + 0.01 * (epoch - best)
    return EpochRecord(epoch=epoch, seconds=seconds, train_loss={"t": val}, val_loss={"t": val},
                       val_metric={"t": None}, weights={"t": 1.0}, train_total=val, val_total=val)


def model_records(n: int) -> tuple[EpochRecord, ...]:
    return tuple(record(e, MODEL_SECONDS, MODEL_BEST) for e in range(1, n + 1))


def baseline_history(task_index: int, epoch: int) -> tuple[tuple[str, EpochRecord], ...]:
    """Every baseline before ``task_index`` finished, and ``epoch`` epochs of that one."""
    history = []
    for i, task in enumerate(TASKS[: task_index + 1]):
        epochs = BASELINE_EPOCHS[task] if i < task_index else epoch
        best = BASELINE_EPOCHS[task] - PATIENCE
        history += [(task, record(e, BASELINE_SECONDS, best)) for e in range(1, epochs + 1)]
    return tuple(history)


def snapshot(phase: str, records, history=(), *, elapsed: float, phase_elapsed: float) -> RunSnapshot:
    task = history[-1][0] if history else None
    return RunSnapshot(
        run_id=1, phase=phase, records=records, planned_epochs=PLANNED, tasks=TASKS, baselines_planned=True,
        baseline_task=task, baseline_epoch=history[-1][1].epoch if history else 0,
        baseline_epochs_done=len(history),
        elapsed=elapsed, phase_elapsed=phase_elapsed, result=None, baselines=None, gain=None, error=None,
        patience=PATIENCE, baseline_history=history,
    )


def actual_left_in_model(done: int) -> float:
    return (MODEL_EPOCHS - done) * MODEL_SECONDS + sum(BASELINE_EPOCHS.values()) * BASELINE_SECONDS


def test_after_epoch_one_the_estimate_is_seconds_not_half_an_hour():
    first = snapshot("model", model_records(1), elapsed=SETUP + MODEL_SECONDS, phase_elapsed=SETUP + MODEL_SECONDS)
    about, most = first.time_left()
    actual = actual_left_in_model(1)  # ~10 s
    assert actual / 3 <= about <= 3 * actual
    assert most >= actual
    share, text = first.progress()
    assert "min" not in text and "about" in text
    assert share == pytest.approx(first.elapsed / (first.elapsed + about))  # the bar follows time, not epochs


def test_the_set_up_before_epoch_one_is_not_an_epochs_cost():
    """The old estimate divided the phase's time (set-up included) by the epochs done: 7 s an epoch."""
    quick = snapshot("model", model_records(1), elapsed=1.0, phase_elapsed=0.1)
    slow_setup = snapshot("model", model_records(1), elapsed=30.0, phase_elapsed=30.0)
    assert quick.time_left() == slow_setup.time_left()


def test_a_slow_first_epoch_is_left_out_once_there_are_others():
    records = (record(1, 5.0, 20),) + tuple(record(e, MODEL_SECONDS, 20) for e in range(2, 5))
    about, _ = snapshot("model", records, elapsed=6.0, phase_elapsed=6.0).time_left()
    assert about == pytest.approx(((4 + PATIENCE - 4) + len(TASKS) * (4 + PATIENCE)) * MODEL_SECONDS)


@pytest.mark.parametrize("done", [1, 5, 15, 25])
def test_during_the_model_the_bound_holds_and_the_estimate_is_near(done):
    about, most = snapshot("model", model_records(done), elapsed=SETUP, phase_elapsed=SETUP).time_left()
    actual = actual_left_in_model(done)
    assert most >= actual
    assert actual / 3 <= about <= 3 * actual


@pytest.mark.parametrize(("task_index", "epoch"), [(0, 1), (3, 5), (7, 20)])
def test_baselines_are_estimated_from_their_own_epochs(task_index, epoch):
    history = baseline_history(task_index, epoch)
    current = snapshot("baselines", model_records(MODEL_EPOCHS), history, elapsed=20.0, phase_elapsed=5.0)
    about, most = current.time_left()
    task = TASKS[task_index]
    actual = ((BASELINE_EPOCHS[task] - epoch) + sum(BASELINE_EPOCHS[t] for t in TASKS[task_index + 1:])) \
        * BASELINE_SECONDS
    assert most >= actual
    assert actual / 3 <= about <= 3 * actual + BASELINE_SECONDS * PATIENCE
    assert f"Single-task baseline {task_index + 1}/8 ({task})" in current.progress()[1]


def test_without_early_stopping_every_planned_epoch_counts():
    records = model_records(2)
    plain = RunSnapshot(run_id=1, phase="model", records=records, planned_epochs=PLANNED, tasks=TASKS,
                        baselines_planned=False, baseline_task=None, baseline_epoch=0, baseline_epochs_done=0,
                        elapsed=1.0, phase_elapsed=1.0, result=None, baselines=None, gain=None, error=None,
                        patience=None, baseline_history=())
    assert plain.time_left() == pytest.approx((48 * MODEL_SECONDS, 48 * MODEL_SECONDS))


def test_the_bootstrap_and_the_end_have_their_own_lines():
    comparing = snapshot("comparing", model_records(3), elapsed=12.0, phase_elapsed=0.5)
    assert comparing.progress()[1].startswith("Still comparing multi-task with single-task")  # the results follow
    assert snapshot("model", (), elapsed=3.0, phase_elapsed=3.0).progress() == (
        0.0, f"Multi-task model · epoch 0/{PLANNED} · 3.0 s")


def test_the_epoch_under_way_is_in_the_snapshot_until_the_epoch_ends():
    """What the live chart draws between epochs: set by the loop's on_batch, cleared by the epoch's record."""
    from dashboard.training_run import _Shared

    shared = _Shared(run_id=1, planned_epochs=PLANNED, tasks=TASKS, baselines_planned=False)
    shared.enter("model")
    assert shared.snapshot().so_far is None
    shared.set_so_far(2, 0.25, {"a": 0.5})
    assert shared.snapshot().so_far == (1.25, {"a": 0.5})  # one epoch done, a quarter of the second
    shared.add_record(record(2, 0.5, best=2))
    assert shared.snapshot().so_far is None
    shared.set_so_far(3, 0.5, {"a": 0.4})
    shared.enter("baselines")  # the baselines train their own nets: not the model's curves
    assert shared.snapshot().so_far is None
