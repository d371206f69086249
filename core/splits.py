"""Splitting: :class:`SplitConfig`, :func:`split`, :class:`SplitResult`, and sklearn-style splitters.

Every strategy computes one split code per row (``-1`` = ``excluded``);
everything else reads that vector, as sklearn's ``StratifiedKFold`` does with
its test-fold ids. Rows become *units* first: one unit per row, or one per
group when ``group_column`` is set, so that no group is ever cut in two.

| strategy     | what decides a row's split                                             |
|--------------|------------------------------------------------------------------------|
| random       | a random order of units, cut at the cumulative fractions               |
| stratified   | :func:`core.stratify.stratify` over the tasks' indicator matrix        |
| group        | stratified, on whole groups (``group_column`` required)                |
| time         | the time column, in order; ``gap`` time values left out between splits |
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

import json
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils.multiclass import type_of_target

from core.errors import ConfigError, DataError
from core.stratify import stratify
from core.tasks import Task, indicator_matrix

__all__ = [
    "STRATEGIES",
    "FOLD_STRATEGIES",
    "EXCLUDED",
    "Fractions",
    "SplitConfig",
    "SplitResult",
    "split",
    "MultiTaskStratifiedKFold",
    "MultiTaskStratifiedShuffleSplit",
]

STRATEGIES = ("random", "stratified", "group", "time", "hash", "predefined")
FOLD_STRATEGIES = ("random", "stratified", "group")
EXCLUDED = "excluded"
MAX_SEED = 2**32 - 1
CONFIG_FORMAT = "tasksplit.SplitConfig"
CONFIG_VERSION = 1
_REQUIRED_COLUMN = {"group": "group_column", "time": "time_column", "predefined": "split_column"}
_CANONICAL_ORDER = ("train", "training", "val", "valid", "validation", "dev", "test")


# --------------------------------------------------------------------------- config


class Fractions(Mapping):
    """An ordered, immutable, hashable mapping of split name to share.

    Examples
    --------
    >>> shares = Fractions({"train": 0.8, "test": 0.2})
    >>> shares["test"], list(shares), shares == {"train": 0.8, "test": 0.2}
    (0.2, ['train', 'test'], True)
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, float] | tuple = ()) -> None:
        pairs = items.items() if isinstance(items, Mapping) else items
        self._items = tuple((str(name), float(share)) for name, share in pairs)

    def __getitem__(self, name: str) -> float:
        for key, share in self._items:
            if key == name:
                return share
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Fractions):
            return self._items == other._items
        return dict(self._items) == dict(other) if isinstance(other, Mapping) else NotImplemented

    def __hash__(self) -> int:
        return hash(self._items)

    def __reduce__(self):
        return (Fractions, (self._items,))

    def __repr__(self) -> str:
        return f"Fractions({dict(self._items)!r})"


DEFAULT_FRACTIONS = Fractions({"train": 0.7, "val": 0.15, "test": 0.15})


