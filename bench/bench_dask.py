"""Dask benchmark: split 100M rows on a 2-worker LocalCluster against the I/O floor and dask-ml.

Run: ``python -m bench dask`` (``make bench`` runs every benchmark). The row count is
``$TASKSPLIT_DASK_ROWS`` (default 100,000,000); ``python -m bench.bench_dask 10_000_000`` runs one
size directly. The data (``bench/bigdata.py``) is generated once into ``$TMPDIR/tasksplit-bench``.

Issue 15's targets, each measured in the same run on the same data and the same cluster
(2 worker processes, 1 thread each):

* the floor: one Dask pass that reads the 20 label columns and writes a one-byte column per row
  (the I/O no split can beat);
* stratified and group splits by the Dask engine (``core.cluster``), with the scorecard, each
  within 3x the floor's time, peak memory per worker below 4 GiB (psutil polls every worker);
* ``dask_ml.model_selection.train_test_split`` (blockwise shuffle, no stratify), the anchor
  people use today, writing the same output: the engine's LD at least 10x better at no more
  than 2x its time. Its LD is :mod:`core.diagnostics`' LD on its per-split label counts;
* at 1,000,000 rows the Dask engine's scores equal the in-memory engine's (``core.splits.split``
  on the same rows and config), with both times.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from bench import bigdata
from bench.common import RESULTS_DIR, machine, table, write_section

GIB = 2**30
DEFAULT_ROWS = 100_000_000
CHECK_ROWS = 1_000_000
WORKERS = 2
FRACTIONS = {"train": 0.7, "val": 0.15, "test": 0.15}
SEED = 0


# --------------------------------------------------------------------------- cluster and memory


@contextlib.contextmanager
def local_cluster(n_workers: int = WORKERS):
    """A LocalCluster of ``n_workers`` processes with one thread each, and its client: the engine's own
    (:func:`core.cluster.open_client`), so the floor, dask-ml and the engine run on workers started alike."""
    from core.cluster import open_client

    with open_client(n_workers=n_workers) as client:
        yield client


class WorkerPeak:
    """Context manager polling the RSS of every worker process (and its children) with psutil.

    ``peak`` is the largest RSS any one worker reached while the block ran, in bytes; ``client_peak`` the
    largest RSS of this process (the client, where the solve runs).
    """

    def __init__(self, client, interval: float = 0.1) -> None:
        import psutil

        self.processes = [psutil.Process(pid) for pid in client.run(os.getpid).values()]
        self.me = psutil.Process()
        self.interval = interval
        self.peak = 0
        self.client_peak = 0
        self._stop = threading.Event()

    def _rss(self, process) -> int:
        import psutil

        try:
            return process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
        except psutil.Error:
            return 0

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak = max([self.peak, *(self._rss(p) for p in self.processes)])
            self.client_peak = max(self.client_peak, self.me.memory_info().rss)
            time.sleep(self.interval)

    def __enter__(self) -> WorkerPeak:
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Measure:
    """One timed run: wall seconds, peak worker RSS, and whatever the run returned."""

    name: str
    seconds: float
    peak: int
    value: object = None
    notes: dict = field(default_factory=dict)


IN_FLIGHT: dict = {}  # the measurement running now: name, start, its WorkerPeak (for a run stopped midway)


def _cpu(processes) -> float:
    """User + system CPU seconds of these processes (and their children) so far."""
    import psutil

    total = time.process_time()  # the client (this process)
    for process in processes:
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return total


def repeats(n_rows: int) -> int:
    """Runs per measurement: the median of 3 where affordable (up to 10M rows), else one."""
    return 3 if n_rows <= 10_000_000 else 1


def measured(name: str, client, run, times: int = 1) -> Measure:
    """Run ``run()`` ``times`` times on the cluster: the median wall and CPU seconds (workers + client), the
    largest worker RSS, the last run's value."""
    walls, cpus, peaks, client_peaks = [], [], [], []
    for _ in range(times):
        client.run(_trim)  # start every run from released worker memory
        with WorkerPeak(client) as peak:
            cpu = _cpu(peak.processes)
            start = time.perf_counter()
            IN_FLIGHT.update(name=name, start=start, peak=peak)
            value = run()
            walls.append(time.perf_counter() - start)
            cpus.append(_cpu(peak.processes) - cpu)
            IN_FLIGHT.clear()
        peaks.append(peak.peak)
        client_peaks.append(peak.client_peak)
    return Measure(name, float(np.median(walls)), max(peaks), value,
                   notes={"walls": walls, "cpu": float(np.median(cpus)), "client_peak": max(client_peaks),
                          "load": os.getloadavg()[0]})


