"""The inputs corpus on the command line: bad input exits 2 with exactly one stderr line; odd input works.

Every case runs through ``core.__main__.main`` in one fresh interpreter (one
start-up, not forty); a few also run as the real ``python -m core`` command, to
check the exit status the shell sees.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.corpus import (
    BAD_FILES,
    BAD_SPLITS,
    BAD_TASKS,
    HTML_NAME,
    ODD_FILES,
    OVER_CAP_MB,
    UNKNOWN_BUILTIN,
    csv_bytes,
    split_table,
    task_table,
)

ROOT = Path(__file__).resolve().parents[1]


def _bad_cases(folder: Path) -> list[tuple[str, list[str], str]]:
    """(case, argv without --out, message regex) for every invalid input."""
    cases = []
    for case in BAD_FILES:
        path = folder / case.filename
        path.write_bytes(case.content)
        cases.append((case.case, ["split", str(path), "--task", "label"], case.message))
    huge = folder / "huge.csv"
    with open(huge, "wb") as handle:  # sparse: 201 MB long, nothing written
        handle.truncate(OVER_CAP_MB * 2**20)
    cases.append(("upload over the cap", ["split", str(huge), "--task", "label"], r"huge\.csv is 201 MB, over the 200 MB"))
    tasks = folder / "tasks.csv"
    tasks.write_bytes(csv_bytes(task_table()))
    for case in BAD_TASKS:
        cases.append((case.case, ["split", str(tasks), "--task", case.spec], case.message))
    splits = folder / "splits.csv"
    splits.write_bytes(csv_bytes(split_table()))
    for case in BAD_SPLITS:
        cases.append((case.case, ["split", str(splits), "--task", "label", *shlex.split(case.flags)], case.message))
    spec, message = UNKNOWN_BUILTIN
    cases.append(("unknown built-in dataset", ["split", spec], message))
    return cases


def _run_in_one_interpreter(argvs: list[list[str]]) -> list[dict]:
    code = (
        "import contextlib, io, json, sys\n"
        "from core.__main__ import main\n"
        "runs = []\n"
        "for argv in json.loads(sys.stdin.read()):\n"
        "    err = io.StringIO()\n"
        "    with contextlib.redirect_stderr(err):\n"
        "        status = main(argv)\n"
        "    runs.append({'status': status, 'stderr': err.getvalue()})\n"
        "sys.stdout.write(json.dumps(runs))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], input=json.dumps(argvs), capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr  # no case escaped main() with a traceback
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("corpus")


@pytest.fixture(scope="module")
def bad_runs(folder) -> dict[str, tuple[dict, str, Path]]:
    cases = _bad_cases(folder)
    outs = [folder / f"never-{i}.csv" for i in range(len(cases))]
    runs = _run_in_one_interpreter([[*argv, "--out", str(out)] for (_, argv, _), out in zip(cases, outs, strict=True)])
    return {case: (run, message, out) for (case, _, message), run, out in zip(cases, runs, outs, strict=True)}


BAD_CASE_NAMES = [
    *(c.case for c in BAD_FILES), "upload over the cap", *(c.case for c in BAD_TASKS), *(c.case for c in BAD_SPLITS),
    "unknown built-in dataset",
]


@pytest.mark.parametrize("case", BAD_CASE_NAMES)
def test_bad_input_exits_2_with_exactly_one_line(bad_runs, case):
    run, message, out = bad_runs[case]
    lines = run["stderr"].splitlines()
    assert run["status"] == 2, run
    assert len(lines) == 1 and lines[0].startswith("error: "), run["stderr"]
    assert re.search(message, lines[0]), (message, lines[0])
    assert "Traceback" not in run["stderr"] and not out.exists()


@pytest.mark.parametrize("case", ["empty file", "upload over the cap", "unknown built-in dataset", "k below 2"])
def test_the_real_command_exits_2(folder, bad_runs, case):
    argv = next(argv for name, argv, _ in _bad_cases(folder) if name == case)
    out = folder / "real.csv"
    done = subprocess.run([sys.executable, "-m", "core", *argv, "--out", str(out)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and re.search(bad_runs[case][1], done.stderr), done.stderr


# --------------------------------------------------------------------------- odd but valid


@pytest.fixture(scope="module")
def odd_runs(folder) -> dict[str, tuple[dict, Path]]:
    argvs, outs = [], []
    for i, case in enumerate(ODD_FILES):
        path = folder / case.filename
        path.write_bytes(case.content)
        out = folder / f"odd-{i}.csv"
        argvs.append(["split", str(path), "--task", case.task, *shlex.split(case.strategy_flags), "--out", str(out)])
        outs.append(out)
    runs = _run_in_one_interpreter(argvs)
    return {case.case: (run, out) for case, run, out in zip(ODD_FILES, runs, outs, strict=True)}


@pytest.mark.parametrize("case", ODD_FILES, ids=lambda c: c.case)
def test_odd_input_splits_and_warns_when_it_should(odd_runs, case):
    run, out = odd_runs[case.case]
    assert run["status"] == 0, run["stderr"]
    table = pd.read_csv(out)
    assert list(table.columns) == ["row", "split"] and table["split"].notna().all()
    warnings = [line for line in run["stderr"].splitlines() if line.startswith("warning: ")]
    if case.warning:
        assert any(re.search(case.warning, line) for line in warnings), run["stderr"]
    else:
        assert not warnings, run["stderr"]


def test_the_report_command_shows_an_html_column_name_as_text(folder, odd_runs):
    case = next(c for c in ODD_FILES if c.case == "column names with spaces, unicode or HTML")
    _, split_file = odd_runs[case.case]
    report = folder / "names.html"
    done = subprocess.run(
        [sys.executable, "-m", "core", "report", str(folder / case.filename), "--task", HTML_NAME,
         "--split-file", str(split_file), "--out", str(report)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    page = report.read_text(encoding="utf-8")
    assert HTML_NAME not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
