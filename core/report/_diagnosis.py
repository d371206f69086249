"""What the split report (:mod:`core.report._render`) shows, computed once: sizes, scores, distributions,
co-occurrence and its shifts between splits, association, leakage (:mod:`core.diagnostics`), and the
strategy comparison with its recommendation (as the Diagnostics page's Compare strategies)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import diagnostics
from ..data import Dataset, feature_columns
from ..diagnostics import Recommendation, chance_for, dealt_groups, recommend_strategy
from ..splits import EXCLUDED, STRATEGIES, SplitConfig, is_fold, split_order
from ..tasks import encode_tasks
from ._export import assignment_digest

__all__ = ["Progress", "Diagnosis", "diagnose", "comparison_configs", "SHIFT_PAIRS", "MIN_SHIFT_SUPPORT"]

Progress = Callable[[float, str], None]
SHIFT_PAIRS = 10  # co-occurrence pairs listed per split
MIN_SHIFT_SUPPORT = 20  # rows with the conditioning label, in both splits, before a shift is listed


@dataclass(frozen=True, kw_only=True, eq=False)
class Diagnosis:
    """Everything the report shows, computed once."""

    splits: tuple[str, ...]  # scored splits, in display order (no ``excluded``)
    sizes: pd.DataFrame
    quality: diagnostics.SplitQuality
    scores: diagnostics.TaskScores
    card: pd.DataFrame
    leakage: diagnostics.LeakageReport
    distribution: diagnostics.LabelDistribution
    association: diagnostics.TaskAssociation
    shifts: pd.DataFrame  # the largest changes of P(label | given) from the first split to each other
    pairs: pd.DataFrame  # Cooccurrence.to_frame() over all scored rows
    shift: pd.DataFrame | None  # CooccurrenceShift.to_frame(), first split to last
    fractions_known: bool
    digest: str
    comparison: pd.DataFrame  # StrategyComparison.to_frame(): the same data split several ways, scored alike
    recommendation: Recommendation


def _fractions(config: SplitConfig | None, sizes: pd.DataFrame) -> tuple[dict | None, bool]:
    """Target shares for ED: the config's, else equal shares for folds, else the observed (ED unknown)."""
    scored = sizes[sizes["split"] != EXCLUDED]
    asked = config is not None and config.n_folds is None and not STRATEGIES[config.strategy].given
    if asked and set(config.fractions) >= set(scored["split"]):
        return dict(config.fractions), True
    if scored["split"].map(is_fold).all():
        return None, True
    return dict(zip(scored["split"], scored["rows"] / scored["rows"].sum(), strict=True)), False


def _shift_pairs(frame: pd.DataFrame, encoded, assignment: pd.Series, splits: tuple[str, ...]) -> pd.DataFrame:
    """The cross-task label pairs whose P(b | a) moves most from the first split to each other split."""
    rows = []
    counts = {name: np.diag(diagnostics.cooccurrence(frame, encoded, assignment, name).counts) for name in splits}
    labels = np.asarray(encoded.labels)
    tasks = np.asarray(encoded.label_tasks)  # as data: a task may be called a=b
    for other in splits[1:]:
        shift = diagnostics.cooccurrence_shift(frame, encoded, assignment, splits[0], other)
        difference = shift.difference.to_numpy()
        support = np.minimum(counts[splits[0]], counts[other])[:, None]
        usable = (tasks[:, None] != tasks[None, :]) & (support >= MIN_SHIFT_SUPPORT) & np.isfinite(difference)
        flat = np.flatnonzero(usable.ravel())
        ranked = flat[np.argsort(-np.abs(difference.ravel()[flat]), kind="stable")]
        shown = set()  # one pair per given label and other task: a binary task's two labels mirror each other
        for i, j in zip(*np.unravel_index(ranked, difference.shape), strict=True):
            if len(shown) == SHIFT_PAIRS:
                break
            if (i, tasks[j]) in shown:
                continue
            shown.add((i, tasks[j]))
            rows.append((other, labels[i], labels[j], shift.conditional_a.iat[i, j],
                         shift.conditional_b.iat[i, j], difference[i, j], int(support[i, 0])))
    columns = ["split", "given", "label", f"P in {splits[0]}", "P in split", "difference", "rows given"]
    return pd.DataFrame(rows, columns=columns)