def _trim() -> None:
    """Return freed memory to the OS on a worker (glibc), so one run's peak is not the last one's."""
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


# --------------------------------------------------------------------------- the floor and the anchor


def floor(folder: Path, out: Path) -> None:
    """One pass: read the label columns, write a one-byte column per row."""
    import dask.dataframe as dd

    labels = dd.read_parquet(str(folder), columns=list(bigdata.LABELS))
    byte = labels.map_partitions(
        lambda part: pd.DataFrame({"split": np.zeros(len(part), dtype=np.uint8)}),
        meta=pd.DataFrame({"split": np.zeros(0, dtype=np.uint8)}),
    )
    byte.to_parquet(str(out), write_index=False)


def anchor(folder: Path, out: Path, seed: int = SEED) -> dict:
    """``dask_ml`` train/val/test (two ``train_test_split`` calls, blockwise shuffle), written as id + split.

    Returns the rows and label positives per split, the counts its LD is scored on.
    """
    import dask
    import dask.dataframe as dd
    from dask_ml.model_selection import train_test_split

    data = dd.read_parquet(str(folder), columns=["id", *bigdata.LABELS])
    rest, test = train_test_split(data, test_size=FRACTIONS["test"], shuffle=True, random_state=seed)
    val_share = FRACTIONS["val"] / (1 - FRACTIONS["test"])
    train, val = train_test_split(rest, test_size=val_share, shuffle=True, random_state=seed + 1)
    parts = {"train": train, "val": val, "test": test}
    writes = [
        part[["id"]].assign(split=name).to_parquet(str(out / f"split={name}"), write_index=False, compute=False)
        for name, part in parts.items()
    ]
    sums = [part[list(bigdata.LABELS)].sum() for part in parts.values()]
    sizes = [part.shape[0] for part in parts.values()]
    _, sums, sizes = dask.compute(writes, sums, sizes)
    return {
        "splits": list(parts),
        "sizes": np.array(sizes, dtype=np.float64),
        "positives": np.vstack([np.asarray(s, dtype=np.float64) for s in sums]),
    }


# --------------------------------------------------------------------------- report


def _fmt_gib(value: int) -> str:
    return f"{value / GIB:.2f} GiB"


def lscpu() -> str:
    """The machine's ``lscpu`` summary (model, cores, threads), for RESULTS.md."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "lscpu unavailable"
    keep = ("Architecture", "CPU(s)", "Model name", "Thread(s) per core", "Core(s) per socket", "L3 cache")
    return "; ".join(" ".join(line.split()) for line in out.splitlines() if line.split(":")[0].strip() in keep)


def ld_of_counts(sizes: np.ndarray, positives: np.ndarray) -> float:
    """LD from counts alone: rows per split ``sizes`` (k,) and label positives per split ``positives`` (k, L).

    The definition of :func:`core.diagnostics.split_quality` (Sechidis et al. 2011): the mean over labels
    with at least one positive and one negative row, and over splits, of
    ``| S_i^j / (|S_i| - S_i^j) - D^j / (|D| - D^j) |``. Written out here because the anchor's output
    is only counts; :func:`check_ld_of_counts` checks it against ``split_quality`` on the 1M rows.
    """
    sizes, positives = np.asarray(sizes, dtype=np.float64), np.asarray(positives, dtype=np.float64)
    n, whole = sizes.sum(), positives.sum(axis=0)
    scored = (whole > 0) & (whole < n)
    split_pos, whole = positives[:, scored], whole[scored]
    negatives = sizes[:, None] - split_pos
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(negatives > 0, split_pos / np.maximum(negatives, 1), np.inf)
    ratio = np.where(sizes[:, None] == 0, 0.0, ratio)
    deviation = np.abs(ratio - (whole / (n - whole))[None, :])
    return float(deviation.mean()) if deviation.size else 0.0


def label_counts_of(frame: pd.DataFrame, assignment: pd.Series) -> dict:
    """Rows and positives of the 20 labels per split of an in-memory frame (what the cluster passes count)."""
    names = [name for name in FRACTIONS if name in set(assignment)]
    grouped = frame[list(bigdata.LABELS)].groupby(assignment.to_numpy())
    return {
        "splits": names,
        "sizes": grouped.size().reindex(names).to_numpy(dtype=np.float64),
        "positives": grouped.sum().reindex(names).to_numpy(dtype=np.float64),
    }


def engine_counts(result) -> dict:
    """Rows and positives of the 20 labels per split, from the Dask engine's label counts (``label`` 1)."""
    counts = result.diagnosis.label_counts()
    names = [name for name in FRACTIONS if name in set(result.sizes["split"])]
    sizes = result.sizes.set_index("split").loc[names, "rows"].to_numpy(dtype=np.float64)
    ones = counts[(counts["label"].astype(str) == "1") & ~counts["is_missing"].astype(bool)]
    table = ones.pivot_table(index="split", columns="task", values="count", aggfunc="sum")
    positives = table.reindex(index=names, columns=list(bigdata.LABELS)).fillna(0).to_numpy(dtype=np.float64)
    return {"splits": names, "sizes": sizes, "positives": positives}


