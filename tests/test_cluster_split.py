"""core.cluster on a real LocalCluster (2 worker processes): every strategy against the in-memory engine."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from core.cluster import diagnose_split, sample_table, split_dataset
from core.diagnostics import label_distribution, leakage, split_quality
from core.errors import ConfigError, DataError
from core.splits import SplitConfig, split
from core.splits.stratify import largest_remainder
from core.tasks import Task, encode_tasks
from tests.cluster import TASKS, assignment, frame, two_workers, write_csv, write_parquet

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def client():
    with two_workers() as client:
        yield client


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    df = frame()
    return df, write_parquet(df, tmp_path_factory.mktemp("rows"))


def _in_memory(df, config, tasks=TASKS) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return split(df, tasks, config).assignment.to_numpy()


SAME_AS_MEMORY = {
    "stratified": SplitConfig(seed=4),
    "stratified order 2, folds": SplitConfig(n_folds=3, order=2, seed=1),
    "hash": SplitConfig(strategy="hash", id_column="id", seed=5),
    "hash by group": SplitConfig(strategy="hash", group_column="t"),
    "group": SplitConfig(strategy="group", group_column="g", seed=2),
    "group order 2, folds": SplitConfig(strategy="group", group_column="g", n_folds=3, order=2),
    "stratified over groups": SplitConfig(strategy="stratified", group_column="g"),
    "random over groups": SplitConfig(strategy="random", group_column="g", seed=9),
    "time with gap": SplitConfig(strategy="time", time_column="t", gap=2),
    "time, groups first": SplitConfig(strategy="time", time_column="t", group_column="g"),
    "time, groups last": SplitConfig(strategy="time", time_column="t", group_column="g", group_time="last"),
    "time, rows": SplitConfig(strategy="time", time_column="t", group_column="g", group_time="rows"),
    "predefined": SplitConfig(strategy="predefined", split_column="given"),
}


SLOW = {"stratified order 2, folds", "time, groups first", "hash by group", "group order 2, folds", "stratified over groups", "random over groups", "time, groups last",
        "time, rows"}


@pytest.mark.parametrize(
    "name", [pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name for name in SAME_AS_MEMORY]
)
def test_the_assignment_is_the_in_memory_one(name, client, data, tmp_path):
    df, folder = data
    config = SAME_AS_MEMORY[name]
    result = split_dataset(folder, TASKS, config, tmp_path / "out", client=client)
    assert (assignment(tmp_path / "out") == _in_memory(df, config)).all()
    _check_scores_equal(df, result.diagnosis, assignment(tmp_path / "out"))


def _check_scores_equal(df, diagnosis, got, tasks=TASKS, n_bins=5):
    """LD, ED, LPD, FZ, FLZ and the label counts from counts equal the in-memory ones on the same rows."""
    encoded = encode_tasks(df, tasks, n_bins)
    memory = split_quality(encoded.matrix, got, diagnosis.fractions)
    mine = diagnosis.quality
    for score in ("ld", "ed", "lpd", "fz", "flz", "max_gap", "ld_random", "lpd_random"):
        assert getattr(mine, score) == pytest.approx(getattr(memory, score), abs=1e-12, rel=1e-12), score
    pd.testing.assert_frame_equal(mine.by_split, memory.by_split, rtol=1e-12, atol=1e-12)
    counts = label_distribution(df, encoded, pd.Series(got, index=df.index)).counts
    pd.testing.assert_frame_equal(diagnosis.label_counts(), counts, check_dtype=False, rtol=1e-12)


def test_stratified_scores_equal_the_in_memory_ones_on_30000_rows(client, tmp_path):
    """Up to exact_rows rows the cluster runs the in-memory solver on every row's label set in data order: the
    same assignment, so LD, ED, LPD, FZ and FLZ equal the in-memory engine's to 1e-12 (a table the other
    tests do not use: 30,000 rows in 7 files)."""
    df = frame(30_000, seed=11)
    folder = write_parquet(df, tmp_path / "rows", parts=7)
    config = SplitConfig(fractions={"train": 0.6, "val": 0.2, "test": 0.2}, seed=3)
    result = split_dataset(folder, TASKS, config, tmp_path / "out", client=client, checks=())
    memory = _in_memory(df, config)
    assert (assignment(tmp_path / "out") == memory).all()
    encoded = encode_tasks(df, TASKS)
    in_memory = split_quality(encoded.matrix, memory, dict(config.fractions))
    for score in ("ld", "ed", "lpd", "fz", "flz"):
        assert getattr(result.diagnosis.quality, score) == pytest.approx(getattr(in_memory, score), abs=1e-12, rel=0)
    _check_scores_equal(df, result.diagnosis, memory)


def test_stratified_beyond_exact_rows_gives_the_in_memory_sizes_and_each_label_set_its_share(client, data, tmp_path):
    """Beyond exact_rows (forced here with exact_rows=0) the distributed stratified split deals each label set's
    whole blocks: it may pick other rows of a label set than the in-memory one, but every set's rows per split
    are within D-1 rows of its share (whole blocks of D = 20 rows dealt 14/3/3, the rest by the engine), the
    sizes are the largest-remainder ones, and LD and LPD stay within a small margin of the in-memory engine's."""
    df, folder = data
    config = SplitConfig(seed=4)
    result = split_dataset(folder, TASKS, config, tmp_path / "out", client=client, exact_rows=0)
    got = assignment(tmp_path / "out")
    sizes = pd.Series(got).value_counts().reindex(config.split_names).to_numpy()
    assert sizes.tolist() == largest_remainder(len(df), config.shares).tolist()
    counts = result.diagnosis.counts
    rows = counts.sum(axis=1, keepdims=True)
    assert np.abs(counts - rows * config.shares[None, :]).max() < 20 - 1
    memory = _in_memory(df, config)
    encoded = encode_tasks(df, TASKS)
    in_memory = split_quality(encoded.matrix, memory, dict(config.fractions))
    assert result.diagnosis.quality.ld <= 1.5 * in_memory.ld + 1e-4
    assert result.diagnosis.quality.lpd <= 1.5 * in_memory.lpd + 1e-4
    _check_scores_equal(df, result.diagnosis, got)


