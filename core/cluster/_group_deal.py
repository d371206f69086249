"""The stratified group split beyond ``exact_rows`` rows: the group table stays on the workers, in shards,
and the in-memory solver runs on batches of about ``BATCH_GROUPS`` groups there, not on the whole table.

1. One pass from worker memory hashes each row's group value (64 bits) and sends (hash, label set) to
   one of ``SHARDS`` shards by the hash (:func:`hashed_rows`); each shard sums its groups' label counts
   on the minority side of each column (a binary task's positives, not its zeros: about 11 entries a
   group instead of 31 at 20 binary tasks) and rows (:func:`shard_table`) and keeps them. Consecutive
   shards travel and are summed together, a block a task (:func:`blocks`: two blocks a worker), so the
   scheduler sees a few hundred tasks, not partitions x shards; the shards, and so the result, are the
   same whatever the blocks.
2. The client, knowing only how many groups each shard holds, joins consecutive shards into batches of
   at least ``BATCH_GROUPS`` groups (:func:`batches`); each batch, its groups in the order of a seeded
   hash of their values, is split by :func:`core.splits.stratify.stratify` with the config's shares on a
   worker (:func:`solve_batch`), on the distinct minority-side columns (:func:`distinct_columns`): a
   binary task's other class is a group's rows minus these, balanced with the sizes; half the solver's
   time at 500,000 groups. Every batch is balanced, so their sum is; the LD measured end to end at 10M and
   100M rows, against the solver on the whole table on the client, is in ``bench/results/dask.md``.
3. The client gathers each group's (rows, split) (5 bytes a group), moves a few groups between splits
   until every split is within the largest group's rows of its largest-remainder size
   (:func:`core.cluster._settle.settle_rows`), and sends each shard its groups' splits; each shard
   hands every partition its rows' splits back (:func:`shard_back`, one byte a row), which the join
   writes as they are: no lookup of millions of group values per row.

What it bounds (``tests/test_cluster_groups.py``): every group sits whole in one split (two values
whose hashes collide, about one chance in 10^6 at 5M groups, are dealt as one unit: still whole); every
split's rows are within the largest group's rows of its largest-remainder share; the assignment depends
on the data (group values, labels) and the seed only, not on the workers or how the rows are cut into
files. It is not the in-memory assignment (another unit order, solved in batches); its LD is measured
in ``bench/results/dask.md``. Rows without a group value are units of their own, as in memory.
"""

from __future__ import annotations

import operator

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DataError
from ..splits import fill_empty_splits
from ..splits.stratify import largest_remainder, stratify
from ._client import run_pass
from ._groups import flipped
from ._parts import Solution
from ._settle import mixed_keys, settle_rows
from ._solve import code_dtype

__all__ = ["SHARDS", "BATCH_GROUPS", "group_keys", "hashed_rows", "shard_table", "block_tables", "distinct_columns",
           "batches", "blocks", "solve_batch", "shard_back", "block_back", "rows_codes", "deal_group_table"]

SHARDS = 32  # hash shards of the groups (fixed: the result must not depend on the partitions)
BATCH_GROUPS = 60_000  # at least this many groups per solver call (one call when the table is smaller)
_LONE = np.uint64(0xA5A5_5A5A_F00D_BEEF)  # sets apart the keys of rows without a group


# --------------------------------------------------------------------------- on the workers


