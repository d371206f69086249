"""SharedTrunkModel, the masked losses and the loss-weighting strategies."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from core.errors import ConfigError
from core.model import WEIGHTINGS, ModelConfig, SharedTrunkModel, make_weighting, masked_loss, task_losses

HEADS = {"b": ("binary", 1), "m": ("multiclass", 4), "l": ("multilabel", 3), "r": ("regression", 1)}


def _targets(n: int = 8) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    regression = torch.randn(n, generator=generator)
    regression[1] = math.nan
    multilabel = torch.randint(0, 2, (n, 3), generator=generator).float()
    multilabel[2] = -1.0
    multilabel[3, 0] = -1.0
    return {
        "b": torch.tensor([1.0, 0.0, -1.0, 1.0, 0.0, 1.0, -1.0, 0.0])[:n],
        "m": torch.tensor([0, 3, 2, -1, 1, 1, 0, -1])[:n],
        "l": multilabel,
        "r": regression,
    }


@pytest.mark.parametrize("norm", ["none", "batch", "layer"])
def test_forward_gives_one_output_per_task_sized_by_kind(norm):
    model = SharedTrunkModel(5, HEADS, ModelConfig(width=16, depth=3, dropout=0.2, norm=norm))
    outputs = model(torch.randn(8, 5))
    assert {name: tuple(out.shape) for name, out in outputs.items()} == {
        "b": (8,), "m": (8, 4), "l": (8, 3), "r": (8,),
    }
    assert sum(isinstance(m, torch.nn.Linear) for m in model.trunk) == 3


def test_task_names_with_dots_and_spaces_are_fine():
    model = SharedTrunkModel(2, {"a.b c": ("binary", 1)})
    assert list(model(torch.zeros(3, 2))) == ["a.b c"]


@pytest.mark.parametrize(
    "changes", [{"width": 0}, {"depth": 0}, {"dropout": 1.0}, {"dropout": -0.1}, {"norm": "group"}]
)
def test_bad_model_config_is_a_config_error(changes):
    with pytest.raises(ConfigError):
        ModelConfig(**changes)


def test_binary_loss_matches_hand_computation():
    loss, count = masked_loss("binary", torch.tensor([0.0, 2.0, 5.0]), torch.tensor([1.0, 0.0, -1.0]))
    expected = (math.log(2) + math.log(1 + math.exp(2))) / 2
    assert int(count) == 2
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_multiclass_loss_is_cross_entropy_over_labelled_rows():
    logits = torch.randn(5, 3, generator=torch.Generator().manual_seed(0))
    target = torch.tensor([0, -1, 2, 1, -1])
    loss, count = masked_loss("multiclass", logits, target)
    keep = target >= 0
    assert int(count) == 3
    assert loss.item() == pytest.approx(F.cross_entropy(logits[keep], target[keep]).item(), rel=1e-6)


def test_regression_loss_is_mse_over_labelled_rows():
    loss, count = masked_loss("regression", torch.tensor([1.0, 2.0, 3.0]), torch.tensor([0.0, math.nan, 5.0]))
    assert int(count) == 2
    assert loss.item() == pytest.approx((1.0 + 4.0) / 2)


def test_multilabel_loss_averages_over_labelled_entries():
    output = torch.zeros(2, 2)
    target = torch.tensor([[1.0, -1.0], [0.0, 1.0]])
    loss, count = masked_loss("multilabel", output, target)
    assert int(count) == 3
    assert loss.item() == pytest.approx(math.log(2), rel=1e-6)


def test_no_labelled_entry_gives_zero_loss_and_zero_gradient():
    for kind, output, target in [
        ("binary", torch.randn(4), torch.full((4,), -1.0)),
        ("multiclass", torch.randn(4, 3), torch.full((4,), -1)),
        ("multilabel", torch.randn(4, 2), torch.full((4, 2), -1.0)),
        ("regression", torch.randn(4), torch.full((4,), math.nan)),
    ]:
        output.requires_grad_(True)
        loss, count = masked_loss(kind, output, target)
        loss.backward()
        assert int(count) == 0 and loss.item() == 0.0
        assert torch.equal(output.grad, torch.zeros_like(output))


def _loss_and_grads(targets, labelled=None):
    model = SharedTrunkModel(4, HEADS, ModelConfig(width=8, depth=2))
    torch.manual_seed(0)
    for parameter in model.parameters():
        torch.nn.init.normal_(parameter, std=0.3)
    x = torch.randn(8, 4, generator=torch.Generator().manual_seed(2))
    outputs = model(x)
    total = 0.0
    for name, output in outputs.items():
        loss, _ = masked_loss(model.kinds[name], output, targets[name], None if labelled is None else labelled[name])
        total = total + loss
    total.backward()
    return total.detach(), [p.grad.clone() for p in model.parameters()]


def test_changing_a_masked_label_changes_neither_loss_nor_gradients():
    targets = _targets()
    labelled = {
        "b": torch.tensor([True, True, False, True, True, True, False, True]),
        "m": torch.tensor([True, True, False, False, True, True, True, False]),
        "l": targets["l"] >= 0,
        "r": ~torch.isnan(targets["r"]),
    }
    clean = {name: torch.where(labelled[name], t, torch.zeros_like(t)) for name, t in targets.items()}
    changed = {name: t.clone() for name, t in clean.items()}
    changed["b"][2], changed["b"][6] = 1.0, 1.0
    changed["m"][2], changed["m"][3] = 3, 1
    changed["l"][~labelled["l"]] = 1.0
    changed["r"][1] = 1000.0
    loss, grads = _loss_and_grads(clean, labelled)
    changed_loss, changed_grads = _loss_and_grads(changed, labelled)
    assert torch.equal(loss, changed_loss)
    assert all(torch.equal(a, b) for a, b in zip(grads, changed_grads, strict=True))
    # ...while changing a labelled entry does change them, so the test can fail.
    changed["b"][0] = 0.0
    assert not torch.equal(loss, _loss_and_grads(changed, labelled)[0])


def test_missing_codes_mask_the_same_as_an_explicit_mask():
    targets = _targets()
    labelled = {
        "b": targets["b"] >= 0, "m": targets["m"] >= 0, "l": targets["l"] >= 0, "r": ~torch.isnan(targets["r"]),
    }
    loss, grads = _loss_and_grads(targets)
    explicit_loss, explicit_grads = _loss_and_grads(targets, labelled)
    assert torch.equal(loss, explicit_loss)
    assert all(torch.isfinite(g).all() for g in grads)
    assert all(torch.equal(a, b) for a, b in zip(grads, explicit_grads, strict=True))


def _train_steps(strategy: str, steps: int = 12, **options):
    torch.manual_seed(0)
    model = SharedTrunkModel(4, HEADS, ModelConfig(width=8, depth=2))
    weighting = make_weighting(strategy, list(HEADS), model=model, **options)
    optimizer = torch.optim.AdamW(list(model.parameters()) + weighting.objective_parameters(), lr=0.05)
    x = torch.randn(8, 4, generator=torch.Generator().manual_seed(3))
    targets = _targets()
    seen = []
    for step in range(steps):
        losses, counts = task_losses(model(x), targets, model.kinds)
        optimizer.zero_grad()
        objective = weighting.backward(losses, counts)
        optimizer.step()
        weighting.step()
        if step % 3 == 2:
            weighting.end_epoch({name: float(loss.detach()) for name, loss in losses.items()})
        seen.append((float(objective), weighting.weights()))
    return weighting, seen


@pytest.mark.parametrize("strategy", WEIGHTINGS)
def test_every_weighting_stays_finite(strategy):
    _, seen = _train_steps(strategy, manual={"b": 2.0})
    for objective, weights in seen:
        assert math.isfinite(objective)
        assert set(weights) == set(HEADS)
        assert all(math.isfinite(w) and w >= 0 for w in weights.values())


def test_gradnorm_moves_the_weights_and_keeps_their_sum():
    _, seen = _train_steps("gradnorm", alpha=1.5)
    final = seen[-1][1]
    assert sum(final.values()) == pytest.approx(len(HEADS), rel=1e-5)
    assert max(final.values()) - min(final.values()) > 1e-3


def test_uncertainty_objective_is_kendall_form():
    weighting = make_weighting("uncertainty", ["a", "b"])
    with torch.no_grad():
        weighting.log_var.copy_(torch.tensor([0.5, -1.0]))
    objective = weighting.objective({"a": torch.tensor(2.0), "b": torch.tensor(3.0)})
    expected = math.exp(-0.5) * 2 + 0.5 + math.exp(1.0) * 3 - 1.0
    assert objective.item() == pytest.approx(expected, rel=1e-6)
    assert weighting.weights()["a"] == pytest.approx(math.exp(-0.5), rel=1e-6)


def test_dwa_weights_follow_the_loss_ratio_of_the_last_two_epochs():
    weighting = make_weighting("dwa", ["a", "b"], temperature=2.0)
    weighting.end_epoch({"a": 1.0, "b": 1.0})
    assert weighting.weights() == {"a": 1.0, "b": 1.0}
    weighting.end_epoch({"a": 0.5, "b": 1.0})
    ea, eb = math.exp(0.5 / 2), math.exp(1.0 / 2)
    assert weighting.weights()["a"] == pytest.approx(2 * ea / (ea + eb), rel=1e-6)
    assert weighting.weights()["b"] == pytest.approx(2 * eb / (ea + eb), rel=1e-6)


def test_manual_weights_scale_the_objective():
    weighting = make_weighting("manual", ["a", "b"], manual={"b": 3.0})
    objective = weighting.objective({"a": torch.tensor(2.0), "b": torch.tensor(1.0)})
    assert objective.item() == pytest.approx(5.0)


@pytest.mark.parametrize(
    "strategy, manual", [("manual", {"nope": 1.0}), ("manual", {"a": -1.0}), ("manual", {"a": math.nan}), ("best", None)]
)
def test_bad_weighting_is_a_config_error(strategy, manual):
    with pytest.raises(ConfigError):
        make_weighting(strategy, ["a"], manual=manual)