# --------------------------------------------------------------------------- the runs


def tasks():
    """20 binary tasks and one regression task (binned in 5 quantiles), as a user would pick them."""
    from core.tasks import Task

    return (*(Task(name, (name,), "binary") for name in bigdata.LABELS), Task(bigdata.TARGET, (bigdata.TARGET,),
                                                                             "regression"))


def configs():
    from core.splits import SplitConfig

    return {
        "stratified": SplitConfig(strategy="stratified", fractions=FRACTIONS, seed=SEED),
        "group": SplitConfig(strategy="group", group_column="group", fractions=FRACTIONS, seed=SEED),
    }


CHECKED_ROWS = 10_000_000  # up to this size the split with every exact leakage check is timed too


def engine_split(folder: Path, config, out: Path, client, checks=()):
    """The Dask engine's split of the whole folder, written to ``out``, with its scorecard (sizes, LD, ED, LPD,
    FZ, FLZ, label counts; in summary.json). ``checks``: the exact leakage checks run too (none by default:
    they are timed as a row of their own)."""
    from core.cluster import split_dataset

    shutil.rmtree(out, ignore_errors=True)
    PHASES.clear()
    start = time.perf_counter()

    def progress(share: float, text: str) -> None:  # when each pass started, for a run stopped midway
        PHASES.append((time.perf_counter() - start, text))

    return split_dataset(str(folder), tasks(), config, out, client=client, checks=checks, progress=progress)


PHASES: list = []  # (seconds since the engine run started, the pass it started)


def engine_runs(n_rows: int) -> dict:
    """The engine's timed runs at this size: name -> (config, leakage checks)."""
    from core.cluster import CHECKS

    runs = {name: (config, ()) for name, config in configs().items()}
    if n_rows <= CHECKED_ROWS:
        runs["stratified + exact leakage checks"] = (configs()["stratified"], CHECKS)
    return runs


def warm_up(client, folder: Path, scratch: Path) -> None:
    """Import the readers and writers on every worker (the first task pays for them, not the floor)."""
    import dask.dataframe as dd

    dd.read_parquet(str(folder), columns=["y00"]).head(10)
    floor(folder if bigdata.size_on_disk(folder) < 2**28 else next(folder.glob("*.parquet")), scratch / "warm")
    client.run(_trim)


def io_file(n_rows: int) -> Path:
    """The floor's and dask-ml's measures of one size, kept so that a later run can time only the engine."""
    return PARTS_DIR / f"io-{n_rows:012d}.json"


def _save_io(n_rows: int, results: dict) -> None:
    floor_, anchor_ = results["floor"], results["anchor"]
    ld = ld_of_counts(anchor_.value["sizes"], anchor_.value["positives"])
    io_file(n_rows).write_text(json.dumps({"floor": [floor_.seconds, floor_.peak],
                                           "anchor": [anchor_.seconds, anchor_.peak, ld]}))


