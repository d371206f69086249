"""Data-parallel training on CPU under ``torchrun``: every rank trains on its stratified shard, gradients averaged.

``torchrun --nproc_per_node 2 -m core train ...`` starts two processes with ``RANK`` and ``WORLD_SIZE``
set; :func:`distributed_world` reads them and :func:`fit_distributed` trains as DDP does:

- every rank prepares the same split (preprocessing fitted on train, deterministic) and builds the same
  model from the same seed;
- each rank's train rows are its shard of :class:`~core.training.MultiTaskDistributedSampler` (equal
  sizes, the same label mix), dealt again before every epoch with ``set_epoch``; equal sizes mean every
  rank runs the same number of steps, which the collective calls need;
- before every optimiser step the ranks agree that every rank's step is finite (an ``all_reduce`` of a
  flag: one rank going non-finite stops them all at that step, with ``stopped == "non_finite"``), then
  the gradients are averaged over the ranks in one ``all_reduce`` (gloo):
  every rank applies the same step, so the models stay identical, and val loss, early stopping and the
  test metrics (each rank evaluates the whole val and test parts) agree on every rank.

Two differences from ``torch.nn.parallel.DistributedDataParallel``, both deliberate: the averaging is
an optimiser pre-step hook rather than a module wrapper, so it works unchanged for every architecture
and loss weighting of :func:`core.training.train` (DDP's backward hooks miss gradients written by hand,
as gradient methods do); and gradient clipping acts on each rank's own gradient before the average.
The per-task train losses of an epoch record are rank 0's shard's. The caller writes output from rank 0.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Iterator, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
import torch
import torch.distributed as dist
from torch.optim.optimizer import register_optimizer_step_pre_hook

from ..errors import ConfigError
from ..model import ModelConfig
from ..tasks import Task
from ._features import Part, PreparedSplit
from ._fit import prepare_for_fit
from ._loop import step_agreement, train
from ._preprocess import FeatureConfig
from ._records import EpochRecord, TrainConfig, TrainResult
from ._sampler import MultiTaskDistributedSampler

__all__ = ["distributed_world", "fit_distributed", "average_gradients", "shard_labels"]

COLLECTIVE_TIMEOUT = datetime.timedelta(minutes=5)  # a rank that fails ends the others' wait with an error, not a hang


def distributed_world() -> tuple[int, int] | None:
    """``(rank, world_size)`` from torchrun's ``RANK`` and ``WORLD_SIZE`` when the world has 2+ processes, else None.

    Examples
    --------
    >>> distributed_world() is None or os.environ["WORLD_SIZE"] != "1"
    True
    """
    try:
        rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        raise ConfigError(f"RANK={os.environ.get('RANK')!r}, WORLD_SIZE={os.environ.get('WORLD_SIZE')!r} are not "
                          "integers; start with torchrun, or unset them.") from None
    return (rank, world) if world > 1 else None


@contextlib.contextmanager
def _process_group() -> Iterator[None]:
    """The gloo process group from torchrun's environment, for the duration (unless one is already up)."""
    if dist.is_initialized():
        yield
        return
    dist.init_process_group("gloo", timeout=COLLECTIVE_TIMEOUT)
    try:
        yield
    finally:
        dist.destroy_process_group()


def _average(optimizer: torch.optim.Optimizer, args, kwargs) -> None:
    """Optimiser pre-step hook: every gradient becomes the mean over the ranks (one flat all_reduce)."""
    grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])  # (P,)
    dist.all_reduce(flat)
    flat /= dist.get_world_size()
    offset = 0
    for g in grads:
        g.copy_(flat[offset : offset + g.numel()].view_as(g))
        offset += g.numel()


def every_rank_ok(ok: bool) -> bool:
    """Whether every rank's step is finite (one all_reduce of a flag, MIN): a rank that went non-finite stops
    all of them at the same step, where the others would otherwise wait in the gradient all_reduce until
    the collective timeout."""
    flag = torch.tensor([1 if ok else 0], dtype=torch.int32)
    dist.all_reduce(flag, op=dist.ReduceOp.MIN)
    return bool(flag.item())


