"""Order 2 at many labels (issue 17): the MULAN sets and a synthetic 1,000,000 x 10,000 power-law set.

Run: ``python -m bench mulan`` (every case) or ``python -m bench mulan:medical,synthetic`` (some).
Cases:

* one per MULAN set in ``../shared/data/mulan`` (read in place; skipped with a note when the folder
  is absent): ours at orders 1 and 2, iterative-stratification (order 1) and scikit-multilearn
  (orders 1 and 2), side by side in one run, 5 folds, seeds 0-2, interleaved, medians of 3, each
  split scored by ``core.diagnostics.split_quality`` (LD, ED, LPD, FZ, FLZ; the means over seeds);
* ``synthetic``: 1,000,000 rows x 10,000 labels, power-law label frequencies, about 5 labels per
  row, CSR; ours at orders 1 and 2, time (medians of 3) and peak RSS (a new interpreter each);
* ``iterstrat100k``: iterative-stratification on the first 100,000 rows of the synthetic set, in a
  subprocess with a 10-minute timeout.

Each case writes its own section (``bench/results/mulan-<case>.md``), so a run of some cases keeps
the others' last figures.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from bench.bench_split import FOLDS, NAMES, SHARES, fold_ids
from bench.common import CACHE_DIR, PeakRss, machine, table, write_section
from bench.mulan import mulan_dir, mulan_sets, read_labels
from core.diagnostics import split_quality
from core.splits.stratify import stratify

REPEAT = 3
SEEDS = range(3)
MIB = 2**20
SYNTHETIC = dict(n_rows=1_000_000, n_labels=10_000, per_row=5.0, exponent=1.0)
ITERSTRAT_ROWS = 100_000
ITERSTRAT_TIMEOUT = 600  # seconds
COMMAND = "python -m bench mulan"
ROOT = Path(__file__).resolve().parents[1]


def power_law_labels(
    n_rows: int, n_labels: int, per_row: float, exponent: float, seed: int = 0, cache: bool = True
) -> sp.csr_matrix:
    """A 0/1 CSR label matrix: 1 + Poisson(per_row - 1) draws per row from p_j ~ 1 / j**exponent.

    Labels drawn twice in a row count once (so rows average a little under ``per_row`` labels);
    the label of each frequency rank sits in a random column. Cached in ``bench/.cache`` (``cache``).
    """
    path = CACHE_DIR / f"powerlaw_{n_rows}x{n_labels}_{per_row:g}_{exponent:g}_{seed}.npz"
    if cache and path.exists():
        return sp.load_npz(path).tocsr()
    rng = np.random.default_rng(seed)
    weight = 1.0 / np.arange(1, n_labels + 1) ** exponent
    cumulative = np.cumsum(weight / weight.sum())
    rows = np.repeat(np.arange(n_rows, dtype=np.int64), 1 + rng.poisson(per_row - 1, n_rows))
    labels = np.minimum(np.searchsorted(cumulative, rng.random(len(rows))), n_labels - 1)
    code = np.unique(rows * n_labels + rng.permutation(n_labels)[labels])
    row, column = np.divmod(code, n_labels)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n_rows), out=indptr[1:])
    Y = sp.csr_matrix((np.ones(len(column), np.uint8), column.astype(np.int32), indptr), shape=(n_rows, n_labels))
    if cache:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        sp.save_npz(path, Y)
    return Y


def synthetic_labels() -> sp.csr_matrix:
    return power_law_labels(**SYNTHETIC)


def csr_bytes(Y: sp.csr_matrix) -> int:
    return Y.data.nbytes + Y.indices.nbytes + Y.indptr.nbytes


# ---------------------------------------------------------------------------------------------
# iterative-stratification on 100,000 rows of the synthetic set, in a subprocess with a timeout


def _iterstrat_sample_in_this_process(n_rows: int) -> None:
    """Run MultilabelStratifiedKFold on the first ``n_rows`` rows (dense bool, as it converts them)."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    Y = synthetic_labels()[:n_rows].toarray().astype(bool)
    start = time.perf_counter()
    folds = fold_ids(MultilabelStratifiedKFold(FOLDS, shuffle=True, random_state=0).split(np.zeros((n_rows, 1)), Y), n_rows)
    print(json.dumps({"seconds": time.perf_counter() - start, "sizes": np.bincount(folds).tolist()}))