@dataclass(frozen=True)
class SplitConfig:
    """How to split: a frozen, hashable, JSON round-tripping record that validates itself.

    Parameters
    ----------
    strategy : {"stratified", "random", "group", "time", "hash", "predefined"}
    fractions : mapping of split name to share
        Shares of rows, each >= 0, summing to 1; ignored when ``n_folds`` is set.
    n_folds : int or None
        k >= 2 folds named ``fold-0``.. instead of fractions (random, stratified, group).
    seed : int
        Any integer from 0 to 2**32-1; 0 is a seed like any other.
    group_column, time_column, id_column, split_column : str or None
        Columns the strategies read; ``group_column`` keeps groups whole in
        every strategy but ``predefined``.
    gap : int
        Distinct time values left out (``excluded``) between consecutive time splits.
    order : {1, 2}
        2 also balances label pairs.
    n_bins : int
        Quantile bins per regression task.

    Examples
    --------
    >>> config = SplitConfig(strategy="random", fractions={"train": 0.8, "test": 0.2}, seed=3)
    >>> SplitConfig.from_json(config.to_json()) == config
    True
    >>> config.split_names
    ('train', 'test')
    """

    strategy: str = "stratified"
    fractions: Fractions = DEFAULT_FRACTIONS
    n_folds: int | None = None
    seed: int = 0
    group_column: str | None = None
    time_column: str | None = None
    gap: int = 0
    id_column: str | None = None
    split_column: str | None = None
    order: int = 1
    n_bins: int = 5

    def __post_init__(self) -> None:
        if not isinstance(self.strategy, str) or self.strategy not in STRATEGIES:
            raise ConfigError(f"strategy={self.strategy!r} is unknown; use one of {', '.join(STRATEGIES)}.")
        object.__setattr__(self, "fractions", _checked_fractions(self.fractions))
        object.__setattr__(
            self, "seed", _checked_int("seed", self.seed, 0, MAX_SEED, "an integer from 0 to 4294967295")
        )
        object.__setattr__(
            self, "gap", _checked_int("gap", self.gap, 0, None, "0 for no gap, or a count of time values")
        )
        object.__setattr__(self, "n_bins", _checked_int("n_bins", self.n_bins, 1, 1000, "5 for quintiles"))
        if self.order not in (1, 2) or isinstance(self.order, bool):
            raise ConfigError(
                f"order={self.order!r} is not supported; use 1 (labels) or 2 (labels and label pairs)."
            )
        object.__setattr__(self, "order", int(self.order))
        self._check_folds()
        self._check_columns()

    def _check_folds(self) -> None:
        if self.n_folds is None:
            return
        k = _checked_int("n_folds", self.n_folds, None, None, "5 for 5-fold cross-validation")
        if k < 2:
            raise ConfigError(
                f"n_folds={k} must be at least 2; use 5 for 5-fold cross-validation, or None for fractions."
            )
        if self.strategy not in FOLD_STRATEGIES:
            raise ConfigError(
                f"n_folds={k} does not apply to strategy '{self.strategy}'; folds work with "
                f"{', '.join(FOLD_STRATEGIES)}, so set n_folds=None."
            )
        object.__setattr__(self, "n_folds", k)

    def _check_columns(self) -> None:
        for name in ("group_column", "time_column", "id_column", "split_column"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise ConfigError(
                    f"{name}={value!r} must be a column name or None; give the column's name as text."
                )
        required = _REQUIRED_COLUMN.get(self.strategy)
        if required and getattr(self, required) is None:
            raise ConfigError(f"strategy '{self.strategy}' needs {required}; name the column it should read.")
        if self.strategy == "hash" and self.id_column is None and self.group_column is None:
            raise ConfigError(
                "strategy 'hash' needs id_column (or group_column); name the column of row ids."
            )

    @property
    def split_names(self) -> tuple[str, ...]:
        """The split names this config asks for (``predefined`` reads them from the data: empty here)."""
        if self.strategy == "predefined":
            return ()
        if self.n_folds is not None:
            return tuple(f"fold-{i}" for i in range(self.n_folds))
        return tuple(self.fractions)

    @property
    def shares(self) -> np.ndarray:
        """The requested share of each name in :attr:`split_names`, summing to exactly 1."""
        if self.n_folds is not None:
            return np.full(self.n_folds, 1.0 / self.n_folds)
        shares = np.array(list(self.fractions.values()))
        return shares / shares.sum()

    def to_dict(self) -> dict:
        """The fields as plain JSON-ready values (``fractions`` as an ordered dict)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["fractions"] = dict(self.fractions)
        return out

    def to_json(self) -> str:
        """This config as JSON with a format name and version, for :meth:`from_json`."""
        return json.dumps({"format": CONFIG_FORMAT, "version": CONFIG_VERSION, **self.to_dict()}, indent=2)

    @classmethod
    def from_dict(cls, values: Mapping) -> SplitConfig:
        """A config from :meth:`to_dict` output; unknown keys are a :class:`ConfigError`."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(
                f"Unknown split setting '{unknown[0]}'; the settings are {', '.join(sorted(known))}."
            )
        return cls(**values)

    @classmethod
    def from_json(cls, text: str | bytes) -> SplitConfig:
        """A config from :meth:`to_json` output; anything else is a one-line :class:`ConfigError`."""
        try:
            values = json.loads(text)
        except (TypeError, ValueError) as error:
            raise ConfigError(
                f"The split config is not valid JSON ({error}); export it again from TaskSplit."
            ) from None
        if not isinstance(values, dict) or values.get("format") != CONFIG_FORMAT:
            raise ConfigError(
                f'This JSON is not a TaskSplit split config (no "format": "{CONFIG_FORMAT}"); load one exported by TaskSplit.'
            )
        version = values.pop("version", None)
        values.pop("format")
        if version != CONFIG_VERSION:
            raise ConfigError(
                f"Split config version {version!r} is not supported; this TaskSplit reads version {CONFIG_VERSION}."
            )
        return cls.from_dict(values)


