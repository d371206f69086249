"""The fuzz run: ``make fuzz`` (10,000 hypothesis examples per fuzz test), its count, time and result.

Runs ``make fuzz`` as a person would and writes ``bench/results/fuzz.md``.
Run: ``.venv/bin/python -m bench fuzz`` (about a quarter of an hour on these machines).
"""

from __future__ import annotations

import re
import subprocess
import time

from bench.common import BENCH_DIR, machine, write_section

ROOT = BENCH_DIR.parent
EXAMPLES = 10_000  # what the Makefile's fuzz target sets


def run() -> tuple[int, float, str]:
    """Exit status, wall seconds and pytest's last line of ``make fuzz``."""
    started = time.perf_counter()
    done = subprocess.run(["make", "fuzz"], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    summary = next((line for line in reversed(lines) if re.search(r"\b(passed|failed|error)", line)), "no summary")
    return done.returncode, seconds, summary.strip("= ")


def main() -> None:
    status, seconds, summary = run()
    tests = re.findall(r"^def (test_\w+)", (ROOT / "tests" / "test_fuzz.py").read_text(), re.M)
    result = "passed" if status == 0 else f"FAILED (exit status {status})"
    markdown = (
        "## Fuzzing: `make fuzz`\n\n"
        "Command: `make fuzz` (`TASKSPLIT_FUZZ_EXAMPLES=10000 python -m pytest tests/test_fuzz.py -p no:randomly -q`), "
        "run by `python -m bench fuzz`.\n"
        f"Machine: {machine()}.\n\n"
        f"- Examples: up to {EXAMPLES:,} per hypothesis test, {len(tests)} tests in the file "
        "(the split and diagnostics fuzz, file bytes, config JSON, task specs, sklearn splitters; "
        "plus the regression and strict-xfail tests of what fuzzing found).\n"
        f"- Time: {seconds / 60:.1f} min wall.\n"
        f"- Result: **{result}**: {summary}.\n"
    )
    write_section("fuzz", markdown)
    print(markdown)


if __name__ == "__main__":
    main()
