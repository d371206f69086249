"""Pass 1 and the join's kernels on one partition: label sets in one pass, bins by comparisons, ranks, placing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.cluster._labels import bin_codes
from core.cluster._parts import Plan, Solution, placed
from core.cluster._rows import local_rank, mixed_codes, read_part, with_rank
from core.cluster._solve import place, walk_of
from core.errors import DataError
from core.splits import SplitConfig


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 300), min_size=1, max_size=20), st.integers(0, 2**31), st.integers(2, 4),
       st.integers(1, 3))
def test_placing_by_the_partitions_own_sets_equals_placing_by_the_global_sets(set_rows, seed, k, parts):
    """The join looks each local set's walk, size and bounds up once: the same places as the global ``place``."""
    set_rows = np.array(set_rows, dtype=np.int64)
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(np.stack([rng.multinomial(n, np.full(k, 1 / k)) for n in set_rows]), axis=1)
    solution = Solution(kind="sets", names=tuple("abcd"[:k]), cumulative=cumulative, set_rows=set_rows, seed=seed,
                        walk=walk_of(set_rows, seed))
    rows = rng.permutation(np.repeat(np.arange(set_rows.size), set_rows))  # every row's global set, in data order
    rank = np.zeros(rows.size, dtype=np.int64)
    for s in range(set_rows.size):
        rank[rows == s] = np.arange(set_rows[s])
    whole = place(rows, rank, set_rows, cumulative, seed, solution.walk)
    for piece in np.array_split(np.arange(rows.size), parts):  # each partition: its sets in the order first met
        to_global, local = np.unique(rows[piece], return_inverse=True)
        codes = local.astype(np.uint16)
        before = np.array([(rows[: piece[0]] == g).sum() for g in to_global], dtype=np.int64) if piece.size else []
        got = placed(codes, local_rank(codes, to_global.size), to_global, np.asarray(before, np.int64), solution)
        assert np.array_equal(got, whole[piece])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.floats(-5, 5), st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1.0])), min_size=1,
                max_size=60),
       st.integers(2, 30))
def test_bins_counted_by_comparisons_equal_the_searchsorted_bins(values, n_bins):
    values = pd.Series(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if finite.empty:
        finite = pd.Series([0.0, 1.0])
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, n_bins + 1)))
    expected = np.searchsorted(edges[1:-1], values.to_numpy(), side="right")
    expected[~np.isfinite(values.to_numpy())] = -1
    assert bin_codes(values, edges).tolist() == expected.tolist()


def test_a_rank_is_a_rows_place_among_the_earlier_rows_of_its_code():
    codes = np.random.default_rng(0).integers(0, 50, 5_000).astype(np.uint16)
    seen: dict = {}
    naive = [seen.setdefault(int(c), []).append(0) or len(seen[int(c)]) - 1 for c in codes]
    assert local_rank(codes, 50).tolist() == naive
    assert local_rank(codes.astype(np.int32), 50).tolist() == naive


def test_one_pass_numbers_the_label_sets_with_their_regression_bins_in_the_order_first_met():
    """Pass 1 packs the labels and the target's bin in one int32 key: each row's set is that of its labels and bin,
    numbered in the order first met, and the table holds each set's labels, bin code (-1: missing) and rows."""
    rng = np.random.default_rng(3)
    n = 4_000
    frame = pd.DataFrame({f"y{i}": (rng.random(n) < 0.3).astype(np.int8) for i in range(4)})
    frame["kind"] = rng.choice(["x", "y", None], n).astype(object)
    frame["t"] = rng.normal(size=n)
    frame.loc[rng.random(n) < 0.05, "t"] = np.nan
    edges = np.quantile(frame["t"].dropna(), np.linspace(0, 1, 6))
    columns = ("y0", "y1", "y2", "y3", "kind", "t")
    plan = Plan(config=SplitConfig(), label_columns=columns, regression=("t",), edges={"t": edges})
    state = with_rank(read_part(frame, plan))
    assert mixed_codes(frame, columns, {"t": edges}).dtype == np.int32
    bins = bin_codes(frame["t"], edges)
    keys = pd.MultiIndex.from_arrays([frame[c].fillna("-").to_numpy() for c in columns[:5]] + [bins])
    expected, _ = pd.factorize(keys)
    assert state["sets"].tolist() == expected.tolist()
    table = state["table"]
    assert table["_rows"].tolist() == np.bincount(expected).tolist()
    first = pd.Series(np.arange(n)).groupby(expected).min().to_numpy()
    assert table["t"].tolist() == bins[first].tolist()
    assert table["y2"].tolist() == frame["y2"].to_numpy()[first].tolist()
    assert state["rank"].tolist() == local_rank(expected, len(first)).tolist()