def test_a_label_column_of_large_integers_splits_beyond_exact_rows(client, tmp_path):
    """Two label values near 3e9 (a small range of values int32 cannot hold) failed pass 1 on the workers."""
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"big": rng.choice([3_000_000_001, 3_000_000_002], 2_000),
                       **{f"y{i}": (rng.random(2_000) < 0.3).astype(np.int8) for i in range(29)}})
    folder = write_parquet(df, tmp_path / "rows")
    tasks = (Task("big", ("big",), "multiclass"), Task("ys", tuple(f"y{i}" for i in range(29)), "multilabel"))
    config = SplitConfig(seed=2)
    split_dataset(folder, tasks, config, tmp_path / "out", client=client, exact_rows=0, checks=())
    got = pd.Series(assignment(tmp_path / "out"))
    assert got.value_counts().reindex(config.split_names).tolist() == largest_remainder(2_000, config.shares).tolist()


@pytest.mark.parametrize(("group", "exact_rows"), [(None, 2_000_000), (None, 0), ("g", 0)])
def test_130_folds_are_written_and_read_back(client, data, tmp_path, group, exact_rows):
    """Split codes were one signed byte: beyond 127 splits they wrapped (an ArrowIndexError on write)."""
    df, folder = data
    config = SplitConfig(strategy="stratified", n_folds=130, group_column=group, seed=3)
    split_dataset(folder, TASKS, config, tmp_path / "out", client=client, exact_rows=exact_rows, checks=())
    got = pd.Series(assignment(tmp_path / "out"))
    assert set(got) == set(config.split_names)
    if group is None:
        assert got.value_counts().reindex(config.split_names).tolist() == largest_remainder(
            len(df), config.shares).tolist()
    if exact_rows > 0:
        assert (got.to_numpy() == _in_memory(df, config)).all()


