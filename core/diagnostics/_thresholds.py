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

A split is judged on what its strategy promises (:mod:`core.diagnostics._judge`): a split of
whole groups against random deals of the same groups (:class:`Chance`), and a
time or predefined split not at all on its labels: their differences between
splits are drift between periods, status ``info``, shown and never a verdict.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..splits import STRATEGIES

__all__ = [
    "Threshold",
    "THRESHOLDS",
    "Chance",
    "LABEL_SCORES",
    "advice",
    "status_of",
    "scorecard",
    "status_reason",
    "DUPLICATE_FAIL_SHARE",
    "NEAR_DUPLICATE_DISTANCE",
    "NEAR_DUPLICATE_WARN_SHARE",
    "NEAR_DUPLICATE_FAIL_SHARE",
    "NEAR_DUPLICATE_CHANCE_FACTOR",
    "PREDICTOR_WARN",
    "PREDICTOR_FAIL",
    "PREDICTOR_SAMPLE",
    "NEAR_DUPLICATE_SAMPLE",
    "NEAR_DUPLICATE_QUERIES",
]

STATUSES = ("pass", "warn", "fail")  # "info" (shown, not judged) and "skipped" rank below every one
LABEL_SCORES = ("LD", "LPD", "FZ", "FLZ", "gap", "JS", "KS")  # how labels differ between splits
# Strategies whose label differences are information, not a verdict, say so in their record's ``drift``
# (the reading's lead and why); a stratifying strategy's record says how advice to it begins (``already``).
RANDOM_ROWS = "a random split of these sizes"


@dataclass(frozen=True, kw_only=True)
class Chance:
    """What a random deal of the units a strategy dealt scores: the level a split is judged against.

    For rows this is :class:`~core.diagnostics.SplitQuality`'s first-order expectation of
    LD and LPD, and the other scores keep their absolute thresholds. For whole groups
    (:func:`core.diagnostics.group_chance`) LD is the same expectation over groups and the
    other scores the mean of a few random deals of the same groups, so a group split
    is not failed for what whole groups cannot avoid: it passes a score within the
    absolute threshold or below half of chance.

    Examples
    --------
    >>> Chance(against="a random deal of whole 'nr' groups", ld=0.2, lpd=0.05, js=0.03).js
    0.03
    """

    against: str  # in words: "a random split of these sizes", "a random deal of whole 'nr' groups"
    ld: float
    lpd: float
    ed_share: float = math.nan
    gap: float = math.nan
    js: float = math.nan
    ks: float = math.nan

    def of(self, score: str) -> float:
        """The chance level of ``score`` (NaN when the absolute threshold alone judges it)."""
        return {"LD": self.ld, "LPD": self.lpd, "ED": self.ed_share, "gap": self.gap, "JS": self.js,
                "KS": self.ks}.get(score, math.nan)


@dataclass(frozen=True, kw_only=True)
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

    def status_against(self, value: float, chance: float) -> str:
        """The better of this threshold's verdict and the verdict against ``chance`` (LD's 0.5x and 2x).

        A score within the absolute threshold passes; beyond it, a split still passes
        when it is well below what a random deal of the same units scores.
        """
        if not (chance > 0) or self.relative:
            return self.status(value, chance if self.relative else None)
        versus = THRESHOLDS["LD"].status(value, chance)
        return min(self.status(value), versus, key=STATUSES.index)

    def text(self) -> str:
        """The threshold in words, e.g. ``pass < 0.02 ≤ warn < 0.05 ≤ fail``."""
        unit = "× random" if self.relative else ""
        warn, fail = f"{_fmt(self.warn_from)}{unit}", f"{_fmt(self.fail_from)}{unit}"
        if math.isinf(self.fail_from):
            return f"pass < {warn} ≤ warn (never fails)"
        return f"pass < {warn} ≤ warn < {fail} ≤ fail"

    def reading(self, value: float, reference: float | None = None, against: str = RANDOM_ROWS) -> str:
        """One line for a user: the value, what it means, and what to do when it is not a pass."""
        meaning = self.meaning(value, reference, against) if self.relative else self.meaning(value, reference)
        line = f"{self.score} {_fmt(value)}: {meaning}"
        return line if self.status(value, reference) == "pass" else f"{line} {self.advice}"


def _fmt(value: float) -> str:
    if value == 0 or math.isinf(value) or math.isnan(value):
        return f"{value:g}"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.3g}"


