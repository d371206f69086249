"""The stratified group split beyond exact_rows (core.cluster._group_deal, _settle): what it bounds."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from core.cluster import split_dataset
from core.cluster._group_deal import (
    batches,
    block_back,
    block_tables,
    blocks,
    rows_codes,
    shard_back,
    shard_table,
)
from core.cluster._settle import mixed_keys, settle_rows
from core.diagnostics import split_quality
from core.splits import SplitConfig, split
from core.splits.stratify import largest_remainder
from core.tasks import encode_tasks
from tests.cluster import TASKS, assignment, frame, two_workers, write_parquet

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def client():
    with two_workers() as client:
        yield client


def _groups_frame(n=12_000, seed=5):
    df = frame(n, seed=seed)
    rng = np.random.default_rng(seed)
    df["g"] = rng.integers(0, n // 12, n).astype(float)  # ~1,000 groups of uneven sizes (some rows without)
    df.loc[rng.random(n) < 0.01, "g"] = np.nan
    return df


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    df = _groups_frame()
    return df, write_parquet(df, tmp_path_factory.mktemp("groups"), parts=5)


def _units(df):
    """Each row's unit as in memory: its group, or the row itself when it has none."""
    return df["g"].astype(object).where(df["g"].notna(), pd.Series([f"row{i}" for i in range(len(df))]))


def _whole_and_within_a_group(df, out, config) -> pd.Series:
    """Each row's split in ``out``, once checked: every unit (group, or lone row) sits in one split and every
    split's rows are within the largest unit's rows of its largest-remainder share."""
    got = pd.Series(assignment(out))
    units = _units(df)
    assert (got.groupby(units.to_numpy()).nunique() == 1).all()
    sizes = got.value_counts().reindex(config.split_names).fillna(0).to_numpy()
    assert np.abs(sizes - largest_remainder(len(df), config.shares)).max() <= units.value_counts().max()
    return got


def _solved_every_group(client, folder, config, tmp_path) -> np.ndarray:
    """Each row's split with every group solved (no hybrid: FREE_ROWS out of reach; the fixture's monkeypatch
    restores it), written under ``tmp_path / "every"``."""
    from core.cluster import _group_deal

    _group_deal.FREE_ROWS = 10**9
    split_dataset(folder, TASKS, config, tmp_path / "every", client=client, exact_rows=0)
    return assignment(tmp_path / "every")


