"""The split strategies, once: a :class:`Strategy` record per strategy in :data:`STRATEGIES`.

Each record says what a reader needs to know about one strategy: its name, the column setting it
needs, whether it takes folds, whether it balances labels, how it is judged, the line the Split page
shows, and the function that computes its split codes. :func:`core.splits.split` dispatches through
it, :class:`core.splits.SplitConfig` validates against it, and the Split page, the sidebar, the
command line, the comparison and the judge read it. Adding a strategy is adding a record here.

| strategy     | what decides a row's split                                             |
|--------------|------------------------------------------------------------------------|
| random       | a random order of units, cut at the cumulative fractions               |
| stratified   | :func:`core.splits.stratify.stratify` over the tasks' indicator matrix  |
| group        | stratified, on whole groups (``group_column`` required)                |
| time         | the time column, in order; ``gap`` time values left out between splits; |
|              | groups placed by their first or last time, or rows alone (``group_time``) |
| hash         | a salted, stable hash of ``id_column`` (or of the group id)            |
| predefined   | ``split_column`` as given; a missing value becomes ``excluded``        |

A strategy's ``codes`` function takes ``(df, tasks, config, units, notes)`` and returns one split
code per row (an index into ``config.split_names``, ``-1`` for ``excluded``), appending warnings to
``notes``. A strategy that reads its splits from a column (``given``) gets ``units=None`` and
returns ``(codes, names)``, the split names it found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import DataError
from ..tasks import indicator_matrix
from ._names import EXCLUDED, predefined_order
from ._time import time_split
from ._units import Units, fill_empty_splits, rare_class_note, to_all_splits
from .stratify import stratify

if TYPE_CHECKING:  # the config validates against this registry, so it is imported only for the annotations
    from ._config import SplitConfig

__all__ = ["Strategy", "STRATEGIES", "FOLD_STRATEGIES", "column_label"]

@dataclass(frozen=True, kw_only=True)
class Strategy:
    """One split strategy: what it needs, what it promises, how it is judged, and the function that splits.

    Attributes
    ----------
    name : str
        ``SplitConfig.strategy``, the CLI's ``--strategy`` and the Split page's option.
    description : str
        One line for the Split page: what decides a row's split, and when to use it.
    codes : callable
        ``(df, tasks, config, units, notes) -> codes``, one split code per row (see the module).
    column : str or None
        The column setting the strategy cannot do without (``group_column``, ``time_column``,
        ``id_column``, ``split_column``), or None.
    column_fix : str
        The end of the config's error when ``column`` is not set: what to name.
    missing_column : str
        The Split page's line when ``column`` is not picked.
    group_stands_in : str
        When a Group column may stand in for ``column`` (hash ids), the Split page's warning that it
        does, with ``{group}`` for its name; empty when it may not.
    with_group : str
        The Split page's line when a Group column is set, with ``{group}`` for its name; empty for none.
    folds : bool
        Takes ``n_folds`` (k-fold cross-validation) instead of fractions.
    stratifies : bool
        Balances the tasks' labels: it needs a task, takes ``order``, and is never told to stratify.
    already : str
        For a strategy that stratifies, how advice on a score it could not balance begins.
    given : bool
        The splits are read from ``column``, not made: no sizes, no units, no group column.
    notes_empty_splits : bool
        :func:`core.splits.split` warns about a split that got no rows (time says so itself).
    drift : tuple of (str, str) or None
        For a strategy whose label differences are information, not a verdict: the reading's lead
        and why. None: judged against what a random deal of the same units gives.
    compare : callable or None
        ``(config, group_column, time_column) -> SplitConfig or None``: the config the strategy is
        compared as beside ``config`` (Diagnostics and the report), None when it does not apply.
    compare_words : str
        What it does, for the comparison's caption, with ``{unit}``, ``{group_column}``,
        ``{time_column}`` and ``{placing}`` filled in.

    Examples
    --------
    >>> STRATEGIES["group"].column, STRATEGIES["group"].folds, STRATEGIES["time"].drift[0]
    ('group_column', True, 'drift between periods')
    """

    name: str
    description: str
    codes: Callable
    column: str | None = None
    column_fix: str = "name the column it should read"
    missing_column: str = ""
    group_stands_in: str = ""
    with_group: str = ""
    folds: bool = False
    stratifies: bool = False
    already: str = ""
    given: bool = False
    notes_empty_splits: bool = True
    drift: tuple[str, str] | None = None
    compare: Callable | None = None
    compare_words: str = ""

    @property
    def by_time(self) -> bool:
        """Whether it orders rows by a time column (and is checked for time order)."""
        return self.column == "time_column"


def column_label(setting: str) -> str:
    """A column setting as the Split page names its picker.

    Examples
    --------
    >>> column_label("id_column"), column_label("split_column")
    ('Id column', 'Split column')
    """
    return setting.replace("_", " ").capitalize()


# --------------------------------------------------------------------------- random and stratified


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


def _predefined(
    df, tasks, config: SplitConfig, units: None, notes: list[str]
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Split names from ``split_column``; a missing or blank value becomes ``excluded`` (with a warning)."""
    column = config.split_column
    series = df[column]
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


