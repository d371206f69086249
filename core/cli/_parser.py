"""The command line's parser: ``split``, ``report`` and ``train``, and one more command a launcher may add."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

from .. import __version__
from ..errors import ConfigError
from ..splits import STRATEGIES

PACKAGE = (__package__ or "core").split(".")[0]  # the name the library was imported as: core, or tasksplit installed
PROG = "python -m core" if PACKAGE == "core" else PACKAGE
NO_APP = "python -m dashboard app"  # where the dashboard's command lives in the repository (dashboard/launch.py)


@dataclass(frozen=True, kw_only=True)
class ExtraCommand:
    """A command the library's parser lists and its launcher runs: the dashboard's ``app`` (``dashboard/launch.py``).

    ``run(args, options)`` gets the parsed arguments and the options the parser did not know, and returns the
    exit status; it may raise :class:`TaskSplitError` for a one-line message.
    """

    name: str
    summary: str  # what it does, for the command line's description: "serve the dashboard"
    help: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, list[str]], int]


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line, like every other bad-input message."""

    def error(self, message: str) -> None:  # noqa: D102 - argparse hook
        raise ConfigError(f"{message}; see `{self.prog} --help`.")


def _needing(column: str) -> str:
    """The strategies that read ``column`` (a SplitConfig setting), for a help line."""
    return ", ".join(name for name, strategy in STRATEGIES.items() if strategy.column == column)


def _parser(prog: str = PROG, extra: ExtraCommand | None = None) -> argparse.ArgumentParser:
    what = ["Split a multi-task dataset", "report on the split", "train a model on it"]
    what += [extra.summary] if extra is not None else []
    parser = _Parser(prog=prog, description=f"{', '.join(what[:-1])}, or {what[-1]}. "
                     "DATA is a file, builtin:NAME or builtin:synthetic:ROWSxLABELS.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def common(command: argparse.ArgumentParser) -> None:
        command.add_argument("data", metavar="DATA", help="file path, builtin:NAME or builtin:synthetic:ROWSxLABELS")
        command.add_argument("--task", action="append", default=[], metavar="T",
                             help="col, col:kind, name=a+b+c or a built-in task's name (repeat for several tasks)")
        command.add_argument("--out", required=True, metavar="FILE", help="where to write the result")

    def engine(command: argparse.ArgumentParser) -> None:
        command.add_argument("--engine", default="memory", choices=("memory", "dask"),
                             help="memory (pandas, default) or dask (a cluster; DATA a Parquet/CSV path or glob)")
        command.add_argument("--scheduler", metavar="ADDR",
                             help="--engine dask: an existing cluster's scheduler, e.g. tcp://10.0.0.5:8786")
        command.add_argument("--checks", metavar="NAMES",
                             help="--engine dask: the exact leakage checks run over every row, comma-separated: "
                             "group,duplicates,time (default all three) or none; duplicates (a hash and shuffle "
                             "of every row's features) is the costliest")

    split = commands.add_parser("split", help="split DATA and write the assignment (columns row, split)")
    common(split)
    engine(split)
    split.add_argument("--config", metavar="FILE",
                       help="take the split settings from a split config or workspace JSON (Export page) instead "
                       "of the options below (then not given); tasks still come from --task")
    split.add_argument("--all-columns", action="store_true",
                       help="--engine dask: write every column too, partitioned by split")
    names = list(STRATEGIES)
    split.add_argument("--strategy", help=f"{', '.join(names[:-1])} or {names[-1]} (default stratified)")
    sizes = split.add_mutually_exclusive_group()
    sizes.add_argument("--fractions", metavar="train=0.7,val=0.15,test=0.15",
                       help="each split's share of the rows, summing to 1 (default the one shown)")
    sizes.add_argument("--folds", type=int, metavar="K", help="k folds instead of fractions")
    split.add_argument("--group", metavar="COL", help="keep each value of COL in one split")
    split.add_argument("--time", metavar="COL", help=f"time column (strategy {_needing('time_column')})")
    split.add_argument("--gap", type=int, metavar="N", help="time values left out between splits")
    split.add_argument("--group-time", choices=("first", "last", "rows"),
                       help="time with --group: place a group by its first or last time, or split rows (default first)")
    split.add_argument("--id", metavar="COL", help=f"id column (strategy {_needing('id_column')})")
    split.add_argument("--split-column", metavar="COL",
                       help=f"column naming each row's split ({_needing('split_column')})")
    split.add_argument("--order", type=int, choices=(1, 2), help="2 also balances label pairs")
    split.add_argument("--bins", type=int, metavar="N", help="quantile bins for regression tasks")
    split.add_argument("--seed", type=int, metavar="N", help="the same seed gives the same split (default 0)")

    report = commands.add_parser("report", help="write a self-contained HTML report of a split")
    common(report)
    engine(report)
    report.add_argument("--sample", type=int, default=200_000, metavar="N",
                        help="--engine dask: rows sampled for what needs rows (default 200000)")
    report.add_argument("--split-file", required=True, metavar="FILE", help="CSV/Parquet from `split`")
    report.add_argument("--config", metavar="FILE",
                        help="the split's config JSON (Export page); the report then names the strategy and scores ED")
    report.add_argument("--runs-dir", metavar="DIR",
                        help="add a section with the training runs in DIR (`train --runs-dir`): table and curves")

    train = commands.add_parser("train", help="train a shared-trunk model on a split; write metrics JSON")
    common(train)
    train.add_argument("--split-file", required=True, metavar="FILE", help="CSV/Parquet from `split`")
    train.add_argument("--fold", type=int, default=0, metavar="K", help="test fold of a k-fold split")
    train.add_argument("--epochs", type=int, metavar="N", help="passes over the training rows (default 50)")
    train.add_argument("--weighting", metavar="W",
                       help="equal, manual, uncertainty, gradnorm, dwa, or a gradient method: mgda, pcgrad, cagrad, upgrad")
    train.add_argument("--weights", metavar="t=w,...", help="manual task weights")
    train.add_argument("--normalize-losses", action="store_true",
                       help="divide each task's loss by its first-epoch value (when their scales differ)")
    train.add_argument("--seed", type=int, default=0, metavar="N",
                       help="the same seed trains the same model (default 0)")
    train.add_argument("--seeds", type=int, metavar="N",
                       help="train with seeds SEED..SEED+N-1; metrics per seed plus their mean and sd")
    train.add_argument("--baselines", action="store_true",
                       help="also train per task a single-task net and gradient-boosted trees (same features, split)")
    train.add_argument("--runs-dir", metavar="DIR",
                       help="write each run to a folder in DIR (config, per-epoch history, metrics, status)")
    design = train.add_argument_group("architecture")
    design.add_argument("--arch", metavar="A", help="hard (default), soft, mmoe, hierarchical or cross_stitch")
    design.add_argument("--coupling", type=float, metavar="X",
                        help="soft: strength of the L2 pull between the task trunks (0 = independent; default 0.01)")
    design.add_argument("--experts", type=int, metavar="N", help="mmoe: number of experts (default 4)")
    design.add_argument("--head-depth", metavar="task=k,...",
                        help="hierarchical: the trunk layer each task's head reads (default the last)")

    if extra is not None:
        command = commands.add_parser(extra.name, allow_abbrev=False, help=extra.help, description=extra.description)
        extra.add_arguments(command)
    return parser