def test_beyond_exact_rows_groups_stay_whole_sizes_within_a_group_and_ld_near_the_in_memory_one(client, data,
                                                                                                tmp_path):
    """exact_rows=0 forces the profile deal: every group in one split, every split's rows within the largest
    unit's rows of its largest-remainder share, the scores from counts equal the rows' own, and LD within a
    small margin of the in-memory group split's (~1,000 groups: one batch, in the hashes' order)."""
    df, folder = data
    config = SplitConfig(strategy="group", group_column="g", seed=3)
    said = []
    result = split_dataset(folder, TASKS, config, tmp_path / "out", client=client, exact_rows=0,
                           progress=lambda share, text: said.append(text))
    assert "Splitting the groups in batches on the workers" in said  # not the group table on the client
    assert "Solving on the client" not in said and "Summarising: labels per group" not in said  # (it does neither)
    got = _whole_and_within_a_group(df, tmp_path / "out", config)
    assert result.diagnosis.leakage.set_index("check").loc["group", "status"] == "pass"
    encoded = encode_tasks(df, TASKS)
    mine = split_quality(encoded.matrix, got.to_numpy(), dict(config.fractions))
    assert result.diagnosis.quality.ld == pytest.approx(mine.ld, rel=1e-12, abs=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        memory = split(df, TASKS, config).assignment.to_numpy()
    in_memory = split_quality(encoded.matrix, memory, dict(config.fractions))
    assert mine.ld <= 1.5 * in_memory.ld + 1e-3  # measured: 0.0027 against 0.0033


@pytest.mark.parametrize("strategy", ["group", "time"])
def test_up_to_exact_rows_the_progress_lines_say_what_runs_in_order(client, data, tmp_path, strategy):
    """The group table is summarised, then solved on the client: the progress never goes back and no line says
    the client solves before it does (it said "Solving on the client" at 0.35, then summarised at 0.25)."""
    _, folder = data
    config = SplitConfig(strategy=strategy, group_column="g", time_column="t" if strategy == "time" else None)
    said = []
    split_dataset(folder, TASKS, config, tmp_path / "out", client=client, checks=(),
                  progress=lambda share, text: said.append((share, text)))
    shares, texts = zip(*said, strict=True)
    assert list(shares) == sorted(shares)
    assert "Solving on the client" not in texts
    table = texts.index("Summarising: labels per group")
    assert texts[table + 1].startswith("Solving the table of ") and texts[table + 1].endswith(" groups on the client")


def _same_with_one_worker(client, df, folder, config, tmp_path) -> bool:
    """Whether one worker (of two threads) on the rows in 3 files gives each row the split two workers give on
    ``folder``."""
    from distributed import Client, LocalCluster

    split_dataset(folder, TASKS, config, tmp_path / "two", client=client, exact_rows=0)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0") as cluster, \
            Client(cluster) as one:
        split_dataset(write_parquet(df, tmp_path / "three", parts=3), TASKS, config, tmp_path / "one", client=one,
                      exact_rows=0)
    return bool((assignment(tmp_path / "one") == assignment(tmp_path / "two")).all())


def test_beyond_exact_rows_one_worker_and_other_files_give_the_same_groups_split(client, data, tmp_path):
    """The deal depends on the groups (hash, counts, rows) and the seed: one worker, or the rows in 3 files
    instead of 5, give each row the same split."""
    df, folder = data
    assert _same_with_one_worker(client, df, folder, SplitConfig(strategy="group", group_column="g", seed=8), tmp_path)


def test_settling_leaves_every_split_within_the_largest_unit_of_its_target():
    rng = np.random.default_rng(1)
    for _ in range(50):
        sizes = rng.integers(1, 30, rng.integers(5, 200))
        code = rng.integers(0, 3, sizes.size).astype(np.int8)
        targets = largest_remainder(int(sizes.sum()), np.array([0.6, 0.3, 0.1]))
        settle_rows(code, sizes, targets)
        held = np.bincount(code, weights=sizes, minlength=3)
        assert np.abs(held - targets).max() <= sizes.max()


def test_batches_hold_enough_groups_and_leave_no_shard_out():
    rng = np.random.default_rng(4)
    for _ in range(50):
        groups = rng.integers(0, 40, 32).tolist()
        got = batches(groups, least=100)
        assert sorted(b for batch in got for b in batch) == [i for i, n in enumerate(groups) if n]
        sums = [sum(groups[b] for b in batch) for batch in got]
        assert all(s >= 100 for s in sums) or len(got) == 1


def test_blocks_cover_every_shard_once_in_order_two_a_worker():
    for workers in range(0, 70):
        got = blocks(workers, shards=32)
        assert [b for lo, hi in got for b in range(lo, hi)] == list(range(32))
        assert len(got) == min(32, max(2, 1 << (2 * max(workers, 1) - 1).bit_length()))
    assert blocks(3, shards=5) == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]


def test_a_block_makes_and_hands_back_the_same_shard_tables_as_one_task_a_shard():
    """The blocks only cut the tasks: each shard's table (groups, sizes, counts) and each partition's rows'
    splits handed back are those of one task a shard."""
    import scipy.sparse as sp

    rng = np.random.default_rng(7)
    turned = sp.csr_matrix(rng.integers(0, 2, (6, 4)).astype(np.int32))
    parts = [[{"key": rng.integers(0, 50, rng.integers(0, 40)).astype(np.uint64)}
              for _ in range(3)] for _ in range(4)]
    for p in parts:
        for piece in p:
            piece["set"] = rng.integers(0, 6, piece["key"].size).astype(np.int32)
    made = block_tables(parts, turned)
    splits = []
    for j, table in enumerate(made["tables"]):
        one = shard_table([p[j] for p in parts], turned)
        assert made["groups"][j] == one["keys"].size
        for name in ("keys", "sizes", "code", "lengths"):
            assert (table[name] == one[name]).all()
        assert (table["counts"] != one["counts"]).nnz == 0
        splits.append(rng.integers(0, 3, one["keys"].size).astype(np.int8))
    back = block_back(made, splits)
    for i in range(len(parts)):
        one = np.concatenate([shard_back(t, s)[i] for t, s in zip(made["tables"], splits, strict=True)])
        assert (back[i] == one).all()
        order = rng.permutation(one.size)
        assert (rows_codes(order, [back[i]]) == rows_codes(order, [shard_back(t, s)[i] for t, s in
                                                                    zip(made["tables"], splits, strict=True)])).all()


