"""Diagnostics speed on flights and on 1,000,000 x 100 multi-label data; split_quality against scikit-multilearn.

Run: ``python -m bench diagnostics`` (needs requirements-bench.txt for the cross-check).

Issue 4's target: label_distribution + cooccurrence + task_association +
split_quality + task_scores + the group, duplicate and time checks of leakage
in under 2 s in total, on flights (336,776 rows, 3 tasks) and on 1,000,000 x
100 synthetic multi-label data, in one run. Both ways of calling are timed:
each function given the tasks (each encodes them itself), and the tasks encoded
once with ``encode_tasks`` and shared, as the dashboard does.
"""

from __future__ import annotations

import builtins
import os
import types
import warnings

import numpy as np
import pandas as pd

from bench.common import CACHE_DIR, PeakRss, machine, table, timed, write_section
from core import diagnostics as D
from core.data import load_builtin, synthetic_frame
from core.splits import split_order
from core.tasks import Task, encode_tasks

SYNTHETIC_ROWS, SYNTHETIC_LABELS = 1_000_000, 100
REPEAT = 3


def _synthetic() -> pd.DataFrame:
    """The built-in synthetic data at 1,000,000 x 100 (about 20 s to make; cached as Parquet)."""
    path = CACHE_DIR / f"synthetic_{SYNTHETIC_ROWS}x{SYNTHETIC_LABELS}.parquet"
    if path.exists():
        return pd.read_parquet(path)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = synthetic_frame(SYNTHETIC_ROWS, SYNTHETIC_LABELS).copy()
    frame.to_parquet(path)
    return frame


def _random_assignment(df: pd.DataFrame, tasks, **config) -> pd.Series:
    """A random split by core.splits.split, so the assignment is what the dashboard passes (a str Series)."""
    from core.splits import SplitConfig, split

    return split(df, tasks, SplitConfig(strategy="random", seed=0, **config)).assignment




# --------------------------------------------------------------------------- speed


def _calls(df, tasks, assignment, group, time_column, features) -> dict[str, object]:
    """The timed diagnostics, as zero-argument calls; ``tasks`` may be Tasks or EncodedTasks."""

    def quality():
        encoded = encode_tasks(df, tasks)
        return D.split_quality(encoded.matrix, assignment)

    return {
        "label_distribution": lambda: D.label_distribution(df, tasks, assignment),
        "cooccurrence": lambda: D.cooccurrence(df, tasks, assignment),
        "task_association": lambda: D.task_association(df, tasks, assignment),
        "split_quality": quality,
        "task_scores": lambda: D.task_scores(df, tasks, assignment),
        "leakage (group, duplicates, time)": lambda: D.leakage(
            df, assignment, group_column=group, time_column=time_column, feature_columns=features,
            checks=("group", "duplicates", "time"),
        ),
    }  # fmt: skip


def _time_dataset(name, df, tasks, assignment, group, time_column, features) -> dict:
    encode = timed(lambda: encode_tasks(df, tasks))
    encoded = encode.value
    own = {
        key: timed(call)
        for key, call in _calls(df, tasks, assignment, group, time_column, features).items()
    }
    shared = {
        key: timed(call)
        for key, call in _calls(df, encoded, assignment, group, time_column, features).items()
    }
    sampled = {}
    for check in ("near_duplicates", "predictor"):
        sampled[check] = timed(
            lambda check=check: D.leakage(
                df, assignment, tasks=tasks, group_column=group, time_column=time_column,
                feature_columns=features, checks=(check,),
            ),
            REPEAT,
        )  # fmt: skip
    with PeakRss() as rss:
        for call in _calls(df, encoded, assignment, group, time_column, features).values():
            call()
    return {
        "name": name,
        "encode": encode,
        "own": own,
        "shared": shared,
        "sampled": sampled,
        "rss": rss.increase,
    }


