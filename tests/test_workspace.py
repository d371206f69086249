"""The workspace file (data, tasks, roles, split) and the split config file (issue 12, item 10)."""

from __future__ import annotations

import json

import pytest

from core.cli import read_config_file
from core.data import load_builtin, load_file
from core.errors import ConfigError
from core.report import Workspace, is_workspace, read_split_config
from core.splits import SplitConfig
from core.tasks import Task
from tests.messy import panel_csv


@pytest.fixture(scope="module")
def panel():
    return load_file(panel_csv(n_people=60), "panel.csv")


def test_a_k_fold_config_file_has_no_fractions_and_reads_back_the_same():
    config = SplitConfig(strategy="group", group_column="nr", n_folds=5, seed=3)
    values = json.loads(config.to_json())
    assert "fractions" not in values and values["n_folds"] == 5
    assert SplitConfig.from_json(config.to_json()) == config


def test_fractions_given_with_folds_are_ignored_so_the_config_is_one_value():
    folds = SplitConfig(strategy="random", n_folds=4, fractions={"a": 0.5, "b": 0.5})
    assert folds == SplitConfig(strategy="random", n_folds=4)
    assert SplitConfig.from_json(folds.to_json()) == folds


def test_a_fractions_config_file_keeps_its_fractions():
    config = SplitConfig(fractions={"train": 0.8, "test": 0.2})
    assert json.loads(config.to_json())["fractions"] == {"train": 0.8, "test": 0.2}


def test_the_workspace_carries_data_tasks_roles_and_split(panel):
    tasks = (Task("employed", ("employed",), "binary"), Task("health", ("health",), "multiclass"))
    config = SplitConfig(strategy="group", group_column="person_id", n_folds=3)
    saved = Workspace.of(panel, tasks, config)
    values = json.loads(saved.to_json())
    assert values["data"] == {"name": "panel.csv", "digest": panel.fingerprint, "rows": panel.n_rows,
                              "columns": panel.frame.shape[1]}
    assert values["tasks"] == [{"name": "employed", "columns": ["employed"], "kind": "binary"},
                               {"name": "health", "columns": ["health"], "kind": "multiclass"}]
    assert values["roles"] == {"group": "person_id", "time": panel.time_column, "id": None}
    assert values["config"]["n_folds"] == 3 and "fractions" not in values["config"]
    back = Workspace.from_json(saved.to_json())
    assert back == saved and back.fits(panel) and not back.fits(load_builtin("penguins"))


def test_the_same_file_read_again_fits_its_workspace(panel):
    saved = Workspace.of(panel, panel.tasks, SplitConfig())
    assert saved.fits(load_file(panel_csv(n_people=60), "renamed.csv"))
    assert not saved.fits(load_file(panel_csv(n_people=61), "panel.csv"))


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{nope", "not valid JSON"),
        ('{"format": "tasksplit.Workspace", "version": 7}', "version 7"),
        ('{"format": "tasksplit.Workspace", "version": 1, "data": {"name": "x"}}', "incomplete or damaged"),
        ('{"format": "other"}', "not a TaskSplit workspace"),
    ],
)
def test_a_bad_workspace_is_one_line_config_error(text, words):
    with pytest.raises(ConfigError, match=words) as caught:
        Workspace.from_json(text)
    assert "\n" not in str(caught.value)


def test_the_command_line_reads_the_split_of_a_workspace_or_of_a_config(tmp_path, panel):
    config = SplitConfig(strategy="group", group_column="person_id", seed=9)
    workspace = tmp_path / "w.json"
    workspace.write_text(Workspace.of(panel, panel.tasks, config).to_json())
    plain = tmp_path / "c.json"
    plain.write_text(config.to_json())
    assert read_config_file(str(workspace)) == config == read_config_file(str(plain))
    assert is_workspace(workspace.read_text()) and not is_workspace(plain.read_text())
    assert read_split_config(plain.read_text()) == config