def test_the_seeded_order_is_a_permutation_that_moves_with_the_seed():
    keys = np.arange(10_000, dtype=np.uint64) * np.uint64(2_654_435_761)
    assert np.unique(mixed_keys(keys, 1)).size == keys.size
    assert not (np.argsort(mixed_keys(keys, 1)) == np.argsort(mixed_keys(keys, 2))).all()


def test_a_group_read_as_int_in_one_file_and_float_in_another_stays_whole(client, tmp_path):
    """CSV parts: the group column is int64 where a part has no missing group and float64 where it has one;
    the same group value hashes the same in both (7 and 7.0), so each group is still one unit."""
    from tests.cluster import write_csv

    df = _groups_frame(6_000, seed=9)
    df["g"] = np.random.default_rng(9).integers(0, 300, len(df)).astype(float)
    df.loc[df.index[-100:][::7], "g"] = np.nan  # missing groups in the last part only
    pattern = write_csv(df, tmp_path / "csv", parts=3)
    config = SplitConfig(strategy="group", group_column="g", seed=1)
    split_dataset(pattern, TASKS, config, tmp_path / "out", client=client, exact_rows=0)
    got = pd.Series(assignment(tmp_path / "out"))
    assert (got.groupby(_units(df).to_numpy()).nunique() == 1).all()


def test_beyond_exact_rows_folds_with_label_pairs_keep_groups_whole_and_sizes_within_a_group(client, data, tmp_path):
    """Three folds, order 2 (each batch's solver also balances label pairs): groups whole, every fold within the
    largest unit's rows of a third."""
    df, folder = data
    config = SplitConfig(strategy="stratified", group_column="g", n_folds=3, order=2, seed=4)
    split_dataset(folder, TASKS, config, tmp_path / "out", client=client, exact_rows=0)
    _whole_and_within_a_group(df, tmp_path / "out", config)


# --------------------------------------------------------------------------- the hybrid: hash-fixed core, solved rest


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """60,000 rows in ~6,000 groups: enough for the hybrid with its thresholds lowered."""
    df = _groups_frame(60_000, seed=11)
    df["g"] = np.random.default_rng(11).integers(0, 6_000, len(df)).astype(float)
    df.loc[df.index[::97], "g"] = np.nan
    return df, write_parquet(df, tmp_path_factory.mktemp("many"), parts=6)


@pytest.fixture
def hybrid(monkeypatch):
    """The hybrid on small data: a third of the rows free, a floor of 500 free groups; ``calls`` counts the
    batches' aims made (only the hybrid makes them), ``zero`` makes them ignore the fixed part's offset."""
    from core.cluster import _group_deal

    monkeypatch.setattr(_group_deal, "FREE_ROWS", 20_000)
    monkeypatch.setattr(_group_deal, "MIN_FREE_GROUPS", 500)
    made = _group_deal.aims
    state = {"calls": 0, "zero": False}

    def spy(*args):
        state["calls"] += 1
        aims = made(*args)
        return [(0 * o, t, r) for o, t, r in aims] if state["zero"] else aims

    monkeypatch.setattr(_group_deal, "aims", spy)
    return state


def _ld_of(df, got, config):
    return split_quality(encode_tasks(df, TASKS).matrix, got.to_numpy(), dict(config.fractions)).ld


