"""The quality bench (issue 16) resumes from its per-run cache and rewrites its table after every run."""

from __future__ import annotations

import json

import pytest

import bench.bench_train as bt
from core.model import ModelConfig

DESIGNS = ["hard", "hierarchical"]
WEIGHTINGS = ["equal", "pcgrad"]


class _Result:
    def __init__(self, test):
        self.test = test
        self.history = [type("R", (), {"seconds": 0.5})()] * 2
        self.stopped = "epochs"
        self.message = None


@pytest.fixture
def fake_bench(tmp_path, monkeypatch):
    """The bench on wagepan's real split, with train()/baselines replaced by instant fakes that count calls."""
    calls = []
    monkeypatch.setattr(bt, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr(bt, "RESULTS_DIR", tmp_path)
    monkeypatch.setattr(bt, "CLAIMS_DIR", tmp_path / "claims")
    monkeypatch.setattr(bt, "QUALITY_SEEDS", (0, 1))
    monkeypatch.setitem(bt.QUALITY_EPOCHS, "wagepan", 2)

    def metrics(prepared, value):
        return {s.name: {bt.PRIMARY_METRIC[s.kind]: value} for s in prepared.targets}

    def fake_train(prepared, config, model_config):
        calls.append((model_config.architecture, config.weighting, config.seed))
        return _Result(metrics(prepared, 0.6 + 0.01 * config.seed))

    def fake_stl(prepared, config):
        calls.append(("stl", config.seed))
        return {t: _Result({t: v}) for t, v in metrics(prepared, 0.6).items()}

    def fake_trees(prepared, seed):
        return type("B", (), {"test": {"trees": metrics(prepared, 0.7)}})()

    monkeypatch.setattr(bt, "train", fake_train)
    monkeypatch.setattr(bt, "train_baselines", fake_stl)
    monkeypatch.setattr(bt, "tree_baselines", fake_trees)
    return calls, tmp_path


def test_second_call_runs_nothing_and_a_lost_run_is_redone(fake_bench):
    calls, tmp = fake_bench
    bt.quality_dataset("wagepan", DESIGNS, WEIGHTINGS)
    assert len(calls) == 2 + 2 * 2 * 2  # baselines per seed + every (design, weighting, seed)
    calls.clear()
    text = bt.quality_dataset("wagepan", DESIGNS, WEIGHTINGS)
    assert calls == []
    assert "8 of 8 runs done" in text and "Still missing" not in text
    (tmp / "cache" / "wagepan" / "hard-pcgrad-seed1.json").unlink()
    bt.quality_dataset("wagepan", DESIGNS, WEIGHTINGS)
    assert calls == [("hard", "pcgrad", 1)]


def test_interrupted_run_leaves_a_table_naming_the_missing_rows(fake_bench, monkeypatch):
    calls, tmp = fake_bench
    original = bt.train

    def dies_on_third(prepared, config, model_config):
        if len([c for c in calls if c[0] != "stl"]) == 2:
            raise KeyboardInterrupt
        return original(prepared, config, model_config)

    monkeypatch.setattr(bt, "train", dies_on_third)
    with pytest.raises(KeyboardInterrupt):
        bt.quality_dataset("wagepan", DESIGNS, WEIGHTINGS)
    table = (tmp / "train_quality_wagepan.md").read_text()
    assert "2 of 8 runs done" in table
    assert ("Still missing (seeds): hard/equal (1), hard/pcgrad (1), hierarchical/equal (2), "
            "hierarchical/pcgrad (2).") in table
    assert not list((tmp / "claims" / "wagepan").iterdir())  # the claim of the interrupted run is released


def test_cached_run_with_other_settings_is_not_used(fake_bench, monkeypatch):
    calls, tmp = fake_bench
    bt.quality_dataset("wagepan", DESIGNS, WEIGHTINGS)
    path = tmp / "cache" / "wagepan" / "hard-equal-seed0.json"
    record = json.loads(path.read_text())
    record["settings"]["train"]["epochs"] = 99
    path.write_text(json.dumps(record))
    assert bt.load_cached("wagepan", ("hard", "equal", 0)) is None
    assert bt.load_cached("wagepan", ("hard", "equal", 1)) is not None


def test_rows_never_measured_come_first_within_each_seed():
    jobs = bt.quality_jobs("flights", ["hard", "soft"], ["equal", "mgda"])
    assert jobs[:4] == [("baselines", 0), ("hard", "mgda", 0), ("soft", "equal", 0), ("soft", "mgda", 0)]
    assert jobs[4] == ("hard", "equal", 0)  # measured before the cache existed: last in its seed


def test_hierarchical_on_flights_is_not_the_hard_trunk():
    config = bt._model("hierarchical", "flights")
    assert dict(config.head_depth) == {"late_arrival": 1, "cancelled": 1}
    assert bt._model("hierarchical", "wagepan") == ModelConfig(architecture="hierarchical")


def test_a_stop_file_ends_the_queue_and_table_only_runs_nothing(fake_bench):
    calls, tmp = fake_bench
    (tmp / "claims" / "wagepan").mkdir(parents=True)
    (tmp / "claims" / "wagepan" / "STOP").touch()
    text = bt.quality_dataset("wagepan", DESIGNS, WEIGHTINGS)
    assert calls == [] and "0 of 8 runs done" in text
    (tmp / "claims" / "wagepan" / "STOP").unlink()
    assert "0 of 8 runs done" in bt.quality_dataset("wagepan", DESIGNS, WEIGHTINGS, run=False) and calls == []


def test_a_table_made_before_the_cache_is_kept_until_a_cached_run_replaces_it(fake_bench, monkeypatch):
    calls, tmp = fake_bench
    (tmp / "train_quality_wagepan.md").write_text("#### wagepan: the full table of the 10:00 run\n")
    assert bt.quality_dataset("wagepan", DESIGNS, WEIGHTINGS, run=False).startswith("#### wagepan: the full table")
    bt.quality_dataset("wagepan", DESIGNS, WEIGHTINGS)
    assert "8 of 8 runs done" in (tmp / "train_quality_wagepan.md").read_text()


def test_rows_of_the_table_made_before_the_cache_stay_and_only_the_new_design_runs(fake_bench):
    calls, tmp = fake_bench
    (tmp / "cache" / "wagepan").mkdir(parents=True)
    (tmp / "cache" / "wagepan" / bt.PRECACHE).write_text(
        "| design | weighting | a | b | c | d | e |\n|---|---|---|---|---|---|---|\n"
        "| hard | equal | +0.6% ± 4.6% | +3.4% ± 1.1% | 5 of 7 | 25 | 0.014 |\n"
        "| hard | pcgrad | +0.6% ± 5.3% | +3.5% ± 1.6% | 5 of 7 | 25 | 0.033 |\n"
        "(`python -m bench.bench_train quality wagepan`, 2026-12-07 11:29 UTC; designs hard.)\n")
    text = bt.quality_dataset("wagepan", DESIGNS, WEIGHTINGS)
    assert sorted(c for c in calls if c[0] != "stl") == [("hierarchical", w, s) for w in WEIGHTINGS for s in (0, 1)]
    assert "| hard | pcgrad | +0.6% ± 5.3% | +3.5% ± 1.6% | 5 of 7 | 25 | 0.033 | 3 † |" in text
    assert "4 of 4 runs done" in text and "† measured 2026-12-07 11:29 UTC" in text
    assert "| hierarchical | equal |" in text and "Still missing" not in text
