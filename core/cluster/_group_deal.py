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

**The hybrid: a hash-fixed core and a solved rest** (beyond ``FREE_ROWS`` rows, order 1). Most groups never
need the solver. In step 1 each group's seeded 64-bit mix (:func:`core.cluster._settle.mixed_keys` of its
hash; :class:`Fixing`) decides whether it is *free* (a share ``FREE_ROWS / rows`` of the groups: about
2.5M rows' worth whatever the table's size) and, if not, its split: the mix's low 32 bits against the
cumulative shares. A fixed row's split is known in that pass: its byte stays on the worker for the join (no
shard trip, no hand-back), and each partition sums its fixed rows' turned label counts and rows per split
(the (set x split) counts times the turned set matrix: (L + 1) x k numbers). Only the free rows go to the
shards. In step 2 the client sums these into the fixed part's deviation from the whole table's label rates
and from the split sizes, and hands each batch its share (in proportion to its rows; :func:`core.cluster._group_fix.aims`); the
batch's solver split is then polished around it (:func:`core.splits.stratify.offset_polish`: swaps and
moves of whole groups on the objective of the fixed and free parts together, each column weighed by its
rate ** -1/2: squared, a deviation over the label's rate, about its deviation in binomial standard deviations,
so rare labels count; the weighting, which only this path has, is most of its LD's gain below). Step 3 settles the sizes with the free groups only (the fixed rows per split are taken off the
targets). What the hash fixes is unbiased but off by about the square root of its groups; what the solver
sees is enough free groups (at least ``MIN_FREE_GROUPS``, else every group is solved; and if the free
groups cannot bring the sizes within the largest group of their targets, or leave a fold without a row, too) to cancel that. Either fallback costs the pass that found it (the hashing, or the hashing and the solve)
on top of the full solve. At 100M rows
and 5M groups (``bench/results/dask-parts/notes.md``): LD over the 20 labels 2.8e-08 (every group solved:
1.4e-06; the hybrid without the weights: 1.0e-06), the shards and solves ~20x cheaper (125,000 free groups
in two batches, not 5M in 32). Its LD is measured, not bounded: nothing falls back on the labels, only on
the sizes; a rare label held by a few large groups that the hash fixes can leave it several times above
solving every group (a probe of the review: 3.5e-03 against 7.7e-04).

What it bounds (``tests/test_cluster_groups.py``): every group sits whole in one split (two values
whose hashes collide, about one chance in 10^6 at 5M groups, are dealt as one unit: still whole); every
split's rows are within the largest group's rows of its largest-remainder share; the hybrid's LD on
generated data is no worse than solving every group's, and far better than ignoring the fixed part's; the
assignment depends on the data (group values, labels) and the seed only, not on the workers or how the rows are cut into
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
from ._group_fix import Fixing, aims, fixed_counts, polish_around
from ._groups import flipped
from ._parts import Solution
from ._settle import mixed_keys, settle_rows
from ._solve import code_dtype

__all__ = ["SHARDS", "BATCH_GROUPS", "FREE_ROWS", "MIN_FREE_GROUPS", "group_keys", "hashed_rows", "shard_table", "block_tables", "distinct_columns",
           "batches", "blocks", "solve_batch", "shard_back", "block_back", "rows_codes", "deal_group_table",
           "leaves_a_fold_empty"]

SHARDS = 32  # hash shards of the groups (fixed: the result must not depend on the partitions)
BATCH_GROUPS = 60_000  # at least this many groups per solver call (one call when the table is smaller)
FREE_ROWS = 2_500_000  # beyond this many rows, only about this many (in free groups) go to the solver
MIN_FREE_GROUPS = 50_000  # the hybrid needs at least this many free groups, else every group is solved
_LONE = np.uint64(0xA5A5_5A5A_F00D_BEEF)  # sets apart the keys of rows without a group


# --------------------------------------------------------------------------- on the workers