def _checked_int(name: str, value: object, low: int | None, high: int | None, fix: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{name}={value!r} must be a whole number; use {fix}.")
    if (low is not None and value < low) or (high is not None and value > high):
        span = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ConfigError(f"{name}={value} is out of range ({span}); use {fix}.")
    return int(value)


def _checked_fractions(value: object) -> Fractions:
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"fractions={value!r} must map split names to shares, e.g. {{'train': 0.8, 'test': 0.2}}."
        )
    pairs = list(value.items())
    for name, share in pairs:
        if not isinstance(name, str) or not name.strip() or name == EXCLUDED:
            raise ConfigError(
                f"fractions: split name {name!r} is not allowed; use a non-empty name other than '{EXCLUDED}'."
            )
        if (
            isinstance(share, bool)
            or not isinstance(share, (int, float, np.integer, np.floating))
            or not np.isfinite(share)
        ):
            raise ConfigError(
                f"fractions: {name}={share!r} is not a number; give every split a share such as 0.15."
            )
        if share < 0:
            raise ConfigError(
                f"fractions: {name}={share} is negative; give every split a share of 0 or more."
            )
    total = float(sum(share for _, share in pairs))
    if abs(total - 1.0) > 1e-6:
        shown = ", ".join(f"{name}={share:g}" for name, share in pairs)
        raise ConfigError(f"fractions sum to {total:g} ({shown}); make them sum to 1.")
    if sum(share > 0 for _, share in pairs) < 2:
        raise ConfigError(
            f"fractions={dict(pairs)} give fewer than two splits a share; split into at least two, e.g. train=0.8,test=0.2."
        )
    return Fractions(pairs)


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
        units = _units(df, config.group_column, notes)
        codes = _STRATEGY[config.strategy](df, tasks, config, units, notes)
        if config.strategy != "time":
            notes.extend(_empty_split_notes(codes, names, config.shares))
    labels = np.array([*names, EXCLUDED], dtype=object)
    assignment = pd.Series(labels[codes], index=df.index, name="split", dtype="str")
    present = (*names, EXCLUDED) if (codes < 0).any() else tuple(names)
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    return SplitResult(assignment, config, tuple(notes), present)


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


@dataclass(frozen=True, eq=False)
class _Units:
    """Rows grouped into units that are never cut: ``code`` per row, ``sizes`` per unit."""

    code: np.ndarray | None  # None: one unit per row
    sizes: np.ndarray
    word: str  # "rows" or "groups", for messages

    def membership(self) -> sp.csr_matrix:
        """``(n_units, n_rows)`` 0/1 matrix; ``membership() @ Y`` sums each unit's rows."""
        n_rows = self.code.size
        ones = np.ones(n_rows, dtype=np.int32)
        return sp.csr_matrix((ones, (self.code, np.arange(n_rows))), shape=(self.sizes.size, n_rows))

    def rows(self, unit_values: np.ndarray) -> np.ndarray:
        """Spread a per-unit array to rows."""
        return unit_values if self.code is None else unit_values[self.code]


def _units(
    df: pd.DataFrame, group_column: str | None, notes: list[str], setting: str | None = None
) -> _Units:
    """One unit per row, or per group; a row with no group id is a group of its own (with a note)."""
    if group_column is None:
        return _Units(None, np.ones(len(df), dtype=np.int64), "rows")
    setting = setting or f"group_column '{group_column}'"
    codes, groups = pd.factorize(df[group_column], use_na_sentinel=True)
    codes = codes.astype(np.int64)
    missing = codes < 0
    if missing.any():
        codes[missing] = len(groups) + np.arange(int(missing.sum()))
        notes.append(
            f"{int(missing.sum()):,} rows have no value in {setting}; each is kept as a group of its own."
        )
    n_groups = int(codes.max()) + 1
    if n_groups < 2:
        raise DataError(
            f"{setting} holds a single group ({groups[0] if len(groups) else None!r}); "
            "a group split needs at least two groups, so pick another column or no group column."
        )
    return _Units(codes, np.bincount(codes, minlength=n_groups).astype(np.int64), "groups")


