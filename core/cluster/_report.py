"""The report and the sample: what needs rows runs on a stated random sample; every count comes from the whole data.

:func:`cluster_report` writes the offline HTML report of :mod:`core.report`: its sizes, LD/ED/LPD/FZ/FLZ and
their verdicts, label counts per split and the group, duplicate and time leakage checks are computed from
the whole data's counts (:func:`core.cluster.diagnose_split`); the figures drawn from rows (the fold strip),
the per-task distances, the co-occurrence shifts, the near-duplicate and single-feature checks and the
comparison of strategies are computed on a random sample of at most ``sample_rows`` rows, as the report
says. So its size does not grow with the rows.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import Dataset
from ..diagnostics import LeakageReport, dealt_groups, group_chance, scorecard
from ..errors import DataError
from ..splits import SplitConfig
from ..tasks import encode_tasks
from ._client import run_pass
from ._read import lazy_table
from ._solve import _mix

__all__ = ["sample_table", "cluster_report", "split_command", "SAMPLE_ROWS"]

SAMPLE_ROWS = 200_000


def _lengths(client, frame, watch=None) -> np.ndarray:
    import dask

    return np.array(run_pass(client, [dask.delayed(len)(p) for p in frame.to_delayed()], watch), dtype=np.int64)


def _sample_part(frame: pd.DataFrame, offset: int, threshold: int, seed: int, split_file: str | None) -> pd.DataFrame:
    rows = offset + np.arange(len(frame), dtype=np.int64)
    chosen = _mix(rows.astype(np.uint64) ^ _mix(np.array([seed], dtype=np.uint64))) < np.uint64(threshold)
    out = frame.reset_index(drop=True)[chosen].copy()
    out.insert(0, "row", rows[chosen])
    if split_file is not None:
        out["split"] = pd.read_parquet(split_file, columns=["split"])["split"].to_numpy()[chosen]
    return out.reset_index(drop=True)


def sample_table(data, n: int = SAMPLE_ROWS, *, seed: int = 0, client=None, split_dir=None, watch=None) -> pd.DataFrame:
    """A uniform random sample of about ``n`` rows of DATA (all rows when it has fewer), with its ``row`` numbers.

    Each row is kept when a keyed hash of its row number falls below ``n / rows``: the same rows for the same
    data and seed on any cluster. With ``split_dir`` (a :func:`core.cluster.split_dataset` output) each row's
    ``split`` comes along.

    Examples
    --------
    >>> sample = sample_table("rows/*.parquet", 1_000, client=client)  # doctest: +SKIP
    """
    import dask

    from ._split import PARTS, _client_or_local, read_summary

    if not isinstance(n, (int, np.integer)) or n < 1:
        raise DataError(f"n={n!r} must be a positive number of rows, e.g. 200000.")
    frame = lazy_table(data)
    with _client_or_local(client) as client:
        if split_dir is not None:
            lengths = np.array(read_summary(split_dir)["partitions"], dtype=np.int64)
            if lengths.size != frame.npartitions:
                raise DataError(f"'{split_dir}' was written for other data; split this data again.")
        else:
            lengths = _lengths(client, frame, watch)
        total = int(lengths.sum())
        threshold = 2**64 - 1 if n >= total else int(n / max(total, 1) * 2**64)
        offsets = np.cumsum(lengths) - lengths
        parts = [
            dask.delayed(_sample_part)(part, int(offsets[i]), threshold, seed,
                                       None if split_dir is None else str(Path(split_dir) / PARTS / f"part-{i:05d}.parquet"))
            for i, part in enumerate(frame.to_delayed())
        ]
        got = run_pass(client, parts, watch)
    return pd.concat(got, ignore_index=True)


def _exact_leakage(sampled: LeakageReport, exact: pd.DataFrame, n_sample: int) -> LeakageReport:
    """The sample's checks, with group, duplicates and time replaced by the exact ones where they ran."""
    checks = sampled.checks.copy()
    for row in exact.itertuples():
        at = checks.index[checks["check"] == row.check]
        if len(at) and row.status != "skipped":
            checks.loc[at, ["status", "detail", "count"]] = [row.status, row.detail, row.count]
        elif len(at):
            checks.loc[at, "detail"] = checks.loc[at, "detail"] + f" (on a random sample of {n_sample:,} rows)"
    exact_checks = set(exact.loc[exact["status"] != "skipped", "check"])
    sampled_rows = ~checks["check"].isin(exact_checks) & (checks["status"] != "skipped")
    checks.loc[sampled_rows, "detail"] = checks.loc[sampled_rows, "detail"].str.rstrip(".") + \
        f" (on a random sample of {n_sample:,} rows)."
    return LeakageReport(checks, sampled.predictors)


