"""python -m core train --seeds N --baselines --runs-dir DIR: today's keys plus baselines, per-seed metrics with mean
and sd, the tasks worse than alone on every seed (negative_transfer), one run folder per seed; a bad runs folder
exits 2 with one line."""

from __future__ import annotations

import json

import pytest

from core.training import PRIMARY_METRIC, list_runs, runs_frame
from tests.test_cli_train import run


@pytest.fixture(scope="module")
def split_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli_runs") / "split.csv"
    done = run("split", "builtin:penguins", "--seed", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def test_seeds_baselines_and_runs_dir(split_file, tmp_path):
    out, runs = tmp_path / "m.json", tmp_path / "runs"
    done = run("train", "builtin:penguins", "--split-file", str(split_file), "--epochs", "2", "--seed", "5",
               "--seeds", "2", "--baselines", "--runs-dir", str(runs), "--out", str(out))
    assert done.returncode == 0, done.stderr
    metrics = json.loads(out.read_text())
    assert {"history", "test", "config", "val", "best_epoch", "stopped"} <= set(metrics)  # today's keys
    assert set(metrics["baselines"]) >= {"single_task", "trees"} and set(metrics["delta_m"]) == {"single_task", "trees"}
    assert [s["seed"] for s in metrics["seeds"]] == [5, 6]
    task = next(iter(metrics["test"]))
    assert set(metrics["mean"]["test"][task]) == set(metrics["sd"]["test"][task]) == set(metrics["test"][task])
    assert set(metrics["mean"]["baselines"]) == {"single_task", "trees"}
    found = list_runs(runs)
    assert sorted(r.seed for r in found) == [5, 6] and {r.status for r in found} == {"done"}
    assert sorted(metrics["runs"]) == sorted(str(r.path) for r in found)
    assert found[0].config["data"]["name"] == "penguins"
    assert runs_frame(found)["trees"].notna().all()
    worse = [task for task, kind in found[0].kinds.items()  # worse than its single-task net on both seeds
             if all(s["test"][task][PRIMARY_METRIC[kind]] < s["baselines"]["single_task"][task][PRIMARY_METRIC[kind]]
                    for s in metrics["seeds"])]
    assert isinstance(metrics["negative_transfer"], list)
    assert [line.split(":")[0] for line in metrics["negative_transfer"]] == worse
    assert all("on 2 of 2 seeds" in line for line in metrics["negative_transfer"])


@pytest.mark.slow
def test_without_the_new_options_the_file_is_as_before(split_file, tmp_path):
    out = tmp_path / "m.json"
    done = run("train", "builtin:penguins", "--split-file", str(split_file), "--epochs", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert not {"baselines", "seeds", "mean", "sd", "runs", "negative_transfer"} & set(json.loads(out.read_text()))


@pytest.mark.parametrize("bad", ["file", "seeds"])
def test_bad_runs_dir_or_seeds_exit_2_with_one_line(split_file, tmp_path, bad):
    (tmp_path / "taken").write_text("not a folder")
    extra = ["--runs-dir", str(tmp_path / "taken")] if bad == "file" else ["--seeds", "0"]
    done = run("train", "builtin:penguins", "--split-file", str(split_file), "--epochs", "1", *extra,
               "--out", str(tmp_path / "m.json"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert ("is a file, not a folder" if bad == "file" else "--seeds 0 must be at least 1") in lines[0]
