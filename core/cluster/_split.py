"""Split and diagnose a table of any size on a Dask cluster: summarise, solve, join.

1. **Summarise** (one pass): rows per partition and per label key (a regression column's exact
   quantile bin, from two short passes over that column first); for ``time`` the rows per time value;
   for groups a second pass sums each group's labels, rows, first row and first/last time.
2. **Solve** with the in-memory engine: :func:`core.splits.stratify.stratify` on the group table (up
   to ``exact_rows`` rows: on the client, the very call :func:`core.splits.split` makes, on the same
   matrix in the same group order, so a group split *is* the in-memory one; beyond, on the workers, in
   batches of groups, see :mod:`core.cluster._group_deal`) or on the leftover rows of the label-set table
   (:func:`core.cluster._solve.set_split_counts`); the registry's own ``random`` and ``time`` functions
   on the group or time-value table; ``hash`` as :func:`core.splits.split` hashes, row by row.
3. **Join** (one pass): each row's split, by its label set and rank, its group, its time value or
   its id's hash, written to a temporary folder that is renamed to ``out`` only when every part is
   written; the same pass counts rows per label set and split, and reduces the exact leakage checks.

Where the result may differ from the in-memory engine's: ``stratified`` without groups, up to
``exact_rows`` rows (2,000,000), runs the in-memory solver on every row's label set in data order (each
row's set code comes to the client, its split goes back to its partition) and gives the in-memory
assignment itself; beyond, each label set's whole blocks of D rows are dealt exactly in proportion and
only the rows left over go to the solver (:func:`core.cluster._solve.set_split_counts`), so the per-set
counts are within D - 1 rows of proportional, not the solver's on every row, and which rows of a set take
them follows a seeded walk over their ranks (see :mod:`core.cluster._solve`);
``random`` without groups cuts a keyed permutation of the rows at the largest-remainder sizes (the
in-memory ``random`` cuts a numpy permutation at the cumulative fractions, so its sizes can differ by one
row). A stratified split over groups (``group``, or ``stratified`` with a group column) of more than
``exact_rows`` rows is solved in batches of at least 60,000 groups on the workers, each batch's groups in
the order of a seeded hash of their values, then settled to within the largest group's rows of the
largest-remainder sizes (:mod:`core.cluster._group_deal`; beyond 2.5M rows most groups are placed by a
seeded hash of their value and only the rest are solved, around them): groups whole, another assignment
than in memory, its LD measured lower on the 10M- and 100M-row benchmarks. ``hash``, ``group`` (and any strategy over groups)
up to ``exact_rows`` rows, ``random`` and ``time`` over groups, ``time`` and ``predefined`` give the
in-memory assignment itself; regression bins use the exact quantiles (with folds, a fold a tiny group table leaves
empty takes a unit, as in memory).

The exact leakage checks (``checks``) run in the join pass over every row: the group check, the duplicate
check (a hash of the feature columns, shuffled) and, whenever the config names a time column (whatever
the strategy), the time-overlap check, from each split's time range and the other splits' sorted times
left on the workers (one more short pass counts those on or before the end of train).
"""

from __future__ import annotations

import json
import shutil
import uuid
import warnings
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import id_like_names
from ..errors import ConfigError, DataError
from ..splits import STRATEGIES, SplitConfig
from ..tasks import Task
from ._client import open_client
from ._diagnose import (
    ClusterDiagnosis,
)
from ._join import diagnosis_of, early_quality, join
from ._labels import label_columns
from ._parts import Solution
from ._plan import EXACT_ROWS, plan_and_solve
from ._read import fingerprint, lazy_table, partitions
from ._summarise import CHECKS, Progress, say, summarise

__all__ = ["ClusterSplit", "split_dataset", "diagnose_split", "read_summary", "SUMMARY"]

SUMMARY = "summary.json"
PARTS = "assignment"  # the Parquet dataset inside the output folder, beside summary.json
SUMMARY_FORMAT = "tasksplit.ClusterSplit"
OUTPUT_COLUMNS = {"row": "each row's number in the input", "split": "each row's split"}  # the output's own columns


