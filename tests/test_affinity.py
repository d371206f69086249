"""Task affinity (issue 16, item 5): gradient cosine per epoch, lookahead affinity (TAG), grouping, negative transfer."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
import torch

from core.errors import ConfigError
from core.figures import affinity_heatmap
from core.model import SharedTrunkModel
from core.tasks import Task
from core.training import (
    TaskGain,
    TrainConfig,
    TransferGain,
    affinity_frame,
    gradient_affinity,
    grouped_frame,
    lookahead_affinity,
    negative_transfer,
    partitions,
    prepare_split,
    suggest_groups,
    train,
    train_groups,
)
from core.training._affinity import cosine_rows
from core.training._features import Part
from core.training._lookahead import lookahead_step


def twin_model(n_features: int, names=("a", "b", "c"), *, seed: int = 0) -> SharedTrunkModel:
    """A regression model whose heads all start equal: tasks with equal targets then have equal gradients."""
    torch.manual_seed(seed)
    model = SharedTrunkModel(n_features, {name: ("regression", 1) for name in names})
    for head in model.heads[1:]:
        head.load_state_dict(model.heads[0].state_dict())
    return model


def regression_part(n: int = 64, seed: int = 0) -> tuple[Part, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=generator)
    target = x @ torch.tensor([1.0, -2.0, 0.5]) + 3.0
    return Part(rows=np.arange(n), x=x, y={}), target


@pytest.fixture
def constructed():
    """Task b is task a; task c has the opposite target."""
    part, target = regression_part()
    part = Part(rows=part.rows, x=part.x, y={"a": target, "b": target.clone(), "c": -target})
    return twin_model(3), part


def test_the_cosine_matrix_is_symmetric_with_ones_on_the_diagonal(constructed):
    model, part = constructed
    affinity = gradient_affinity(model, part, batch_size=16)
    values = np.array([[affinity[a][b] for b in "abc"] for a in "abc"])
    assert np.allclose(values, values.T) and np.allclose(np.diag(values), 1.0)


def test_identical_tasks_have_cosine_one_and_opposed_targets_a_negative_one(constructed):
    model, part = constructed
    affinity = gradient_affinity(model, part, batch_size=16)
    assert affinity["a"]["b"] == pytest.approx(1.0, abs=1e-9)
    assert affinity["a"]["c"] < -0.5 and affinity["b"]["c"] < -0.5


def test_a_task_without_labels_is_skipped_not_counted_as_zero(constructed):
    model, part = constructed
    y = dict(part.y)
    y["c"] = torch.full_like(y["c"], float("nan"))  # never labelled
    half = y["b"].clone()
    half[::2] = float("nan")  # labelled on half the rows: measured on every batch, still the same direction
    y["b"] = half
    affinity = gradient_affinity(model, Part(rows=part.rows, x=part.x, y=y), batch_size=8)
    assert affinity["a"]["c"] is None and affinity["c"]["c"] is None
    assert affinity["a"]["b"] > 0.9


def test_the_measurement_reads_only_the_sampled_batches_and_leaves_grad_and_mode_alone(constructed):
    model, part = constructed
    model.train()
    assert gradient_affinity(model, part, batch_size=16, batches=0) == {}
    gradient_affinity(model, part, batch_size=16, batches=2)
    assert model.training and all(p.grad is None for p in model.parameters())


def test_cosine_rows_of_a_zero_gradient_is_undefined():
    cosine = cosine_rows(torch.tensor([[1.0, 1.0], [0.0, 0.0]]))
    assert cosine[0, 0] == pytest.approx(1.0) and torch.isnan(cosine[0, 1]) and torch.isnan(cosine[1, 1])


def three_task_split():
    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=(n, 4))
    frame = pd.DataFrame(x, columns=list("pqrs"))
    frame["y"] = (x[:, 0] + x[:, 1] > 0).astype(float)
    frame.loc[rng.random(n) < 0.3, "y"] = np.nan
    frame["z"] = x[:, 0] - x[:, 2]
    frame["w"] = rng.choice(["u", "v", "t"], size=n)
    tasks = [Task("y", ("y",), "binary"), Task("z", ("z",), "regression"), Task("w", ("w",), "multiclass")]
    assignment = rng.choice(["train", "val", "test"], size=n, p=[0.7, 0.15, 0.15])
    return prepare_split(frame, tasks, assignment, feature_columns=list("pqrs"))


def test_every_epoch_record_carries_the_affinity_and_training_is_unchanged_by_it():
    prepared = three_task_split()
    measured = train(prepared, TrainConfig(epochs=3, batch_size=32, patience=None))
    plain = train(prepared, TrainConfig(epochs=3, batch_size=32, patience=None, affinity_batches=0))
    assert all(set(r.affinity) == {"y", "z", "w"} for r in measured.history)
    assert all(r.affinity == {} for r in plain.history)
    assert [r.train_loss for r in measured.history] == [r.train_loss for r in plain.history]
    assert measured.test == plain.test
    metrics = json.loads(measured.to_json())
    assert metrics["affinity"] == {t: dict(row) for t, row in measured.history[-1].affinity.items()}
    assert metrics["history"][0]["affinity"]["y"]["y"] == pytest.approx(1.0)


def test_affinity_batches_must_not_be_negative():
    with pytest.raises(ConfigError, match="affinity_batches=-1"):
        TrainConfig(affinity_batches=-1)


# --------------------------------------------------------------------------- lookahead (TAG)


def test_lookahead_of_identical_tasks_is_positive_and_of_opposed_targets_negative(constructed):
    model, part = constructed
    z, seen = lookahead_step(model, part.x, part.y, 0.01)
    tag = z / np.maximum(seen, 1)
    assert (seen == 1).all()
    assert tag[0, 1] > 0 and tag[0, 1] == pytest.approx(tag[0, 0]) and tag[1, 0] == pytest.approx(tag[1, 1])
    assert tag[0, 2] < 0 and tag[2, 0] < 0
    assert all(p.grad is None for p in model.parameters())


def test_lookahead_by_hand_on_one_batch(constructed):
    """Z[a->c] = 1 - L_c(theta - lr grad L_a) / L_c(theta), computed here with a copied model."""
    model, part = constructed
    lr = 0.05
    z, _ = lookahead_step(model, part.x, part.y, lr)
    copy = twin_model(3)
    copy.load_state_dict(model.state_dict())
    copy.eval()
    loss = lambda m, task: ((m(part.x)[task] - part.y[task]) ** 2).mean()  # noqa: E731
    before = float(loss(copy, "c").detach())
    trunk = list(copy.trunk.parameters())
    grads = torch.autograd.grad(loss(copy, "a"), trunk)
    with torch.no_grad():
        for p, g in zip(trunk, grads, strict=True):
            p -= lr * g
    assert z[0, 2] == pytest.approx(1 - float(loss(copy, "c").detach()) / before, rel=1e-4)


def test_lookahead_affinity_over_a_short_run():
    prepared = three_task_split()
    tag = lookahead_affinity(prepared, TrainConfig(batch_size=32), epochs=1, every=2)
    assert tag.steps == 4 and not tag.stopped  # 7 batches, every 2nd
    assert set(tag.affinity) == {"y", "z", "w"}
    assert all(v is None or np.isfinite(v) for row in tag.affinity.values() for v in row.values())
    assert len(tag.to_frame()) == 9
    stopped = lookahead_affinity(prepared, TrainConfig(batch_size=32), epochs=1, should_stop=lambda: True)
    assert stopped.stopped and stopped.steps == 0


def test_lookahead_needs_two_tasks():
    with pytest.raises(ConfigError, match="at least two tasks"):
        lookahead_affinity(three_task_split(), tasks=["y"])


# --------------------------------------------------------------------------- grouping


def brute_force(names, pairwise, k):
    """The best total within-group affinity over every assignment of tasks to k labelled groups."""
    best = -np.inf
    for labels in itertools.product(range(k), repeat=len(names)):
        if len(set(labels)) != k:
            continue
        score = sum(pairwise[i, j] for i, j in itertools.combinations(range(len(names)), 2) if labels[i] == labels[j])
        best = max(best, score)
    return best


def random_affinity(names, seed):
    rng = np.random.default_rng(seed)
    raw = rng.uniform(-1, 1, size=(len(names), len(names)))
    return {a: {b: float(raw[i, j]) for j, b in enumerate(names)} for i, a in enumerate(names)}, (raw + raw.T) / 2


@pytest.mark.parametrize("seed", range(6))
def test_the_exhaustive_grouping_matches_brute_force_on_four_tasks(seed):
    names = ["a", "b", "c", "d"]
    affinity, pairwise = random_affinity(names, seed)
    grouping = suggest_groups(affinity)
    assert grouping.method == "exhaustive"
    for k, groups, score in grouping.by_count:
        assert score == pytest.approx(brute_force(names, pairwise, k))
        assert sorted(t for g in groups for t in g) == names and len(groups) == k
    assert grouping.score == pytest.approx(max(s for _, _, s in grouping.by_count))


def test_partitions_count_as_stirling_numbers():
    assert [len(list(partitions("abcd", k))) for k in (1, 2, 3, 4)] == [1, 7, 6, 1]
    assert len(list(partitions("abcde", 2))) == 15


def test_beyond_nine_tasks_the_grouping_is_greedy_and_valid():
    names = [f"t{i}" for i in range(11)]
    affinity, _ = random_affinity(names, 0)
    grouping = suggest_groups(affinity, max_groups=4)
    assert grouping.method == "greedy" and [k for k, _, _ in grouping.by_count] == [2, 3, 4]
    for _, groups, _ in grouping.by_count:
        assert sorted(t for g in groups for t in g) == sorted(names)
    assert "greedy" in grouping.words()


def test_grouping_separates_conflicting_tasks_and_says_when_all_pairs_agree():
    conflict = {"a": {"b": 0.8, "c": -0.6}, "b": {"a": 0.8, "c": -0.5}, "c": {"a": -0.6, "b": -0.5}}
    grouping = suggest_groups(conflict)
    assert grouping.groups == (("a", "b"), ("c",)) and not grouping.all_positive
    agree = {"a": {"b": 0.5, "c": 0.2}, "b": {"a": 0.5, "c": 0.3}, "c": {"a": 0.2, "b": 0.3}}
    assert "training all the tasks together" in suggest_groups(agree).words()
    tag = {"a": {"b": 0.02, "c": None}, "b": {"a": -0.01, "c": 0.0}, "c": {"a": 0.0, "b": None}}
    assert suggest_groups(tag).by_count  # an asymmetric affinity with unmeasured pairs still groups
    with pytest.raises(ConfigError, match="at least two tasks"):
        suggest_groups({"a": {"a": 1.0}})


def test_training_a_grouping_gives_each_task_its_groups_metric_beside_the_all_tasks_model():
    prepared = three_task_split()
    config = TrainConfig(epochs=2, batch_size=32)
    together = train(prepared, config)
    grouped = train_groups(prepared, (("y", "z"), ("w",)), config)
    table = grouped_frame(together, grouped, {"w": grouped[("w",)]})
    assert table["task"].tolist() == ["y", "z", "w"] and table["group"].tolist() == ["y, z", "y, z", "w"]
    assert table["metric"].tolist() == ["roc_auc", "r2", "macro_f1"]
    assert table.loc[2, "grouped"] == table.loc[2, "alone"]
    with pytest.raises(ConfigError, match="not tasks of this split"):
        train_groups(prepared, (("y", "nope"),), config)


def gain(task, value, verdict="no clear difference"):
    return TaskGain(task=task, metric="roc_auc", mtl=0.7 + value, stl=0.7, gain=value, relative_gain=value / 0.7,
                    low=value - 0.01, high=value + 0.01, verdict=verdict)


def test_negative_transfer_is_said_in_words_with_one_seed_or_over_seeds():
    one = negative_transfer([TransferGain(tasks=(gain("y", -0.1, "hurts"), gain("z", 0.1, "helps")), delta_m=0.0)])
    assert len(one) == 1 and one[0].startswith("y:") and "one seed" in one[0]
    seeds = [TransferGain(tasks=(gain("y", -0.05), gain("z", v)), delta_m=0.0) for v in (-0.1, 0.05, -0.02)]
    over = negative_transfer(seeds)
    assert len(over) == 1 and over[0].startswith("y:") and "on 3 of 3 seeds" in over[0]
    assert negative_transfer([]) == ()
    table = pd.DataFrame({"task": ["y", "y", "z", "z"], "metric": "r2", "seed": [0, 1, 0, 1],
                          "gain": [-0.02, -0.01, 0.03, -0.01]})  # e.g. from the runs table
    assert [line[:2] for line in negative_transfer(table)] == ["y:"]
    assert "one seed" in negative_transfer(table[table["seed"] == 0])[0]


def test_the_heatmap_draws_the_affinity_frame():
    cells = affinity_frame({"a": {"a": 1.0, "b": None}, "b": {"a": None, "b": 1.0}})
    fig = affinity_heatmap(cells, title="t")
    assert fig.data[0].type == "heatmap" and list(fig.data[0].y) == ["a", "b"]
    assert fig.data[0].text[0][1] == "n/a"
    fitted = affinity_heatmap(affinity_frame({"a": {"b": 0.02}, "b": {"a": -0.01}}), symmetric_range=None)
    assert fitted.data[0].zmax == pytest.approx(0.02)


def test_the_metrics_file_of_python_m_core_train_has_the_last_epochs_affinity(tmp_path):
    from core.__main__ import main  # in-process: the CLI's own tests start interpreters

    split, out = tmp_path / "split.csv", tmp_path / "m.json"
    assert main(["split", "builtin:penguins", "--out", str(split)]) == 0
    assert main(["train", "builtin:penguins", "--split-file", str(split), "--epochs", "2", "--out", str(out)]) == 0
    metrics = json.loads(out.read_text())
    tasks = set(metrics["test"])
    assert len(tasks) >= 2 and set(metrics["affinity"]) == tasks
    assert all(metrics["affinity"][t][t] == pytest.approx(1.0) for t in tasks)
    assert metrics["affinity"] == metrics["history"][-1]["affinity"]


class TwoTrunks(torch.nn.Module):
    """Soft sharing in miniature: a trunk per task, both declared shared: their gradients never meet."""

    task_names, kinds = ("a", "b"), {"a": "regression", "b": "regression"}

    def __init__(self):
        super().__init__()
        self.trunks = torch.nn.ModuleList(torch.nn.Linear(3, 1) for _ in range(2))

    def shared_parameters(self):
        return list(self.trunks.parameters())

    def forward(self, x):
        return {name: trunk(x).squeeze(-1) for name, trunk in zip(self.task_names, self.trunks, strict=True)}


def test_tasks_whose_gradients_touch_no_common_parameter_have_no_cosine_rather_than_zero():
    part, target = regression_part()
    affinity = gradient_affinity(TwoTrunks(), Part(rows=part.rows, x=part.x, y={"a": target, "b": -target}),
                                 batch_size=16)
    assert affinity["a"]["b"] is None and affinity["a"]["a"] == pytest.approx(1.0)


def designed(architecture: str, **options):
    """A two-task regression model of ``architecture`` whose heads start equal (new-user report 3, item 5)."""
    from core.model import ModelConfig, make_model

    torch.manual_seed(0)
    heads = {"a": ("regression", 1), "b": ("regression", 1)}
    model = make_model(3, heads, ModelConfig(architecture=architecture, width=16, **options))
    model.heads[1].load_state_dict(model.heads[0].state_dict())
    return model


def test_soft_sharing_compares_the_tasks_on_their_trunks_corresponding_weights():
    """Soft sharing's trunks share no parameter: the cosine was never measured, and the grouping read all zeros."""
    part, target = regression_part()
    same = gradient_affinity(designed("soft"), Part(rows=part.rows, x=part.x, y={"a": target, "b": target.clone()}),
                             batch_size=16)
    opposed = gradient_affinity(designed("soft"), Part(rows=part.rows, x=part.x, y={"a": target, "b": -target}),
                                batch_size=16)
    assert same["a"]["b"] == pytest.approx(1.0, abs=1e-9)
    assert opposed["a"]["b"] < -0.5


def test_a_hierarchical_pair_is_compared_on_the_blocks_both_heads_reach():
    model = designed("hierarchical", depth=2, head_depth={"a": 1})
    part, target = regression_part()
    x, y = part.x, {"a": target, "b": target.clone()}
    affinity = gradient_affinity(model, Part(rows=part.rows, x=x, y=y), batch_size=len(x), batches=1)
    outputs = model(x)
    block = list(model.blocks[0].parameters())  # the block both heads reach

    def grad(name):
        loss = torch.nn.functional.mse_loss(outputs[name], y[name])
        return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, block, retain_graph=True)])

    expected = torch.nn.functional.cosine_similarity(grad("a"), grad("b"), dim=0).item()
    assert affinity["a"]["b"] == pytest.approx(expected, abs=1e-6)