@pytest.mark.parametrize("kind", ["Int64", "leading zeros", "zoned time"])
def test_the_id_column_reads_back_as_written(client, tmp_path, kind):
    """The split was written by pyarrow without pandas' metadata: a nullable Int64 id read back as float64."""
    df = frame(400, seed=4)
    ids = {"Int64": pd.array([None, *range(1, 400)], dtype="Int64"),
           "leading zeros": [f"{i:05d}" for i in range(400)],
           "zoned time": pd.date_range("2026-01-01", periods=400, freq="h", tz="Europe/Paris")}[kind]
    df["key"] = ids
    folder = write_parquet(df, tmp_path / "rows", parts=2)
    config = SplitConfig(seed=1, id_column="key")
    split_dataset(folder, TASKS, config, tmp_path / "out", client=client, checks=())
    back = pd.read_parquet(tmp_path / "out" / "assignment").sort_values("row")["key"].reset_index(drop=True)
    pd.testing.assert_series_equal(back, df["key"], check_names=False)


def test_random_cuts_the_largest_remainder_sizes(client, data, tmp_path):
    df, folder = data
    config = SplitConfig(strategy="random", fractions={"train": 0.6, "val": 0.25, "test": 0.15}, seed=1)
    split_dataset(folder, TASKS, config, tmp_path / "out", client=client)
    got = pd.Series(assignment(tmp_path / "out")).value_counts().reindex(config.split_names)
    assert got.tolist() == largest_remainder(len(df), config.shares).tolist()


def test_regression_bins_on_cluster_quantiles_equal_the_in_memory_bins(client, data, tmp_path):
    df, folder = data
    tasks = (Task("score", ("score",), "regression"),)
    result = split_dataset(folder, tasks, SplitConfig(n_bins=7), tmp_path / "out", client=client)
    encoded = encode_tasks(df, tasks, 7)
    assert result.diagnosis.labels == encoded.labels
    _check_scores_equal(df, result.diagnosis, assignment(tmp_path / "out"), tasks, 7)


def test_the_same_data_and_seed_give_the_same_split_on_one_worker(client, data, tmp_path):
    from distributed import Client, LocalCluster

    _, folder = data
    config = SplitConfig(seed=11)  # exact_rows=0: the block deal, placed on the workers (rows within sets by rank)
    split_dataset(folder, TASKS, config, tmp_path / "two", client=client, exact_rows=0)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0") as cluster, \
            Client(cluster) as one:
        split_dataset(folder, TASKS, config, tmp_path / "one", client=one, exact_rows=0)
    assert (assignment(tmp_path / "one") == assignment(tmp_path / "two")).all()
    a = pd.read_parquet(tmp_path / "one" / "assignment" / "part-00002.parquet")
    b = pd.read_parquet(tmp_path / "two" / "assignment" / "part-00002.parquet")
    pd.testing.assert_frame_equal(a, b)


def test_csv_globs_split_like_parquet(client, data, tmp_path):
    df, _ = data
    pattern = write_csv(df[["id", "a", "b", "c"]], tmp_path / "csv")
    config = SplitConfig(strategy="hash", id_column="id", seed=3)
    split_dataset(pattern, (), config, tmp_path / "out", client=client)
    assert (assignment(tmp_path / "out") == _in_memory(df, config, ())).all()


