"""The ``time`` strategy: chronological blocks of distinct time values, with an optional gap.

Rows of one time value stay together; ``gap`` distinct time values between
consecutive splits are ``excluded``. With groups, ``group_time`` says how a
group is placed: wholly in the split of its first time value (``first``: new
groups appear only in later splits), of its last (``last``: train holds groups
that ended before val/test), or not at all (``rows``: rows split by time, a
group may straddle splits). The
cut falls where the rows before a split's first time value come nearest its
cumulative fraction, and a gap is taken from the end of the *earlier* split
(as sklearn's ``TimeSeriesSplit`` shrinks train), so val and test keep their sizes.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import DataError, shown
from ._units import Units, to_all_splits

if TYPE_CHECKING:  # the strategy registry, which the config reads, points at time_split
    from ._config import SplitConfig

__all__ = ["time_split", "time_order", "time_order_words", "one_split_placings", "default_group_time", "PLACED_BY"]

# how a unit's placing time is read from its rows' times, per group_time
PLACED_BY = {"first": "min", "last": "max"}


def time_split(df, tasks, config: SplitConfig, units: Units, notes: list[str]) -> np.ndarray:
    """Chronological blocks of distinct time values, ``gap`` values left out between blocks."""
    times = _parse_times(df[config.time_column], config.time_column)
    values, rank = np.unique(times, return_inverse=True)
    rank = rank.ravel()
    # per unit: a row's own time value, or a group's first (or last) time value
    start_rank = (
        rank if units.code is None else pd.Series(rank).groupby(units.code).agg(PLACED_BY[config.group_time]).to_numpy()
    )
    rows_per_value = np.bincount(start_rank, weights=units.sizes, minlength=values.size)
    shares = config.shares
    block = _time_blocks(rows_per_value, shares[shares > 0], config.gap, config.time_column)
    unit_split = np.where(
        block[start_rank] >= 0, to_all_splits(np.maximum(block[start_rank], 0), shares), -1
    )
    other = None
    if units.code is not None and np.unique(start_rank).size == 1:  # every group placed at one time value
        other = "last" if config.group_time == "first" else "first"
        placed = pd.Series(rank).groupby(units.code).agg(PLACED_BY[other]).to_numpy()
        other = other if np.unique(placed).size > 1 else None  # never suggest a placing that fails the same way
    note = _time_size_note(unit_split, units, config, values[np.unique(start_rank)], other)
    if note:
        notes.append(note)
    return units.rows(unit_split)


def one_split_placings(df: pd.DataFrame, time_column: str, group_column: str) -> tuple[str, ...]:
    """The group placings (``first``, ``last``) that put every group at one time value, so in one split.

    A balanced panel (every group from the same first to the same last time) gives both.

    Examples
    --------
    >>> panel = pd.DataFrame({"g": [1, 1, 2, 2], "t": [1997, 1998, 1997, 1998]})
    >>> one_split_placings(panel, "t", "g")
    ('first', 'last')
    """
    rank = np.unique(_parse_times(df[time_column], time_column), return_inverse=True)[1].ravel()
    group = pd.factorize(df[group_column], use_na_sentinel=True)[0]
    by_group = pd.Series(rank[group >= 0]).groupby(group[group >= 0])
    return tuple(mode for mode, how in PLACED_BY.items() if by_group.agg(how).nunique() <= 1)


def default_group_time(df: pd.DataFrame, time_column: str, group_column: str) -> str:
    """How a time split should place groups when the user has not said: ``first``, else ``last``, else ``rows``.

    ``first`` (new groups in val/test) unless every group starts at one time value
    (all would go to one split); then ``last`` unless every group also ends at one
    time value; then ``rows`` (rows by time, groups straddle), the only placing that
    splits such a panel.

    Examples
    --------
    >>> panel = pd.DataFrame({"g": [1, 1, 2, 2], "t": [1997, 1998, 1997, 1998]})
    >>> default_group_time(panel, "t", "g")
    'rows'
    """
    failing = one_split_placings(df, time_column, group_column)
    return next((mode for mode in PLACED_BY if mode not in failing), "rows")


def time_order(df: pd.DataFrame, config: SplitConfig) -> np.ndarray:
    """Row positions in the order a time split sees them: by placing time, then group, then the row's own time.

    The placing time is the row's own time value, or its group's first (last)
    time value when ``config.time_groups`` is ``first`` (``last``), so a fold
    strip drawn in this order shows each split as the block the split made.

    Examples
    --------
    >>> from core.splits import SplitConfig
    >>> frame = pd.DataFrame({"g": ["b", "a", "b", "a"], "t": [1, 2, 3, 4]})
    >>> time_order(frame, SplitConfig(strategy="time", time_column="t", group_column="g")).tolist()
    [0, 2, 1, 3]
    """
    times = _parse_times(df[config.time_column], config.time_column)
    rank = np.unique(times, return_inverse=True)[1].ravel()
    if config.time_groups in PLACED_BY:
        group = pd.factorize(df[config.group_column], use_na_sentinel=True)[0].astype(np.int64)
        lone = group < 0  # a row without a group id is a group of its own, as make_units says
        group[lone] = group.max(initial=-1) + 1 + np.arange(int(lone.sum()))
        placing = pd.Series(rank).groupby(group).transform(PLACED_BY[config.time_groups]).to_numpy()
        return np.lexsort((rank, group, placing))
    return np.argsort(rank, kind="stable")


def time_order_words(config: SplitConfig) -> str:
    """What :func:`time_order` orders by, for a chart's axis.

    Examples
    --------
    >>> from core.splits import SplitConfig
    >>> time_order_words(SplitConfig(strategy="time", time_column="year", group_column="id"))
    "each id's first year, then id, then year"
    """
    if config.time_groups in PLACED_BY:
        group, when = config.group_column, config.time_column
        return f"each {group}'s {config.time_groups} {when}, then {group}, then {when}"
    return str(config.time_column)


def _parse_times(series: pd.Series, column: str) -> np.ndarray:
    """Sortable time values: numbers, datetimes, or text that parses as either."""
    missing = int(series.isna().sum())
    if missing:
        raise DataError(
            f"time_column '{column}' has {missing:,} missing values; every row needs a time for a time split, so fill or drop them."
        )
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert(None)
    if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series):
        return series.to_numpy()
    if pd.api.types.is_integer_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=np.int64)
    if pd.api.types.is_numeric_dtype(series):
        return series.to_numpy(dtype=np.float64)
    numbers = pd.to_numeric(series, errors="coerce")
    if numbers.notna().all():
        return numbers.to_numpy(dtype=np.float64)
    dates = _parse_dates(series)
    if dates is None:
        failed = numbers.isna()
        example = series[failed].iloc[0]
        raise DataError(
            f"time_column '{column}' does not parse as numbers or dates (e.g. {shown(example)}); pick a column of numbers, dates or date strings."
        )
    return dates


def _parse_dates(series: pd.Series) -> np.ndarray | None:
    text = series.astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas warns when it falls back to per-element parsing
        for fmt in (None, "mixed"):
            try:
                dates = pd.to_datetime(text, errors="coerce", utc=True, format=fmt)
            except (TypeError, ValueError, OverflowError):
                continue
            if dates.notna().all():
                return dates.dt.tz_convert(None).to_numpy()
    return None


def _time_blocks(rows_per_value: np.ndarray, shares: np.ndarray, gap: int, column: str) -> np.ndarray:
    """Split index (or -1 for the gap) per distinct time value, blocks in order.

    Block j starts at the time value whose rows-before count is nearest the
    cumulative target; each block keeps at least one value and the gaps fit.
    Hand-written: no library cuts ordered, weighted values into gapped blocks.
    """
    n_values, m = rows_per_value.size, shares.size
    needed = m + (m - 1) * gap
    if n_values < needed:
        raise DataError(
            f"time_column '{column}' has {n_values} distinct values, too few for {m} splits with gap={gap} "
            f"(it needs {needed}); lower gap or use fewer splits."
        )
    before = np.cumsum(rows_per_value) - rows_per_value
    targets = np.cumsum(shares)[:-1] * rows_per_value.sum()
    starts = [0]
    for j, target in enumerate(targets, start=1):
        ideal = int(np.argmin(np.abs(before - target)))
        low, high = starts[-1] + gap + 1, n_values - 1 - (m - 1 - j) * (gap + 1)
        starts.append(min(max(ideal, low), high))
    block = np.full(n_values, -1, dtype=np.int64)
    ends = [start - gap for start in starts[1:]] + [n_values]
    for j, (start, end) in enumerate(zip(starts, ends, strict=True)):
        block[start:end] = j
    return block


def _time_size_note(
    unit_split: np.ndarray, units: Units, config: SplitConfig, placing_values: np.ndarray, other: str | None = None
) -> str | None:
    """A warning when time order pushes the sizes far (> 10 points) from the fractions.

    ``other`` is the other group placing when it would split the groups, else None (it would fail the same way).
    """
    names, shares = config.split_names, config.shares
    kept = unit_split >= 0
    rows = np.bincount(unit_split[kept], weights=units.sizes[kept], minlength=len(names))
    got = rows / max(rows.sum(), 1)
    if np.all(np.abs(got - shares) <= 0.10) and np.all(rows[shares > 0] > 0):
        return None
    sizes = ", ".join(f"{name} {share:.0%}" for name, share in zip(names, got, strict=True))
    wanted = ", ".join(f"{share:.0%}" for share in shares)
    edge = "starts" if config.group_time == "first" else "ends"
    if units.code is not None and placing_values.size == 1:
        instead = f"place each group by its {other} time, or " if other else ""
        return (
            f"Every group of '{config.group_column}' {edge} at the same time value ({placing_values[0]}), so all go to "
            f"one split ({sizes}); {instead}split rows by time and let groups straddle splits (group_time='rows'), "
            "or use strategy 'group'."
        )
    reason = (
        f"groups are placed by their {config.group_time} time value"
        if units.code is not None
        else "rows of one time value stay together"
    )
    return f"The time split sizes are {sizes} instead of {wanted}: {reason}."
