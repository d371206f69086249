"""``split`` and ``report`` with ``--engine dask``: the data split or reported on a Dask cluster."""

from __future__ import annotations

import argparse
import sys

from ..errors import ConfigError, DataError
from ..splits import STRATEGIES
from ..tasks import Task, parse_task_spec
from ._steps import _config_from, read_config_file


def _dask_tasks(data: str, specs: list[str]) -> tuple[Task, ...]:
    """Tasks from --task specs, kinds inferred on the first partition's rows (force one with col:kind)."""
    from ..cluster import lazy_table

    if not specs:
        raise DataError("No --task given; with --engine dask name the tasks, e.g. --task label or --task tags=a+b+c.")
    head = lazy_table(data).get_partition(0).compute()
    return tuple(parse_task_spec(spec, head, ()) for spec in specs)


def _checks(text: str | None) -> tuple[str, ...]:
    """The leakage checks ``--checks`` names (comma-separated, or ``none``); all of them when not given.

    Examples
    --------
    >>> _checks("group, time"), _checks("none"), len(_checks(None))
    (('group', 'time'), (), 3)
    """
    from ..cluster import CHECKS

    if text is None:
        return CHECKS
    names = [] if text.strip().lower() == "none" else [word.strip() for word in text.split(",") if word.strip()]
    unknown = [name for name in names if name not in CHECKS]
    if unknown or not names and text.strip().lower() != "none":
        raise ConfigError(f"--checks {text!r} names {unknown[0] if unknown else 'no check'!r}; give some of "
                          f"{','.join(CHECKS)} (comma-separated) or none.")
    return tuple(dict.fromkeys(names))


def _watch(futures) -> None:
    from distributed.diagnostics.progressbar import progress

    progress(futures)


def _quiet_dask() -> None:
    """Dask's own log lines (a worker stopping at shutdown) stay off the terminal: its errors reach us as exceptions."""
    import logging

    for name in ("distributed", "distributed.nanny", "distributed.scheduler", "distributed.worker", "dask"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _dask_split(args: argparse.Namespace) -> None:
    from ..cluster import open_client, split_dataset

    _quiet_dask()
    config = _config_from(args)
    checks = _checks(args.checks)
    tasks = _dask_tasks(args.data, args.task) if args.task or STRATEGIES[config.strategy].stratifies else ()
    with open_client(args.scheduler) as client:
        print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr)
        result = split_dataset(args.data, tasks, config, args.out, client=client, all_columns=args.all_columns,
                               watch=_watch, checks=checks)
    sizes = ", ".join(f"{row.split} {row.rows:,}" for row in result.sizes.itertuples())
    print(f"\nwrote {args.out}: {sizes}", file=sys.stderr)


def _dask_report(args: argparse.Namespace) -> None:
    from ..cluster import cluster_report, open_client, read_summary

    _quiet_dask()
    read_summary(args.split_file)  # a wrong folder fails before a cluster starts
    checks = _checks(args.checks)
    config = read_config_file(args.config) if args.config else None
    tasks = _dask_tasks(args.data, args.task)
    with open_client(args.scheduler) as client:
        print(f"Dask dashboard: {client.dashboard_link}", file=sys.stderr)
        cluster_report(args.data, tasks, args.split_file, args.out, config=config, client=client,
                       sample_rows=args.sample, watch=_watch, checks=checks)
    print(f"\nwrote {args.out}", file=sys.stderr)