def _points(value: float) -> str:
    return f"{100 * value:.2g} percentage points"


def _versus_random(kind: str) -> Callable[[float, float], str]:
    def meaning(value: float, random: float | None, against: str = RANDOM_ROWS) -> str:
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
            f"{ratio:.2g}× what {against} gives ({_fmt(random)}): {verdict}."
        )

    return meaning


THRESHOLDS: dict[str, Threshold] = {
    t.score: t
    for t in (
        Threshold(
            score="LD", name="Label distribution", warn_from=0.5, fail_from=2.0,
            meaning=_versus_random("Labels'"),
            advice="Stratify on these tasks (strategy 'stratified').", relative=True,
        ),
        Threshold(
            score="LPD", name="Label-pair distribution", warn_from=0.5, fail_from=2.0,
            meaning=_versus_random("Label pairs'"),
            advice="Stratify with order=2 to balance label pairs too.", relative=True,
        ),
        Threshold(
            score="ED", name="Examples distribution (share of rows)", warn_from=0.01, fail_from=0.05,
            meaning=lambda v, _: f"split sizes are off their targets by {100 * v:.2g}% of the rows on average.",
            advice="Splits this far from their fractions usually come from large groups or a time gap.",
        ),
        Threshold(
            score="FZ", name="Splits missing a label", warn_from=1, fail_from=math.inf,
            meaning=lambda v, _: "every split has at least one positive row of every label."
            if v == 0 else f"{v:.0f} split(s) have no positive row for at least one label.",
            advice="A label absent from a split cannot be learned or evaluated there; use fewer folds or stratify.",
        ),
        Threshold(
            score="FLZ", name="Split-label pairs with no positives", warn_from=1, fail_from=math.inf,
            meaning=lambda v, _: "no split lacks any label."
            if v == 0 else f"{v:.0f} (split, label) pair(s) have no positive row.",
            advice="Rare labels with fewer positive rows than splits cannot reach every split.",
        ),
        Threshold(
            score="gap", name="Largest label share gap", warn_from=0.01, fail_from=0.05,
            meaning=lambda v, _: f"no label's share of a split's rows differs from its share of all rows by more than {_points(v)}.",
            advice="Stratify on the task with the largest gap.",
        ),
        Threshold(
            score="JS", name="Worst Jensen-Shannon distance", warn_from=0.02, fail_from=0.05,
            meaning=lambda v, _: f"every task's label distribution in every split is within Jensen-Shannon distance {v:.2g} of the whole (0 = identical, 1 = disjoint).",
            advice="Stratify on the task and split shown in the task scores.",
        ),
        Threshold(
            score="KS", name="Worst KS statistic (regression)", warn_from=0.05, fail_from=0.1,
            meaning=lambda v, _: f"each regression target's distribution in a split is within {_points(v)} (largest gap between the CDFs) of the whole.",
            advice="Stratify the regression task by its quantile bins.",
        ),
    )
}  # fmt: skip

# A split that already stratifies (``stratified``, and ``group``: whole groups dealt by their labels) is never told
# to stratify: what limits its balance, and what else to try.
_BALANCED = "a rare label or few groups limit the balance; try order 2, merge rare classes, or another seed."
_ADVICE_WHEN_BALANCED = {
    "LD": _BALANCED, "gap": _BALANCED, "JS": _BALANCED,
    # a regression target has no classes to merge: it is dealt by its quantile bins
    "KS": "a regression target is balanced only bin by bin; try more bins for regression tasks (n_bins, the Split "
          "page's 'Bins for regression tasks'), or another seed.",
    "LPD": "rare label pairs limit the balance; try order 2 (if not set), merge rare classes, or another seed.",
    "FZ": "a label with fewer positive rows than splits cannot reach every split; use fewer folds or merge rare classes.",
}


def advice(score: str, strategy: str | None = None) -> str:
    """What to do about a score that is not a pass, fitting the split's strategy (never the strategy in use).

    Examples
    --------
    >>> advice("LD", "random")
    "Stratify on these tasks (strategy 'stratified')."
    >>> advice("LD", "stratified")
    'Already stratified: a rare label or few groups limit the balance; try order 2, merge rare classes, or another seed.'
    >>> "merge rare classes" in advice("KS", "stratified"), "more bins" in advice("KS", "stratified")
    (False, True)
    """
    record = STRATEGIES.get(strategy) if strategy is not None else None
    if record is not None and record.stratifies and score in _ADVICE_WHEN_BALANCED:
        return record.already + _ADVICE_WHEN_BALANCED[score]
    return THRESHOLDS[score].advice