@dataclass(frozen=True, eq=False, kw_only=True)
class ClusterSplit:
    """A split written by :func:`split_dataset`: where, how, its sizes and its diagnosis.

    Attributes
    ----------
    out : Path
        The folder: ``assignment/part-*.parquet`` (``row``, the id column if any, ``split``; read it with
        ``pandas.read_parquet(out / "assignment")``) and ``summary.json``.
    config : SplitConfig
    n_rows : int
    sizes : pandas.DataFrame
        ``split, rows, share``.
    diagnosis : ClusterDiagnosis
    fingerprint : dict
        The input's files, sizes and their SHA-256.
    warnings : tuple of str
    summary : dict
        What ``summary.json`` holds.
    """

    out: Path
    config: SplitConfig
    n_rows: int
    sizes: pd.DataFrame
    diagnosis: ClusterDiagnosis
    fingerprint: dict
    warnings: tuple[str, ...]
    summary: dict


@contextmanager
def _client_or_local(client):
    if client is not None:
        yield client
        return
    with open_client() as local:
        yield local

def _check(frame, tasks: Sequence[Task], config: SplitConfig, checks=()) -> None:
    columns = set(frame.columns)
    for name in ("group_column", "time_column", "id_column", "split_column"):
        column = getattr(config, name)
        read = _reads(config, name) or (name == "time_column" and "time" in checks)  # the exact time check reads it
        if column is not None and column not in columns and read:
            shown = ", ".join(map(str, list(frame.columns)[:8])) + (" ..." if len(frame.columns) > 8 else "")
            raise DataError(f"{name}='{column}' is not a column of the data (it has {shown}); check the spelling.")
    for column in label_columns(tasks):
        if column not in columns:
            raise DataError(f"Task column '{column}' is not in the data; check the task's columns.")


def _check_output(frame, config: SplitConfig, all_columns: bool) -> None:
    """The output names its own columns ``row`` and ``split``: a column of the data written beside them must not."""
    written = list(frame.columns) if all_columns else [config.id_column] if config.id_column is not None else []
    taken = [name for name in OUTPUT_COLUMNS if name in written]
    if taken:
        raise DataError(f"The data has a column named '{taken[0]}', which the output uses for "
                        f"{OUTPUT_COLUMNS[taken[0]]}; rename that column in the data before splitting.")


def _reads(config: SplitConfig, name: str) -> bool:
    strategy = STRATEGIES[config.strategy]
    if strategy.given:
        return name == strategy.column
    return name == "group_column" or name == strategy.column

def _check_names(checks) -> tuple[str, ...]:
    checks = tuple(checks)
    unknown = sorted(set(checks) - set(CHECKS))
    if unknown:
        raise ConfigError(f"Unknown leakage check '{unknown[0]}'; choose from {', '.join(CHECKS)}.")
    return checks


def _default_features(data, frame, tasks, config, checks) -> list[str]:
    """Every column but the tasks', the group, time, id and split columns, and the id-like ones, as the in-memory
    default (:func:`core.data.id_like_names`), judged on the first partition (an id is distinct in every row
    of it too); only read when the duplicate check runs."""
    used = set(label_columns(tasks)) | {c for c in (config.group_column, config.time_column, config.id_column,
                                                    config.split_column) if c}
    columns = [c for c in frame.columns if c not in used]
    if "duplicates" not in checks or not columns:
        return columns
    first = partitions(data, columns)[0].compute()
    id_like = set(id_like_names(first))
    return [c for c in columns if c not in id_like]


# --------------------------------------------------------------------------- output


def _temporary(out: Path) -> Path:
    folder = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    (folder / PARTS).mkdir(parents=True)
    return folder


def _commit(folder: Path, out: Path) -> None:
    """Rename the finished ``folder`` to ``out``; an earlier split output there is replaced, anything else refused."""
    if out.exists():
        if not (out.is_dir() and (out / SUMMARY).is_file()):
            raise DataError(f"'{out}' exists and is not a split output; pick another --out or remove it.")
        old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
        out.rename(old)
        folder.rename(out)
        shutil.rmtree(old, ignore_errors=True)
        return
    folder.rename(out)

