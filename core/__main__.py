"""The command line: ``python -m core split|report|train DATA --task T ...``.

Installed with pip the command is ``tasksplit`` (``tasksplit split ...``); its entry is the dashboard's launcher,
``dashboard/launch.py``, which adds ``tasksplit app`` (in the repository: ``python -m dashboard app``) and hands
every other command to :func:`main` here. The library itself never imports streamlit or the dashboard.

DATA is a CSV/TSV/Parquet/Excel/JSON path, ``builtin:NAME`` or ``builtin:synthetic:ROWSxLABELS``; with
``--engine dask`` a Parquet folder, file or glob (or any fsspec URL) or CSV globs, split on a Dask cluster
(a LocalCluster sized to the machine, or ``--scheduler ADDR``) into an output folder.
``--task col`` is one column (kind inferred), ``--task col:kind`` forces the kind,
``--task name=a+b+c`` is a multilabel task of 0/1 columns. Without ``--task``, a built-in dataset's suggested tasks are used.
Bad input exits with status 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import __version__
from .data import Dataset, load_data
from .errors import ConfigError, DataError, TaskSplitError
from .splits import STRATEGIES
from .tasks import Task, parse_task_spec

EXIT_BAD_INPUT = 2
PACKAGE = __package__ or "core"  # the name the library was imported as: core in the repository, tasksplit installed
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
    design.add_argument("--arch", metavar="A", help="hard (default), soft, mmoe or hierarchical")
    design.add_argument("--coupling", type=float, metavar="X",
                        help="soft: strength of the L2 pull between the task trunks (0 = independent; default 0.01)")
    design.add_argument("--experts", type=int, metavar="N", help="mmoe: number of experts (default 4)")
    design.add_argument("--head-depth", metavar="task=k,...",
                        help="hierarchical: the trunk layer each task's head reads (default the last)")

    if extra is not None:
        command = commands.add_parser(extra.name, allow_abbrev=False, help=extra.help, description=extra.description)
        extra.add_arguments(command)
    return parser


# --------------------------------------------------------------------------- shared steps


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
    from .report import read_split_config

    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"No config file at '{path}'; download one from the Export page or drop --config.")
    return read_split_config(file.read_text(encoding="utf-8", errors="replace"))


# --------------------------------------------------------------------------- commands


# `split`'s setting options: the SplitConfig field each sets, and its default when not given (None: the field's)
SPLIT_OPTIONS = {
    "strategy": ("strategy", "stratified"), "fractions": ("fractions", None), "folds": ("n_folds", None),
    "group": ("group_column", None), "time": ("time_column", None), "gap": ("gap", 0),
    "group_time": ("group_time", "first"), "id": ("id_column", None), "split_column": ("split_column", None),
    "order": ("order", 1), "bins": ("n_bins", 5), "seed": ("seed", 0),
}


def _config_from(args: argparse.Namespace):
    """The SplitConfig of ``split``'s options, or of ``--config`` (then no setting option may be given)."""
    from .splits import SplitConfig

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


def _cmd_split(args: argparse.Namespace) -> None:
    from .splits import split

    if args.engine == "dask":
        return _dask_split(args)
    dataset = load_data(args.data)
    tasks = _tasks(dataset, args.task)
    result = split(dataset.frame, tasks, _config_from(args))
    from .report import write_assignment

    write_assignment(result.assignment, args.out, dataset)
    sizes = ", ".join(f"{name} {count:,}" for name, count in result.assignment.value_counts().items())
    print(f"wrote {args.out}: {sizes}", file=sys.stderr)


def _cmd_report(args: argparse.Namespace) -> None:
    from .report import write_report
    from .splits import EXCLUDED

    if args.engine == "dask":
        return _dask_report(args)
    dataset = load_data(args.data)
    tasks = _tasks(dataset, args.task)
    assignment = read_split_file(args.split_file, dataset)
    config = read_config_file(args.config) if args.config else None
    if config is not None and not STRATEGIES[config.strategy].given:
        found = sorted(set(assignment) - {EXCLUDED})
        if not set(found) <= set(config.split_names):
            raise ConfigError(
                f"--config names the splits {', '.join(config.split_names)} but the split file holds "
                f"{', '.join(found)}; give the config this split was made with."
            )
    runs = None
    if args.runs_dir is not None:
        from .training import list_runs

        runs = list_runs(args.runs_dir)
    write_report(args.out, dataset, tasks, assignment, config=config, runs=runs)
    print(f"wrote {args.out}", file=sys.stderr)


