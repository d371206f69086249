"""Shared by the tests of core.cluster: small generated data (every task kind, missing labels, groups, time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from core.tasks import Task


@contextmanager
def two_workers() -> Iterator:
    """A client on a real LocalCluster of 2 single-threaded worker processes (distributed's own defaults)."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        yield client


TASKS = (
    Task("tags", ("a", "b", "c"), "multilabel"),
    Task("kind", ("kind",), "multiclass"),
    Task("flag", ("flag",), "binary"),
    Task("score", ("score",), "regression"),
)


def frame(n: int = 6_000, seed: int = 0) -> pd.DataFrame:
    """Rows with a multilabel task, a multiclass and a binary task with missing labels, a regression target with
    missing values, a group id (some missing), a time column, an id and a predefined split column."""
    rng = np.random.default_rng(seed)
    out = pd.DataFrame({
        "id": np.arange(n) * 7 + 3,
        "g": rng.integers(0, max(n // 25, 4), n).astype(float),
        "t": rng.integers(0, 40, n),
        "a": (rng.random(n) < 0.3).astype(np.int8),
        "b": (rng.random(n) < 0.04).astype(np.int8),
        "c": (rng.random(n) < 0.5).astype(np.int8),
        "kind": rng.choice(["x", "y", "z"], n, p=[0.6, 0.3, 0.1]).astype(object),
        "flag": rng.choice([0.0, 1.0], n, p=[0.8, 0.2]),
        "score": rng.gamma(2.0, 1.0, n).round(2),
        "x1": rng.normal(size=n).round(1),
        "x2": rng.integers(0, 3, n),
        "given": rng.choice(["train", "test", None], n, p=[0.75, 0.2, 0.05]),
    })
    out.loc[rng.random(n) < 0.1, "kind"] = None
    out.loc[rng.random(n) < 0.1, "flag"] = np.nan
    out.loc[rng.random(n) < 0.1, "score"] = np.nan
    out.loc[rng.random(n) < 0.02, "g"] = np.nan
    return out


def write_parquet(df: pd.DataFrame, folder: Path, parts: int = 4) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, piece in enumerate(np.array_split(np.arange(len(df)), parts)):
        df.iloc[piece].to_parquet(folder / f"part.{i}.parquet", index=False)
    return folder


def write_csv(df: pd.DataFrame, folder: Path, parts: int = 3) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    for i, piece in enumerate(np.array_split(np.arange(len(df)), parts)):
        df.iloc[piece].to_csv(folder / f"part{i}.csv", index=False)
    return str(folder / "part*.csv")


def assignment(out: Path) -> np.ndarray:
    """The split per row, in row order, of a cluster split output."""
    table = pd.read_parquet(Path(out) / "assignment")
    return table.sort_values("row")["split"].to_numpy()