def _check_enough_units(config: SplitConfig, units: _Units, column: str | None) -> None:
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


def _to_all_splits(positive_codes: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Map codes over the positive-share splits back to codes over all splits."""
    return np.flatnonzero(shares > 0)[positive_codes]


def _random(df, tasks, config: SplitConfig, units: _Units, notes: list[str]) -> np.ndarray:
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
    unit_split[order] = _to_all_splits(part, shares)
    return units.rows(unit_split)


def _stratified(df, tasks, config: SplitConfig, units: _Units, notes: list[str]) -> np.ndarray:
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
    unit_split = _to_all_splits(np.asarray(part, dtype=np.int64), shares)
    note = _rare_class_note(unit_Y, unit_split, labels, config.split_names, shares, units.word)
    if note:
        notes.append(note)
    return units.rows(unit_split)


def _rare_class_note(unit_Y, unit_split, labels, names, shares, word: str) -> str | None:
    """One line naming the classes that miss some positive-share split, or None."""
    present = sp.csr_matrix(unit_Y, copy=True)
    present.data = (present.data > 0).astype(np.int64)
    k = len(names)
    onehot = sp.csr_matrix(
        (np.ones(unit_split.size), (np.arange(unit_split.size), unit_split)), shape=(unit_split.size, k)
    )
    per_split = np.asarray((present.T @ onehot).todense())  # (L, k) units carrying each class
    wanted = shares > 0
    absent = (per_split[:, wanted] == 0) & (per_split.sum(axis=1, keepdims=True) > 0)
    rare = np.flatnonzero(absent.any(axis=1))
    if rare.size == 0:
        return None
    totals = per_split.sum(axis=1)
    shown = ", ".join(f"{labels[i]} ({int(totals[i])} {word})" for i in rare[:4]) + (
        " ..." if rare.size > 4 else ""
    )
    return (
        f"{rare.size} class(es) are too rare to appear in every one of the {int(wanted.sum())} splits: {shown}; "
        "merge rare classes or use fewer splits."
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


# --------------------------------------------------------------------------- hash


def _hash(df, tasks, config: SplitConfig, units: _Units, notes: list[str]) -> np.ndarray:
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


# --------------------------------------------------------------------------- time


def _time(df, tasks, config: SplitConfig, units: _Units, notes: list[str]) -> np.ndarray:
    """Chronological blocks of distinct time values, ``gap`` values left out between blocks."""
    times = _parse_times(df[config.time_column], config.time_column)
    values, rank = np.unique(times, return_inverse=True)
    rank = rank.ravel()
    # per unit: a row's own time value, or a group's first time value
    start_rank = rank if units.code is None else pd.Series(rank).groupby(units.code).min().to_numpy()
    rows_per_value = np.bincount(start_rank, weights=units.sizes, minlength=values.size)
    shares = config.shares
    block = _time_blocks(rows_per_value, shares[shares > 0], config.gap, config.time_column)
    unit_split = np.where(
        block[start_rank] >= 0, _to_all_splits(np.maximum(block[start_rank], 0), shares), -1
    )
    note = _time_size_note(unit_split, units, config, values[np.unique(start_rank)])
    if note:
        notes.append(note)
    return units.rows(unit_split)


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
            f"time_column '{column}' does not parse as numbers or dates (e.g. {example!r}); pick a column of numbers, dates or date strings."
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
    unit_split: np.ndarray, units: _Units, config: SplitConfig, first_values: np.ndarray
) -> str | None:
    """A warning when time order pushes the sizes far (> 10 points) from the fractions."""
    names, shares = config.split_names, config.shares
    kept = unit_split >= 0
    rows = np.bincount(unit_split[kept], weights=units.sizes[kept], minlength=len(names))
    got = rows / max(rows.sum(), 1)
    if np.all(np.abs(got - shares) <= 0.10) and np.all(rows[shares > 0] > 0):
        return None
    sizes = ", ".join(f"{name} {share:.0%}" for name, share in zip(names, got, strict=True))
    wanted = ", ".join(f"{share:.0%}" for share in shares)
    if units.code is not None and first_values.size == 1:
        return (
            f"Every group of '{config.group_column}' starts at the same time value ({first_values[0]}), so all go to "
            f"one split ({sizes}); a time split with groups needs groups that start at different times: "
            "drop group_column or use strategy 'group'."
        )
    reason = (
        "groups are placed by their first time value"
        if units.code is not None
        else "rows of one time value stay together"
    )
    return f"The time split sizes are {sizes} instead of {wanted}: {reason}."


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
    names = _ordered_names([str(u) for u in uniques if str(u) != EXCLUDED])
    position = {name: i for i, name in enumerate(names)} | {EXCLUDED: -1}
    lookup = np.array([position[str(u)] for u in uniques] + [-1], dtype=np.int64)
    return lookup[codes], tuple(names)


def _ordered_names(names: list[str]) -> list[str]:
    """train/val/test first, then the rest with numbers by value (``fold-2`` before ``fold-10``)."""

    def key(name: str) -> tuple:
        if name in _CANONICAL_ORDER:
            return (0, _CANONICAL_ORDER.index(name), ())
        head = name.rstrip("0123456789")
        tail = name[len(head) :]
        return (1, 0, (head, int(tail) if tail else -1, name))

    return sorted(names, key=key)


_STRATEGY = {"random": _random, "stratified": _stratified, "group": _stratified, "time": _time, "hash": _hash}


# --------------------------------------------------------------------------- sklearn splitters


def _rng(random_state) -> np.random.Generator:
    """None -> fresh entropy, an int -> a generator seeded with it (0 included); a Generator as is."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(0, 2**32 - 1, dtype=np.int64))
    if random_state is None or (
        isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool)
    ):
        return np.random.default_rng(random_state)
    raise ConfigError(f"random_state={random_state!r} must be None, an int or a numpy Generator.")


