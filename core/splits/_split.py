"""Splitting: :func:`split` and :class:`SplitResult`; the one import for everything about splits.

``core.splits._split`` also re-exports :class:`SplitConfig` and :class:`Fractions`
(from ``core.splits._config``) and the sklearn splitters
:class:`MultiTaskStratifiedKFold` and :class:`MultiTaskStratifiedShuffleSplit`
(from ``core.splits._sklearn``), so ``from core.splits._split import ...`` is all a
caller needs.

Every strategy computes one split code per row (``-1`` = ``excluded``);
everything else reads that vector, as sklearn's ``StratifiedKFold`` does with
its test-fold ids. Rows become *units* first: one unit per row, or one per
group when ``group_column`` is set, so that no group is ever cut in two.

| strategy     | what decides a row's split                                             |
|--------------|------------------------------------------------------------------------|
| random       | a random order of units, cut at the cumulative fractions               |
| stratified   | :func:`core.splits.stratify.stratify` over the tasks' indicator matrix        |
| group        | stratified, on whole groups (``group_column`` required)                |
| time         | the time column, in order; ``gap`` time values left out between splits; |
|              | groups placed by their first or last time, or rows alone (``group_time``) |
| hash         | a salted, stable hash of ``id_column`` (or of the group id)            |
| predefined   | ``split_column`` as given; a missing value becomes ``excluded``        |

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

from core.errors import ConfigError, DataError
from core.splits._config import (
    DEFAULT_FRACTIONS,
    FOLD_STRATEGIES,
    MAX_SEED,
    STRATEGIES,
    Fractions,
    SplitConfig,
)
from core.splits._names import EXCLUDED, predefined_order
from core.splits._sklearn import MultiTaskStratifiedKFold, MultiTaskStratifiedShuffleSplit
from core.splits._time import time_split
from core.splits._units import Units, fill_empty_splits, make_units, rare_class_note, to_all_splits
from core.splits.stratify import stratify
from core.tasks import Task, indicator_matrix

__all__ = [
    "STRATEGIES",
    "FOLD_STRATEGIES",
    "EXCLUDED",
    "MAX_SEED",
    "DEFAULT_FRACTIONS",
    "Fractions",
    "SplitConfig",
    "SplitResult",
    "split",
    "MultiTaskStratifiedKFold",
    "MultiTaskStratifiedShuffleSplit",
]

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
    if config.strategy == "predefined":
        codes, names = _predefined(df[config.split_column], config.split_column, notes)
    else:
        names = config.split_names
        # a time split with group_time='rows' places rows, not groups: its group column is for the leakage check
        grouped = config.group_column if config.time_groups != "rows" else None
        units = make_units(df, grouped, notes, fix=_single_group_fix(config))
        codes = _STRATEGY[config.strategy](df, tasks, config, units, notes)
        if config.strategy != "time":
            notes.extend(_empty_split_notes(codes, names, config.shares))
    labels = np.array([*names, EXCLUDED], dtype=object)
    assignment = pd.Series(labels[codes], index=df.index, name="split", dtype="str")
    present = (*names, EXCLUDED) if (codes < 0).any() else tuple(names)
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    return SplitResult(assignment, config, tuple(notes), present)


def _single_group_fix(config: SplitConfig) -> str:
    """What to do when the group column holds one group, for this strategy: only group needs the column."""
    if config.strategy == "group":
        return ("a group split needs at least two groups, so pick a column with several groups, "
                "or use strategy 'stratified' with no group column")
    return (f"strategy '{config.strategy}' keeps groups whole when a group column is set, so clear the group "
            "column, or pick a column with several groups")


def _used_columns(config: SplitConfig) -> tuple[str, ...]:
    """The column settings this strategy reads (others are ignored, so a stale one does no harm)."""
    if config.strategy == "predefined":
        return ("split_column",)
    used = {"time": ("time_column",), "hash": ("id_column",) if config.group_column is None else ()}
    return ("group_column", *used.get(config.strategy, ()))


def _check_config_columns(df: pd.DataFrame, config: SplitConfig) -> None:
    for name in _used_columns(config):
        column = getattr(config, name)
        if column is not None and column not in df.columns:
            shown = ", ".join(map(str, list(df.columns)[:8])) + (" ..." if len(df.columns) > 8 else "")
            raise DataError(
                f"{name}='{column}' is not a column of the data (it has {shown}); check the spelling."
            )

def _check_enough_units(config: SplitConfig, units: Units, column: str | None) -> None:
    positive = int((config.shares > 0).sum())
    if positive <= units.sizes.size:
        return
    where = (
        f"{units.sizes.size} groups in column '{column}'"
        if units.code is not None
        else f"{units.sizes.size} rows of the dataset"
    )
    if config.n_folds is not None:
        raise DataError(f"n_folds={config.n_folds} is greater than the {where}. Lower n_folds.")
    raise DataError(
        f"{positive} splits ({', '.join(config.split_names)}) need more than the {where}. Use fewer splits."
    )


def _random(df, tasks, config: SplitConfig, units: Units, notes: list[str]) -> np.ndarray:
    """A random order of units cut at the cumulative fractions: each split within one unit's size."""
    _check_enough_units(config, units, config.group_column)
    rng = np.random.default_rng(config.seed)
    order = rng.permutation(units.sizes.size)
    sizes = units.sizes[order]
    starts = np.cumsum(sizes) - sizes  # rows before each unit in the random order
    shares = config.shares
    bounds = np.cumsum(shares[shares > 0]) * sizes.sum()
    part = np.minimum(np.searchsorted(bounds, starts, side="right"), bounds.size - 1)
    unit_split = np.empty(order.size, dtype=np.int64)
    unit_split[order] = to_all_splits(part, shares)
    if config.n_folds:
        unit_split = fill_empty_splits(unit_split, units.sizes, shares)
    return units.rows(unit_split)