# Leakage checks (core.diagnostics._leakage). Group leakage always fails; a time overlap warns.
DUPLICATE_FAIL_SHARE = 0.01  # identical feature rows across splits: any warns, this share of rows fails
NEAR_DUPLICATE_DISTANCE = 0.01  # RMS distance over scaled features, in robust standard deviations (IQR / 1.349)
NEAR_DUPLICATE_WARN_SHARE = 0.01  # share of sampled val/test rows with a near-duplicate in train
NEAR_DUPLICATE_FAIL_SHARE = 0.05
# a failing share is only a warning when rows of one split are near each other this often, times this factor:
# coarse features (ages, counts) put distinct rows this close by chance, whatever the split
NEAR_DUPLICATE_CHANCE_FACTOR = 2
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
    quality, task_scores=None, *, worst_js: float | None = None, worst_ks: float | None = None,
    strategy: str | None = None, chance: Chance | None = None,
) -> pd.DataFrame:
    """A verdict per score: ``score``, ``name``, ``value``, ``reference``, ``status``, ``threshold``, ``reading``.

    A split is judged on what its strategy promises. ``reference`` is the chance
    level the score is judged against: what a random split of the same sizes
    gives (LD, LPD), or, with a ``chance`` of whole groups, what random deals of
    those groups give (every score that has one); NaN where the absolute
    threshold alone judges. ED is given as a share of the rows. For ``time`` and
    ``predefined`` splits, how labels differ between splits is information (drift
    between periods, shift between given splits): status ``info``, never a
    verdict; a predefined split has no target sizes, so no ED.

    Parameters
    ----------
    quality : SplitQuality
        From :func:`core.diagnostics.split_quality`.
    task_scores : TaskScores, optional
        From :func:`core.diagnostics.task_scores`; gives the worst JS and KS.
    worst_js, worst_ks : float, optional
        Given directly instead of ``task_scores``.
    strategy : str, optional
        The split's strategy (``SplitConfig.strategy``); None judges every score.
    chance : Chance, optional
        The chance level (:func:`core.diagnostics.group_chance` for a split of whole groups);
        default: a random split of rows.

    Examples
    --------
    >>> from core.diagnostics import split_quality
    >>> quality = split_quality([[1], [0], [1], [0]], ["a", "a", "b", "b"])
    >>> scorecard(quality, worst_js=0.004).set_index("score").loc[["LD", "JS"], "status"].tolist()
    ['pass', 'pass']
    >>> scorecard(quality, worst_js=0.3, strategy="time").set_index("score").loc["JS", "status"]
    'info'
    """
    if task_scores is not None:
        worst_js = task_scores.worst_js if worst_js is None else worst_js
        worst_ks = task_scores.worst_ks if worst_ks is None else worst_ks
    if chance is None:
        chance = Chance(against=RANDOM_ROWS, ld=quality.ld_random, lpd=quality.lpd_random)
    values = {
        "LD": quality.ld, "LPD": quality.lpd, "ED": quality.ed_share, "FZ": quality.fz, "FLZ": quality.flz,
        "gap": quality.max_gap, "JS": worst_js, "KS": worst_ks,
    }  # fmt: skip
    record = STRATEGIES.get(strategy) if strategy is not None else None
    if record is not None and record.given:
        del values["ED"]  # the split column sets the sizes: there is no target to be off
    drift = record.drift if record is not None else None
    rows = []
    for score, value in values.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        verdict = _verdict(THRESHOLDS[score], float(value), chance, drift, quality.by_split, advice(score, strategy))
        rows.append(verdict)
    return pd.DataFrame(
        rows, columns=["score", "name", "value", "reference", "status", "threshold", "reading"]
    )


