"""How a split is judged: on what its strategy promises, against what chance gives for the units it dealt.

| strategy          | promises                                  | label scores (LD, LPD, JS, KS, gap, FZ, FLZ) judged against |
|-------------------|-------------------------------------------|--------------------------------------------------------------|
| random, hash      | sizes (groups whole with a group column)  | a random split of the same units                             |
| stratified        | sizes, labels alike in every split        | a random split of the same units                             |
| group             | sizes, groups whole, labels as alike as   | random deals of the same whole groups                        |
|                   | whole groups allow                        |                                                              |
| time              | sizes, time order, groups placed as       | not judged: drift between periods, shown as information     |
|                   | ``group_time`` says                       |                                                              |
| predefined        | nothing: the splits are given             | not judged: shift between the given splits                   |

Groups whole and time order are the leakage checks' (:mod:`core.leakage`). A random
split of rows has a closed-form chance level for LD and LPD (``SplitQuality.ld_random``,
to first order). A deal of whole groups moves a split's label shares further (a few
large groups weigh more than as many rows), so :func:`group_chance` gives LD the same
first-order expectation over *groups* (:func:`_group_ld_chance`), and the other scores
(LPD, ED, gap, JS, KS) the mean of a few random deals of the same groups, seeded by the
split's seed. LD is closed-form because its value over random deals is heavy-tailed
(a label in nearly every row has an exploding ratio): on wagepan's 545 people, 8 deals
put its mean anywhere from 0.29 to 0.52, while JS and LPD means of 8 deals stay within
6% of those of 60.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

from core.distribution import task_scores_of_codes
from core.encoded_tasks import EncodedTasks, assignment_codes
from core.quality import split_quality_of_codes
from core.split_config import SplitConfig
from core.split_units import Units, make_units
from core.thresholds import Chance, scorecard

__all__ = ["DEALS", "dealt_groups", "group_chance", "judge_split"]

DEALS = 8  # random deals of whole groups averaged for the chance level (the spread of the mean: ~1/sqrt(8))


def dealt_groups(config: SplitConfig) -> str | None:
    """The group column whose groups ``config`` dealt out whole, or None when it dealt rows (or did not deal).

    Examples
    --------
    >>> dealt_groups(SplitConfig("group", group_column="nr")), dealt_groups(SplitConfig("time", time_column="t"))
    ('nr', None)
    """
    if config.strategy in ("time", "predefined"):
        return None
    return config.group_column


def group_chance(
    frame: pd.DataFrame, encoded: EncodedTasks, config: SplitConfig, group_column: str, *, deals: int = DEALS
) -> Chance:
    """The mean scores of ``deals`` random deals of whole ``group_column`` groups, at ``config``'s sizes and seed.

    Each deal orders the groups at random and cuts at the cumulative fractions (the
    ``random`` strategy with a group column), seeded ``config.seed``, ``+1``, ...

    Examples
    --------
    >>> from core.encoded_tasks import encode_tasks
    >>> from core.tasks import Task
    >>> frame = pd.DataFrame({"g": np.repeat(np.arange(40), 5), "y": np.repeat([0, 1], 100)})
    >>> encoded = encode_tasks(frame, [Task("y", ("y",), "binary")], 5)
    >>> chance = group_chance(frame, encoded, SplitConfig("group", group_column="g"), "g")
    >>> chance.against, chance.ld > 0
    ("a random deal of whole 'g' groups", True)
    """
    from core.splits import _random  # the random strategy itself, so the chance deal is the deal users get

    units = make_units(frame, group_column, [])
    names = config.split_names
    fractions = None if config.n_folds else dict(config.fractions)
    scores: dict[str, list[float]] = {key: [] for key in ("ld", "lpd", "ed_share", "gap", "js", "ks")}
    for deal in range(deals):
        seeded = SplitConfig("random", fractions=config.fractions, n_folds=config.n_folds,
                             seed=(config.seed + deal) % 2**32, group_column=group_column)
        codes = _random(frame, (), seeded, units, [])
        quality = split_quality_of_codes(encoded.matrix, codes, names, fractions)
        task = task_scores_of_codes(encoded, codes, names)
        for key, value in (("ld", quality.ld), ("lpd", quality.lpd), ("ed_share", quality.ed_share),
                           ("gap", quality.max_gap), ("js", task.worst_js), ("ks", task.worst_ks)):
            scores[key].append(value)
    means = {key: _finite_mean(values) for key, values in scores.items()}
    means["ld"] = _group_ld_chance(encoded.matrix, units, config.shares)
    return Chance(f"a random deal of whole '{group_column}' groups", **means)


def _group_ld_chance(Y, units: Units, shares: np.ndarray) -> float:
    """First-order expected LD when whole units are dealt at random, in the form ``_random_deviation`` has for rows.

    A split of m of the N units (M rows) holds S = sum of its units' positives c_u,
    and S - p M = sum of z_u = c_u - p s_u over its units (s_u: the unit's rows,
    p = D/n), with variance m (N-m)/(N-1) mean(z^2), as for any draw without
    replacement. The ratio S/(M-S) moves by (dS - p dM) / (M (1-p)^2), and
    E|X| = sqrt(2/pi) sd for a normal X. With one row per unit this is the rows'
    formula. Hand-written: no library gives this expectation.
    """
    matrix = sp.csr_matrix(Y, dtype=np.float64)
    n, n_units = matrix.shape[0], units.sizes.size
    counts = units.membership().astype(np.float64) @ matrix  # (N, L) positives per unit
    whole = np.asarray(matrix.sum(axis=0)).ravel()
    scored = (whole > 0) & (whole < n)
    if not scored.any():
        return 0.0
    p = whole[scored] / n
    sizes = units.sizes.astype(np.float64)
    squares = np.asarray(counts.multiply(counts).sum(axis=0)).ravel()[scored]
    cross = (counts.T @ sizes)[scored]
    mean_z2 = (squares - 2 * p * cross + p**2 * (sizes**2).sum()) / n_units
    spreads = []
    for share in shares:
        m, rows = share * n_units, share * n
        if rows <= 0:
            spreads.append(p / (1 - p))  # an empty split's ratio counts as 0, as in core.quality
            continue
        variance = m * (n_units - m) / max(n_units - 1, 1) * mean_z2
        spreads.append(np.sqrt(2 / np.pi * np.maximum(variance, 0)) / (rows * (1 - p) ** 2))
    return float(np.mean(spreads))


def _finite_mean(values: list[float]) -> float:
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    return float(finite.mean()) if finite.size else float("nan")


def judge_split(
    frame: pd.DataFrame, encoded: EncodedTasks, assignment, config: SplitConfig | None,
    fractions: Mapping[str, float] | None = None,
):
    """Score a split and judge it on what its strategy promises: ``(quality, task_scores, scorecard)``.

    Parameters
    ----------
    frame : DataFrame
        The data (for the group column of a group split).
    encoded : EncodedTasks
        The tasks, encoded once (:func:`core.encoded_tasks.encode_tasks`).
    assignment : pandas.Series or array-like
        Split name per row.
    config : SplitConfig or None
        How the split was made; None (a split file without its config) judges every score
        against a random split of rows, with equal target sizes unless ``fractions`` are given.
    fractions : mapping, optional
        Target shares when there is no config.

    Examples
    --------
    >>> from core.encoded_tasks import encode_tasks
    >>> from core.tasks import Task
    >>> frame = pd.DataFrame({"t": range(40), "y": [0] * 30 + [1] * 10})
    >>> encoded = encode_tasks(frame, [Task("y", ("y",), "binary")], 5)
    >>> config = SplitConfig("time", time_column="t", fractions={"train": 0.75, "test": 0.25})
    >>> assignment = ["train"] * 30 + ["test"] * 10
    >>> card = judge_split(frame, encoded, assignment, config)[2].set_index("score")
    >>> card.loc["LD", "status"], card.loc["ED", "status"]
    ('info', 'pass')
    """
    codes, splits = assignment_codes(encoded.index, assignment)
    if config is not None:
        fractions = None if config.n_folds or config.strategy == "predefined" else dict(config.fractions)
    quality = split_quality_of_codes(encoded.matrix, codes, splits, fractions)
    scores = task_scores_of_codes(encoded, codes, splits)
    chance = None
    group_column = dealt_groups(config) if config is not None else None
    if group_column is not None and group_column in frame.columns:
        chance = group_chance(frame, encoded, config, group_column)
    strategy = config.strategy if config is not None else None
    return quality, scores, scorecard(quality, scores, strategy=strategy, chance=chance)
