"""Golden assignments: the split every strategy gives on yeast, wagepan and a synthetic set, seeds 0-4.

Written before the package move of issue 13 and kept after it: a refactor of the engine (the
repair stage, the strategy registry, the names module) must give the same splits, bit for bit.
Each case stores the SHA-256 of its split names in row order, so a changed row fails the test.
A deliberate change to the engine regenerates the file:

    TASKSPLIT_WRITE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden_assignments.py

and says so in its commit message.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from core.data import load_builtin
from core.splits import MultiTaskStratifiedKFold, SplitConfig, split
from core.tasks import indicator_matrix

GOLDEN = Path(__file__).parent / "golden" / "assignments.json"
SEEDS = range(5)
DATASETS = ("yeast", "wagepan", "synthetic:3000x12")
CONFIGS = {
    "random": dict(strategy="random"),
    "stratified": dict(strategy="stratified"),
    "stratified-order2": dict(strategy="stratified", order=2),
    "stratified-5fold": dict(strategy="stratified", n_folds=5),
    "random-5fold": dict(strategy="random", n_folds=5),
    "group": dict(strategy="group", group_column="{group}"),
    "group-5fold": dict(strategy="group", group_column="{group}", n_folds=5),
    "time": dict(strategy="time", time_column="{time}"),
    "time-rows-gap": dict(strategy="time", time_column="{time}", group_column="{group}", group_time="rows", gap=1),
    "hash": dict(strategy="hash", id_column="{id}"),
}


@cache
def _dataset(name: str):
    dataset = load_builtin(name)
    frame = dataset.frame
    if dataset.group_column is None:  # yeast and synthetic have no group: make a fixed one
        frame = frame.assign(_group=np.arange(len(frame)) % 97, _time=np.arange(len(frame)) // 50)
        frame = frame.assign(_id=[f"row{i}" for i in range(len(frame))])
        roles = {"group": "_group", "time": "_time", "id": "_id"}
    else:
        roles = {"group": dataset.group_column, "time": dataset.time_column, "id": dataset.group_column}
    return frame, dataset.tasks, roles


def _case_ids():
    cases = [f"{d}|{c}|{s}" for d in DATASETS for c in CONFIGS for s in SEEDS]
    return cases + [f"{d}|sklearn-kfold|{s}" for d in DATASETS for s in SEEDS]


def _digest(case: str) -> str:
    name, config_name, seed = case.split("|")
    if config_name == "sklearn-kfold":
        return _sklearn_digest(name, int(seed))
    frame, tasks, roles = _dataset(name)
    params = {k: (v.format(**roles) if isinstance(v, str) and "{" in v else v) for k, v in CONFIGS[config_name].items()}
    result = split(frame, tasks, SplitConfig(**params, seed=int(seed)))
    names = result.assignment.astype(str).to_numpy()
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]


def _sklearn_digest(name: str, seed: int) -> str:
    """The sklearn-style splitter on the tasks' indicator matrix: its test folds, in order."""
    frame, tasks, _ = _dataset(name)
    y = indicator_matrix(frame, tasks)[0].toarray()
    folds = MultiTaskStratifiedKFold(n_splits=4, shuffle=True, random_state=seed).split(np.zeros(len(frame)), y)
    codes = np.full(len(frame), -1)
    for fold, (_, test) in enumerate(folds):
        codes[test] = fold
    return hashlib.sha256(codes.tobytes()).hexdigest()[:16]


def _golden() -> dict[str, str]:
    return json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}


@pytest.mark.slow
def test_write_golden_when_asked():
    if not os.environ.get("TASKSPLIT_WRITE_GOLDEN"):
        pytest.skip("set TASKSPLIT_WRITE_GOLDEN=1 to rewrite tests/golden/assignments.json")
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps({case: _digest(case) for case in _case_ids()}, indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize("case", _case_ids())
def test_split_is_unchanged(case):
    golden = _golden()
    assert case in golden, f"no golden digest for {case}: run with TASKSPLIT_WRITE_GOLDEN=1 once"
    assert _digest(case) == golden[case]
