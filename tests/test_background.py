"""dashboard/background.py: the one thread-and-stop mechanism under the training run and the run queue."""

from __future__ import annotations

import doctest
import gc
from dataclasses import dataclass

from dashboard import background, run_queue
from dashboard.background import BackgroundJob, Shared
from dashboard.run_queue import RunQueue
from dashboard.training_run import TrainingRun

JOIN_SECONDS = 60


@dataclass(kw_only=True)
class _Waiting(Shared):
    running: bool = True

    def snapshot(self):
        with self.lock:
            return self


def _wait_for_stop(shared: _Waiting) -> None:
    shared.stop.wait(JOIN_SECONDS)
    shared.update(running=False)


def test_the_examples_run():
    for module in (background, run_queue):
        found = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert found.attempted and not found.failed, module.__name__


def test_the_run_and_the_queue_share_the_mechanism():
    assert issubclass(TrainingRun, BackgroundJob) and issubclass(RunQueue, BackgroundJob)


def test_stop_ends_the_work():
    job = BackgroundJob(_wait_for_stop, _Waiting(), name="waiting").start()
    assert job.running and not job.stopping
    job.stop()
    assert job.join(JOIN_SECONDS) and not job.running and job.stopping


def test_a_job_dropped_unstopped_stops_itself():
    shared = _Waiting()
    job = BackgroundJob(_wait_for_stop, shared, name="dropped").start()
    del job
    gc.collect()
    assert shared.stop.wait(JOIN_SECONDS)


def test_cancelling_an_empty_queue_says_cancelled():
    queue = RunQueue([]).start()
    queue.cancel()
    assert queue.join(JOIN_SECONDS)
    assert queue.snapshot().cancelled and not queue.running