def _load_io(n_rows: int) -> dict:
    saved = json.loads(io_file(n_rows).read_text())
    return {"floor": Measure("floor", *saved["floor"]),
            "anchor": Measure("anchor", *saved["anchor"][:2], value={"ld": saved["anchor"][2]})}


def run_size(n_rows: int, scratch: Path, log, on_result=None, reuse_io: bool = False) -> dict:
    """The floor, the anchor and the engine's stratified and group splits on ``n_rows`` rows, on one cluster.

    ``on_result(run)`` is called after each measurement from the anchor on, so a run stopped midway (a
    100M run at a deadline) has written what it measured.
    """
    folder = bigdata.generate(n_rows, log=log)
    results: dict[str, Measure] = {}
    run = {"rows": n_rows, "folder": folder, "results": results, "planned": ["floor", "anchor", *engine_runs(n_rows)]}
    report = on_result or (lambda run: None)
    with local_cluster() as client:
        warm_up(client, folder, scratch)
        if reuse_io and io_file(n_rows).exists():  # the floor and dask-ml of an earlier run of this size
            results.update(_load_io(n_rows))
            run["io_reused"] = True
            log(f"{n_rows:,} rows: floor and dask-ml from {io_file(n_rows).name}")
        else:
            log(f"{n_rows:,} rows: floor")
            results["floor"] = measured("floor", client, lambda: floor(folder, scratch / "floor"), repeats(n_rows))
            log(f"  floor {results['floor'].seconds:.1f} s; anchor")
            results["anchor"] = measured("anchor", client, lambda: anchor(folder, scratch / "anchor"), repeats(n_rows))
            log(f"  anchor {results['anchor'].seconds:.1f} s")
            _save_io(n_rows, results)
        report(run)
        for name, (config, checks) in engine_runs(n_rows).items():
            results[name] = measured(name, client, lambda config=config, name=name, checks=checks:
                                     engine_split(folder, config, scratch / name.split()[0], client, checks),
                                     repeats(n_rows))
            results[name].notes["phases"] = list(PHASES)  # the last run's passes
            log(f"  {name} {results[name].seconds:.1f} s; passes started at "
                + "; ".join(f"{s:.1f} s {text}" for s, text in PHASES))
            report(run)
    return run


def check_size(scratch: Path, log) -> dict:
    """At 1M rows: the Dask engine's scores against the in-memory engine's, same config, with both times."""
    from core.diagnostics import judge_split, split_quality
    from core.splits import split
    from core.tasks import encode_tasks

    folder = bigdata.generate(CHECK_ROWS, log=log)
    rows = []
    frame = pd.read_parquet(folder)
    encoded = encode_tasks(frame, tasks())
    counts_check = None
    with local_cluster() as client:
        warm_up(client, folder, scratch)
        for name, config in configs().items():
            start = time.perf_counter()
            memory = pd.read_parquet(folder)
            assignment = split(memory, list(tasks()), config).assignment
            quality, _, _ = judge_split(memory, encode_tasks(memory, tasks()), assignment, config)
            memory_seconds = time.perf_counter() - start
            if counts_check is None:  # the counts-only LD is split_quality's LD on the 20 labels
                counts = label_counts_of(frame, assignment)
                labels_only = split_quality(frame[list(bigdata.LABELS)].to_numpy(), assignment.to_numpy(), FRACTIONS)
                counts_check = (ld_of_counts(counts["sizes"], counts["positives"]), labels_only.ld)
            cluster = measured(name, client, lambda config=config, name=name:
                               engine_split(folder, config, scratch / f"check-{name}", client))
            same = bool((read_split(cluster.value.out) == assignment.to_numpy()).all())
            rows.append({"strategy": name, "memory_seconds": memory_seconds, "memory": quality,
                         "cluster_seconds": cluster.seconds, "cluster": cluster.value.diagnosis.quality,
                         "same_assignment": same})
    del encoded
    return {"rows": rows, "counts_check": counts_check}


