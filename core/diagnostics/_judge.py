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

Groups whole and time order are the leakage checks' (:mod:`core.diagnostics._leakage`). A random
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
from scipy.spatial.distance import jensenshannon

from ..splits import STRATEGIES, SplitConfig, Units, assignment_codes, make_units
from ..tasks import EncodedTasks
from ._distribution import _ks, task_scores_of_codes
from ._quality import _mean, _ratio_deviation, split_quality_of_codes
from ._thresholds import RANDOM_ROWS, THRESHOLDS, Chance, scorecard

__all__ = ["DEALS", "chance_for", "dealt_groups", "group_chance", "judge_split", "row_chance"]

PAIR_CHUNK = 4_000_000  # label pairs listed at once when counting pairs per group (about 100 MB)
DEALS = 8  # random deals of whole groups averaged for the chance level (the spread of the mean: ~1/sqrt(8))


def dealt_groups(config: SplitConfig) -> str | None:
    """The group column whose groups ``config`` dealt out whole, or None when it dealt rows (or did not deal).

    Examples
    --------
    >>> by_group, by_time = SplitConfig(strategy="group", group_column="nr"), SplitConfig(strategy="time", time_column="t")
    >>> dealt_groups(by_group), dealt_groups(by_time)
    ('nr', None)
    """
    if STRATEGIES[config.strategy].drift is not None:  # not judged against chance: no deal to compare with
        return None
    return config.group_column


def group_chance(
    frame: pd.DataFrame, encoded: EncodedTasks, config: SplitConfig, group_column: str, *, deals: int = DEALS
) -> Chance:
    """What random deals of whole ``group_column`` groups score, at ``config``'s sizes and seed.

    LD is the first-order expectation over groups (:func:`_group_ld_chance`); LPD,
    ED, gap, JS and KS are means over ``deals`` deals, each ordering the groups at
    random and cutting at the cumulative fractions (the ``random`` strategy with a
    group column), seeded ``config.seed``, ``+1``, ... The label counts of a deal are
    summed from per-group counts (of labels and of label pairs) made once, so a
    deal costs a product with the groups, not a pass over the rows (but for KS).

    Examples
    --------
    >>> from core.tasks import encode_tasks
    >>> from core.tasks import Task
    >>> frame = pd.DataFrame({"g": np.repeat(np.arange(40), 5), "y": np.repeat([0, 1], 100)})
    >>> encoded = encode_tasks(frame, [Task("y", ("y",), "binary")], 5)
    >>> chance = group_chance(frame, encoded, SplitConfig(strategy="group", group_column="g"), "g")
    >>> chance.against, chance.ld > 0, chance.js > 0
    ("a random deal of whole 'g' groups", True, True)
    """
    random_deal = STRATEGIES["random"].codes  # the random strategy itself: the chance deal is the deal users get
    units = make_units(frame, group_column, [])
    whole_units = Units(None, units.sizes, "groups")  # the random deal then returns one split per group
    matrix = sp.csr_matrix(encoded.matrix, dtype=np.float64)
    counts_of = (units.membership().astype(np.float64) @ matrix).T.toarray()  # (L, N) positives per group
    n, k = matrix.shape[0], len(config.split_names)
    whole = np.asarray(matrix.sum(axis=0)).ravel()
    pairs_of = _unit_pair_counts(matrix, units)  # (P, N) rows with both labels of a pair, per group
    whole_pairs = np.asarray(pairs_of.sum(axis=1)).ravel()
    regression = [part for part in encoded.tasks if part.task.kind == "regression"]
    scores: dict[str, list[float]] = {key: [] for key in ("lpd", "ed_share", "gap", "js", "ks")}
    for deal in range(deals):
        seeded = SplitConfig(strategy="random", fractions=config.fractions, n_folds=config.n_folds,
                             seed=(config.seed + deal) % 2**32, group_column=group_column)
        unit_split = random_deal(frame, (), seeded, whole_units, [])
        deal_of = np.zeros((unit_split.size, k))
        deal_of[np.arange(unit_split.size), unit_split] = 1.0  # (N, k) one-hot
        counts = (counts_of @ deal_of).T  # (k, L)
        sizes = np.bincount(unit_split, weights=units.sizes, minlength=k)
        rows = units.rows(unit_split)
        split_pairs = (pairs_of @ deal_of).T  # (k, P)
        scores["lpd"].append(float(_mean(_ratio_deviation(split_pairs, sizes, whole_pairs, n))))
        scores["ed_share"].append(float(np.abs(sizes - config.shares * n).mean() / n))
        scores["gap"].append(_largest_gap(counts, sizes, whole, n))
        scores["js"].append(_worst_js(counts, whole, encoded))
        ks = np.concatenate([_ks(part, rows, k) for part in regression]) if regression else np.array([])
        scores["ks"].append(float(ks[np.isfinite(ks)].max()) if np.isfinite(ks).any() else np.nan)
    means = {key: _finite_mean(values) for key, values in scores.items()}
    ld = _group_ld_chance(encoded.matrix, units, config.shares)
    return Chance(against=f"a random deal of whole '{group_column}' groups", ld=ld, **means)


