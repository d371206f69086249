"""split_quality against hand-computed cases and a brute-force reading of the papers' formulas."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp

from core.diagnostics import split_quality
from core.errors import ConfigError, DataError
from core.splits import split_codes, split_order

# --------------------------------------------------------------------------- brute force


def _ratio(positives: int, size: int) -> float:
    if size == 0:
        return 0.0  # an empty split: documented choice
    negatives = size - positives
    return math.inf if negatives == 0 else positives / negatives


def brute_quality(Y, assignment, fractions=None) -> dict[str, float]:
    """LD, ED, LPD, FZ, FLZ with plain loops, straight from Sechidis 2011 / Szymański 2017."""
    Y = np.asarray(Y)
    kept = [r for r in range(len(assignment)) if assignment[r] != "excluded"]
    splits = sorted(fractions) if fractions else sorted({assignment[r] for r in kept})
    total_share = sum(fractions.values()) if fractions else None
    n = len(kept)
    members = {s: [r for r in kept if assignment[r] == s] for s in splits}
    desired = {s: (fractions[s] / total_share if fractions else 1 / len(splits)) * n for s in splits}
    k = len(splits)

    def distribution(has) -> tuple[float, int]:
        """Mean over items of the mean over splits of |split ratio - whole ratio|, and the item count."""
        terms = []
        for item in has:
            whole = sum(item(r) for r in kept)
            if whole == 0 or whole == n:
                continue
            d = whole / (n - whole)
            inner = 0.0
            for s in splits:
                inner += abs(_ratio(sum(item(r) for r in members[s]), len(members[s])) - d)
            terms.append(inner / k)
        return (sum(terms) / len(terms) if terms else 0.0), len(terms)

    labels = range(Y.shape[1])
    ld, _ = distribution([lambda r, j=j: Y[r, j] == 1 for j in labels])
    cooccurring = [
        (a, b) for a, b in itertools.combinations(labels, 2) if any(Y[r, a] and Y[r, b] for r in kept)
    ]
    lpd, _ = distribution([lambda r, a=a, b=b: Y[r, a] == 1 and Y[r, b] == 1 for a, b in cooccurring])
    ed = sum(abs(len(members[s]) - desired[s]) for s in splits) / k
    positive_labels = [j for j in labels if any(Y[r, j] for r in kept)]
    flz = sum(1 for s in splits for j in positive_labels if not any(Y[r, j] for r in members[s]))
    fz = sum(1 for s in splits if any(not any(Y[r, j] for r in members[s]) for j in positive_labels))
    return {"ld": ld, "ed": ed, "lpd": lpd, "fz": fz, "flz": flz}


def _scores(quality) -> dict[str, float]:
    return {name: getattr(quality, name) for name in ("ld", "ed", "lpd", "fz", "flz")}


# --------------------------------------------------------------------------- hand-computed


def test_hand_computed_two_labels():
    # label 0 in rows 0,1,3; label 1 in rows 0,1; pair (0,1) in rows 0,1.
    Y = [[1, 1], [1, 1], [0, 0], [1, 0], [0, 0], [0, 0]]
    assignment = ["train"] * 3 + ["test"] * 3
    q = split_quality(Y, assignment)
    # label 0: whole 3/3 = 1; train 2/1 = 2; test 1/2 -> (1 + 0.5) / 2 = 0.75
    # label 1: whole 2/4 = 0.5; train 2/1 = 2; test 0/3 -> (1.5 + 0.5) / 2 = 1.0
    assert q.ld == pytest.approx((0.75 + 1.0) / 2)
    # pair (0,1): same counts as label 1
    assert q.lpd == pytest.approx(1.0)
    assert (q.ed, q.fz, q.flz) == (0.0, 1.0, 1.0)
    assert (q.n_labels, q.n_pairs, q.n_rows) == (2, 1, 6)


def test_hand_computed_unequal_fractions():
    Y = [[1], [1], [0], [0], [0], [0]]
    assignment = ["train", "test", "train", "train", "train", "test"]
    q = split_quality(Y, assignment, fractions={"train": 0.5, "test": 0.5})
    assert q.ed == pytest.approx(1.0)  # sizes 4 and 2 against 3 and 3
    assert q.ld == pytest.approx((abs(1 / 3 - 0.5) + abs(1 - 0.5)) / 2)
    assert q.ed_share == pytest.approx(1 / 6)
    by = q.by_split.set_index("split")
    assert by.loc["train", "desired_rows"] == pytest.approx(3.0)
    assert list(q.by_split["split"]) == ["train", "test"]


def test_perfect_split_scores_zero():
    Y = np.array([[1, 0], [0, 1], [1, 1], [0, 0]] * 2)
    q = split_quality(Y, ["train"] * 4 + ["test"] * 4)
    assert _scores(q) == {"ld": 0.0, "ed": 0.0, "lpd": 0.0, "fz": 0.0, "flz": 0.0}


def test_split_absent_from_assignment_counts_as_empty():
    Y = [[1], [0], [1], [0]]
    q = split_quality(Y, ["train"] * 4, fractions={"train": 0.5, "val": 0.25, "test": 0.25})
    assert list(q.by_split["split"]) == ["train", "val", "test"]
    assert q.fz == 2.0 and q.flz == 2.0
    assert q.ed == pytest.approx((2 + 1 + 1) / 3)


def test_all_positive_rows_in_a_split_give_infinite_ld():
    q = split_quality([[1], [1], [0], [0]], ["a", "a", "b", "b"])
    assert math.isinf(q.ld)


def test_labels_without_positives_or_negatives_are_left_out():
    Y = np.array([[1, 0, 1], [0, 0, 1], [1, 0, 1], [0, 0, 1]])
    q = split_quality(Y, ["train", "train", "test", "test"])
    assert q.n_labels == 1 and q.ld == 0.0 and q.fz == 0.0
    # pair (0,2) co-occurs; pair (1,x) never; pair (0,2) is not in every row
    assert q.n_pairs == 1


def test_excluded_rows_are_left_out():
    rng = np.random.default_rng(3)
    Y = (rng.random((40, 4)) < 0.4).astype(int)
    assignment = np.array(["train", "test"] * 20, dtype=object)
    base = _scores(split_quality(Y, assignment))
    Y_more = np.vstack([Y, np.ones((5, 4), dtype=int)])
    with_excluded = split_quality(Y_more, np.concatenate([assignment, ["excluded"] * 5]))
    assert _scores(with_excluded) == pytest.approx(base)


# --------------------------------------------------------------------------- brute-force agreement


@pytest.mark.parametrize("seed", range(25))
def test_agrees_with_brute_force(seed):
    rng = np.random.default_rng(seed)
    n, n_labels = rng.integers(8, 60), rng.integers(1, 7)
    Y = (rng.random((n, n_labels)) < rng.uniform(0.05, 0.6, n_labels)).astype(np.uint8)
    names = (
        ["train", "val", "test", "excluded"] if seed % 2 else [f"fold-{i}" for i in range(rng.integers(2, 6))]
    )
    assignment = np.array(names, dtype=object)[rng.integers(0, len(names), n)]
    fractions = {"train": 0.6, "val": 0.2, "test": 0.2} if seed % 4 == 1 else None
    if fractions is None and (assignment == "excluded").all():
        return
    expected = brute_quality(Y, list(assignment), fractions)
    for matrix in (Y, sp.csr_matrix(Y), Y.astype(bool), Y.astype(float)):
        assert _scores(split_quality(matrix, assignment, fractions)) == pytest.approx(expected)


def test_row_order_and_split_names_do_not_matter():
    rng = np.random.default_rng(7)
    Y = (rng.random((50, 5)) < 0.3).astype(int)
    assignment = np.array(["fold-0", "fold-1", "fold-2"], dtype=object)[rng.integers(0, 3, 50)]
    perm = rng.permutation(50)
    renamed = np.array([{"fold-0": "x", "fold-1": "y", "fold-2": "z"}[a] for a in assignment], dtype=object)
    base = _scores(split_quality(Y, assignment))
    assert _scores(split_quality(Y[perm], assignment[perm])) == pytest.approx(base)
    assert _scores(split_quality(Y, renamed)) == pytest.approx(base)


# --------------------------------------------------------------------------- input handling


def test_split_order_and_codes():
    assert split_order(["fold-1", "excluded", "zeta", "test", "fold-0", "train"]) == [
        "train",
        "test",
        "fold-0",
        "fold-1",
        "zeta",
        "excluded",
    ]
    codes, names = split_codes(["val", "excluded", "train", "val"])
    assert names == ("train", "val") and codes.tolist() == [1, -1, 0, 1]


def test_bad_inputs_raise_one_clear_error():
    with pytest.raises(DataError, match="0 and 1"):
        split_quality([[2], [0]], ["a", "b"])
    with pytest.raises(DataError, match="0 and 1"):
        split_quality(sp.csr_matrix([[0.5], [0]]), ["a", "b"])
    with pytest.raises(DataError, match="has 3 rows but the data has 2"):
        split_quality([[1], [0]], ["a", "b", "c"])
    with pytest.raises(DataError, match="no split"):
        split_quality([[1], [0]], ["a", None])
    with pytest.raises(ConfigError, match="not in fractions"):
        split_quality([[1], [0]], ["train", "test"], fractions={"train": 1.0})
    with pytest.raises(DataError, match="every row is excluded"):
        split_quality([[1], [0]], ["excluded", "excluded"])


def test_to_frame_lists_the_five_scores():
    frame = split_quality([[1, 0], [0, 1]], ["a", "b"]).to_frame()
    assert list(frame["score"]) == ["LD", "ED", "LPD", "FZ", "FLZ"]
    assert list(frame.columns) == ["score", "value"]