def read_split(out: Path) -> np.ndarray:
    """Every row's split from an engine output folder (its Parquet files; summary.json beside them), in row order."""
    files = sorted(Path(out).rglob("*.parquet"))
    written = pd.concat([pd.read_parquet(f, columns=["row", "split"]) for f in files], ignore_index=True)
    return written.sort_values("row")["split"].astype(str).to_numpy()


# --------------------------------------------------------------------------- markdown

SCORES = ("ld", "ed", "lpd", "fz", "flz")


def size_section(run: dict, command: str) -> str:
    """The table of one size: time, ratio to the floor and to the anchor, peak worker memory, LD."""
    results, floor_s = run["results"], run["results"]["floor"].seconds
    anchor_run = results["anchor"]
    anchor_ld = (anchor_run.value["ld"] if "ld" in anchor_run.value
                 else ld_of_counts(anchor_run.value["sizes"], anchor_run.value["positives"]))
    header = ["run", "wall s", "CPU s", "x floor", "x dask-ml", "peak RSS / worker", "client peak RSS", "load (1 min)",
              "LD (20 labels)", "LD / dask-ml's", "LD, LPD (whole scorecard)", "verdict"]
    rows = []
    for name, run_ in results.items():
        ld, whole, verdict = "", "", ""
        if name == "anchor":
            ld = f"{anchor_ld:.3g}"
        elif name != "floor":
            counts = engine_counts(run_.value)
            ld_value = ld_of_counts(counts["sizes"], counts["positives"])
            quality = run_.value.diagnosis.quality
            ld = f"{ld_value:.3g}"
            whole = f"{quality.ld:.3g}, {quality.lpd:.3g}"
            within_floor = run_.seconds <= 3 * floor_s
            better = ld_value * 10 <= anchor_ld
            within_anchor = run_.seconds <= 2 * anchor_run.seconds
            memory_ok = run_.peak < 4 * GIB
            verdict = "; ".join([
                f"<= 3x floor {'met' if within_floor else '**not met**'}",
                f"LD 10x better {'met' if better else '**not met**'}",
                f"<= 2x dask-ml time {'met' if within_anchor else '**not met**'}",
                f"< 4 GiB {'met' if memory_ok else '**not met**'}",
            ])
        rows.append([
            {"floor": "floor (read 20 labels, write 1 byte/row)", "anchor": "dask-ml train_test_split x2"}.get(
                name, f"TaskSplit Dask engine, {name}"),
            _wall(run_), f"{run_.notes['cpu']:.1f}" if "cpu" in run_.notes else "", f"{run_.seconds / floor_s:.2f}x", f"{run_.seconds / anchor_run.seconds:.2f}x",
            _fmt_gib(run_.peak), _fmt_gib(run_.notes["client_peak"]) if "client_peak" in run_.notes else "",
            f"{run_.notes['load']:.1f}" if "load" in run_.notes else "",
            ld, f"{float(ld) / anchor_ld:.3g}" if ld and name != "anchor" else "",
            whole, verdict,
        ])  # fmt: skip
    folder = run["folder"]
    missing = [name for name in run.get("planned", ()) if name not in results]
    note = (f"\n**Not measured: {', '.join(missing)}** (the run was stopped before they finished; "
            "see the text above the tables).\n" if missing else "")
    if run.get("io_reused"):
        note += ("\nThe floor and dask-ml rows are from an earlier run of this size on the same machine "
                 f"(`{io_file(run['rows']).name}`); this run timed only the engine.\n")
    for name, run_ in results.items():
        if run_.notes.get("phases"):
            note += (f"\n{name}: its passes started at (last run, seconds from its start) "
                     + "; ".join(f"{s:.1f} {text}" for s, text in run_.notes["phases"]) + f"; done at {run_.seconds:.1f}.\n")
    stopped = run.get("stopped")
    if stopped:
        note += (f"\nStopped while running **{stopped['name']}**, after {stopped['seconds']:.0f} s "
                 f"({stopped['seconds'] / floor_s:.1f}x the floor, {stopped['seconds'] / anchor_run.seconds:.1f}x "
                 f"dask-ml) with a peak RSS per worker so far of {_fmt_gib(stopped['peak'])}.\n")
        if stopped.get("phases"):
            note += "Its passes started at: " + "; ".join(f"{t:.0f} s {text}" for t, text in stopped["phases"]) + ".\n"
    return (f"### {run['rows']:,} rows\n\nData: `{folder}` ({bigdata.size_on_disk(folder) / GIB:.2f} GiB of Parquet, "
            f"{len(list(folder.glob('*.parquet')))} files, {bigdata.n_groups(run['rows']):,} groups).\n\n"
            + table(header, rows) + "\n" + note)


