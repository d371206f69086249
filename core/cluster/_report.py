"""The report and the sample: what needs rows, on a stated random sample; every count, from the whole data."""

from __future__ import annotations

import shlex
from pathlib import Path

from ..errors import DataError

__all__ = ["sample_table", "cluster_report", "split_command", "SAMPLE_ROWS"]

SAMPLE_ROWS = 200_000


def sample_table(data, n: int = SAMPLE_ROWS, *, seed: int = 0, client=None, split_dir=None):
    raise NotImplementedError


def cluster_report(data, tasks, split_dir, out, *, config=None, client=None, sample_rows: int = SAMPLE_ROWS,
                   progress=None):
    raise NotImplementedError


def split_command(data, config_file, out, *, scheduler: str | None = None, tasks=()) -> str:
    """The shell command that splits DATA on a cluster with a saved config (the Export page shows it).

    Examples
    --------
    >>> split_command("s3://bucket/rows/*.parquet", "config.json", "out", scheduler="tcp://10.0.0.5:8786")
    'python -m core split s3://bucket/rows/*.parquet --engine dask --scheduler tcp://10.0.0.5:8786 --config config.json --out out'
    """
    words = ["python", "-m", "core", "split", str(data), "--engine", "dask"]
    if scheduler:
        words += ["--scheduler", scheduler]
    for spec in tasks:
        words += ["--task", str(spec)]
    words += ["--config", str(config_file), "--out", str(out)]
    return " ".join(shlex.quote(w) for w in words)
