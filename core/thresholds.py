"""Pass/warn/fail thresholds for every split score and leakage check, in one place.

A score passes below ``warn_from``, warns from ``warn_from``, and fails from
``fail_from`` (for every score, lower is better). Each threshold carries a
plain-words reading, so a verdict can be shown to a user in one line, next to
its threshold (:func:`scorecard`).

How the numbers were chosen (``python -m bench diagnostics`` prints the
evidence, "What the thresholds see"). LD and LPD compare positive-to-negative
ratios, which explode for a label present in most rows (the ``=0`` column of a
rare binary task): a random 70/15/15 split scores LD 0.008 on happiness but
0.22 on wagepan, so no absolute LD threshold means the same on two data sets.
LD and LPD are therefore judged against what a random split of the same sizes
scores (``SplitQuality.ld_random``): a stratified split reaches 0.01x to 0.3x,
a random split about 1x. The plain-number scores are absolute: the largest gap
in a label's share of rows (random splits: 0.4 points on flights, 4 on wagepan,
14 on penguins' 52-row test split; stratified: at most 1.2), Jensen-Shannon
distance (random: 0.004 flights to 0.12 penguins; stratified: at most 0.013),
KS for regression targets. A random split of a big data set passes those; a
random split of a small one warns or fails, as it should.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "Threshold",
    "THRESHOLDS",
    "status_of",
    "scorecard",
    "DUPLICATE_FAIL_SHARE",
    "NEAR_DUPLICATE_DISTANCE",
    "NEAR_DUPLICATE_WARN_SHARE",
    "NEAR_DUPLICATE_FAIL_SHARE",
    "PREDICTOR_WARN",
    "PREDICTOR_FAIL",
    "PREDICTOR_SAMPLE",
    "NEAR_DUPLICATE_SAMPLE",
    "NEAR_DUPLICATE_QUERIES",
]

STATUSES = ("pass", "warn", "fail")


@dataclass(frozen=True)
class Threshold:
    """When a score passes, warns or fails, and how to say what its value means.

    A ``relative`` threshold compares the score with what a random split of the
    same sizes would score (``SplitQuality.ld_random``): 0.5 means half a random
    split's. The others compare the value itself.

    Examples
    --------
    >>> THRESHOLDS["JS"].status(0.004), THRESHOLDS["JS"].status(0.5)
    ('pass', 'fail')
    >>> THRESHOLDS["LD"].status(0.02, reference=0.08)
    'pass'
    """

    score: str
    name: str
    warn_from: float
    fail_from: float
    meaning: Callable[[float, float], str]
    advice: str
    relative: bool = False

    def compared(self, value: float, reference: float | None = None) -> float:
        """The number the thresholds apply to: the value, or value / reference when relative."""
        if not self.relative:
            return value
        if reference is None or not reference > 0:
            return math.nan
        return value / reference

    def status(self, value: float, reference: float | None = None) -> str:
        x = self.compared(value, reference)
        if x is None or math.isnan(x):
            return "pass"
        if x >= self.fail_from:
            return "fail"
        return "warn" if x >= self.warn_from else "pass"

    def text(self) -> str:
        """The threshold in words, e.g. ``pass < 0.02 ≤ warn < 0.05 ≤ fail``."""
        unit = "× random" if self.relative else ""
        warn, fail = f"{_fmt(self.warn_from)}{unit}", f"{_fmt(self.fail_from)}{unit}"
        if math.isinf(self.fail_from):
            return f"pass < {warn} ≤ warn (never fails)"
        return f"pass < {warn} ≤ warn < {fail} ≤ fail"

    def reading(self, value: float, reference: float | None = None) -> str:
        """One line for a user: the value, what it means, and what to do when it is not a pass."""
        line = f"{self.score} {_fmt(value)}: {self.meaning(value, reference)}"
        return line if self.status(value, reference) == "pass" else f"{line} {self.advice}"


def _fmt(value: float) -> str:
    if value == 0 or math.isinf(value) or math.isnan(value):
        return f"{value:g}"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.3g}"


def _points(value: float) -> str:
    return f"{100 * value:.2g} percentage points"


def _versus_random(kind: str) -> Callable[[float, float], str]:
    def meaning(value: float, random: float | None) -> str:
        if random is None or not random > 0:
            return f"{kind} positive-to-negative ratios in the splits are off the whole data's by {_fmt(value)} on average."
        ratio = value / random
        verdict = (
            "far closer to the whole data than chance" if ratio < 0.5
            else "about as close to the whole data as chance" if ratio < 2
            else "further from the whole data than chance"
        )  # fmt: skip
        return (
            f"{kind} positive-to-negative ratios are off the whole data's by {_fmt(value)} on average, "
            f"{ratio:.2g}× what a random split of these sizes gives ({_fmt(random)}): {verdict}."
        )

    return meaning


THRESHOLDS: dict[str, Threshold] = {
    t.score: t
    for t in (
        Threshold(
            "LD", "Label distribution", 0.5, 2.0, _versus_random("Labels'"),
            "Stratify on these tasks (strategy 'stratified').", relative=True,
        ),
        Threshold(
            "LPD", "Label-pair distribution", 0.5, 2.0, _versus_random("Label pairs'"),
            "Stratify with order=2 to balance label pairs too.", relative=True,
        ),
        Threshold(
            "ED", "Examples distribution (share of rows)", 0.01, 0.05,
            lambda v, _: f"split sizes are off their targets by {100 * v:.2g}% of the rows on average.",
            "Splits this far from their fractions usually come from large groups or a time gap.",
        ),
        Threshold(
            "FZ", "Splits missing a label", 1, math.inf,
            lambda v, _: "every split has at least one positive row of every label."
            if v == 0 else f"{v:.0f} split(s) have no positive row for at least one label.",
            "A label absent from a split cannot be learned or evaluated there; use fewer folds or stratify.",
        ),
        Threshold(
            "FLZ", "Split-label pairs with no positives", 1, math.inf,
            lambda v, _: "no split lacks any label."
            if v == 0 else f"{v:.0f} (split, label) pair(s) have no positive row.",
            "Rare labels with fewer positive rows than splits cannot reach every split.",
        ),
        Threshold(
            "gap", "Largest label share gap", 0.01, 0.05,
            lambda v, _: f"no label's share of a split's rows differs from its share of all rows by more than {_points(v)}.",
            "Stratify on the task with the largest gap.",
        ),
        Threshold(
            "JS", "Worst Jensen-Shannon distance", 0.02, 0.05,
            lambda v, _: f"every task's label distribution in every split is within Jensen-Shannon distance {v:.2g} of the whole (0 = identical, 1 = disjoint).",
            "Stratify on the task and split shown in the task scores.",
        ),
        Threshold(
            "KS", "Worst KS statistic (regression)", 0.05, 0.1,
            lambda v, _: f"each regression target's distribution in a split is within {_points(v)} (largest gap between the CDFs) of the whole.",
            "Stratify the regression task by its quantile bins.",
        ),
    )
}  # fmt: skip

# Leakage checks (core.leakage). Group leakage always fails; a time overlap warns.
DUPLICATE_FAIL_SHARE = 0.01  # identical feature rows across splits: any warns, this share of rows fails
NEAR_DUPLICATE_DISTANCE = 0.01  # RMS distance over scaled features, in robust standard deviations (IQR / 1.349)
NEAR_DUPLICATE_WARN_SHARE = 0.01  # share of sampled val/test rows with a near-duplicate in train
NEAR_DUPLICATE_FAIL_SHARE = 0.05
NEAR_DUPLICATE_SAMPLE = 100_000  # train rows searched at most
NEAR_DUPLICATE_QUERIES = 5_000  # val/test rows looked up at most
PREDICTOR_WARN = 0.95  # AUC (classes) or R² (regression) of one feature alone
PREDICTOR_FAIL = 0.99
PREDICTOR_SAMPLE = 20_000  # train rows used at most


def status_of(statuses) -> str:
    """The worst of several statuses (``fail`` over ``warn`` over ``pass``)."""
    present = set(statuses)
    return next((s for s in reversed(STATUSES) if s in present), "pass")


def scorecard(
    quality, task_scores=None, *, worst_js: float | None = None, worst_ks: float | None = None
) -> pd.DataFrame:
    """A verdict per score: ``score``, ``name``, ``value``, ``reference``, ``status``, ``threshold``, ``reading``.

    ``reference`` is a random split's expected value for the relative scores
    (LD, LPD), NaN for the others. ED is given as a share of the rows.

    Parameters
    ----------
    quality : SplitQuality
        From :func:`core.quality.split_quality`.
    task_scores : TaskScores, optional
        From :func:`core.diagnostics.task_scores`; gives the worst JS and KS.
    worst_js, worst_ks : float, optional
        Given directly instead of ``task_scores``.

    Examples
    --------
    >>> from core.quality import split_quality
    >>> card = scorecard(split_quality([[1], [0], [1], [0]], ["a", "a", "b", "b"]), worst_js=0.004)
    >>> card.set_index("score").loc[["LD", "JS"], "status"].tolist()
    ['pass', 'pass']
    """
    if task_scores is not None:
        worst_js = task_scores.worst_js if worst_js is None else worst_js
        worst_ks = task_scores.worst_ks if worst_ks is None else worst_ks
    values = {
        "LD": (quality.ld, quality.ld_random), "LPD": (quality.lpd, quality.lpd_random),
        "ED": (quality.ed_share, None), "FZ": (quality.fz, None), "FLZ": (quality.flz, None),
        "gap": (quality.max_gap, None), "JS": (worst_js, None), "KS": (worst_ks, None),
    }  # fmt: skip
    rows = []
    for score, (value, reference) in values.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        threshold = THRESHOLDS[score]
        rows.append(
            {
                "score": score,
                "name": threshold.name,
                "value": float(value),
                "reference": np.nan if reference is None else float(reference),
                "status": threshold.status(value, reference),
                "threshold": threshold.text(),
                "reading": threshold.reading(value, reference),
            }
        )
    return pd.DataFrame(
        rows, columns=["score", "name", "value", "reference", "status", "threshold", "reading"]
    )
