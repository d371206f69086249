"""What each partition does, in each pass: plain pandas functions of one partition and small arguments.

Every function here depends only on its partition, the partition's number and offset (the rows before
it), and what the client decided; so a pass gives the same result on any number of workers, and a task
the scheduler reruns (a worker died) writes the same file again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..splits import EXCLUDED, SplitConfig, is_fold, split
from ._rows import local_rank
from ._solve import code_dtype, place, split_of_place

__all__ = ["Plan", "times_of", "join_part", "time_pieces", "early_rows"]


@dataclass(frozen=True, eq=False, kw_only=True)
class Plan:
    """What every task of a split needs to know (small; shipped with each task)."""

    config: SplitConfig
    label_columns: tuple[str, ...] = ()
    edges: dict = field(default_factory=dict)  # regression column -> bin edges
    group_column: str | None = None  # the column whose groups are units (None: rows)
    time_column: str | None = None
    time_values: bool = False  # pass 1 counts rows per time value
    split_values: bool = False  # pass 1 counts rows per split-column value
    feature_columns: tuple[str, ...] = ()
    id_column: str | None = None
    hash_column: str | None = None  # pass 1 counts its missing values (a hash split needs every id)
    check_groups: bool = True  # the join pass reduces the group check
    check_time: bool = True  # the join pass counts rows per time value and split
    check_duplicates: bool = True  # asked for (it runs when there are feature columns)
    regression: tuple[str, ...] = ()  # label columns binned on their exact quantiles (edges found before pass 1)
    keep: tuple[str, ...] = ()  # columns pass 1 keeps on the worker for later passes (group, time, id, split)


def times_of(series: pd.Series) -> pd.Series:
    """A time column as comparable values: numbers and datetimes as they are, text parsed as dates."""
    if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return series
    parsed = pd.to_datetime(series, errors="coerce")
    if (parsed.isna() & series.notna()).any():
        raise DataError(f"Time column '{series.name}' holds values that are not dates or numbers; pick a time column.")
    return parsed


# --------------------------------------------------------------------------- pass 3: join and write


@dataclass(frozen=True, eq=False, kw_only=True)
class Solution:
    """How a partition finds its rows' splits: one of the ``kind``s below, with what it needs."""

    kind: str  # "hash", "sets" (rank within label set), "lookup" (by a column's value), "file", "rows"
    names: tuple[str, ...]
    column: str | None = None  # lookup: the column looked up
    lookup: object = None  # lookup: pandas Series value -> code; lone rows: Series row -> code
    cumulative: np.ndarray | None = None  # sets: (S, k) running counts
    set_rows: np.ndarray | None = None
    seed: int = 0
    by_labels: bool = True  # sets: rank within label sets (stratified) or within all rows (random)
    groups: int | None = None  # rows dealt by whole groups of ``column`` (kind "rows"): how many (0: not counted)
    walk: tuple | None = None  # sets: each set's walk (:func:`core.cluster._solve.walk_of`), made once

    @property
    def by_label_sets(self) -> bool:
        """Rows placed by label set and rank: the plan's counts per (label set, split) are the join's exactly."""
        return self.kind == "sets" and self.by_labels


def _codes(state: dict, offset: int, plan: Plan, solution: Solution, extra) -> np.ndarray:
    """Each row's split code, from what pass 1 kept of the partition (``state``)."""
    n = state["n"]
    if solution.kind == "hash":
        result = split(state["keep"][[solution.column]], (), extra)
        position = {name: i for i, name in enumerate(solution.names)}
        return result.assignment.map(position).to_numpy(dtype=np.int64)
    if solution.kind == "rows":  # decided row by row on the client
        return np.asarray(extra, dtype=np.int64)
    if solution.kind == "sets":
        if not solution.by_labels:  # one set: every row, ranked from the partition's offset
            return place(np.zeros(n, dtype=np.int64), offset + np.arange(n, dtype=np.int64), solution.set_rows,
                         solution.cumulative, solution.seed)
        to_global, before = extra  # per local set: its global set, and its rows in earlier partitions
        codes = state["sets"]
        rank = state["rank"] if "rank" in state else local_rank(codes, state["n_sets"])  # (made after pass 1)
        return placed(codes, rank, to_global, before, solution)
    if solution.kind == "lookup":
        values = state["keep"][solution.column]
        if solution.column == plan.time_column:
            values = times_of(values)
        codes = np.array(solution.lookup.reindex(values.to_numpy()).to_numpy(), dtype=np.float64)
        if solution.column == plan.group_column and extra is not None:  # rows without a group, by row number
            lone = pd.isna(values.to_numpy())
            codes[lone] = extra.reindex(offset + np.flatnonzero(lone)).to_numpy()
        if pd.isna(codes).any():
            raise DataError(f"Column '{solution.column}' changed while it was split; split it again.")
        return codes.astype(np.int64)
    if solution.kind == "file":
        table = pd.read_parquet(extra, columns=["row", "split"])
        if len(table) != n or (len(table) and int(table["row"].iat[0]) != offset):
            raise DataError(f"Split file part {Path(extra).name} does not match the data's rows; split this data again.")
        position = {name: i for i, name in enumerate(solution.names)} | {EXCLUDED: -1}
        return table["split"].astype(str).map(position).to_numpy(dtype=np.int64)
    raise AssertionError(solution.kind)  # pragma: no cover


