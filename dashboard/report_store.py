"""The HTML reports the Export page built, kept on the server for their download, each session's apart.

A report takes seconds to build and weighs about 5 MB, so the server keeps the newest few for the
download button to hand out on later reruns, for all sessions together (one bounded store, shared
through ``st.cache_resource``). Each entry is filed under its session's token as well as its work,
so two sessions exporting the same data at once never hand out each other's report (its header
carries the time it was built and its training run). One lock guards every read and write: a read
is one ``get``, so another session's eviction can never fall between a check and a read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

__all__ = ["ReportStore"]


class ReportStore:
    """A thread-safe LRU of built reports by ``(session, work)``, at most ``kept`` of them.

    Examples
    --------
    >>> store = ReportStore(kept=2)
    >>> store.put("session a", ("data", "tasks"), "<html>a</html>")
    >>> store.get("session a", ("data", "tasks"))
    '<html>a</html>'
    >>> store.get("session b", ("data", "tasks")) is None
    True
    """

    def __init__(self, kept: int):
        if kept < 1:
            raise ValueError(f"kept={kept} keeps no report. Pass kept=1 or more.")
        self.kept = kept
        self._reports: OrderedDict[tuple[str, Hashable], str] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ReportStore(kept={self.kept})"

    def get(self, session: str, key: Hashable) -> str | None:
        """The report ``session`` built for ``key``, or None (never built, or dropped to make room)."""
        with self._lock:
            page = self._reports.get((session, key))
            if page is not None:
                self._reports.move_to_end((session, key))
            return page

    def put(self, session: str, key: Hashable, page: str) -> None:
        """Keep ``page`` as ``session``'s report for ``key``, dropping the least recently used beyond ``kept``."""
        with self._lock:
            self._reports[(session, key)] = page
            self._reports.move_to_end((session, key))
            while len(self._reports) > self.kept:
                self._reports.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._reports)
