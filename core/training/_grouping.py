"""Which tasks to train together: a grouping from a task affinity, training it, and negative transfer in words.

:func:`suggest_groups` splits the tasks into 2..k groups maximising the total within-group affinity
(the sum over groups of the pairwise affinity of their members; an asymmetric affinity such as TAG
counts each pair as the mean of its two directions, an unmeasured pair as 0): the search is
exhaustive over every partition up to :data:`EXHAUSTIVE_TASKS` tasks, greedy beyond (start from one
group per task and merge the two groups with the largest affinity between them until k remain).
:func:`train_groups` trains one model per group on the same split, and :func:`grouped_frame`
puts each task's test metric beside the all-tasks model's. :func:`negative_transfer` names the
tasks that did worse trained with the others than alone.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..model import ModelConfig
from ._features import PreparedSplit
from ._loop import train
from ._metrics import PRIMARY_METRIC
from ._records import EpochRecord, TrainConfig, TrainResult
from ._transfer_gain import TransferGain

__all__ = ["EXHAUSTIVE_TASKS", "TaskGrouping", "suggest_groups", "partitions", "grouping_score", "train_groups",
           "grouped_frame", "negative_transfer"]

EXHAUSTIVE_TASKS = 9  # 21,147 partitions of 9 tasks: ~0.1 s; 10 would be 115,975
Groups = tuple[tuple[str, ...], ...]


@dataclass(frozen=True, kw_only=True)
class TaskGrouping:
    """The best grouping for each number of groups, and the suggested one (the highest score; ties: fewer groups).

    ``by_count`` holds ``(k, groups, score)`` for k = 2..max; ``method`` is ``exhaustive`` or ``greedy``.
    """

    groups: Groups
    score: float
    by_count: tuple[tuple[int, Groups, float], ...]
    method: str
    all_positive: bool

    def to_frame(self) -> pd.DataFrame:
        """``groups`` (the count), ``grouping`` (in words), ``score``, ``suggested``."""
        rows = [(k, describe(groups), score, groups == self.groups) for k, groups, score in self.by_count]
        return pd.DataFrame(rows, columns=["groups", "grouping", "score", "suggested"])

    def words(self) -> str:
        """One line: the suggestion, how it was found, and whether training all together looks better."""
        found = "every partition tried" if self.method == "exhaustive" else "greedy merging, not every partition"
        line = f"Suggested: {describe(self.groups)} (total within-group affinity {self.score:.3g}; {found})."
        if self.all_positive:
            line += (" Every pair of tasks has a positive affinity, so no grouping is likely to beat training "
                     "all the tasks together; train the grouping to check.")
        return line


def describe(groups: Groups) -> str:
    """``{a, b} + {c}``."""
    return " + ".join("{" + ", ".join(group) + "}" for group in groups)


def _symmetric(affinity: Mapping[str, Mapping[str, float | None]], names: Sequence[str]) -> np.ndarray:
    """``(T, T)`` pairwise affinity: the mean of the two directions where known, 0 where neither is."""
    raw = np.array([[np.nan if affinity.get(a, {}).get(b) is None else float(affinity[a][b]) for b in names]
                    for a in names])
    both = np.stack([raw, raw.T])
    known = np.isfinite(both)
    with np.errstate(invalid="ignore"):
        mean = np.where(known, both, 0.0).sum(axis=0) / np.maximum(known.sum(axis=0), 1)
    np.fill_diagonal(mean, 0.0)
    return mean


def grouping_score(groups: Groups, pairwise: np.ndarray, names: Sequence[str]) -> float:
    """The sum over groups of the pairwise affinity of every pair of members (each pair once)."""
    index = {name: i for i, name in enumerate(names)}
    total = 0.0
    for group in groups:
        members = [index[t] for t in group]
        total += float(pairwise[np.ix_(members, members)].sum()) / 2.0
    return total


def partitions(items: Sequence[str], k: int) -> Iterator[Groups]:
    """Every split of ``items`` into exactly ``k`` non-empty groups (restricted growth strings), members in order.

    Examples
    --------
    >>> len(list(partitions("abcd", 2))), next(partitions("abc", 3))
    (7, (('a',), ('b',), ('c',)))
    """
    n = len(items)

    def grow(labels: list[int], used: int) -> Iterator[list[int]]:
        if len(labels) == n:
            if used == k:
                yield labels
            return
        if used + (n - len(labels)) < k:
            return
        for label in range(min(used + 1, k)):
            yield from grow([*labels, label], max(used, label + 1))

    for labels in grow([], 0):
        yield tuple(tuple(item for item, label in zip(items, labels, strict=True) if label == g) for g in range(k))


def _greedy(names: Sequence[str], pairwise: np.ndarray, smallest: int) -> dict[int, Groups]:
    """Merge the two groups with the largest summed affinity between them, from singletons down to ``smallest``."""
    groups = [[i] for i in range(len(names))]
    found = {}
    while len(groups) >= smallest:
        found[len(groups)] = tuple(tuple(names[i] for i in g) for g in groups)
        if len(groups) == smallest:
            break
        pairs = itertools.combinations(range(len(groups)), 2)
        a, b = max(pairs, key=lambda p: pairwise[np.ix_(groups[p[0]], groups[p[1]])].sum())
        groups[a] = sorted(groups[a] + groups[b])
        del groups[b]
    return found


def suggest_groups(affinity: Mapping[str, Mapping[str, float | None]], *, max_groups: int | None = None,
                   exhaustive_up_to: int = EXHAUSTIVE_TASKS) -> TaskGrouping:
    """The best split of the tasks into 2..``max_groups`` groups (default: as many as tasks) by total affinity.

    Examples
    --------
    >>> affinity = {"a": {"b": 0.9, "c": -0.5}, "b": {"a": 0.9, "c": -0.4}, "c": {"a": -0.5, "b": -0.4}}
    >>> grouping = suggest_groups(affinity)
    >>> grouping.groups, grouping.method
    ((('a', 'b'), ('c',)), 'exhaustive')
    """
    names = list(affinity)
    if len(names) < 2:
        raise ConfigError(f"Grouping needs at least two tasks; the affinity has {len(names)}. Add a task.")
    largest = len(names) if max_groups is None else min(int(max_groups), len(names))
    if largest < 2:
        raise ConfigError(f"max_groups={max_groups} must be at least 2; use 2 or more.")
    pairwise = _symmetric(affinity, names)
    exhaustive = len(names) <= exhaustive_up_to
    if exhaustive:
        best = {k: max(partitions(names, k), key=lambda g: grouping_score(g, pairwise, names))
                for k in range(2, largest + 1)}
    else:
        best = {k: g for k, g in _greedy(names, pairwise, 2).items() if k <= largest}
    by_count = tuple((k, best[k], grouping_score(best[k], pairwise, names)) for k in sorted(best))
    k, groups, score = max(by_count, key=lambda row: (round(row[2], 12), -row[0]))
    off_diagonal = pairwise[~np.eye(len(names), dtype=bool)]
    return TaskGrouping(groups=groups, score=score, by_count=by_count, method="exhaustive" if exhaustive else "greedy",
                        all_positive=bool((off_diagonal > 0).all()))


def train_groups(
    prepared: PreparedSplit,
    groups: Groups,
    config: TrainConfig | None = None,
    model_config: ModelConfig | None = None,
    *,
    on_epoch: Callable[[tuple[str, ...], EpochRecord], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict[tuple[str, ...], TrainResult]:
    """One model per group on the same split and settings (a group of one task is its single-task model).

    Once ``should_stop()`` is true the current group stops and no further one starts.

    Examples
    --------
    >>> from core.tasks import Task
    >>> from core.training import prepare_split
    >>> frame = pd.DataFrame({"x": np.arange(40.0), "y": np.arange(40) % 2, "z": np.arange(40.0)})
    >>> tasks = [Task("y", ("y",), "binary"), Task("z", ("z",), "regression")]
    >>> prepared = prepare_split(frame, tasks, ["train"] * 30 + ["val"] * 5 + ["test"] * 5)
    >>> sorted(train_groups(prepared, (("y",), ("z",)), TrainConfig(epochs=1)))
    [('y',), ('z',)]
    """
    known = {spec.name for spec in prepared.targets}
    unknown = sorted({t for group in groups for t in group} - known)
    if unknown:
        raise ConfigError(f"The grouping names {', '.join(unknown)}, not tasks of this split; suggest groups again.")
    results = {}
    for group in groups:
        if should_stop is not None and should_stop():
            break
        report = None if on_epoch is None else (lambda record, g=group: on_epoch(g, record))
        results[group] = train(prepared, config, model_config, tasks=list(group), on_epoch=report,
                               should_stop=should_stop)
    return results


def grouped_frame(together: TrainResult, grouped: Mapping[tuple[str, ...], TrainResult],
                  alone: Mapping[str, TrainResult] | None = None) -> pd.DataFrame:
    """Per task: ``task``, ``metric`` (primary), ``all_tasks``, ``group``, ``grouped``, ``alone``, ``grouped_minus_all``."""
    rows = []
    for spec in together.targets:
        metric = PRIMARY_METRIC[spec.kind]
        group = next((g for g in grouped if spec.name in g), None)
        value = grouped[group].test.get(spec.name, {}).get(metric) if group else None
        single = alone[spec.name].test.get(spec.name, {}).get(metric) if alone and spec.name in alone else None
        base = together.test.get(spec.name, {}).get(metric)
        rows.append((spec.name, metric, base, ", ".join(group) if group else None, value, single,
                     None if value is None or base is None else value - base))
    return pd.DataFrame(rows, columns=["task", "metric", "all_tasks", "group", "grouped", "alone", "grouped_minus_all"])


def negative_transfer(gains: Sequence[TransferGain] | pd.DataFrame, *, against: str = "alone") -> tuple[str, ...]:
    """One line per task that did worse trained with the others than alone, over the runs (seeds) given.

    ``gains``: one :class:`TransferGain` per seed, or a tidy frame with columns ``task``, ``metric``,
    ``seed``, ``gain`` (multi-task minus single-task, primary test metric; e.g. from the runs table) and
    optionally ``verdict``. With one seed a task is flagged when its bootstrap interval lies below 0
    (verdict ``hurts``; without verdicts, when its gain is below 0), and the line says it rests on one
    seed; with several, when its gain is below 0 in every seed (so its mean gain is below 0 too), and the
    line says so: ``y: worse than alone on 3 of 3 seeds (mean roc_auc gain -0.041, -5.2%)``, the share being
    the mean ``relative_gain`` when the frame has one. ``against`` names another baseline whose gains
    the frame holds (e.g. ``"the trees"``, from ``seed_gains(..., baseline="trees")``): the same rule, and the
    line says ``worse than the trees`` (losing to a stronger model is not negative transfer, so it is not
    called that).

    Examples
    --------
    >>> from core.training import TaskGain
    >>> hurt = TaskGain(task="y", metric="roc_auc", mtl=0.7, stl=0.8, gain=-0.1, relative_gain=-0.125,
    ...                 low=-0.15, high=-0.05, verdict="hurts")
    >>> negative_transfer([TransferGain(tasks=(hurt,), delta_m=-0.125)])[0][:56]
    'y: worse trained with the other tasks than alone (roc_au'
    """
    frame = gains if isinstance(gains, pd.DataFrame) else _gain_rows(gains)
    frame = frame.dropna(subset=["gain"])
    lines = []
    for task, rows in frame.groupby("task", sort=False):
        metric, seeds = rows["metric"].iloc[0], rows["seed"].nunique()
        if seeds == 1:
            row = rows.iloc[0]
            verdict = row.get("verdict") if "verdict" in rows else None
            if verdict == "hurts" or (verdict is None and row["gain"] < 0):
                interval = (f", 95% interval {row['low']:+.3f} to {row['high']:+.3f}"
                            if pd.notna(row.get("low", np.nan)) and pd.notna(row.get("high", np.nan)) else "")
                lines.append(f"{task}: worse trained with the other tasks than {against} ({metric} gain "
                             f"{row['gain']:+.3f}{interval}); one seed only, so repeat with more seeds before "
                             "dropping it from the group.")
        elif (rows["gain"] < 0).all():
            gain = pd.to_numeric(rows["gain"])
            relative = pd.to_numeric(rows.get("relative_gain", pd.Series(dtype=float)), errors="coerce").dropna()
            share = f", {relative.mean():+.1%}" if len(relative) else ""
            verdict = ": negative transfer." if against == "alone" else "."
            lines.append(f"{task}: worse than {against} on {seeds} of {seeds} seeds (mean {metric} gain "
                         f"{gain.mean():+.3f}{share}){verdict}")
    return tuple(lines)


def _gain_rows(gains: Sequence[TransferGain]) -> pd.DataFrame:
    """Tidy ``task, metric, seed, gain, relative_gain, low, high, verdict`` of one TransferGain per seed (seed = its position)."""
    rows = [(g.task, g.metric, seed, g.gain, g.relative_gain, g.low, g.high, g.verdict)
            for seed, gain in enumerate(gains) for g in gain.tasks]
    return pd.DataFrame(rows, columns=["task", "metric", "seed", "gain", "relative_gain", "low", "high", "verdict"])