def chance_for(frame: pd.DataFrame, encoded: EncodedTasks, config: SplitConfig | None, quality, scores
               ) -> Chance | None:
    """What a split made with ``config`` is judged against: random deals of the groups it dealt whole
    (:func:`group_chance`), else random splits of rows (:func:`row_chance`); None without a config. One choice for
    the Diagnostics page, the report and the strategy comparison.
    """
    if config is None:
        return None
    group_column = dealt_groups(config)
    if group_column is not None and group_column in frame.columns:
        return group_chance(frame, encoded, config, group_column)
    return row_chance(frame, encoded, config, quality, scores)


def row_chance(frame: pd.DataFrame, encoded: EncodedTasks, config: SplitConfig, quality, scores, *,
               deals: int = DEALS) -> Chance:
    """What random splits of rows at ``config``'s sizes score: LD and LPD in closed form, gap, JS and KS dealt.

    A time or predefined split is not judged against chance (its label shift is drift): LD and LPD only. The
    dealt levels are measured only when the split's own gap, JS or KS is past its absolute threshold: a
    task of hundreds of classes, or a few rows a split, puts every split there (a 20-row set's 5 folds of 4
    rows differ from the whole by chance alone), so such a split is then judged against what random splits of
    the same sizes give, as LD is. ``deals`` random splits, seeded ``config.seed``, ``+1``, ...

    Examples
    --------
    >>> from core.tasks import Task, encode_tasks
    >>> frame = pd.DataFrame({"y": np.arange(20) % 8})
    >>> encoded = encode_tasks(frame, [Task("y", ("y",), "multiclass")], 5)
    >>> config, codes = SplitConfig(strategy="stratified", n_folds=5), np.arange(20) % 5
    >>> quality = split_quality_of_codes(encoded.matrix, codes, ["f0", "f1", "f2", "f3", "f4"], None)
    >>> scores = task_scores_of_codes(encoded, codes, ["f0", "f1", "f2", "f3", "f4"])
    >>> round(row_chance(frame, encoded, config, quality, scores).js, 2) > 0.3
    True
    """
    base = {"against": RANDOM_ROWS, "ld": quality.ld_random, "lpd": quality.lpd_random}
    own = {"gap": quality.max_gap, "JS": scores.worst_js, "KS": scores.worst_ks}
    record = STRATEGIES[config.strategy]
    if record.drift is not None or record.given or all(not np.isfinite(v) or THRESHOLDS[score].status(v) == "pass" for score, v in own.items()):
        return Chance(**base)
    random_deal = STRATEGIES["random"].codes
    matrix = sp.csr_matrix(encoded.matrix, dtype=np.float64)
    n, k = matrix.shape[0], len(config.split_names)
    rows = Units(None, np.ones(n, dtype=np.int64), "rows")
    whole = np.asarray(matrix.sum(axis=0)).ravel()
    regression = [part for part in encoded.tasks if part.task.kind == "regression"]
    dealt: dict[str, list] = {"gap": [], "js": [], "ks": []}
    for deal in range(deals):
        seeded = SplitConfig(strategy="random", fractions=config.fractions, n_folds=config.n_folds,
                             seed=(config.seed + deal) % 2**32)
        codes = np.asarray(random_deal(frame, (), seeded, rows, []), dtype=np.int64)
        one_hot = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(k, n))
        counts = np.asarray((one_hot @ matrix).todense())  # (k, L)
        sizes = np.bincount(codes, minlength=k).astype(np.float64)
        dealt["gap"].append(_largest_gap(counts, sizes, whole, n))
        dealt["js"].append(_task_worst_js(counts, whole, encoded))
        ks = np.concatenate([_ks(part, codes, k) for part in regression]) if regression else np.array([])
        dealt["ks"].append(float(ks[np.isfinite(ks)].max()) if np.isfinite(ks).any() else np.nan)
    js = _js_level(scores, encoded, np.nanmean(np.vstack(dealt.pop("js")), axis=0))
    return Chance(**base, js=js, **{key: _finite_mean(values) for key, values in dealt.items()})


