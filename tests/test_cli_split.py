"""`python -m core split`: writes columns row and split; bad input exits 2 with one stderr line."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
OCCUPATION = "occupation=" + "+".join(f"occ{i}" for i in range(1, 10))


def run_split(line: str, out: Path) -> subprocess.CompletedProcess:
    """Run ``python -m core split LINE --out OUT`` (LINE split like a shell would)."""
    command = [sys.executable, "-m", "core", "split", *shlex.split(line), "--out", str(out)]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("data") / "small.csv"
    pd.DataFrame(
        {
            "y": [0, 1, 0, 1, 1],
            "one": ["x"] * 5,
            "when": ["soon", "later", "then", "now", "never"],
            "given": ["train", "train", "test", None, "test"],
        }
    ).to_csv(path, index=False)
    return path


def test_builtin_wagepan_with_kinds_and_a_multi_column_task(tmp_path, wagepan):
    out = tmp_path / "split.csv"
    done = run_split(
        f"builtin:wagepan --task union --task lwage:regression --task {OCCUPATION} --seed 7", out
    )
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    assert list(table.columns) == ["row", "split"]
    assert table["row"].tolist() == list(range(len(wagepan.frame)))
    assert set(table["split"]) == {"train", "val", "test"}
    assert table["split"].value_counts().to_dict() == {"train": 3052, "val": 654, "test": 654}


def test_a_builtin_task_by_name_is_the_task_the_dataset_defines(tmp_path):
    """wagepan's occupation is not a column but the dataset's task over occ1..occ9: naming it picks that task
    (the same split as spelling its columns out), and a kind it cannot take is one clear line."""
    by_name, spelled = tmp_path / "by_name.csv", tmp_path / "spelled.csv"
    assert run_split("builtin:wagepan --task union --task occupation --seed 3", by_name).returncode == 0
    assert run_split(f"builtin:wagepan --task union --task {OCCUPATION} --seed 3", spelled).returncode == 0
    assert pd.read_csv(by_name).equals(pd.read_csv(spelled))
    done = run_split("builtin:wagepan --task occupation:regression", tmp_path / "bad.csv")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "occupation" in done.stderr


def test_group_folds_keep_groups_whole_and_parquet_by_extension(tmp_path, wagepan):
    out = tmp_path / "split.parquet"
    done = run_split("builtin:wagepan --task union --strategy group --group nr --folds 5 --order 2", out)
    assert done.returncode == 0, done.stderr
    table = pd.read_parquet(out)
    assert set(table["split"]) == {f"fold-{i}" for i in range(5)}
    groups = wagepan.frame["nr"].to_numpy()[table["row"]]
    assert (table.groupby(groups)["split"].nunique() == 1).all()


def test_time_with_gap_and_hash_by_id(tmp_path, wagepan):
    out = tmp_path / "time.csv"
    line = "builtin:wagepan --task union --strategy time --time year --gap 1 --fractions train=0.6,val=0.2,test=0.2"
    done = run_split(line, out)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    years = wagepan.frame["year"].to_numpy()[table["row"]]
    assert "excluded" in set(table["split"])
    assert years[table["split"] == "train"].max() < years[table["split"] == "test"].min()
    done = run_split("builtin:wagepan --task union --strategy hash --id nr", out)
    assert done.returncode == 0, done.stderr
    assert (pd.read_csv(out).groupby(wagepan.frame["nr"].to_numpy())["split"].nunique() == 1).all()


def test_multilabel_task_from_0_1_columns_with_order_2(tmp_path):
    out = tmp_path / "yeast.csv"
    labels = "+".join(f"Class{i}" for i in range(1, 15))
    done = run_split(f"builtin:yeast --task function={labels} --folds 3 --order 2 --seed 4294967295", out)
    assert done.returncode == 0, done.stderr
    sizes = pd.read_csv(out)["split"].value_counts()
    assert sorted(sizes.index) == ["fold-0", "fold-1", "fold-2"] and sizes.max() - sizes.min() <= 1


def test_predefined_from_a_csv_file(tmp_path, small_csv):
    out = tmp_path / "given.csv"
    done = run_split(f"{small_csv} --task y --strategy predefined --split-column given", out)
    assert done.returncode == 0, done.stderr
    assert pd.read_csv(out)["split"].tolist() == ["train", "train", "test", "excluded", "test"]
    assert "warning:" in done.stderr  # the row with no split value


BAD_INPUT = [
    (["--task", "y", "--group", "nope"], "nope"),
    (["--task", "nope"], "nope"),
    (["--task", "y", "--strategy", "shuffle"], "shuffle"),
    (["--task", "y", "--fractions", "train=0.7,test=0.2"], "sum to 0.9"),
    (["--task", "y", "--fractions", "train=1.2,test=-0.2"], "negative"),
    (["--task", "y", "--folds", "1"], "at least 2"),
    (["--task", "y", "--folds", "7"], "n_folds=7 is greater than the 5 rows"),
    (["--task", "y", "--strategy", "group", "--group", "one"], "single group"),
    (["--task", "y", "--strategy", "time", "--time", "when"], "does not parse"),
    (["--task", "y", "--seed", "-3"], "seed=-3"),
]


@pytest.fixture(scope="module")
def bad_input_runs(small_csv, tmp_path_factory) -> list[tuple[int, str, bool]]:
    """Every BAD_INPUT case through ``core.__main__.main`` in one fresh interpreter (one start-up, not ten)."""
    out = tmp_path_factory.mktemp("out") / "never.csv"
    cases = [["split", str(small_csv), *args, "--out", str(out)] for args, _ in BAD_INPUT]
    code = (
        "import contextlib, io, json, os, sys\n"
        "from core.__main__ import main\n"
        "runs = []\n"
        f"for argv in {cases!r}:\n"
        "    err = io.StringIO()\n"
        "    with contextlib.redirect_stderr(err):\n"
        "        status = main(argv)\n"
        f"    runs.append((status, err.getvalue(), os.path.exists({str(out)!r})))\n"
        "sys.stdout.write(json.dumps(runs))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr  # no case escaped main() with a traceback
    return [tuple(run) for run in json.loads(done.stdout)]


@pytest.mark.parametrize("case", range(len(BAD_INPUT)), ids=[words for _, words in BAD_INPUT])
def test_bad_input_returns_2_with_one_line(bad_input_runs, case):
    status, stderr, wrote = bad_input_runs[case]
    lines = stderr.strip().splitlines()
    assert status == 2 and len(lines) == 1 and BAD_INPUT[case][1] in lines[0], stderr
    assert "Traceback" not in stderr and not wrote


@pytest.mark.parametrize(("args", "words"), [BAD_INPUT[6], BAD_INPUT[8]], ids=["folds", "time"])
def test_bad_input_exit_status_is_2_from_the_real_command(tmp_path, small_csv, args, words):
    out = tmp_path / "never.csv"
    done = run_split(shlex.join([str(small_csv), *args]), out)
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], done.stderr
    assert "Traceback" not in done.stderr and not out.exists()


def test_split_reads_its_settings_from_a_config_or_workspace_file(tmp_path, wagepan):
    """try14 P7: the README says `split --config workspace.json` reads its split settings; it was refused."""
    from core.report import Workspace
    from core.splits import SplitConfig, split

    config = SplitConfig(strategy="group", group_column="nr", n_folds=4, seed=2)
    expected = split(wagepan.frame, wagepan.tasks, config).assignment.tolist()
    (tmp_path / "config.json").write_text(config.to_json())
    (tmp_path / "workspace.json").write_text(Workspace.of(wagepan, wagepan.tasks, config).to_json())
    for name in ("config.json", "workspace.json"):
        out = tmp_path / f"{name}.csv"
        done = run_split(f"builtin:wagepan --config {tmp_path / name}", out)
        assert done.returncode == 0, done.stderr
        assert pd.read_csv(out)["split"].tolist() == expected
    done = run_split(f"builtin:wagepan --config {tmp_path / 'config.json'} --seed 3 --folds 5", tmp_path / "x.csv")
    assert done.returncode == 2 and done.stderr == (
        "error: --config gives the split settings; drop --folds, --seed or drop --config.\n"
    )


def test_an_unwritable_out_is_one_line_naming_the_path_once(tmp_path):
    """try14 P13: pandas' OSError has no filename, and the line ended '... '/nowhere' (file); check the path.'"""
    done = run_split("builtin:penguins", tmp_path / "nowhere" / "split.csv")
    assert done.returncode == 2
    assert done.stderr == (
        f"error: Cannot save file into a non-existent directory: '{tmp_path / 'nowhere'}'; check the path.\n"
    )


def test_every_option_of_every_command_says_what_it_does():
    """try14 P14: `split --help` listed --fractions and --seed with no words."""
    from core.cli._parser import _parser

    commands = next(a for a in _parser()._actions if a.dest == "command").choices
    for name, command in commands.items():
        for action in command._actions:
            assert action.help, f"{name} {'/'.join(action.option_strings) or action.dest} has no help"
