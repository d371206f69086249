"""Reading a large table lazily: :func:`lazy_table` (Parquet or CSV, local or any fsspec URL) and its fingerprint.

The row key of every output is ``row``, a row's 0-based position in DATA: the files in the order Dask
lists them (sorted names), the rows of each in file order, as the in-memory command line numbers them.
Partitions follow the files and their row groups (or CSV byte blocks), never the number of workers, so
the same files give the same partitions, and the same split, on any cluster.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from ..errors import DataError

__all__ = ["lazy_table", "fingerprint", "is_csv", "partitions", "mapped", "PART_ROWS"]

_CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz")


def is_csv(data: str | Path) -> bool:
    """Whether ``data`` names CSV/TSV files (by its suffix); anything else is read as Parquet."""
    return str(data).lower().endswith(_CSV_SUFFIXES)


def lazy_table(data: str | Path, columns: Sequence[str] | None = None):
    """DATA as a lazy ``dask.dataframe.DataFrame``: a Parquet folder, file or glob, or CSV/TSV globs.

    Raises :class:`DataError` (one line) when nothing is found or a column is unknown.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> folder = Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"x": range(5)}).to_parquet(folder / "part.0.parquet")
    >>> lazy_table(folder).npartitions, len(lazy_table(folder).compute())
    (1, 5)
    """
    import dask.dataframe as dd

    text = str(data)
    if not text.strip():
        raise DataError("DATA is empty; give a Parquet folder, file or glob, or a CSV glob.")
    try:
        if is_csv(text):
            sep = "\t" if ".tsv" in text.lower() else ","
            frame = dd.read_csv(text, sep=sep, blocksize="64MB", assume_missing=True)
        else:
            frame = dd.read_parquet(text)
    except (FileNotFoundError, OSError, IndexError) as error:
        raise DataError(
            f"No data at '{text}' ({type(error).__name__}); give a Parquet folder, file or glob, or a CSV glob."
        ) from None
    except ValueError as error:
        raise DataError(f"'{text}' cannot be read as a table ({_first_line(error)}); check the path and format.") from None
    if columns is not None:
        unknown = [c for c in columns if c not in frame.columns]
        if unknown:
            shown = ", ".join(map(str, list(frame.columns)[:8])) + (" ..." if len(frame.columns) > 8 else "")
            raise DataError(f"Column '{unknown[0]}' is not in {text} (it has {shown}); check the spelling.")
        frame = frame[list(dict.fromkeys(columns))]
    if frame.npartitions == 0:
        raise DataError(f"No rows in '{text}'; give a table with at least one row.")
    return frame


PART_ROWS = 4_000_000  # a Parquet file with more rows is read in runs of its row groups of about this many


def partitions(data: str | Path, columns: Sequence[str] | None = None) -> list:
    """DATA's partitions as delayed pandas frames of ``columns``, the same partitions whatever the columns.

    Parquet: each file (sorted as Dask sorts them), a file of more than :data:`PART_ROWS` rows cut into
    runs of whole row groups; read with pyarrow, only ``columns``. (Dask's reader merges partitions when
    fewer columns are read, so its partitions would depend on the columns.) CSV: Dask's byte blocks.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> folder = Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"x": range(5), "y": 1}).to_parquet(folder / "part.0.parquet")
    >>> import dask; dask.compute(*partitions(folder, ["x"]))[0].columns.tolist()
    ['x']
    """
    if is_csv(data):
        frame = lazy_table(data, columns)
        return frame.to_delayed()
    return _parquet_tasks(data, columns, read_piece)


def mapped(data: str | Path, columns: Sequence[str] | None, func, *args) -> list:
    """Per partition of DATA (as :func:`partitions` cuts it) one delayed ``func(frame, *args)`` of its ``columns``.

    From Parquet the read and ``func`` are one task (the frame never is a task's result of its own: a pass of
    50 partitions schedules 50 tasks, not 100, and no worker holds the frame after ``func``); from CSV, ``func``
    runs on Dask's partitions.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> folder = Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"x": range(5), "y": 1}).to_parquet(folder / "part.0.parquet")
    >>> import dask; dask.compute(*mapped(folder, ["x"], len))
    (5,)
    """
    import dask

    if is_csv(data):
        return [dask.delayed(func)(part, *args) for part in partitions(data, columns)]
    return _parquet_tasks(data, columns, _read_then, func, *args)


def _parquet_tasks(data, columns, task, *args) -> list:
    """Per Parquet piece one delayed ``task(path, row_groups, columns, *args)``, after a bad path or column is
    refused in one line."""
    import dask

    lazy_table(data, columns)  # the one-line errors of a bad path or column
    columns = None if columns is None else list(columns)
    return [dask.delayed(task)(path, groups, columns, *args) for path, groups in _pieces(str(data))]


def _read_then(path: str, groups: list | None, columns: list | None, func, *args):
    return func(read_piece(path, groups, columns), *args)


def _pieces(text: str) -> list[tuple[str, list | None]]:
    import fsspec
    import pyarrow.parquet as pq
    from dask.utils import natural_sort_key

    fs, _, paths = fsspec.get_fs_token_paths(text)
    found = []
    for path in paths:
        if fs.isdir(path):
            found += [p for p in fs.find(path) if not any(part.startswith(("_", ".")) for part in
                                                          Path(p).relative_to(path).parts)]
        else:
            found.append(path)
    pieces = []
    for path in sorted(found, key=natural_sort_key):
        with fs.open(path, "rb") as handle:
            meta = pq.ParquetFile(handle).metadata
        if meta.num_rows <= PART_ROWS or meta.num_row_groups <= 1:
            pieces.append((fs.unstrip_protocol(path) if not _local(fs) else path, None))
            continue
        run, rows = [], 0
        for group in range(meta.num_row_groups):
            run.append(group)
            rows += meta.row_group(group).num_rows
            if rows >= PART_ROWS:
                pieces.append((path if _local(fs) else fs.unstrip_protocol(path), run))
                run, rows = [], 0
        if run:
            pieces.append((path if _local(fs) else fs.unstrip_protocol(path), run))
    return pieces


def _local(fs) -> bool:
    return "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))


def read_piece(path: str, groups: list | None, columns: list | None):
    """One partition: a Parquet file (or some of its row groups), only ``columns``, as pandas.

    Each column stays a block of its own (``split_blocks``): pandas would otherwise copy the 20 int8 label
    columns of a 2M-row partition into one 2-D block (~14 ms of a ~110 ms read), and the passes read them a
    column at a time.
    """
    import fsspec
    import pyarrow.parquet as pq

    if "://" not in path:
        file = pq.ParquetFile(path)
        table = file.read(columns=columns) if groups is None else file.read_row_groups(groups, columns=columns)
        return table.to_pandas(split_blocks=True)
    with fsspec.open(path, "rb") as handle:
        file = pq.ParquetFile(handle)
        table = file.read(columns=columns) if groups is None else file.read_row_groups(groups, columns=columns)
    return table.to_pandas(split_blocks=True)


def fingerprint(data: str | Path) -> dict:
    """What identifies the input: its files (names, sizes) and a SHA-256 of that list.

    Examples
    --------
    >>> sorted(fingerprint("/nonexistent/*.parquet"))
    ['data', 'files', 'sha256']
    """
    import fsspec

    text = str(data)
    try:
        fs, _, paths = fsspec.get_fs_token_paths(text)
        found = []
        for path in paths:
            if fs.isdir(path):
                found += [p for p in fs.find(path) if not Path(p).name.startswith(("_", "."))]
            else:
                found.append(path)
        files = [{"path": p, "bytes": int(fs.size(p))} for p in sorted(found)]
    except (OSError, ValueError):
        files = []
    digest = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    return {"data": text, "files": files, "sha256": digest}


def _first_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text[:160] or type(error).__name__