def _totals(result: dict) -> dict[str, float]:
    """Wall and CPU totals, each function encoding the tasks itself ('own') or sharing one encoding."""
    own, shared = result["own"].values(), [result["encode"], *result["shared"].values()]
    return {
        "own": sum(t.median for t in own),
        "own_cpu": sum(t.cpu_median for t in own),
        "shared": sum(t.median for t in shared),
        "shared_cpu": sum(t.cpu_median for t in shared),
    }


def _speed_section(results: list[dict], load: tuple[float, float]) -> str:
    rows = []
    for key in ["encode_tasks (once)", *results[0]["own"]]:
        row = [key]
        for result in results:
            own = result["own"].get(key)
            shared = result["encode"] if key == "encode_tasks (once)" else result["shared"][key]
            row += [
                "" if own is None else f"{own.median:.3f}",
                f"{shared.median:.3f} ({shared.cpu_median:.3f})",
            ]
        rows.append(row)
    totals = [_totals(result) for result in results]
    row = ["**total**"]
    for total in totals:
        row += [f"**{total['own']:.3f}**", f"**{total['shared']:.3f}** ({total['shared_cpu']:.3f})"]
    rows.append(row)
    header = ["call"]
    for result in results:
        header += [f"{result['name']}: each encodes", f"{result['name']}: encoded once (CPU)"]
    sampled_rows = [
        [
            result["name"],
            check,
            timing.describe(),
            timing.value.to_frame().set_index("check").loc[check, "detail"],
        ]
        for result in results
        for check, timing in result["sampled"].items()
    ]
    wall = sum(t["shared"] for t in totals)
    cpu = sum(t["shared_cpu"] for t in totals)
    own = sum(t["own"] for t in totals)
    per_set = " and ".join(f"{r['name']} {t['shared']:.2f} s" for r, t in zip(results, totals, strict=True))
    return (
        "### Speed (seconds: wall-clock medians of 3, CPU medians in brackets)\n\n"
        + table(header, rows)
        + f"\n\nWith the tasks encoded once per data set: {per_set}; both together **{wall:.2f} s** wall, "
        f"**{cpu:.2f} s** CPU (target: under 2 s). When every function encodes the tasks itself: {own:.2f} s. "
        f"Load average while this ran: {load[0]:.1f} at the start, {load[1]:.1f} at the end, on 2 cores; "
        "wall time above CPU time is time spent waiting for a core. Peak RSS increase during one "
        "shared-encoding pass: "
        + ", ".join(f"{r['name']} {r['rss'] / 2**20:.0f} MiB" for r in results)
        + ".\n\nSampled leakage checks, timed separately:\n\n"
        + table(["data", "check", "time", "detail"], sampled_rows)
    )


# --------------------------------------------------------------------------- split_quality at scale


def _quality_scale_section(df: pd.DataFrame, tasks, assignment) -> str:
    encoded = encode_tasks(df, tasks)
    dense = encoded.matrix.toarray()
    csr = timed(lambda: D.split_quality(encoded.matrix, assignment))
    dense_t = timed(lambda: D.split_quality(dense, assignment))
    quality = csr.value
    return (
        f"### split_quality on {df.shape[0]:,} x {encoded.matrix.shape[1]} (5 random folds)\n\n"
        + table(
            ["input", "time"],
            [["CSR uint8", csr.describe()], ["dense uint8", dense_t.describe()]],
        )
        + f"\n\nLD {quality.ld:.3g} (random expectation {quality.ld_random:.3g}), LPD {quality.lpd:.3g} over "
        f"{quality.n_pairs:,} co-occurring pairs, ED {quality.ed:.1f} rows, FZ {quality.fz:g}, FLZ {quality.flz:g}."
    )


# --------------------------------------------------------------------------- scikit-multilearn cross-check


class _NumpyWithBuiltinSum(types.ModuleType):
    """numpy, but ``sum`` of a generator is Python's (numpy 2 refuses np.sum(generator))."""

    def __init__(self) -> None:
        super().__init__("numpy_shim")

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def sum(values, *args, **kwargs):
        if isinstance(values, types.GeneratorType):
            return builtins.sum(values)
        return np.sum(values, *args, **kwargs)


