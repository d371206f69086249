"""The Model page's task-affinity work in a background thread: the lookahead affinity (TAG), or training a grouping.

Like :mod:`dashboard.training_run`, a job runs in a daemon thread that never calls streamlit; the page
polls :meth:`AffinityJob.snapshot` from a fragment and Stop sets an event the work polls. A job belongs
to the training run it was started from (``run_id``): it prepares the same split with the run's settings.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from core.errors import TaskSplitError
from core.training import PreparedSplit, lookahead_affinity, prepare_split, train_groups
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
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    running: bool = True
    progress: float = 0.0
    text: str = "Preparing the features…"
    result: object | None = None
    error: str | None = None
    started: float = field(default_factory=time.perf_counter)

    def update(self, **values) -> None:
        with self.lock:
            for name, value in values.items():
                setattr(self, name, value)


def _prepared(request: RunRequest) -> PreparedSplit:
    """The split exactly as the run prepared it (the same rows, features and seed)."""
    return prepare_split(
        request.frame, request.tasks, request.assignment, feature_columns=request.feature_columns,
        test_fold=request.test_fold, group_column=request.group_column, id_column=request.id_column,
        time_column=request.time_column, seed=request.config.seed,
    )


def _body(state: _State, work: Callable[[PreparedSplit], object], request: RunRequest, what: str) -> None:
    try:
        prepared = _prepared(request)
        state.update(text=f"{what}…")
        state.update(result=work(prepared))
    except TaskSplitError as error:
        state.update(error=str(error))
    except Exception as error:  # noqa: BLE001 - the thread's last resort: an unexpected error must reach the page
        log.exception("Affinity job failed")
        state.update(error=f"{what} failed unexpectedly ({type(error).__name__}: {error}). "
                           "The details are in the server log.")
    finally:
        state.update(running=False, progress=1.0)


class AffinityJob:
    """A lookahead measurement (``kind="lookahead"``) or a grouping's training (``kind="groups"``) in its thread."""

    def __init__(self, kind: str, run_id: int, request: RunRequest, work, what: str, groups=None):
        self.kind, self.run_id, self.groups = kind, run_id, groups
        self._state = _State()
        self._thread = threading.Thread(target=_body, args=(self._state, lambda p: work(p, self._state), request, what),
                                        name=f"affinity-{kind}-{run_id}", daemon=True)
        weakref.finalize(self, self._state.stop.set)  # a job nobody can see stops within a batch or an epoch

    def start(self) -> AffinityJob:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._state.stop.set()

    def join(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def snapshot(self) -> JobSnapshot:
        state = self._state
        with state.lock:
            elapsed = time.perf_counter() - state.started
            return JobSnapshot(kind=self.kind, run_id=self.run_id, running=state.running, progress=state.progress,
                               text=f"{state.text} {elapsed:.0f} s", result=state.result, error=state.error,
                               groups=self.groups)


def lookahead_job(run_id: int, request: RunRequest) -> AffinityJob:
    """Measure the lookahead affinity (TAG) on the run's split and settings."""

    def work(prepared: PreparedSplit, state: _State):
        def step(done: int, total: int) -> None:
            state.update(progress=done / max(total, 1), text=f"Lookahead affinity: batch {done}/{total}")

        return lookahead_affinity(prepared, request.config, request.model_config, should_stop=state.stop.is_set,
                                  on_step=step)

    return AffinityJob("lookahead", run_id, request, work, "Measuring the lookahead affinity")


def groups_job(run_id: int, request: RunRequest, groups: tuple[tuple[str, ...], ...]) -> AffinityJob:
    """Train one model per group on the run's split and settings."""

    def work(prepared: PreparedSplit, state: _State):
        planned = request.config.epochs * len(groups)
        done = [0]

        def epoch(group, record) -> None:
            done[0] += 1
            state.update(progress=min(0.99, done[0] / planned),
                         text=f"Group {groups.index(group) + 1}/{len(groups)} ({', '.join(group)}) · epoch {record.epoch}")

        return train_groups(prepared, groups, request.config, request.model_config, on_epoch=epoch,
                            should_stop=state.stop.is_set)

    return AffinityJob("groups", run_id, request, work, "Training the grouping", groups)
