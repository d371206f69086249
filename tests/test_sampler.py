"""MultiTaskDistributedSampler (issue 16, item 7): a DistributedSampler whose shards have equal sizes and one label mix.

The two-process test on gloo is in tests/test_distributed_training.py (one spawn checks the sampler and DDP training).
"""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest
from torch.utils.data import DistributedSampler

from core.errors import ConfigError, DataError
from core.training import MultiTaskDistributedSampler, label_indicators


def labels_matrix(n: int = 1003, seed: int = 0) -> np.ndarray:
    """Three labels of very different rates, one rare, with some missing values."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, 3)) < [0.03, 0.3, 0.6]).astype(float)
    y[rng.random(n) < 0.1, 2] = np.nan
    return y


def shards(labels, replicas: int, **options) -> list[list[int]]:
    return [list(MultiTaskDistributedSampler(labels, num_replicas=replicas, rank=r, **options))
            for r in range(replicas)]


@pytest.mark.parametrize("replicas", [2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_shards_have_equal_sizes(replicas, drop_last):
    dealt = shards(labels_matrix(), replicas, drop_last=drop_last)
    assert len({len(s) for s in dealt}) == 1


@pytest.mark.parametrize("replicas", [2, 3, 5])
def test_without_padding_the_shards_cover_every_row_once(replicas):
    n = 1000 - 1000 % replicas  # divisible: no padding, no drop
    dealt = shards(labels_matrix(n), replicas)
    assert sorted(i for s in dealt for i in s) == list(range(n))
    dropped = shards(labels_matrix(1003), replicas, drop_last=True)
    flat = [i for s in dropped for i in s]
    assert len(flat) == len(set(flat)) == 1003 - 1003 % replicas


def test_padding_repeats_only_as_many_rows_as_needed():
    dealt = shards(labels_matrix(1003), 4)  # 1003 rows: 251 per rank, one repeated row
    flat = [i for s in dealt for i in s]
    assert set(flat) == set(range(1003)) and len(flat) == 1004


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_rank_gets_the_same_label_mix_within_one_row(seed):
    y = labels_matrix(seed=seed)
    for replicas in (2, 3, 4):
        counts = np.array([np.nansum(y[s], axis=0) for s in shards(y, replicas, seed=seed, drop_last=True)])
        assert (counts.max(axis=0) - counts.min(axis=0) <= 1).all(), counts


def test_distributed_sampler_lets_a_rare_label_drift_and_ours_does_not():
    """The reason for the class: position-dealt ranks differ on a rare label; stratified ones do not."""
    y = labels_matrix(4000)
    ours = np.array([np.nansum(y[s], axis=0) for s in shards(y, 4)])
    spread = []
    for epoch in range(5):
        theirs = []
        for rank in range(4):
            sampler = DistributedSampler(range(len(y)), num_replicas=4, rank=rank, seed=0)
            sampler.set_epoch(epoch)
            theirs.append(np.nansum(y[list(sampler)], axis=0))
        spread.append((np.ptp(np.array(theirs), axis=0)).max())
    assert np.ptp(ours, axis=0).max() <= 1 < max(spread)


def test_set_epoch_reshuffles_deterministically():
    y = labels_matrix()
    sampler = MultiTaskDistributedSampler(y, num_replicas=2, rank=1, seed=7)
    first = list(sampler)
    sampler.set_epoch(1)
    second = list(sampler)
    again = MultiTaskDistributedSampler(y, num_replicas=2, rank=1, seed=7)
    again.set_epoch(1)
    assert first != second and second == list(again)
    other_seed = MultiTaskDistributedSampler(y, num_replicas=2, rank=1, seed=8)
    assert list(other_seed) != first


def test_without_shuffle_every_epoch_gives_the_same_shards_in_row_order():
    sampler = MultiTaskDistributedSampler(labels_matrix(), num_replicas=2, rank=0, shuffle=False)
    first = list(sampler)
    sampler.set_epoch(3)
    assert list(sampler) == first == sorted(first)


@pytest.mark.parametrize("n", [0, 1, 2, 5, 10, 11, 12, 13])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_len_is_distributed_samplers(n, replicas, drop_last):
    y = np.zeros((n, 1))
    ours = [MultiTaskDistributedSampler(y, num_replicas=replicas, rank=r, drop_last=drop_last) for r in range(replicas)]
    theirs = DistributedSampler(range(n), num_replicas=replicas, rank=0, drop_last=drop_last)
    assert all(len(s) == len(theirs) == len(list(s)) for s in ours)
    assert ours[0].total_size == theirs.total_size


def test_a_frame_of_task_columns_with_missing_values_is_stratified_by_its_kinds():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({
        "kind": rng.choice(["a", "b", "c", None], size=600, p=[0.6, 0.25, 0.1, 0.05]),
        "flag": rng.choice([0.0, 1.0, np.nan], size=600, p=[0.8, 0.15, 0.05]),
        "size": rng.normal(size=600),
    })
    dealt = shards(frame, 3)
    assert len({len(s) for s in dealt}) == 1
    for column, value in (("kind", "c"), ("flag", 1.0)):
        counts = [int((frame[column].iloc[s] == value).sum()) for s in dealt]
        assert max(counts) - min(counts) <= 1, (column, counts)
    assert label_indicators(frame).shape == (600, 3 + 2 + 5)  # 3 classes, 2 values, 5 quantile bins


def test_bad_arguments_are_one_line_errors():
    with pytest.raises(ConfigError, match="torch.distributed is not initialised"):
        MultiTaskDistributedSampler(np.zeros((4, 1)))
    with pytest.raises(ConfigError, match="rank must be in"):
        MultiTaskDistributedSampler(np.zeros((4, 1)), num_replicas=2, rank=2)
    with pytest.raises(DataError, match="other than 0, 1 and NaN"):
        MultiTaskDistributedSampler(np.array([[0.5], [1.0]]), num_replicas=2, rank=0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_it_drops_into_a_dataloader_like_distributed_sampler():
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    y = labels_matrix(101)
    dataset = TensorDataset(torch.arange(101))
    sampler = MultiTaskDistributedSampler(y, num_replicas=2, rank=1, seed=3)
    loader = DataLoader(dataset, batch_size=16, sampler=sampler)
    sampler.set_epoch(2)
    rows = torch.cat([batch for (batch,) in loader]).tolist()
    assert rows == list(sampler) and len(rows) == len(sampler) == 51