def placed(codes: np.ndarray, rank: np.ndarray, to_global: np.ndarray, before: np.ndarray,
           solution: Solution) -> np.ndarray:
    """Each row's split by its local label set ``codes`` and its ``rank`` among the partition's rows of the set:
    :func:`core.cluster._solve.place` of the global sets and ranks, with each local set's walk, size and bounds
    looked up once (the rows then gather from tables of the partition's few thousand sets, not of every set).

    Examples
    --------
    >>> from core.cluster._solve import walk_of
    >>> rows, cumulative = np.array([4, 6]), np.array([[2, 4], [3, 6]])
    >>> solution = Solution(kind="sets", names=("a", "b"), cumulative=cumulative, set_rows=rows, walk=walk_of(rows, 0))
    >>> codes = np.zeros(6, np.uint16)  # six rows of the partition's set 0, which is global set 1 (3 rows to each)
    >>> np.bincount(placed(codes, np.arange(6), np.array([1]), np.array([0]), solution)).tolist()
    [3, 3]
    """
    if solution.walk is None or codes.size == 0:
        return place(to_global[codes], before[codes] + rank, solution.set_rows, solution.cumulative, solution.seed,
                     solution.walk)
    a, b = solution.walk
    stride = a[to_global]
    rows = np.maximum(solution.set_rows[to_global], 1).astype(np.uint64)
    start = (stride * before.astype(np.uint64) + b[to_global]) % rows  # each local set's place of its first row
    spot = rank.astype(np.uint64)
    spot *= stride[codes]  # (a r + (a before + b) mod n) mod n = (a (before + r) + b) mod n; all below 2**64
    spot += start[codes]
    spot %= rows[codes]
    return split_of_place(spot, solution.cumulative[to_global], codes)


def join_part(state: dict, frame: pd.DataFrame | None, number: int, offset: int, plan: Plan, solution: Solution,
              extra, out: str | None, all_columns: bool) -> dict:
    """Each row's split: written as ``part-<number>.parquet`` under ``out``; and this partition's counts.

    ``state`` is what pass 1 kept of the partition; ``frame`` the partition read again, only when every
    column is written or the duplicate check hashes the features (else None). Returns the rows per
    (local label set, split), rows per split, and the pieces the exact leakage checks reduce over the
    cluster: group ids, feature-row hashes, and each split's time range with the other splits' times
    (:func:`time_pieces`).
    """
    codes = _codes(state, offset, plan, solution, extra)
    k = len(solution.names)
    n = state["n"]
    if out is not None:
        _write(state, frame, number, offset, plan, solution.names, codes, Path(out), all_columns)
    result: dict = {"n": n, "sizes": np.bincount(codes + 1, minlength=k + 1)}  # [excluded, split 0, ..]
    kept = codes >= 0
    if "sets" in state and not solution.by_label_sets:
        # rows per (local set, split), column 0: excluded (a split by label sets has them: its solution's counts)
        cells = state["sets"].astype(np.int64) * (k + 1) + codes + 1
        result["cells"] = np.bincount(cells, minlength=state["n_sets"] * (k + 1)).reshape(-1, k + 1)
    if plan.group_column is not None and plan.check_groups:
        result["groups"] = pd.DataFrame({"g": state["keep"][plan.group_column].to_numpy()[kept],
                                         "code": codes[kept]}).dropna()
    if plan.feature_columns and frame is not None:
        features = frame[list(plan.feature_columns)]
        hashed = pd.util.hash_pandas_object(_inf_as_missing(features), index=False).to_numpy()
        whole = pd.util.hash_pandas_object(
            _inf_as_missing(frame[list(plan.feature_columns) + list(plan.label_columns)]), index=False
        ).to_numpy() if plan.label_columns else hashed
        result["rows"] = pd.DataFrame({"h": hashed[kept], "w": whole[kept], "code": codes[kept]})
    if plan.time_column is not None and plan.check_time:
        result["time_ranges"], result["tested"] = time_pieces(times_of(state["keep"][plan.time_column]), codes,
                                                              solution.names)
    return result