def _task_worst_js(counts: np.ndarray, whole: np.ndarray, encoded: EncodedTasks) -> np.ndarray:
    """Each task's worst Jensen-Shannon distance over the splits (NaN for a task with no labelled split)."""
    out = np.full(len(encoded.tasks), np.nan)
    for i, part in enumerate(encoded.tasks):
        positives = counts[:, part.columns]
        with np.errstate(invalid="ignore", divide="ignore"):
            js = jensenshannon(positives, np.broadcast_to(whole[part.columns], positives.shape), base=2, axis=1)
        js = js[(positives.sum(axis=1) > 0) & np.isfinite(js)]
        out[i] = js.max() if js.size else np.nan
    return out


def _js_level(scores, encoded: EncodedTasks, random_js: np.ndarray) -> float:
    """The random level the worst JS is judged against, so that worst / level is the largest ratio of a task's
    worst JS to what random splits give that task.

    Only tasks past the absolute threshold count. When the worst task is also the one furthest past its own
    random level (the usual case) the level is that task's random level; else (a 220-class task at chance, a
    binary task at 3x its own) the ratio of the task furthest past chance judges the split, so one task at
    chance cannot hide another that is off, nor one task's large chance level excuse another.
    """
    own = scores.frame.groupby("task", sort=False)["js_distance"].max()
    own = np.array([own.get(part.task.name, np.nan) for part in encoded.tasks], dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where((own >= THRESHOLDS["JS"].warn_from) & (random_js > 0), own / random_js, np.nan)
    if not np.isfinite(ratio).any():
        return float("nan")
    return float(np.nanmax(own) / np.nanmax(ratio))


def _unit_pair_counts(matrix: sp.csr_matrix, units: Units) -> np.ndarray | sp.csr_matrix:
    """Rows with both labels of each pair, per group: ``(P, N)``, over the P pairs a < b that LPD scores.

    Pairs on no row or on every row are left out, as :func:`core.diagnostics.split_quality`
    leaves them out of LPD. Every pair of labels on a row is listed (rows taken in
    chunks of at most :data:`PAIR_CHUNK` pairs) and counted per group: into a dense
    array with ``bincount`` while pairs x groups stays under :data:`PAIR_CHUNK`, else
    as a sparse sum. Hand-written: scipy has no row-wise outer product of a sparse matrix.
    """
    n, n_labels = matrix.shape
    n_units = units.sizes.size
    whole = np.triu((matrix.T @ matrix).toarray(), k=1)
    a, b = np.nonzero((whole > 0) & (whole < n))
    pair_of = np.full(n_labels * n_labels, -1, dtype=np.int64)
    pair_of[a * n_labels + b] = np.arange(a.size)
    dense = a.size * n_units <= PAIR_CHUNK
    total = np.zeros(a.size * n_units) if dense else sp.csr_matrix((a.size, n_units))
    per_row = np.diff(matrix.indptr)
    chunk = np.cumsum(per_row * (per_row - 1) // 2) // PAIR_CHUNK
    for start, end in _runs(chunk):
        low, high = matrix.indptr[start], matrix.indptr[end]
        row_of = np.repeat(np.arange(start, end), per_row[start:end])  # row of each stored label
        after = matrix.indptr[row_of + 1] - np.arange(low, high) - 1  # labels after it on its row
        first = np.repeat(np.arange(low, high), after)
        second = first + 1 + np.arange(first.size) - np.repeat(np.cumsum(after) - after, after)
        left, right = matrix.indices[first], matrix.indices[second]
        pair = pair_of[np.minimum(left, right) * n_labels + np.maximum(left, right)]
        kept = pair >= 0
        pair, unit = pair[kept], units.code[row_of[first[kept] - low]]
        if dense:
            total += np.bincount(pair * n_units + unit, minlength=total.size)
        else:
            total = total + sp.csr_matrix((np.ones(pair.size), (pair, unit)), shape=total.shape)
    return total.reshape(a.size, n_units) if dense else total


def _runs(chunk: np.ndarray) -> list[tuple[int, int]]:
    """``(start, end)`` row ranges of equal ``chunk`` values."""
    if chunk.size == 0:
        return []
    edges = np.flatnonzero(np.diff(chunk)) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [chunk.size]])
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _largest_gap(counts: np.ndarray, sizes: np.ndarray, whole: np.ndarray, n: int) -> float:
    """The largest difference between a label's share of a split's rows and of all rows (``max_gap``)."""
    held = whole > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where(sizes[:, None] > 0, np.abs(counts / sizes[:, None] - whole / n), 0.0)[:, held]
    return float(gap.max()) if gap.size else 0.0


