"""Split benchmark: our stratifier against iterative-stratification, scikit-multilearn and sklearn.

Run: ``python -m bench split`` (``make bench`` runs every benchmark; it installs
requirements-bench.txt first). Issue 3's targets, each measured side by side in one run, the
runs of the contenders interleaved, medians of 3:

* multi-label 5-fold on 1,000,000 x 100 (``make_multilabel_classification``, n_labels=3) and
  on yeast: at least 20x faster than iterative-stratification's ``MultilabelStratifiedKFold``,
  LD no worse, LPD better, and a peak RSS increase of at most 3x the label matrix as uint8;
* order 2 on 100,000 x 50 from the same generator with 10 labels thinned to 2-90 positives:
  LPD at most that of scikit-multilearn's ``IterativeStratification(order=2)``, 50x faster;
* groups (100,000 rows, 20,000 groups, a 5-class label): 5x faster than sklearn's
  ``StratifiedGroupKFold``, a smaller worst class-proportion deviation, no group leak.

Quality is ``core.diagnostics.split_quality`` (LD, ED, LPD, FZ, FLZ) for every contender.
``python -m bench.bench_split sklearn`` runs the two multi-label cases and prints them;
``python -m bench.bench_split yeast`` runs yeast alone (about 10 s).
"""

from __future__ import annotations

import gc
import importlib.resources
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bench.common import CACHE_DIR, PeakRss, machine, table, write_section
from core.diagnostics import split_quality
from core.splits.stratify import stratify

ROOT = Path(__file__).resolve().parents[1]

REPEAT = 3
YEAST_REPEAT = 25  # a split of yeast takes milliseconds, so a median of 3 would be mostly noise
FOLDS = 5
SHARES = [1 / FOLDS] * FOLDS
NAMES = np.array([f"fold-{i}" for i in range(FOLDS)])
MIB = 2**20


@dataclass(frozen=True)
class Run:
    """One contender's repeated runs: wall and CPU seconds, and the last run's fold ids."""

    name: str
    wall: tuple[float, ...]
    cpu: tuple[float, ...]
    folds: np.ndarray

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    def describe(self) -> str:
        if self.median < 0.1:  # milliseconds, and many runs: the median and the range
            return f"{self.median * 1000:.2f} ms ({min(self.wall) * 1000:.2f}-{max(self.wall) * 1000:.2f}, {len(self.wall)} runs)"
        return f"{self.median:.3f} s ({', '.join(f'{s:.3f}' for s in self.wall)})"


def side_by_side(contenders: dict[str, Callable[[int], np.ndarray]], repeat: int = REPEAT) -> list[Run]:
    """Time every contender ``repeat`` times, interleaved so they share the machine's noise.

    Each contender is a function of the seed returning one fold id per row.
    """
    wall = {name: [] for name in contenders}
    cpu = {name: [] for name in contenders}
    folds = {}
    for seed in range(repeat):
        for name, run in contenders.items():
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            folds[name] = run(seed)
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    return [Run(name, tuple(wall[name]), tuple(cpu[name]), folds[name]) for name in contenders]


def back_to_back(run: Callable[[int], np.ndarray], repeat: int) -> float:
    """Median wall time of ``repeat`` runs in a row (after one unmeasured run), garbage collection off."""
    run(0)
    times = []
    gc.disable()
    try:
        for seed in range(repeat):
            start = time.perf_counter()
            run(seed)
            times.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return statistics.median(times)