def hashed_rows(state: dict, offset: int, plan, to_global, shards: int = SHARDS) -> dict:
    """This partition's rows as (group hash, label set) in ``shards`` pieces by the hash (each with its count of
    rows without a group, ``lone``) and the permutation that put them there (``order``, to hand the splits back)."""
    n = state["n"]
    values = state["keep"][plan.group_column]
    keys = group_keys(values)
    lone = np.asarray(pd.isna(values))
    if lone.any():
        keys = keys.copy()
        keys[lone] = pd.util.hash_array(offset + np.flatnonzero(lone).astype(np.int64)) ^ _LONE
    sets = to_global[state["sets"]].astype(np.int32)
    shard = (keys % np.uint64(shards)).astype(np.uint8)  # one byte: numpy sorts it by radix
    order = np.argsort(shard, kind="stable")
    bounds = np.searchsorted(shard[order], np.arange(shards + 1))
    lonely = np.bincount(shard[lone], minlength=shards) if lone.any() else np.zeros(shards, np.int64)
    pieces = [{"key": keys[order[bounds[b]:bounds[b + 1]]], "set": sets[order[bounds[b]:bounds[b + 1]]],
               "lone": int(lonely[b])} for b in range(shards)]
    return {"pieces": pieces, "order": order.astype(np.int32 if n < 2**31 else np.int64)}


def group_keys(values: pd.Series) -> np.ndarray:
    """A 64-bit hash of each group value. Whole numbers hash as int64 whatever the column's dtype, so a group
    read as 7 in one file and 7.0 in another (a CSV part with a missing value) is one group, as in memory.

    Examples
    --------
    >>> bool(group_keys(pd.Series([7, 8]))[0] == group_keys(pd.Series([7.0, None]))[0])
    True
    """
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        if values.dtype.kind in "iu" and not values.hasnans:
            return pd.util.hash_array(np.asarray(values.to_numpy()).astype(np.int64, copy=False))
        numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
        finite = np.isfinite(numbers)
        if (numbers[finite] == np.round(numbers[finite])).all() and np.abs(numbers[finite]).max(initial=0) < 2**53:
            return pd.util.hash_array(np.where(finite, numbers, 0).astype(np.int64))
        return pd.util.hash_array(numbers)
    return pd.util.hash_pandas_object(values, index=False).to_numpy()


def _pieces(hashed: dict, lo: int, hi: int) -> list:
    return hashed["pieces"][lo:hi]


def _order(hashed: dict) -> np.ndarray:
    return hashed["order"]


def shard_table(pieces: list, turned: sp.csr_matrix) -> dict:
    """One shard's groups (in the order first met): hash, rows, minority-side label counts (int32 CSR: the
    turned set matrix, :func:`core.cluster._groups.flipped`, summed per group), each piece's rows' group."""
    keys = np.concatenate([p["key"] for p in pieces])
    code, uniques = pd.factorize(keys)
    code = code.astype(np.int32)
    n_groups = len(uniques)
    sizes = np.bincount(code, minlength=n_groups).astype(np.int64)
    sets = np.concatenate([p["set"] for p in pieces])
    member = sp.csr_matrix((np.ones(len(code), np.int32), (code, sets)), shape=(n_groups, turned.shape[0]))
    return {"keys": np.asarray(uniques, dtype=np.uint64), "sizes": sizes, "code": code,
            "counts": sp.csr_matrix(member @ turned, dtype=np.int32),
            "lengths": np.array([len(p["key"]) for p in pieces], dtype=np.int64)}


def block_tables(parts: list[list[dict]], turned: sp.csr_matrix) -> dict:
    """A block of consecutive shards' tables (:func:`shard_table`), from every partition's pieces of the block
    (``parts[partition][shard in block]``), with the block's groups per shard and rows without a group."""
    tables = [shard_table([p[j] for p in parts], turned) for j in range(len(parts[0]))]
    return {"tables": tables, "groups": [len(t["keys"]) for t in tables],
            "lone": sum(p[j]["lone"] for p in parts for j in range(len(p)))}


def _counts(block: dict) -> tuple[list[int], int]:
    return block["groups"], block["lone"]


def _table(block: dict, j: int) -> dict:
    return block["tables"][j]


