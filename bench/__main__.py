"""Run every benchmark and gather the results into bench/RESULTS.md.

Usage: ``python -m bench`` (all), or ``python -m bench split diagnostics`` (some), or
``python -m bench mulan:medical,synthetic`` (some cases of one benchmark, if its ``main`` takes a list).
Each ``bench/bench_<name>.py`` has a ``main()`` that writes ``bench/results/<name>.md``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys
import time

from bench.common import BENCH_DIR, RESULTS_DIR, machine


def available() -> list[str]:
    return sorted(p.stem.removeprefix("bench_") for p in BENCH_DIR.glob("bench_*.py"))


def gather() -> None:
    """Concatenate the per-benchmark sections into RESULTS.md, newest machine line on top."""
    sections = [path.read_text() for path in sorted(RESULTS_DIR.glob("*.md"))]
    header = (
        "# Benchmark results\n\n"
        f"Gathered {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `make bench` "
        "(`python -m bench`), which runs every `bench/bench_*.py`.\n"
        f"Machine: {machine()}.\n"
        "Times are medians of repeated runs; the machines are shared and noisy, "
        "so read the ratios, not the absolute times. Each section names the run it came from.\n"
    )
    (BENCH_DIR / "RESULTS.md").write_text(header + "\n" + "\n".join(sections))


def main(argv: list[str]) -> int:
    names = argv or available()
    cases = {name.partition(":")[0]: name.partition(":")[2].split(",") for name in names if ":" in name}
    names = [name.partition(":")[0] for name in names]
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(available())}", file=sys.stderr)
        return 2
    for name in names:
        start = time.perf_counter()
        print(f"== bench {name}", flush=True)
        module = importlib.import_module(f"bench.bench_{name}")
        module.main(cases[name]) if name in cases else module.main()
        print(f"== bench {name} done in {time.perf_counter() - start:.0f} s", flush=True)
    gather()
    print(f"wrote {BENCH_DIR / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
