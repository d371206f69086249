"""The inputs corpus: invalid and odd-but-valid inputs, generated here, never downloaded.

Each invalid case is tested in three places: in ``core`` (a ``DataError`` or
``ConfigError`` whose one line matches ``message``), on the command line (exit
status 2, exactly one line on stderr) and in the dashboard (``st.error``, no
exception, the last good dataset, tasks and split kept). Three kinds of case,
by the step that refuses them:

- :data:`BAD_FILES`: the file cannot be read (core: ``load_file``);
- :data:`BAD_TASKS`: a column of a readable table cannot be a task (core: ``parse_task_spec``);
- :data:`BAD_SPLITS`: the split settings do not fit the data (core: ``SplitConfig`` or ``split``).

The odd-but-valid cases are in :data:`ODD_FILES` (each must load, split and,
where the user should know something, warn). Test files import this module;
nothing here runs on import but building small byte strings.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.errors import ConfigError, DataError

OVER_CAP_MB = 201  # one megabyte over core.data.MAX_UPLOAD_MB
HTML_NAME = "<script>alert(1)</script>"


def csv_bytes(frame: pd.DataFrame, encoding: str = "utf-8") -> bytes:
    return frame.to_csv(index=False).encode(encoding)


# --------------------------------------------------------------------------- files that cannot be read


@dataclass(frozen=True)
class BadFile:
    """A file that no reader accepts; ``message`` is a regex of its one-line error."""

    case: str
    filename: str
    content: bytes
    message: str


def _garbage() -> bytes:
    return np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes()


def _parquet_magic_only() -> bytes:
    return b"PAR1" + bytes(64) + b"PAR1"


BAD_FILES = (
    BadFile("empty file", "empty.csv", b"", r"empty\.csv is empty; upload a file with a header row"),
    BadFile("header only", "header.csv", b"label,x,y\n", r"header\.csv has a header but no data rows"),
    BadFile("binary garbage", "garbage.csv", _garbage(), r"garbage\.csv is not a table \(it holds binary data\)"),
    BadFile("CSV named .parquet", "table.parquet", b"a,b\n1,2\n3,4\n",
            r"table\.parquet is named \.parquet but holds CSV text; rename it to \.csv"),
    BadFile("ragged rows", "ragged.csv", b"a,b\n1,2\n3,4,5,6\n7,8\n",
            r"ragged\.csv could not be parsed: line 3 has 4 fields where the header has 2"),
    BadFile("duplicate column names", "dupes.csv", b"a,b,a\n1,2,3\n4,5,6\n",
            r"dupes\.csv has the column name 'a' twice; rename one of them"),
    BadFile("broken Parquet", "broken.parquet", _parquet_magic_only(), r"broken\.parquet is not a readable Parquet"),
)


# --------------------------------------------------------------------------- columns that cannot be tasks


def task_table(n: int = 1500) -> pd.DataFrame:
    """A readable table with one column per bad-task case, plus good ones to fall back on."""
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {
            "label": rng.integers(0, 2, n),
            "score": rng.normal(size=n).round(3),
            "empty": [None] * n,
            "constant": ["same"] * n,
            "code": [f"c{i:04d}" for i in range(n)],  # 1,500 distinct text values
            "colour": rng.choice(["red", "green", "blue"], n),
        }
    )


@dataclass(frozen=True)
class BadTask:
    """A task the table cannot give: ``spec`` as on the command line (``col`` or ``col:kind``)."""

    case: str
    spec: str
    message: str

    @property
    def column(self) -> str:
        return self.spec.split(":")[0]

    @property
    def kind(self) -> str | None:
        return self.spec.split(":")[1] if ":" in self.spec else None


BAD_TASKS = (
    BadTask("all-missing task", "empty", r"Column 'empty' has no values at all; pick a column with labels"),
    BadTask("single-valued task", "constant",
            r"Column 'constant' has a single value \('same'\); a task needs at least two"),
    BadTask("multiclass task with >1,000 values", "code",
            r"Column 'code' has 1,500 distinct values, more than 1,000 classes"),
    BadTask("multiclass forced on >1,000 values", "code:multiclass",
            r"Task 'code' has 1,500 classes, more than 1,000"),
    BadTask("text forced as regression", "colour:regression",
            r"Task 'colour' is regression but column 'colour' holds text \(e\.g\. '(red|green|blue)'\)"),
    BadTask("unknown task column", "nope", r"Unknown column 'nope'; the data has columns label, score"),
)


# --------------------------------------------------------------------------- settings that do not fit


def split_table(n: int = 40) -> pd.DataFrame:
    """A readable table for the split cases: one group only, an unparseable time, a good label."""
    return pd.DataFrame(
        {
            "label": np.arange(n) % 2,
            "site": ["north"] * n,  # a single group
            "when": ["soon", "later", "never", "now"] * (n // 4),  # not a time
            "step": np.arange(n) // 4,
            "x": np.linspace(0.0, 1.0, n).round(4),
        }
    )


@dataclass(frozen=True)
class BadSplit:
    """Split settings that are refused: as ``SplitConfig`` options and as command-line flags."""

    case: str
    options: dict = field(hash=False)
    flags: str
    message: str
    error: type = ConfigError
    # The dashboard reaches every case through a JSON config uploaded on the Export page; the cases
    # marked widgets=True also through the Split page's widgets (the others no widget can produce).
    widgets: bool = False


BAD_SPLITS = (
    BadSplit("fractions not summing to 1", {"fractions": {"train": 0.6, "test": 0.2}},
             "--fractions train=0.6,test=0.2", r"fractions sum to 0\.8 \(train=0\.6, test=0\.2\); make them sum to 1"),
    BadSplit("negative fraction", {"fractions": {"train": 1.2, "test": -0.2}},
             "--fractions train=1.2,test=-0.2", r"fractions: test=-0\.2 is negative; give every split a share of 0"),
    BadSplit("k below 2", {"n_folds": 1}, "--folds 1", r"n_folds=1 must be at least 2"),
    BadSplit("k above the number of rows", {"n_folds": 41}, "--folds 41",
             r"n_folds=41 is greater than the 40 rows of the dataset\. Lower n_folds", DataError, widgets=True),
    BadSplit("unknown strategy", {"strategy": "magic"}, "--strategy magic",
             r"strategy='magic' is unknown; use one of random, stratified, group, time, hash, predefined"),
    BadSplit("unknown group column", {"strategy": "group", "group_column": "nope"}, "--strategy group --group nope",
             r"group_column='nope' is not a column of the data \(it has label, site", DataError),
    BadSplit("group column with a single group", {"strategy": "group", "group_column": "site"},
             "--strategy group --group site",
             r"group_column 'site' holds a single group \('north'\); a group split needs at least two groups",
             DataError, widgets=True),
    BadSplit("unparseable time column", {"strategy": "time", "time_column": "when"}, "--strategy time --time when",
             r"time_column 'when' does not parse as numbers or dates \(e\.g\. 'soon'\)", DataError, widgets=True),
)

UNKNOWN_BUILTIN = ("builtin:iris", r"Unknown built-in dataset 'iris'; choose one of wagepan")


# --------------------------------------------------------------------------- odd but valid


@dataclass(frozen=True)
class OddFile:
    """A file that must load and split; ``task`` as on the command line, ``warning`` a regex or None."""

    case: str
    filename: str
    content: bytes
    task: str
    warning: str | None = None
    strategy_flags: str = ""


def _latin1() -> bytes:
    names = ["José", "Zoë", "Åsa", "Çelik", "Müller", "Ñuño"] * 10
    frame = pd.DataFrame({"name": names, "city": ["Zürich", "Besançon"] * 30, "label": [0, 1, 1] * 20})
    return csv_bytes(frame, "latin-1")


def _one_per_class() -> bytes:
    labels = ["a", "b", "c", "d"] + [None] * 36
    return csv_bytes(pd.DataFrame({"kind": labels, "x": range(40)}))


def _mixed_labels() -> bytes:
    # JSON keeps each value's type: numbers, text and booleans in one label column
    frame = pd.DataFrame({"answer": [1, "a", 2.5, None, "1", 1.0, True, "b"] * 8, "x": range(64)})
    return frame.to_json(orient="records").encode()


def _inf_nan_features() -> bytes:
    rng = np.random.default_rng(5)
    x = rng.normal(size=80)
    x[::7], x[::11] = np.inf, np.nan
    z = rng.normal(size=80)
    z[::5] = -np.inf
    return csv_bytes(pd.DataFrame({"x": x, "z": z, "label": rng.integers(0, 2, 80)}))


def _rare_class() -> bytes:
    return csv_bytes(pd.DataFrame({"grade": ["common"] * 57 + ["rare"] * 3, "x": range(60)}))


def _time_ties() -> bytes:
    days = np.repeat(pd.date_range("2024-01-01", periods=6).strftime("%Y-%m-%d"), 10)
    return csv_bytes(pd.DataFrame({"date": days, "label": [0, 1] * 30, "x": range(60)}))


def _odd_names() -> bytes:
    return csv_bytes(
        pd.DataFrame(
            {HTML_NAME: [0, 1] * 20, "first name": ["ann", "bob"] * 20, "naïve ünïcødé 列": range(40),
             "value <b>bold</b>": ["<i>x</i>", "&amp;"] * 20}
        )
    )


ODD_FILES = (
    OddFile("Latin-1 text", "latin1.csv", _latin1(), "label", r"latin1\.csv is not UTF-8, so it was read as Latin-1"),
    OddFile("one labelled row per class", "one_each.csv", _one_per_class(), "kind",
            r"4 class\(es\) are too rare to appear in every one of the 3 splits"),
    OddFile("mixed types in a label column", "mixed.json", _mixed_labels(), "answer",
            r"Column 'answer' mixes numbers and text"),
    OddFile("inf and NaN in features", "inf.csv", _inf_nan_features(), "label"),
    OddFile("a class rarer than k", "rare.csv", _rare_class(), "grade",
            r"1 class\(es\) are too rare to appear in every one of the 5 splits: grade=rare \(3 rows\)", "--folds 5"),
    OddFile("a time column with ties", "ties.csv", _time_ties(), "label", None, "--strategy time --time date"),
    OddFile("column names with spaces, unicode or HTML", "names.csv", _odd_names(), HTML_NAME),
)


def wide_table(n_rows: int = 200, n_columns: int = 10_000) -> pd.DataFrame:
    """10,000 numeric feature columns and a label: the Data page must stay usable."""
    rng = np.random.default_rng(11)
    frame = pd.DataFrame(rng.normal(size=(n_rows, n_columns)).round(3), columns=[f"f{i}" for i in range(n_columns)])
    frame["label"] = rng.integers(0, 3, n_rows)
    return frame


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()
