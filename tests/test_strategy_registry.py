"""The strategy registry: every reader reads core.splits.STRATEGIES, so a new strategy is one record.

A toy strategy registered in a test (and only there) shows up as a valid config, splits a frame, is
offered by the CLI and by the Split page, with its own line, and its missing column is named.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.cli._parser import _parser
from core.data import load_builtin
from core.errors import ConfigError
from core.splits import FOLD_STRATEGIES, STRATEGIES, SplitConfig, Strategy, split
from dashboard import link, state
from tests.apptest import open_app

TOY_LINE = "Units dealt in turn, one to each split: a toy that shows a strategy is one record."


def _in_turn(df, tasks, config, units, notes) -> np.ndarray:
    """Unit i to split i mod k: the simplest deal that keeps groups whole."""
    return units.rows(np.arange(units.sizes.size) % len(config.split_names))


TOY = Strategy(name="toy", description=TOY_LINE, codes=_in_turn, folds=True)
TOY_NEEDING_TIME = Strategy(
    name="toy_time", description="A toy that needs a time column.", codes=_in_turn, column="time_column",
    missing_column="Pick a Time column: the toy needs one.",
)


@pytest.fixture
def toy(monkeypatch):
    monkeypatch.setitem(STRATEGIES, TOY.name, TOY)
    monkeypatch.setitem(STRATEGIES, TOY_NEEDING_TIME.name, TOY_NEEDING_TIME)
    return TOY


def test_every_record_is_complete_and_the_old_names_read_the_registry():
    assert list(STRATEGIES) == ["random", "stratified", "group", "time", "hash", "predefined"]
    assert FOLD_STRATEGIES == ("random", "stratified", "group")
    for name, strategy in STRATEGIES.items():
        assert strategy.name == name and strategy.description.endswith(".")
        assert callable(strategy.codes)
        assert strategy.column is None or strategy.missing_column, name
    with pytest.raises(Exception, match="cannot assign"):
        STRATEGIES["random"].folds = False  # frozen


def test_a_registered_strategy_is_a_config_and_splits_a_frame(toy):
    frame = pd.DataFrame({"g": [1, 1, 2, 2, 3, 3, 4, 4], "y": range(8)})
    result = split(frame, [], SplitConfig(strategy="toy", fractions={"train": 0.5, "test": 0.5}))
    assert result.assignment.tolist() == ["train", "test"] * 4
    grouped = split(frame, [], SplitConfig(strategy="toy", n_folds=2, group_column="g"))
    assert grouped.assignment.tolist() == ["fold-0", "fold-0", "fold-1", "fold-1"] * 2  # groups whole
    assert SplitConfig.from_json(SplitConfig(strategy="toy", seed=3).to_json()).strategy == "toy"
    config = SplitConfig(strategy="toy", n_folds=3, seed=5)
    assert link.config_from_params(link.to_params(load_builtin("penguins"), (), config)) == config  # the link
    with pytest.raises(ConfigError, match="strategy 'toy_time' needs time_column; name the column it should read."):
        SplitConfig(strategy="toy_time")
    with pytest.raises(ConfigError, match="n_folds=3 does not apply to strategy 'toy_time'; .*toy,"):
        SplitConfig(strategy="toy_time", time_column="t", n_folds=3)


def test_the_cli_offers_a_registered_strategy_and_splits_with_it(toy, tmp_path):
    split_help = _parser()._subparsers._group_actions[0].choices["split"].format_help()
    assert "predefined, toy or toy_time (default" in " ".join(split_help.split())
    assert "time column (strategy time, toy_time)" in " ".join(split_help.split())
    data, out = tmp_path / "data.csv", tmp_path / "split.csv"
    pd.DataFrame({"y": [0, 1] * 5}).to_csv(data, index=False)
    assert main(["split", str(data), "--task", "y", "--strategy", "toy", "--fractions", "train=0.5,test=0.5",
                 "--out", str(out)]) == 0
    assert pd.read_csv(out)["split"].tolist() == ["train", "test"] * 5


def test_the_split_page_offers_a_registered_strategy_with_its_line(toy):
    at = open_app("split")
    version = at.session_state[state.SPLIT_WIDGETS] if state.SPLIT_WIDGETS in at.session_state else 0  # noqa: SIM401

    def key(name: str) -> str:
        return state.SplitKeys.control(name, version)

    picker = at.selectbox(key=key("strategy"))
    assert picker.options[-2:] == ["toy", "toy_time"]
    picker.select("toy").run()
    assert not at.exception
    assert any(caption.value == TOY_LINE for caption in at.caption)
    assert at.session_state[state.SPLIT_CONFIG].strategy == "toy"
    assert at.radio(key=key("mode"))  # a strategy with folds gets the Fractions | k folds choice
    at.selectbox(key=key("strategy")).select("toy_time").run()  # the Time column picker comes with it, set to wagepan's year
    assert not at.exception and at.session_state[state.SPLIT_CONFIG].strategy == "toy_time"
    at.selectbox(key=key("time")).select("(none)").run()
    assert [error.value for error in at.error] == ["Pick a Time column: the toy needs one."]
