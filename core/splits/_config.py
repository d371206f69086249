"""How to split: :class:`SplitConfig` (validated, frozen, hashable, JSON round trip) and :class:`Fractions`.

A config checks itself when it is made, so a bad setting is a one-line
:class:`~core.errors.ConfigError` before any data is read. Settings that need
the data (does the column exist, are there enough rows) are checked by
:func:`core.splits.split`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields

import numpy as np

from ..errors import ConfigError
from ._names import EXCLUDED, fold_name
from ._strategies import STRATEGIES, column_label

__all__ = [
    "MAX_SEED",
    "DEFAULT_FRACTIONS",
    "GROUP_TIME",
    "Fractions",
    "SplitConfig",
    "config_words",
]

MAX_SEED = 2**32 - 1
CONFIG_FORMAT = "tasksplit.SplitConfig"
CONFIG_VERSION = 2  # 2 added group_time; version 1 files (without it) still load, as group_time="first"
READABLE_VERSIONS = (1, 2)
# How a time split with a group column places each group, in a user's words (the Split page shows these).
GROUP_TIME = {
    "first": "each group goes where its first time falls: val/test hold only groups that start later (new groups); "
    "train's groups may go on in time",
    "last": "each group goes where its last time falls: train holds groups that ended before val/test begin; "
    "val/test groups bring their earlier rows along",
    "rows": "rows are split by time and groups may straddle splits: a group's early rows train, its later rows "
    "test (forecasting known groups); the leakage check warns about the split groups",
}


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


@dataclass(frozen=True, kw_only=True)
class SplitConfig:
    """How to split: a frozen, hashable, JSON round-tripping record that validates itself.

    Parameters
    ----------
    strategy : {"stratified", "random", "group", "time", "hash", "predefined"}
        A name in :data:`core.splits.STRATEGIES`.
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
    group_time : {"first", "last", "rows"}
        How ``time`` places groups when ``group_column`` is set (:data:`GROUP_TIME`):
        by a group's first time value (new groups appear only later), by its
        last, or not at all (rows split by time; groups may straddle splits).

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
    group_time: str = "first"

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
        if not isinstance(self.group_time, str) or self.group_time not in GROUP_TIME:
            raise ConfigError(
                f"group_time={self.group_time!r} is unknown; use 'first' (a group goes where its first time falls), "
                "'last' (where its last time falls) or 'rows' (rows split by time, groups may straddle)."
            )
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
        if not STRATEGIES[self.strategy].folds:
            folds = [name for name, strategy in STRATEGIES.items() if strategy.folds]
            raise ConfigError(
                f"n_folds={k} does not apply to strategy '{self.strategy}'; folds work with "
                f"{', '.join(folds)}, so set n_folds=None."
            )
        object.__setattr__(self, "n_folds", k)
        object.__setattr__(self, "fractions", DEFAULT_FRACTIONS)  # ignored with folds: a k-fold config is one value

    def _check_columns(self) -> None:
        for name in ("group_column", "time_column", "id_column", "split_column"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value):
                raise ConfigError(
                    f"{name}={value!r} must be a column name or None; give the column's name as text."
                )
        strategy = STRATEGIES[self.strategy]
        required = strategy.column
        if required is None or getattr(self, required) is not None:
            return
        if not strategy.group_stands_in:
            raise ConfigError(f"strategy '{self.strategy}' needs {required}; {strategy.column_fix}.")
        if self.group_column is None:
            raise ConfigError(
                f"strategy '{self.strategy}' needs {required} (or group_column); {strategy.column_fix}."
            )

    @property
    def time_groups(self) -> str | None:
        """How this split placed groups in time: ``group_time`` for a time split with a group column, else None."""
        if STRATEGIES[self.strategy].by_time and self.group_column is not None:
            return self.group_time
        return None

    @property
    def split_names(self) -> tuple[str, ...]:
        """The split names this config asks for (``predefined`` reads them from the data: empty here)."""
        if STRATEGIES[self.strategy].given:
            return ()
        if self.n_folds is not None:
            return tuple(fold_name(i) for i in range(self.n_folds))
        return tuple(self.fractions)

    @property
    def shares(self) -> np.ndarray:
        """The requested share of each name in :attr:`split_names`, summing to exactly 1."""
        if self.n_folds is not None:
            return np.full(self.n_folds, 1.0 / self.n_folds)
        shares = np.array(list(self.fractions.values()))
        return shares / shares.sum()

    def to_dict(self) -> dict:
        """The fields as plain JSON-ready values (``fractions`` as an ordered dict; none with ``n_folds``)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["fractions"] = dict(self.fractions)
        if self.n_folds is not None:
            del out["fractions"]  # folds, not fractions: a k-fold file does not list shares it ignores
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
        except RecursionError:  # json nests arrays and objects by recursion
            raise ConfigError(
                "The split config nests too deeply to be a TaskSplit config; export it again from TaskSplit."
            ) from None
        if not isinstance(values, dict) or values.get("format") != CONFIG_FORMAT:
            raise ConfigError(
                f'This JSON is not a TaskSplit split config (no "format": "{CONFIG_FORMAT}"); load one exported by TaskSplit.'
            )
        version = values.pop("version", None)
        values.pop("format")
        if version not in READABLE_VERSIONS or isinstance(version, bool):
            raise ConfigError(
                f"Split config version {version!r} is not supported; this TaskSplit reads versions "
                f"{', '.join(map(str, READABLE_VERSIONS))}."
            )
        return cls.from_dict(values)


def config_words(config: SplitConfig | Mapping) -> str:
    """A split's settings in a few words, for a sentence: ``random 70/15/15``, ``stratified, 5 folds``.

    ``config`` is a :class:`SplitConfig`, or the mapping of its settings a page has
    gathered (which may not make a valid config).

    Examples
    --------
    >>> config_words(SplitConfig(strategy="random"))
    'random 70/15/15'
    >>> config_words({"strategy": "stratified", "n_folds": 5, "group_column": "msa"})
    'stratified, 5 folds, Group column msa'
    """
    get = config.get if isinstance(config, Mapping) else lambda name, default=None: getattr(config, name, default)
    words = str(get("strategy", "stratified"))
    name = get("strategy")
    strategy = STRATEGIES.get(name) if isinstance(name, str) else None
    if strategy is not None and strategy.given:
        column = get(strategy.column)
        words += f", {column_label(strategy.column)} {column}" if column else ""
        return words
    if get("n_folds"):
        words += f", {get('n_folds')} folds"
    else:
        shares = dict(get("fractions") or DEFAULT_FRACTIONS)
        words += " " + "/".join(f"{100 * share:.0f}" for share in shares.values())
    if get("group_column"):
        words += f", Group column {get('group_column')}"
    return words


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
