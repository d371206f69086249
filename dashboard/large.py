"""Data too large for one process: a Parquet dataset opened by path on the server and split on a Dask cluster.

The session works on a stated random sample of the rows (:data:`SAMPLE_ROWS`): the Data page, the
drill-down and the Model page read it as any other dataset. The split, its sizes and its scores are
made on every row by the Dask engine (``core.cluster``: summarise, solve, join) and shown from its
counts; the sample's rows carry the splits the whole-data split gives them.

The cluster is ``$TASKSPLIT_SCHEDULER`` (an address, ``tcp://HOST:8786``) when set, else a
``distributed.LocalCluster`` sized to the machine, started once per server. Which one runs is
never asked of the user.

The opened sources are kept on the server, by the sample's content hash (the dataset's
fingerprint), so every page finds the whole data behind the sample it is given.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from core.data import Dataset, dataset_from_frame
from core.errors import DataError
from core.splits import SplitConfig, SplitResult
from core.tasks import Task
from dashboard.split_folders import server_folder

SAMPLE_ROWS = 200_000
SAMPLE_MIN, SAMPLE_MAX = 1_000, 5_000_000  # the rows a session may sample (the Data page's bounds)
SAMPLE_SEED = 0
SCHEDULER_ENV = "TASKSPLIT_SCHEDULER"
ROW = "__row"  # the sample's index name: each sampled row's position in the whole dataset
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class LargeSource:
    """A Parquet dataset on the server and the sample of it the session works on."""

    path: str
    n_rows: int
    sample_rows: int
    seed: int = SAMPLE_SEED

    @property
    def sampled(self) -> bool:
        return self.sample_rows < self.n_rows

    def caption(self) -> str:
        """The one line that says what is sampled."""
        if not self.sampled:
            return (f"All {self.n_rows:,} rows of `{self.path}` are loaded; the split and its scores are made "
                    "from counts over every row.")
        return (f"A random sample of {self.sample_rows:,} of the {self.n_rows:,} rows of `{self.path}` (seed "
                f"{self.seed}) is shown here and used by the drill-down and the Model page; the split, its sizes "
                f"and its scores cover all {self.n_rows:,} rows.")


# --------------------------------------------------------------------------- the cluster


_CLIENTS: dict[str | None, object] = {}  # a Client is awaitable, which st.cache_resource refuses: kept here instead
_CLIENTS_LOCK = threading.Lock()


def client(address: str | None):
    """A Dask client on ``address``, else on a LocalCluster sized to the machine; one per address per server."""
    from distributed import Client

    from core.cluster import local_cluster

    with _CLIENTS_LOCK:
        known = _CLIENTS.get(address)
        if known is not None and known.status == "running":
            return known
        made = Client(address, timeout="20s") if address else Client(local_cluster())  # the engine's workers
        _CLIENTS[address] = made
        return made


def session_client():
    """The client of the cluster this server uses (``$TASKSPLIT_SCHEDULER`` or a LocalCluster)."""
    address = os.environ.get(SCHEDULER_ENV) or None
    try:
        return client(address)
    except OSError as error:
        raise DataError(f"Cannot reach the Dask scheduler at {address!r} ({error}); "
                        f"start it or unset {SCHEDULER_ENV}.") from None


# --------------------------------------------------------------------------- opening a path


def parquet_files(path: str) -> list[str]:
    """The Parquet files of a folder, a glob or one file; a :class:`DataError` naming the fix when there are none.

    Examples
    --------
    >>> parquet_files("/no/such/folder")
    Traceback (most recent call last):
    ...
    core.errors.DataError: No Parquet data at '/no/such/folder': the path does not exist; give a folder of Parquet files, a glob such as /data/part-*.parquet, or one .parquet file.
    """
    spec = path.strip()
    fix = "give a folder of Parquet files, a glob such as /data/part-*.parquet, or one .parquet file."
    if not spec:
        raise DataError(f"No path given; {fix}")
    if glob.has_magic(spec):
        files = sorted(f for f in glob.glob(spec, recursive=True) if os.path.isfile(f))
        where = "the glob matches no file"
    elif os.path.isdir(spec):
        files = sorted(str(p) for p in Path(spec).rglob("*") if p.is_file() and p.suffix in (".parquet", ".pq"))
        where = "the folder holds no .parquet file"
    elif os.path.isfile(spec):
        files, where = [spec], ""
    else:
        raise DataError(f"No Parquet data at '{spec}': the path does not exist; {fix}")
    if not files:
        raise DataError(f"No Parquet data at '{spec}': {where}; {fix}")
    return files


def _sample_part(part: pd.DataFrame, rows_wanted: float, seed: int, partition_info=None) -> pd.DataFrame:
    """Each row kept with probability ``rows_wanted / n``, by a generator of its own partition; its position kept."""
    number = partition_info["number"] if partition_info else 0
    rng = np.random.default_rng([seed, number])
    keep = np.flatnonzero(rng.random(len(part)) < rows_wanted)
    sample = part.iloc[keep].copy()
    sample.insert(0, "__partition", number)
    sample.insert(1, "__position", keep)
    return sample


def open_large(path: str, *, sample_rows: int = SAMPLE_ROWS, seed: int = SAMPLE_SEED,
               progress: Progress | None = None) -> tuple[Dataset, LargeSource]:
    """A sample of the Parquet dataset at ``path`` as a :class:`Dataset`, and the source behind it.

    One pass on the cluster counts the rows of each partition and one reads
    a random ``sample_rows`` of them (each row with the same chance; exactly ``sample_rows`` when the
    data has more). The sample's index is each row's position in the whole data, in file order.
    """
    import dask.dataframe as dd
    from distributed import as_completed

    files = parquet_files(path)
    signature = (str(path).strip(), sample_rows, seed, tuple((f, *_stat(f)) for f in files))
    with _LOCK:
        opened = _opened().get(signature)
    if opened is not None:  # opened before on this server, files unchanged: the same sample
        return opened
    cluster = session_client()
    say = progress or (lambda share, text: None)
    try:
        frame = dd.read_parquet(files)
        say(0.0, f"Counting the rows of {len(files):,} Parquet file(s)…")
        lengths = np.asarray(cluster.compute(frame.map_partitions(len)).result(), dtype=np.int64)
        n_rows = int(lengths.sum())
        share = min(1.0, 1.2 * sample_rows / max(n_rows, 1))  # a little over, then cut to exactly sample_rows
        parts = frame.map_partitions(_sample_part, share, seed, meta=_sample_part(frame._meta, share, seed))
        futures = cluster.compute(parts.to_delayed())
        for done, _ in enumerate(as_completed(futures), start=1):
            say(done / len(futures), f"Sampling rows: {done:,} of {len(futures):,} partitions read")
        sample = pd.concat([future.result() for future in futures], ignore_index=True)
    except (OSError, ValueError, TypeError) as error:  # pyarrow's errors are these
        raise DataError(f"Cannot read '{path}' as Parquet ({str(error).splitlines()[0][:200]}); "
                        "give a folder or glob of Parquet files with the same columns.") from None
    if n_rows == 0:
        raise DataError(f"'{path}' holds no rows; give a Parquet dataset with data in it.")
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    position = offsets[sample.pop("__partition").to_numpy()] + sample.pop("__position").to_numpy()
    sample.index = pd.Index(position, name=ROW)
    if len(sample) > sample_rows:
        sample = sample.sample(n=sample_rows, random_state=seed).sort_index()
    source = LargeSource(str(path).strip(), n_rows, len(sample), seed)
    name = Path(source.path.rstrip("/")).name or source.path
    data = dataset_from_frame(sample, name=name, source=f"server path: {source.path}")
    data = _described(data, source)
    remember(data.fingerprint, source)
    with _LOCK:
        _opened()[signature] = (data, source)
    return data, source


def _stat(file: str) -> tuple[int, int]:
    info = os.stat(file)
    return info.st_size, info.st_mtime_ns


def _described(data: Dataset, source: LargeSource) -> Dataset:
    from dataclasses import replace

    return replace(data, description=source.caption())


# --------------------------------------------------------------------------- the sources opened on this server

_LOCK = threading.Lock()


@st.cache_resource
def _sources() -> dict[str, LargeSource]:
    return {}


@st.cache_resource
def _opened() -> dict[tuple, tuple[Dataset, LargeSource]]:
    return {}


def remember(fingerprint: str, source: LargeSource) -> None:
    with _LOCK:
        _sources()[fingerprint] = source


def source_of(fingerprint: str) -> LargeSource | None:
    """The large source behind the dataset with this fingerprint, or None for data held in memory."""
    with _LOCK:
        return _sources().get(fingerprint)


# --------------------------------------------------------------------------- the split of every row

SPLITS_KEPT = 4  # whole-data split outputs kept on the server (each is one row + split per data row)


@dataclass(frozen=True, eq=False)
class WholeSplit:
    """The Dask engine's split of every row (``cluster``, a ``core.cluster.ClusterSplit``) and the sample's part."""

    source: LargeSource
    cluster: object
    sample: SplitResult

    @property
    def sizes(self) -> pd.DataFrame:
        """Rows and share of every split over the whole data: ``split``, ``rows``, ``share``."""
        return self.cluster.sizes

    @property
    def out(self) -> Path:
        return Path(self.cluster.out)


@st.cache_resource
def _splits() -> OrderedDict:
    return OrderedDict()


def _split_folder(key: tuple) -> Path:
    digest = hashlib.blake2b(repr(key).encode(), digest_size=10).hexdigest()
    return server_folder() / digest


def whole_split(source: LargeSource, fingerprint: str, tasks: tuple[Task, ...], config: SplitConfig,
                sample: pd.DataFrame, progress: Progress | None = None) -> WholeSplit:
    """The split of every row of ``source`` (kept on the server for the newest few), made now if new.

    The engine writes each row's split under this server's :func:`server_folder` (the newest
    :data:`SPLITS_KEPT` are kept, all are removed when the server stops); the sample's rows then get theirs by
    their position (one more pass that keeps only the sample's rows).
    """
    from core.cluster import split_dataset

    key = (source, fingerprint, tasks, config)
    with _LOCK:
        known = _splits().get(key)
    if known is not None:
        return known
    say = progress or (lambda share, text: None)
    out = _split_folder(key)
    cluster = split_dataset(source.path, tasks, config, out, client=session_client(), progress=say)
    say(0.97, "Reading the sample's splits…")
    assignment = _sample_assignment(out, sample.index)
    names = tuple(cluster.sizes["split"])
    result = SplitResult(assignment=assignment, config=config, warnings=tuple(cluster.warnings), split_names=names)
    made = WholeSplit(source, cluster, result)
    with _LOCK:
        kept = _splits()
        kept[key] = made
        while len(kept) > SPLITS_KEPT:
            _, dropped = kept.popitem(last=False)
            shutil.rmtree(dropped.out, ignore_errors=True)
    say(1.0, "Done")
    return made


def _rows_in(part: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    return part[np.isin(part["row"].to_numpy(), positions)]


def _sample_assignment(out: Path, rows: pd.Index) -> pd.Series:
    """The split of each sampled row (by its position in the whole data), aligned with the sample."""
    import dask.dataframe as dd

    positions = rows.to_numpy(dtype=np.int64)
    written = dd.read_parquet(sorted(str(f) for f in out.rglob("*.parquet")), columns=["row", "split"])
    picked = written.map_partitions(_rows_in, positions, meta=written._meta)
    found = session_client().compute(picked).result()
    splits = found.set_index("row")["split"].astype(str)
    return splits.reindex(positions).set_axis(rows).rename("split")


def whole_split_of(fingerprint: str, tasks: tuple[Task, ...], config: SplitConfig) -> WholeSplit | None:
    """The whole-data split already made for this sample, tasks and config, or None."""
    source = source_of(fingerprint)
    if source is None:
        return None
    with _LOCK:
        return _splits().get((source, fingerprint, tasks, config))


def whole_report(whole: WholeSplit, tasks: tuple[Task, ...], config: SplitConfig,
                 progress: Progress | None = None) -> str:
    """The offline HTML report of a whole-data split (``core.cluster.cluster_report``), as its text."""
    from core.cluster import cluster_report

    with tempfile.TemporaryDirectory(prefix="tasksplit-report-") as folder:
        path = cluster_report(whole.source.path, tasks, whole.out, Path(folder) / "report.html", config=config,
                              client=session_client(), sample_rows=whole.source.sample_rows, progress=progress)
        return Path(path).read_text(encoding="utf-8")


def checks_with_sample(exact: pd.DataFrame, sampled: pd.DataFrame, sample_rows: int) -> pd.DataFrame:
    """A large dataset's leakage table: each check over every row where the cluster ran it, else the sample's
    (near-duplicates, a single feature predicting a task, a check it skipped), said to be on the sample.

    Examples
    --------
    >>> row = lambda check, status, detail: (check, check.title(), status, detail, 0)
    >>> columns = ["check", "title", "status", "detail", "count"]
    >>> exact = pd.DataFrame([row("group", "pass", "All whole."), row("time", "skipped", "Not run.")], columns=columns)
    >>> sampled = pd.DataFrame([row("group", "pass", "Whole."), row("time", "warn", "Overlap.")], columns=columns)
    >>> checks_with_sample(exact, sampled, 1_000)["detail"].tolist()
    ['All whole.', 'On a random sample of 1,000 rows: Overlap.']
    """
    known = {row["check"]: row for row in exact.to_dict("records")}
    rows = []
    for row in sampled.to_dict("records"):
        mine = known.pop(row["check"], None)
        if mine is not None and (mine["status"] != "skipped" or row["status"] == "skipped"):
            rows.append(mine)
        else:
            rows.append({**row, "detail": f"On a random sample of {sample_rows:,} rows: {row['detail']}"})
    rows += known.values()
    return pd.DataFrame(rows, columns=list(exact.columns))


def task_scores_of_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """Per task and split: rows, missing share, Jensen-Shannon distance from the whole, absent classes.

    ``counts`` is ``ClusterDiagnosis.label_counts()``, the frame of ``core.diagnostics.label_distribution``
    (``task, split, label, is_missing, count, split_rows``; the whole data as ``all``). The distance is
    :func:`core.diagnostics.task_scores`' (base 2), on the counts of every row.
    """
    from scipy.spatial.distance import jensenshannon

    from core.splits import WHOLE

    rows = []
    for task, of_task in counts.groupby("task", sort=False):
        labelled = of_task[~of_task["is_missing"].astype(bool)]
        table = labelled.pivot_table(index="split", columns="label", values="count", aggfunc="sum", sort=False)
        missing = of_task[of_task["is_missing"].astype(bool)].groupby("split", sort=False)["count"].sum()
        split_rows = of_task.groupby("split", sort=False)["split_rows"].first()
        whole = table.loc[WHOLE].to_numpy(dtype=np.float64)
        for split_name in [name for name in table.index if name != WHOLE]:
            positives = table.loc[split_name].to_numpy(dtype=np.float64)
            js = float(jensenshannon(positives, whole, base=2)) if positives.sum() > 0 else float("nan")
            size = int(split_rows[split_name])
            rows.append({"task": task, "split": split_name, "rows": size,
                         "missing_share": float(missing.get(split_name, 0)) / size if size else float("nan"),
                         "js_distance": js, "absent_classes": int(((positives == 0) & (whole > 0)).sum())})
    return pd.DataFrame(rows, columns=["task", "split", "rows", "missing_share", "js_distance", "absent_classes"])


def cluster_command(path: str, tasks: tuple[Task, ...], config_file: str, out: str,
                    scheduler: str = "tcp://SCHEDULER:8786") -> str:
    """The command that splits every row of ``path`` on a Dask cluster with the saved config and these tasks.

    Examples
    --------
    >>> cluster_command("/data/clicks", (Task("click", ("click",), "binary"),), "c.json", "out")
    'python -m core split /data/clicks --engine dask --scheduler tcp://SCHEDULER:8786 --config c.json --task click:binary --out out'
    """
    import shlex

    from dashboard.link import task_spec

    words = ["python", "-m", "core", "split", path, "--engine", "dask"]
    if scheduler:
        words += ["--scheduler", scheduler]
    words += ["--config", config_file]
    for task in tasks:
        words += ["--task", task_spec(task)]
    return shlex.join([*words, "--out", out])
