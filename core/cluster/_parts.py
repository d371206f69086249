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
from ..splits import EXCLUDED, SplitConfig, split
from ._labels import key_hashes, label_keys
from ._solve import place

__all__ = ["Plan", "summarise_part", "group_part", "join_part"]


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


def times_of(series: pd.Series) -> pd.Series:
    """A time column as comparable values: numbers and datetimes as they are, text parsed as dates."""
    if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return series
    parsed = pd.to_datetime(series, errors="coerce")
    if (parsed.isna() & series.notna()).any():
        raise DataError(f"Time column '{series.name}' holds values that are not dates or numbers; pick a time column.")
    return parsed


# --------------------------------------------------------------------------- pass 1: summarise


def summarise_part(frame: pd.DataFrame, plan: Plan) -> dict:
    """Rows; rows per label key (with the key's raw values); rows per time value or split-column value."""
    out: dict = {"n": len(frame)}
    if plan.label_columns:
        keys = label_keys(frame, plan.label_columns, plan.edges)
        hashed = key_hashes(keys)
        code, distinct = pd.factorize(hashed)  # label sets in the order first met
        first = np.full(len(distinct), len(code), dtype=np.int64)
        np.minimum.at(first, code, np.arange(len(code)))
        table = keys.iloc[first].reset_index(drop=True)
        table.insert(0, "_key", distinct)
        table["_rows"] = np.bincount(code, minlength=len(distinct))
        out["sets"] = table
    if plan.time_values:
        out["times"] = times_of(frame[plan.time_column]).value_counts(dropna=False, sort=False)
    if plan.hash_column is not None:
        out["missing_ids"] = int(frame[plan.hash_column].isna().sum())
    if plan.split_values:
        out["splits"] = frame[plan.config.split_column].value_counts(dropna=False, sort=False)
    return out


# --------------------------------------------------------------------------- pass 2 (groups): sum per group


def group_part(frame: pd.DataFrame, offset: int, plan: Plan, set_index_of, set_matrix) -> dict:
    """Per group of this partition: first row, rows, label counts (and first/last time); rows without a group alone."""
    n = len(frame)
    rows = offset + np.arange(n, dtype=np.int64)
    table = pd.DataFrame({"_g": frame[plan.group_column].to_numpy(), "_first": rows, "_size": np.ones(n, np.int64)})
    if plan.label_columns:
        keys = label_keys(frame, plan.label_columns, plan.edges)
        sets = set_index_of.get_indexer(key_hashes(keys))
        dense = np.asarray(set_matrix[sets].todense(), dtype=np.int32)
        for j in range(dense.shape[1]):
            table[f"y{j}"] = dense[:, j]
    if plan.time_column is not None:
        times = times_of(frame[plan.time_column]).to_numpy()
        table["_tmin"] = times
        table["_tmax"] = times
    lone = table["_g"].isna().to_numpy()
    how = {"_first": "min", "_size": "sum", **{c: "sum" for c in table.columns if c.startswith("y")}}
    if plan.time_column is not None:
        how |= {"_tmin": "min", "_tmax": "max"}
    grouped = table[~lone].groupby("_g", sort=False).agg(how).reset_index()
    return {"groups": grouped, "lone": table[lone].drop(columns="_g").reset_index(drop=True)}


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


def _codes(frame: pd.DataFrame, offset: int, plan: Plan, solution: Solution, extra, sets) -> np.ndarray:
    """Each row's split code; ``sets`` is each row's label set index (None without tasks)."""
    n = len(frame)
    if solution.kind == "hash":
        result = split(frame[[solution.column]], (), extra)
        position = {name: i for i, name in enumerate(solution.names)}
        return result.assignment.map(position).to_numpy(dtype=np.int64)
    if solution.kind == "sets":
        local_offsets = extra  # (set index array, offset array) for the sets in this partition
        if not solution.by_labels:
            sets = np.zeros(n, dtype=np.int64)
        local_rank = pd.Series(sets).groupby(sets, sort=False).cumcount().to_numpy()
        start = pd.Series(local_offsets[1], index=local_offsets[0]).reindex(sets).to_numpy()
        return place(sets, start + local_rank, solution.set_rows, solution.cumulative, solution.seed)
    if solution.kind == "lookup":
        values = frame[solution.column]
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