def memory_of(contender: str, n_rows: int, n_labels: int) -> tuple[int, int]:
    """Peak RSS rise and peak traced allocation of one split, in a fresh process.

    A fresh process, so that memory freed by earlier runs cannot hide the rise. Returns
    (RSS rise, tracemalloc peak) in bytes; numpy reports its buffers to tracemalloc. A new
    interpreter, not a multiprocessing spawn: under ``make bench`` the dashboard benchmark has run
    the app as ``__main__`` in this process, and a spawned child re-runs ``__main__``, fails and is
    respawned for ever.
    """
    code = (
        "import json; from bench.bench_split import _memory_in_this_process as measure; "
        f"print(json.dumps(measure({contender!r}, {n_rows}, {n_labels})))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    rss, traced = json.loads(out.stdout.strip().splitlines()[-1])
    return rss, traced


def _memory_in_this_process(contender: str, n_rows: int, n_labels: int) -> tuple[int, int]:
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    Y = multilabel_data(n_rows, n_labels)
    if contender != "csr":
        Y = Y.toarray()
    gc.collect()
    tracemalloc.start()
    with PeakRss() as rss:
        if contender == "iterstrat":
            fold_ids(MultilabelStratifiedKFold(FOLDS, shuffle=True, random_state=0).split(np.zeros((n_rows, 1)), Y), n_rows)
        else:
            stratify(Y, SHARES, rng=np.random.default_rng(0))
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return rss.increase, traced


def fold_ids(splits, n_rows: int) -> np.ndarray:
    """Fold id per row from a splitter's (train, test) pairs."""
    folds = np.full(n_rows, -1, dtype=np.int64)
    for i, (_, test) in enumerate(splits):
        folds[test] = i
    return folds


def quality_table(Y, runs: list[Run], ours: str) -> str:
    """Time, ratio to ours and the five quality measures of every contender."""
    base = next(run for run in runs if run.name == ours)
    rows = []
    for run in runs:
        quality = split_quality(Y, NAMES[run.folds])
        rows.append([
            run.name, run.describe(), f"{run.cpu_median:.3f} s",
            f"{run.median / base.median:.1f}x",
            f"{quality.ld:.3g}", f"{quality.ed:.1f}", f"{quality.lpd:.3g}", f"{quality.fz:g}", f"{quality.flz:g}",
        ])  # fmt: skip
    header = ["method", "wall median (runs)", "CPU median", "time / ours", "LD", "ED", "LPD", "FZ", "FLZ"]
    return table(header, rows)


def verdict(met: bool) -> str:
    return "met" if met else "**not met**"


# ---------------------------------------------------------------------------------------------
# data


def multilabel_data(n_rows: int, n_labels: int) -> sp.csr_matrix:
    """``make_multilabel_classification(n_labels=3)`` labels as uint8 CSR, cached (the generator is slow)."""
    from sklearn.datasets import make_multilabel_classification

    path = CACHE_DIR / f"multilabel_{n_rows}x{n_labels}.npz"
    if path.exists():
        return sp.load_npz(path).tocsr()
    _, Y = make_multilabel_classification(
        n_samples=n_rows, n_features=20, n_classes=n_labels, n_labels=3, return_indicator="sparse", random_state=0
    )
    Y = sp.csr_matrix(Y, dtype=np.uint8)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    sp.save_npz(path, Y)
    return Y


def thinned_data(n_rows: int = 100_000, n_labels: int = 50, n_thinned: int = 10) -> sp.csr_matrix:
    """The same generator, with ``n_thinned`` labels cut to 2-90 positives each (kept at random)."""
    Y = multilabel_data(n_rows, n_labels).tocsc()
    rng = np.random.default_rng(0)
    for label in rng.choice(n_labels, n_thinned, replace=False):
        lo, hi = Y.indptr[label], Y.indptr[label + 1]
        keep = min(int(rng.integers(2, 91)), hi - lo)
        Y.data[lo + rng.choice(hi - lo, hi - lo - keep, replace=False)] = 0
    Y.eliminate_zeros()
    return Y.tocsr()


def yeast_labels() -> sp.csr_matrix:
    """The 14 labels of yeast (2,417 rows), as river ships them."""
    path = importlib.resources.files("river") / "datasets" / "yeast.csv.gz"
    with importlib.resources.as_file(path) as file:
        frame = pd.read_csv(file)
    return sp.csr_matrix(frame[[f"Class{i}" for i in range(1, 15)]].to_numpy(dtype=np.uint8))


def group_data(n_rows: int = 100_000, n_groups: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    """A 5-class label and a group per row; classes cluster within groups.

    Every group gets at least one row; the rest go to groups at random (1 + Poisson(4) rows).
    Each group draws its own class mix from Dirichlet(2 p), p = (.5, .25, .15, .07, .03).
    """
    rng = np.random.default_rng(0)
    groups = rng.permutation(np.concatenate([np.arange(n_groups), rng.integers(0, n_groups, n_rows - n_groups)]))
    mix = rng.dirichlet(2 * np.array([0.5, 0.25, 0.15, 0.07, 0.03]), size=n_groups)
    y = (rng.random(n_rows)[:, None] > np.cumsum(mix[groups], axis=1)).sum(axis=1)
    return np.minimum(y, 4), groups


# ---------------------------------------------------------------------------------------------
# the three benchmarks


def our_splitter(**kwargs):
    """Our public sklearn class, if core.splits has it yet (else None)."""
    try:
        from core.splits import MultiTaskStratifiedKFold
    except ImportError:
        return None
    return lambda seed: MultiTaskStratifiedKFold(FOLDS, shuffle=True, random_state=seed, **kwargs)


def bench_multilabel(
    Y: sp.csr_matrix, title: str, generated: tuple[int, int] | None = None, repeat: int = REPEAT,
    class_target: float | None = None,
) -> str:
    """Ours (CSR, dense uint8, the sklearn class) against MultilabelStratifiedKFold.

    With ``generated`` (rows, labels of the cached generator data), also the memory of one
    split in a fresh process for each way of calling. With ``class_target``, a verdict on the
    sklearn class itself (``MultiTaskStratifiedKFold(shuffle=True)`` on the CSR labels, issue 14).
    """
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    n = Y.shape[0]
    dense = Y.toarray()
    X = np.zeros((n, 1))
    contenders = {
        "ours: stratify(CSR uint8)": lambda seed: stratify(Y, SHARES, rng=np.random.default_rng(seed)),
        "ours: stratify(dense uint8)": lambda seed: stratify(dense, SHARES, rng=np.random.default_rng(seed)),
    }
    splitter = our_splitter()
    if splitter:
        contenders["ours: MultiTaskStratifiedKFold(CSR)"] = lambda seed: fold_ids(splitter(seed).split(X, Y), n)
    contenders["iterstrat MultilabelStratifiedKFold(dense)"] = lambda seed: fold_ids(
        MultilabelStratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(X, dense), n
    )
    runs = side_by_side(contenders, repeat)
    by_name = {run.name: run for run in runs}
    ours, peer = by_name["ours: stratify(dense uint8)"], by_name["iterstrat MultilabelStratifiedKFold(dense)"]
    ours_q, peer_q = split_quality(Y, NAMES[ours.folds]), split_quality(Y, NAMES[peer.folds])
    speedup = peer.median / max(run.median for run in runs if run.name.startswith("ours: stratify"))
    lines = [
        f"### {title}: {n:,} rows x {Y.shape[1]} labels, {Y.nnz:,} positives, {FOLDS} folds",
        "",
        quality_table(Y, runs, "ours: stratify(dense uint8)"),
        "",
        f"- Speed: iterative-stratification takes {speedup:.1f}x as long as our slower engine call "
        f"(target 20x: {verdict(speedup >= 20)})"
        + (
            f"; {peer.median / by_name['ours: MultiTaskStratifiedKFold(CSR)'].median:.1f}x as long as our sklearn class."
            if splitter
            else "."
        ),
        f"- LD: ours {ours_q.ld:.3g} vs {peer_q.ld:.3g} (target no worse: {verdict(ours_q.ld <= peer_q.ld)}); "
        f"LPD: ours {ours_q.lpd:.3g} vs {peer_q.lpd:.3g} (target better: {verdict(ours_q.lpd < peer_q.lpd)}).",
    ]
    if class_target and splitter:
        ours_class = by_name["ours: MultiTaskStratifiedKFold(CSR)"]
        through = peer.median / ours_class.median
        lines.append(
            f"- {title} through `MultiTaskStratifiedKFold(5, shuffle=True)`: iterative-stratification takes "
            f"{through:.1f}x as long (target {class_target:g}x: {verdict(through >= class_target)}); in CPU time "
            f"{peer.cpu_median * 1000:.2f} / {ours_class.cpu_median * 1000:.2f} ms = {peer.cpu_median / ours_class.cpu_median:.1f}x."
        )
    if repeat > REPEAT:  # milliseconds: also back to back, as in a loop of splits (warm caches)
        warm = {name: back_to_back(contenders[name], repeat) for name in (ours.name, peer.name)}
        lines.append(
            f"- The runs above each follow a `gc.collect()` and another contender's run, so caches start cold. "
            f"Back to back ({repeat} runs each, medians): ours {warm[ours.name] * 1000:.2f} ms, "
            f"iterative-stratification {warm[peer.name] * 1000:.2f} ms: {warm[peer.name] / warm[ours.name]:.1f}x."
        )
    if generated:
        budget = 3 * n * Y.shape[1]  # 3x the label matrix as uint8
        memory = {form: memory_of(form, *generated) for form in ("csr", "dense", "iterstrat")}
        worst = max(max(memory["csr"]), max(memory["dense"]))
        lines.append(
            "- Memory of one split, each in a fresh process (peak RSS rise / peak of tracemalloc, which numpy "
            "reports its buffers to): "
            + "; ".join(
                f"{label} {memory[form][0] / MIB:.0f} / {memory[form][1] / MIB:.0f} MiB"
                for form, label in (("csr", "ours, CSR uint8"), ("dense", "ours, dense uint8"),
                                    ("iterstrat", "iterstrat, dense uint8"))
            )  # fmt: skip
            + f". Budget 3x the uint8 label matrix = {budget / MIB:.0f} MiB ({verdict(worst <= budget)})."
        )
    return "\n".join(lines)


def bench_order2(Y: sp.csr_matrix) -> str:
    """Ours at order 2 (and 1, for reference) against scikit-multilearn's IterativeStratification(order=2)."""
    from skmultilearn.model_selection import IterativeStratification

    n = Y.shape[0]
    X = np.zeros((n, 1))

    def skmultilearn_order2(seed: int) -> np.ndarray:
        # It draws from numpy's global generator and rejects random_state on current sklearn, so seed that.
        np.random.seed(seed)
        return fold_ids(IterativeStratification(n_splits=FOLDS, order=2).split(X, Y), n)

    contenders = {
        "ours: stratify(order=2)": lambda seed: stratify(Y, SHARES, rng=np.random.default_rng(seed), order=2),
        "ours: stratify(order=1)": lambda seed: stratify(Y, SHARES, rng=np.random.default_rng(seed)),
    }
    splitter = our_splitter(order=2)
    if splitter:
        contenders["ours: MultiTaskStratifiedKFold(order=2)"] = lambda seed: fold_ids(splitter(seed).split(X, Y), n)
    contenders["scikit-multilearn IterativeStratification(order=2)"] = skmultilearn_order2
    runs = side_by_side(contenders)
    by_name = {run.name: run for run in runs}
    ours, peer = by_name["ours: stratify(order=2)"], by_name["scikit-multilearn IterativeStratification(order=2)"]
    ours_q, peer_q = split_quality(Y, NAMES[ours.folds]), split_quality(Y, NAMES[peer.folds])
    counts = np.sort(np.asarray(Y.sum(axis=0)).ravel())
    speedup = peer.median / ours.median
    return "\n".join([
        f"### Order 2: {n:,} rows x {Y.shape[1]} labels (rarest label counts {counts[:10].tolist()}), "
        f"{ours_q.n_pairs:,} co-occurring pairs, {FOLDS} folds",
        "",
        quality_table(Y, runs, "ours: stratify(order=2)"),
        "",
        f"- LPD: ours {ours_q.lpd:.3g} vs scikit-multilearn {peer_q.lpd:.3g} "
        f"(target at most theirs: {verdict(ours_q.lpd <= peer_q.lpd)}).",
        f"- Speed: scikit-multilearn takes {speedup:.1f}x as long as our engine (target 50x: {verdict(speedup >= 50)})"
        + (
            f"; {peer.median / by_name['ours: MultiTaskStratifiedKFold(order=2)'].median:.1f}x as long as our sklearn class."
            if splitter
            else "."
        ),
    ])  # fmt: skip


def bench_groups() -> str:
    """Ours with groups against sklearn's StratifiedGroupKFold."""
    from sklearn.model_selection import StratifiedGroupKFold

    y, groups = group_data()
    n = len(y)
    X = np.zeros((n, 1))
    splitter = our_splitter()
    if splitter:
        ours_name = "ours: MultiTaskStratifiedKFold(groups)"

        def ours(seed: int) -> np.ndarray:
            return fold_ids(splitter(seed).split(X, y, groups), n)
    else:
        ours_name = "ours: stratify(group sums)"

        def ours(seed: int) -> np.ndarray:
            codes, owner = np.unique(groups, return_inverse=True)
            unit_Y = sp.csr_matrix((np.ones(n, np.uint8), (owner, y)), shape=(len(codes), 5))
            unit_fold = stratify(unit_Y, SHARES, rng=np.random.default_rng(seed), sizes=np.bincount(owner))
            return unit_fold[owner]

    contenders = {
        ours_name: ours,
        "sklearn StratifiedGroupKFold(shuffle=True)": lambda seed: fold_ids(
            StratifiedGroupKFold(FOLDS, shuffle=True, random_state=seed).split(X, y, groups), n
        ),
    }
    runs = side_by_side(contenders)
    onehot = sp.csr_matrix((np.ones(n, np.uint8), (np.arange(n), y)), shape=(n, 5))
    overall = np.bincount(y, minlength=5) / n
    rows, worst = [], {}
    for run in runs:
        share = np.array([np.bincount(y[run.folds == f], minlength=5) / (run.folds == f).sum() for f in range(FOLDS)])
        worst[run.name] = np.abs(share - overall).max()
        sizes = np.bincount(run.folds, minlength=FOLDS)
        leaks = int((pd.Series(run.folds).groupby(groups).nunique() > 1).sum())
        quality = split_quality(onehot, NAMES[run.folds])
        rows.append([
            run.name, run.describe(), f"{run.cpu_median:.3f} s", f"{run.median / runs[0].median:.1f}x",
            f"{worst[run.name]:.2e}", f"{quality.ld:.3g}", f"{np.abs(sizes - n / FOLDS).max():.0f}", leaks,
        ])  # fmt: skip
    speedup = runs[1].median / runs[0].median
    header = ["method", "wall median (runs)", "CPU median", "time / ours", "worst class-share gap", "LD",
              "largest fold-size gap (rows)", "groups in 2+ folds"]  # fmt: skip
    return "\n".join([
        f"### Groups: {n:,} rows, {len(np.unique(groups)):,} groups (1-{np.bincount(groups).max()} rows), "
        f"a 5-class label {np.bincount(y).tolist()}, {FOLDS} folds",
        "",
        table(header, rows),
        "",
        f"- Speed: StratifiedGroupKFold takes {speedup:.1f}x as long as ours (target 5x: {verdict(speedup >= 5)}).",
        f"- Worst class-proportion deviation: ours {worst[runs[0].name]:.2e} vs {worst[runs[1].name]:.2e} "
        f"(target smaller: {verdict(worst[runs[0].name] < worst[runs[1].name])}); "
        "worst = max over folds and classes of |class share in the fold - class share overall|.",
    ])  # fmt: skip


def sklearn_cases(generated: tuple[int, int] | None = None) -> tuple[str, str]:
    """The two multi-label cases: 1,000,000 x 100 (target 20x) and yeast (engine 20x, the sklearn
    class 10x), each against iterative-stratification. ``python -m bench.bench_split sklearn`` runs
    only these (without the memory runs) and prints them."""
    big = bench_multilabel(multilabel_data(1_000_000, 100), "Multi-label", generated=generated, class_target=20)
    return big, yeast_case()


def yeast_case() -> str:
    """Yeast against iterative-stratification (engine 20x, the sklearn class 10x); ``python -m
    bench.bench_split yeast`` runs only this case and prints it."""
    return bench_multilabel(yeast_labels(), "Yeast", repeat=YEAST_REPEAT, class_target=10)  # milliseconds: more runs


def main() -> None:
    started = time.perf_counter()
    big, yeast = sklearn_cases(generated=(1_000_000, 100))
    order2 = bench_order2(thinned_data())
    grouped = bench_groups()
    write_section(
        "split",
        "\n".join([
            "## Split: multi-task stratification against the peers",
            "",
            "Command: `python -m bench split` (or `make bench`). "
            f"Machine: {machine()}. Every contender ran {REPEAT} times ({YEAST_REPEAT} on yeast), interleaved with the others; "
            "times are wall-clock medians (each run in brackets) and CPU medians. "
            "'time / ours' divides by the first 'ours' row of the table. Quality: `core.diagnostics.split_quality` (LD, LPD: mean |ratio gap| over "
            "labels / co-occurring label pairs; ED: mean fold-size gap in rows; FZ: folds missing a label; "
            "FLZ: fold-label pairs with no positive). Peers: iterative-stratification 0.1.9, "
            "scikit-multilearn 0.2.0, scikit-learn's StratifiedGroupKFold.",
            "",
            big,
            "",
            yeast,
            "",
            order2,
            "",
            grouped,
            "",
            f"Whole benchmark: {time.perf_counter() - started:.0f} s.",
        ]),
    )  # fmt: skip


if __name__ == "__main__":
    if sys.argv[1:] == ["sklearn"]:
        print(f"Machine: {machine()}.\n\n" + "\n\n".join(sklearn_cases()))
    elif sys.argv[1:] == ["yeast"]:  # the yeast case alone (about 10 s): a split takes milliseconds
        print(f"Machine: {machine()}.\n\n" + yeast_case())
    else:
        main()
