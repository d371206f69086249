"""Synthetic multi-task Parquet for the Dask benchmark, written in chunks, cached outside the repo.

``python -m bench.bigdata 10_000_000`` writes (or finds) the data set and prints its folder.

Each row has an ``id``, a ``group`` (one of ``n_rows // 20`` groups: 5,000,000 at 100M rows), a
``time`` (seconds over one year), 20 binary labels ``y00``..``y19`` whose positive rates run from
0.1% to 40% (log-spaced), one regression target ``target`` and two float features ``x0``, ``x1``.
Labels are correlated: each is a threshold of ``0.35 * group effect + 0.35 * row effect + noise``
(normals with unit total variance), so labels co-occur within rows and within groups, as clicks,
carts and purchases do. Chunks of ``CHUNK_ROWS`` rows are made from their own seed, one Parquet file
each, so memory stays flat and a chunk is the same whatever the total size.

The folder name carries a fingerprint of the generator's parameters; a finished folder (with
``_done.json``) is reused, an unfinished one is made again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.special import ndtri

VERSION = 1
CHUNK_ROWS = 2_000_000
N_LABELS = 20
ROWS_PER_GROUP = 20
RATES = np.geomspace(0.001, 0.40, N_LABELS)
GROUP_WEIGHT = ROW_WEIGHT = 0.35
LABELS = tuple(f"y{j:02d}" for j in range(N_LABELS))
TARGET = "target"
YEAR_SECONDS = 365 * 24 * 3600


def cache_root() -> Path:
    """``$TASKSPLIT_BENCH_CACHE``, else ``$TMPDIR/tasksplit-bench`` (outside the repository)."""
    return Path(os.environ.get("TASKSPLIT_BENCH_CACHE") or Path(tempfile.gettempdir()) / "tasksplit-bench")


def fingerprint(n_rows: int, seed: int = 0) -> str:
    """A short hash of everything that decides the data: rows, seed, chunking, rates, weights, version."""
    spec = json.dumps(
        [VERSION, n_rows, seed, CHUNK_ROWS, ROWS_PER_GROUP, RATES.round(12).tolist(), GROUP_WEIGHT, ROW_WEIGHT]
    )
    return hashlib.sha256(spec.encode()).hexdigest()[:12]


def n_groups(n_rows: int) -> int:
    """Groups in a data set of ``n_rows`` rows (5,000,000 at 100M rows)."""
    return max(1, n_rows // ROWS_PER_GROUP)


def _chunk(start: int, rows: int, total: int, seed: int, group_effect: np.ndarray) -> pa.Table:
    """Rows ``start`` .. ``start + rows`` of the data set, from their own seed."""
    rng = np.random.default_rng([seed, start])
    group = rng.integers(0, group_effect.size, rows, dtype=np.int64)
    common = GROUP_WEIGHT * group_effect[group] + ROW_WEIGHT * rng.standard_normal(rows, dtype=np.float32)
    noise_weight = np.float32(np.sqrt(1 - GROUP_WEIGHT**2 - ROW_WEIGHT**2))
    thresholds = ndtri(1 - RATES).astype(np.float32)
    columns = {
        "id": pa.array(np.arange(start, start + rows, dtype=np.int64)),
        "group": pa.array(group),
        "time": pa.array(rng.integers(0, YEAR_SECONDS, rows, dtype=np.int64)),
    }
    for name, threshold in zip(LABELS, thresholds, strict=True):
        noise = rng.standard_normal(rows, dtype=np.float32)
        columns[name] = pa.array((common + noise_weight * noise > threshold).astype(np.int8))
    columns[TARGET] = pa.array((2.0 * common + rng.standard_normal(rows, dtype=np.float32)).astype(np.float32))
    columns["x0"] = pa.array(rng.standard_normal(rows, dtype=np.float32))
    columns["x1"] = pa.array((common + rng.standard_normal(rows, dtype=np.float32)).astype(np.float32))
    return pa.table(columns)


def generate(n_rows: int, seed: int = 0, root: Path | None = None, log=None) -> Path:
    """The folder of the ``n_rows`` data set, written now unless a finished copy is cached.

    Examples
    --------
    >>> folder = generate(1_000, root=Path(tempfile.mkdtemp()))
    >>> pq.read_table(folder).shape
    (1000, 26)
    """
    root = cache_root() if root is None else Path(root)
    folder = root / f"synthetic-{n_rows}-{fingerprint(n_rows, seed)}"
    if (folder / "_done.json").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    group_effect = np.random.default_rng([seed, 2**40]).standard_normal(n_groups(n_rows), dtype=np.float32)
    start_time = time.perf_counter()
    for index, start in enumerate(range(0, n_rows, CHUNK_ROWS)):
        rows = min(CHUNK_ROWS, n_rows - start)
        pq.write_table(_chunk(start, rows, n_rows, seed, group_effect), folder / f"part-{index:05d}.parquet")
        if log:
            log(f"generated {start + rows:,} / {n_rows:,} rows ({time.perf_counter() - start_time:.0f} s)")
    info = {"rows": n_rows, "groups": n_groups(n_rows), "labels": list(LABELS), "rates": RATES.tolist(),
            "seconds": round(time.perf_counter() - start_time, 1), "fingerprint": fingerprint(n_rows, seed)}
    (folder / "_done.json").write_text(json.dumps(info, indent=1))
    return folder


def size_on_disk(folder: Path) -> int:
    """Bytes of the Parquet files in ``folder``."""
    return sum(path.stat().st_size for path in Path(folder).glob("*.parquet"))


if __name__ == "__main__":
    print(generate(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000, log=lambda line: print(line, file=sys.stderr)))