def test_the_hybrid_keeps_groups_whole_sizes_within_a_group_and_ld_near_solving_every_group(client, many, tmp_path,
                                                                                          hybrid):
    """Two thirds of the groups fixed by their hash, the rest solved around them: every group in one split, every
    split within the largest unit's rows of its largest-remainder size, the scores from counts equal the rows'
    own, and LD no worse than solving every group (measured: 1.3e-04 against 1.7e-04)."""
    from core.cluster._group_deal import group_keys
    from core.cluster._group_fix import Fixing

    df, folder = many
    config = SplitConfig(strategy="group", group_column="g", seed=2)
    result = split_dataset(folder, TASKS, config, tmp_path / "hybrid", client=client, exact_rows=0)
    assert hybrid["calls"] == 1
    got = _whole_and_within_a_group(df, tmp_path / "hybrid", config)
    mine = _ld_of(df, got, config)
    assert result.diagnosis.quality.ld == pytest.approx(mine, rel=1e-12, abs=1e-12)
    grouped = df["g"].notna().to_numpy()  # the hybrid was kept: every fixed group sits where its hash put it
    fixing = Fixing(20_000 / len(df), config.shares, config.seed)
    free, code = fixing.decide(group_keys(df.loc[grouped, "g"]))
    placed = np.asarray(config.split_names)[fixing.wanted[code[~free]]]
    assert (got.to_numpy()[grouped][~free] == placed).all() and 0.2 < free.mean() < 0.5
    detail = result.diagnosis.leakage.set_index("check").loc["group", "detail"]
    assert detail == "Every group of 'g' sits in one split."
    every = _ld_of(df, pd.Series(_solved_every_group(client, folder, config, tmp_path)), config)
    assert hybrid["calls"] == 1
    assert mine <= 1.1 * every


def test_the_hybrid_without_the_fixed_part_s_offset_balances_visibly_worse(client, many, tmp_path, hybrid):
    """The free groups are solved around the fixed ones: solved as if alone, the fixed part's deviation stays
    and LD is many times higher (measured: 1.3e-04 with the offset, 7.2e-03 without)."""
    df, folder = many
    config = SplitConfig(strategy="group", group_column="g", seed=2)
    split_dataset(folder, TASKS, config, tmp_path / "with", client=client, exact_rows=0)
    hybrid["zero"] = True
    split_dataset(folder, TASKS, config, tmp_path / "without", client=client, exact_rows=0)
    assert hybrid["calls"] == 2
    with_offset = _ld_of(df, pd.Series(assignment(tmp_path / "with")), config)
    without = _ld_of(df, pd.Series(assignment(tmp_path / "without")), config)
    assert 10 * with_offset < without


def test_the_hybrid_gives_the_same_split_with_one_worker_and_other_files(client, many, tmp_path, hybrid):
    """Which groups the hash fixes, where, and the free groups' solve depend on the data and the seed only."""
    df, folder = many
    assert _same_with_one_worker(client, df, folder, SplitConfig(strategy="group", group_column="g", seed=8), tmp_path)
    assert hybrid["calls"] == 2


def test_too_few_free_groups_fall_back_to_solving_every_group(client, many, tmp_path, hybrid):
    """~2,000 free groups of 6,000, fewer than the 5,000 asked for: every group is solved, the very split of the
    path without the hybrid (no batch was aimed)."""
    from core.cluster import _group_deal

    df, folder = many
    _group_deal.MIN_FREE_GROUPS = 5_000  # (monkeypatch restores it)
    config = SplitConfig(strategy="group", group_column="g", seed=3)
    split_dataset(folder, TASKS, config, tmp_path / "few", client=client, exact_rows=0)
    assert hybrid["calls"] == 0
    assert (assignment(tmp_path / "few") == _solved_every_group(client, folder, config, tmp_path)).all()


def test_free_groups_that_cannot_settle_the_sizes_fall_back_to_solving_every_group(client, many, tmp_path, hybrid):
    """One group of 9,000 rows (15%) the hash fixes into val (share 0.15): the free groups cannot bring val
    within the largest group of its size, so every group is solved (the batches were aimed, then dropped)."""
    from core.cluster._group_deal import group_keys
    from core.cluster._group_fix import Fixing

    df, folder = many
    df = df.copy()
    df.loc[df.index[:9_000], "g"] = -1.0
    folder = write_parquet(df, tmp_path / "big", parts=6)
    shares = SplitConfig(strategy="group", group_column="g").shares
    key = group_keys(pd.Series([-1.0]))
    seed = next(seed for seed in range(100) if Fixing(20_000 / len(df), shares, seed).decide(key)[1][0] == 1
                and not Fixing(20_000 / len(df), shares, seed).decide(key)[0][0])
    config = SplitConfig(strategy="group", group_column="g", seed=seed)
    split_dataset(folder, TASKS, config, tmp_path / "hybrid", client=client, exact_rows=0)
    assert hybrid["calls"] == 1
    every = _solved_every_group(client, folder, config, tmp_path)
    assert (assignment(tmp_path / "hybrid") == every).all()
    sizes = pd.Series(every).value_counts().reindex(config.split_names).to_numpy()
    assert np.abs(sizes - largest_remainder(len(df), config.shares)).max() <= 9_000


