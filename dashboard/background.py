"""Work in one background thread that the page starts, reads and stops: the base of the training run and the queue.

The thread never calls streamlit. It writes to a shared record (a :class:`Shared` subclass) under its lock, and
the page reads a frozen snapshot of it. Stopping sets the record's ``stop`` event, which the work polls; the same
event is set when the job object is garbage-collected (a session that ends), so a job nobody can see does not keep
a core busy: the thread holds only the shared record, never the job.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, Self, TypeVar

__all__ = ["BackgroundJob", "Shared", "unexpected"]

Snapshot = TypeVar("Snapshot")


@dataclass(kw_only=True)
class Shared(Generic[Snapshot]):
    """What the thread writes and the page reads; every access holds ``lock``. Subclasses add fields and
    :meth:`snapshot`."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def update(self, **values) -> None:
        """Set fields under the lock.

        Examples
        --------
        >>> shared = Shared()
        >>> shared.update(note="half way"); shared.note
        'half way'
        """
        with self.lock:
            for name, value in values.items():
                setattr(self, name, value)

    def snapshot(self) -> Snapshot:
        raise NotImplementedError


def unexpected(log: logging.Logger, what: str, error: Exception) -> str:
    """Log an error the work did not expect, with its traceback (the server log), and say it in one line.

    Examples
    --------
    >>> quiet = logging.getLogger("example")
    >>> quiet.disabled = True  # a real logger writes the traceback to the server log
    >>> unexpected(quiet, "Run 1", ValueError("bad"))
    'ValueError: bad'
    """
    log.exception("%s failed", what)
    return f"{type(error).__name__}: {error}"


class BackgroundJob(Generic[Snapshot]):
    """``work(shared, *args)`` in a daemon thread; :meth:`stop` asks it to end; :meth:`snapshot` reads ``shared``.

    Examples
    --------
    >>> @dataclass(kw_only=True)
    ... class Count(Shared):
    ...     done: int = 0
    ...     def snapshot(self):
    ...         with self.lock:
    ...             return self.done
    >>> job = BackgroundJob(lambda shared, n: shared.update(done=n), Count(), 3, name="count").start()
    >>> job.join(timeout=10), job.snapshot()
    (True, 3)
    """

    def __init__(self, work: Callable[..., None], shared: Shared[Snapshot], *args, name: str):
        self._shared = shared
        self._thread = threading.Thread(target=work, args=(shared, *args), name=name, daemon=True)
        weakref.finalize(self, shared.stop.set)  # the backstop: a job dropped unstopped stops once collected

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the thread to stop; the work ends at its next check of ``stop``."""
        self._shared.stop.set()

    @property
    def stopping(self) -> bool:
        return self._shared.stop.is_set()

    @property
    def running(self) -> bool:
        """False once the work has stored its outcome (the thread may take a moment more to exit)."""
        return self._shared.snapshot().running

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end (at most ``timeout`` seconds); True when it has ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def snapshot(self) -> Snapshot:
        return self._shared.snapshot()
