"""A drop-in for ``torch.utils.data.DistributedSampler`` whose shards carry the same label mix on every rank.

``DistributedSampler`` deals shuffled rows to ranks by position (``indices[rank::num_replicas]``):
a rare label can land mostly on one rank, and each rank's gradient then sees a different task mix.
:class:`MultiTaskDistributedSampler` deals them with the project's stratification engine
(:func:`core.splits.stratify.stratify`, every label of every task balanced at once) into
``num_replicas`` equal shares, afresh every epoch (``seed + epoch``), so every rank gets a shard of the
same size and, within rounding, the same count of every label.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
import torch.distributed as dist
from torch.utils.data import Sampler

from ..errors import ConfigError, DataError
from ..splits.stratify import stratify
from ..tasks import indicator_matrix, make_task

__all__ = ["MultiTaskDistributedSampler", "label_indicators"]


def label_indicators(labels) -> sp.csr_matrix:
    """The rows' 0/1 indicator matrix from a label matrix: 0/1 (NaN missing), or a frame of task columns.

    A frame's columns are tasks of the kinds :func:`core.tasks.infer_kind` infers (a missing value is a
    missing label); a 1-D array is one task column; a 2-D array of 0/1 (NaN: missing) is one label per column.

    Examples
    --------
    >>> label_indicators(np.array([[1, 0], [0, np.nan]])).toarray().tolist()
    [[1, 0], [0, 0]]
    >>> label_indicators(pd.DataFrame({"kind": ["a", "b", None, "c"]})).toarray().tolist()
    [[1, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 1]]
    """
    if isinstance(labels, pd.Series):
        labels = labels.to_frame(name=str(labels.name) if labels.name is not None else "labels")
    if isinstance(labels, pd.DataFrame):
        frame = labels.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        tasks = [make_task(frame, name, name) for name in frame.columns]
        matrix, _ = indicator_matrix(frame, tasks)
        return matrix.tocsr()
    if sp.issparse(labels):
        return (sp.csr_matrix(labels) != 0).astype(np.int8)
    array = labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    if array.ndim == 1:
        return label_indicators(pd.DataFrame({"labels": array}))
    if array.ndim != 2:
        raise DataError(f"labels has {array.ndim} dimensions; pass one row per sample: a 0/1 matrix or a frame "
                        "of task columns.")
    values = array.astype(np.float64, copy=False)
    if not np.isin(values[~np.isnan(values)], (0.0, 1.0)).all():
        raise DataError("labels holds values other than 0, 1 and NaN; pass a DataFrame of task columns to have "
                        "their kinds inferred.")
    return sp.csr_matrix((values == 1).astype(np.int8))


class MultiTaskDistributedSampler(Sampler[int]):
    """Like ``DistributedSampler(dataset, num_replicas, rank, shuffle, seed, drop_last)``, with ``labels`` for the dataset.

    Parameters
    ----------
    labels : 0/1 array (NaN: missing), sparse matrix, tensor, or DataFrame of task columns
        One row per sample of the dataset; see :func:`label_indicators`.
    num_replicas, rank : int, optional
        The world size and this process's rank; read from ``torch.distributed`` when None.
    shuffle : bool
        Deal a new random shard every epoch (``seed + epoch``); False gives the same shards every epoch,
        rows in their order.
    seed : int
        The same on every rank.
    drop_last : bool
        False: shards are padded (a short shard repeats its own first rows) to ``ceil(n / num_replicas)``;
        True: the last rows of the epoch's shuffled order are dropped to ``n // num_replicas`` per rank,
        as ``DistributedSampler`` does.

    Examples
    --------
    >>> labels = np.array([[1, 0]] * 4 + [[0, 1]] * 4)
    >>> shards = [list(MultiTaskDistributedSampler(labels, num_replicas=2, rank=r)) for r in range(2)]
    >>> [sorted(labels[s, 0].tolist()) for s in shards], sorted(shards[0] + shards[1]) == list(range(8))
    ([[0, 0, 1, 1], [0, 0, 1, 1]], True)
    """

    def __init__(self, labels, num_replicas: int | None = None, rank: int | None = None, shuffle: bool = True,
                 seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            if not (dist.is_available() and dist.is_initialized()):
                raise ConfigError("num_replicas and rank are not given and torch.distributed is not initialised; "
                                  "pass both, or call torch.distributed.init_process_group first.")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if num_replicas < 1 or not 0 <= rank < num_replicas:
            raise ConfigError(f"rank={rank}, num_replicas={num_replicas}: rank must be in 0..num_replicas-1.")
        self.indicators = label_indicators(labels)
        self.num_replicas, self.rank = int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last = bool(shuffle), int(seed), bool(drop_last)
        self.epoch = 0
        n = self.indicators.shape[0]
        self.num_samples = n // self.num_replicas if drop_last else math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __repr__(self) -> str:
        return (f"MultiTaskDistributedSampler(n={self.indicators.shape[0]}, num_replicas={self.num_replicas}, "
                f"rank={self.rank}, shuffle={self.shuffle}, seed={self.seed}, drop_last={self.drop_last})")

    def set_epoch(self, epoch: int) -> None:
        """The epoch the next ``__iter__`` deals for: the same epoch deals the same shards on every rank."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return self.num_samples

    def __iter__(self) -> Iterator[int]:
        return iter(self.shards()[self.rank].tolist())

    def shards(self) -> list[np.ndarray]:
        """Every rank's row indices for the current epoch (each rank computes all of them, identically)."""
        n = self.indicators.shape[0]
        rng = np.random.default_rng(self.seed + self.epoch if self.shuffle else self.seed)
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        kept = order[: self.total_size] if self.drop_last else order
        if len(kept) == 0:
            return [np.zeros(0, dtype=np.int64) for _ in range(self.num_replicas)]
        shares = np.full(self.num_replicas, 1.0 / self.num_replicas)
        codes = stratify(self.indicators[kept], shares, rng=rng)  # (len(kept),) rank of each kept row
        shards = [kept[codes == r] for r in range(self.num_replicas)]
        return [_pad(shard, kept, self.num_samples) for shard in shards]


def _pad(shard: np.ndarray, kept: np.ndarray, size: int) -> np.ndarray:
    """``shard`` made ``size`` long by repeating its own first rows (the epoch's first rows if it is empty)."""
    if len(shard) >= size:
        return shard[:size]
    source = shard if len(shard) else kept
    extra = np.resize(source, size - len(shard))  # cycles through source, as DistributedSampler's padding does
    return np.concatenate([shard, extra]).astype(np.int64)