def _worst_js(counts: np.ndarray, whole: np.ndarray, encoded: EncodedTasks) -> float:
    """The worst Jensen-Shannon distance of a task's labels in a split from the whole's (``worst_js``)."""
    per_task = _task_worst_js(counts, whole, encoded)
    return float(np.nanmax(per_task)) if np.isfinite(per_task).any() else float("nan")


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
            spreads.append(p / (1 - p))  # an empty split's ratio counts as 0, as in core.diagnostics._quality
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
        The tasks, encoded once (:func:`core.tasks.encode_tasks`).
    assignment : pandas.Series or array-like
        Split name per row.
    config : SplitConfig or None
        How the split was made; None (a split file without its config) judges every score
        against a random split of rows, with equal target sizes unless ``fractions`` are given.
    fractions : mapping, optional
        Target shares when there is no config.

    Examples
    --------
    >>> from core.tasks import encode_tasks
    >>> from core.tasks import Task
    >>> frame = pd.DataFrame({"t": range(40), "y": [0] * 30 + [1] * 10})
    >>> encoded = encode_tasks(frame, [Task("y", ("y",), "binary")], 5)
    >>> config = SplitConfig(strategy="time", time_column="t", fractions={"train": 0.75, "test": 0.25})
    >>> assignment = ["train"] * 30 + ["test"] * 10
    >>> card = judge_split(frame, encoded, assignment, config)[2].set_index("score")
    >>> card.loc["LD", "status"], card.loc["ED", "status"]
    ('info', 'pass')
    """
    codes, splits = assignment_codes(encoded.index, assignment)
    if config is not None:
        fractions = None if config.n_folds or STRATEGIES[config.strategy].given else dict(config.fractions)
    quality = split_quality_of_codes(encoded.matrix, codes, splits, fractions)
    scores = task_scores_of_codes(encoded, codes, splits)
    chance = chance_for(frame, encoded, config, quality, scores)
    strategy = config.strategy if config is not None else None
    return quality, scores, scorecard(quality, scores, strategy=strategy, chance=chance)
