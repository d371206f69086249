"""The one-pass leakage checks (groups, identical rows, time) and the result every check returns.

Each check reads the data and the split codes (-1 excluded) once and returns a
:class:`CheckResult`; :func:`core.diagnostics.leakage` runs them and makes the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError
from ..splits import is_fold
from ._thresholds import DUPLICATE_FAIL_SHARE

__all__ = [
    "CheckResult",
    "skipped",
    "share_text",
    "reference_rows",
    "group_check",
    "duplicate_check",
    "time_check",
    "N_EXAMPLES",
    "GROUP_ADVICE",
    "are_folds",
]

N_EXAMPLES = 5
GROUP_ADVICE = "; use the group strategy, or set '{column}' as the split's group column."  # a group check's fix


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict: ``status`` (pass/warn/fail/skipped), a one-line ``detail``, a ``count``."""

    status: str
    detail: str
    count: float = np.nan


def skipped(why: str) -> CheckResult:
    """A check that could not run, and why (one line)."""
    return CheckResult("skipped", why)


def share_text(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage for a detail line: ``12%``, ``0.41%``."""
    percent = 100 * part / whole if whole else 0.0
    return f"{percent:.0f}%" if percent >= 10 else f"{percent:.2g}%"


def are_folds(splits) -> bool:
    """Whether ``splits`` are k-fold cross-validation's folds: each held out in turn, learned from by the others."""
    return len(splits) > 1 and all(is_fold(s) for s in splits)


def reference_rows(codes: np.ndarray, splits: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, str]:
    """Rows learned from (train, or the first split) and rows tested on (the other splits)."""
    ref = splits.index("train") if "train" in splits else 0
    others = [s for i, s in enumerate(splits) if i != ref]
    words = f"{'/'.join(others[:3])}{'...' if len(others) > 3 else ''} rows against {splits[ref]}"
    return np.flatnonzero(codes == ref), np.flatnonzero((codes >= 0) & (codes != ref)), words


# --------------------------------------------------------------------------- one pass checks


def _splits_per_code(item_codes: np.ndarray, split_codes_: np.ndarray, k: int, n_items: int) -> np.ndarray:
    """How many distinct splits each item (group, distinct row) appears in (a hash table, no sort)."""
    pairs = pd.unique(item_codes.astype(np.int64) * k + split_codes_)
    return np.bincount(pairs // k, minlength=n_items)


def group_check(
    df: pd.DataFrame, column: str | None, codes: np.ndarray, splits, *, factorized=None
) -> CheckResult:
    """Groups with rows in more than one split: how many, how many rows, a few examples.

    ``factorized`` is ``pd.factorize(df[column])`` when the caller checks several assignments
    of the same data; it is used when no row is excluded.
    """
    if column is None:
        return skipped("No group column given.")
    kept = codes >= 0
    if factorized is not None and kept.all():
        group_codes, groups = factorized
    else:
        group_codes, groups = pd.factorize(df[column].to_numpy()[kept])
    split_of = codes[kept]
    labelled = group_codes >= 0
    k = len(splits)
    spread = _splits_per_code(group_codes[labelled], split_of[labelled], k, len(groups))
    leaked = np.flatnonzero(spread > 1)
    if leaked.size == 0:
        return CheckResult("pass", f"Each of the {len(groups):,} groups of '{column}' sits in one split.", 0)
    rows = int(np.isin(group_codes, leaked).sum())
    examples = []
    for g in leaked[:N_EXAMPLES]:
        in_splits = [splits[s] for s in np.unique(split_of[group_codes == g])]
        examples.append(f"{groups[g]} ({'+'.join(in_splits)})")
    return CheckResult(
        "fail",
        f"{leaked.size:,} of {len(groups):,} groups of '{column}' ({share_text(leaked.size, len(groups))}) have rows "
        f"in more than one split ({rows:,} rows), e.g. {', '.join(examples)}{GROUP_ADVICE.format(column=column)}",
        leaked.size,
    )


def _inf_as_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with inf and -inf read as missing (NaN) in its float columns; ``frame`` itself when none holds one."""
    infinite = [
        i
        for i, dtype in enumerate(frame.dtypes)
        if pd.api.types.is_float_dtype(dtype)
        and np.isinf(frame.iloc[:, i].to_numpy(dtype=np.float64, na_value=np.nan)).any()
    ]
    if not infinite:
        return frame
    frame = frame.copy()
    for i in infinite:
        column = frame.iloc[:, i]
        frame.iloc[:, i] = column.where(~column.isin([np.inf, -np.inf]))
    return frame


def _shared_rows(df: pd.DataFrame, columns: list[str], kept: np.ndarray, codes: np.ndarray, k: int):
    """Per kept row: its distinct-row code, and whether that row's values appear in two or more splits."""
    hashes = pd.util.hash_pandas_object(_inf_as_missing(df[columns].iloc[kept]), index=False).to_numpy()
    row_codes, uniques = pd.factorize(hashes)
    spread = _splits_per_code(row_codes, codes[kept], k, len(uniques))
    return row_codes, spread[row_codes] > 1


def duplicate_check(
    df: pd.DataFrame, features: list[str], labels: list[str], codes: np.ndarray, splits
) -> CheckResult:
    """Identical feature rows across splits; with task columns, full copies (labels too) decide a fail.

    Rows that share only their features (coarse 0/1 features make many people
    look alike) warn; copies of a whole record, labels included, fail from
    ``DUPLICATE_FAIL_SHARE`` of the rows. Without tasks every feature twin counts as a copy.
    """
    if not features:
        return skipped("No feature columns to compare.")
    kept = np.flatnonzero(codes >= 0)
    row_codes, twins = _shared_rows(df, features, kept, codes, len(splits))
    n_twins = int(twins.sum())
    if n_twins == 0:
        return CheckResult("pass", f"No feature row (over {len(features)} columns) appears in two splits.", 0)
    # a whole copy must be a feature twin, so only the twins are hashed again with their labels
    candidates = kept[twins]
    copy_codes, copies = (
        _shared_rows(df, features + labels, candidates, codes, len(splits))
        if labels
        else (row_codes[twins], twins[twins])
    )
    n_copies = int(copies.sum())
    example_rows = (
        candidates[copy_codes == copy_codes[np.flatnonzero(copies)[0]]]
        if n_copies
        else (kept[row_codes == row_codes[np.flatnonzero(twins)[0]]])
    )
    example = ", ".join(f"row {r:,} ({splits[codes[r]]})" for r in example_rows[:3])
    detail = (
        f"{n_twins:,} rows ({share_text(n_twins, kept.size)}) share their values of {len(features)} feature columns "
        f"with a row in another split ({int(row_codes.max()) + 1:,} distinct feature rows in {kept.size:,})"
    )
    if labels:
        detail += f"; {n_copies:,} of them are whole copies, labels included"
    status = "fail" if n_copies / kept.size >= DUPLICATE_FAIL_SHARE else "warn"
    return CheckResult(status, f"{detail}; e.g. {example}.", n_twins)


def _time_values(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return series.to_numpy()
    parsed = pd.to_datetime(series, errors="coerce")
    if parsed.notna().sum() < series.notna().sum():
        raise DataError(
            f"Time column '{series.name}' holds values that are not dates or numbers; pick a time column."
        )
    return parsed.to_numpy()


def time_check(
    df: pd.DataFrame, column: str | None, codes: np.ndarray, splits, *, group_column: str | None = None,
    group_time: str | None = None,
) -> CheckResult:
    """Val/test rows dated on or before the end of train; with ``group_time`` first/last, groups' first/last times."""
    if column is None:
        return skipped("No time column given.")
    if len(splits) < 2:
        return skipped("Only one split: nothing to compare.")
    values = pd.Series(_time_values(df[column]))
    if group_time in ("first", "last") and group_column is not None and "train" in splits:
        return _group_time_check(df[group_column], values, codes, splits, column, group_time)
    if "train" not in splits and are_folds(splits):
        return _folds_time_check(values, codes, splits, column)
    if "train" not in splits:
        ranges = [(values[codes == i].min(), values[codes == i].max(), s) for i, s in enumerate(splits)]
        ranges = sorted((r for r in ranges if pd.notna(r[0])), key=lambda r: r[0])
        overlaps = sum(later[0] <= earlier[1] for earlier, later in zip(ranges, ranges[1:], strict=False))
        if overlaps == 0:
            return CheckResult("pass", "The splits follow one another in time without overlap.", 0)
        return CheckResult(
            "warn", f"{overlaps} consecutive pair(s) of splits overlap in time: they interleave.", overlaps
        )
    train_end = values[codes == splits.index("train")].max()
    tested = (codes >= 0) & (codes != splits.index("train"))
    early = int((tested & (values <= train_end).to_numpy()).sum())
    if early == 0:
        return CheckResult("pass", f"Every val/test row comes after the end of train ({train_end}).", 0)
    return CheckResult(
        "warn",
        f"{early:,} of {int(tested.sum()):,} val/test rows ({share_text(early, int(tested.sum()))}) are dated on or "
        f"before the end of train ({train_end}); to score forecasts of the future, split by time.",
        early,
    )


def _folds_time_check(values: pd.Series, codes: np.ndarray, splits, column: str) -> CheckResult:
    """k-fold: rows dated inside the time span of the folds they are scored against (every other fold)."""
    inside = 0
    for i in range(len(splits)):
        held_out, others = codes == i, (codes >= 0) & (codes != i)
        if held_out.any() and others.any():
            first, last = values[others].min(), values[others].max()
            inside += int((held_out & (values >= first).to_numpy() & (values <= last).to_numpy()).sum())
    n_rows = int((codes >= 0).sum())
    if inside == 0:
        return CheckResult("pass", f"Each fold's rows lie outside the time span of the other {len(splits) - 1} "
                                   "folds, which they are scored against.", 0)
    return CheckResult(
        "warn",
        f"{inside:,} of {n_rows:,} rows ({share_text(inside, n_rows)}) are dated inside the time span of the folds a "
        f"model scored on them learns from ('{column}'); these folds score interpolation, not forecasts of the "
        "future: to score those, split by time.",
        inside,
    )


def _group_time_check(groups: pd.Series, values: pd.Series, codes, splits, column: str, group_time: str) -> CheckResult:
    """Groups placed by their first (last) time: every val/test group's must come after every train group's."""
    code = pd.factorize(groups, use_na_sentinel=True)[0].astype(np.int64)
    lone = code < 0  # a row without a group id is a group of its own
    code[lone] = code.max(initial=-1) + 1 + np.arange(int(lone.sum()))
    placing = values.groupby(code).transform("min" if group_time == "first" else "max")
    train = codes == splits.index("train")
    tested = (codes >= 0) & ~train
    edge = "starts" if group_time == "first" else "ends"
    train_edge = placing[train].max()
    early = int((tested & (placing <= train_edge).to_numpy()).sum())
    n_tested = int(tested.sum())
    if early:
        return CheckResult(
            "warn",
            f"{early:,} of {n_tested:,} val/test rows ({share_text(early, n_tested)}) belong to '{groups.name}' groups "
            f"that {edge.removesuffix('s')} on or before the last train group {edge} ({train_edge}); groups were to be "
            f"placed by their {group_time} '{column}'.",
            early,
        )
    overlap = int((tested & (values <= values[train].max()).to_numpy()).sum())
    if group_time == "first":
        detail = (
            f"Every val/test group of '{groups.name}' starts after the last train group starts ({train_edge}): "
            "val/test hold only groups new to train."
        )
        why = "train's groups go on in time"
    else:
        detail = (
            f"Every train group of '{groups.name}' ends by {train_edge}, before every val/test group ends."
        )
        why = "val/test groups bring their earlier rows along"
    if overlap:
        detail += (
            f" {overlap:,} of {n_tested:,} val/test rows ({share_text(overlap, n_tested)}) are dated on or before "
            f"the end of train ({values[train].max()}), as placing groups by their {group_time} time allows: {why}."
        )
    return CheckResult("pass", detail, 0)
