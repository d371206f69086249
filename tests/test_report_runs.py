"""Issue 16 item 8: the report's runs section (table with baselines and seeds, per-task curves), only when asked."""

from __future__ import annotations

import json

import pytest

from core.model import ModelConfig
from core.report import render_report
from core.tasks import Task
from core.training import EpochRecord, RunWriter, TrainConfig, list_runs, run_config


def write_run(folder, seed: int, test: float) -> None:
    """A finished run of one binary task, written as the trainer writes it (two epochs, trees baseline)."""
    writer = RunWriter(folder, run_config([Task("sex", ("sex",), "binary")], TrainConfig(seed=seed), ModelConfig()))
    for epoch in (1, 2):
        writer.on_epoch(EpochRecord(epoch=epoch, seconds=0.1, train_loss={"sex": 0.7 / epoch},
                                    val_loss={"sex": 0.8 / epoch}, val_metric={"sex": 0.6 + 0.1 * epoch},
                                    weights={"sex": 1.0}, train_total=0.7 / epoch, val_total=0.8 / epoch))
    (writer.path / "metrics.json").write_text(json.dumps({
        "test": {"sex": {"roc_auc": test}}, "best_val": {"sex": {"metric": "roc_auc", "value": 0.8, "epoch": 2}},
        "baselines": {"trees": {"sex": {"roc_auc": 0.9}}}, "delta_m": {"trees": (test - 0.9) / 0.9},
        "early_stop_epoch": None}))
    (writer.path / "status").write_text("done\n")


@pytest.fixture(scope="module")
def runs(penguins, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report_runs")
    for seed, test in ((0, 0.80), (1, 0.84)):
        write_run(folder, seed, test)
    assignment = (["train"] * 3 + ["val", "test"]) * (len(penguins.frame) // 5) + ["train"] * (len(penguins.frame) % 5)
    return assignment, list_runs(folder)


def test_the_runs_section_is_there_only_when_asked(penguins, runs):
    assignment, found = runs
    without = render_report(penguins, penguins.tasks, assignment)
    assert '<section id="runs">' not in without and 'href="#runs"' not in without
    page = render_report(penguins, penguins.tasks, assignment, runs=found)
    section = page[page.index('<section id="runs">'):]
    assert 'href="#runs"' in page
    assert "best val" in section and "at epoch" in section and "Δm vs trees" in section
    assert "Mean ± sd over seeds" in section and " ± " in section
    assert "Loss per task, runs overlaid" in section and "could not be drawn" not in section
    assert found[0].name in section and "0.820 ± 0.028" in section
    assert "On sex the multi-task net (roc_auc 0.800) loses to gradient-boosted trees (0.900)." in section


def test_an_empty_runs_folder_says_so():
    from core.report._runs import runs_section

    assert "The runs folder holds no runs." in runs_section((), None, None)


@pytest.mark.slow
def test_the_report_command_adds_the_runs_of_a_folder(runs, tmp_path):
    from core.__main__ import main

    _, found = runs
    split_file, out = tmp_path / "split.csv", tmp_path / "report.html"
    assert main(["split", "builtin:penguins", "--out", str(split_file)]) == 0
    assert main(["report", "builtin:penguins", "--split-file", str(split_file), "--runs-dir",
                 str(found[0].path.parent), "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert '<section id="runs">' in page and found[0].name in page
    assert main(["report", "builtin:penguins", "--split-file", str(split_file), "--runs-dir",
                 str(split_file), "--out", str(out)]) == 2


def test_the_report_flags_the_tasks_worse_than_a_baseline_on_every_seed(penguins, runs):
    assignment, found = runs
    page = render_report(penguins, penguins.tasks, assignment, runs=found)
    section = page[page.index('<section id="runs">'):]
    assert "Tasks flagged over seeds" in section
    assert ("hard · equal (seeds 0, 1): loses to the trees: sex: worse than the trees on 2 of 2 seeds "
            "(mean roc_auc gain -0.080, -8.9%).") in section
    assert "negative transfer:" not in section  # these runs have no single-task baselines to compare with
