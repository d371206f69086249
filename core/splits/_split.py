"""Splitting: :func:`split` and :class:`SplitResult`. Import them from :mod:`core.splits`.

Every strategy computes one split code per row (``-1`` = ``excluded``);
everything else reads that vector, as sklearn's ``StratifiedKFold`` does with
its test-fold ids. Rows become *units* first: one unit per row, or one per
group when ``group_column`` is set, so that no group is ever cut in two.

The strategies (random, stratified, group, time, hash, predefined) are records of
:data:`core.splits._strategies.STRATEGIES`; :func:`split` dispatches through it.

Choices worth knowing: ``time`` cuts where the rows before a split's first
time value come nearest its cumulative fraction, and takes a gap from the end
of the *earlier* split (as sklearn's ``TimeSeriesSplit`` shrinks train), so
val and test keep their sizes. ``hash`` salts the hash with ``seed``. A
``predefined`` row with no value is ``excluded`` (with a warning), not an
error, since a split column often leaves rows out on purpose. A row with no
group id is a group of its own (with a warning); a missing id (``hash``) or
time (``time``) is a :class:`~core.errors.DataError`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from ..tasks import Task
from ._config import SplitConfig
from ._names import EXCLUDED
from ._strategies import STRATEGIES
from ._units import make_units

__all__ = ["SplitResult", "split"]

# --------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class SplitResult:
    """One split name per row, the config that made it, and what went wrong along the way.

    Attributes
    ----------
    assignment : pandas.Series
        Aligned with ``df.index``, named ``split``: ``train``/``val``/``test``,
        ``fold-0``.., a predefined name, or ``excluded``.
    config : SplitConfig
    warnings : tuple of str
        One line each; :func:`split` also emitted them as ``UserWarning``.
    split_names : tuple of str
        In order: the fractions' order or folds, ``excluded`` last when present.

    Examples
    --------
    >>> result = split(pd.DataFrame({"x": range(10)}), [], SplitConfig(strategy="random"))
    >>> result.to_frame()
       split  rows  share
    0  train     7    0.7
    1    val     2    0.2
    2   test     1    0.1
    """

    assignment: pd.Series
    config: SplitConfig
    warnings: tuple[str, ...] = ()
    split_names: tuple[str, ...] = field(default=())

    def to_frame(self) -> pd.DataFrame:
        """Rows and share of rows per split, in :attr:`split_names` order."""
        counts = self.assignment.value_counts().reindex(list(self.split_names), fill_value=0)
        rows = counts.to_numpy(dtype=np.int64)
        share = rows / max(len(self.assignment), 1)
        return pd.DataFrame({"split": list(self.split_names), "rows": rows, "share": share})


# --------------------------------------------------------------------------- split()


def split(
    df: pd.DataFrame, tasks: list[Task] | tuple[Task, ...] = (), config: SplitConfig | None = None
) -> SplitResult:
    """Assign every row of ``df`` to one split, as ``config`` says.

    Raises :class:`DataError` when the data cannot be split that way (unknown
    column, more folds than rows or groups, a single group, a time column that
    does not parse, a missing id); recoverable trouble (a class too rare to
    reach every split, sizes far from the fractions) is a ``UserWarning``,
    also kept in ``SplitResult.warnings``.

    Examples
    --------
    >>> frame = pd.DataFrame({"y": [0, 1] * 10})
    >>> result = split(frame, [Task("y", ("y",), "binary")], SplitConfig(n_folds=2))
    >>> result.to_frame()["rows"].tolist()
    [10, 10]
    """
    config = SplitConfig() if config is None else config
    if not isinstance(config, SplitConfig):
        raise ConfigError(f"config={config!r} is not a SplitConfig; build one with SplitConfig(...).")
    if len(df) == 0:
        raise DataError("The data has no rows; load a table with at least one row.")
    _check_config_columns(df, config)
    tasks = tuple(tasks)
    notes: list[str] = []
    strategy = STRATEGIES[config.strategy]
    if strategy.given:
        codes, names = strategy.codes(df, tasks, config, None, notes)
    else:
        names = config.split_names
        # a time split with group_time='rows' places rows, not groups: its group column is for the leakage check
        grouped = config.group_column if config.time_groups != "rows" else None
        units = make_units(df, grouped, notes, fix=_single_group_fix(config))
        codes = strategy.codes(df, tasks, config, units, notes)
        if strategy.notes_empty_splits:
            notes.extend(_empty_split_notes(codes, names, config.shares))
    labels = np.array([*names, EXCLUDED], dtype=object)
    assignment = pd.Series(labels[codes], index=df.index, name="split", dtype="str")
    present = (*names, EXCLUDED) if (codes < 0).any() else tuple(names)
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    return SplitResult(assignment, config, tuple(notes), present)


def _single_group_fix(config: SplitConfig) -> str:
    """What to do when the group column holds one group, for this strategy: only group needs the column."""
    if STRATEGIES[config.strategy].column == "group_column":
        return ("a group split needs at least two groups, so pick a column with several groups, "
                "or use strategy 'stratified' with no group column")
    return (f"strategy '{config.strategy}' keeps groups whole when a group column is set, so clear the group "
            "column, or pick a column with several groups")


def _used_columns(config: SplitConfig) -> tuple[str, ...]:
    """The column settings this strategy reads (others are ignored, so a stale one does no harm)."""
    strategy = STRATEGIES[config.strategy]
    if strategy.given:
        return (strategy.column,)
    stands_in = strategy.group_stands_in and config.group_column is not None
    own = (strategy.column,) if strategy.column and not stands_in else ()
    return tuple(dict.fromkeys(("group_column", *own)))


def _check_config_columns(df: pd.DataFrame, config: SplitConfig) -> None:
    for name in _used_columns(config):
        column = getattr(config, name)
        if column is not None and column not in df.columns:
            shown = ", ".join(map(str, list(df.columns)[:8])) + (" ..." if len(df.columns) > 8 else "")
            raise DataError(
                f"{name}='{column}' is not a column of the data (it has {shown}); check the spelling."
            )


def _empty_split_notes(codes: np.ndarray, names: tuple[str, ...], shares: np.ndarray) -> list[str]:
    counts = np.bincount(codes[codes >= 0], minlength=len(names))
    empty = [
        name for name, count, share in zip(names, counts, shares, strict=True) if share > 0 and count == 0
    ]
    if not empty:
        return []
    return [
        f"Split(s) {', '.join(empty)} got none of the {codes.size:,} rows; give them a larger share or use fewer splits."
    ]