def _verdict(threshold: Threshold, value: float, chance: Chance, not_judged, by_split, advice: str) -> dict:
    """One scorecard row: judged against ``chance``, or shown as information."""
    score, level = threshold.score, chance.of(threshold.score)
    grouped = not threshold.relative and level > 0  # an absolute score with a dealt chance level (groups or rows)
    if threshold.relative:
        meaning = threshold.meaning(value, level, chance.against)
    else:
        meaning = threshold.meaning(value, None)
    if math.isinf(value):
        meaning = _infinite(score, by_split)
    elif grouped:
        meaning += f" {chance.against[0].upper()}{chance.against[1:]} gives {_fmt(level)} ({value / level:.2g}×)."
    row = {"score": score, "name": threshold.name, "value": value,
           "reference": level if (threshold.relative or grouped) else np.nan}
    shown = f"{score} {_fmt(value)}" if math.isfinite(value) else f"{score} is infinite"
    if not_judged is not None and score in LABEL_SCORES:
        lead, why = not_judged
        return {**row, "status": "info", "threshold": f"not judged: {why}",
                "reading": f"{shown}: {lead}: {meaning[0].lower()}{meaning[1:]}"}
    status = threshold.status_against(value, level) if grouped else threshold.status(value, level)
    text = threshold.text()
    if chance.against != RANDOM_ROWS:
        text = text.replace("× random", "× random groups")
    if grouped:
        text += f"; or pass < 0.5× {chance.against}"
    line = f"{shown}: {meaning}"
    return {**row, "status": status, "threshold": text,
            "reading": line if status == "pass" else f"{line} {advice}"}


def _infinite(score: str, by_split) -> str:
    """LD or LPD of a split in which a label (pair) has no negative row: a sentence instead of ``inf``."""
    column = "ld" if score == "LD" else "lpd"
    where = [(str(name), rows) for name, v, rows in zip(by_split["split"], by_split[column], by_split["rows"],
                                                         strict=True) if math.isinf(v)]
    counts = by_split.get("labels_on_every_row")
    if score == "LD" and counts is not None:
        many = dict(zip(by_split["split"].astype(str), counts, strict=True))
        where = [(f"{name} ({many[name]:,} label{'s' if many[name] != 1 else ''})", rows) for name, rows in where]
    item = "label" if score == "LD" else "label pair"
    places = ", ".join(name for name, _ in where) if where else "some split"
    small = where and min(rows for _, rows in where) < 30
    why = ("a split holds very few rows" if small else
           "the split's rows are of one kind, as a period, place or group can be (the label distributions below "
           "show which)")
    return f"in {places}, some {item} is on every row, so its positive-to-negative ratio divides by zero: {why}."


def _short(row) -> str:
    """A scorecard row in a few words, for :func:`status_reason`."""
    value, reference = row.value, row.reference
    versus = f", {value / reference:.2g}× random" if reference > 0 and math.isfinite(value) else ""
    if row.score == "ED":
        return f"sizes off target by {value:.1%} of rows{versus}"
    if row.score in ("FZ", "FLZ"):
        return f"{row.score} {value:.0f}: a label missing from a split"
    if math.isinf(value):
        return f"{row.score} infinite: a split where a label has no negative row"
    if row.score in ("LD", "LPD") and reference > 0:
        return f"{row.score} {value / reference:.2g}× random"
    return f"{row.name[0].lower()}{row.name[1:]} {_fmt(value)}{versus}"


def status_reason(card: pd.DataFrame, problems=()) -> str:
    """Why a split got its status, in one line: what failed, then what warned, then what is not judged.

    Parameters
    ----------
    card : DataFrame
        From :func:`scorecard`.
    problems : iterable of (status, text)
        Other verdicts (leakage checks), e.g. ``("fail", "519 'nr' groups in two splits")``.

    Examples
    --------
    >>> card = pd.DataFrame({"score": ["LD", "JS"], "name": ["Label distribution", "Worst JS"],
    ...     "value": [0.3, 0.01], "reference": [0.1, float("nan")], "status": ["fail", "pass"]})
    >>> status_reason(card, [("warn", "time order broken")])
    'fail: LD 3× random; warn: time order broken'
    """
    found = [(row.status, _short(row)) for row in card.itertuples(index=False) if row.status in ("warn", "fail")]
    found += [(status, text) for status, text in problems if status in ("warn", "fail")]
    parts = []
    for status in ("fail", "warn"):
        items = [text for s, text in found if s == status]
        if items:
            parts.append(f"{status}: {', '.join(items)}")
    reason = "; ".join(parts) if parts else "pass: every judged score passes"
    info = card[card["status"] == "info"]
    if len(info):
        drifts = [record.drift for record in STRATEGIES.values() if record.drift]
        lead = next(lead for lead, _ in drifts if lead in info["reading"].iloc[0])
        reason += f"; {lead} shown, not judged"
    return reason