def time_pieces(times: pd.Series, codes: np.ndarray, names) -> tuple[dict, tuple | None]:
    """What the exact time check needs of a partition: each split's (first, last) time, and the times it counts
    later, sorted: with a ``train`` split, the other splits' (``("train", times, rows)``); with k folds, each
    fold's (``("folds", [times per fold], rows)``). Missing times are left out, their rows counted.

    Examples
    --------
    >>> ranges, tested = time_pieces(pd.Series([5, 1, 9, 3]), np.array([0, 1, 0, 1]), ("train", "test"))
    >>> {code: tuple(map(int, span)) for code, span in ranges.items()}, tested[1].tolist(), tested[2]
    ({0: (5, 9), 1: (1, 3)}, [1, 3], 2)
    """
    values = times.to_numpy()
    known = ~pd.isna(values) & (codes >= 0)
    by_split = pd.Series(values[known]).groupby(codes[known], sort=True).agg(["min", "max"])
    ranges = {int(code): (row[0], row[1]) for code, row in zip(by_split.index, by_split.to_numpy(), strict=True)}
    if "train" in names:
        tested = (codes >= 0) & (codes != names.index("train"))
        return ranges, ("train", np.sort(values[tested & known]), int(tested.sum()))
    if len(names) > 1 and all(is_fold(name) for name in names):
        return ranges, ("folds", [np.sort(values[known & (codes == i)]) for i in range(len(names))],
                        int((codes >= 0).sum()))
    return ranges, None


def early_rows(tested: tuple | None, bounds) -> int:
    """The rows of a partition (:func:`time_pieces`) the time check counts: with train, those dated on or before
    ``bounds`` (the end of train); with folds, each fold's rows inside ``bounds[i]`` (the other folds' span)."""
    if tested is None or bounds is None:
        return 0
    if tested[0] == "train":
        return int(np.searchsorted(tested[1], bounds, side="right"))
    inside = 0
    for values, span in zip(tested[1], bounds, strict=True):
        if span is not None:
            inside += int(np.searchsorted(values, span[1], side="right") - np.searchsorted(values, span[0], side="left"))
    return inside


def _inf_as_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Infinite floats read as missing, as the in-memory duplicate check reads them."""
    floats = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]
    if not floats:
        return frame
    frame = frame.copy()
    for column in floats:
        frame[column] = frame[column].where(~np.isinf(frame[column].to_numpy(dtype=np.float64, na_value=np.nan)))
    return frame


def _write(state, frame, number, offset, plan, names, codes, out: Path, all_columns: bool) -> None:
    categories = [*names, EXCLUDED]
    position = np.where(codes >= 0, codes, len(names))
    name = f"part-{number:05d}.parquet"
    n = state["n"]
    if not all_columns:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = {"row": offset + np.arange(n, dtype=np.int64)}
        if plan.id_column is not None:
            table[plan.id_column] = state["keep"][plan.id_column].reset_index(drop=True)
        # dictionary-encoded: one byte per row on disk (two beyond 127 splits), read back as a category of split names
        table["split"] = pd.Categorical.from_codes(position.astype(code_dtype(len(categories))), categories)
        # from pandas: the schema keeps pandas' metadata, so an id reads back as written (a nullable Int64 with
        # its missing values, a zone-aware time), not as float64 or in UTC
        arrow = pa.Table.from_pandas(pd.DataFrame(table, copy=False), preserve_index=False)
        # the row numbers count up by one: delta-encoded they take almost nothing
        # (no statistics of the split names: a fifth of the write's time, and no reader filters on them)
        pq.write_table(arrow, out / name, use_dictionary=[c for c in arrow.column_names if c != "row"],
                       column_encoding={"row": "DELTA_BINARY_PACKED"}, write_statistics=["row"])
        return
    labels = np.array(categories, dtype=object)[position]
    whole = frame.reset_index(drop=True).copy()
    whole.insert(0, "row", offset + np.arange(len(frame), dtype=np.int64))
    for split_name in pd.unique(labels):
        folder = out / f"split={split_name}"
        folder.mkdir(exist_ok=True)
        whole[labels == split_name].to_parquet(folder / name, index=False)
