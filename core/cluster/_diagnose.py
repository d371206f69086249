"""Diagnostics from counts: what a split of any size looks like, from the (label sets x splits) table.

:class:`ClusterDiagnosis` holds the counts the join pass brings back and reads them as the in-memory
diagnostics do: LD, ED, LPD, FZ and FLZ by :func:`core.diagnostics.split_quality_of_counts` (equal to
:func:`core.diagnostics.split_quality` of the same rows), label counts per split, co-occurrence per split
and its shift. The leakage checks on groups, identical feature rows (a hash of the feature columns) and
time are exact reductions over the cluster (:func:`spread_graph`, :func:`time_check_rows`); the sampled
checks (near-duplicates, single-feature predictors) run on a stated sample in the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..diagnostics import DUPLICATE_FAIL_SHARE, SplitQuality, split_quality_of_counts
from ..splits import EXCLUDED, WHOLE, is_fold, split_order
from ..tasks import MISSING
from ._labels import LabelSets

__all__ = ["ClusterDiagnosis", "build_diagnosis", "quality_of", "spread_graph", "spread_totals", "time_check_rows", "check_frame", "CHECK_TITLES"]

CHECK_TITLES = {
    "group": "Groups in more than one split",
    "duplicates": "Identical feature rows across splits",
    "time": "Time overlap between splits",
}


@dataclass(frozen=True, eq=False, kw_only=True)
class ClusterDiagnosis:
    """A split's diagnostics from counts (see the module). Every frame is small: labels x splits at most."""

    splits: tuple[str, ...]
    sizes: pd.DataFrame  # split, rows, share (excluded last when present)
    quality: SplitQuality | None  # None without tasks
    sets: LabelSets | None
    counts: np.ndarray  # (S, k) rows of each label set per split
    leakage: pd.DataFrame  # check, title, status, detail, count
    fractions: dict | None = None
    fractions_known: bool = True
    notes: tuple[str, ...] = field(default=())

    @property
    def labels(self) -> tuple[str, ...]:
        return self.sets.labels if self.sets is not None else ()

    def _per_split(self) -> np.ndarray:
        """(k, L) positive rows per split and label."""
        return np.asarray((self.sets.matrix.T @ self.counts).T)

    def label_counts(self) -> pd.DataFrame:
        """The counts frame of :func:`core.diagnostics.label_distribution` (its ``counts``), from the set counts.

        One row per task, split (present splits in display order, then ``all``) and label (its classes,
        labels or bins, then ``(missing)``): ``task, kind, split, label, indicator, is_missing, count,
        split_rows, fraction, fraction_labelled``. Equal to the in-memory frame on the same rows.
        """
        columns = ["task", "kind", "split", "label", "indicator", "is_missing", "count", "split_rows", "fraction",
                   "fraction_labelled"]
        if self.sets is None:
            return pd.DataFrame(columns=columns)
        present = [i for i in range(len(self.splits)) if self.counts[:, i].sum() > 0]
        order = split_order([self.splits[i] for i in present])
        chosen = [self.splits.index(name) for name in order if name != EXCLUDED]
        counts = self.counts[:, chosen]
        positives = np.asarray((self.sets.matrix.T @ counts).T)  # (k, L)
        missing = (self.sets.missing.T.astype(np.int64) @ counts).T  # (k, T)
        sizes = counts.sum(axis=0)
        positives = np.vstack([positives, positives.sum(axis=0)])
        missing = np.vstack([missing, missing.sum(axis=0)])
        sizes = np.append(sizes, sizes.sum())
        names = (*(self.splits[i] for i in chosen), WHOLE)
        tasks = np.asarray(self.sets.label_tasks)
        frames = []
        for t, (task, kind) in enumerate(zip(self.sets.task_names, self.sets.task_kinds, strict=True)):
            mine = np.flatnonzero(tasks == task)
            classes = [self.sets.label_values[j] for j in mine]
            count = np.hstack([positives[:, mine], missing[:, [t]]]).astype(np.int64)
            labelled = sizes - missing[:, t]
            with np.errstate(divide="ignore", invalid="ignore"):
                fraction = count / sizes[:, None]
                fraction_labelled = np.hstack([positives[:, mine] / labelled[:, None], np.full((len(names), 1), np.nan)])
            width = len(classes) + 1
            frames.append(pd.DataFrame({
                "task": task, "kind": kind, "split": np.repeat(names, width), "label": [*classes, MISSING] * len(names),
                "indicator": [*(self.sets.labels[j] for j in mine), None] * len(names),
                "is_missing": ([False] * len(classes) + [True]) * len(names), "count": count.ravel(),
                "split_rows": np.repeat(sizes, width), "fraction": fraction.ravel(),
                "fraction_labelled": fraction_labelled.ravel(),
            }))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

    def cooccurrence(self, split: str | None = None) -> pd.DataFrame:
        """Rows holding both labels (L x L; the diagonal: rows holding the label), in one split or all."""
        weights = self.counts.sum(axis=1) if split is None else self.counts[:, self.splits.index(split)]
        matrix = self.sets.matrix.astype(np.float64)
        both = (matrix.T.multiply(weights).tocsr() @ matrix).toarray().astype(np.int64)
        return pd.DataFrame(both, index=list(self.labels), columns=list(self.labels))

    def cooccurrence_shift(self, a: str, b: str) -> pd.DataFrame:
        """P(column label | row label) in split ``b`` minus in split ``a`` (NaN where a label is absent)."""
        def conditional(split):
            both = self.cooccurrence(split).to_numpy(dtype=np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                return both / np.diag(both)[:, None]
        return pd.DataFrame(conditional(b) - conditional(a), index=list(self.labels), columns=list(self.labels))

    def scores(self) -> dict:
        """JSON-ready: sizes, the five measures, label counts per split and the leakage checks."""
        out: dict = {"sizes": self.sizes.to_dict(orient="records")}
        if self.quality is not None:
            q = self.quality
            out["quality"] = {
                "LD": q.ld, "ED": q.ed if self.fractions_known else None, "LPD": q.lpd, "FZ": q.fz, "FLZ": q.flz,
                "max_gap": q.max_gap, "ld_random": q.ld_random, "lpd_random": q.lpd_random,
                "rows": q.n_rows, "labels": q.n_labels, "pairs": q.n_pairs,
            }
            out["by_split"] = q.by_split.to_dict(orient="records")
            out["labels"] = self.label_counts()[["task", "label", "split", "count"]].to_dict(orient="records")
        out["leakage"] = self.leakage[["check", "status", "detail", "count"]].to_dict(orient="records")
        return _plain(out)


def _plain(value):
    """Numpy scalars and NaN as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else float(value)
    return value


def fractions_for(config, splits: tuple[str, ...], rows: np.ndarray) -> tuple[dict | None, bool]:
    """Target shares for ED, as the report reads them: the config's, equal for folds, else observed (ED unknown)."""
    from ..splits import STRATEGIES

    asked = config is not None and config.n_folds is None and not STRATEGIES[config.strategy].given
    if asked and set(config.fractions) >= set(splits):
        return dict(config.fractions), True
    if all(is_fold(name) for name in splits):
        return None, True
    total = max(int(rows.sum()), 1)
    return {name: int(r) / total for name, r in zip(splits, rows, strict=True)}, False


def _present_fractions(config, names, rows: np.ndarray) -> tuple[dict | None, bool]:
    """:func:`fractions_for` the splits that hold rows."""
    present = tuple(name for name, r in zip(names, rows, strict=True) if r > 0)
    return fractions_for(config, present, rows[rows > 0])


def quality_of(config, names, rows: np.ndarray, sets: LabelSets | None, counts: np.ndarray):
    """The :class:`core.diagnostics.SplitQuality` of set counts (S, k) whose splits hold ``rows`` (None without
    labels or rows): what :func:`build_diagnosis` scores, on its own, so that it can run before the join ends.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> from types import SimpleNamespace
    >>> sets = SimpleNamespace(matrix=sp.csr_matrix(np.eye(2)))  # two label sets, one label each
    >>> counts = np.array([[6, 2], [6, 2]])  # each set's rows in train and test
    >>> quality = quality_of(None, ("train", "test"), counts.sum(axis=0), sets, counts)
    >>> float(quality.ld), float(quality.lpd)
    (0.0, 0.0)
    >>> quality_of(None, ("train", "test"), np.zeros(2), sets, counts) is None  # no rows
    True
    """
    if sets is None or not sets.matrix.shape[1] or not rows.sum():
        return None
    fractions, _ = _present_fractions(config, names, rows)
    scored = [i for i, r in enumerate(rows) if r > 0 or (fractions is not None and names[i] in fractions)]
    return split_quality_of_counts(sets.matrix, counts[:, scored], tuple(names[i] for i in scored), fractions)


def build_diagnosis(config, names, sizes_with_excluded: np.ndarray, sets: LabelSets | None,
                    counts: np.ndarray, leakage: pd.DataFrame, notes=(), quality=None) -> ClusterDiagnosis:
    """The diagnosis of ``names`` splits from rows per split ([excluded, split 0..]) and set counts.

    ``quality``: :func:`quality_of` these counts and rows, when made already (else made here).
    """
    rows = sizes_with_excluded[1:]
    excluded = int(sizes_with_excluded[0])
    total = int(sizes_with_excluded.sum())
    table = pd.DataFrame({"split": list(names), "rows": rows.astype(np.int64)})
    if excluded:
        table = pd.concat([table, pd.DataFrame({"split": [EXCLUDED], "rows": [excluded]})], ignore_index=True)
    table["share"] = table["rows"] / max(total, 1)
    fractions, known = _present_fractions(config, names, rows)
    if quality is None:
        quality = quality_of(config, names, rows, sets, counts)
    return ClusterDiagnosis(
        splits=tuple(names), sizes=table, quality=quality, sets=sets, counts=counts, leakage=leakage,
        fractions=fractions, fractions_known=known, notes=tuple(notes),
    )


# --------------------------------------------------------------------------- exact leakage


def _spread_summary(agg: pd.DataFrame) -> pd.DataFrame:
    spread = agg[agg["min"] != agg["max"]]
    examples = "|".join(f"{key}\t{lo}\t{hi}" for key, lo, hi in
                        zip(spread.index[:5], spread["min"][:5], spread["max"][:5], strict=False))
    return pd.DataFrame({"items": [len(agg)], "spread": [len(spread)], "rows": [int(spread["count"].sum())],
                         "examples": [examples]})


def spread_graph(frame, key: str, n_out: int):
    """A dask graph: per distinct ``key``, whether its rows sit in more than one split; summed per output part."""
    agg = frame.groupby(key)["code"].agg(["min", "max", "count"], split_out=n_out)
    meta = pd.DataFrame({"items": pd.Series([], dtype="i8"), "spread": pd.Series([], dtype="i8"),
                         "rows": pd.Series([], dtype="i8"), "examples": pd.Series([], dtype="object")})
    return agg.map_partitions(_spread_summary, meta=meta)


def spread_totals(parts: pd.DataFrame) -> tuple[int, int, int, list[tuple[str, int, int]]]:
    examples = []
    for text in parts["examples"]:
        for item in filter(None, str(text).split("|")):
            key, lo, hi = item.split("\t")
            examples.append((key, int(lo), int(hi)))
    return int(parts["items"].sum()), int(parts["spread"].sum()), int(parts["rows"].sum()), examples


def _share(part: int, whole: int) -> str:
    percent = 100 * part / whole if whole else 0.0
    return f"{percent:.0f}%" if percent >= 10 else f"{percent:.2g}%"


def group_check_row(column, totals, names) -> tuple[str, str, float]:
    """The group check's status, detail and count, worded as :func:`core.diagnostics.leakage` words it."""
    items, spread, rows, examples = totals
    if spread == 0 and items == 0:  # whole by construction, not counted (the hybrid group split)
        return "pass", f"Every group of '{column}' sits in one split.", 0
    if spread == 0:
        return "pass", f"Each of the {items:,} groups of '{column}' sits in one split.", 0
    shown = ", ".join(f"{key} ({names[lo]}+{names[hi]})" for key, lo, hi in examples[:5])
    return ("fail", f"{spread:,} of {items:,} groups of '{column}' ({_share(spread, items)}) have rows in more than one "
            f"split ({rows:,} rows), e.g. {shown}; use the group strategy, or set '{column}' as the split's group "
            "column.", spread)


def duplicate_check_row(n_features: int, features_totals, whole_totals, kept: int, with_labels: bool):
    distinct, _, twins, _ = features_totals
    if twins == 0:
        return "pass", f"No feature row (over {n_features} columns) appears in two splits.", 0
    copies = whole_totals[2] if with_labels else twins
    detail = (f"{twins:,} rows ({_share(twins, kept)}) share their values of {n_features} feature columns with a row "
              f"in another split ({distinct:,} distinct feature rows in {kept:,})")
    if with_labels:
        detail += f"; {copies:,} of them are whole copies, labels included"
    status = "fail" if copies / max(kept, 1) >= DUPLICATE_FAIL_SHARE else "warn"
    return status, detail + " (exact, over every row).", twins


def time_check_rows(time: dict, names: tuple[str, ...], present: tuple[str, ...], column: str = ""
                    ) -> tuple[str, str, float]:
    """The time check from each split's time range and the rows tested early (the join's ``time`` reduction):
    exact, as :func:`core.diagnostics.leakage` words it. ``present``: the splits holding rows."""
    if len(present) < 2:
        return "skipped", "Only one split: nothing to compare.", np.nan
    if "train" not in present and all(is_fold(name) for name in present) and all(is_fold(n) for n in names):
        inside, n_rows = time["early"], time["total"]
        if inside == 0:
            return ("pass", f"Each fold's rows lie outside the time span of the other {len(present) - 1} folds, which "
                    "they are scored against.", 0)
        return ("warn", f"{inside:,} of {n_rows:,} rows ({_share(inside, n_rows)}) are dated inside the time span of "
                f"the folds a model scored on them learns from ('{column}'); these folds score interpolation, not "
                "forecasts of the future: to score those, split by time.", inside)
    if "train" not in present:
        ranges = sorted((time["ranges"][names.index(p)] for p in present if names.index(p) in time["ranges"]),
                        key=lambda r: r[0])
        overlaps = sum(later[0] <= earlier[1] for earlier, later in zip(ranges, ranges[1:], strict=False))
        if overlaps == 0:
            return "pass", "The splits follow one another in time without overlap.", 0
        return "warn", f"{overlaps} consecutive pair(s) of splits overlap in time: they interleave.", overlaps
    train_end, early, total = time["train_end"], time["early"], time["total"]
    if early == 0:
        return "pass", f"Every val/test row comes after the end of train ({train_end}).", 0
    return ("warn", f"{early:,} of {total:,} val/test rows ({_share(early, total)}) are dated on or before the end of "
            f"train ({train_end}); to score forecasts of the future, split by time.", early)


def check_frame(results: dict) -> pd.DataFrame:
    """The checks as :class:`core.diagnostics.LeakageReport` lays them out (``check, title, status, detail, count``)."""
    rows = []
    for check, title in CHECK_TITLES.items():
        status, detail, count = results.get(check, ("skipped", "Not run.", np.nan))
        rows.append((check, title, status, detail, count))
    return pd.DataFrame(rows, columns=["check", "title", "status", "detail", "count"])