def iterstrat_sample(n_rows: int = ITERSTRAT_ROWS, timeout: int = ITERSTRAT_TIMEOUT) -> dict:
    """iterative-stratification on ``n_rows`` rows of the synthetic set, or what stopped it."""
    synthetic_labels()  # build the cache outside the timed subprocess
    code = f"from bench.bench_mulan import _iterstrat_sample_in_this_process as run; run({n_rows})"
    start = time.perf_counter()
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"finished": False, "seconds": time.perf_counter() - start}
    if out.returncode:
        return {"finished": False, "error": (out.stderr.strip().splitlines() or ["?"])[-1], "seconds": time.perf_counter() - start}
    return {"finished": True, **json.loads(out.stdout.strip().splitlines()[-1])}


def case_iterstrat100k() -> str:
    result = iterstrat_sample()
    if result["finished"]:
        outcome = f"finished in {result['seconds']:.0f} s (fold sizes {result['sizes']})"
    elif "error" in result:
        outcome = f"failed after {result['seconds']:.0f} s: {result['error']}"
    else:
        outcome = f"**did not finish in {ITERSTRAT_TIMEOUT // 60} minutes** (stopped at {result['seconds']:.0f} s)"
    return "\n".join([
        f"### iterative-stratification on {ITERSTRAT_ROWS:,} rows of the synthetic power-law set",
        "",
        f"Command: `{COMMAND}:iterstrat100k`. Machine: {machine()}.",
        "",
        f"`MultilabelStratifiedKFold(5, shuffle=True)` on the first {ITERSTRAT_ROWS:,} rows x "
        f"{SYNTHETIC['n_labels']:,} labels (dense bool, as it converts its input), in a subprocess with a "
        f"{ITERSTRAT_TIMEOUT // 60}-minute timeout: {outcome}.",
    ])


# ---------------------------------------------------------------------------------------------
# the MULAN sets: ours at orders 1 and 2 against iterative-stratification and scikit-multilearn


def contenders(Y: sp.csr_matrix) -> dict[str, Callable[[int], np.ndarray]]:
    """Every contender as a function of the seed returning one fold id per row."""
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold
    from skmultilearn.model_selection import IterativeStratification

    n = Y.shape[0]
    X = np.zeros((n, 1))
    dense = Y.toarray()

    def skmultilearn(order: int) -> Callable[[int], np.ndarray]:
        def run(seed: int) -> np.ndarray:
            np.random.seed(seed)  # it draws from numpy's global generator and rejects random_state
            return fold_ids(IterativeStratification(n_splits=FOLDS, order=order).split(X, Y), n)

        return run

    return {
        "ours order 1": lambda seed: stratify(Y, SHARES, rng=np.random.default_rng(seed)),
        "ours order 2": lambda seed: stratify(Y, SHARES, rng=np.random.default_rng(seed), order=2),
        "iterstrat (order 1)": lambda seed: fold_ids(
            MultilabelStratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(X, dense), n
        ),
        "scikit-multilearn order 1": skmultilearn(1),
        "scikit-multilearn order 2": skmultilearn(2),
    }


def run_side_by_side(Y, runs: dict[str, Callable[[int], np.ndarray]]) -> dict[str, dict]:
    """Each contender on seeds 0-2, interleaved; wall and CPU seconds and the five scores per seed."""
    import warnings

    found = {name: {"wall": [], "cpu": [], "scores": []} for name in runs}
    for seed in SEEDS:
        for name, run in runs.items():
            gc.collect()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                start, start_cpu = time.perf_counter(), time.process_time()
                folds = run(seed)
                found[name]["wall"].append(time.perf_counter() - start)
                found[name]["cpu"].append(time.process_time() - start_cpu)
            quality = split_quality(Y, NAMES[folds])
            found[name]["scores"].append((quality.ld, quality.ed, quality.lpd, quality.fz, quality.flz))
    return found