def _skmultilearn_scores(Y: np.ndarray, assignment: np.ndarray) -> tuple[dict, list[str]]:
    """LD, LPD, ED, FZ, FLZ from skmultilearn.model_selection.measures, noting which crash on numpy 2.

    Crashes are retried with the smallest shim that restores numpy 1 behaviour:
    Python's sum for ``np.sum(generator)`` (ED), and flattening the
    ``array[[fold]]`` result, which numpy >= 1.23 reads as a 2-D index (FZ, FLZ).
    """
    from skmultilearn.model_selection import measures

    names = split_order(assignment)
    folds = [np.flatnonzero(assignment == name).tolist() for name in names]
    desired = [len(assignment) / len(folds)] * len(folds)
    calls = {
        "LD": lambda: measures.label_combination_distribution(Y, folds, 1),
        "LPD": lambda: measures.label_combination_distribution(Y, folds, 2),
        "ED": lambda: measures.example_distribution(folds, desired),
        "FZ": lambda: measures.folds_without_evidence_for_at_least_one_label_combination(Y, folds, 1),
        "FLZ": lambda: measures.folds_label_combination_pairs_without_evidence(Y, folds, 1),
    }
    scores, crashed = {}, []
    for score, call in calls.items():
        try:
            scores[score] = float(call())
        except TypeError as error:
            crashed.append(f"{score} ({type(error).__name__}: {str(error)[:70]})")
            original_np, original_union = measures.np, measures.get_unique_combinations
            measures.np = _NumpyWithBuiltinSum()
            measures.get_unique_combinations = lambda rows: set.union(*np.asarray(rows, dtype=object).ravel())
            try:
                scores[score] = float(call())
            finally:
                measures.np, measures.get_unique_combinations = original_np, original_union
    return scores, crashed


def _crosscheck_section() -> str:
    try:
        import skmultilearn  # noqa: F401
    except ImportError:
        return "### Cross-check\n\nscikit-multilearn is not installed; run `make bench` (requirements-bench.txt)."
    yeast = load_builtin("yeast")
    rng = np.random.default_rng(0)
    cases = []
    Y_yeast = encode_tasks(yeast.frame, yeast.tasks).matrix.toarray().astype(np.int64)
    folds = np.array([f"fold-{i}" for i in range(5)], dtype=object)
    cases.append(("yeast, 5 random folds", Y_yeast, folds[rng.permutation(len(Y_yeast)) % 5]))
    Y_small = (rng.random((3000, 20)) < rng.uniform(0.01, 0.3, 20)).astype(np.int64)
    cases.append(("3,000 x 20 random, 4 folds", Y_small, folds[rng.integers(0, 4, 3000)]))
    rows, crashes = [], set()
    for name, Y, assignment in cases:
        ours = D.split_quality(Y, assignment)
        theirs, crashed = _skmultilearn_scores(Y, assignment)
        crashes.update(crashed)
        # skmultilearn's order 2 uses combinations_with_replacement, so its LPD also averages
        # over the (a, a) "pairs", which are the labels: undo that to compare with LPD over a<b.
        n_labels, n_pairs = ours.n_labels, ours.n_pairs
        their_lpd = (theirs["LPD"] * (n_pairs + n_labels) - ours.ld * n_labels) / n_pairs
        for score, mine, other in [
            ("LD", ours.ld, theirs["LD"]), ("LPD (a<b)", ours.lpd, their_lpd), ("ED", ours.ed, theirs["ED"]),
            ("FZ", ours.fz, theirs["FZ"]), ("FLZ", ours.flz, theirs["FLZ"]),
        ]:  # fmt: skip
            rows.append(
                [name, score, f"{mine:.6g}", f"{other:.6g}", "yes" if np.isclose(mine, other) else "**NO**"]
            )
    ours_time = timed(lambda: D.split_quality(Y_yeast, cases[0][2]))
    theirs_time = timed(lambda: _skmultilearn_scores(Y_yeast, cases[0][2]), 1)
    return (
        "### Cross-check against scikit-multilearn 0.2.0 `model_selection.measures`\n\n"
        + table(["data", "score", "split_quality", "scikit-multilearn", "equal"], rows)
        + "\n\nOn numpy "
        + np.__version__
        + " these crash: "
        + "; ".join(sorted(crashes))
        + ". They were scored with a shim (Python's `sum` for the generator, a flattened index for the folds). "
        "scikit-multilearn's order-2 LPD also averages over the diagonal (a, a), i.e. the labels; the table "
        "removes that term to compare with LPD over pairs a<b. "
        f"Time on yeast: split_quality {ours_time.median * 1000:.1f} ms, scikit-multilearn's five measures "
        f"{theirs_time.median:.2f} s."
    )