def _model_config(args: argparse.Namespace):
    """The ModelConfig of --arch, --coupling, --experts and --head-depth (each only where it applies)."""
    from .model import ModelConfig

    architecture = args.arch or "hard"
    options: dict[str, object] = {"architecture": architecture}
    for flag, name, value, owner in (("--coupling", "coupling", args.coupling, "soft"),
                                     ("--experts", "experts", args.experts, "mmoe"),
                                     ("--head-depth", "head_depth", args.head_depth, "hierarchical")):
        if value is None:
            continue
        if architecture != owner:
            raise ConfigError(f"{flag} applies to --arch {owner} only, but the architecture is {architecture}; "
                              f"add --arch {owner} or drop {flag}.")
        options[name] = parse_mapping(value, flag) if name == "head_depth" else value
    return ModelConfig(**options)


def _train_options(args: argparse.Namespace) -> dict[str, object]:
    options: dict[str, object] = {"seed": args.seed}
    if args.epochs is not None:
        options["epochs"] = args.epochs
    if args.weighting is not None:
        options["weighting"] = args.weighting
    if args.weights is not None:
        options["weights"] = parse_mapping(args.weights, "--weights")
        options.setdefault("weighting", "manual")
    if args.normalize_losses:
        options["normalize_losses"] = True
    if args.fold < 0:
        raise ConfigError(f"--fold {args.fold} is negative; folds are numbered from 0.")
    if args.seeds is not None and args.seeds < 1:
        raise ConfigError(f"--seeds {args.seeds} must be at least 1; use --seeds 3.")
    return options


def _cmd_train(args: argparse.Namespace) -> None:
    from dataclasses import replace

    from .data import feature_columns
    from .training import (
        BASELINES,
        TrainConfig,
        check_runs_dir,
        distributed_world,
        fit_run,
        negative_transfer,
        seed_gains,
        seeds_metrics,
    )

    options = _train_options(args)
    config, model_config = TrainConfig(**options), _model_config(args)
    if args.runs_dir is not None:
        check_runs_dir(args.runs_dir, create=True)
    dataset = load_data(args.data)
    tasks = _tasks(dataset, args.task)
    assignment = read_split_file(args.split_file, dataset)
    if distributed_world() is not None:  # under torchrun: DDP on CPU, rank 0 writes
        _train_distributed(args, dataset, tasks, assignment, config, model_config)
        return
    seeds = range(args.seed, args.seed + (args.seeds or 1))
    outcomes = [
        fit_run(
            dataset.frame, tasks, assignment,
            config=replace(config, seed=seed),
            model_config=model_config,
            runs_dir=args.runs_dir,
            baselines=BASELINES if args.baselines else (),
            feature_columns=feature_columns(dataset, tasks),
            test_fold=args.fold,
            group_column=dataset.group_column,
            id_column=dataset.id_column,
            time_column=dataset.time_column,
            data={"name": dataset.name, "fingerprint": dataset.fingerprint},
        )
        for seed in seeds
    ]
    metrics = outcomes[0].result.to_dict()  # today's keys, of the first seed
    if args.baselines:
        metrics["baselines"] = outcomes[0].metrics["baselines"]
        metrics["delta_m"] = outcomes[0].metrics["delta_m"]
    if args.seeds is not None:
        metrics.update(seeds_metrics([outcome.metrics for outcome in outcomes], list(seeds)))
        if args.baselines:  # tasks worse than their single-task net on every seed, in words
            gains = seed_gains([outcome.metrics for outcome in outcomes], list(seeds),
                               {task.name: task.kind for task in tasks})
            metrics["negative_transfer"] = list(negative_transfer(gains))
    if args.runs_dir is not None:
        metrics["runs"] = [str(outcome.path) for outcome in outcomes]
    Path(args.out).write_text(json.dumps(metrics, indent=2, allow_nan=False))
    epochs = ", ".join(str(len(outcome.result.history)) for outcome in outcomes)
    print(f"wrote {args.out}: {epochs} epochs" + (f"; runs in {args.runs_dir}" if args.runs_dir else ""),
          file=sys.stderr)
    if outcomes[0].result.loss_scale:
        warnings.warn(f"{outcomes[0].result.loss_scale} Add --normalize-losses to do so.", UserWarning, stacklevel=1)


