"""Text dates and Excel workbooks as a user's export writes them (new-user test 4, items 1, 2, 5, 6).

A plant survey saved from Excel: dates typed ``17.09.1987`` (day first), a workbook that opens on a README
sheet, ISO dates held as text cells. The day/month order must come from the whole column, not its first row.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest

from core.data import group_reason, load_file, read_table
from core.splits import SplitConfig, split
from core.tasks import Task


def survey(n_firms: int = 40, seed: int = 4) -> pd.DataFrame:
    """Firms surveyed once a year 1987-89 on a random day, the date typed day first with dots."""
    rng = np.random.default_rng(seed)
    years = np.tile([1987, 1988, 1989], n_firms)
    days, months = rng.integers(1, 29, years.size), rng.integers(1, 13, years.size)
    dates = pd.to_datetime({"year": years, "month": months, "day": days})
    return pd.DataFrame({
        "Firm code": np.repeat(np.arange(410_000, 410_000 + n_firms), 3),
        "Survey date": dates.dt.strftime("%d.%m.%Y"),
        "Employees": rng.integers(5, 500, years.size).astype(float),
        "Grant received": rng.choice(["yes", "no"], years.size),
    }), dates


def csv_bytes(frame: pd.DataFrame) -> bytes:
    return ("\ufeff" + frame.to_csv(sep=";", decimal=",", index=False)).encode("utf-8")


def ambiguous_first(frame: pd.DataFrame, dates: pd.Series):
    """The rows reordered so that the first date reads both ways (day and month both at most 12)."""
    both = (dates.dt.day <= 12).to_numpy()
    order = np.r_[np.flatnonzero(both), np.flatnonzero(~both)]
    return frame.iloc[order].reset_index(drop=True), dates.iloc[order].reset_index(drop=True)


# --------------------------------------------------------------------------- day and month order


def test_day_first_dates_are_read_from_the_whole_column_not_the_first_row():
    frame, dates = ambiguous_first(*survey())
    read = read_table(csv_bytes(frame), "firms.csv")
    assert pd.api.types.is_datetime64_any_dtype(read["Survey date"])
    assert (read["Survey date"] == dates).all()  # 06.11.1989 is 6 November, not 11 June


def test_month_first_slashes_are_told_by_a_second_number_above_12():
    read = read_table(b"when,y\n03/04/2020,1\n12/25/2020,0\n", "us.csv")
    assert read["when"].dt.strftime("%Y-%m-%d").tolist() == ["2020-03-04", "2020-12-25"]


def test_slashes_that_read_both_ways_stay_text_with_a_warning_naming_the_column():
    with pytest.warns(UserWarning, match=r"column 'when' holds dates such as '03/04/2020'.*YYYY-MM-DD"):
        read = read_table(b"when,y\n03/04/2020,1\n05/06/2020,0\n", "both.csv")
    assert read["when"].tolist() == ["03/04/2020", "05/06/2020"]


def test_dotted_dates_with_a_time_of_day_are_datetimes():
    read = read_table(b"t;y\n17.09.1987 08:30;1\n01.02.1988 14:05:09;0\n", "t.csv")
    assert read["t"].dt.strftime("%Y-%m-%d %H:%M:%S").tolist() == ["1987-09-17 08:30:00", "1988-02-01 14:05:09"]


def test_a_column_with_an_impossible_date_stays_text_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read = read_table(b"d;y\n31.02.1987;1\n17.09.1987;0\n", "bad.csv")
    assert read["d"].tolist() == ["31.02.1987", "17.09.1987"]


def test_a_time_split_on_day_first_dates_trains_on_the_past():
    frame, _ = ambiguous_first(*survey())
    data = load_file(csv_bytes(frame), "firms.csv")
    config = SplitConfig(strategy="time", time_column="Survey date")
    result = split(data.frame, [Task("Grant received", ("Grant received",), "binary")], config)
    when = data.frame["Survey date"]
    assert when[result.assignment == "train"].max() < when[result.assignment == "val"].min()


def test_a_yearly_survey_dated_to_the_day_is_a_panel_of_its_firms():
    """Each firm once a year on a day of its own: the dates barely repeat, their years do (a panel by year)."""
    data = load_file(csv_bytes(survey()[0]), "firms.csv")
    assert (data.time_column, data.group_column) == ("Survey date", "Firm code")
    assert group_reason(data.frame, "Firm code", "Survey date") == (
        " (one row per Firm code and year of Survey date: a panel)")


# --------------------------------------------------------------------------- Excel


def workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer) as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()


def test_a_workbook_that_opens_on_a_readme_sheet_reads_the_data_sheet_and_says_so():
    frame, _ = survey()
    readme = pd.DataFrame({"About": ["Plant survey 1987-89", "Contact: HR"]})
    raw = workbook({"README": readme, "Survey 87-89": frame})
    with pytest.warns(UserWarning, match=r"has 2 sheets: read 'Survey 87-89' .* and left 'README' \(3 cells\)"):
        read = read_table(raw, "firms.xlsx")
    assert read.shape == frame.shape


def test_a_one_sheet_workbook_reads_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read = read_table(workbook({"Sheet1": survey()[0]}), "firms.xlsx")
    assert len(read) == 120


def test_text_dates_in_excel_cells_are_datetimes_like_in_a_csv():
    frame = pd.DataFrame({"iso": ["2011-03-01", "2011-03-02"], "dotted": ["06.11.1989", "17.09.1987"], "y": [1, 0]})
    read = read_table(workbook({"data": frame}), "dates.xlsx")
    assert pd.api.types.is_datetime64_any_dtype(read["iso"])
    assert read["dotted"].dt.strftime("%Y-%m-%d").tolist() == ["1989-11-06", "1987-09-17"]


# --------------------------------------------------------------------------- roles over a timestamp


def test_a_0_1_outcome_beside_a_timestamp_per_row_is_a_task_not_the_group():
    """Every row its own time: no two rows share a time, so that proves no column is a panel's unit."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"when": pd.date_range("2020-01-01", periods=300, freq="h").strftime("%Y-%m-%d %H:%M"),
                          "amount": rng.gamma(2.0, 2.0, 300).round(2), "fraud": rng.integers(0, 2, 300)})
    data = load_file(frame.to_csv(index=False).encode(), "transactions.csv")
    assert (data.time_column, data.group_column) == ("when", None)
    assert [task.name for task in data.tasks] == ["fraud"]


