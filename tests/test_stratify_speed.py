"""Order 2 at many labels, faster with the same splits (issue 17): each quicker path gives what the slower one gave."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from core.splits.stratify import pair_indicators, stratify

MANY = 2048  # labels + co-occurring pairs above this take the many-pairs path


def _many_labels(seed: int = 3, n: int = 600, n_labels: int = 300, per_row: int = 9) -> sp.csr_matrix:
    """Sparse 0/1 rows with power-law label frequencies, enough labels and pairs for the many-pairs path."""
    rng = np.random.default_rng(seed)
    weight = 1.0 / np.arange(1, n_labels + 1) ** 0.8
    rows = np.repeat(np.arange(n), 1 + rng.poisson(per_row - 1, n))
    labels = rng.permutation(n_labels)[rng.choice(n_labels, len(rows), p=weight / weight.sum())]
    Y = sp.csr_matrix((np.ones(len(rows), np.uint8), (rows, labels)), shape=(n, n_labels))
    Y.sum_duplicates()
    Y.data[:] = 1
    assert n_labels + pair_indicators(Y).shape[1] > MANY
    return Y


@pytest.mark.parametrize("float_table", [True, False])
def test_batch_need_is_the_reduceat_of_the_gathered_demand_rows_bit_for_bit(float_table):
    from core.splits.stratify._waves import _batch_need, _Demand

    rng = np.random.default_rng(0)
    n_cols, k = 500, 5
    demand = _Demand(rng.integers(1, 60, n_cols), rng.dirichlet(np.ones(k)), float_table)
    for _ in range(40):  # some demand used up, some overshot (negative)
        demand.subtract(rng.integers(0, n_cols, 300) * k + rng.integers(0, k, 300), 1.0)
    held = rng.integers(0, n_cols, 5_000).astype(np.int32)
    scale = demand.per_total(held)
    first_entry = np.r_[0, np.sort(rng.choice(np.arange(1, len(held)), 200, replace=False))]
    expected = np.add.reduceat(demand[held] * scale[:, None], first_entry, axis=0)
    got = _batch_need(demand, held, scale, first_entry)
    assert got.shape == expected.shape and np.array_equal(got, expected)


def test_order_two_on_the_inputs_own_csr_reads_its_labels_from_it_with_the_same_split(monkeypatch):
    import core.splits.stratify._repair as repair

    Y = _many_labels()
    dense = [stratify(Y.toarray(), [0.2] * 5, rng=np.random.default_rng(seed), order=2) for seed in range(3)]
    taken = []
    for name in ("kept_columns", "kept_split_counts"):  # the labels out of every entry of the labels and pairs
        original = getattr(repair, name)
        monkeypatch.setattr(repair, name, lambda *args, original=original, name=name: taken.append(name) or original(*args))
    sparse = [stratify(Y, [0.2] * 5, rng=np.random.default_rng(seed), order=2) for seed in range(3)]
    assert not taken  # the labels' copy and their units per split came from the input itself
    assert all(np.array_equal(a, b) for a, b in zip(dense, sparse, strict=True))
    stratify(Y.toarray(), [0.2] * 5, rng=np.random.default_rng(0), order=2)
    assert set(taken) == {"kept_columns", "kept_split_counts"}  # a dense input is converted: read out of the counts


def test_is_input_only_for_a_canonical_csr_passed_in():
    from core.splits.stratify._engine import _as_count_csr, _is_input

    Y = _many_labels()
    flags = Y.astype(bool)
    assert _is_input(_as_count_csr(Y), Y) and _is_input(_as_count_csr(flags), flags)
    for other in (Y.toarray(), Y.tocsc(), Y.astype(np.float64)):  # converted, or its values copied as counts
        assert not _is_input(_as_count_csr(other), other)


@pytest.mark.parametrize("entries", [1, 4, 7, 1 << 20])  # a quarter of it a block: runs cut by blocks, or one block
def test_run_hashes_sum_each_runs_entry_hashes_whatever_the_blocks(monkeypatch, entries):
    from core.splits.stratify import _pairs
    from core.splits.stratify._pair_build import _run_hashes, _run_starts
    from core.splits.stratify._sorted import entry_hash

    monkeypatch.setattr(_pairs, "_HASH_ENTRIES", entries)
    rng, row_bits = np.random.default_rng(1), 10
    pairs = np.repeat(np.sort(rng.choice(500, 40, replace=False)), rng.integers(1, 9, 40))  # runs of 1 to 8 entries
    keyed = (pairs.astype(np.int64) << row_bits) | rng.integers(0, 1 << row_bits, len(pairs))
    new = _run_starts(keyed, row_bits)
    salt = 3
    expected = np.zeros(int(new.sum()), dtype=np.uint64)
    np.add.at(expected, np.cumsum(new) - 1, entry_hash((keyed & ((1 << row_bits) - 1)).astype(np.uint64), np.uint64(1 + salt)))
    assert np.array_equal(_run_hashes(keyed, new, int(new.sum()), row_bits, salt), expected)


def test_column_split_sums_of_broadcast_ones_equal_those_of_written_ones():
    from core.splits.stratify._blocks import _broadcast_ones, _column_split_sums

    Y = _many_labels()
    written = sp.csr_matrix((np.ones(Y.nnz, np.uint8), Y.indices, Y.indptr), shape=Y.shape)
    ones = sp.csr_matrix((np.broadcast_to(np.ones(1, np.uint8), (Y.nnz,)), Y.indices, Y.indptr), shape=Y.shape)
    assert _broadcast_ones(ones) and not _broadcast_ones(written)  # as the pair build writes them, or not
    assignment = np.random.default_rng(0).integers(0, 5, Y.shape[0])
    per_split, per_split_1 = np.empty((Y.shape[1], 5)), np.empty((Y.shape[1], 5))
    totals, norm = _column_split_sums(written, assignment, 5, norms=True, out=per_split)
    totals_1, norm_1 = _column_split_sums(ones, assignment, 5, norms=True, out=per_split_1)
    assert np.array_equal(per_split, per_split_1) and np.array_equal(totals, totals_1)
    assert np.array_equal(norm, norm_1) and norm.dtype == norm_1.dtype == np.float64