@contextlib.contextmanager
def average_gradients() -> Iterator[None]:
    """While inside, every optimiser's step first averages its gradients over the process group's ranks."""
    handle = register_optimizer_step_pre_hook(_average)
    try:
        yield
    finally:
        handle.remove()


def shard_labels(part: Part, kinds: dict[str, str]) -> pd.DataFrame:
    """The train part's encoded targets as task columns with missing values, for the sampler to stratify.

    Examples
    --------
    >>> part = Part(rows=np.arange(3), x=torch.zeros(3, 1), y={"y": torch.tensor([0, -1, 1])})
    >>> shard_labels(part, {"y": "binary"})["y"].tolist()
    [0.0, nan, 1.0]
    """
    columns = {}
    for name, kind in kinds.items():
        values = part.y[name].numpy()
        if kind == "multilabel":
            for j in range(values.shape[1]):
                columns[f"{name}[{j}]"] = np.where(values[:, j] < 0, np.nan, values[:, j].astype(float))
        elif kind == "regression":
            columns[name] = values.astype(float)
        else:
            columns[name] = np.where(values < 0, np.nan, values.astype(float))
    return pd.DataFrame(columns)


class _Shards:
    """Before each epoch, writes this rank's new shard into the train tensors in place (same size every epoch)."""

    def __init__(self, full: Part, sampler: MultiTaskDistributedSampler):
        self.full, self.sampler = full, sampler
        rows = self.rows(0)
        self.part = Part(rows=full.rows[rows], x=full.x[rows].clone(), y={t: v[rows].clone() for t, v in full.y.items()})

    def rows(self, epoch: int) -> np.ndarray:
        self.sampler.set_epoch(epoch)
        return np.fromiter(iter(self.sampler), dtype=np.int64, count=len(self.sampler))

    def next_epoch(self, record: EpochRecord) -> None:
        rows = torch.from_numpy(self.rows(record.epoch))  # the shard of the epoch after ``record``'s
        self.part.x.copy_(self.full.x[rows])
        for task, values in self.part.y.items():
            values.copy_(self.full.y[task][rows])


def fit_distributed(
    df: pd.DataFrame,
    tasks: Sequence[Task],
    assignment,
    *,
    feature_columns: Sequence[str] | None = None,
    config: TrainConfig | None = None,
    model_config: ModelConfig | None = None,
    feature_config: FeatureConfig | None = None,
    test_fold: int = 0,
    group_column: str | None = None,
    id_column: str | None = None,
    time_column: str | None = None,
) -> TrainResult:
    """:func:`core.training.fit_on_split` across torchrun's processes (see the module); every rank returns the result.

    Examples
    --------
    ``torchrun --standalone --nproc_per_node 2 -m core train builtin:wagepan --split-file s.csv --out m.json``
    """
    config = config or TrainConfig()
    with _process_group():
        prepared: PreparedSplit = prepare_for_fit(
            df, tasks, assignment, config, feature_columns=feature_columns, feature_config=feature_config,
            test_fold=test_fold, group_column=group_column, id_column=id_column, time_column=time_column)
        kinds = {spec.name: spec.kind for spec in prepared.targets}
        if len(prepared.train) < dist.get_world_size():
            raise ConfigError(f"{len(prepared.train)} train rows cannot be shared by {dist.get_world_size()} "
                              "processes; use fewer processes (--nproc_per_node).")
        sampler = MultiTaskDistributedSampler(shard_labels(prepared.train, kinds), seed=config.seed)
        shards = _Shards(prepared.train, sampler)
        with average_gradients(), step_agreement(every_rank_ok):
            return train(replace(prepared, train=shards.part), config, model_config, on_epoch=shards.next_epoch)