def _train_distributed(args: argparse.Namespace, dataset: Dataset, tasks, assignment, config, model_config) -> None:
    """``train`` under torchrun: every rank trains on its stratified shard (DDP on CPU); rank 0 writes the metrics."""
    from .data import feature_columns
    from .training import distributed_world, fit_distributed

    for flag in ("seeds", "baselines", "runs_dir"):
        if getattr(args, flag, None):
            raise ConfigError(f"--{flag.replace('_', '-')} is not supported under torchrun; run without torchrun.")
    rank, _ = distributed_world()
    result = fit_distributed(
        dataset.frame, tasks, assignment, feature_columns=feature_columns(dataset, tasks), config=config,
        model_config=model_config, test_fold=args.fold, group_column=dataset.group_column, id_column=dataset.id_column,
        time_column=dataset.time_column,
    )
    if rank == 0:
        Path(args.out).write_text(result.to_json(indent=2))
        print(f"wrote {args.out}: {len(result.history)} epochs (DDP, {os.environ.get('WORLD_SIZE')} processes)",
              file=sys.stderr)


# --------------------------------------------------------------------------- the Dask engine


def _dask_tasks(data: str, specs: list[str]) -> tuple[Task, ...]:
    """Tasks from --task specs, kinds inferred on the first partition's rows (force one with col:kind)."""
    from .cluster import lazy_table

    if not specs:
        raise DataError("No --task given; with --engine dask name the tasks, e.g. --task label or --task tags=a+b+c.")
    head = lazy_table(data).get_partition(0).compute()
    return tuple(parse_task_spec(spec, head, ()) for spec in specs)


def _watch(futures) -> None:
    from distributed.diagnostics.progressbar import progress

    progress(futures)


def _quiet_dask() -> None:
    """Dask's own log lines (a worker stopping at shutdown) stay off the terminal: its errors reach us as exceptions."""
    import logging

    for name in ("distributed", "distributed.nanny", "distributed.scheduler", "distributed.worker", "dask"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _dask_split(args: argparse.Namespace) -> None:
    from .cluster import open_client, split_dataset

    _quiet_dask()
    config = _config_from(args)
    tasks = _dask_tasks(args.data, args.task) if args.task or STRATEGIES[config.strategy].stratifies else ()
    with open_client(args.scheduler) as client:
        print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr)
        result = split_dataset(args.data, tasks, config, args.out, client=client, all_columns=args.all_columns,
                               watch=_watch)
    sizes = ", ".join(f"{row.split} {row.rows:,}" for row in result.sizes.itertuples())
    print(f"\nwrote {args.out}: {sizes}", file=sys.stderr)


def _dask_report(args: argparse.Namespace) -> None:
    from .cluster import cluster_report, open_client, read_summary

    _quiet_dask()
    read_summary(args.split_file)  # a wrong folder fails before a cluster starts
    config = read_config_file(args.config) if args.config else None
    tasks = _dask_tasks(args.data, args.task)
    with open_client(args.scheduler) as client:
        print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr)
        cluster_report(args.data, tasks, args.split_file, args.out, config=config, client=client,
                       sample_rows=args.sample, watch=_watch)
    print(f"\nwrote {args.out}", file=sys.stderr)


COMMANDS = {"split": _cmd_split, "report": _cmd_report, "train": _cmd_train}


def main(argv: list[str] | None = None, *, prog: str = PROG, extra: ExtraCommand | None = None) -> int:
    """Run one command; bad input prints exactly one line to stderr and returns 2.

    Warnings (a rare class, a Latin-1 file) are printed one per line after a
    successful run; when the input is bad, only the error's line is printed.
    ``extra`` is one more command that its own launcher runs (the dashboard's ``app``).
    """
    parser = _parser(prog, extra)
    try:
        if extra is None and (sys.argv[1:] if argv is None else argv)[:1] == ["app"]:
            raise ConfigError(f"`app` serves the dashboard, which is not part of the library: run `{NO_APP}` "
                              "(`tasksplit app` when installed).")
        args, unknown = parser.parse_known_args(argv)
        if extra is not None and args.command == extra.name:
            return extra.run(args, unknown)
        if unknown:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    except TaskSplitError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            COMMANDS[args.command](args)
        except TaskSplitError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except OSError as error:
            where = f" ({error.filename})" if error.filename else ""
            print(f"error: {error.strerror or error}{where}; check the path.", file=sys.stderr)
            return EXIT_BAD_INPUT
    for note in dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, UserWarning)):
        print(f"warning: {_one_line(note)}", file=sys.stderr)
    return 0


def _one_line(text: str) -> str:
    return " ".join(text.split())


if __name__ == "__main__":
    sys.exit(main())