def solve_batch(tables: list, shares: np.ndarray, seed: int, batch: int, order: int) -> list[np.ndarray]:
    """The in-memory solver on a batch of shards' groups (their minority-side label counts), in the order of
    their seeded hashes: per shard, its groups' splits (:func:`code_dtype`, indices into ``shares``) and rows."""
    keys = np.concatenate([t["keys"] for t in tables])
    rank = np.argsort(mixed_keys(keys, seed), kind="stable")
    counts = sp.vstack([t["counts"] for t in tables], format="csr")[rank]
    sizes = np.concatenate([t["sizes"] for t in tables])[rank]
    part = stratify(counts, shares, rng=np.random.default_rng([seed, batch]), sizes=sizes, order=order)
    split = np.empty(len(rank), dtype=code_dtype(len(shares)))
    split[rank] = part
    bounds = np.cumsum([0] + [len(t["keys"]) for t in tables])
    return [(split[bounds[i]:bounds[i + 1]], tables[i]["sizes"].astype(np.int32)) for i in range(len(tables))]


def shard_back(table: dict, split: np.ndarray) -> list[np.ndarray]:
    """Each piece's rows' splits (one byte a row), from the shard's groups' ``split``."""
    per_row = split[table["code"]]
    return np.split(per_row, np.cumsum(table["lengths"])[:-1])


def block_back(block: dict, splits: list[np.ndarray]) -> list[np.ndarray]:
    """Each partition's rows' splits from a block's shards (:func:`shard_back`, shard after shard), given each
    shard's groups' ``splits``: one array a partition."""
    per_shard = [shard_back(t, s) for t, s in zip(block["tables"], splits, strict=True)]
    return [np.concatenate(rows) for rows in zip(*per_shard, strict=True)]


def rows_codes(order: np.ndarray, pieces: list) -> np.ndarray:
    """A partition's rows' splits, in row order, from the pieces the shards handed back (in shard order)."""
    codes = np.empty(len(order), dtype=pieces[0].dtype if pieces else np.int8)
    codes[order] = np.concatenate(pieces) if pieces else np.zeros(0, np.int8)
    return codes


# --------------------------------------------------------------------------- on the client


def distinct_columns(turned: sp.csr_matrix) -> np.ndarray:
    """The columns of the turned (sets x labels) matrix that are not a copy of an earlier one: a binary task's
    two classes, turned to their minority side, are one column twice (the positives), and a group's count of
    the other class is its rows minus that.

    Examples
    --------
    >>> distinct_columns(sp.csr_matrix(np.array([[1, 0, 1], [0, 1, 0]]))).tolist()
    [0, 1]
    """
    csc = sp.csc_matrix(turned)
    csc.sort_indices()
    seen: set = set()
    keep = []
    for j in range(csc.shape[1]):
        lo, hi = csc.indptr[j], csc.indptr[j + 1]
        key = (csc.indices[lo:hi].tobytes(), csc.data[lo:hi].astype(np.int64).tobytes())
        if key not in seen:
            seen.add(key)
            keep.append(j)
    return np.array(keep, dtype=np.int64)


def batches(groups: list[int], least: int = BATCH_GROUPS) -> list[list[int]]:
    """Consecutive shards joined until each batch holds at least ``least`` groups (the last short one joins the
    one before); shards without groups are left out.

    Examples
    --------
    >>> batches([5, 0, 3, 4, 1], least=5)
    [[0], [2, 3, 4]]
    """
    out: list[list[int]] = []
    current: list[int] = []
    held = 0
    for shard, n in enumerate(groups):
        if n == 0:
            continue
        current.append(shard)
        held += n
        if held >= least:
            out.append(current)
            current, held = [], 0
    if current:
        if out:
            out[-1].extend(current)
        else:
            out.append(current)
    return out