def _label_indicators(y) -> tuple[sp.csr_matrix, list[str]]:
    """Indicator columns for a 1-D label vector or one binary/multiclass task per column of 2-D ``y``.

    NaN/None are missing labels. A fully labelled two-class column keeps only
    its minority class (ties: the first row's class), so a 0/1 matrix becomes
    its positives and renaming labels changes nothing.
    """
    if y is None:
        raise ConfigError("y is required: these splitters stratify on the labels, so pass y to split().")
    binary = _binary_matrix_indicators(y)
    if binary is not None:
        return binary
    if sp.issparse(y):
        y = y.toarray()
    if isinstance(y, pd.Series):
        frame = y.to_frame()
    else:
        frame = pd.DataFrame(y) if np.ndim(y) == 2 else pd.DataFrame({"y": np.asarray(y)})
    blocks, labels = [], []
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        name = str(frame.columns[position]) if frame.shape[1] > 1 else "y"
        block, classes = _column_indicators(column, name)
        blocks.append(block)
        labels.extend(f"{name}={value}" for value in classes)
    return sp.hstack(blocks, format="csr", dtype=np.uint8), labels


def _binary_matrix_indicators(y) -> tuple[sp.csr_matrix, list[str]] | None:
    """The fast path for a 2-D 0/1 integer (or sparse) matrix, by the same minority rule; else None.

    Reads the matrix once, column by column in sparse form, so a million-row
    multi-label set costs what its positives cost.
    """
    if sp.issparse(y):
        Y = sp.csr_matrix(y)
        values = Y.data
    elif isinstance(y, np.ndarray) and y.ndim == 2 and y.dtype.kind in "biu" and y.size:
        Y, values = None, y
    else:
        return None
    if values.size and (values.min() < 0 or values.max() > 1):
        return None
    Y = sp.csr_matrix(y, dtype=np.uint8) if Y is None else Y.astype(np.uint8)
    Y.eliminate_zeros()
    n = Y.shape[0]
    counts = np.asarray(Y.sum(axis=0)).ravel()
    first = Y[0].toarray().ravel() if n else np.zeros(Y.shape[1])
    informative = (counts > 0) & (counts < n)
    flip = informative & ((2 * counts > n) | ((2 * counts == n) & (first == 0)))
    keep = np.flatnonzero(informative & ~flip)
    flipped = np.flatnonzero(flip)
    blocks = [Y[:, keep]]
    if flipped.size:  # a column whose 1s are the majority keeps its 0s (usually few such columns)
        blocks.append(sp.csr_matrix(1 - Y[:, flipped].toarray(), dtype=np.uint8))
    labels = [f"{j}=1" for j in keep] + [f"{j}=0" for j in flipped]
    return sp.hstack(blocks, format="csr", dtype=np.uint8), labels