def _wall(run_: Measure) -> str:
    walls = run_.notes.get("walls", [run_.seconds])
    if len(walls) < 2:
        return f"{run_.seconds:.1f}"
    return f"{run_.seconds:.1f} (median of {len(walls)}: {min(walls):.1f}-{max(walls):.1f})"


def check_section(check: dict) -> str:
    header = ["strategy", "in-memory s (read + split + score)", "Dask engine s (2 workers, writes output)",
              *[s.upper() + " in-memory / Dask" for s in SCORES], "equal to 1e-12", "same assignment"]
    rows = []
    for row in check["rows"]:
        memory, cluster = row["memory"], row.get("cluster")
        cells = [f"{getattr(memory, s):.6g} / {getattr(cluster, s):.6g}" if cluster else f"{getattr(memory, s):.6g} / -"
                 for s in SCORES]
        equal = all(abs(getattr(memory, s) - getattr(cluster, s)) <= 1e-12 for s in SCORES) if cluster else None
        rows.append([row["strategy"], f"{row['memory_seconds']:.1f}",
                     f"{row['cluster_seconds']:.1f}" if cluster else "engine unavailable", *cells,
                     {True: "yes", False: "**no**", None: "-"}[equal],
                     {True: "yes", False: "no", None: "-"}[row.get("same_assignment")]])
    counts_ld, labels_ld = check["counts_check"]
    return (f"### At {CHECK_ROWS:,} rows: the Dask engine against the in-memory engine\n\n"
            + table(header, rows)
            + f"\n\nThe counts-only LD used for dask-ml (`ld_of_counts`) against `split_quality` on the same 20 labels "
              f"and assignment: {counts_ld:.12g} vs {labels_ld:.12g}.\n")


STOP_ENV = "TASKSPLIT_DASK_STOP_AFTER"  # seconds: a run still going then writes what it has and stops
PARTS_DIR = RESULTS_DIR / "dask-parts"  # one markdown fragment per size measured, and the 1M check


_FLAGS = ("--no-check", "--reuse-io", "--check-only")


def main(argv: list[str] | None = None) -> None:
    """``python -m bench dask``: the 1M check, 10M and ``$TASKSPLIT_DASK_ROWS`` (default 100M), in a new interpreter.

    ``python -m bench.bench_dask [--no-check] [--reuse-io] ROWS [ROWS ...]`` measures those sizes only
    (``--check-only``: the 1M check alone)
    (``--reuse-io``: the floor and dask-ml of an earlier run of the size, the engine timed anew). Each size's table
    is kept in ``bench/results/dask-parts/`` and the section is gathered from every part measured, so a long
    run at 100M adds its table to the earlier ones. A new interpreter, because LocalCluster's workers are
    spawned and re-import ``__main__`` (under ``make bench`` the dashboard benchmark has run the app there).
    """
    if argv is None:
        rows = int(os.environ.get("TASKSPLIT_DASK_ROWS", DEFAULT_ROWS))
        sizes = sorted({min(rows, 10_000_000), rows})
        subprocess.run([sys.executable, "-m", "bench.bench_dask", *map(str, sizes)], check=True,
                       cwd=Path(__file__).resolve().parents[1])
        return
    unknown = [word for word in argv if word.startswith("-") and word not in _FLAGS]
    if unknown:  # --help included: say how to call it, never start a 100M run on a typo
        print(f"usage: python -m bench.bench_dask [{' | '.join(_FLAGS)}] [ROWS ...]"
              + ("" if unknown == ["--help"] or unknown == ["-h"] else f"; unknown option {unknown[0]!r}"),
              file=sys.stderr)
        raise SystemExit(0 if unknown in (["--help"], ["-h"]) else 2)
    check, reuse = "--no-check" not in argv, "--reuse-io" in argv
    sizes = [int(word.replace("_", "")) for word in argv if not word.startswith("--")] or [DEFAULT_ROWS]
    if "--check-only" in argv:  # the 1M check alone
        sizes = []
    run_all(sizes, check, reuse)