def blocks(n_workers: int, shards: int = SHARDS) -> list[tuple[int, int]]:
    """Consecutive shards taken together by one task (their pieces travel as one, their tables are made and their
    rows handed back by one task): two blocks a worker, a power of two up to ``shards``. The shards, their
    tables and the batches stay the same whatever the blocks: the blocks only cut the scheduler's tasks (at 100M
    rows, 50 partitions x 32 shards were ~3,300 small tasks, 3.1 s of the client's CPU).

    Examples
    --------
    >>> blocks(2, shards=32)
    [(0, 8), (8, 16), (16, 24), (24, 32)]
    >>> blocks(100, shards=8)[:2]
    [(0, 1), (1, 2)]
    """
    n = 1
    while n < min(2 * max(n_workers, 1), shards):
        n *= 2
    n = min(n, shards)
    cuts = np.linspace(0, shards, n + 1).round().astype(int)
    return [(int(cuts[i]), int(cuts[i + 1])) for i in range(n)]


def deal_group_table(client, states, plan, offsets, matrix, set_rows, to_global, config, column, notes, watch,
                     check_units) -> tuple[Solution, list]:
    """The group split beyond ``exact_rows``: its solution (each row's split, handed to the join) and, per
    partition, the future of its rows' splits."""
    turned, _ = flipped(matrix, set_rows)
    turned = turned[:, distinct_columns(turned)]  # before the shards sum it: a copied column is summed once
    [shared] = client.scatter([turned], broadcast=True, hash=False)
    hashed = [client.submit(hashed_rows, s, int(offsets[i]), plan, to_global[i], pure=False)
              for i, s in enumerate(states)]
    orders = [client.submit(_order, h, pure=False) for h in hashed]
    cuts = blocks(len(client.nthreads()) or 1)
    made = [client.submit(block_tables, [client.submit(_pieces, h, lo, hi, pure=False) for h in hashed], shared,
                          pure=False) for lo, hi in cuts]
    del hashed  # the pieces go once the blocks have them
    got = run_pass(client, [client.submit(_counts, m, pure=False) for m in made], watch)  # one trip
    groups = [n for g, _ in got for n in g]
    n_lone = int(sum(lone for _, lone in got))
    if n_lone:
        notes.append(f"{n_lone:,} rows have no value in group_column '{column}'; each is kept as a group of its own.")
    if sum(groups) < 2:
        raise DataError(f"group_column '{column}' holds a single group; a group split needs at least two groups, "
                        "so pick another column or no group column.")
    check_units(config, sum(groups), column)
    shares = config.shares
    wanted = np.flatnonzero(shares > 0)
    where = {b: (k, b - lo) for k, (lo, hi) in enumerate(cuts) for b in range(lo, hi)}
    tables = {b: client.submit(_table, made[k], j, pure=False) for b, (k, j) in where.items() if groups[b]}
    plan_batches = batches(groups)
    solved = [client.submit(solve_batch, [tables[b] for b in batch], shares[wanted], config.seed, i, config.order,
                            pure=False) for i, batch in enumerate(plan_batches)]
    del tables
    got = [shard for batch in run_pass(client, solved, watch) for shard in batch]  # shard after shard
    del solved
    split = wanted[np.concatenate([g[0] for g in got])]
    sizes = np.concatenate([g[1] for g in got]).astype(np.int64)
    del got
    settle_rows(split, sizes, _targets(sizes, shares))
    if config.n_folds:  # as the in-memory stratified split: a fold left empty by a tiny table takes a unit
        split = fill_empty_splits(split, sizes, shares)
    split = split.astype(code_dtype(len(config.split_names)))
    bounds = np.cumsum([0] + groups)  # every shard's groups, in shard order (an empty shard holds none)
    back = [client.submit(block_back, made[k], [split[bounds[b]:bounds[b + 1]] for b in range(lo, hi)], pure=False)
            for k, (lo, hi) in enumerate(cuts)]
    del made
    rows = [client.submit(rows_codes, orders[i], [client.submit(operator.getitem, f, i, pure=False) for f in back],
                          pure=False) for i in range(len(states))]
    solution = Solution(kind="rows", names=config.split_names, column=column, groups=int(sum(groups)))
    return solution, rows


def _targets(sizes: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Rows per split (every split, zero-share ones included) by largest remainder."""
    return largest_remainder(int(sizes.sum()), shares)