def _seconds(values) -> str:
    median = statistics.median(values)
    return f"{median * 1000:.1f} ms" if median < 0.1 else f"{median:.3f} s"


# Peers left out of a set, and why (measured on the bench machine, load average 14 from other work).
SKIPPED = {
    "delicious": {
        "scikit-multilearn order 2": "one split (seed 0) was still running after 15 minutes when stopped",
    },
}


def case_mulan(name: str) -> str:
    """One MULAN set: every contender, timed side by side, scored, with the issue's targets."""
    Y = read_labels(name)
    counts = np.asarray(Y.sum(axis=0)).ravel()
    skipped = SKIPPED.get(name, {})
    found = run_side_by_side(Y, {m: run for m, run in contenders(Y).items() if m not in skipped})
    rows = []
    for method, got in found.items():
        mean = np.mean(got["scores"], axis=0)
        rows.append([
            method, _seconds(got["wall"]), _seconds(got["cpu"]), ", ".join(f"{s:.3f}" for s in got["wall"]),
            f"{mean[0]:.4g}", f"{mean[1]:.1f}", f"{mean[2]:.4g}", f"{mean[3]:g}", f"{mean[4]:g}",
        ])  # fmt: skip
    header = ["method", "wall (median)", "CPU (median)", "wall per seed (s)", "LD", "ED", "LPD", "FZ", "FLZ"]
    ours1, ours2, peer = (found[m] for m in ("ours order 1", "ours order 2", "iterstrat (order 1)"))
    rows += [[method, "not run", "", why, "", "", "", "", ""] for method, why in skipped.items()]
    ld = {m: np.mean([s[0] for s in got["scores"]]) for m, got in found.items()}
    lpd = {m: np.mean([s[2] for s in got["scores"]]) for m, got in found.items()}
    best_ld = min(ld, key=ld.get)
    lines = [
        f"### {name}: {Y.shape[0]:,} rows x {Y.shape[1]:,} labels, {Y.nnz:,} positives "
        f"(cardinality {Y.nnz / Y.shape[0]:.2f}; labels on fewer than {FOLDS} rows: {(counts < FOLDS).sum()}), "
        f"{FOLDS} folds, seeds 0-2",
        "",
        f"Read in place from `{mulan_dir()}`. Command: `{COMMAND}:{name}`. Scores are means over the 3 seeds.",
        "",
        table(header, rows),
        "",
        f"- Order 2 vs iterative-stratification (order 1): {statistics.median(ours2['wall']):.3f} s vs "
        f"{statistics.median(peer['wall']):.3f} s wall, {statistics.median(ours2['cpu']):.3f} s vs "
        f"{statistics.median(peer['cpu']):.3f} s CPU (target no slower: "
        f"{_verdict(statistics.median(ours2['cpu']) <= statistics.median(peer['cpu']))}, on CPU).",
        f"- Order 2 / order 1 time: {statistics.median(ours2['wall']) / statistics.median(ours1['wall']):.1f}x wall, "
        f"{statistics.median(ours2['cpu']) / statistics.median(ours1['cpu']):.1f}x CPU.",
        f"- LPD: ours order 2 {lpd['ours order 2']:.4g}, order 1 {lpd['ours order 1']:.4g}; best peer "
        f"{min((m for m in lpd if not m.startswith('ours')), key=lpd.get)} "
        f"{min(v for m, v in lpd.items() if not m.startswith('ours')):.4g} (ours order 2 at or below: "
        f"{_verdict(lpd['ours order 2'] <= min(v for m, v in lpd.items() if not m.startswith('ours')))}).",
        f"- LD: best is {best_ld} ({ld[best_ld]:.4g}); ours order 2 {ld['ours order 2']:.4g}, "
        f"iterative-stratification {ld['iterstrat (order 1)']:.4g}.",
    ]
    return "\n".join(lines)


