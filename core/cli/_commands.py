"""The commands ``split``, ``report`` and ``train``: read the data, call the library, write the result."""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

from ..data import Dataset, load_data
from ..errors import ConfigError
from ..splits import STRATEGIES
from ._dask import _dask_report, _dask_split
from ._steps import _config_from, _tasks, parse_mapping, read_config_file, read_split_file


def _cmd_split(args: argparse.Namespace) -> None:
    from ..splits import split

    if args.engine == "dask":
        return _dask_split(args)
    dataset = load_data(args.data)
    tasks = _tasks(dataset, args.task)
    result = split(dataset.frame, tasks, _config_from(args))
    from ..report import write_assignment

    write_assignment(result.assignment, args.out, dataset)
    sizes = ", ".join(f"{name} {count:,}" for name, count in result.assignment.value_counts().items())
    print(f"wrote {args.out}: {sizes}", file=sys.stderr)


def _cmd_report(args: argparse.Namespace) -> None:
    from ..report import write_report
    from ..splits import EXCLUDED

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
        from ..training import list_runs

        runs = list_runs(args.runs_dir)
    write_report(args.out, dataset, tasks, assignment, config=config, runs=runs)
    print(f"wrote {args.out}", file=sys.stderr)


def _model_config(args: argparse.Namespace):
    """The ModelConfig of --arch, --coupling, --experts and --head-depth (each only where it applies)."""
    from ..model import ModelConfig

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

    from ..data import feature_columns
    from ..training import (
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
    from ..data import feature_columns
    from ..training import distributed_world, fit_distributed

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


COMMANDS = {"split": _cmd_split, "report": _cmd_report, "train": _cmd_train}