def test_the_hash_fixes_a_share_of_the_groups_at_the_splits_shares():
    from core.cluster._group_fix import Fixing

    keys = np.arange(200_000, dtype=np.uint64) * np.uint64(2_654_435_761)
    fixing = Fixing(0.2, np.array([0.6, 0.0, 0.25, 0.15]), seed=4)
    free, code = fixing.decide(keys)
    assert abs(free.mean() - 0.2) < 0.01
    assert np.abs(np.bincount(code[~free], minlength=3) / (~free).sum() - [0.6, 0.25, 0.15]).max() < 0.01
    assert fixing.wanted[code].max() == 3 and 1 not in set(fixing.wanted[code].tolist())
    again, same = fixing.decide(keys[::-1])
    assert (again[::-1] == free).all() and (same[::-1] == code).all()


def test_the_hash_fixes_groups_into_more_than_127_splits():
    """130 folds: the codes need more than a signed byte (they wrapped to -128 and crashed the counts)."""
    import scipy.sparse as sp

    from core.cluster._group_fix import Fixing, fixed_counts

    fixing = Fixing(0.1, np.full(130, 1 / 130), seed=1)
    keys = np.arange(100_000, dtype=np.uint64) * np.uint64(2_654_435_761)
    free, codes, counts = fixed_counts(fixing, keys, np.zeros(len(keys), np.int64), np.array([0]),
                                       sp.csr_matrix(np.ones((1, 1), np.int32)))
    fixed = np.setdiff1d(np.arange(len(keys)), free)
    assert codes[fixed].min() == 0 and codes[fixed].max() == 129
    assert counts[-1].sum() == len(fixed) and (counts[-1] == np.bincount(codes[fixed], minlength=130)).all()


def test_the_offset_polish_brings_the_free_groups_plus_a_fixed_part_to_the_rates():
    """A fixed part holding too many of label 0 in split 1: the polish moves the free groups so that the sum
    is nearer the rates than the free groups' own best split (which ignores the fixed part)."""
    import scipy.sparse as sp

    from core.splits.stratify import offset_polish, stratify

    rng = np.random.default_rng(3)
    sizes = rng.integers(1, 20, 4_000)
    counts = sp.csr_matrix(rng.binomial(sizes[:, None], [0.3, 0.05, 0.5]).astype(np.float64))
    shares = np.array([0.5, 0.5])
    part = stratify(counts, shares, rng=np.random.default_rng(0), sizes=sizes)
    rate = np.asarray(counts.sum(axis=0)).ravel() / sizes.sum()
    offset = np.zeros((4, 2))
    offset[0] = [-300, 300]  # label 0: 300 above its rate in split 1, 300 below in split 0
    targets = sizes.sum() * shares

    def deviation(assign):
        d = np.array([np.asarray(counts[assign == j].sum(axis=0)).ravel() - rate * sizes[assign == j].sum()
                      for j in range(2)]).T + offset[:-1]
        return np.abs(d).max()

    polished = offset_polish(counts, sizes, part.copy(), offset, targets, rate)
    assert deviation(polished) < 0.2 * deviation(part)
    assert np.abs(np.bincount(polished, weights=sizes, minlength=2) - targets).max() <= 2 * sizes.max()


def test_an_ultra_rare_label_weighs_no_more_than_one_at_the_rate_floor(monkeypatch):
    """One positive in 100M rows: without the floor its weight was 1e4 (squared 1e8 the rows'); the polish
    weighs it as a label on RATE_FLOOR of the rows (~316), and every other column as its rate ** -0.5."""
    import scipy.sparse as sp

    from core.cluster import _group_fix

    seen = {}

    def spy(counts, sizes, part, offset, targets, rate, **_):
        seen["weights"] = np.asarray(counts.sum(axis=0)).ravel() / [4.0, 1.0]
        return part

    monkeypatch.setattr(_group_fix, "offset_polish", spy)
    counts = sp.csr_matrix(np.array([[4.0, 1.0], [0.0, 0.0]]))
    aim = (np.zeros((3, 2)), np.array([5.0, 5.0]), np.array([0.25, 1e-8]))
    _group_fix.polish_around(counts, np.array([5, 5]), np.array([0, 1]), aim)
    assert seen["weights"] == pytest.approx([2.0, _group_fix.RATE_FLOOR ** -0.5])