def cluster_report(data, tasks, split_dir, out, *, config: SplitConfig | None = None, client=None,
                   sample_rows: int = SAMPLE_ROWS, progress=None, watch=None, group_column: str | None = None,
                   time_column: str | None = None, checks=None) -> Path:
    """Write the offline HTML report of a cluster split to ``out``: counts from the whole data, the rest on a sample.

    See the module for which parts are exact. ``checks``: the exact leakage checks run over every row (default
    all of ``core.cluster.CHECKS``); those left out are reported from the sample. Returns ``out``.
    """
    # the report imports torch: imported here, not with the package (a worker's first task paid ~1.2 s for it)
    from ..report import diagnose, render_report
    from ._split import _client_or_local, diagnose_split, read_summary
    from ._summarise import CHECKS

    tasks = tuple(tasks)
    summary = read_summary(split_dir)
    config = config or SplitConfig.from_json(json.dumps(summary["config"]))
    say = progress or (lambda share, text: None)
    with _client_or_local(client) as client:
        say(0.05, "Counting labels per split over every row")
        exact = diagnose_split(data, tasks, split_dir, config=config, client=client, watch=watch,
                               checks=CHECKS if checks is None else checks)
        say(0.4, f"Drawing a random sample of {sample_rows:,} rows")
        sample = sample_table(data, sample_rows, seed=config.seed, client=client, split_dir=split_dir, watch=watch)
    n_sample = len(sample)
    group = group_column or config.group_column
    time = time_column or config.time_column
    frame = sample.drop(columns=["row", "split"])
    dataset = Dataset(name=Path(str(data).rstrip("/")).name or str(data), frame=frame,
                      group_column=group if group in frame.columns else None,
                      time_column=time if time in frame.columns else None, id_column=config.id_column)
    assignment = pd.Series(sample["split"].to_numpy(), index=frame.index, name="split")
    base = diagnose(dataset, tasks, assignment, config, lambda share, text: say(0.5 + share / 4, text))
    quality = exact.quality if exact.quality is not None else base.quality
    dealt = dealt_groups(config)
    chance = None
    if dealt in frame.columns and tasks:
        chance = group_chance(frame, encode_tasks(frame, tasks, config.n_bins), config, dealt)
    card = scorecard(quality, base.scores, strategy=config.strategy, chance=chance)
    if not exact.fractions_known:
        card = card[card["score"] != "ED"].reset_index(drop=True)
    distribution = dataclasses.replace(base.distribution, counts=exact.label_counts()) if tasks else base.distribution
    diagnosis = dataclasses.replace(
        base, sizes=exact.sizes, quality=quality, card=card, distribution=distribution,
        leakage=_exact_leakage(base.leakage, exact.leakage, n_sample),
    )
    note = (f"{summary['rows']:,} rows split on a Dask cluster. Exact over every row: sizes, LD/ED/LPD/FZ/FLZ and "
            "their verdicts, label counts per split, the group, duplicate and time checks. On a random sample of "
            f"{n_sample:,} rows: the fold strip, per-task distances, co-occurrence, near-duplicates, single-feature "
            "predictors and the comparison of strategies.")
    page = render_report(dataset, tasks, assignment, config=config, diagnosis=diagnosis, rows=int(summary["rows"]),
                         warnings=(note, *summary.get("warnings", ())), progress=lambda s, t: say(0.75 + s / 4, t))
    path = Path(out)
    path.write_text(page, encoding="utf-8")
    return path


def split_command(data, config_file, out, *, scheduler: str | None = None, tasks=()) -> str:
    """The shell command that splits DATA on a cluster with a saved config (the Export page shows it).

    Examples
    --------
    >>> split_command("s3://bucket/rows/*.parquet", "config.json", "out", scheduler="tcp://10.0.0.5:8786")
    "python -m core split 's3://bucket/rows/*.parquet' --engine dask --scheduler tcp://10.0.0.5:8786 --config config.json --out out"
    """
    words = ["python", "-m", "core", "split", str(data), "--engine", "dask"]
    if scheduler:
        words += ["--scheduler", scheduler]
    for spec in tasks:
        words += ["--task", str(spec)]
    words += ["--config", str(config_file), "--out", str(out)]
    return " ".join(shlex.quote(w) for w in words)
