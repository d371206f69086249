"""A queue of training runs (a setting repeated with more seeds, say) worked off in one background thread.

The Model page queues runs ("repeat with 3 seeds") and goes on drawing: the
thread trains them one after another with :func:`core.training.fit_run`, each
into its own run folder, which the page's runs table reads back as they train.
The session owns the queue as it owns its training run
(``dashboard.state.start_queue``); :meth:`RunQueue.cancel` stops the run in
progress within ``check_every`` batches (its folder says ``cancelled``) and
drops the runs not started. The thread never calls streamlit, and as with
:class:`dashboard.training_run.TrainingRun` the queue cancels itself when the
session drops it (garbage-collected).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from core.errors import TaskSplitError
from core.training import fit_run
from dashboard.background import BackgroundJob, Shared, unexpected
from dashboard.training_run import RunRequest, yield_to_the_page

__all__ = ["QueueSnapshot", "RunQueue"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class QueueSnapshot:
    """Where the queue is: runs planned and finished, the current run's label and epoch, errors, cancelled."""

    planned: int
    finished: int
    current: str | None
    epoch: int
    errors: tuple[str, ...]
    cancelled: bool
    running: bool

    def line(self) -> str:
        """One line for the page.

        Examples
        --------
        >>> QueueSnapshot(planned=3, finished=1, current="seed 1", epoch=4, errors=(), cancelled=False,
        ...               running=True).line()
        'Queued runs: 1 of 3 done · now seed 1, epoch 4'
        """
        if self.running:
            now = f" · now {self.current}, epoch {self.epoch}" if self.current else ""
            return f"Queued runs: {self.finished} of {self.planned} done{now}"
        if self.cancelled:
            return f"Queue cancelled: {self.finished} of {self.planned} runs done; the rest were not started."
        return f"Queue finished: {self.finished} of {self.planned} runs done."


@dataclass(kw_only=True)
class _Shared(Shared[QueueSnapshot]):
    planned: int
    finished: int = 0
    current: str | None = None
    epoch: int = 0
    errors: list[str] = field(default_factory=list)
    running: bool = True

    def snapshot(self) -> QueueSnapshot:
        with self.lock:
            return QueueSnapshot(planned=self.planned, finished=self.finished, current=self.current, epoch=self.epoch,
                                 errors=tuple(self.errors), cancelled=self.stop.is_set(), running=self.running)


def _label(request: RunRequest) -> str:
    return f"{request.config.weighting}, seed {request.config.seed}"


def _work(shared: _Shared, requests: Sequence[RunRequest]) -> None:
    """Train each request into its folder in turn, until done or cancelled; an error is noted and the next goes on."""
    yield_to_the_page()  # as the page's own run: the page's polls first on a busy machine
    try:
        for request in requests:
            if shared.stop.is_set():
                break
            shared.update(current=_label(request), epoch=0)
            try:
                fit_run(
                    request.frame, request.tasks, request.assignment, config=request.config,
                    model_config=request.model_config, runs_dir=request.runs_dir, baselines=request.baseline_names,
                    feature_columns=request.feature_columns, test_fold=request.test_fold,
                    group_column=request.group_column, id_column=request.id_column, time_column=request.time_column,
                    data=dict(request.data), on_epoch=lambda record: shared.update(epoch=record.epoch),
                    should_stop=shared.stop.is_set,
                )
            except TaskSplitError as error:
                with shared.lock:
                    shared.errors.append(f"{_label(request)}: {error}")
            except Exception as error:  # noqa: BLE001 - the thread's last resort: the page must hear of it
                why = unexpected(log, f"Queued run {_label(request)}", error)
                with shared.lock:
                    shared.errors.append(f"{_label(request)} failed unexpectedly ({why}).")
            if not shared.stop.is_set():
                with shared.lock:
                    shared.finished += 1
    finally:
        shared.update(running=False, current=None)


class RunQueue(BackgroundJob[QueueSnapshot]):
    """Runs trained one after another in a background thread; cancellable; read through :meth:`snapshot`.

    Examples
    --------
    >>> import pandas as pd, tempfile
    >>> from core.tasks import Task
    >>> from core.training import TrainConfig, list_runs
    >>> folder = tempfile.mkdtemp()
    >>> frame = pd.DataFrame({"x": [i / 40 for i in range(40)], "y": [0, 1] * 20})
    >>> requests = [RunRequest(frame=frame, tasks=(Task("y", ("y",), "binary"),), runs_dir=folder,
    ...                        assignment=pd.Series(["train"] * 30 + ["val", "test"] * 5),
    ...                        config=TrainConfig(epochs=2, batch_size=8, seed=seed)) for seed in (0, 1)]
    >>> queue = RunQueue(requests).start()
    >>> queue.join(timeout=60), queue.snapshot().finished, sorted(run.seed for run in list_runs(folder))
    (True, 2, [0, 1])
    """

    def __init__(self, requests: Sequence[RunRequest]):
        self.requests = tuple(requests)
        super().__init__(_work, _Shared(planned=len(self.requests)), self.requests, name="run-queue")

    def cancel(self) -> None:
        """Stop the run in progress (within ``check_every`` batches) and drop the runs not started."""
        self.stop()
