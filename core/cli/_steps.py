"""Steps the commands share: their tasks, ``name=number`` options, and the split and config files they read."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from ..data import Dataset
from ..errors import ConfigError, DataError
from ..tasks import Task, parse_task_spec
from ._parser import PROG


def _tasks(dataset: Dataset, specs: list[str]) -> tuple[Task, ...]:
    if specs:
        return tuple(parse_task_spec(spec, dataset.frame, dataset.tasks) for spec in specs)
    if dataset.tasks:
        return dataset.tasks
    raise DataError(f"No --task given and {dataset.name} suggests none; add --task COLUMN.")


def parse_mapping(text: str, option: str) -> dict[str, float]:
    """``"train=0.7,val=0.3"`` → ``{"train": 0.7, "val": 0.3}``; a bad pair is a ConfigError."""
    mapping: dict[str, float] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = pair.partition("=")
        try:
            if not sep or not name.strip():
                raise ValueError
            mapping[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"{option} {text!r} is not of the form name=number,...; e.g. train=0.8,test=0.2.") from None
    if not mapping:
        raise ConfigError(f"{option} is empty; give name=number pairs, e.g. train=0.8,test=0.2.")
    return mapping


def read_split_file(path: str, dataset: Dataset) -> pd.Series:
    """The assignment in a split file (columns ``row`` and ``split``), aligned with the dataset's index."""
    file = Path(path)
    if not file.is_file():
        raise DataError(f"No split file at '{path}'; write one with `{PROG} split ... --out {path}`.")
    try:
        table = pd.read_parquet(file) if file.suffix.lower() in (".parquet", ".pq") else pd.read_csv(file)
    except (ValueError, OSError, pd.errors.ParserError) as error:
        raise DataError(f"Split file '{path}' cannot be read ({type(error).__name__}); write it again with `split`.") from None
    if not {"row", "split"} <= set(table.columns):
        raise DataError(f"Split file '{path}' needs columns row and split; write it with `{PROG} split`.")
    n = dataset.n_rows
    rows = pd.to_numeric(table["row"], errors="coerce")
    if rows.isna().any() or len(table) != n or sorted(rows.astype(int)) != list(range(n)):
        raise DataError(
            f"Split file '{path}' has {len(table):,} rows but {dataset.name} has {n:,}; "
            "it was made for other data, so split this data again."
        )
    splits = table["split"].astype(str).to_numpy()[pd.Index(rows.astype(int)).argsort()]
    return pd.Series(splits, index=dataset.frame.index, name="split")


def read_config_file(path: str):
    """A SplitConfig from its JSON file, a split config or a workspace (the Export page writes one); a bad
    file is a ConfigError."""
    from ..report import read_split_config

    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"No config file at '{path}'; download one from the Export page or drop --config.")
    return read_split_config(file.read_text(encoding="utf-8", errors="replace"))


# `split`'s setting options: the SplitConfig field each sets, and its default when not given (None: the field's)
SPLIT_OPTIONS = {
    "strategy": ("strategy", "stratified"), "fractions": ("fractions", None), "folds": ("n_folds", None),
    "group": ("group_column", None), "time": ("time_column", None), "gap": ("gap", 0),
    "group_time": ("group_time", "first"), "id": ("id_column", None), "split_column": ("split_column", None),
    "order": ("order", 1), "bins": ("n_bins", 5), "seed": ("seed", 0),
}


def _config_from(args: argparse.Namespace):
    """The SplitConfig of ``split``'s options, or of ``--config`` (then no setting option may be given)."""
    from ..splits import SplitConfig

    given = {dest: getattr(args, dest) for dest in SPLIT_OPTIONS if getattr(args, dest) is not None}
    if args.config:
        if given:
            flags = ", ".join("--" + dest.replace("_", "-") for dest in given)
            raise ConfigError(f"--config gives the split settings; drop {flags} or drop --config.")
        return read_config_file(args.config)
    if "fractions" in given:
        given["fractions"] = parse_mapping(given["fractions"], "--fractions")
    options = {field: default for field, default in SPLIT_OPTIONS.values() if default is not None}
    return SplitConfig(**{**options, **{SPLIT_OPTIONS[dest][0]: value for dest, value in given.items()}})
