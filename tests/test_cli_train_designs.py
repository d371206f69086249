"""python -m core train --arch/--coupling/--experts/--head-depth, the gradient methods, --normalize-losses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.__main__ import main


@pytest.fixture(scope="module")
def split_file(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "split.csv"
    assert main(["split", "builtin:penguins", "--out", str(out)]) == 0
    return out


def _train(split_file: Path, out: Path, *extra: str) -> int:
    return main(["train", "builtin:penguins", "--split-file", str(split_file), "--epochs", "2", "--out", str(out),
                 *extra])


@pytest.mark.parametrize("flags, architecture", [
    ((), "hard"),
    (("--arch", "soft", "--coupling", "0.5"), "soft"),
    (("--arch", "mmoe", "--experts", "3"), "mmoe"),
    (("--arch", "hierarchical", "--head-depth", "species=1"), "hierarchical"),
    (("--arch", "cross_stitch"), "cross_stitch"),
])
def test_arch_flags_reach_the_model_and_the_metrics_json(split_file, tmp_path, flags, architecture):
    out = tmp_path / "m.json"
    assert _train(split_file, out, *flags) == 0
    metrics = json.loads(out.read_text())
    assert metrics["architecture"] == architecture and metrics["weighting"] == "equal"
    model = metrics["config"]["model"]
    assert model["architecture"] == architecture
    if architecture == "soft":
        assert model["coupling"] == 0.5
    if architecture == "mmoe":
        assert model["experts"] == 3 and len(metrics["history"][0]["gates"]["species"]) == 3
    if architecture == "hierarchical":
        assert model["head_depth"] == {"species": 1}


@pytest.mark.parametrize("method", ["mgda", "pcgrad", "cagrad", "upgrad"])
def test_weighting_takes_the_gradient_methods(split_file, tmp_path, method):
    out = tmp_path / "g.json"
    assert _train(split_file, out, "--weighting", method) == 0
    metrics = json.loads(out.read_text())
    assert metrics["weighting"] == method and metrics["config"]["train"]["weighting"] == method


def test_normalize_losses_is_recorded(split_file, tmp_path):
    out = tmp_path / "n.json"
    assert _train(split_file, out, "--normalize-losses") == 0
    assert json.loads(out.read_text())["config"]["train"]["normalize_losses"] is True


@pytest.mark.parametrize("flags, words", [
    (("--arch", "star"), "architecture='star' is unknown"),
    (("--arch", "mmoe", "--experts", "0"), "experts=0 must be at least 1"),
    (("--arch", "soft", "--coupling", "-1"), "coupling=-1.0 must be"),
    (("--arch", "hierarchical", "--head-depth", "species=9"), "head_depth of task 'species' is 9"),
    (("--arch", "hierarchical", "--head-depth", "nope=1"), "head_depth names task 'nope'"),
    (("--coupling", "1"), "--coupling applies to --arch soft only"),
    (("--arch", "soft", "--head-depth", "species=1"), "--head-depth applies to --arch hierarchical only"),
    (("--weighting", "nash"), "weighting='nash' is unknown"),
])
def test_bad_design_flags_exit_2_with_one_line(split_file, tmp_path, capsys, flags, words):
    assert _train(split_file, tmp_path / "bad.json", *flags) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "\n" not in err and err.startswith("error: ")


def test_far_apart_loss_scales_warn_on_stderr(split_file, tmp_path, capsys, monkeypatch):
    """The detection is tested in test_model_designs.py; here, that the CLI passes it on as a warning line."""
    from core.training import TrainResult

    line = "The first epoch's task losses differ 40x (a 2 vs b 0.05): a dominates the combined objective."
    monkeypatch.setattr(TrainResult, "loss_scale", property(lambda self: line))
    out = tmp_path / "m.json"
    assert _train(split_file, out) == 0
    err = capsys.readouterr().err
    assert f"warning: {line} Add --normalize-losses to do so." in err
    assert json.loads(out.read_text())["loss_scale"] == line