def _verdict(met: bool) -> str:
    return "met" if met else "**not met**"


# ---------------------------------------------------------------------------------------------
# the synthetic 1,000,000 x 10,000 power-law set


def _synthetic_in_this_process(order: int, seed: int) -> None:
    """One split of the synthetic set: wall and CPU seconds and the peak RSS rise, as JSON."""
    Y = synthetic_labels()
    gc.collect()
    with PeakRss() as rss:
        start, start_cpu = time.perf_counter(), time.process_time()
        folds = stratify(Y, SHARES, rng=np.random.default_rng(seed), order=order)
        wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    np.save(CACHE_DIR / f"powerlaw_folds_order{order}_seed{seed}.npy", folds)
    print(json.dumps({"wall": wall, "cpu": cpu, "rss": rss.increase}))


def synthetic_run(order: int, seed: int) -> dict:
    """:func:`_synthetic_in_this_process` in a new interpreter (memory freed by earlier runs cannot hide the rise)."""
    code = f"from bench.bench_mulan import _synthetic_in_this_process as run; run({order}, {seed})"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    found["folds"] = np.load(CACHE_DIR / f"powerlaw_folds_order{order}_seed{seed}.npy")
    return found


def sparse_scores(Y: sp.csr_matrix, folds: np.ndarray) -> dict[str, float]:
    """LD, ED, LPD, FZ and FLZ as ``core.diagnostics.split_quality`` defines them, for many labels.

    split_quality keeps a (folds x labels x labels) table, 4 GB at 10,000 labels; here each row's
    own pairs are listed (rows of one width at a time) and counted per fold. Checked against
    split_quality on medical (``test_sparse_scores_match_split_quality`` in tests/test_stratify_pairs.py).
    """
    n, n_labels = Y.shape
    k = int(folds.max()) + 1
    sizes = np.bincount(folds, minlength=k).astype(np.float64)
    binary = sp.csr_matrix((np.ones(Y.nnz, dtype=np.int8), Y.indices, Y.indptr), shape=Y.shape)
    binary.sort_indices()
    onehot = sp.csr_matrix((np.ones(n), (np.arange(n), folds)), shape=(n, k))
    labels = (binary.T.astype(np.float64) @ onehot).toarray()  # (L, k)
    per_row = np.diff(binary.indptr)
    keys = []
    for width in np.unique(per_row[per_row >= 2]):
        members = np.flatnonzero(per_row == width)
        cols = binary.indices[binary.indptr[members][:, None] + np.arange(width)].astype(np.int64)
        first, second = np.triu_indices(width, 1)
        keys.append(((cols[:, first] * n_labels + cols[:, second]) * k + folds[members][:, None]).ravel())
    if keys:
        key, count = np.unique(np.concatenate(keys), return_counts=True)
        pair, fold = np.divmod(key, k)
        present, column = np.unique(pair, return_inverse=True)
        pairs = np.zeros((len(present), k))
        pairs[column, fold] = count
    else:
        pairs = np.zeros((0, k))

    def deviation(per_fold: np.ndarray) -> np.ndarray:  # mean over folds of |ratio in fold - ratio overall|
        whole = per_fold.sum(axis=1)
        keep = (whole > 0) & (whole < n)
        part, whole = per_fold[keep], whole[keep]
        rest = sizes[None, :] - part
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(rest > 0, part / np.where(rest > 0, rest, 1), np.where(part > 0, np.inf, 0.0))
        return np.abs(ratio - (whole / (n - whole))[:, None]).mean(axis=1)

    has = labels.sum(axis=1) > 0
    lpd = deviation(pairs)
    return {
        "ld": float(deviation(labels).mean()),
        "ed": float(np.abs(sizes - n / k).mean()),
        "lpd": float(lpd.mean()) if len(lpd) else 0.0,
        "fz": float((labels[has] == 0).any(axis=0).sum()),
        "flz": float((labels[has] == 0).sum()),
    }


