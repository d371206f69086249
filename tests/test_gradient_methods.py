"""Gradient methods (mgda, pcgrad, cagrad, upgrad): torchjd's aggregators, checked against torchjd's own path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torchjd.aggregation import MGDAWeighting, PCGrad, UPGrad
from torchjd.autojac import jac_to_grad, mtl_backward

from core.model import CAGradWeighting, ModelConfig, make_model, make_weighting, task_losses
from core.model._gradient import CAGrad

REFERENCE = Path(__file__).parent / "golden" / "cagrad_reference.json"
HEADS = {"b": ("binary", 1), "m": ("multiclass", 3), "r": ("regression", 1)}


def _batch(n: int = 32):
    generator = torch.Generator().manual_seed(5)
    x = torch.randn(n, 4, generator=generator, dtype=torch.float64)
    y = {"b": torch.randint(0, 2, (n,), generator=generator).double(),
         "m": torch.randint(0, 3, (n,), generator=generator),
         "r": torch.randn(n, generator=generator, dtype=torch.float64)}
    y["b"][:5] = -1.0  # missing labels
    y["r"][3:9] = float("nan")
    return x, y


def _model(architecture: str = "hard"):
    torch.manual_seed(0)
    return make_model(4, HEADS, ModelConfig(architecture=architecture, width=8, depth=2)).double()


def test_cagrad_solved_with_scipy_matches_torchjds_cvxpy_problem_to_1e6():
    cases = json.loads(REFERENCE.read_text())["cases"]
    assert len(cases) >= 10
    for case in cases:
        jacobian = torch.tensor(case["jacobian"], dtype=torch.float64)
        expected = torch.tensor(case["weights"], dtype=torch.float64)
        weights = CAGradWeighting(case["c"])(jacobian @ jacobian.T)
        torch.testing.assert_close(weights, expected, atol=1e-6, rtol=0)
        torch.testing.assert_close(weights @ jacobian, expected @ jacobian, atol=1e-6, rtol=0)


@pytest.mark.parametrize("method, aggregator", [("upgrad", UPGrad), ("pcgrad", PCGrad), ("cagrad", CAGrad)])
@pytest.mark.parametrize("architecture", ["hard", "mmoe", "soft"])
def test_a_gradient_method_fills_the_same_gradients_as_torchjds_mtl_backward(method, aggregator, architecture):
    x, y = _batch()
    model = _model(architecture)
    losses, counts = task_losses(model(x), y, model.kinds)
    make_weighting(method, model.task_names, model=model).backward(losses, counts)
    ours = {name: p.grad.clone() for name, p in model.named_parameters()}

    reference = _model(architecture)
    losses, _ = task_losses(reference(x), y, reference.kinds)
    shared = reference.shared_parameters()
    features = reference.shared_features
    mtl_backward([losses[name] for name in reference.task_names], features=features, shared_params=shared,
                 retain_graph=True)  # MMoE: the tasks' gates are rows of one layer, so one graph
    jac_to_grad(shared, aggregator())
    for name, parameter in reference.named_parameters():
        torch.testing.assert_close(ours[name], parameter.grad, atol=1e-6, rtol=1e-6, msg=name)


def test_mgda_ub_weights_are_the_min_norm_point_of_the_representation_gradients():
    x, y = _batch()
    model = _model()
    weighting = make_weighting("mgda", model.task_names, model=model)
    losses, counts = task_losses(model(x), y, model.kinds)
    (h,) = model.shared_features
    rows = torch.stack([torch.autograd.grad(losses[name], h, retain_graph=True)[0].reshape(-1)
                        for name in model.task_names])
    expected = MGDAWeighting()(rows @ rows.T)
    weighting.backward(losses, counts)
    weighting.end_epoch({})
    weights = torch.tensor(list(weighting.weights().values()), dtype=torch.float64)
    torch.testing.assert_close(weights, expected.double(), atol=1e-6, rtol=0)
    assert weights.min() >= 0 and float(weights.sum()) == pytest.approx(1.0)

    reference = _model()
    losses, _ = task_losses(reference(x), y, reference.kinds)
    (expected[0] * losses["b"] + expected[1] * losses["m"] + expected[2] * losses["r"]).backward()
    for (name, ours), theirs in zip(model.named_parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(ours.grad, theirs.grad, atol=1e-6, rtol=1e-6, msg=name)


def test_the_weights_shown_are_the_epoch_mean_over_the_batches_where_the_task_was_labelled():
    x, y = _batch()
    model = _model()
    weighting = make_weighting("upgrad", model.task_names, model=model)
    seen = []
    for unlabelled in (None, "m"):
        batch = dict(y)
        if unlabelled:
            batch[unlabelled] = torch.full_like(batch[unlabelled], -1)
        model.zero_grad()
        losses, counts = task_losses(model(x), batch, model.kinds)
        weighting.backward(losses, counts)
        seen.append(weighting._weight_sum.clone())
    weighting.end_epoch({})
    shown = weighting.weights()
    first = seen[0]
    second = seen[1] - seen[0]
    assert shown["m"] == pytest.approx(float(first[1]))  # one batch with labels for m
    assert shown["b"] == pytest.approx(float(first[0] + second[0]) / 2)