def _stratified(df, tasks, config: SplitConfig, units: Units, notes: list[str]) -> np.ndarray:
    """Every task balanced at once by the engine, over rows or over groups' summed indicators."""
    if not tasks:
        raise DataError(
            f"strategy '{config.strategy}' balances tasks but none is chosen; pick a task or use strategy 'random'."
        )
    _check_enough_units(config, units, config.group_column)
    Y, labels = indicator_matrix(df, tasks, n_bins=config.n_bins)
    unit_Y = Y if units.code is None else units.membership() @ Y.astype(np.int32)
    shares = config.shares
    sizes = None if units.code is None else units.sizes
    rng = np.random.default_rng(config.seed)
    part = stratify(unit_Y, shares[shares > 0], rng=rng, sizes=sizes, order=config.order)
    unit_split = to_all_splits(np.asarray(part, dtype=np.int64), shares)
    if config.n_folds:
        unit_split = fill_empty_splits(unit_split, units.sizes, shares)
    note = rare_class_note(unit_Y, unit_split, labels, config.split_names, shares, units.word)
    if note:
        notes.append(note)
    return units.rows(unit_split)


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


# --------------------------------------------------------------------------- hash


def _hash(df, tasks, config: SplitConfig, units: Units, notes: list[str]) -> np.ndarray:
    """Salted siphash of each id's text, mapped to [0, 1) and cut at the cumulative fractions.

    A row's split depends only on its own id and the seed (the hash key), so
    adding rows never moves an existing one, in any process or machine.
    """
    column = config.group_column or config.id_column
    setting = "group_column" if config.group_column else "id_column"
    missing = int(df[column].isna().sum())
    if missing:
        raise DataError(
            f"{setting} '{column}' has {missing:,} missing values; every row needs an id for a hash split, so fill them."
        )
    codes, ids = pd.factorize(df[column])
    # pandas' siphash-2-4 of each distinct id's UTF-8 text: deterministic, vectorised, not salted per process.
    hashed = pd.util.hash_array(
        _id_strings(pd.Series(ids)), encoding="utf8", hash_key=f"{config.seed:016d}", categorize=False
    )[codes]
    position = (hashed >> np.uint64(11)).astype(np.float64) * 2.0**-53  # top 53 bits -> [0, 1)
    bounds = np.cumsum(config.shares)
    bounds[-1] = 1.0
    return np.minimum(np.searchsorted(bounds, position, side="right"), bounds.size - 1).astype(np.int64)


def _id_strings(series: pd.Series) -> np.ndarray:
    """Each non-missing value as text, whole floats written as integers (``12.0`` reads ``12``); object array."""
    if pd.api.types.is_float_dtype(series):
        numbers = series.to_numpy(dtype=np.float64)
        whole = numbers == np.round(numbers)
        text = np.empty(numbers.size, dtype=object)
        text[whole] = numbers[whole].astype(np.int64).astype(str)
        text[~whole] = [repr(float(v)) for v in numbers[~whole]]
        return text
    return np.asarray(series.astype(str), dtype=object)


# --------------------------------------------------------------------------- predefined


def _predefined(series: pd.Series, column: str, notes: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """Split names from a column; a missing or blank value becomes ``excluded`` (with a warning)."""
    present = series.notna().to_numpy()
    values = np.full(len(series), None, dtype=object)
    values[present] = [name.strip() or None for name in _id_strings(series[present])]
    text = pd.Series(values, index=series.index, dtype=object)
    missing = int(text.isna().sum())
    if missing == len(text):
        raise DataError(f"split_column '{column}' has no values; pick a column that names each row's split.")
    if missing:
        notes.append(
            f"{missing:,} rows have no value in split_column '{column}'; they are marked '{EXCLUDED}'."
        )
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    names = predefined_order([str(u) for u in uniques if str(u) != EXCLUDED])
    position = {name: i for i, name in enumerate(names)} | {EXCLUDED: -1}
    lookup = np.array([position[str(u)] for u in uniques] + [-1], dtype=np.int64)
    return lookup[codes], tuple(names)


_STRATEGY = {"random": _random, "stratified": _stratified, "group": _stratified, "time": time_split, "hash": _hash}