def join_part(frame: pd.DataFrame, number: int, offset: int, plan: Plan, solution: Solution, extra,
              set_index_of, out: str | None, all_columns: bool, k_sets: int) -> dict:
    """Each row's split: written as ``part-<number>.parquet`` under ``out``; and this partition's counts.

    Returns the (label set x split) counts, rows per split, and the pieces the exact leakage checks
    reduce over the cluster: group ids, feature-row hashes and time values with each row's split.
    """
    sets = None
    if plan.label_columns:  # each row's label set, once for the placing and the counts
        sets = set_index_of.get_indexer(key_hashes(label_keys(frame, plan.label_columns, plan.edges)))
        if (sets < 0).any():
            raise DataError("The data changed while it was split (a label set the first pass did not see); split it again.")
    codes = _codes(frame, offset, plan, solution, extra, sets)
    k = len(solution.names)
    n = len(frame)
    if out is not None:
        _write(frame, number, offset, plan, solution.names, codes, Path(out), all_columns)
    result: dict = {"n": n, "sizes": np.bincount(codes + 1, minlength=k + 1)}  # [excluded, split 0, ..]
    kept = codes >= 0
    if sets is not None:
        cell = sets[kept] * k + codes[kept]
        found, count = np.unique(cell, return_counts=True)
        result["cells"] = (found, count)
    if plan.group_column is not None and plan.check_groups:
        result["groups"] = pd.DataFrame({"g": frame[plan.group_column].to_numpy()[kept], "code": codes[kept]}).dropna()
    if plan.feature_columns:
        features = frame[list(plan.feature_columns)]
        hashed = pd.util.hash_pandas_object(_inf_as_missing(features), index=False).to_numpy()
        whole = pd.util.hash_pandas_object(
            _inf_as_missing(frame[list(plan.feature_columns) + list(plan.label_columns)]), index=False
        ).to_numpy() if plan.label_columns else hashed
        result["rows"] = pd.DataFrame({"h": hashed[kept], "w": whole[kept], "code": codes[kept]})
    if plan.time_column is not None and plan.check_time:
        times = times_of(frame[plan.time_column])
        result["times"] = pd.DataFrame({"t": times.to_numpy()[kept], "code": codes[kept]}).value_counts(sort=False)
    return result


def _inf_as_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """Infinite floats read as missing, as the in-memory duplicate check reads them."""
    floats = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]
    if not floats:
        return frame
    frame = frame.copy()
    for column in floats:
        frame[column] = frame[column].where(~np.isinf(frame[column].to_numpy(dtype=np.float64, na_value=np.nan)))
    return frame


def _write(frame, number, offset, plan, names, codes, out: Path, all_columns: bool) -> None:
    categories = [*names, EXCLUDED]
    position = np.where(codes >= 0, codes, len(names))
    name = f"part-{number:05d}.parquet"
    if not all_columns:
        table = {"row": offset + np.arange(len(frame), dtype=np.int64)}
        if plan.id_column is not None:
            table[plan.id_column] = frame[plan.id_column].to_numpy()
        # dictionary-encoded: one byte per row on disk, read back as a category of split names
        table["split"] = pd.Categorical.from_codes(position, categories=categories)
        pd.DataFrame(table).to_parquet(out / name, index=False)
        return
    labels = np.array(categories, dtype=object)[position]
    whole = frame.reset_index(drop=True).copy()
    whole.insert(0, "row", offset + np.arange(len(frame), dtype=np.int64))
    for split_name in pd.unique(labels):
        folder = out / f"split={split_name}"
        folder.mkdir(exist_ok=True)
        whole[labels == split_name].to_parquet(folder / name, index=False)
