"""The join's placing of rows by label set and rank: the walk made once per solution places rows as before."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.cluster._solve import _WALK_LIMIT, place, walk_of


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 400), min_size=1, max_size=30), st.integers(0, 2**31), st.integers(2, 4))
def test_a_walk_made_once_places_every_row_as_the_walk_made_per_partition(set_rows, seed, k):
    set_rows = np.array(set_rows, dtype=np.int64)
    rng = np.random.default_rng(seed)
    counts = np.stack([rng.multinomial(n, np.full(k, 1 / k)) for n in set_rows])  # each set's rows per split
    cumulative = np.cumsum(counts, axis=1)
    set_index = np.repeat(np.arange(set_rows.size), set_rows)
    rank = np.concatenate([np.arange(n) for n in set_rows])
    once = place(set_index, rank, set_rows, cumulative, seed, walk_of(set_rows, seed))
    assert np.array_equal(once, place(set_index, rank, set_rows, cumulative, seed))
    per_set = np.zeros((set_rows.size, k), dtype=np.int64)
    np.add.at(per_set, (set_index, once), 1)
    assert np.array_equal(per_set, counts)  # each set's rows land in the splits exactly as solved


def test_a_set_of_two_to_the_32_rows_takes_the_permutation():
    assert walk_of(np.array([3, _WALK_LIMIT]), 0) is None


def test_the_local_cluster_workers_keep_glibcs_own_memory_thresholds():
    """distributed starts workers with MALLOC_TRIM_THRESHOLD_=65536, which made every large array be mapped
    and faulted in afresh (the 100M passes ~1.4x the CPU); the engine's local cluster leaves it out."""
    from distributed import LocalCluster

    from core.cluster import open_client

    with LocalCluster(n_workers=1, processes=True, dashboard_address=":0"):  # distributed's defaults, started first:
        pass  # its nanny leaves MALLOC_TRIM_THRESHOLD_ in this process's environment
    with open_client(n_workers=1) as client:
        seen = client.run(lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS")))
    assert list(seen.values()) == [(None, "1")]


@pytest.mark.slow
def test_a_rare_regression_bin_gets_the_in_memory_words_on_the_cluster(tmp_path):
    """The Dask engine said 'merge rare classes' for a regression task's bins, where the in-memory engine says to
    use fewer bins (new-user trial 6, item 7): both now word it with core.splits.rare_line."""
    import pandas as pd

    from core.cluster import open_client, split_dataset
    from core.splits import SplitConfig, split
    from core.tasks import Task
    from tests.cluster import write_parquet

    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame({"a": (rng.random(n) < 0.3).astype(np.int8), "y": np.nan, "x": rng.normal(size=n)})
    df.loc[:5, "y"] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]  # 6 labelled values in 5 bins: none reaches every fold
    tasks = (Task("a", ("a",), "binary"), Task("y", ("y",), "regression"))
    config = SplitConfig(strategy="stratified", n_folds=5, seed=1)
    in_memory = [w for w in split(df, tasks, config).warnings if "too rare" in w]
    with open_client(n_workers=1) as client:
        done = split_dataset(write_parquet(df, tmp_path / "data", parts=2), tasks, config, tmp_path / "out",
                             client=client)
    assert in_memory and "use fewer bins for regression tasks (n_bins) or fewer splits" in in_memory[0]
    assert [w for w in done.warnings if "too rare" in w] == in_memory


def test_a_trim_threshold_the_user_set_is_kept(monkeypatch):
    """Only distributed's own value, left behind by an earlier cluster's nanny, is removed."""
    from core.cluster import local_cluster

    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "1048576")
    with local_cluster(n_workers=1):
        pass
    assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "1048576"