@pytest.mark.parametrize("config", [SplitConfig(strategy="stratified", group_column="g", n_folds=5, seed=6),
                                    SplitConfig(strategy="group", group_column="g", seed=6,
                                                fractions={"train": 0.8, "val": 0.0, "test": 0.2})],
                         ids=["five folds", "a split of share 0"])
def test_the_hybrid_keeps_groups_whole_and_every_split_within_a_group_with_folds_or_an_empty_share(client, many,
                                                                                                 tmp_path, hybrid,
                                                                                                 config):
    df, folder = many
    split_dataset(folder, TASKS, config, tmp_path / "out", client=client, exact_rows=0)
    assert hybrid["calls"] == 1
    got = _whole_and_within_a_group(df, tmp_path / "out", config)
    assert not got.isin(np.asarray(config.split_names)[config.shares == 0]).any()


def test_a_fold_the_hybrid_leaves_without_a_row_falls_back_to_solving_every_group(client, many, tmp_path, hybrid,
                                                                                  monkeypatch):
    """fill_empty_splits must see every group, fixed ones too: a fold with no free and no fixed row makes the
    hybrid solve every group (forced here: generated data never leaves a fold empty, which needs a fold's target
    at most the largest free group and no fixed group hashed into it); without folds the check is not made."""
    from core.cluster import _group_deal

    df, folder = many
    seen, real = [], _group_deal.leaves_a_fold_empty
    monkeypatch.setattr(_group_deal, "leaves_a_fold_empty", lambda free, fixed: seen.append(free + fixed) or True)
    config = SplitConfig(strategy="stratified", group_column="g", n_folds=5, seed=6)
    split_dataset(folder, TASKS, config, tmp_path / "hybrid", client=client, exact_rows=0)
    assert hybrid["calls"] == 1 and len(seen) == 1 and seen[0].sum() == len(df)  # every row, free or fixed
    assert (assignment(tmp_path / "hybrid") == _solved_every_group(client, folder, config, tmp_path)).all()
    assert not real(seen[0], np.zeros_like(seen[0])) and real(seen[0] * [1, 1, 0, 1, 1], np.zeros(5))
    split_dataset(folder, TASKS, SplitConfig(strategy="group", group_column="g", seed=6), tmp_path / "three",
                  client=client, exact_rows=0)
    assert len(seen) == 1


def test_balance_with_an_offset_and_a_rate_is_balance_of_the_units_plus_the_fixed_part():
    """Balance of some units with the rest's per-split deviation as ``offset`` and the whole table's ``rate`` has
    the deviation, and the move costs, of Balance of every unit (the rest kept where it is)."""
    import scipy.sparse as sp

    from core.splits.stratify._balance import Balance

    rng = np.random.default_rng(5)
    sizes = rng.integers(1, 9, 600)
    counts = sp.csr_matrix(rng.binomial(sizes[:, None], [0.4, 0.1, 0.02]).astype(np.float64))
    assignment = rng.integers(0, 3, 600)
    targets = np.array([300.0, 200.0, 100.0]) * sizes.mean()
    whole = Balance(counts=counts, sizes=sizes, assignment=assignment.copy(), targets=targets, moves=True)
    free = np.arange(600) < 200
    fixed = ~free
    offset = np.zeros((4, 3))
    for j in range(3):
        mine = fixed & (assignment == j)
        offset[:-1, j] = np.asarray(counts[mine].sum(axis=0)).ravel() - whole.rate * sizes[mine].sum()
        offset[-1, j] = sizes[mine].sum()
    part = Balance(counts=counts[free], sizes=sizes[free], assignment=assignment[free].copy(), targets=targets,
                   moves=True, offset=offset, rate=whole.rate)
    assert np.allclose(part.deviation, whole.deviation)
    assert np.allclose(part.move_costs(), whole.move_costs()[free])
