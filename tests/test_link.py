"""The page address carries the built-in dataset, tasks and split: a reload or a shared link shows the same split."""

from __future__ import annotations

import pytest

from core.data import load_builtin
from core.errors import ConfigError
from core.splits import SplitConfig
from dashboard import link, state
from tests.apptest import new_app, open_app


@pytest.mark.parametrize(
    "config",
    [
        SplitConfig(),
        SplitConfig(strategy="random", n_folds=4, seed=2**32 - 1),
        SplitConfig(strategy="group", group_column="nr", fractions={"train": 0.6, "test": 0.4}, order=2, n_bins=3),
        SplitConfig(strategy="time", time_column="year", gap=1),
    ],
)
def test_split_settings_round_trip_through_the_address(config):
    params = link.to_params(load_builtin("wagepan"), (), config)
    plain = {key: value for key, value in params.items() if key not in ("dataset", "task")}
    assert link.config_from_params(plain) == config


def test_tasks_round_trip_and_a_foreign_task_is_dropped():
    data = load_builtin("wagepan")
    specs = link.to_params(data, data.tasks, SplitConfig())["task"]
    tasks, dropped = link.tasks_from_params(data, [*specs, "nope:binary"])
    assert tasks == data.tasks and dropped == ["nope:binary"]


def test_bad_address_values_are_one_line_config_errors():
    with pytest.raises(ConfigError, match="seed='x' in the address"):
        link.config_from_params({"seed": "x"})
    with pytest.raises(ConfigError):
        link.config_from_params({"strategy": "magic"})


def test_an_uploaded_dataset_puts_nothing_in_the_address():
    from core.data import dataset_from_frame

    data = dataset_from_frame(load_builtin("penguins").frame, name="mine.csv")
    assert link.to_params(data, data.tasks, SplitConfig()) == {}


def test_a_link_opens_its_dataset_tasks_and_split():
    at = new_app()
    at.query_params["dataset"] = "penguins"
    at.query_params["task"] = ["species:multiclass", "sex:binary"]
    at.query_params["strategy"] = "random"
    at.query_params["folds"] = "3"
    at.query_params["seed"] = "7"
    at.run()
    assert not at.exception and not at.warning
    assert at.session_state[state.DATASET].name == "penguins"
    assert [t.name for t in at.session_state[state.TASKS]] == ["species", "sex"]
    assert at.session_state[state.SPLIT_CONFIG] == SplitConfig(strategy="random", n_folds=3, seed=7)


def test_a_stale_link_falls_back_with_one_warning_per_problem():
    at = new_app()
    at.query_params["dataset"] = "penguins"
    at.query_params["task"] = ["species:multiclass", "gone:binary"]
    at.query_params["seed"] = "minus one"
    at.run()
    assert not at.exception
    assert len(at.warning) == 2
    assert "gone:binary" in at.warning[0].value and "seed" in at.warning[1].value
    assert [t.name for t in at.session_state[state.TASKS]] == ["species"]
    assert at.session_state[state.SPLIT_CONFIG].seed == 0


def test_an_unknown_dataset_in_the_link_opens_the_default():
    at = new_app()
    at.query_params["dataset"] = "iris"
    at.run()
    assert not at.exception
    assert "Unknown built-in dataset 'iris'" in at.warning[0].value
    assert at.session_state[state.DATASET].name == "wagepan"


def test_the_address_follows_the_split():
    at = open_app("split")
    version = at.session_state[state.SPLIT_WIDGETS]
    at.number_input(key=f"split_seed_{version}").set_value(42).run()
    assert not at.exception
    assert at.query_params["seed"] == ["42"] or at.query_params["seed"] == "42"
    assert at.query_params["dataset"] in ("wagepan", ["wagepan"])


def test_a_link_may_name_a_builtin_task_by_name(wagepan):
    tasks, dropped = link.tasks_from_params(wagepan, ["occupation", "union:binary"])
    assert not dropped
    assert [(t.name, len(t.columns), t.kind) for t in tasks] == [("occupation", 9, "multiclass"), ("union", 1, "binary")]
