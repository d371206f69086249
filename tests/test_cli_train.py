"""python -m core train: strict JSON with history, test metrics and config; bad input exits 2 with one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def split_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "split.csv"
    done = run("split", "builtin:wagepan", "--strategy", "group", "--group", "nr", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def test_train_writes_the_contract_json(split_file, tmp_path):
    out = tmp_path / "metrics.json"
    done = run("train", "builtin:wagepan", "--split-file", str(split_file), "--epochs", "3",
               "--weighting", "uncertainty", "--seed", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "NaN" not in text and "Infinity" not in text
    metrics = json.loads(text)
    assert {"history", "test", "config"} <= set(metrics)
    assert 1 <= len(metrics["history"]) <= 3
    record = metrics["history"][0]
    assert {"epoch", "seconds", "train_loss", "val_loss", "val_metric", "weights"} <= set(record)
    tasks = {"union", "married", "poorhlth", "lwage", "hours", "occupation", "industry"}
    assert set(record["train_loss"]) == tasks and set(record["weights"]) == tasks
    assert set(metrics["test"]) == tasks
    assert "roc_auc" in metrics["test"]["union"] and "r2" in metrics["test"]["lwage"]


def test_manual_weights_alone_imply_manual_weighting(split_file, tmp_path):
    out = tmp_path / "m.json"
    done = run("train", "builtin:wagepan", "--task", "union", "--task", "married", "--split-file", str(split_file),
               "--epochs", "2", "--weights", "union=3,married=1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    weights = json.loads(out.read_text())["history"][0]["weights"]
    assert weights["union"] > weights["married"]


def test_k_fold_split_trains_on_the_chosen_fold(tmp_path):
    folds = tmp_path / "folds.csv"
    assert run("split", "builtin:penguins", "--folds", "3", "--out", str(folds)).returncode == 0
    out = tmp_path / "f.json"
    done = run("train", "builtin:penguins", "--split-file", str(folds), "--fold", "2", "--epochs", "2", "--out", str(out))
    assert done.returncode == 0, done.stderr
    bad = run("train", "builtin:penguins", "--split-file", str(folds), "--fold", "7", "--epochs", "2", "--out", str(out))
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "extra",
    [["--weighting", "magic"], ["--epochs", "0"], ["--weights", "union=abc"], ["--task", "nope"]],
)
def test_bad_train_input_exits_2_with_one_line(split_file, tmp_path, extra):
    done = run("train", "builtin:wagepan", "--split-file", str(split_file), *extra, "--out", str(tmp_path / "x.json"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