def _column_indicators(column: pd.Series, name: str) -> tuple[sp.csr_matrix, list[str]]:
    codes, classes = pd.factorize(column, use_na_sentinel=True)
    observed = column[codes >= 0]
    if observed.empty:
        raise DataError(f"Label column {name} has no labelled rows; drop it or fill it.")
    kind = type_of_target(observed.to_numpy())
    if kind not in ("binary", "multiclass"):
        raise DataError(
            f"Label column {name} is {kind}; these splitters stratify classes, so bin it first (e.g. pd.qcut)."
        )
    n, k = codes.size, len(classes)
    if (codes >= 0).all() and k <= 2:
        counts = np.bincount(codes, minlength=k)
        if k == 1:
            return sp.csr_matrix((n, 0), dtype=np.uint8), []
        keep = int(np.argmin(counts)) if counts[0] != counts[1] else int(codes[0])
        rows = np.flatnonzero(codes == keep)
        block = sp.csr_matrix((np.ones(rows.size, np.uint8), (rows, np.zeros(rows.size, int))), shape=(n, 1))
        return block, [str(classes[keep])]
    rows = np.flatnonzero(codes >= 0)
    block = sp.csr_matrix((np.ones(rows.size, np.uint8), (rows, codes[rows])), shape=(n, k))
    return block, [str(value) for value in classes]


def _n_samples(X) -> int:
    return int(X.shape[0]) if hasattr(X, "shape") else len(X)


def _sklearn_units(y, groups, n_rows: int) -> tuple[sp.csr_matrix, list[str], _Units]:
    Y, labels = _label_indicators(y)
    if Y.shape[0] != n_rows:
        raise DataError(f"y has {Y.shape[0]} rows but X has {n_rows}; pass one label row per sample.")
    if groups is None:
        return Y, labels, _Units(None, np.ones(n_rows, dtype=np.int64), "rows")
    frame = pd.DataFrame({"group": np.asarray(groups).ravel()})
    if len(frame) != n_rows:
        raise DataError(f"groups has {len(frame)} values but X has {n_rows} rows; pass one group per sample.")
    notes: list[str] = []
    units = _units(frame, "group", notes, setting="groups")
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=5)
    return units.membership() @ Y.astype(np.int32), labels, units


def _check_splitter_params(splitter, n_units: int, word: str) -> None:
    k = splitter.n_splits
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ConfigError(f"n_splits={k!r} must be a whole number of at least 1.")
    if splitter.order not in (1, 2):
        raise ConfigError(
            f"order={splitter.order!r} is not supported; use 1 (labels) or 2 (labels and label pairs)."
        )
    if n_units < 2:
        raise DataError(f"The dataset has {n_units} {word}; a split needs at least 2.")
    if isinstance(splitter, MultiTaskStratifiedKFold):
        if k < 2:
            raise ConfigError(f"n_splits={k} must be at least 2 for k-fold cross-validation; use 5.")
        if k > n_units:
            raise DataError(
                f"n_splits={k} is greater than the {n_units} {word} of the dataset. Lower n_splits."
            )
        if not splitter.shuffle and splitter.random_state is not None:
            raise ConfigError(
                "Setting a random_state has no effect since shuffle is False; leave random_state=None or set shuffle=True."
            )