def comparison_configs(config: SplitConfig | None, group_column: str | None,
                       time_column: str | None) -> dict[str, SplitConfig]:
    """The strategies compared, on the Diagnostics page and in the report: random and stratified, group
    (with a group column), time (with a time column), each with ``config``'s sizes and seed, as each
    strategy's ``compare`` in :data:`core.splits.STRATEGIES` makes it.

    Random and stratified keep ``config``'s own group column whole, as :func:`core.splits.split` does, so
    they are what the user gets by picking them; stratified on whole groups of ``group_column`` is the group
    split, so it is left out then (shown once, as group).

    Examples
    --------
    >>> list(comparison_configs(SplitConfig(n_folds=5), "nr", None))
    ['random', 'stratified', 'group']
    """
    config = config or SplitConfig()
    configs = {}
    for name, strategy in STRATEGIES.items():
        compared = strategy.compare(config, group_column, time_column) if strategy.compare else None
        if compared is not None:
            configs[name] = compared
    return configs


def _sizes(assignment: pd.Series) -> pd.DataFrame:
    counts = assignment.astype(str).value_counts()
    names = split_order(counts.index)
    rows = counts.reindex(names).to_numpy(dtype=np.int64)
    return pd.DataFrame({"split": names, "rows": rows, "share": rows / max(len(assignment), 1)})


def diagnose(dataset: Dataset, tasks, assignment, config, progress: Progress) -> Diagnosis:
    frame = dataset.frame
    n_bins = config.n_bins if config is not None else 5
    sizes = _sizes(assignment)
    splits = tuple(name for name in sizes["split"] if name != EXCLUDED)
    fractions, known = _fractions(config, sizes)
    progress(0.05, "Encoding the tasks")
    encoded = encode_tasks(frame, tasks, n_bins)
    progress(0.15, "Scoring the split")
    quality = diagnostics.split_quality(encoded.matrix, assignment.to_numpy(), fractions)
    scores = diagnostics.task_scores(frame, encoded, assignment)
    dealt = dealt_groups(config) if config is not None else None  # judged on what the strategy promises
    chance = None  # as the Diagnostics page judges it; rows against random rows only when the split is config's
    if dealt in frame.columns or (config is not None and known and len(quality.by_split) == len(config.split_names)):
        chance = chance_for(frame, encoded, config, quality, scores)
    card = diagnostics.scorecard(quality, scores, strategy=getattr(config, "strategy", None), chance=chance)
    if not known:
        card = card[card["score"] != "ED"].reset_index(drop=True)
    progress(0.3, "Counting labels per split")
    distribution = diagnostics.label_distribution(frame, encoded, assignment, n_bins=n_bins)
    association = diagnostics.task_association(frame, encoded, assignment, n_bins=n_bins)
    shifts = _shift_pairs(frame, encoded, assignment, splits) if len(splits) > 1 else pd.DataFrame()
    pairs = diagnostics.cooccurrence(frame, encoded, assignment, n_bins=n_bins).to_frame()
    shift = None
    if len(splits) > 1:
        shift = diagnostics.cooccurrence_shift(frame, encoded, assignment, splits[0], splits[-1], n_bins=n_bins)
        shift = shift.to_frame()
    progress(0.5, "Checking for leakage")
    group = (config.group_column if config is not None else None) or dataset.group_column
    time = (config.time_column if config is not None else None) or dataset.time_column
    features = feature_columns(
        dataset, tasks, group_column=group, time_column=time,
        id_column=config.id_column if config is not None else None,
        exclude=[config.split_column] if config is not None and config.split_column else (),
    )
    leak = diagnostics.leakage(
        frame, assignment, tasks=tasks, group_column=group, time_column=time, feature_columns=features,
        seed=config.seed if config is not None else 0,
        group_time=config.time_groups if config is not None else None,
    )  # fmt: skip
    progress(0.65, "Comparing strategies")
    configs = comparison_configs(config, group, time)
    comparison = diagnostics.compare_strategies(frame, encoded, configs, group_column=group).to_frame()
    recommendation = recommend_strategy(comparison, group_column=group, time_column=time)
    return Diagnosis(
        splits=splits, sizes=sizes, quality=quality, scores=scores, card=card, leakage=leak,
        distribution=distribution, association=association, shifts=shifts, pairs=pairs, shift=shift,
        fractions_known=known, digest=assignment_digest(assignment), comparison=comparison,
        recommendation=recommendation,
    )