def test_keys_past_int32_fall_back_to_int64_with_the_same_sets():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({f"y{i}": (rng.random(3_000) < 0.5).astype(np.int8) for i in range(40)})
    key = mixed_codes(frame, list(frame.columns))
    assert key.dtype == np.int64
    rows = pd.factorize(pd.MultiIndex.from_frame(frame))[0]
    assert pd.factorize(key)[0].tolist() == rows.tolist()


@pytest.mark.parametrize(("binary", "dtype"), [(30, np.int32), (31, np.int64)])
def test_keys_are_int32_up_to_2_to_the_31_label_sets(binary, dtype):
    frame = pd.DataFrame({f"y{i}": np.arange(4) % 2 for i in range(binary)})
    assert mixed_codes(frame, list(frame.columns)).dtype == dtype


@pytest.mark.parametrize("low", [2**31 - 1, 3_000_000_001, -(2**31) - 1])
def test_a_small_range_of_large_values_makes_int64_keys_with_the_same_sets(low):
    """A label column of two values near 3e9 has a radix of 2 but values int32 cannot subtract (it raised)."""
    frame = pd.DataFrame({"y": np.array([0, 1, 1, 0]) + low, "b": np.array([0, 0, 1, 1], dtype=np.int8)})
    key = mixed_codes(frame, ["y", "b"])
    assert key.dtype == np.int64
    assert key.tolist() == [0, 2, 3, 1]


@pytest.mark.slow
def test_a_group_split_of_one_file_beyond_exact_rows_keeps_groups_whole(tmp_path):
    """A one-file table split by groups on the workers: its rows' splits (a future) were scattered as an object
    every partition shares and reached the join as a Future (the split failed)."""
    from core.cluster import split_dataset
    from tests.cluster import TASKS, assignment, frame, two_workers, write_parquet

    df = frame(3_000, seed=5)
    folder = write_parquet(df, tmp_path / "rows", parts=1)
    config = SplitConfig(strategy="group", group_column="g", seed=1)
    with two_workers() as client:
        split_dataset(folder, TASKS, config, tmp_path / "out", client=client, checks=(), exact_rows=100)
    got = pd.Series(assignment(tmp_path / "out"))
    per_group = got[df["g"].notna().to_numpy()].groupby(df["g"].dropna().to_numpy()).nunique()
    assert (per_group == 1).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_label_sets_encoded_task_by_task_equal_encode_tasks_on_every_set(seed):
    """The client encodes each task on its distinct values and takes the rows (~10^5 label sets at 100M rows):
    the same matrix, labels and missing flags as :func:`core.tasks.encode_tasks` of the whole table."""
    from core.cluster._labels import _encoded_by_task
    from core.tasks import Task, encode_tasks

    rng = np.random.default_rng(seed)
    n = 3_000
    table = pd.DataFrame({
        "a": (rng.random(n) < 0.3).astype(np.int8), "b": (rng.random(n) < 0.5).astype(np.int8),
        "kind": rng.choice(["x", "y", "z", None], n).astype(object),
        "flag": rng.choice([0.0, 1.0, np.nan], n),
        "__bin__t": rng.choice([0.0, 1.0, 2.0, 3.0, np.nan], n),
        "count": rng.integers(0, 4, n),
    })
    tasks = (Task("tags", ("a", "b"), "multilabel"), Task("kind", ("kind",), "multiclass"),
             Task("flag", ("flag",), "binary"), Task("t", ("__bin__t",), "multiclass"),
             Task("count", ("count",), "multiclass"))
    matrix, tasks_of, values_of, missing = _encoded_by_task(table, tasks, 5)
    whole = encode_tasks(table, tasks, 5)
    assert (matrix != whole.matrix).nnz == 0
    assert tasks_of == list(whole.label_tasks) and values_of == list(whole.label_values)
    assert np.array_equal(missing, np.stack([part.missing for part in whole.tasks], axis=1))


def test_the_cluster_package_imports_without_torch():
    """A worker imports ``core.cluster`` on its first task (for the pass functions): importing the report's torch
    with it cost each worker ~1.2 s and ~190 MB on the first pass of a new cluster."""
    import subprocess
    import sys

    code = "import sys, core.cluster; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_the_plans_counts_must_add_up_to_the_joins_sizes():
    from core.cluster._join import planned_counts

    solution = Solution(kind="sets", names=("a", "b"), cumulative=np.array([[2, 4], [3, 6]]))
    assert planned_counts(solution, np.array([1, 5, 5])).sum() == 10
    with pytest.raises(DataError, match=r"^The join placed \[5, 4\] rows per split but the plan dealt \[5, 5\]"):
        planned_counts(solution, np.array([0, 5, 4]))


