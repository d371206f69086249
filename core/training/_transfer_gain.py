"""Did multi-task help? Per-task transfer gain with paired-bootstrap intervals, verdicts and Δm.

Split from :mod:`core.training._metrics` (which computes the test metrics themselves): this module compares the
multi-task model's primary test metric with each single-task baseline's on the same resampled test rows
(the resampled metrics are :mod:`core.training._bootstrap`'s).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._bootstrap import BOOTSTRAP_SEED, CONFIDENCE, bootstrap_counts, bootstrap_resamples, primary_on
from ._metrics import LOWER_IS_BETTER, PRIMARY_METRIC, task_metrics, unreliable

__all__ = [
    "TaskGain",
    "TransferGain",
    "transfer_gain_from_metrics",
    "baseline_problem",
    "floor_problem",
    "neither_beats",
    "BLIND_GUESS",
    "DELTA_M_FLOOR",
    "transfer_gain_bootstrap",
    "VERDICTS",
]


VERDICTS = ("helps", "hurts", "no clear difference", "not meaningful")
DELTA_M_FLOOR = 0.05  # a metric less than this above what a blind guess gets (R² 0, AUC 0.5) predicts nothing
# What a model that learnt nothing gets on a primary metric, and the guess it then is no better than.
BLIND_GUESS = {"r2": (0.0, "predicting the mean"), "roc_auc": (0.5, "chance")}


def floor_problem(metric: str, value: float | None, side: str = "single-task") -> str | None:
    """Why ``value`` predicts nothing: less than ``DELTA_M_FLOOR`` above a blind guess; None when it beats it.

    One rule for every primary metric: an R² below 0.05 is no better than the
    mean, an AUC below 0.55 no better than chance, any other metric below 0.05
    near 0. Lower-is-better metrics have no floor.

    Examples
    --------
    >>> floor_problem("r2", -977.0)
    'single-task r2 is -977 (below 0.05: no better than the mean)'
    >>> floor_problem("roc_auc", 0.52, "multi-task")
    'multi-task roc_auc is 0.52 (below 0.55: no better than chance)'
    >>> floor_problem("roc_auc", 0.71) is None
    True
    """
    if value is None or not math.isfinite(value) or metric in LOWER_IS_BETTER:
        return None
    blind, guess = BLIND_GUESS.get(metric, (0.0, None))
    floor = round(blind + DELTA_M_FLOOR, 6)
    if value >= floor:
        return None
    if guess is None:
        return f"{side} {metric} is {value:.3g} (near 0)"
    return f"{side} {metric} is {value:.3g} (below {floor:g}: no better than {guess.replace('predicting ', '')})"


def neither_beats(metric: str, mtl: float | None, stl: float | None) -> str | None:
    """The note of a task on which neither model beats a blind guess (:func:`floor_problem`), or None.

    Examples
    --------
    >>> neither_beats("r2", 0.035, -0.262)
    'neither model beats predicting the mean (r2 below 0.05: multi-task 0.035, single-task -0.262)'
    >>> neither_beats("r2", 0.4, -0.262) is None
    True
    """
    if floor_problem(metric, mtl) is None or floor_problem(metric, stl) is None:
        return None
    blind, guess = BLIND_GUESS.get(metric, (0.0, None))
    what = f"beats {guess}" if guess else f"reaches {DELTA_M_FLOOR:g}"
    return (f"neither model {what} ({metric} below {round(blind + DELTA_M_FLOOR, 6):g}: "
            f"multi-task {mtl:.3g}, single-task {stl:.3g})")


def baseline_problem(metric: str, stl: float | None) -> str | None:
    """Why a task's single-task metric cannot be the base of a relative gain, or None when it can.

    A relative gain divides by the baseline: an R² of 0.01 turns a gain of 0.03 into
    +300%, an R² of -977 (a broken baseline) turns a gain of 978 into +100%. So Δm
    leaves out a task whose baseline predicts nothing (:func:`floor_problem`: an R²
    below ``DELTA_M_FLOOR``, 0.05, is no better than the mean; an AUC below 0.55 no
    better than chance) and any metric whose size is below the floor.

    Examples
    --------
    >>> baseline_problem("r2", -977.0)
    'single-task r2 is -977 (below 0.05: no better than the mean)'
    >>> baseline_problem("roc_auc", 0.71) is None
    True
    """
    if stl is None or not math.isfinite(stl):
        return "single-task metric undefined"
    if why := floor_problem(metric, stl):
        return why
    if abs(stl) < DELTA_M_FLOOR:
        return f"single-task {metric} is {stl:.3g} (near 0)"
    return None


@dataclass(frozen=True, kw_only=True)
class TaskGain:
    """One task's primary test metric with multi-task (``mtl``) and single-task (``stl``) training.

    ``low`` and ``high`` bound the gain's 95% bootstrap interval (paired: the same
    resampled test rows for both models). ``verdict``: ``helps`` (the interval is
    above 0), ``hurts`` (below 0), ``no clear difference`` (it holds 0), or
    ``not meaningful`` (a metric is undefined, the test rows cannot judge the
    task, or neither model beats a blind guess, :func:`neither_beats`: ``note``
    says why); None when no interval was computed. A judged task whose one model
    predicts nothing (:func:`floor_problem`) keeps its verdict, with a ``note``.
    """

    task: str
    metric: str
    mtl: float | None
    stl: float | None
    gain: float | None
    relative_gain: float | None
    low: float | None = None
    high: float | None = None
    verdict: str | None = None
    note: str | None = None


COLUMNS = ["task", "metric", "mtl", "stl", "gain", "relative_gain", "low", "high", "verdict", "note"]


@dataclass(frozen=True, kw_only=True)
class TransferGain:
    """Per-task transfer gain and the run's average relative gain ``delta_m`` (a fraction), with intervals.

    ``delta_m_low`` and ``delta_m_high`` bound Δm's 95% bootstrap interval;
    ``resamples`` is the number of bootstrap resamples (0: no intervals).
    ``left_out`` names the tasks kept out of Δm with why (:func:`baseline_problem`:
    a baseline near zero or broken makes a relative gain meaningless).
    """

    tasks: tuple[TaskGain, ...]
    delta_m: float | None
    delta_m_low: float | None = None
    delta_m_high: float | None = None
    resamples: int = 0
    left_out: tuple[tuple[str, str], ...] = ()

    @property
    def delta_m_clear(self) -> bool:
        """Whether Δm says something: its interval lies on one side of 0 (without an interval: known at all)."""
        if self.delta_m is None:
            return False
        if self.delta_m_low is None or self.delta_m_high is None:
            return self.resamples == 0
        return self.delta_m_low > 0 or self.delta_m_high < 0

    def delta_m_headline(self) -> str:
        """Δm as a headline: the number when it is clear, else words ("no clear difference", "n/a").

        Examples
        --------
        >>> TransferGain(tasks=(), delta_m=-1.722, delta_m_low=-2.174, delta_m_high=1.58,
        ...              resamples=1000).delta_m_headline()
        'no clear difference'
        >>> TransferGain(tasks=(), delta_m=0.032, delta_m_low=0.01, delta_m_high=0.05,
        ...              resamples=1000).delta_m_headline()
        '+3.2%'
        """
        if self.delta_m is None:
            return "n/a"
        return f"{self.delta_m:+.1%}" if self.delta_m_clear else "no clear difference"

    def delta_m_note(self) -> str:
        """One line under the headline: Δm and its interval, how many tasks it averages, and who was left out.

        Examples
        --------
        >>> gains = (TaskGain(task="a", metric="r2", mtl=0.4, stl=0.3, gain=0.1, relative_gain=0.33, low=0.0,
        ...                   high=0.2, verdict="no clear difference"),)
        >>> TransferGain(tasks=gains, delta_m=0.33, delta_m_low=-0.1, delta_m_high=0.9, resamples=1000,
        ...              left_out=(("b", "single-task r2 is -977"),)).delta_m_note()
        'Δm +33.0%, 95% interval -10.0% to +90.0%: it holds 0. Over 1 task; left out: b (single-task r2 is -977).'
        """
        if self.delta_m is None:
            text = "No task has a baseline a relative gain can be taken of."
        else:
            text = f"Δm {self.delta_m:+.1%}"
            if self.delta_m_low is not None and self.delta_m_high is not None:
                text += f", 95% interval {self.delta_m_low:+.1%} to {self.delta_m_high:+.1%}"
                text += "" if self.delta_m_clear else ": it holds 0"
            counted = sum(1 for g in self.tasks if g.verdict != "not meaningful" and g.relative_gain is not None
                          and g.task not in dict(self.left_out))
            text += f". Over {counted} {_tasks(counted) if counted == 1 else 'tasks'}"
            text += "." if not self.left_out else ""
        if self.left_out:
            text += ("; left out: " if self.delta_m is not None else " Left out: ") + "; ".join(
                f"{task} ({why})" for task, why in self.left_out) + "."
        return text

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([vars(gain) for gain in self.tasks], columns=COLUMNS)

    def to_dict(self) -> dict:
        return {"tasks": [vars(gain) for gain in self.tasks], "delta_m": self.delta_m,
                "delta_m_low": self.delta_m_low, "delta_m_high": self.delta_m_high, "resamples": self.resamples,
                "delta_m_left_out": dict(self.left_out)}

    def summary(self) -> str:
        """One sentence for a review meeting: which tasks multi-task training helps, hurts, or leaves alone.

        Examples
        --------
        >>> gains = [TaskGain(task="union", metric="roc_auc", mtl=0.8, stl=0.7, gain=0.1, relative_gain=0.14,
        ...                   low=0.05, high=0.15, verdict="helps"),
        ...          TaskGain(task="married", metric="roc_auc", mtl=0.8, stl=0.7, gain=0.1, relative_gain=0.14,
        ...                   low=0.02, high=0.2, verdict="helps"),
        ...          TaskGain(task="lwage", metric="r2", mtl=0.3, stl=0.3, gain=0.0, relative_gain=0.0,
        ...                   low=-0.02, high=0.02, verdict="no clear difference")]
        >>> TransferGain(tasks=tuple(gains), delta_m=0.09, resamples=1000).summary()
        'Multi-task helps union and married; no clear difference on the other task (95% intervals).'

        A task on which neither model beats a blind guess (:func:`neither_beats`) is
        named apart, never as helped or hurt:

        >>> density = TaskGain(task="density", metric="r2", mtl=0.035, stl=-0.262, gain=0.297, relative_gain=1.13,
        ...                    low=0.2, high=0.4, verdict="not meaningful")
        >>> TransferGain(tasks=(gains[0], density), delta_m=None, resamples=1000).summary()
        'Multi-task helps union; neither model beats predicting the mean on density (95% intervals).'
        """
        by = {verdict: [g.task for g in self.tasks if g.verdict == verdict] for verdict in VERDICTS}
        blind: dict[str, list[str]] = {}  # what neither model beats -> tasks
        for g in self.tasks:
            if g.verdict == "not meaningful" and (why := neither_beats(g.metric, g.mtl, g.stl)) and g.note in (None, why):
                blind.setdefault(why.split(" (")[0].removeprefix("neither model "), []).append(g.task)
                by["not meaningful"].remove(g.task)
        unjudged = [f"neither model {what} on {_names(tasks)}" for what, tasks in blind.items()]
        if by["not meaningful"]:
            unjudged.append(f"not meaningful for {_names(by['not meaningful'])}")
        judged = len(by["helps"]) + len(by["hurts"]) + len(by["no clear difference"])
        if not judged:
            if blind:
                return "No task can be compared: " + "; ".join(unjudged) + f" ({CONFIDENCE:.0%} intervals)."
            return "No task can be compared: " + (
                "every metric is undefined or its test rows too few." if self.resamples else "no intervals computed."
            )
        parts = []
        if by["helps"]:
            parts.append(f"helps {_names(by['helps'])}")
        if by["hurts"]:
            parts.append(f"hurts {_names(by['hurts'])}")
        unclear = len(by["no clear difference"])
        if unclear and not parts:
            sentence = (f"No clear difference between multi-task and single-task on "
                        f"{'the task' if unclear == 1 else f'any of the {unclear} tasks'}")
        else:
            if unclear:
                other = "other " if parts else ""
                parts.append(f"no clear difference on the {other}{_tasks(unclear)}")
            sentence = "Multi-task " + "; ".join(parts)
        return "; ".join([sentence, *unjudged]) + f" ({CONFIDENCE:.0%} intervals)."


def _names(names: list[str]) -> str:
    if len(names) > 4:
        return ", ".join(names[:3]) + f" and {len(names) - 3} more"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _tasks(count: int) -> str:
    return "task" if count == 1 else f"{count} tasks"


def _gain(metric: str, mtl: float | None, stl: float | None) -> tuple[float | None, float | None]:
    """Gain (signed so positive is better) and relative gain of ``mtl`` over ``stl``."""
    sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
    gain = sign * (mtl - stl) if mtl is not None and stl is not None else None
    relative = gain / abs(stl) if gain is not None and stl != 0 else None
    return gain, relative


def _floor_verdict(metric: str, mtl: float | None, stl: float | None) -> dict:
    """``verdict`` "not meaningful" with why when neither model beats a blind guess; else a ``note`` on the one that does not."""
    if why := neither_beats(metric, mtl, stl):
        return {"verdict": "not meaningful", "note": why}
    notes = [why for why in (floor_problem(metric, stl), floor_problem(metric, mtl, "multi-task")) if why]
    return {"note": "; ".join(notes)} if notes else {}


def transfer_gain_from_metrics(
    mtl_test: Mapping[str, Mapping[str, float | None]],
    stl_test: Mapping[str, Mapping[str, float | None]],
    kinds: Mapping[str, str],
) -> TransferGain:
    """Primary-metric gain of multi-task over single-task training per task, and Δm (no intervals).

    ``gain = mtl - stl`` (positive: the shared model does better; signs flip for a
    lower-is-better metric). Δm (Maninis et al. 2019) is the mean over tasks of
    ``(mtl - stl) / |stl|``, with ``|stl|`` so a negative baseline (an R² below
    0) keeps the sign right; tasks with an undefined metric, or a baseline near
    zero or broken (:func:`baseline_problem`: an R² below 0.05, an AUC below 0.55) are left out and
    named in ``left_out``, and Δm is None when none is left. :func:`transfer_gain_bootstrap`
    adds the intervals and verdicts from the test predictions.

    Examples
    --------
    >>> gain = transfer_gain_from_metrics({"a": {"roc_auc": 0.9}}, {"a": {"roc_auc": 0.75}}, {"a": "binary"})
    >>> round(gain.tasks[0].gain, 3), round(gain.delta_m, 3)
    (0.15, 0.2)
    """
    gains = []
    for task, kind in kinds.items():
        metric = PRIMARY_METRIC[kind]
        mtl = mtl_test.get(task, {}).get(metric)
        stl = stl_test.get(task, {}).get(metric)
        gain, relative = _gain(metric, mtl, stl)
        gains.append(TaskGain(task=task, metric=metric, mtl=mtl, stl=stl, gain=gain, relative_gain=relative,
                              **_floor_verdict(metric, mtl, stl)))
    left_out = tuple((g.task, why) for g in gains if g.relative_gain is not None
                     and (why := baseline_problem(g.metric, g.stl)))
    skip = dict(left_out)
    defined = [g.relative_gain for g in gains if g.relative_gain is not None and g.task not in skip]
    return TransferGain(tasks=tuple(gains), delta_m=float(np.mean(defined)) if defined else None,
                        left_out=left_out)


def transfer_gain_bootstrap(
    mtl_outputs: Mapping[str, np.ndarray],
    stl_outputs: Mapping[str, np.ndarray],
    targets: Mapping[str, np.ndarray],
    kinds: Mapping[str, str],
    *,
    resamples: int | None = None,
    seed: int = BOOTSTRAP_SEED,
) -> TransferGain:
    """Transfer gain per task and Δm with 95% percentile intervals from a paired bootstrap of the test rows.

    ``mtl_outputs`` and ``stl_outputs`` are the two models' outputs on the same
    test rows (logits, or standardised values), ``targets`` the encoded test
    targets. Each of ``resamples`` draws (default :func:`bootstrap_resamples`: 1000
    up to 1,000 test rows, at least 200; ``seed`` fixes them) resamples the test
    rows with replacement once, for every task and both models alike, so the
    interval is of the difference, not of two independent scores; Δm's interval
    comes from the same draws. A task whose test rows cannot judge it
    (:func:`unreliable`), whose metric is undefined, or on which neither model
    beats a blind guess (:func:`neither_beats`) is ``not meaningful``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> target = rng.integers(0, 2, 200)
    >>> good, weak = target * 2.0 - 1 + rng.normal(0, 0.5, 200), target * 2.0 - 1 + rng.normal(0, 3, 200)
    >>> gain = transfer_gain_bootstrap({"y": good}, {"y": weak}, {"y": target}, {"y": "binary"}, resamples=200)
    >>> gain.tasks[0].verdict, gain.tasks[0].low > 0, gain.summary()
    ('helps', True, 'Multi-task helps y (95% intervals).')
    """
    names = [task for task in kinds if task in mtl_outputs and task in stl_outputs]
    n = len(next(iter(targets.values()))) if targets else 0
    resamples = bootstrap_resamples(n) if resamples is None else resamples
    chunks = bootstrap_counts(n, resamples, seed) if n and names else []
    tail = (1.0 - CONFIDENCE) / 2 * 100
    gains, relative_draws, left_out = [], [], []
    for task, kind in kinds.items():
        metric = PRIMARY_METRIC[kind]
        if task not in names:
            gains.append(TaskGain(task=task, metric=metric, mtl=None, stl=None, gain=None, relative_gain=None,
                                  verdict="not meaningful", note="no single-task baseline"))
            continue
        target = np.asarray(targets[task])
        mtl = task_metrics(kind, mtl_outputs[task], target, names=(metric,))[metric]
        stl = task_metrics(kind, stl_outputs[task], target, names=(metric,))[metric]
        gain, relative = _gain(metric, mtl, stl)
        note = unreliable(kind, target) or (None if gain is not None else "the metric is undefined on one side")
        if note is not None:
            gains.append(TaskGain(task=task, metric=metric, mtl=mtl, stl=stl, gain=gain,
                                  relative_gain=relative, verdict="not meaningful", note=note))
            continue
        sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
        on_mtl, on_stl = primary_on(kind, mtl_outputs[task], target), primary_on(kind, stl_outputs[task], target)
        m = np.concatenate([on_mtl(c) for c in chunks])  # (B,)
        b = np.concatenate([on_stl(c) for c in chunks])  # (B,)
        draws = sign * (m - b)
        low, high = (float(v) for v in np.nanpercentile(draws, [tail, 100 - tail]))
        verdict = "helps" if low > 0 else "hurts" if high < 0 else "no clear difference"
        gains.append(TaskGain(task=task, metric=metric, mtl=mtl, stl=stl, gain=gain, relative_gain=relative,
                              low=low, high=high,
                              **{"verdict": verdict, **_floor_verdict(metric, mtl, stl)}))
        why = baseline_problem(metric, stl) if relative is not None else None
        if why:
            left_out.append((task, why))
        elif relative is not None:
            with np.errstate(invalid="ignore", divide="ignore"):  # a resample's baseline near 0 is floored too
                relative_draws.append(draws / np.maximum(np.abs(b), DELTA_M_FLOOR))
    skip = dict(left_out)
    defined = [g.relative_gain for g in gains
               if g.relative_gain is not None and g.verdict != "not meaningful" and g.task not in skip]
    delta_m = float(np.mean(defined)) if defined else None
    delta_low = delta_high = None
    if relative_draws:
        stacked = np.stack(relative_draws, axis=1)  # (B, tasks)
        per_draw = np.where(np.isfinite(stacked).all(axis=1), stacked.mean(axis=1), np.nan)
        if np.isfinite(per_draw).any():
            delta_low, delta_high = (float(v) for v in np.nanpercentile(per_draw, [tail, 100 - tail]))
    return TransferGain(tasks=tuple(gains), delta_m=delta_m, delta_m_low=delta_low, delta_m_high=delta_high,
                        resamples=resamples if chunks else 0, left_out=tuple(left_out))
