"""A training run in a background thread, which the Model page starts, watches and stops.

A loop inside the page script would be cut short by the next click (DESIGN.md),
so :class:`TrainingRun` runs :func:`core.training.train` (and the single-task
baselines after it) in a daemon thread. The thread never calls streamlit: it
only appends each epoch's record and its progress to a shared :class:`_Shared`
under a lock. The session owns its run (``dashboard.state.start_training``)
and a fragment reads :meth:`TrainingRun.snapshot` every half second.

Stopping: :meth:`TrainingRun.stop` sets a ``threading.Event`` that
``should_stop`` reads (polled every ``check_every`` batches and after each
epoch). The session stops its run whenever it replaces it (a new run, a new
dataset: ``state.set_training``). As a backstop the same event is set when the
run object is garbage-collected (a session that ends), so a run nobody can see
does not keep a core busy: the thread holds only the shared part, never the run.
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import TaskSplitError
from core.model import ModelConfig
from core.tasks import Task
from core.training import (
    BASELINES,
    Baselines,
    EpochRecord,
    RunWriter,
    TrainConfig,
    TrainResult,
    TransferGain,
    history_frame,
    prepare_split,
    run_config,
    split_digest,
    train,
    train_baselines,
    transfer_gain,
    tree_baselines,
    weights_frame,
)
from dashboard.background import BackgroundJob, Shared, unexpected

__all__ = ["RunRequest", "RunSnapshot", "TrainingRun"]

log = logging.getLogger(__name__)
_ids = itertools.count(1)


@dataclass(frozen=True, kw_only=True, eq=False)
class RunRequest:
    """Everything a run needs: the data, tasks and split, the settings, and what it was trained on.

    ``key`` is whatever identifies the data, tasks and split the run was made for
    (the page uses ``(fingerprint, tasks, split config)``), so the page can tell a
    stale run from a current one. With ``runs_dir`` the run is also written to a run
    folder there (``core.training.RunWriter``), ``data`` (name, fingerprint) in its config.
    """

    frame: pd.DataFrame
    tasks: tuple[Task, ...]
    assignment: pd.Series
    config: TrainConfig = TrainConfig()
    model_config: ModelConfig = ModelConfig()
    feature_columns: tuple[str, ...] | None = None
    test_fold: int = 0
    group_column: str | None = None
    id_column: str | None = None
    time_column: str | None = None
    baselines: bool = False
    key: tuple = ()
    runs_dir: str | None = None
    data: Mapping = field(default_factory=dict)

    @property
    def baseline_names(self) -> tuple[str, ...]:
        """The baselines a run folder records: the single-task nets and the trees, when baselines are asked for."""
        return BASELINES if self.baselines else ()

    def run_writer(self) -> RunWriter | None:
        """A writer of this run's folder in ``runs_dir`` (None when no folder is set)."""
        if self.runs_dir is None:
            return None
        split = {"digest": split_digest(self.assignment), "test_fold": self.test_fold}
        return RunWriter(self.runs_dir, run_config(self.tasks, self.config, self.model_config, data=self.data,
                                                   split=split, feature_columns=self.feature_columns,
                                                   baselines=self.baseline_names))


