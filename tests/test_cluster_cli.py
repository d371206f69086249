"""The Dask engine from the command line: a real `dask scheduler` and two `dask worker` processes, bad input, a
worker killed mid-split, and the report's size."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.__main__ import main
from core.errors import DataError
from core.splits import SplitConfig, split
from tests.cluster import TASKS, assignment, frame, write_parquet

ROOT = Path(__file__).resolve().parents[1]
DASK = ROOT / ".venv" / "bin" / "dask"
TASK_ARGS = ["--task", "tags=a+b+c", "--task", "kind", "--task", "flag", "--task", "score:regression"]


def _config(tmp_path: Path, **settings) -> Path:
    path = tmp_path / "config.json"
    path.write_text(SplitConfig(**settings).to_json())
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "Traceback" not in err[0], err
    return err[0]


def test_bad_paths_and_configs_exit_2_with_one_line(tmp_path, capsys):
    folder = write_parquet(frame(200), tmp_path / "rows", parts=2)
    config = _config(tmp_path, strategy="group", group_column="g")
    out = str(tmp_path / "out")
    assert main(["split", str(tmp_path / "nowhere"), "--engine", "dask", "--config", str(config), "--out", out,
                 *TASK_ARGS]) == 2
    assert "No data at" in _one_error_line(capsys)
    assert main(["split", str(folder), "--engine", "dask", "--config", str(tmp_path / "none.json"), "--out", out]) == 2
    assert "No config file" in _one_error_line(capsys)
    (tmp_path / "bad.json").write_text("{not json")
    assert main(["split", str(folder), "--engine", "dask", "--config", str(tmp_path / "bad.json"), "--out", out]) == 2
    assert "not valid JSON" in _one_error_line(capsys)
    assert main(["split", str(folder), "--engine", "dask", "--config", str(config), "--out", out,
                 "--task", "nope"]) == 2
    _one_error_line(capsys)
    assert main(["report", str(folder), "--engine", "dask", "--split-file", str(tmp_path / "nowhere"),
                 "--out", str(tmp_path / "r.html"), *TASK_ARGS]) == 2
    _one_error_line(capsys)
    assert main(["split", str(folder), "--engine", "dask", "--config", str(config), "--out", out,
                 "--checks", "group,dupes", *TASK_ARGS]) == 2
    assert "--checks 'group,dupes' names 'dupes'" in _one_error_line(capsys)
    assert not (tmp_path / "out").exists()


@pytest.fixture
def scheduler(tmp_path):
    """`dask scheduler` and two `dask worker`s as separate processes on free ports; stopped after the test."""
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    logs = tmp_path / "logs"
    logs.mkdir()
    processes = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                   "--dashboard-address", f":{_free_port()}"],
                                  stdout=subprocess.DEVNULL, stderr=(logs / "s.out").open("w"), env=env)]
    try:
        for i in range(2):
            processes.append(subprocess.Popen(
                [str(DASK), "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                 "--name", f"w{i}", "--local-directory", str(tmp_path / f"w{i}")],
                stdout=subprocess.DEVNULL, stderr=(logs / f"w{i}.out").open("w"), env=env))
        with Client(address, timeout=60) as client:  # waits on the scheduler answering, then on the workers
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.mark.slow
def test_split_and_report_through_a_scheduler_started_as_commands(scheduler, tmp_path):
    df = frame(3_000)
    folder = write_parquet(df, tmp_path / "rows")
    settings = {"strategy": "group", "group_column": "g", "seed": 3}
    config = _config(tmp_path, **settings)
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "core", "split", str(folder), "--engine", "dask", "--scheduler", scheduler,
         "--config", str(config), "--out", str(out), *TASK_ARGS],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert run.returncode == 0, run.stderr
    assert "Dask dashboard: http" in run.stderr
    expected = split(df, TASKS, SplitConfig(**settings)).assignment.to_numpy()
    assert (assignment(out) == expected).all()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["rows"] == 3_000 and summary["config"]["strategy"] == "group"
    assert len(summary["input"]["sha256"]) == 64 and summary["scores"]["quality"]["LD"] >= 0
    report = subprocess.run(
        [sys.executable, "-m", "core", "report", str(folder), "--engine", "dask", "--scheduler", scheduler,
         "--split-file", str(out), "--out", str(tmp_path / "r.html"), "--sample", "1000", *TASK_ARGS],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert report.returncode == 0, report.stderr
    assert "3,000 rows" in (tmp_path / "r.html").read_text()


@pytest.mark.slow
def test_checks_picks_the_exact_leakage_checks_run_over_every_row(tmp_path, capsys):
    folder = write_parquet(frame(2_000), tmp_path / "rows", parts=2)
    config = _config(tmp_path, strategy="stratified", group_column="g", time_column="t")
    statuses = {}
    for checks in ("group,time", "none"):
        out = tmp_path / f"out-{checks}"
        assert main(["split", str(folder), "--engine", "dask", "--config", str(config), "--out", str(out),
                     "--checks", checks, *TASK_ARGS]) == 0, capsys.readouterr().err
        leakage = json.loads((out / "summary.json").read_text())["scores"]["leakage"]
        statuses[checks] = {row["check"]: (row["status"], row["detail"]) for row in leakage}
    assert statuses["group,time"]["duplicates"] == ("skipped", "Not run.")
    assert statuses["group,time"]["group"][0] != "skipped" and statuses["group,time"]["time"][0] != "skipped"
    assert {status for status, _ in statuses["none"].values()} == {"skipped"}


def test_each_partitions_scattered_arrays_sit_on_two_workers_not_every_worker():
    """They were broadcast to every worker (memory growing with workers x partitions); two copies survive a killed
    worker (tests the kill below)."""
    from distributed import Client, LocalCluster

    from core.cluster._join import _scatter_same

    with LocalCluster(n_workers=3, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        futures = _scatter_same(client, [(np.arange(3) + i, np.arange(3)) for i in range(5)])
        assert sorted(len(holders) for holders in client.who_has(futures).values()) == [2] * 5
        assert client.gather(futures[4])[0].tolist() == [4, 5, 6]


def test_a_pass_whose_task_the_scheduler_dropped_is_one_line():
    from distributed import Client, LocalCluster

    from core.cluster._client import run_pass

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        futures = client.map(lambda i: i, range(3), pure=False)
        with pytest.raises(DataError, match="scheduler dropped part of this pass; nothing was written"):
            run_pass(client, futures, watch=client.cancel)


@pytest.mark.parametrize("exact_rows", [None, 0])  # 0: by label sets, scored early while the workers join
def test_a_join_whose_task_the_scheduler_dropped_runs_again_and_the_output_is_whole(tmp_path, monkeypatch,
                                                                                    exact_rows):
    from distributed import Client, LocalCluster

    import core.cluster._split as split_module
    from core.cluster import split_dataset

    folder = write_parquet(frame(4_000), tmp_path / "rows", parts=4)
    dropped, scored = [], []
    early = split_module.early_quality
    monkeypatch.setattr(split_module, "early_quality", lambda *a: scored.append(1) or early(*a))
    options = {} if exact_rows is None else {"exact_rows": exact_rows}

    def watch(futures):  # the join pass: drop one of its tasks, as the scheduler did once after a worker was lost
        if not dropped and any("_small" in str(f.key) for f in futures):
            dropped.append(futures[-1].key)
            futures[-1].cancel()

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        clean = split_dataset(folder, TASKS, SplitConfig(seed=2), tmp_path / "clean", client=client, **options)
        scored.clear()
        result = split_dataset(folder, TASKS, SplitConfig(seed=2), tmp_path / "out", client=client, watch=watch,
                               **options)
    assert dropped
    assert len(scored) == 1  # once, whatever the retries
    assert (assignment(tmp_path / "out") == assignment(tmp_path / "clean")).all()
    assert result.diagnosis.scores() == clean.diagnosis.scores()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean", "out", "rows"]


def test_a_join_dropped_in_both_attempts_is_one_line_and_writes_nothing(tmp_path):
    from distributed import Client, LocalCluster

    from core.cluster import split_dataset

    folder = write_parquet(frame(4_000), tmp_path / "rows", parts=4)
    dropped = []

    def watch(futures):  # every join pass loses a task
        if any("_small" in str(f.key) for f in futures):
            dropped.append(futures[-1].key)
            futures[-1].cancel()

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster, \
            Client(cluster) as client, \
            pytest.raises(DataError, match="scheduler dropped part of this pass; nothing was written") as error:
        split_dataset(folder, TASKS, SplitConfig(seed=2), tmp_path / "out", client=client, watch=watch, exact_rows=0)
    assert len(dropped) == 2
    assert "\n" not in str(error.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows"]


@pytest.mark.slow
@pytest.mark.parametrize("exact_rows", [2_000_000, 0])  # 0: the join places rows by label set with scattered arrays
def test_a_worker_killed_mid_split_is_retried_and_the_output_is_whole(tmp_path, exact_rows):
    from distributed import Client, LocalCluster

    from core.cluster import split_dataset

    df = frame(40_000)
    folder = write_parquet(df, tmp_path / "rows", parts=16)
    config = SplitConfig(seed=2)
    killed = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        split_dataset(folder, TASKS, config, tmp_path / "clean", client=client, exact_rows=exact_rows)
        pids = client.run(os.getpid)

        def watch(futures):  # the join pass: kill one worker as soon as its tasks are out
            if not killed and any("_small" in str(f.key) for f in futures):
                victim = sorted(pids.values())[0]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

        try:
            split_dataset(folder, TASKS, config, tmp_path / "out", client=client, watch=watch, exact_rows=exact_rows)
        except DataError as error:  # the issue allows a clear error: seen once under load (the scheduler dropped a task)
            assert "worker" in str(error) and "nothing was written" in str(error)
            assert sorted(p.name for p in tmp_path.iterdir()) == ["clean", "rows"]  # no partial folder left
            split_dataset(folder, TASKS, config, tmp_path / "out", client=client, exact_rows=exact_rows)  # run again
    assert killed
    assert (assignment(tmp_path / "out") == assignment(tmp_path / "clean")).all()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean", "out", "rows"]  # no partial folder left


@pytest.mark.slow
def test_the_report_does_not_grow_with_the_rows(tmp_path):
    from distributed import Client, LocalCluster

    from core.cluster import cluster_report, split_dataset

    sizes = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        for rows in (4_000, 40_000):
            folder = write_parquet(frame(rows, seed=1), tmp_path / f"rows{rows}")
            split_dataset(folder, TASKS, SplitConfig(), tmp_path / f"out{rows}", client=client)
            page = cluster_report(folder, TASKS, tmp_path / f"out{rows}", tmp_path / f"r{rows}.html", client=client,
                                  sample_rows=2_000)
            sizes[rows] = page.stat().st_size
            assert f"{rows:,} rows" in page.read_text()
    assert sizes[40_000] < 1.1 * sizes[4_000], sizes
    assert np.isfinite(sizes[4_000])


@pytest.mark.slow
def test_a_scheduler_that_does_not_answer_is_one_line(tmp_path, capsys):
    folder = write_parquet(frame(200), tmp_path / "rows", parts=2)
    config = _config(tmp_path, strategy="hash", id_column="id")
    address = f"tcp://127.0.0.1:{_free_port()}"
    assert main(["split", str(folder), "--engine", "dask", "--scheduler", address, "--config", str(config),
                 "--out", str(tmp_path / "out")]) == 2
    assert "No Dask scheduler answers" in _one_error_line(capsys)