def test_one_first_met_and_one_by_label_sets_decision():
    """first_met lives in _labels (which _rows and the task-by-task encoding use); whether the join placed rows by
    label set is one Solution property (the diagnosis and the join's counts asked it separately)."""
    from core.cluster import _labels, _rows

    assert _rows.first_met is _labels.first_met
    cumulative = np.array([[1, 2]])
    assert Solution(kind="sets", names=("a", "b"), cumulative=cumulative).by_label_sets
    assert not Solution(kind="sets", names=("a", "b"), cumulative=cumulative, by_labels=False).by_label_sets
    assert not Solution(kind="rows", names=("a", "b")).by_label_sets


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.integers(-5, 5).map(float), st.floats(-1e3, 1e3), st.just(np.nan),
                                   st.just(np.inf)), min_size=0, max_size=40), min_size=1, max_size=4),
       st.integers(2, 7), st.integers(1, 5))
def test_exact_edges_from_the_kept_finite_values_equal_numpys_quantiles(parts, n_bins, thin):
    """The edges found from each partition's kept finite values (:func:`regression_values`) and the bracketing
    passes (:func:`bracket_of`) are numpy's quantiles of every finite value, also when a thinned sample makes the
    rough brackets miss and widen."""
    from core.cluster._labels import sampled_edges
    from core.cluster._rows import bracket_of, regression_values
    from core.errors import DataError

    states = [regression_values(pd.DataFrame({"t": part}, dtype=np.float64), ["t"]) for part in parts]
    finite = np.concatenate([s["t"] for s in states])
    assert all(np.isfinite(s["t"]).all() for s in states)
    samples = [(count, sample[::thin]) for count, sample in (s["small"]["t"] for s in states)]

    def bracket(low, high):
        return [bracket_of(s, "t", low, high) for s in states]

    if finite.size == 0:
        with pytest.raises(DataError, match="no numeric values"):
            sampled_edges(samples, n_bins, bracket, "t")
        return
    expected = np.unique(np.quantile(finite, np.linspace(0, 1, n_bins + 1)))
    got = sampled_edges(samples, n_bins, bracket, "t")
    if expected.size < 2:
        expected = np.array([expected[0], expected[-1]])
    assert np.array_equal(got, expected)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 200), st.integers(1, 9), st.integers(0, 2**31))
def test_label_keys_made_block_by_block_equal_the_mixed_radix_number_of_the_codes(n, block, seed):
    """The key is made a block of rows at a time (the block in cache while every column is added): the same key
    as the mixed-radix number of every column's codes, whatever the block and wherever it cuts."""
    import core.cluster._rows as rows_module

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.integers(0, 2, n).astype(np.int8), "b": rng.integers(-3, 4, n),
                          "c": rng.choice(["x", "y", None], n), "t": rng.normal(size=n)})
    frame.loc[rng.random(n) < 0.1, "t"] = np.nan
    edges = {"t": np.array([-3.0, -0.5, 0.0, 0.7, 3.0])}
    expected = np.zeros(n, dtype=np.int64)
    for codes, low, radix in rows_module._digits(frame, ["a", "b", "c", "t"], edges):
        expected = expected * radix + np.asarray(codes, dtype=np.int64) - low
    old = rows_module._BLOCK
    try:
        rows_module._BLOCK = block
        got = mixed_codes(frame, ["a", "b", "c", "t"], edges)
    finally:
        rows_module._BLOCK = old
    assert got.dtype == np.int32 and got.tolist() == expected.tolist()
    assert bin_codes(frame["t"], edges["t"], np.int8).tolist() == bin_codes(frame["t"], edges["t"]).tolist()


def _mixed_radix_reference(digits, n) -> np.ndarray:
    """The key column by column over all rows, renumbered (first met) whenever the radices' product nears 2**62."""
    key, bound = np.zeros(n, dtype=np.int64), 1
    renumber = np.prod([float(radix) for _, _, radix in digits]) >= 2.0**62
    for codes, low, radix in digits:
        if renumber and bound * radix >= 1 << 62:
            key, uniques = pd.factorize(key)
            key, bound = key.astype(np.int64), len(uniques)
        key = key * radix + np.asarray(codes, dtype=np.int64) - low
        bound *= radix
    return key


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.integers(1, 40), st.integers(0, 2**31), st.integers(0, 5), st.integers(2, 140),
       st.booleans())