@dataclass(frozen=True, kw_only=True)
class RunSnapshot:
    """A consistent copy of a run's state at one moment, for drawing.

    ``phase`` is ``preparing``, ``model``, ``baselines``, ``comparing`` (the bootstrap
    of multi-task vs single-task) or ``finished``; ``records`` are the multi-task
    model's epochs and ``baseline_history`` the baselines' as ``(task, record)``.
    ``error`` is set when the run failed (bad data, or an unexpected error);
    ``result`` once the model is trained. ``patience`` is the run's early stopping
    patience (None: off), which the time estimate needs. ``so_far`` is the model's
    epoch under way, ``(epochs done + its share done, {task: train loss so far})``.
    """

    run_id: int
    phase: str
    records: tuple[EpochRecord, ...]
    planned_epochs: int
    tasks: tuple[str, ...]
    baselines_planned: bool
    baseline_task: str | None
    baseline_epoch: int
    baseline_epochs_done: int
    elapsed: float
    phase_elapsed: float
    result: TrainResult | None
    baselines: Mapping[str, TrainResult] | None
    gain: TransferGain | None
    error: str | None
    patience: int | None = None
    baseline_history: tuple[tuple[str, EpochRecord], ...] = ()
    so_far: tuple[float, Mapping[str, float]] | None = None  # the epoch under way (``loss_curves``' running)

    @property
    def running(self) -> bool:
        return self.phase != "finished"

    def history_frame(self) -> pd.DataFrame:
        """Tidy losses so far (:func:`core.training.history_frame` of these records)."""
        return history_frame(self.records)

    def weights_frame(self) -> pd.DataFrame:
        """Tidy task weights so far (:func:`core.training.weights_frame` of these records)."""
        return weights_frame(self.records)

    def progress(self) -> tuple[float, str]:
        """Share of the run done and a line with where it is and the time left (:meth:`time_left`)."""
        if self.phase == "preparing":
            return 0.0, f"Preparing the features… {self.elapsed:.1f} s"
        if self.phase == "finished":
            return 1.0, f"Finished in {self.elapsed:.1f} s · {len(self.records)} epochs" + self._ending()
        if self.phase == "comparing":
            return 0.99, (f"Still comparing multi-task with single-task (bootstrap of the test rows, "
                          f"{self.phase_elapsed:.0f} s so far): the results appear when it is done · "
                          f"{self.elapsed:.1f} s")
        if self.phase == "model":
            where = f"Multi-task model · epoch {len(self.records)}/{self.planned_epochs}"
        else:
            position = self.tasks.index(self.baseline_task) if self.baseline_task in self.tasks else 0
            where = (f"Single-task baseline {position + 1}/{len(self.tasks)} ({self.baseline_task}) · "
                     f"epoch {self.baseline_epoch}/{self.planned_epochs}")
        left = self.time_left()
        if left is None:
            return 0.0, f"{where} · {self.elapsed:.1f} s"
        about, most = left
        share = min(0.99, self.elapsed / (self.elapsed + about)) if self.elapsed + about > 0 else 0.0
        bound = f" (at most ~{_duration(most)})" if most > 1.5 * about + 1 else ""
        return share, f"{where} · {self.elapsed:.0f} s so far · about {_duration(about)} left{bound}"

    def time_left(self) -> tuple[float, float] | None:
        """Seconds left: a likely figure and an upper bound; None before the first epoch has a time.

        An epoch's cost is the median time of the last few epochs, leaving out the first
        (it carries the warm-up) once there are others; the run's set-up before epoch 1
        is not an epoch's cost (it made the first estimate 20x too long). Baselines cost
        what their own epochs cost once one has run, until then what the model's do.
        Epochs: with early stopping on, a run is likely to end ``patience`` epochs after
        its best val loss so far; a baseline not started yet is taken to run as many
        epochs as the finished baselines did (or the multi-task model). The bound is
        every planned epoch of every run left.
        """
        model_cost = _epoch_cost([r.seconds for r in self.records])
        if model_cost is None:
            return None
        planned, count = self.planned_epochs, len(self.tasks) if self.baselines_planned else 0
        base_cost = _epoch_cost([r.seconds for _, r in self.baseline_history]) or model_cost
        model_end = _likely_end(self.records, planned, self.patience)
        if self.phase == "model":
            done = len(self.records)
            about = (model_end - done) * model_cost + count * model_end * base_cost
            most = (planned - done) * model_cost + count * planned * base_cost
            return about, most
        runs: dict[str, list[EpochRecord]] = {}
        for task, record in self.baseline_history:
            runs.setdefault(task, []).append(record)
        current = runs.pop(self.baseline_task, []) if self.baseline_task else []
        typical = float(np.median([len(r) for r in runs.values()])) if runs else model_end
        position = self.tasks.index(self.baseline_task) if self.baseline_task in self.tasks else 0
        later = max(0, len(self.tasks) - position - 1)
        about = ((_likely_end(current, planned, self.patience) - len(current)) + later * typical) * base_cost
        most = ((planned - len(current)) + later * planned) * base_cost
        return about, most

    def _ending(self) -> str:
        """How a finished run ended, when not by running all its epochs (the page says why at length)."""
        if self.error:
            return " · failed"
        stopped = self.result.stopped if self.result is not None else None
        return {"caller": " · stopped by you", "early_stopping": " · stopped early (no better val loss)",
                "non_finite": " · stopped: the loss was not finite"}.get(stopped, "")