def hashed_rows(state: dict, offset: int, plan, to_global, fixing=None, turned=None, shards: int = SHARDS) -> dict:
    """This partition's rows as (group hash, label set) in ``shards`` pieces by the hash, where they came from
    (``at``, to hand the splits back) and its count of rows without a group (``lone_rows``).

    With ``fixing`` (:class:`core.cluster._group_fix.Fixing`), only the free groups' rows go to the pieces; every
    other row's split is set here by its group's hash (``codes``, one byte a row, kept for the join) and ``fixed``
    sums the fixed rows' ``turned`` label counts and rows per split (:func:`core.cluster._group_fix.fixed_counts`:
    the solve's offset)."""
    n = state["n"]
    values = state["keep"][plan.group_column]
    keys = group_keys(values)
    lone = np.asarray(pd.isna(values))
    if lone.any():
        keys = keys.copy()
        keys[lone] = pd.util.hash_array(offset + np.flatnonzero(lone).astype(np.int64)) ^ _LONE
    local = state["sets"]
    out = {"lone_rows": int(lone.sum()), "codes": None}
    free = None
    if fixing is not None:
        free, out["codes"], out["fixed"] = fixed_counts(fixing, keys, local, to_global, turned)
        keys, local = keys[free], local[free]
    sets = to_global[local].astype(np.int32)
    shard = (keys % np.uint64(shards)).astype(np.uint8)  # one byte: numpy sorts it by radix
    order = np.argsort(shard, kind="stable")
    bounds = np.searchsorted(shard[order], np.arange(shards + 1))
    out["pieces"] = [{"key": keys[order[bounds[b]:bounds[b + 1]]], "set": sets[order[bounds[b]:bounds[b + 1]]]}
                     for b in range(shards)]
    at = order if free is None else free[order]
    out["at"] = at.astype(np.int32 if n < 2**31 else np.int64)
    out["n"] = n
    return out


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


def _kept(hashed: dict) -> dict:
    """What the hand-back needs of a partition's hashing (its pieces may go once the blocks have them)."""
    return {"at": hashed["at"], "codes": hashed["codes"]}


def _summary(hashed: dict):
    return hashed.get("fixed"), hashed["lone_rows"]


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
    (``parts[partition][shard in block]``), with the block's groups and rows per shard."""
    tables = [shard_table([p[j] for p in parts], turned) for j in range(len(parts[0]))]
    return {"tables": tables, "groups": [len(t["keys"]) for t in tables],
            "rows": [int(t["sizes"].sum()) for t in tables]}


def _counts(block: dict) -> tuple[list[int], list[int]]:
    return block["groups"], block["rows"]


def _table(block: dict, j: int) -> dict:
    return block["tables"][j]


def solve_batch(tables: list, shares: np.ndarray, seed: int, batch: int, order: int, aim=None) -> list:
    """The in-memory solver on a batch of shards' groups (their minority-side label counts), in the order of
    their seeded hashes: per shard, its groups' splits (:func:`code_dtype`, indices into ``shares``) and rows.

    With ``aim`` = (offset, targets, rate) (the hybrid: this batch's share of the fixed groups' deviation, its
    rows per split and the whole table's label rates), the solver's split is then polished so that the batch plus
    its share of the fixed part is balanced, each column weighed by its rate ** -1/2
    (:func:`core.cluster._group_fix.polish_around`)."""
    keys = np.concatenate([t["keys"] for t in tables])
    rank = np.argsort(mixed_keys(keys, seed), kind="stable")
    counts = sp.vstack([t["counts"] for t in tables], format="csr")[rank]
    sizes = np.concatenate([t["sizes"] for t in tables])[rank]
    part = stratify(counts, shares, rng=np.random.default_rng([seed, batch]), sizes=sizes, order=order)
    if aim is not None:
        part = polish_around(counts, sizes, part, aim)
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