class MultiTaskStratifiedKFold(BaseCrossValidator):
    """K folds balancing every task (column of ``y``) at once, optionally keeping groups whole.

    Parameters
    ----------
    n_splits : int, default=5
    order : {1, 2}, default=1
        2 also balances every co-occurring pair of labels.
    shuffle : bool, default=True
        False makes the folds fixed (a fixed generator); ``random_state`` must then be None.
    random_state : int, numpy Generator or None
        None draws fresh entropy at every ``split``; an int (0 too) is reproducible.

    Examples
    --------
    >>> y = np.array([[0, 1], [1, 0], [1, 1], [0, 0]] * 5)
    >>> cv = MultiTaskStratifiedKFold(n_splits=2, random_state=0)
    >>> [len(test) for _, test in cv.split(np.zeros((20, 1)), y)]
    [10, 10]
    """

    __metadata_request__split = {"groups": True}  # as sklearn's GroupsConsumerMixin does

    def __init__(self, n_splits: int = 5, *, order: int = 1, shuffle: bool = True, random_state=None) -> None:
        self.n_splits = n_splits
        self.order = order
        self.shuffle = shuffle
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """The number of folds."""
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Yield ``(train, test)`` index arrays; ``y`` is 1-D or one task per column; no group is split."""
        return super().split(X, y, groups)

    def _iter_test_masks(self, X=None, y=None, groups=None):
        unit_Y, labels, units = _sklearn_units(y, groups, _n_samples(X))
        _check_splitter_params(self, units.sizes.size, units.word)
        rng = _rng(self.random_state) if self.shuffle else np.random.default_rng(0)
        shares = np.full(self.n_splits, 1.0 / self.n_splits)
        sizes = None if units.code is None else units.sizes
        unit_fold = np.asarray(
            stratify(unit_Y, shares, rng=rng, sizes=sizes, order=self.order), dtype=np.int64
        )
        names = tuple(f"fold-{i}" for i in range(self.n_splits))
        note = _rare_class_note(unit_Y, unit_fold, labels, names, shares, units.word)
        if note:
            warnings.warn(note, UserWarning, stacklevel=4)
        fold = units.rows(unit_fold)
        for i in range(self.n_splits):
            yield fold == i


class MultiTaskStratifiedShuffleSplit(BaseCrossValidator):
    """Repeated train/test splits balancing every task at once, optionally keeping groups whole.

    Parameters
    ----------
    n_splits : int, default=1
    test_size : float in (0, 1) or int, default=0.2
        Share of rows in the test set, or a count of rows.
    order : {1, 2}, default=1
    random_state : int, numpy Generator or None

    Examples
    --------
    >>> y = np.array([0, 1] * 10)
    >>> cv = MultiTaskStratifiedShuffleSplit(test_size=0.5, random_state=0)
    >>> [np.bincount(y[test]).tolist() for _, test in cv.split(np.zeros((20, 1)), y)]
    [[5, 5]]
    """

    __metadata_request__split = {"groups": True}

    def __init__(
        self, n_splits: int = 1, *, test_size: float | int = 0.2, order: int = 1, random_state=None
    ) -> None:
        self.n_splits = n_splits
        self.test_size = test_size
        self.order = order
        self.random_state = random_state

    def get_n_splits(self, X=None, y=None, groups=None) -> int:
        """The number of train/test splits."""
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Yield ``(train, test)`` index arrays; ``y`` is 1-D or one task per column; no group is split."""
        return super().split(X, y, groups)

    def _test_share(self, n_rows: int) -> float:
        size = self.test_size
        if isinstance(size, (float, np.floating)) and 0 < size < 1:
            return float(size)
        if isinstance(size, (int, np.integer)) and not isinstance(size, bool) and 0 < size < n_rows:
            return size / n_rows
        raise ConfigError(
            f"test_size={size!r} must be a share in (0, 1) or a count from 1 to {n_rows - 1}; use 0.2."
        )

    def _iter_test_masks(self, X=None, y=None, groups=None):
        unit_Y, labels, units = _sklearn_units(y, groups, _n_samples(X))
        _check_splitter_params(self, units.sizes.size, units.word)
        test = self._test_share(_n_samples(X))
        shares = np.array([1.0 - test, test])
        rng = _rng(self.random_state)
        sizes = None if units.code is None else units.sizes
        splits = [
            np.asarray(stratify(unit_Y, shares, rng=rng, sizes=sizes, order=self.order), dtype=np.int64)
            for _ in range(self.n_splits)
        ]
        note = _rare_class_note(unit_Y, splits[0], labels, ("train", "test"), shares, units.word)
        if note:
            warnings.warn(note, UserWarning, stacklevel=4)
        for unit_split in splits:
            yield units.rows(unit_split) == 1
