"""Shared helpers for the benchmarks: medians of repeated runs, peak memory, result files.

Benchmarks are not tests: they time things side by side in one run and write
markdown sections that ``python -m bench`` gathers into ``bench/RESULTS.md``.
"""

from __future__ import annotations

import os
import platform
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
CACHE_DIR = BENCH_DIR / ".cache"


@dataclass(frozen=True)
class Timing:
    """Wall-clock and CPU seconds of repeated runs of one thing, and the last run's return value.

    On a shared machine wall time includes waiting for a core; CPU time (this
    process, all threads) does not, so both are kept.
    """

    seconds: tuple[float, ...]
    value: object
    cpu_seconds: tuple[float, ...] = ()

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_seconds) if self.cpu_seconds else float("nan")

    def describe(self) -> str:
        runs = ", ".join(f"{s:.3f}" for s in self.seconds)
        cpu = f", CPU {self.cpu_median:.3f} s" if self.cpu_seconds else ""
        return f"{self.median:.3f} s (median of {len(self.seconds)}: {runs}{cpu})"


def timed(fn: Callable[[], object], repeat: int = 3) -> Timing:
    """Run ``fn`` ``repeat`` times; keep every wall and CPU time and the last result."""
    seconds, cpu, value = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        value = fn()
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return Timing(tuple(seconds), value, tuple(cpu))


def rss_bytes() -> int:
    """Resident set size of this process, from /proc (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    """Context manager sampling RSS in a thread; ``.increase`` is peak minus start, in bytes."""

    def __init__(self, interval: float = 0.002) -> None:
        self.interval = interval
        self.start = self.peak = 0
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(self.interval)

    def __enter__(self) -> PeakRss:
        self.start = self.peak = rss_bytes()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())

    @property
    def increase(self) -> int:
        return self.peak - self.start


def machine() -> str:
    """One line naming the machine the numbers come from."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    with open("/proc/meminfo") as info:
        mem_gib = int(info.readline().split()[1]) / 2**20
    return (
        f"{platform.node()}: {os.cpu_count()} cores ({cpu}), {mem_gib:.0f} GiB, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def write_section(name: str, markdown: str) -> Path:
    """Write one benchmark's markdown section to ``bench/results/<name>.md``."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.md"
    path.write_text(markdown.rstrip() + "\n")
    return path


def table(header: list[str], rows: list[list[object]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