def split_dataset(
    data, tasks: Sequence[Task] = (), config: SplitConfig | None = None, out=None, *, client=None,
    all_columns: bool = False, feature_columns: Sequence[str] | None = None, progress: Progress | None = None,
    watch: Callable | None = None, checks: Sequence[str] = CHECKS, exact_rows: int = EXACT_ROWS,
) -> ClusterSplit:
    """Split DATA (a Parquet folder or glob, or CSV globs) on a Dask cluster and write the assignment to ``out``.

    Same data, seed and files give the same assignment on any number of workers. See the module for
    where the result equals the in-memory engine's and where it may differ.

    Parameters
    ----------
    data : str or Path
    tasks : sequence of Task
    config : SplitConfig
        The same config the in-memory engine takes (one saved from the app runs unchanged).
    out : str or Path
        A folder, written whole or not at all (a temporary folder renamed at the end); it must be a path
        every worker can write. An earlier split output there is replaced.
    client : distributed.Client, optional
        Default: a new LocalCluster sized to the machine, closed at the end.
    all_columns : bool
        Write every column too, partitioned by split (``out/split=<name>/part-*.parquet``).
    feature_columns : sequence of str, optional
        For the duplicate check; default every column but the tasks', group, time, id and split columns and the
        id-like ones (judged on the first partition, by :func:`core.data.id_like_names`).
    progress : callable (share, text), optional
    watch : callable (futures), optional
        Sees each pass's futures (the command line shows distributed's progress bar with it).
    checks : sequence of {"group", "duplicates", "time"}
        The exact leakage checks to run in the join pass (the others are ``skipped``). ``duplicates``
        hashes every row's features and shuffles the hashes: the costliest; leave it out for speed.
    exact_rows : int
        A stratified split of up to this many rows (default 2,000,000) runs the in-memory solver on every
        row (each row's label set, in data order, on the client), or a stratified group split on the whole
        group table: the in-memory assignment itself. Larger ones deal each label set's whole blocks and
        the rest by the solver, or split the groups in batches on the workers (see the module).

    Examples
    --------
    >>> result = split_dataset("rows/*.parquet", tasks, SplitConfig(), "out/")  # doctest: +SKIP
    >>> result.sizes  # doctest: +SKIP
    """
    config = SplitConfig() if config is None else config
    if not isinstance(config, SplitConfig):
        raise ConfigError(f"config={config!r} is not a SplitConfig; build one with SplitConfig(...).")
    if out is None:
        raise ConfigError("out is not given; name the folder to write the split to.")
    out = Path(out).absolute()  # the workers write it: a relative path would be relative to their own folder
    tasks = tuple(tasks)
    notes: list[str] = []
    frame = lazy_table(data)
    _check(frame, tasks, config, _check_names(checks))
    _check_output(frame, config, all_columns)
    features = (list(feature_columns) if feature_columns is not None
                else _default_features(data, frame, tasks, config, _check_names(checks)))
    with _client_or_local(client) as client:
        plan, solution, extra, n, offsets, sets, per_part, states = plan_and_solve(
            client, data, tasks, config, features, progress, watch, notes, _check_names(checks), exact_rows)
        folder = _temporary(out)
        try:
            say(progress, 0.55, "Joining: writing every row's split")
            # a split by label sets is scored from its plan while the workers join
            stats, reduced, quality = join(client, data, plan, solution, extra, offsets, states, folder / PARTS,
                                           all_columns, watch, partial(early_quality, config, solution, sets))
            del states  # the workers may drop what they kept
            say(progress, 0.95, "Scoring and writing summary.json")
            diagnosis = diagnosis_of(config, plan, solution, stats, reduced, sets, per_part, notes, quality)
            print_ = fingerprint(data)
            summary = {
                "format": SUMMARY_FORMAT, "version": 1, "config": json.loads(config.to_json()),
                "input": print_, "rows": int(n.sum()), "partitions": [int(x) for x in n],
                "tasks": [{"name": t.name, "columns": list(t.columns), "kind": t.kind} for t in tasks],
                "splits": list(solution.names), "all_columns": all_columns,
                "scores": diagnosis.scores(), "warnings": list(notes),
            }
            (folder / SUMMARY).write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
            _commit(folder, out)
        finally:
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
    say(progress, 1.0, "Done")
    for note in notes:
        warnings.warn(note, UserWarning, stacklevel=2)
    return ClusterSplit(out=out, config=config, n_rows=int(n.sum()), sizes=diagnosis.sizes, diagnosis=diagnosis,
                        fingerprint=print_, warnings=tuple(notes), summary=summary)