def run_all(sizes: list[int], check: bool = True, reuse_io: bool = False) -> None:
    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    PARTS_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tasksplit-dask-", dir=bigdata.cache_root().parent) as scratch:
        scratch = Path(scratch)
        if check:
            (PARTS_DIR / "check.md").write_text(check_section(check_size(scratch, log)))
            gather_section()
        for rows in sizes:
            command = f"python -m bench.bench_dask --no-check {'--reuse-io ' if reuse_io else ''}{rows}"

            latest: dict = {}

            def write_part(run, rows=rows, command=command, latest=latest) -> None:
                part = size_section(run, command) + f"\nCommand: `{command}`.\n"
                (PARTS_DIR / f"size-{rows:012d}.md").write_text(part)
                gather_section()
                latest.update(run=run)

            def stop(write_part=write_part, latest=latest) -> None:
                """At the deadline: write what was measured and what is running, then interrupt the run."""
                if latest.get("run") is not None and IN_FLIGHT:
                    latest["run"]["stopped"] = {"name": IN_FLIGHT["name"], "peak": IN_FLIGHT["peak"].peak,
                                                "phases": list(PHASES),
                                                "seconds": time.perf_counter() - IN_FLIGHT["start"]}
                    write_part(latest["run"])
                log(f"stopped at the deadline ({STOP_ENV}={os.environ[STOP_ENV]} s)")
                os.kill(os.getpid(), signal.SIGINT)  # a real signal wakes the main thread's waits

            timer = None
            if os.environ.get(STOP_ENV):
                timer = threading.Timer(float(os.environ[STOP_ENV]), stop)
                timer.daemon = True
                timer.start()
            run_size(rows, scratch, log, write_part, reuse_io)
            if timer is not None:
                timer.cancel()


def gather_section() -> None:
    """bench/results/dask.md from every part measured so far: the sizes, smallest first, then the 1M check."""
    parts = [path.read_text() for path in sorted(PARTS_DIR.glob("size-*.md"))]
    check, notes = PARTS_DIR / "check.md", PARTS_DIR / "notes.md"  # notes: the reading of the runs, by hand
    write_section("dask", f"""## dask

Command: `python -m bench dask` (the 1M check, 10M and `$TASKSPLIT_DASK_ROWS`, default 100M), or
`python -m bench.bench_dask [--no-check] ROWS ...` for some sizes; each size below names its own run.
{machine()}.
lscpu: {lscpu()}.

Data: `bench/bigdata.py` (20 binary labels at 0.1%-40% positives, correlated through a group and a row effect,
one regression target, {bigdata.ROWS_PER_GROUP} rows per group, a time column, an id), Parquet in files of
{bigdata.CHUNK_ROWS:,} rows, cached in `$TMPDIR/tasksplit-bench`. Every run is on one `LocalCluster` of
{WORKERS} worker processes with 1 thread each, on this machine (shared with other jobs: read the ratios within
a table, not the absolute times), one run each; the tasks are the 20 labels (binary) and the target
(regression, 5 quantile bins); fractions train 0.7, val 0.15, test 0.15, seed 0. The floor reads the 20
label columns and writes one byte per row; dask-ml is `train_test_split` twice (test 0.15, then val out of the
rest), its id and split written in the same `dask.compute` as its label counts (one read; a user writing
each split apart reads the data three times). "Peak RSS / worker" is the largest resident memory any one
worker process reached (psutil, every 0.1 s). "LD (20 labels)" is LD over the 20 labels' positives, the same
definition for every row (dask-ml's from its per-split counts); the engine's scorecard LD counts every
indicator column (both classes of each binary task and the regression bins).

{notes.read_text() if notes.exists() else ""}
{chr(10).join(parts) if parts else "No size measured yet."}
{check.read_text() if check.exists() else ""}""")


if __name__ == "__main__":
    main(sys.argv[1:])
