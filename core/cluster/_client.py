"""Reaching a cluster: :func:`open_client` starts a ``LocalCluster`` sized to the machine, or joins a scheduler."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import ConfigError, DataError

__all__ = ["Dropped", "local_cluster", "open_client", "retried", "run_pass", "worker_environ"]


@contextmanager
def open_client(scheduler: str | None = None, *, n_workers: int | None = None, timeout: float = 10) -> Iterator:
    """A ``distributed.Client``: on a new ``LocalCluster`` (``scheduler=None``) or on the scheduler at an address.

    The local cluster has one single-threaded worker process per core (``n_workers`` to choose), so a
    worker's pandas code never fights another for the GIL; its dashboard is ``client.dashboard_link``.
    An address that does not answer within ``timeout`` seconds is a :class:`ConfigError`.

    Examples
    --------
    >>> with open_client(n_workers=1) as client:  # doctest: +SKIP
    ...     client.dashboard_link
    """
    from distributed import Client

    if scheduler is None:
        with local_cluster(n_workers) as cluster, Client(cluster) as client:
            yield client
        return
    if not isinstance(scheduler, str) or "://" not in scheduler and ":" not in scheduler:
        raise ConfigError(f"--scheduler {scheduler!r} is not an address; give one such as tcp://10.0.0.5:8786.")
    try:
        client = Client(scheduler, timeout=timeout)
    except (OSError, TimeoutError) as error:
        raise ConfigError(
            f"No Dask scheduler answers at {scheduler} ({type(error).__name__}); start one with `dask scheduler` "
            "or check the address."
        ) from None
    try:
        yield client
    finally:
        client.close()


def local_cluster(n_workers: int | None = None):
    """The ``LocalCluster`` the engine runs on: one single-threaded worker process per core (``n_workers`` to
    choose), started with :func:`worker_environ`. Close it (or use it as a context manager).
    """
    import dask
    from distributed import LocalCluster  # (its import puts its defaults in dask's config)

    # a nanny copies its start environment into this process's before it spawns a worker, so a cluster started
    # here earlier with distributed's defaults left MALLOC_TRIM_THRESHOLD_ set for every later worker (a value
    # the user set on purpose is kept)
    default = dask.config.get("distributed.nanny.pre-spawn-environ", {}).get("MALLOC_TRIM_THRESHOLD_")
    if default is not None and os.environ.get("MALLOC_TRIM_THRESHOLD_") == str(default):
        del os.environ["MALLOC_TRIM_THRESHOLD_"]
    with dask.config.set({"distributed.nanny.pre-spawn-environ": worker_environ()}):
        return LocalCluster(n_workers=n_workers or max(os.cpu_count() or 1, 1), threads_per_worker=1,
                            processes=True, dashboard_address=":0")


def worker_environ() -> dict:
    """The environment a local cluster's worker processes start with: distributed's, less ``MALLOC_TRIM_THRESHOLD_``.

    distributed sets it to 64 KiB so that workers hand freed memory back to the system at once; glibc then
    also stops raising its mmap threshold, so every array of more than 128 KiB is mapped afresh and its pages
    faulted in again: the passes' numpy steps on 2M-row partitions ran about 1.4x slower. Without it glibc keeps
    its own adaptive thresholds (the workers' peak memory stays well under the 4 GiB a worker is given).

    Examples
    --------
    >>> "MALLOC_TRIM_THRESHOLD_" in worker_environ(), worker_environ()["OMP_NUM_THREADS"]
    (False, 1)
    """
    import dask
    import distributed  # noqa: F401  (its import puts its defaults in dask's config)

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    return environ


class Dropped(DataError):
    """The scheduler dropped a task of a pass (``FutureCancelledError``), e.g. after a worker was lost."""


def retried(submit, attempts: int = 2):
    """``submit()``'s result, submitted once more if the scheduler dropped one of its tasks (:class:`Dropped`).

    ``submit`` must compute the whole pass anew from what the cluster still holds (the partitions' states) and
    write only files it rewrites whole: the join writes each part under the same name, so a second run replaces it.

    Examples
    --------
    >>> calls = []
    >>> def submit():
    ...     calls.append(1)
    ...     if len(calls) == 1:
    ...         raise Dropped("dropped")
    ...     return "done"
    >>> retried(submit), len(calls)
    ('done', 2)
    """
    for attempt in range(attempts):
        try:
            return submit()
        except Dropped:
            if attempt == attempts - 1:
                raise


def run_pass(client, items: list, watch=None, fold=None) -> list:
    """Compute ``items`` (dask collections or delayed, or futures) on ``client``, in one graph; ``watch(futures)``
    sees them.

    With ``fold(i, result)``, each result is brought to the client in order and handed to ``fold``, then
    dropped (the client holds one at a time); the list returned is then ``fold``'s returns.
    A worker lost mid-pass is retried by the scheduler (``distributed.scheduler.allowed-failures``). When the
    retries run out, when the scheduler drops a task instead (``FutureCancelledError``: :class:`Dropped`), or when
    a task fails, this raises a one-line :class:`DataError`.
    """
    from distributed import Future, KilledWorker
    from distributed.client import FutureCancelledError

    futures = list(items) if items and all(isinstance(i, Future) for i in items) else client.compute(items)
    if watch is not None:
        watch(futures)
    try:
        if fold is not None:
            out = []
            for i in range(len(futures)):
                out.append(fold(i, futures[i].result()))
                futures[i] = None  # the worker may forget it
            return out
        return client.gather(futures)
    except KilledWorker as error:
        raise DataError(
            f"A Dask worker died while running {error.task!s:.60} (out of memory, or stopped); nothing was written. "
            "Give the workers more memory or run again."
        ) from None
    except FutureCancelledError:
        # seen once under load: a worker killed mid-join, and the scheduler dropped a leakage check's task instead of
        # recomputing it ("already forgotten"); a pass that can be submitted again is (:func:`retried`), else this
        # is a clear error, not a traceback
        raise Dropped(
            "A Dask worker was lost and the scheduler dropped part of this pass; nothing was written. Run again."
        ) from None
    except (KeyError, ValueError, TypeError, OSError) as error:
        if isinstance(error, DataError):
            raise
        raise DataError(
            f"A cluster task failed ({type(error).__name__}: {' '.join(str(error).split())[:160]}); "
            "nothing was written. Check the data's columns and types."
        ) from None
