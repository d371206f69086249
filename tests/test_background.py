"""dashboard/background.py: the one thread-and-stop mechanism under the training run, the run queue and the
Model page's affinity jobs."""

from __future__ import annotations

import doctest
import gc
from dataclasses import dataclass

import pandas as pd

from core.errors import DataError
from core.tasks import Task
from core.training import TrainConfig
from dashboard import background, run_queue
from dashboard.affinity_jobs import AffinityJob
from dashboard.background import BackgroundJob, Shared
from dashboard.run_queue import RunQueue
from dashboard.training_run import RunRequest, TrainingRun

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
    assert issubclass(AffinityJob, BackgroundJob)


def _request() -> RunRequest:
    frame = pd.DataFrame({"x": [i / 40 for i in range(40)], "y": [0, 1] * 20})
    return RunRequest(frame=frame, tasks=(Task("y", ("y",), "binary"),), config=TrainConfig(epochs=1),
                      assignment=pd.Series(["train"] * 30 + ["val", "test"] * 5))


def _affinity_job(work) -> AffinityJob:
    return AffinityJob("lookahead", 7, _request(), work, "Measuring the lookahead affinity")


def test_an_affinity_job_keeps_its_result_and_who_it_belongs_to():
    job = _affinity_job(lambda prepared, shared: prepared.n_features).start()
    assert job.join(JOIN_SECONDS) and not job.running
    snapshot = job.snapshot()
    assert (snapshot.kind, snapshot.run_id, snapshot.result, snapshot.error, snapshot.progress) == (
        "lookahead", 7, 1, None, 1.0)


def test_an_affinity_job_says_its_error_in_one_line():
    def bad_data(prepared, shared):
        raise DataError("The task y has one class; pick another task.")

    def broken(prepared, shared):
        raise KeyError("x")

    job = _affinity_job(bad_data).start()
    assert job.join(JOIN_SECONDS) and job.snapshot().error == "The task y has one class; pick another task."
    job = _affinity_job(broken).start()
    assert job.join(JOIN_SECONDS)
    assert job.snapshot().error == ("Measuring the lookahead affinity failed unexpectedly (KeyError: 'x'). "
                                    "The details are in the server log.")


def test_an_affinity_job_stops_and_one_dropped_unstopped_stops_itself():
    def waiting(prepared, shared):
        assert shared.stop.wait(JOIN_SECONDS)

    job = _affinity_job(waiting).start()
    job.stop()
    assert job.join(JOIN_SECONDS) and job.stopping and job.snapshot().error is None
    job = _affinity_job(waiting).start()
    stop = job._shared.stop
    del job
    gc.collect()
    assert stop.wait(JOIN_SECONDS)  # the thread holds the shared record only, never the job


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