@pytest.mark.slow
def test_leakage_checks_are_exact(client, data, tmp_path):
    df, folder = data
    config = SplitConfig(strategy="random", seed=3)  # rows at random: groups straddle, time overlaps
    features = ["x1", "x2"]
    result = split_dataset(folder, TASKS, config, tmp_path / "out", client=client, feature_columns=features)
    got = assignment(tmp_path / "out")
    memory = leakage(df, got, tasks=TASKS, group_column="g", time_column="t", feature_columns=features,
                     checks=("group", "duplicates", "time")).checks.set_index("check")
    mine = result.diagnosis.leakage.set_index("check")
    # random rows: the check sees the group column only when the split names one
    assert mine.loc["group", "status"] == "skipped"
    grouped = diagnose_split(folder, TASKS, tmp_path / "out", client=client, feature_columns=features,
                             config=SplitConfig(strategy="random", seed=3, group_column="g"))
    assert grouped.leakage.set_index("check").loc["group", "count"] == memory.loc["group", "count"] > 0
    assert mine.loc["duplicates", "count"] == memory.loc["duplicates", "count"] > 0
    assert mine.loc["duplicates", "status"] == memory.loc["duplicates", "status"]
    timed = split_dataset(folder, TASKS, SplitConfig(strategy="random", seed=3, group_column="g"), tmp_path / "t",
                          client=client, feature_columns=features)
    del timed
    time_config = SplitConfig(strategy="time", time_column="t", seed=3)
    by_time = split_dataset(folder, TASKS, time_config, tmp_path / "time", client=client, feature_columns=features)
    expected = leakage(df, assignment(tmp_path / "time"), tasks=TASKS, time_column="t", feature_columns=features,
                       checks=("time",)).checks.set_index("check").loc["time"]
    assert by_time.diagnosis.leakage.set_index("check").loc["time", "status"] == expected["status"]
    assert by_time.diagnosis.leakage.set_index("check").loc["time", "detail"] == expected["detail"]