def rows_codes(at: np.ndarray, pieces: list, codes: np.ndarray | None = None) -> np.ndarray:
    """A partition's rows' splits, in row order, from the pieces the shards handed back (in shard order) for its
    rows ``at``; the other rows keep their ``codes`` (the hybrid's fixed groups)."""
    back = np.concatenate(pieces) if pieces else np.zeros(0, np.int8)
    codes = np.empty(len(at), dtype=back.dtype) if codes is None else codes.copy()
    codes[at] = back
    return codes


def _rows_of(hashed: dict, pieces: list) -> np.ndarray:
    return rows_codes(hashed["at"], pieces, hashed["codes"])


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
                     check_units, free_rows: int | None = None) -> tuple[Solution, list]:
    """The group split beyond ``exact_rows``: its solution (each row's split, handed to the join) and, per
    partition, the future of its rows' splits. Beyond ``free_rows`` rows (default ``FREE_ROWS``), of order 1:
    the hybrid (the hash fixes most groups, the solver splits the free ones around them); it falls back to
    solving every group when fewer than ``MIN_FREE_GROUPS`` groups are free, or the free ones cannot settle
    the sizes or leave a fold without a row."""
    turned, _ = flipped(matrix, set_rows)
    turned = turned[:, distinct_columns(turned)]  # before the shards sum it: a copied column is summed once
    total = int(np.sum(set_rows))
    free_rows = FREE_ROWS if free_rows is None else free_rows
    shares = config.shares
    fixing = None
    if config.order == 1 and total > free_rows:
        fixing = Fixing(free_rows / total, shares, config.seed)
    args = (client, states, plan, offsets, turned, set_rows, to_global, config, column, watch, check_units)
    got = _deal(*args, fixing)
    if got is None:  # too few free groups, or they cannot settle the sizes: solve every group
        got = _deal(*args, None)
    solution, rows, n_lone = got
    if n_lone:
        notes.append(f"{n_lone:,} rows have no value in group_column '{column}'; each is kept as a group of its own.")
    return solution, rows


def _deal(client, states, plan, offsets, turned, set_rows, to_global, config, column, watch, check_units, fixing):
    """One go of :func:`deal_group_table` (with or without ``fixing``): None when the hybrid cannot be used."""
    [shared] = client.scatter([turned], broadcast=True, hash=False)
    hashed = [client.submit(hashed_rows, s, int(offsets[i]), plan, to_global[i], fixing, shared, pure=False)
              for i, s in enumerate(states)]
    cuts = blocks(len(client.nthreads()) or 1)
    made = [client.submit(block_tables, [client.submit(_pieces, h, lo, hi, pure=False) for h in hashed], shared,
                          pure=False) for lo, hi in cuts]
    summaries = [client.submit(_summary, h, pure=False) for h in hashed]
    kept = [client.submit(_kept, h, pure=False) for h in hashed]
    del hashed  # the pieces go once the blocks have them
    got = run_pass(client, [*[client.submit(_counts, m, pure=False) for m in made], *summaries], watch)  # one trip
    counted, summed = got[:len(made)], got[len(made):]
    groups = [n for g, _ in counted for n in g]
    rows_in = np.array([r for _, rows in counted for r in rows], dtype=np.int64)
    n_lone = int(sum(lone for _, lone in summed))
    if fixing is not None and sum(groups) < MIN_FREE_GROUPS:
        return None
    if fixing is None and sum(groups) < 2:
        raise DataError(f"group_column '{column}' holds a single group; a group split needs at least two groups, "
                        "so pick another column or no group column.")
    if fixing is None:
        check_units(config, sum(groups), column)
    split = _solve_free(client, made, cuts, groups, rows_in, summed, turned, set_rows, config, fixing, watch)
    if split is None:
        return None
    split = split.astype(code_dtype(len(config.split_names)))
    bounds = np.cumsum([0] + groups)  # every shard's groups, in shard order (an empty shard holds none)
    back = [client.submit(block_back, made[k], [split[bounds[b]:bounds[b + 1]] for b in range(lo, hi)], pure=False)
            for k, (lo, hi) in enumerate(cuts)]
    del made
    rows = [client.submit(_rows_of, kept[i], [client.submit(operator.getitem, f, i, pure=False) for f in back],
                          pure=False) for i in range(len(states))]
    # the hybrid never gathers the fixed groups, so it does not count them (the group check says "every group")
    solution = Solution(kind="rows", names=config.split_names, column=column,
                        groups=0 if fixing is not None else int(sum(groups)))
    return solution, rows, n_lone