def read_summary(split_dir) -> dict:
    """The ``summary.json`` of a split output folder; a missing or foreign one is a one-line DataError."""
    path = Path(split_dir) / SUMMARY
    if not path.is_file():
        raise DataError(f"No {SUMMARY} in '{split_dir}'; give a folder written by `python -m core split --engine dask`.")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        raise DataError(f"'{path}' is not valid JSON; split the data again.") from None
    if not isinstance(summary, dict) or summary.get("format") != SUMMARY_FORMAT:
        raise DataError(f"'{path}' is not a TaskSplit cluster split summary; split the data again.")
    return summary


def diagnose_split(
    data, tasks: Sequence[Task] = (), split_dir=None, *, config: SplitConfig | None = None, client=None,
    feature_columns: Sequence[str] | None = None, progress: Progress | None = None, watch: Callable | None = None,
    checks: Sequence[str] = CHECKS,
) -> ClusterDiagnosis:
    """The diagnosis of a split written by :func:`split_dataset` (or of ``config``'s predefined column), from counts.

    With ``split_dir``, the splits are read from its parts (one per partition of DATA, in order); the config
    defaults to the one in its ``summary.json``. Without it, ``config`` must be ``predefined``.
    """
    tasks = tuple(tasks)
    summary = read_summary(split_dir) if split_dir is not None else None
    if config is None and summary is not None:
        config = SplitConfig.from_json(json.dumps(summary["config"]))
    if config is None:
        raise ConfigError("Give split_dir (a split output folder) or a predefined config.")
    if summary is not None and summary.get("all_columns"):
        raise DataError(f"'{split_dir}' holds every column by split; diagnose a split written without --all-columns.")
    frame = lazy_table(data)
    _check(frame, tasks, config, _check_names(checks))
    features = (list(feature_columns) if feature_columns is not None
                else _default_features(data, frame, tasks, config, _check_names(checks)))
    notes: list[str] = []
    with _client_or_local(client) as client:
        if summary is None:
            if not STRATEGIES[config.strategy].given:
                raise ConfigError(f"strategy '{config.strategy}' makes a split; give split_dir, the folder it wrote.")
            plan, solution, extra, n, offsets, sets, per_part, states = plan_and_solve(
                client, data, tasks, config, features, progress, watch, notes, _check_names(checks))
        else:
            strategy = STRATEGIES[config.strategy]
            checks = _check_names(checks)
            options = dict(group_column=config.group_column if not strategy.given else None,
                           time_column=config.time_column if strategy.by_time or "time" in checks else None,
                           feature_columns=tuple(features) if "duplicates" in checks else (),
                           id_column=config.id_column, check_groups="group" in checks, check_time="time" in checks,
                           check_duplicates="duplicates" in checks)
            group_column, time_column = options["group_column"], options["time_column"]
            options["keep"] = tuple(c for c in (group_column if "group" in checks else None,
                                                time_column if "time" in checks else None) if c)
            plan, got, n, sets, per_part, states = summarise(client, data, tasks, config, options, progress, watch)
            if [int(x) for x in n] != summary["partitions"]:
                raise DataError(f"'{split_dir}' was written for other data ({summary['rows']:,} rows in "
                                f"{len(summary['partitions'])} parts, here {int(n.sum()):,} in {len(n)}); split this "
                                "data again.")
            offsets = np.cumsum(n) - n
            solution = Solution(kind="file", names=tuple(summary["splits"]))
            extra = [str(Path(split_dir) / PARTS / f"part-{i:05d}.parquet") for i in range(len(n))]
        say(progress, 0.55, "Counting labels per split")
        stats, reduced, _ = join(client, data, plan, solution, extra, offsets, states, None, False, watch)
    say(progress, 1.0, "Done")
    return diagnosis_of(config, plan, solution, stats, reduced, sets, per_part, notes)