def test_a_day_first_survey_by_year_still_finds_its_panel_unit():
    frame, _ = survey()
    frame["Survey year"] = frame["Survey date"].str[-4:].astype(int)
    data = load_file(csv_bytes(frame.drop(columns="Survey date")), "firms.csv")
    assert (data.time_column, data.group_column) == ("Survey year", "Firm code")


@pytest.mark.parametrize(("names", "roles"), [
    ({"pid": "Patient ID", "when": "Visit date"}, ("Patient ID", "Visit date")),
    ({"pid": "patient-id", "when": "visit.date"}, ("patient-id", "visit.date")),
])
def test_role_names_written_with_spaces_dashes_or_dots_read_like_underscores(names, roles):
    """A patient seen on 4 dates of their own: the group is found by its name, not by a panel's shared times."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"pid": np.repeat(np.arange(50), 4), "x": rng.normal(size=200),
                          "when": pd.date_range("2020-01-01", periods=200).strftime("%Y-%m-%d"),
                          "outcome": rng.integers(0, 2, 200)}).rename(columns=names)
    data = load_file(frame.to_csv(index=False).encode(), "visits.csv")
    assert (data.group_column, data.time_column) == roles
    assert [task.name for task in data.tasks] == ["outcome"]


def test_two_digit_years_after_slashes_are_dates_and_dotted_versions_stay_text():
    read = read_table(b"when;version;y\n9/17/87;1.2.10;1\n1/20/05;3.10.12;0\n", "old.csv")
    assert read["when"].dt.strftime("%Y-%m-%d").tolist() == ["1987-09-17", "2005-01-20"]
    assert read["version"].tolist() == ["1.2.10", "3.10.12"]


def test_dates_written_with_two_separators_in_one_column_are_read_alike():
    read = read_table(b"d,y\n17.09.1987,1\n06/11/1989,0\n", "mixed.csv")
    assert read["d"].dt.strftime("%Y-%m-%d").tolist() == ["1987-09-17", "1989-11-06"]


def interviews(n: int = 300, seed: int = 5) -> pd.DataFrame:
    """Interviews stamped by tablets with their UTC offset (new-user test 5, item 4), in no particular order."""
    rng = np.random.default_rng(seed)
    when = pd.Timestamp("1988-02-01 08:00") + pd.to_timedelta(rng.integers(0, 280 * 24 * 60, n), unit="min")
    return pd.DataFrame({"Interview": when.strftime("%Y-%m-%dT%H:%M:00+02:00"), "x": rng.normal(size=n),
                         "y": rng.integers(0, 2, n)})


def test_iso_times_with_a_utc_offset_are_dates_and_the_time_role():
    frame = interviews()
    data = load_file(frame.to_csv(sep="\t", index=False).encode(), "interviews.tsv")
    times = data.frame["Interview"]
    assert pd.api.types.is_datetime64_any_dtype(times) and str(times.dt.tz) == "UTC+02:00"
    assert times.dt.strftime("%Y-%m-%dT%H:%M:00+02:00").tolist() == frame["Interview"].tolist()  # local time kept
    assert data.time_column == "Interview"
    result = split(data.frame, [Task("y", ("y",), "binary")], SplitConfig(strategy="time", time_column="Interview"))
    order = times.sort_values().index
    codes = pd.Series(result.assignment).map({"train": 0, "val": 1, "test": 2})[order]
    assert codes.is_monotonic_increasing


def test_iso_times_with_different_offsets_order_as_instants():
    """``Z`` beside ``+02:00`` (a server's and a tablet's clock): read in UTC, 10:30+02:00 comes before 09:00Z."""
    raw = b"when,y\n1988-10-17T10:30:00+02:00,1\n1988-10-17T09:00:00Z,0\n1988-10-17 11:00:00 +0200,1\n"
    frame = read_table(raw, "mixed.csv")
    assert str(frame["when"].dt.tz) == "UTC"
    assert frame["when"].dt.strftime("%H:%M").tolist() == ["08:30", "09:00", "09:00"]


def test_plain_iso_dates_are_no_offsets():
    """A date's day (``-11``) is no UTC offset: plain dates stay naive."""
    frame = read_table(b"d,t,y\n2010-07-11,2010-07-11 08:00,1\n2010-08-12,2010-08-12 09:30:00,0\n", "days.csv")
    assert frame["d"].dt.tz is None and frame["t"].dt.tz is None
    assert frame["d"].dt.strftime("%Y-%m-%d").tolist() == ["2010-07-11", "2010-08-12"]