RECENT_EPOCHS = 5  # epochs whose median time is an epoch's cost


def _epoch_cost(seconds: list[float]) -> float | None:
    """The median of the last few epoch times, without the first (warm-up) once there are others."""
    if not seconds:
        return None
    recent = seconds[1:][-RECENT_EPOCHS:] or seconds
    return float(np.median(recent))


def _likely_end(records, planned: int, patience: int | None) -> int:
    """The epoch a run is likely to end at: ``patience`` after its best val loss so far, or the last planned."""
    if patience is None or not records:
        return planned
    monitored = [r.val_total if r.val_total is not None else r.train_total for r in records]
    best = int(np.argmin(monitored)) + 1
    return min(planned, max(len(records), best + patience))


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


@dataclass(kw_only=True)
class _Shared(Shared[RunSnapshot]):
    """What the thread writes and the page reads; every access holds ``lock``."""

    run_id: int
    planned_epochs: int
    tasks: tuple[str, ...]
    baselines_planned: bool
    patience: int | None = None
    phase: str = "preparing"
    records: list[EpochRecord] = field(default_factory=list)
    baseline_task: str | None = None
    baseline_epoch: int = 0
    baseline_epochs_done: int = 0
    baseline_history: list[tuple[str, EpochRecord]] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    phase_started: float = field(default_factory=time.perf_counter)
    finished: float | None = None
    result: TrainResult | None = None
    baselines: dict[str, TrainResult] | None = None
    gain: TransferGain | None = None
    error: str | None = None
    so_far: tuple[float, dict[str, float]] | None = None  # the epoch under way: (epochs done + share, losses)

    def enter(self, phase: str) -> None:
        with self.lock:
            self.phase, self.phase_started = phase, time.perf_counter()

    def add_record(self, record: EpochRecord) -> None:
        with self.lock:
            self.records.append(record)
            self.so_far = None

    def set_so_far(self, epoch: int, share: float, losses: dict[str, float]) -> None:
        """The model's epoch under way: its train loss per task so far, at ``share`` of the epoch."""
        with self.lock:
            self.so_far = (epoch - 1 + share, losses)

    def add_baseline_record(self, task: str, record: EpochRecord) -> None:
        with self.lock:
            self.baseline_task, self.baseline_epoch = task, record.epoch
            self.baseline_epochs_done += 1
            self.baseline_history.append((task, record))

    def snapshot(self) -> RunSnapshot:
        with self.lock:
            now = self.finished or time.perf_counter()
            return RunSnapshot(
                run_id=self.run_id, phase=self.phase, records=tuple(self.records),
                planned_epochs=self.planned_epochs, tasks=self.tasks,
                baselines_planned=self.baselines_planned, baseline_task=self.baseline_task,
                baseline_epoch=self.baseline_epoch, baseline_epochs_done=self.baseline_epochs_done,
                elapsed=now - self.started, phase_elapsed=now - self.phase_started, result=self.result,
                baselines=self.baselines, gain=self.gain, error=self.error, patience=self.patience,
                baseline_history=tuple(self.baseline_history),
                so_far=self.so_far if self.phase == "model" else None,
            )


TRAINING_NICENESS = 10  # added to the training thread's nice value: on a busy machine the page's polls go first