# --------------------------------------------------------------------------- thresholds evidence


def _thresholds_section() -> str:
    from core.splits import SplitConfig, split

    rows = []
    for name in ("yeast", "wagepan", "penguins", "happiness", "flights"):
        dataset = load_builtin(name)
        encoded = encode_tasks(dataset.frame, dataset.tasks)
        for strategy in ("random", "stratified"):
            config = SplitConfig(strategy=strategy, seed=0)
            try:
                assignment = split(dataset.frame, list(dataset.tasks), config).assignment
            except Exception as error:  # noqa: BLE001 - a bench reports, it does not stop
                rows.append([name, strategy, f"split failed: {error}"] + [""] * 5)
                continue
            quality = D.split_quality(encoded.matrix, assignment.to_numpy(), dict(config.fractions))
            scores = D.task_scores(dataset.frame, encoded, assignment)
            card = D.scorecard(quality, scores).set_index("score")
            rows.append(
                [
                    name, strategy, f"{quality.ld:.3g} ({quality.ld / quality.ld_random:.2g}×)",
                    f"{quality.lpd:.3g} ({quality.lpd / quality.lpd_random:.2g}×)",
                    f"{100 * quality.max_gap:.2g}", f"{scores.worst_js:.3g}",
                    ", ".join(f"{s}:{card.loc[s, 'status']}" for s in ("LD", "gap", "JS")),
                ]
            )  # fmt: skip
    return "### What the thresholds see (70/15/15 splits, seed 0)\n\n" + table(
        [
            "data",
            "strategy",
            "LD (× random)",
            "LPD (× random)",
            "largest gap (points)",
            "worst JS",
            "verdicts",
        ],
        rows,
    )


# --------------------------------------------------------------------------- main


def main() -> None:
    load_start = os.getloadavg()[0]
    flights = load_builtin("flights")
    flights_assignment = _random_assignment(flights.frame, list(flights.tasks))
    synthetic = _synthetic()
    synthetic_tasks = [Task("labels", tuple(f"label_{j}" for j in range(SYNTHETIC_LABELS)), "multilabel")]
    synthetic_assignment = _random_assignment(synthetic, synthetic_tasks, n_folds=5)
    results = [
        _time_dataset(
            "flights", flights.frame, list(flights.tasks), flights_assignment,
            flights.group_column, flights.time_column, list(flights.feature_columns),
        ),
        _time_dataset(
            "synthetic 1M x 100", synthetic, synthetic_tasks, synthetic_assignment,
            None, None, [f"f{i}" for i in range(20)],
        ),
    ]  # fmt: skip
    sections = [
        "## Diagnostics\n",
        "Reproduce: `python -m bench diagnostics`. " + f"Machine: {machine()}.\n",
        "Flights: its 3 tasks (arr_delay regression in 5 bins, late_arrival, cancelled), a random 70/15/15 "
        "assignment, group `tailnum`, time `time_hour`, its 10 feature columns. Synthetic: "
        "`builtin:synthetic:1000000x100` (one multilabel task of 100 labels, 20 count features), 5 random folds.\n",
        _speed_section(results, (load_start, os.getloadavg()[0])),
        _quality_scale_section(synthetic, synthetic_tasks, synthetic_assignment),
        _crosscheck_section(),
        _thresholds_section(),
    ]
    write_section("diagnostics", "\n\n".join(sections))


if __name__ == "__main__":
    main()
