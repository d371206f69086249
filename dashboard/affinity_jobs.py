"""The Model page's task-affinity work in a background thread: the lookahead affinity (TAG), or training a grouping.

A job is a :class:`dashboard.background.BackgroundJob`, as the training run and the run queue are: a daemon thread
that never calls streamlit writes a shared record the page polls (:meth:`AffinityJob.snapshot`, from a fragment),
and Stop sets the event the work polls. A job belongs to the training run it was started from (``run_id``): it
prepares the same split with the run's settings.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from core.errors import TaskSplitError
from core.training import PreparedSplit, lookahead_affinity, prepare_split, train_groups
from dashboard.background import BackgroundJob, Shared, unexpected
from dashboard.training_run import RunRequest

__all__ = ["AffinityJob", "JobSnapshot", "lookahead_job", "groups_job"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class JobSnapshot:
    """A job at one moment: still ``running``, its progress line, and its ``result`` or ``error`` once done."""

    kind: str
    run_id: int
    running: bool
    progress: float
    text: str
    result: object | None
    error: str | None
    groups: tuple[tuple[str, ...], ...] | None = None


@dataclass(kw_only=True)
class _Shared(Shared[JobSnapshot]):
    """What the thread writes and the page reads; every access holds ``lock``."""

    kind: str
    run_id: int
    groups: tuple[tuple[str, ...], ...] | None = None
    running: bool = True
    progress: float = 0.0
    text: str = "Preparing the features…"
    result: object | None = None
    error: str | None = None
    started: float = field(default_factory=time.perf_counter)

    def snapshot(self) -> JobSnapshot:
        with self.lock:
            elapsed = time.perf_counter() - self.started
            return JobSnapshot(kind=self.kind, run_id=self.run_id, running=self.running, progress=self.progress,
                               text=f"{self.text} {elapsed:.0f} s", result=self.result, error=self.error,
                               groups=self.groups)


def _prepared(request: RunRequest) -> PreparedSplit:
    """The split exactly as the run prepared it (the same rows, features and seed)."""
    return prepare_split(
        request.frame, request.tasks, request.assignment, feature_columns=request.feature_columns,
        test_fold=request.test_fold, group_column=request.group_column, id_column=request.id_column,
        time_column=request.time_column, seed=request.config.seed,
    )


Work = Callable[[PreparedSplit, _Shared], object]


def _work(shared: _Shared, work: Work, request: RunRequest, what: str) -> None:
    """The thread's body: prepare the run's split, do ``work`` on it; every outcome ends in ``shared``."""
    try:
        prepared = _prepared(request)
        shared.update(text=f"{what}…")
        shared.update(result=work(prepared, shared))
    except TaskSplitError as error:
        shared.update(error=str(error))
    except Exception as error:  # noqa: BLE001 - the thread's last resort: an unexpected error must reach the page
        why = unexpected(log, what, error)  # the traceback goes to the server log
        shared.update(error=f"{what} failed unexpectedly ({why}). The details are in the server log.")
    finally:
        shared.update(running=False, progress=1.0)


class AffinityJob(BackgroundJob[JobSnapshot]):
    """A lookahead measurement (``kind="lookahead"``) or a grouping's training (``kind="groups"``) in its thread:
    ``work(prepared, shared)`` on the run's split, its result kept; ``what`` names it in the progress line."""

    def __init__(self, kind: str, run_id: int, request: RunRequest, work: Work, what: str, groups=None):
        self.kind, self.run_id, self.groups = kind, run_id, groups
        shared = _Shared(kind=kind, run_id=run_id, groups=groups)
        # A job nobody can see stops within a batch or an epoch (BackgroundJob's backstop): the thread holds
        # only ``shared``, never the job.
        super().__init__(_work, shared, work, request, what, name=f"affinity-{kind}-{run_id}")


def lookahead_job(run_id: int, request: RunRequest) -> AffinityJob:
    """Measure the lookahead affinity (TAG) on the run's split and settings."""

    def work(prepared: PreparedSplit, state: _Shared):
        def step(done: int, total: int) -> None:
            state.update(progress=done / max(total, 1), text=f"Lookahead affinity: batch {done}/{total}")

        return lookahead_affinity(prepared, request.config, request.model_config, should_stop=state.stop.is_set,
                                  on_step=step)

    return AffinityJob("lookahead", run_id, request, work, "Measuring the lookahead affinity")


def groups_job(run_id: int, request: RunRequest, groups: tuple[tuple[str, ...], ...]) -> AffinityJob:
    """Train one model per group on the run's split and settings."""

    def work(prepared: PreparedSplit, state: _Shared):
        planned = request.config.epochs * len(groups)
        done = [0]

        def epoch(group, record) -> None:
            done[0] += 1
            state.update(progress=min(0.99, done[0] / planned),
                         text=f"Group {groups.index(group) + 1}/{len(groups)} ({', '.join(group)}) · epoch {record.epoch}")

        return train_groups(prepared, groups, request.config, request.model_config, on_epoch=epoch,
                            should_stop=state.stop.is_set)

    return AffinityJob("groups", run_id, request, work, "Training the grouping", groups)