def yield_to_the_page() -> None:
    """Lower the calling thread's CPU priority (Linux: a thread has its own nice value) by :data:`TRAINING_NICENESS`.

    The training thread shares the server's process with the page's polls: on a busy machine (2 cores, load
    10-20) it took the CPU the live curves' fragment runs needed, which then came 2-5 s apart. Niced, it yields
    the CPU to them and to other programs; on an idle machine it trains as fast. Where a thread cannot be
    niced (not Linux), nothing changes.
    """
    if not sys.platform.startswith("linux"):  # elsewhere PRIO_PROCESS takes a process id, not a thread's
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + TRAINING_NICENESS))
    except (AttributeError, OSError):
        return


def _work(shared: _Shared, request: RunRequest) -> None:
    """The thread's body: prepare, train, then the baselines; every outcome ends in ``shared`` (and the run folder)."""
    yield_to_the_page()
    should_stop = shared.stop.is_set
    writer = None
    try:
        writer = request.run_writer()
        on_epoch = shared.add_record if writer is None else (lambda r: (writer.on_epoch(r), shared.add_record(r)))
        prepared = prepare_split(
            request.frame, request.tasks, request.assignment, feature_columns=request.feature_columns,
            test_fold=request.test_fold, group_column=request.group_column, id_column=request.id_column,
            time_column=request.time_column, seed=request.config.seed,
        )
        shared.enter("model")
        result = train(prepared, request.config, request.model_config, on_epoch=on_epoch,
                       should_stop=should_stop, on_batch=shared.set_so_far)
        shared.update(result=result)
        fitted = None
        if request.baselines and result.stopped in ("completed", "early_stopping") and not should_stop():
            shared.enter("baselines")
            baselines = train_baselines(prepared, request.config, request.model_config,
                                        on_epoch=shared.add_baseline_record, should_stop=should_stop)
            finished = {task: b for task, b in baselines.items() if b.stopped in ("completed", "early_stopping")}
            shared.enter("comparing")
            shared.update(baselines=finished, gain=transfer_gain(result, finished) if finished else None)
            if not should_stop():
                trees = tree_baselines(prepared, seed=request.config.seed, threads=request.config.num_threads)
                fitted = Baselines(test={"single_task": {t: dict(b.test[t]) for t, b in finished.items()},
                                         **trees.test}, notes=trees.notes)
        if writer is not None:
            writer.finish(result, fitted)
    except TaskSplitError as error:
        shared.update(error=str(error))
        if writer is not None:
            writer.fail(str(error))
    except Exception as error:  # noqa: BLE001 - the thread's last resort: an unexpected error must reach the page
        why = unexpected(log, f"Training run {shared.run_id}", error)  # the traceback goes to the server log
        shared.update(error=f"Training failed unexpectedly ({why}). The details are in the server log; "
                            "try other settings.")
        if writer is not None:
            writer.fail(f"Training failed unexpectedly ({why}).")
    finally:
        shared.update(phase="finished", finished=time.perf_counter())


class TrainingRun(BackgroundJob[RunSnapshot]):
    """A run of the Model page: started once, read any number of times, stopped on request or when dropped.

    Examples
    --------
    >>> frame = pd.DataFrame({"x": [i / 40 for i in range(40)], "y": [0, 1] * 20})
    >>> request = RunRequest(frame=frame, tasks=(Task("y", ("y",), "binary"),),
    ...                      assignment=pd.Series(["train"] * 30 + ["val", "test"] * 5),
    ...                      config=TrainConfig(epochs=2, batch_size=8))
    >>> run = TrainingRun(request).start()
    >>> run.join(timeout=60)
    True
    >>> snapshot = run.snapshot()
    >>> snapshot.phase, len(snapshot.records), snapshot.result.stopped
    ('finished', 2, 'completed')
    """

    def __init__(self, request: RunRequest):
        self.request = request
        self.id = next(_ids)
        names = tuple(task.name for task in request.tasks)
        shared = _Shared(run_id=self.id, planned_epochs=request.config.epochs, tasks=names,
                         baselines_planned=request.baselines, patience=request.config.patience)
        # The session stops a run it replaces (state.set_training); one dropped without that (a session that
        # ends) stops within an epoch once collected (BackgroundJob's backstop). The thread's stop is polled
        # every ``check_every`` batches.
        super().__init__(_work, shared, request, name=f"training-run-{self.id}")