def _solve_free(client, made, cuts, groups, rows_in, summed, turned, set_rows, config, fixing, watch):
    """The solved groups' splits, shard after shard (every group's, or with ``fixing`` the free ones' around the
    fixed part's counts in ``summed``), settled to the sizes; None when the free ones cannot settle the sizes or
    leave a fold without a row (the hybrid then falls back to solving every group)."""
    shares = config.shares
    wanted = np.flatnonzero(shares > 0)
    total = int(np.sum(set_rows))
    targets = _targets(np.array([total]), shares)
    where = {b: (k, b - lo) for k, (lo, hi) in enumerate(cuts) for b in range(lo, hi)}
    tables = {b: client.submit(_table, made[k], j, pure=False) for b, (k, j) in where.items() if groups[b]}
    plan_batches = batches(groups)
    aimed = [None] * len(plan_batches)
    free_targets = targets
    if fixing is not None:
        fixed = sum(f for f, _ in summed)  # (L + 1, len(wanted)): the fixed rows' turned label counts, then rows
        free_targets = targets.copy()
        free_targets[wanted] -= fixed[-1]
        aimed = aims(fixed, turned, set_rows, total, free_targets[wanted], rows_in, plan_batches)
    solved = [client.submit(solve_batch, [tables[b] for b in batch], shares[wanted], config.seed, i, config.order,
                            aimed[i], pure=False) for i, batch in enumerate(plan_batches)]
    del tables
    got = [shard for batch in run_pass(client, solved, watch) for shard in batch]  # shard after shard
    del solved
    split = wanted[np.concatenate([g[0] for g in got])]
    sizes = np.concatenate([g[1] for g in got]).astype(np.int64)
    del got
    settle_rows(split, sizes, free_targets)
    held = np.bincount(split, weights=sizes, minlength=len(shares))
    if fixing is not None and np.abs(held - free_targets).max() > sizes.max():
        return None
    if fixing is not None and config.n_folds and leaves_a_fold_empty(held[wanted], fixed[-1]):
        return None  # fill_empty_splits must see every group: solve them all (a fold's target <= one free group)
    if config.n_folds and fixing is None:  # as in memory: a fold left empty by a tiny table takes a unit
        split = fill_empty_splits(split, sizes, shares)
    return split


def leaves_a_fold_empty(free_rows: np.ndarray, fixed_rows: np.ndarray) -> bool:
    """Whether a split of positive share holds no row, free or fixed (its rows per split, in ``wanted`` order).

    The hybrid then falls back to solving every group, where :func:`core.splits.fill_empty_splits` sees every
    group (on the free groups alone it would miss the fixed ones). It needs a fold whose target is at most the
    largest free group (the settle check passed) and that no fixed group hashed into.

    Examples
    --------
    >>> leaves_a_fold_empty(np.array([5, 0, 2]), np.array([40, 0, 9])), leaves_a_fold_empty(np.array([5, 0]),
    ...                                                                                     np.array([40, 1]))
    (True, False)
    """
    return bool(((np.asarray(free_rows) + np.asarray(fixed_rows)) == 0).any())


def _targets(sizes: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Rows per split (every split, zero-share ones included) by largest remainder."""
    return largest_remainder(int(sizes.sum()), shares)
