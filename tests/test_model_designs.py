"""The architectures (hard, soft, MMoE, hierarchical, cross-stitch) and the gradient methods, on data with missing labels."""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest
import torch

from core.errors import ConfigError
from core.model import (
    ARCHITECTURES,
    GRADIENT_METHODS,
    WEIGHTINGS,
    CrossStitchModel,
    HierarchicalModel,
    ModelConfig,
    SharedTrunkModel,
    SoftSharingModel,
    make_model,
    make_weighting,
    task_losses,
)
from core.tasks import Task
from core.training import (
    LossScales,
    TrainConfig,
    gates_frame,
    loss_scale_message,
    prepare_split,
    train,
    train_step,
)

HEADS = {"b": ("binary", 1), "m": ("multiclass", 3), "r": ("regression", 1), "l": ("multilabel", 2)}
TINY = {"width": 8, "depth": 2}
EXTRA = {"hard": {}, "soft": {"coupling": 0.01}, "mmoe": {"experts": 3}, "hierarchical": {"head_depth": {"b": 1}},
         "cross_stitch": {}}


def _frame(n: int = 240, seed: int = 0) -> tuple[pd.DataFrame, list[Task], np.ndarray]:
    """Four task kinds, each with about a quarter of its labels missing."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    missing = lambda: rng.random(n) < 0.25  # noqa: E731
    frame = pd.DataFrame(x, columns=list("abcd"))
    frame["b"] = np.where(missing(), np.nan, (x[:, 0] > 0).astype(float))
    frame["m"] = pd.Series(np.array(["p", "q", "r"])[(x[:, 1] > -0.5).astype(int) + (x[:, 1] > 0.5).astype(int)])
    frame.loc[missing(), "m"] = None
    frame["r"] = np.where(missing(), np.nan, 3 * x[:, 2] + x[:, 3])
    frame["l1"], frame["l2"] = (x[:, 3] > 0).astype(int), (x[:, 0] + x[:, 3] > 0).astype(int)
    tasks = [Task("b", ("b",), "binary"), Task("m", ("m",), "multiclass"), Task("r", ("r",), "regression"),
             Task("l", ("l1", "l2"), "multilabel")]
    assignment = rng.choice(["train", "val", "test"], size=n, p=[0.7, 0.15, 0.15])
    return frame, tasks, assignment


@pytest.fixture(scope="module")
def prepared():
    frame, tasks, assignment = _frame()
    return prepare_split(frame, tasks, assignment, feature_columns=list("abcd"))


def _batch(n: int = 16, *, unlabelled: str | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(n, 4, generator=generator)
    y = {
        "b": torch.randint(0, 2, (n,), generator=generator).float(),
        "m": torch.randint(0, 3, (n,), generator=generator),
        "r": torch.randn(n, generator=generator),
        "l": torch.randint(0, 2, (n, 2), generator=generator).float(),
    }
    if unlabelled == "r":
        y["r"] = torch.full((n,), math.nan)
    elif unlabelled == "l":
        y["l"] = torch.full((n, 2), -1.0)
    elif unlabelled is not None:
        y[unlabelled] = torch.full_like(y[unlabelled], -1)
    return x, y


def _config(architecture: str, **changes) -> ModelConfig:
    return ModelConfig(architecture=architecture, **{**TINY, **EXTRA[architecture], **changes})


# --------------------------------------------------------------------------- every design and method trains


@pytest.mark.parametrize("weighting", ["equal", *GRADIENT_METHODS])
@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_every_architecture_and_method_lowers_the_loss_with_missing_labels(prepared, architecture, weighting):
    result = train(prepared, TrainConfig(epochs=4, batch_size=32, patience=None, weighting=weighting),
                   _config(architecture))
    assert result.stopped == "completed"
    assert result.history[-1].train_total < result.history[0].train_total
    assert set(result.test) == set(HEADS)
    assert result.to_dict()["architecture"] == architecture and result.to_dict()["weighting"] == weighting


@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_a_task_without_labels_in_the_batch_adds_nothing_and_does_not_crash(architecture, weighting):
    unlabelled = "bmrl"[(ARCHITECTURES.index(architecture) + WEIGHTINGS.index(weighting)) % 4]  # every kind, in turn
    torch.manual_seed(0)
    model = make_model(4, HEADS, _config(architecture))
    weighting_ = make_weighting(weighting, model.task_names, model=model)
    optimizer = torch.optim.SGD([*model.parameters(), *weighting_.objective_parameters()], lr=0.01)
    x, y = _batch(unlabelled=unlabelled)
    step = train_step(model, weighting_, optimizer, x, y, clip_norm=5.0)
    assert step.ok and int(step.counts[unlabelled]) == 0 and float(step.losses[unlabelled].detach()) == 0.0
    head = model.heads[model.task_names.index(unlabelled)]
    assert head.weight.grad is None or float(head.weight.grad.abs().max()) == 0.0


@pytest.mark.parametrize("weighting", GRADIENT_METHODS)
def test_a_batch_with_no_label_at_all_is_a_step_that_changes_nothing(weighting):
    model = make_model(4, {"b": ("binary", 1)}, _config("hard"))
    before = copy.deepcopy(model.state_dict())
    weighting_ = make_weighting(weighting, model.task_names, model=model)
    step = train_step(model, weighting_, torch.optim.SGD(model.parameters(), lr=0.1), torch.randn(4, 4),
                      {"b": torch.full((4,), -1.0)}, clip_norm=5.0)
    assert step.ok
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


# --------------------------------------------------------------------------- soft sharing


def _copy_into_hard(soft: SoftSharingModel, task: str) -> SharedTrunkModel:
    """An independent hard net of one task holding that task's soft trunk and head."""
    index = soft.task_names.index(task)
    hard = SharedTrunkModel(4, {task: HEADS[task]}, ModelConfig(**TINY))
    linears = [m for m in hard.trunk if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for linear, (weight, bias) in zip(linears, soft.trunks.copy_layers(index), strict=True):
            linear.weight.copy_(weight)
            linear.bias.copy_(bias)
        hard.heads[0].load_state_dict(soft.heads[index].state_dict())
    return hard


def test_soft_sharing_at_coupling_0_gives_each_task_the_gradients_of_its_own_net():
    torch.manual_seed(0)
    soft = make_model(4, HEADS, _config("soft", coupling=0.0))
    assert soft.penalty() is None
    x, y = _batch()
    losses, _ = task_losses(soft(x), y, soft.kinds)
    torch.stack(list(losses.values())).sum().backward()
    for task in HEADS:
        index = soft.task_names.index(task)
        alone = _copy_into_hard(soft, task)
        own, _ = task_losses(alone(x), {task: y[task]}, alone.kinds)
        own[task].backward()
        linears = [m for m in alone.trunk if isinstance(m, torch.nn.Linear)]
        for layer, linear in enumerate(linears):
            torch.testing.assert_close(soft.trunks.weights[layer].grad[index], linear.weight.grad, rtol=1e-5, atol=1e-6)
            torch.testing.assert_close(soft.trunks.biases[layer].grad[index], linear.bias.grad, rtol=1e-5, atol=1e-6)


def test_soft_penalty_is_coupling_times_the_pairwise_squared_differences():
    torch.manual_seed(1)
    soft = make_model(4, HEADS, _config("soft", coupling=0.5))
    parameters = [*soft.trunks.weights, *soft.trunks.biases]
    expected = 0.5 * sum(((p[i] - p[j]) ** 2).sum() for p in parameters for i in range(4) for j in range(i + 1, 4))
    torch.testing.assert_close(soft.penalty(), expected)
    grads = torch.autograd.grad(soft.penalty(), parameters)
    reference = torch.autograd.grad(expected, parameters)
    for got, want in zip(grads, reference, strict=True):
        torch.testing.assert_close(got, want)


def _spread(result) -> float:
    return float(result.model.trunks.spread().detach())


def test_soft_trunks_start_equal_and_a_larger_coupling_keeps_them_closer(prepared):
    assert float(make_model(4, HEADS, _config("soft")).trunks.spread().detach()) == 0.0
    config = TrainConfig(epochs=4, batch_size=32, patience=None)
    spreads = [_spread(train(prepared, config, _config("soft", coupling=c))) for c in (0.0, 0.01, 10.0)]
    assert spreads[0] > spreads[1] > spreads[2] and spreads[2] < 0.01 * spreads[0]


# --------------------------------------------------------------------------- MMoE


def test_mmoe_gates_are_softmax_weights_recorded_per_epoch(prepared):
    model = make_model(4, HEADS, _config("mmoe"))
    gates = model.gate_weights(torch.randn(7, 4))  # (B, T, E)
    assert gates.shape == (7, 4, 3)
    torch.testing.assert_close(gates.sum(-1), torch.ones(7, 4))
    result = train(prepared, TrainConfig(epochs=3, batch_size=32, patience=None), _config("mmoe"))
    for record in result.history:
        assert set(record.gates) == set(HEADS)
        for weights in record.gates.values():
            assert len(weights) == 3 and min(weights) >= 0 and sum(weights) == pytest.approx(1.0, abs=1e-5)
    frame = gates_frame(result.history)
    assert list(frame.columns) == ["epoch", "task", "expert", "weight"] and len(frame) == 3 * 4 * 3
    assert result.to_dict()["history"][0]["gates"]["b"] == pytest.approx(result.history[0].gates["b"])


def test_only_mmoe_records_gates(prepared):
    result = train(prepared, TrainConfig(epochs=1, batch_size=32), _config("hard"))
    assert result.history[0].gates == {} and gates_frame(result.history).empty


# --------------------------------------------------------------------------- hierarchical


def test_hierarchical_heads_read_the_block_their_depth_names():
    torch.manual_seed(0)
    config = ModelConfig(architecture="hierarchical", width=8, depth=3, head_depth={"b": 1, "m": 2})
    model = make_model(4, HEADS, config)
    assert isinstance(model, HierarchicalModel) and model.taps == {"b": 1, "m": 2, "r": 3, "l": 3}
    x = torch.randn(5, 4)
    h1 = model.blocks[0](x)
    h2 = model.blocks[1](h1)
    outputs = model(x)
    torch.testing.assert_close(outputs["b"], model.heads[0](h1).squeeze(-1))
    torch.testing.assert_close(outputs["m"], model.heads[1](h2))
    torch.testing.assert_close(outputs["r"], model.heads[2](model.blocks[2](h2)).squeeze(-1))
    outputs["b"].sum().backward()  # the shallow task's loss reaches block 1 only
    assert model.blocks[0][0].weight.grad is not None
    assert model.blocks[1][0].weight.grad is None and model.blocks[2][0].weight.grad is None


def test_hierarchical_builds_no_block_below_its_deepest_head():
    config = ModelConfig(architecture="hierarchical", width=8, depth=3, head_depth={"b": 1, "m": 1, "r": 2, "l": 2})
    assert len(make_model(4, HEADS, config).blocks) == 2


def test_hard_is_hierarchical_with_every_head_at_the_last_block():
    torch.manual_seed(0)
    hard = make_model(4, HEADS, ModelConfig(**TINY))
    torch.manual_seed(0)
    hierarchical = make_model(4, HEADS, ModelConfig(architecture="hierarchical", **TINY))
    x = torch.randn(6, 4)
    for (name, a), b in zip(hard(x).items(), hierarchical(x).values(), strict=True):
        torch.testing.assert_close(a, b, msg=name)


# --------------------------------------------------------------------------- cross-stitch


def test_cross_stitch_units_mix_the_task_trunks_by_alpha_after_every_layer():
    torch.manual_seed(0)
    model = make_model(4, HEADS, _config("cross_stitch"))
    assert isinstance(model, CrossStitchModel) and tuple(model.alpha.shape) == (2, 4, 4)
    start = model.alpha.detach()
    torch.testing.assert_close(start.diagonal(dim1=1, dim2=2), torch.full((2, 4), 0.9))
    torch.testing.assert_close(start.sum(-1), torch.ones(2, 4))  # each task starts with 10% from the others
    with torch.no_grad():
        model.alpha.copy_(torch.rand(2, 4, 4))  # any mix: the forward must apply exactly this one
    x = torch.randn(5, 4)
    hs = []
    for i in range(4):  # task i's own trunk, layer by layer, each layer's outputs mixed by alpha by hand
        (w0, b0), _ = model.trunks.copy_layers(i)
        hs.append(torch.relu(x @ w0.T + b0))
    mixed = [sum(model.alpha[0, i, j] * hs[j] for j in range(4)) for i in range(4)]
    second = [torch.relu(mixed[i] @ model.trunks.copy_layers(i)[1][0].T + model.trunks.copy_layers(i)[1][1])
              for i in range(4)]
    final = [sum(model.alpha[1, i, j] * second[j] for j in range(4)) for i in range(4)]
    outputs = model(x)
    for i, name in enumerate(model.task_names):
        want = model.heads[i](final[i])
        torch.testing.assert_close(outputs[name], want.squeeze(-1) if HEADS[name][0] in ("binary", "regression")
                                   else want, msg=name)


def test_cross_stitch_with_identity_units_is_independent_nets_and_otherwise_shares():
    torch.manual_seed(0)
    model = make_model(4, HEADS, _config("cross_stitch"))
    x, y = _batch()
    losses, _ = task_losses(model(x), y, model.kinds)
    losses["b"].backward()  # at the start every task's loss reaches every trunk through the units
    assert all(float(model.trunks.weights[0].grad[i].abs().sum()) > 0 for i in range(4))
    assert model.alpha.grad is not None and float(model.alpha.grad.abs().sum()) > 0
    model.zero_grad(set_to_none=True)
    with torch.no_grad():
        model.alpha.copy_(torch.eye(4).expand(2, -1, -1))
    losses, _ = task_losses(model(x), y, model.kinds)
    losses["b"].backward()  # identity units: task b's loss reaches its own trunk only
    index = model.task_names.index("b")
    for layer in range(2):
        grads = model.trunks.weights[layer].grad
        assert float(grads[index].abs().sum()) > 0
        assert all(float(grads[i].abs().sum()) == 0 for i in range(4) if i != index)


def test_cross_stitch_shares_trunks_and_units_and_learns_the_units(prepared):
    model = make_model(4, HEADS, _config("cross_stitch"))
    shared = {id(p) for p in model.shared_parameters()}
    assert id(model.alpha) in shared and all(id(p) in shared for p in model.trunks.parameters())
    assert not any(id(p) in shared for p in model.heads.parameters())
    assert model.last_shared_weight is model.trunks.weights[-1]
    result = train(prepared, TrainConfig(epochs=3, batch_size=32, patience=None), _config("cross_stitch"))
    assert not torch.allclose(result.model.alpha.detach(), model.alpha.detach())  # the units moved


def test_a_single_task_cross_stitch_is_its_own_net(prepared):
    model = make_model(4, {"b": HEADS["b"]}, _config("cross_stitch"))
    torch.testing.assert_close(model.alpha.detach(), torch.ones(2, 1, 1))
    result = train(prepared, TrainConfig(epochs=1, batch_size=32), _config("cross_stitch"), tasks=["b"])
    assert result.model.task_names == ("b",)


# --------------------------------------------------------------------------- config errors


@pytest.mark.parametrize("changes, words", [
    ({"architecture": "star"}, "architecture='star' is unknown"),
    ({"architecture": "hierarchical", "head_depth": {"b": 3}}, "head_depth of task 'b' is 3 but the trunk has 2"),
    ({"architecture": "hierarchical", "head_depth": {"b": 0}}, "use a depth in 1..2"),
    ({"architecture": "hierarchical", "head_depth": {"b": 1.5}}, "whole number"),
    ({"architecture": "mmoe", "experts": 0}, "experts=0 must be at least 1"),
    ({"architecture": "soft", "coupling": -1.0}, "coupling=-1.0 must be a finite number >= 0"),
    ({"architecture": "soft", "coupling": math.inf}, "coupling=inf"),
    ({"architecture": "hard", "head_depth": {"b": 1}}, "used only by architecture='hierarchical'"),
    ({"expert_width": 0}, "expert_width=0"),
])
def test_bad_design_is_a_one_line_config_error(changes, words):
    with pytest.raises(ConfigError, match=words) as caught:
        ModelConfig(**changes)
    assert "\n" not in str(caught.value)


def test_head_depth_of_an_unknown_task_is_a_config_error(prepared):
    with pytest.raises(ConfigError, match="head_depth names task 'nope', which is not one of b, m, r, l"):
        train(prepared, TrainConfig(epochs=1), ModelConfig(architecture="hierarchical", head_depth={"nope": 1}))


def test_a_single_task_baseline_ignores_the_other_tasks_head_depth(prepared):
    config = ModelConfig(architecture="hierarchical", head_depth={"b": 1}, **TINY)
    result = train(prepared, TrainConfig(epochs=1, batch_size=32), config, tasks=["m"])
    assert result.model.taps == {"m": 2}


def test_model_config_round_trips_to_a_plain_dict():
    config = ModelConfig(architecture="hierarchical", head_depth={"b": 1})
    assert config.to_dict()["head_depth"] == {"b": 1}
    assert ModelConfig(**config.to_dict()) == config


# --------------------------------------------------------------------------- loss scales


def _record(losses: dict[str, float]):
    from core.training import EpochRecord

    return EpochRecord(epoch=1, seconds=0.1, train_loss=losses, val_loss={}, val_metric={}, weights={},
                       train_total=sum(losses.values()), val_total=None)


def test_loss_scales_more_than_10x_apart_give_a_warning_naming_both_tasks():
    message = loss_scale_message([_record({"a": 0.01, "b": 0.5, "c": 2.0})])
    assert message.startswith("The first epoch's task losses differ 200x (c 2 vs a 0.01)")
    assert "normalise" in message and "\n" not in message
    assert loss_scale_message([_record({"a": 0.3, "b": 2.9})]) is None
    assert loss_scale_message([_record({"a": 0.01, "b": 2.0})], normalized=True) is None


def test_loss_scales_divide_by_the_running_first_epoch_mean_then_stay_fixed():
    scales = LossScales(["a", "b"])
    one = torch.tensor(1)
    first = scales.divide({"a": torch.tensor(4.0), "b": torch.tensor(0.0)}, {"a": one, "b": torch.tensor(0)})
    assert float(first["a"]) == pytest.approx(1.0) and float(first["b"]) == 0.0
    second = scales.divide({"a": torch.tensor(2.0), "b": torch.tensor(0.5)}, {"a": one, "b": one})
    assert float(second["a"]) == pytest.approx(2.0 / 3.0) and float(second["b"]) == pytest.approx(1.0)
    scales.freeze()
    later = scales.divide({"a": torch.tensor(6.0), "b": torch.tensor(1.0)}, {"a": one, "b": one})
    assert float(later["a"]) == pytest.approx(2.0) and float(later["b"]) == pytest.approx(2.0)


def test_normalising_the_losses_trains_and_silences_the_warning(prepared):
    result = train(prepared, TrainConfig(epochs=3, batch_size=32, patience=None, normalize_losses=True),
                   ModelConfig(**TINY))
    assert result.history[-1].train_total < result.history[0].train_total
    assert result.loss_scale is None and result.to_dict()["config"]["train"]["normalize_losses"] is True


def test_a_rare_binary_task_beside_a_many_class_task_is_warned_about():
    rng = np.random.default_rng(0)
    n = 6000  # ~70 batches: the rare task's loss falls to ~0.05 within the first epoch, 40 classes' stays ~3.7
    frame = pd.DataFrame({"x": rng.normal(size=n), "rare": (rng.random(n) < 0.005).astype(int),
                          "many": rng.integers(0, 40, n).astype(str)})
    tasks = [Task("rare", ("rare",), "binary"), Task("many", ("many",), "multiclass")]
    prepared = prepare_split(frame, tasks, ["train"] * 5000 + ["val"] * 500 + ["test"] * 500, feature_columns=["x"])
    result = train(prepared, TrainConfig(epochs=1, batch_size=64, lr=0.01), ModelConfig(**TINY))
    assert result.loss_scale is not None and "many" in result.loss_scale
    assert result.to_dict()["loss_scale"] == result.loss_scale