def test_the_time_check_is_exact_for_splits_that_do_not_split_by_time(client, tmp_path):
    """A time column set on a stratified or random split: the exact time-overlap check over every row, worded and
    counted as in memory (dates: the end of train as a timestamp; folds: the ranges path)."""
    df = frame(3_000, seed=5)
    df["day"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(df["t"], unit="D")
    folder = write_parquet(df, tmp_path / "rows", parts=3)
    for name, config in {"stratified": SplitConfig(time_column="day", group_column="g", seed=1),
                         "random folds": SplitConfig(strategy="random", n_folds=3, time_column="t", seed=2)}.items():
        result = split_dataset(folder, TASKS, config, tmp_path / name, client=client, checks=("time",))
        expected = leakage(df, assignment(tmp_path / name), tasks=TASKS, time_column=config.time_column,
                           checks=("time",)).checks.set_index("check").loc["time"]
        got = result.diagnosis.leakage.set_index("check").loc["time"]
        assert (got["status"], got["detail"]) == (expected["status"], expected["detail"]), name
        assert got["count"] == expected["count"] > 0, name


def test_the_default_features_leave_out_id_like_columns(client, data, tmp_path):
    """As in memory, the duplicate check's default features drop id-like columns (``id``: a different value in
    every row would make every row unique): g, t, x1, x2 and given are compared, 5 columns."""
    df, folder = data
    result = split_dataset(folder, TASKS, SplitConfig(strategy="random", seed=3), tmp_path / "out", client=client)
    detail = result.diagnosis.leakage.set_index("check").loc["duplicates", "detail"]
    assert "5 feature columns" in detail or "over 5 columns" in detail, detail


@pytest.mark.slow
def test_diagnose_split_reads_a_written_split(client, data, tmp_path):
    df, folder = data
    split_dataset(folder, TASKS, SplitConfig(seed=8), tmp_path / "out", client=client)
    diagnosis = diagnose_split(folder, TASKS, tmp_path / "out", client=client)
    _check_scores_equal(df, diagnosis, assignment(tmp_path / "out"))


def test_a_failing_split_leaves_no_output(client, data, tmp_path):
    df, _ = data
    broken = df.copy()
    broken.loc[4_000, "id"] = np.nan  # a hash split needs every id: the worker that meets it fails
    folder = write_parquet(broken, tmp_path / "rows")
    with pytest.raises(DataError, match="missing values"):
        split_dataset(folder, (), SplitConfig(strategy="hash", id_column="id"), tmp_path / "out", client=client)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows"]


@pytest.mark.slow
def test_an_earlier_output_is_replaced_whole_and_anything_else_refused(client, data, tmp_path):
    _, folder = data
    config = SplitConfig(strategy="hash", id_column="id")
    split_dataset(folder, (), config, tmp_path / "out", client=client)
    split_dataset(folder, (), SplitConfig(strategy="hash", id_column="id", seed=1), tmp_path / "out", client=client)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    (tmp_path / "mine").mkdir()
    with pytest.raises(DataError, match="not a split output"):
        split_dataset(folder, (), config, tmp_path / "mine", client=client)


def test_bad_input_is_one_line(client, data, tmp_path):
    _, folder = data
    with pytest.raises(DataError, match="No data at"):
        split_dataset(tmp_path / "nowhere", TASKS, SplitConfig(), tmp_path / "out", client=client)
    with pytest.raises(DataError, match="group_column='nope' is not a column"):
        split_dataset(folder, TASKS, SplitConfig(strategy="group", group_column="nope"), tmp_path / "o", client=client)
    with pytest.raises(DataError, match="balances tasks but none is chosen"):
        split_dataset(folder, (), SplitConfig(), tmp_path / "o", client=client)
    with pytest.raises(ConfigError):
        split_dataset(folder, TASKS, {"strategy": "random"}, tmp_path / "o", client=client)


@pytest.mark.parametrize("name, all_columns", [("row", True), ("split", True), ("row", False)])
def test_a_column_named_like_the_outputs_own_is_one_line(client, tmp_path, name, all_columns):
    """The output's `row` and `split` would overwrite a data column of that name (with every column written: a
    pandas ValueError; an id named `row` silently replaced the row numbers)."""
    df = frame(300)
    df = df.rename(columns={"id": name}) if not all_columns else df.assign(**{name: 1})
    folder = write_parquet(df, tmp_path / "data", parts=2)
    config = SplitConfig(strategy="hash", id_column=name if not all_columns else "id")
    with pytest.raises(DataError, match=f"column named '{name}'.*rename that column"):
        split_dataset(folder, (), config, tmp_path / "out", client=client, all_columns=all_columns)
    assert not (tmp_path / "out").exists()


def test_all_columns_are_written_partitioned_by_split(client, data, tmp_path):
    df, folder = data
    config = SplitConfig(strategy="hash", id_column="id", seed=2)
    split_dataset(folder, (), config, tmp_path / "out", client=client, all_columns=True)
    written = pd.read_parquet(tmp_path / "out" / "assignment").sort_values("row").reset_index(drop=True)
    assert (written["split"].astype(str).to_numpy() == _in_memory(df, config, ())).all()
    pd.testing.assert_frame_equal(written[["id", "x1", "x2"]], df[["id", "x1", "x2"]], check_dtype=False)


def test_the_sample_is_stated_uniform_and_carries_the_split(client, data, tmp_path):
    df, folder = data
    split_dataset(folder, (), SplitConfig(strategy="hash", id_column="id"), tmp_path / "out", client=client)
    sample = sample_table(folder, 1_000, seed=1, client=client, split_dir=tmp_path / "out")
    assert 800 < len(sample) < 1_200 and sample["row"].is_monotonic_increasing
    rows = df.iloc[sample["row"]].reset_index(drop=True)
    for column in ("id", "a", "x1", "kind"):  # Dask reads text as pyarrow strings (<NA> for missing)
        assert sample[column].astype(object).where(sample[column].notna()).equals(
            rows[column].astype(object).where(rows[column].notna()))
    assert (sample["split"].to_numpy() == assignment(tmp_path / "out")[sample["row"]]).all()
    again = sample_table(folder, 1_000, seed=1, client=client)
    assert again["row"].tolist() == sample["row"].tolist()


def test_cooccurrence_per_split_and_its_shift_equal_the_in_memory_ones(client, data, tmp_path):
    from core.diagnostics import cooccurrence, cooccurrence_shift

    df, folder = data
    result = split_dataset(folder, TASKS, SplitConfig(strategy="group", group_column="g"), tmp_path / "out",
                           client=client, checks=("group",))
    got = pd.Series(assignment(tmp_path / "out"), index=df.index)
    encoded = encode_tasks(df, TASKS)
    for name in (None, "train", "test"):
        memory = cooccurrence(df, encoded, got, name).counts
        np.testing.assert_array_equal(result.diagnosis.cooccurrence(name).to_numpy(), memory.to_numpy())
    shift = cooccurrence_shift(df, encoded, got, "train", "test").difference
    np.testing.assert_allclose(result.diagnosis.cooccurrence_shift("train", "test").to_numpy(), shift.to_numpy(),
                               atol=1e-12, equal_nan=True)
    checks = result.diagnosis.leakage.set_index("check")["status"]
    assert checks["group"] == "pass" and checks["duplicates"] == "skipped" and checks["time"] == "skipped"


def test_a_class_too_rare_for_every_split_is_a_warning(client, data, tmp_path):
    df, _ = data
    rare = df[["a", "b"]].copy()
    rare["b"] = 0
    rare.loc[[5, 900], "b"] = 1  # two rows cannot reach three splits
    folder = write_parquet(rare, tmp_path / "rows", parts=2)
    with pytest.warns(UserWarning, match=r"1 class\(es\) are too rare .* tags=b \(2 rows\)"):
        split_dataset(folder, (Task("tags", ("a", "b"), "multilabel"),), SplitConfig(), tmp_path / "out", client=client)


def test_a_split_by_label_sets_is_scored_while_the_workers_join(client, data, tmp_path, monkeypatch):
    """Beyond exact_rows the scores come from the plan's counts (the join places exactly these), so the client
    makes them after the join is submitted and before its results are gathered; the same scores as after."""
    import core.cluster._join as join_module
    import core.cluster._split as split_module

    events = []
    early, gather = split_module.early_quality, join_module.run_pass
    monkeypatch.setattr(split_module, "early_quality", lambda *a: events.append("scored") or early(*a))
    monkeypatch.setattr(join_module, "run_pass", lambda *a, **k: events.append("gathered") or gather(*a, **k))
    df, folder = data
    config = SplitConfig(seed=3)
    result = split_dataset(folder, TASKS, config, tmp_path / "out", client=client, exact_rows=0, checks=())
    assert events == ["scored", "gathered"]
    _check_scores_equal(df, result.diagnosis, assignment(tmp_path / "out"))  # the scores are the written parts'


def test_scoring_that_fails_while_the_workers_join_cancels_the_join_and_is_one_line(client, data, tmp_path,
                                                                                     monkeypatch):
    """An error in the early scoring cancels the join's tasks (none still runs or writes), leaves neither the
    output nor its partial folder, and is a one-line DataError."""
    import core.cluster._join as join_module
    import core.cluster._split as split_module

    def fails(*_):
        raise ValueError("no scores\nsecond line")

    joined = {}
    cancel = join_module._cancel_and_wait

    def cancel_and_note(client, futures, graph, *args):  # every task the join submitted, the writes among them
        joined["keys"] = {f.key for f in futures}.union(*(d.__dask_graph__().keys() for d in graph))
        cancel(client, futures, graph, *args)

    monkeypatch.setattr(split_module, "early_quality", fails)
    monkeypatch.setattr(join_module, "_cancel_and_wait", cancel_and_note)
    _, folder = data
    with pytest.raises(DataError, match=r"^Scoring the split failed \(ValueError: no scores") as error:
        split_dataset(folder, TASKS, SplitConfig(seed=3), tmp_path / "out", client=client, exact_rows=0)
    assert "\n" not in str(error.value)
    assert list(tmp_path.iterdir()) == []
    # none of the join's tasks is left on the scheduler, queued or running, and nothing else runs
    assert any("join_part" in str(key) for key in joined["keys"])
    assert not client.run_on_scheduler(join_module._still_held, keys=joined["keys"])
    assert not any(client.processing().values())
