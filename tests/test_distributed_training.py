"""Data-parallel training on CPU (issue 16, item 7): torchrun runs `python -m core train` with the same metrics shape."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from core.tasks import Task
from core.training import MultiTaskDistributedSampler, TrainConfig, distributed_world, fit_distributed
from tests.test_sampler import free_port, labels_matrix

ROOT = Path(__file__).resolve().parents[1]


def shape(value):
    """The JSON's structure: keys and value types, lists by their first item."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return "number" if isinstance(value, int | float) else type(value).__name__


def test_the_world_is_read_from_torchruns_variables(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert distributed_world() is None
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    assert distributed_world() == (1, 2)
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert distributed_world() is None


def small_frame(n: int = 240) -> tuple[pd.DataFrame, list[Task], list[str]]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3))
    frame = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2],
                          "y": (x[:, 0] > 0).astype(int), "z": x[:, 1] + 0.1 * rng.normal(size=n)})
    frame.loc[rng.random(n) < 0.2, "y"] = np.nan
    tasks = [Task("y", ("y",), "binary"), Task("z", ("z",), "regression")]
    return frame, tasks, list(rng.choice(["train", "val", "test"], size=n, p=[0.7, 0.15, 0.15]))


def _shards(world: int) -> dict[int, list[list[int]]]:
    """Every rank's sampler shard of epochs 0 and 1, gathered over gloo (num_replicas and rank from the group)."""
    sampler = MultiTaskDistributedSampler(labels_matrix(1001))
    assert sampler.num_replicas == world
    dealt = {}
    for epoch in (0, 1):
        sampler.set_epoch(epoch)
        mine = torch.tensor(list(sampler))
        gathered = [torch.zeros_like(mine) for _ in range(world)]
        dist.all_gather(gathered, mine)
        dealt[epoch] = [g.tolist() for g in gathered]
    return dealt


def _rank(rank: int, world: int, port: int, folder: str) -> None:
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        shards = _shards(world)
        _train(rank, folder)
    finally:
        dist.destroy_process_group()
    if rank == 0:
        Path(folder, "shards.json").write_text(json.dumps(shards))


def _train(rank: int, folder: str) -> None:
    frame, tasks, assignment = small_frame()
    result = fit_distributed(frame, tasks, assignment, feature_columns=["a", "b", "c"],
                             config=TrainConfig(epochs=3, batch_size=32, patience=None))
    weights = [p.detach().numpy().tolist() for p in result.model.parameters()]
    Path(folder, f"rank{rank}.json").write_text(json.dumps({"test": result.test, "weights": weights,
                                                             "train_loss": result.history[-1].train_loss}))


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory) -> Path:
    """Two processes on gloo: each deals the sampler's shards, then trains with fit_distributed (one spawn, ~10 s)."""
    folder = tmp_path_factory.mktemp("gloo")
    mp.spawn(_rank, args=(2, free_port(), str(folder)), nprocs=2, join=True)
    return folder


@pytest.mark.slow
def test_two_gloo_processes_get_equal_disjoint_stratified_shards_reshuffled_each_epoch(two_ranks):
    found = json.loads((two_ranks / "shards.json").read_text())
    y = labels_matrix(1001)
    for zero, one in found.values():
        assert len(zero) == len(one) == 501
        assert set(zero) | set(one) == set(range(1001)) and len(set(zero) & set(one)) <= 1  # one padded row
        counts = np.array([np.nansum(y[list(dict.fromkeys(s))], axis=0) for s in (zero, one)])
        assert (np.abs(counts[0] - counts[1]) <= 2).all()
    assert found["0"] != found["1"]


@pytest.mark.slow
def test_two_ranks_keep_identical_models_while_training_on_different_shards(two_ranks):
    tmp_path = two_ranks
    zero, one = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1))
    assert zero["weights"] == one["weights"]  # the averaged step is the same step on every rank
    assert zero["test"] == one["test"]
    assert zero["train_loss"] != one["train_loss"]  # each rank's loss is of its own shard


def _diverging_rank(rank: int, world: int, port: int, folder: str) -> None:
    """Rank 1 steps with a huge learning rate, so its second step goes non-finite; rank 0's stay finite."""
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    # a short collective timeout: without the agreement rank 0 would wait in the gradient all_reduce, and the
    # test would fail after 60 s instead of hanging for the default 30 min
    dist.init_process_group("gloo", rank=rank, world_size=world, timeout=datetime.timedelta(seconds=60))
    try:
        frame, tasks, assignment = small_frame()
        config = TrainConfig(epochs=3, batch_size=32, patience=None, lr=1e30 if rank == 1 else 3e-3)
        result = fit_distributed(frame, tasks, assignment, feature_columns=["a", "b", "c"], config=config)
        Path(folder, f"rank{rank}.json").write_text(json.dumps({
            "stopped": result.stopped, "message": result.message, "epochs": len(result.history)}))
    finally:
        dist.destroy_process_group()


@pytest.mark.slow
def test_a_rank_going_non_finite_stops_every_rank_at_the_same_step(tmp_path):
    mp.spawn(_diverging_rank, args=(2, free_port(), str(tmp_path)), nprocs=2, join=True)
    zero, one = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1))
    assert zero["stopped"] == one["stopped"] == "non_finite"
    assert zero["epochs"] == one["epochs"]
    assert "another process's step became non-finite" in zero["message"]
    assert "another process" not in one["message"] and "lr=1e+30" in one["message"]
    assert zero["message"].split(":")[0] == one["message"].split(":")[0]  # "Training stopped at epoch E, batch B"


def run(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)


@pytest.mark.slow  # torchrun starts two interpreters that each load wagepan (~25 s)
def test_torchrun_trains_with_ddp_on_cpu_and_writes_the_same_metrics_shape_once(tmp_path):
    split = tmp_path / "split.csv"
    done = run("-m", "core", "split", "builtin:wagepan", "--strategy", "group", "--group", "nr", "--out", str(split))
    assert done.returncode == 0, done.stderr
    common = ["builtin:wagepan", "--task", "union", "--task", "lwage", "--split-file", str(split), "--epochs", "2"]
    single, parallel = tmp_path / "single.json", tmp_path / "ddp.json"
    done = run("-m", "core", "train", *common, "--out", str(single))
    assert done.returncode == 0, done.stderr
    env = {key: value for key, value in os.environ.items() if key not in ("RANK", "WORLD_SIZE")}
    done = run("-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "core", "train", *common,
               "--out", str(parallel), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count(f"wrote {parallel}") == 1  # rank 0 alone writes
    one, two = json.loads(single.read_text()), json.loads(parallel.read_text())
    assert shape(one) == shape(two)
    assert set(two["affinity"]) == {"union", "lwage"}