def test_label_keys_past_int32_renumbered_and_with_many_bins_equal_the_column_by_column_key(
        n, block, seed, n_wide, n_edges, near):
    """The int64 key (radices' product past 2**31, or values near 3e9), the renumbered key (product past 2**62:
    runs of columns, renumbered between runs) and regression bins by searchsorted (more than 16 inner edges; int64
    codes from 127 edges) equal the key made column by column over all rows, whatever the block."""
    import core.cluster._rows as rows_module

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"a": rng.integers(0, 2, n).astype(np.int8), "c": rng.choice(["x", "y", None], n),
                          "t": rng.normal(size=n)})
    frame.loc[rng.random(n) < 0.1, "t"] = np.inf
    for i in range(n_wide):  # a small-integer column of radix up to 2**20: two pass 2**31, four pass 2**62
        frame[f"w{i}"] = rng.integers(-(2**19), 2**19, n) - (2**40 if i % 2 else 0)
    if near:
        frame["near"] = 3_000_000_000 + rng.integers(0, 3, n)
    columns = list(frame.columns)
    edges = {"t": np.linspace(-3.0, 3.0, n_edges)}
    digits = rows_module._digits(frame, columns, edges)
    expected = _mixed_radix_reference(digits, n)
    old = rows_module._BLOCK
    try:
        rows_module._BLOCK = block
        got = mixed_codes(frame, columns, edges)
    finally:
        rows_module._BLOCK = old
    assert got.tolist() == expected.tolist()
    product = np.prod([float(radix) for _, _, radix in digits])
    assert got.dtype == (np.int32 if product < 2.0**31 and not near and n_wide < 2 else np.int64)  # w1: -2**40
    int8 = n_edges < 127
    assert bin_codes(frame["t"], edges["t"], np.int8 if int8 else np.int64).tolist() == \
        bin_codes(frame["t"], edges["t"]).tolist()
    assert digits[2][0].dtype == (np.int8 if int8 else np.int64)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 5)), min_size=0, max_size=6), min_size=1,
                max_size=5))
def test_merged_label_sets_are_numbered_in_the_order_first_met_with_their_earlier_rows(parts):
    """merge_sets numbers the data's label sets in the order first met over the partitions, sums their rows and
    gives each partition's sets their rows in earlier partitions (what the join's ranks start from)."""
    from core.cluster._summarise import merge_sets
    from core.tasks import Task

    tables = []
    for part in parts:
        seen = list(dict.fromkeys(value for value, _ in part))  # a partition's sets are distinct
        rows = {value: n for value, n in part}
        tables.append(pd.DataFrame({"a": np.array(seen, dtype=np.int64),
                                    "_rows": np.array([rows[v] for v in seen], dtype=np.int64)}))
    if len({v for t in tables for v in t["a"]}) < 2:  # a task needs two values
        return
    sets, per_part = merge_sets(tables, (Task("a", ("a",), "multiclass"),), {}, 5, ["a"])
    order = list(dict.fromkeys(v for t in tables for v in t["a"]))
    assert sets.index_of(np.array([], np.uint64)).size == 0 and len(sets.keys) == len(order)
    totals = {v: sum(int(t["_rows"][t["a"] == v].sum()) for t in tables) for v in order}
    assert sets.rows.tolist() == [totals[v] for v in order]
    running = dict.fromkeys(order, 0)
    for table, (to_global, before) in zip(tables, per_part, strict=True):
        assert [order[g] for g in to_global] == table["a"].tolist()
        assert before.tolist() == [running[v] for v in table["a"]]
        for v, n in zip(table["a"], table["_rows"], strict=True):
            running[v] += n


def test_a_partition_is_read_with_a_block_per_column_and_the_same_values(tmp_path):
    """read_piece keeps each column a block of its own (pandas would copy every int8 label column into one 2-D
    block first): the same frame, without the copy."""
    from core.cluster._read import read_piece

    frame = pd.DataFrame({f"y{i}": np.arange(10, dtype=np.int8) % (i + 2) for i in range(5)} | {"t": np.linspace(0, 1, 10)})
    frame.to_parquet(tmp_path / "part.parquet")
    got = read_piece(str(tmp_path / "part.parquet"), None, ["y0", "y3", "t"])
    pd.testing.assert_frame_equal(got, frame[["y0", "y3", "t"]])
    assert got._mgr.nblocks == 3
