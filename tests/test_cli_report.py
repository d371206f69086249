"""`python -m core report`: writes the HTML report of a split file; bad input exits 2 with one stderr line."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(line: str) -> subprocess.CompletedProcess:
    """Run ``python -m core LINE`` (LINE split like a shell would)."""
    command = [sys.executable, "-m", "core", *shlex.split(line)]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=180)


@pytest.fixture(scope="module")
def split_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "split.csv"
    done = run(f"split builtin:wagepan --task union --task lwage --strategy group --group nr --seed 3 --out {out}")
    assert done.returncode == 0, done.stderr
    return out


def test_split_then_report_writes_one_self_contained_page(tmp_path, split_file):
    out = tmp_path / "r.html"
    done = run(f"report builtin:wagepan --task union --task lwage --split-file {split_file} --out {out}")
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().splitlines()[-1] == f"wrote {out}"
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script src=" not in page
    assert "<title>Split report: wagepan</title>" in page
    assert "read from a split file" in page  # the command line passes no config
    sizes = pd.read_csv(split_file)["split"].value_counts()
    for name, count in sizes.items():
        assert f"</span>{name}</td><td class=\"num\">{count:,}</td>" in page


def test_report_of_a_parquet_split_file_with_folds(tmp_path):
    split_out = tmp_path / "folds.parquet"
    assert run(f"split builtin:wagepan --task union --folds 3 --out {split_out}").returncode == 0
    out = tmp_path / "folds.html"
    done = run(f"report builtin:wagepan --task union --split-file {split_out} --out {out}")
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert all(f"</span>fold-{k}</td>" in page for k in range(3))


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("row,split\n0,train\n1,test\n", "has 2 rows but wagepan has 4,360"),
        ("position,part\n0,train\n", "needs columns row and split"),
        (None, "No split file at"),
    ],
    ids=["other-data", "wrong-columns", "missing-file"],
)
def test_bad_split_file_exits_2_with_one_line(tmp_path, content, words):
    split_file = tmp_path / "bad.csv"
    if content is not None:
        split_file.write_text(content)
    out = tmp_path / "never.html"
    done = run(f"report builtin:wagepan --task union --split-file {split_file} --out {out}")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0]
    assert "Traceback" not in done.stderr and not out.exists()


def test_report_with_the_config_names_the_strategy_and_refuses_a_foreign_one(tmp_path):
    from core.splits import SplitConfig

    split_file = tmp_path / "s.csv"
    config = SplitConfig(strategy="group", group_column="nr", seed=2)
    done = subprocess.run(
        [sys.executable, "-m", "core", "split", "builtin:wagepan", "--strategy", "group", "--group", "nr",
         "--seed", "2", "--out", str(split_file)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (tmp_path / "c.json").write_text(config.to_json())
    (tmp_path / "folds.json").write_text(SplitConfig(n_folds=5).to_json())
    out = tmp_path / "r.html"
    done = subprocess.run(
        [sys.executable, "-m", "core", "report", "builtin:wagepan", "--split-file", str(split_file),
         "--config", str(tmp_path / "c.json"), "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
        timeout=300)
    assert done.returncode == 0, done.stderr
    assert "group" in out.read_text()
    bad = subprocess.run(
        [sys.executable, "-m", "core", "report", "builtin:wagepan", "--split-file", str(split_file),
         "--config", str(tmp_path / "folds.json"), "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
        timeout=300)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [bad.stderr.strip()] and "fold-0" in bad.stderr
