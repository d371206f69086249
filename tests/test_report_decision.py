"""The HTML report carries what a review meeting decides on: the strategy comparison with its recommendation,
and a block for the reviewer's decision and notes (issue 12, item 11)."""

from __future__ import annotations

import html
import re

import pytest

from core.diagnostics import compare_strategies, recommend_strategy
from core.report import comparison_configs, render_report
from core.splits import SplitConfig, split
from core.tasks import Task
from tests.test_report import CLOSER, HOSTILE, hostile_dataset


def section(page: str, anchor: str) -> str:
    found = re.search(rf'<section id="{anchor}"[^>]*>(.*?)</section>', page, flags=re.S)
    assert found, f"no {anchor} section"
    return found.group(1)


@pytest.fixture(scope="module")
def panel_report(wagepan):
    config = SplitConfig(strategy="random", group_column=None, time_column="year", n_folds=3, seed=6)
    result = split(wagepan.frame, wagepan.tasks, config)
    return config, render_report(wagepan, wagepan.tasks, result.assignment, config=config)


def test_the_comparison_section_shows_the_diagnostics_pages_recommendation(wagepan, panel_report):
    config, page = panel_report
    configs = comparison_configs(config, wagepan.group_column, "year")
    assert list(configs) == ["random", "stratified", "group", "time"]
    comparison = compare_strategies(wagepan.frame, wagepan.tasks, configs, group_column=wagepan.group_column)
    expected = recommend_strategy(comparison.to_frame(), group_column=wagepan.group_column, time_column="year")
    body = section(page, "comparison")
    assert f"Recommended: <strong>{expected.config}</strong>: {html.escape(expected.reason)}" in body
    for name in configs:
        assert f"<td>{name}</td>" in body  # a table row per strategy
    assert "Plotly.newPlot" in body  # its chart
    assert "This report's split: random." in body
    assert f"{expected.config}: not this split" in section(page, "overview")  # the header says it at once


def test_the_comparison_uses_the_splits_sizes_and_seed():
    folds = comparison_configs(SplitConfig(n_folds=4, seed=3), None, None)
    assert list(folds) == ["random", "stratified"]
    assert all(c.n_folds == 4 and c.seed == 3 for c in folds.values())
    shares = comparison_configs(SplitConfig(fractions={"train": 0.8, "test": 0.2}), "g", "t")
    assert all(dict(c.fractions) == {"train": 0.8, "test": 0.2} for c in shares.values())
    assert shares["group"].group_column == "g" and shares["time"].time_column == "t"


def test_the_decision_block_comes_last_with_its_fields_and_a_save_button(panel_report):
    _, page = panel_report
    anchors = re.findall(r'<section id="([a-z]+)"', page)
    assert anchors[-1] == "decision" and anchors.index("comparison") < anchors.index("warnings")
    body = section(page, "decision")
    for field in ('type="radio" name="ts-decision" value="accept"', 'type="radio" name="ts-decision" value="revise"',
                  'name="ts-reviewer"', 'type="date" name="ts-date"', '<textarea name="ts-notes"'):
        assert field in body
    assert "Save the report with these notes" in body and "window.print()" in body
    assert '<form class="decision" data-filename="wagepan-reviewed.html"' in body
    assert '<a href="#decision">Decision</a>' in page and '<a href="#comparison">Strategies</a>' in page


def test_the_training_run_comes_before_the_decision(wagepan):
    from core.training import EpochRecord

    config = SplitConfig(seed=2)
    result = split(wagepan.frame, wagepan.tasks, config)
    names = [t.name for t in wagepan.tasks]
    record = EpochRecord(epoch=1, train_loss=dict.fromkeys(names, 0.5), val_loss=dict.fromkeys(names, 0.6),
                         val_metric=dict.fromkeys(names, 0.7), weights=dict.fromkeys(names, 1.0), seconds=0.1,
                         train_total=0.5 * len(names), val_total=0.6 * len(names))
    page = render_report(wagepan, wagepan.tasks, result.assignment, config=config, training=[record])
    anchors = re.findall(r'<section id="([a-z]+)"', page)
    assert anchors[-2:] == ["training", "decision"]


def test_a_hostile_dataset_name_is_escaped_in_the_saved_file_name():
    data = hostile_dataset()
    tasks = [Task(CLOSER, (CLOSER,), "binary")]
    result = split(data.frame, tasks, SplitConfig(strategy="random", seed=1))
    page = render_report(data, tasks, result.assignment, config=result.config)
    found = re.search(r'<form class="decision" data-filename="([^"]*)"', page)
    assert found and re.fullmatch(r"[A-Za-z0-9_.-]+", found.group(1))
    assert HOSTILE not in page
