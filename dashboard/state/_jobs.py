"""The session's background jobs: its training run, its task-affinity jobs and its queue of runs.

The session owns them: each is started, replaced and stopped here only, so none trains on unseen.
"""

from __future__ import annotations

import streamlit as st

from dashboard.affinity_jobs import AffinityJob
from dashboard.run_queue import RunQueue
from dashboard.state._keys import AFFINITY_JOBS, RUN_QUEUE, TRAINING
from dashboard.training_run import RunRequest, TrainingRun


def training() -> TrainingRun | None:
    """The session's training run, live or finished; None before the first (or after a new dataset)."""
    return st.session_state.get(TRAINING)


def set_training(run: TrainingRun | None) -> None:
    """Make ``run`` the session's run; the previous one, if another, is stopped (its thread ends within an epoch).

    The session owns its run: this is the one place a run is replaced, so a replaced run never trains on
    unseen. (``TrainingRun`` also stops itself when garbage-collected, a backstop for a session that ends.)
    """
    previous = st.session_state.get(TRAINING)
    if previous is not None and previous is not run:
        previous.stop()
    st.session_state[TRAINING] = run


def start_training(request: RunRequest) -> TrainingRun:
    """Start a run of ``request`` in its thread as the session's run, stopping the previous one first."""
    set_training(None)
    run = TrainingRun(request)
    set_training(run.start())
    return run


def affinity_job(kind: str) -> AffinityJob | None:
    """The session's last task-affinity job of ``kind`` (``lookahead`` or ``groups``), or None."""
    return st.session_state.get(AFFINITY_JOBS, {}).get(kind)


def start_affinity_job(job: AffinityJob) -> AffinityJob:
    """Start ``job`` as the session's job of its kind; the previous one of that kind is stopped."""
    jobs = dict(st.session_state.get(AFFINITY_JOBS, {}))
    previous = jobs.get(job.kind)
    if previous is not None:
        previous.stop()
    jobs[job.kind] = job.start()
    st.session_state[AFFINITY_JOBS] = jobs
    return job


def stop_affinity_jobs() -> None:
    """Ask every task-affinity job of the session to stop (the Stop button's callback)."""
    for job in st.session_state.get(AFFINITY_JOBS, {}).values():
        job.stop()


def stop_training() -> None:
    """Ask the session's run, if any, to stop (the Stop button's callback)."""
    run = training()
    if run is not None:
        run.stop()


def run_queue() -> RunQueue | None:
    """The session's queue of runs (repeat with seeds), live or finished; None before the first."""
    return st.session_state.get(RUN_QUEUE)


def set_queue(queue: RunQueue | None) -> None:
    """Make ``queue`` the session's queue; the previous one, if another, is cancelled (one queue per session)."""
    previous = st.session_state.get(RUN_QUEUE)
    if previous is not None and previous is not queue:
        previous.cancel()
    st.session_state[RUN_QUEUE] = queue


def start_queue(requests) -> RunQueue:
    """Start working off ``requests`` (``RunRequest``s with a ``runs_dir``) in the background as the session's queue."""
    queue = RunQueue(requests)
    set_queue(queue.start())
    return queue


def cancel_queue() -> None:
    """Cancel the session's queue, if any (the Cancel button's callback): the run in progress stops, the rest drop."""
    queue = run_queue()
    if queue is not None:
        queue.cancel()