def case_synthetic() -> str:
    """The 1,000,000 x 10,000 power-law set: ours at orders 1 and 2, each run in a new interpreter."""
    Y = synthetic_labels()
    budget = 3 * csr_bytes(Y)
    runs = {order: [synthetic_run(order, seed) for seed in range(REPEAT)] for order in (1, 2)}
    counts = np.sort(np.bincount(Y.indices, minlength=Y.shape[1]))[::-1]
    rows = []
    for order, got in runs.items():
        scores = sparse_scores(Y, got[-1]["folds"])
        rss = max(run["rss"] for run in got)
        rows.append([
            f"ours order {order}", f"{statistics.median(r['wall'] for r in got):.2f} s",
            f"{statistics.median(r['cpu'] for r in got):.2f} s", ", ".join(f"{r['wall']:.2f}" for r in got),
            f"{rss / MIB:.0f} MiB ({rss / csr_bytes(Y):.1f}x)",
            f"{scores['ld']:.3g}", f"{scores['ed']:.1f}", f"{scores['lpd']:.3g}", f"{scores['fz']:g}", f"{scores['flz']:g}",
        ])  # fmt: skip
    wall = {order: statistics.median(r["wall"] for r in got) for order, got in runs.items()}
    peak = {order: max(r["rss"] for r in got) for order, got in runs.items()}
    header = ["method", "wall (median)", "CPU (median)", "wall per seed (s)", "peak RSS rise (x CSR)", "LD", "ED",
              "LPD", "FZ", "FLZ"]  # fmt: skip
    return "\n".join([
        f"### Synthetic power-law set: {Y.shape[0]:,} rows x {Y.shape[1]:,} labels, {Y.nnz:,} positives "
        f"({Y.nnz / Y.shape[0]:.2f} per row; label counts from {counts[0]:,} down to {counts[-1]:,}, median "
        f"{int(np.median(counts)):,}), CSR uint8 of {csr_bytes(Y) / MIB:.1f} MiB, {FOLDS} folds, seeds 0-2",
        "",
        f"Command: `{COMMAND}:synthetic`. Generated by `power_law_labels({', '.join(f'{k}={v}' for k, v in SYNTHETIC.items())})` "
        "(cached in bench/.cache). Each split runs in a new interpreter; peak RSS rise sampled every 2 ms. "
        "Scores (of seed 2) by `sparse_scores`, split_quality's definitions without its labels-squared table.",
        "",
        table(header, rows),
        "",
        f"- Order 1 under 10 s: {_verdict(wall[1] < 10)}; order 2 under 30 s: {_verdict(wall[2] < 30)} (wall, 2 cores).",
        f"- Peak RSS under 3x the CSR label matrix ({budget / MIB:.0f} MiB): order 1 {_verdict(peak[1] < budget)}, "
        f"order 2 {_verdict(peak[2] < budget)}.",
    ])  # fmt: skip


CASES = {"medical": lambda: case_mulan("medical"), "delicious": lambda: case_mulan("delicious"),
         "synthetic": case_synthetic, "iterstrat100k": case_iterstrat100k}  # fmt: skip


def main(cases: list[str] | None = None) -> None:
    """Run the chosen cases (default: all; MULAN sets missing from the folder are skipped with a note)."""
    chosen = cases or list(CASES)
    unknown = sorted(set(chosen) - set(CASES))
    if unknown:
        raise SystemExit(f"unknown mulan case {unknown[0]!r}; choose from {', '.join(CASES)}")
    for case in chosen:
        if case in ("medical", "delicious") and case not in mulan_sets():
            print(f"mulan: skipping {case}: no {case}.arff/.xml in {mulan_dir() or '../shared/data/mulan'}", flush=True)
            continue
        start, load = time.perf_counter(), os.getloadavg()[0]
        section = CASES[case]()
        write_section(
            f"mulan-{case}",
            section + f"\n\nCase run in {time.perf_counter() - start:.0f} s on {machine()}; "
            f"load average (1 min) {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.",
        )
        print(f"mulan: {case} done in {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