# --------------------------------------------------------------------------- compared as
# Each takes (config, group_column, time_column) and gives the config the strategy is compared as, or None.
# type(config) is SplitConfig, which imports this module to validate against the registry.


def _sizes(config: SplitConfig) -> dict:
    """``config``'s sizes, seed and bins, which every compared config keeps."""
    sizes = {"n_folds": config.n_folds} if config.n_folds else {"fractions": config.fractions}
    return {**sizes, "seed": config.seed, "n_bins": config.n_bins}


def _kept_group(config: SplitConfig) -> dict:
    """``config``'s own group column: random and stratified keep it whole, as :func:`core.splits.split` does."""
    return {} if STRATEGIES[config.strategy].given else {"group_column": config.group_column}


def _compare_random(
    config: SplitConfig, group_column: str | None, time_column: str | None
) -> SplitConfig:
    return type(config)(strategy="random", **_sizes(config), **_kept_group(config))


def _compare_stratified(
    config: SplitConfig, group_column: str | None, time_column: str | None
) -> SplitConfig | None:
    kept = _kept_group(config)
    if group_column and kept.get("group_column") == group_column:  # stratified on these whole groups is group
        return None
    return type(config)(strategy="stratified", order=config.order, **_sizes(config), **kept)


def _compare_group(
    config: SplitConfig, group_column: str | None, time_column: str | None
) -> SplitConfig | None:
    if not group_column:
        return None
    return type(config)(strategy="group", group_column=group_column, order=config.order, **_sizes(config))


def _compare_time(
    config: SplitConfig, group_column: str | None, time_column: str | None
) -> SplitConfig | None:
    if not time_column:
        return None
    common = {"seed": config.seed, "n_bins": config.n_bins}
    shares = config.fractions if not config.n_folds else type(config)().fractions
    # groups under time as this split places them, else rows by time (groups straddle, and the table says so)
    placing = config.group_time if STRATEGIES[config.strategy].by_time else "rows"
    return type(config)(strategy="time", time_column=time_column, gap=config.gap, fractions=shares,
                        group_column=group_column, group_time=placing, **common)


# --------------------------------------------------------------------------- the registry


_WITH_GROUP = ("With Group column `{group}` set, %s keeps each `{group}` group whole: it deals whole groups%s. "
               "Pick (none) as Group column to deal single rows.")

STRATEGIES: dict[str, Strategy] = {
    strategy.name: strategy
    for strategy in (
        Strategy(
            name="random",
            description="Rows (or whole groups) dealt at random: a baseline for large sets of independent rows.",
            codes=_random, folds=True, with_group=_WITH_GROUP % ("random", ""),
            compare=_compare_random, compare_words="random deals {unit} at random",
        ),
        Strategy(
            name="stratified",
            description="Every task's label proportions kept alike in every split at once: the default for "
            "independent rows.",
            codes=_stratified, folds=True, stratifies=True, already="Already stratified: ",
            with_group=_WITH_GROUP % ("stratified", ", balanced on labels, as strategy group does"),
            compare=_compare_stratified, compare_words="stratified balances every task's labels over {unit}",
        ),
        Strategy(
            name="group",
            description="Whole groups (a person, a plane) in one split, balanced on labels: use when a group's "
            "rows are alike.",
            codes=_stratified, column="group_column", folds=True, stratifies=True,
            already="Already stratified by whole groups: ",
            missing_column="Pick a Group column: strategy group keeps all rows of a group (a person, a plane) "
            "in one split.",
            compare=_compare_group, compare_words="group keeps each `{group_column}` whole",
        ),
        Strategy(
            name="time",
            description="Train on the past, validate and test on what follows: use when the model will predict "
            "forward in time.",
            codes=time_split, column="time_column", notes_empty_splits=False,
            missing_column="Pick a Time column: strategy time orders the rows by it.",
            drift=("drift between periods", "a time split keeps each period's labels as they are"),
            compare=_compare_time, compare_words="time trains on the past (`{time_column}`){placing}",
        ),
        Strategy(
            name="hash",
            description="Each row's split fixed by a hash of its id: stable when the dataset grows, for data "
            "that gets appended.",
            codes=_hash, column="id_column", column_fix="name the column of row ids",
            missing_column="Hash needs an id column to be stable when rows are added; pick one under Id column.",
            group_stands_in="Hash needs an id column to be stable when rows are added; without one, each row's "
            "split comes from its Group column `{group}`. Pick an Id column for row by row hashing.",
        ),
        Strategy(
            name="predefined",
            description="An existing column names each row's split: inspect a split made elsewhere.",
            codes=_predefined, column="split_column", given=True,
            missing_column="Pick a Split column: strategy predefined reads each row's split from it.",
            drift=("shift between the given splits", "the splits were made elsewhere"),
        ),
    )
}
"""Every strategy by name, in the order the Split page and the CLI list them."""

FOLD_STRATEGIES = tuple(name for name, strategy in STRATEGIES.items() if strategy.folds)
"""The strategies that take ``n_folds``, as the registry lists them on import."""
