"""AppTest: a Parquet folder opened by path on the server, split on a real 2-worker LocalCluster (nothing mocked)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import new_app, open_app
from tests.pages import reload

ROWS_PER_FILE, FILES = 1_500, 3
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cluster():
    """A LocalCluster of 2 worker processes; the app reaches it through ``$TASKSPLIT_SCHEDULER``."""
    from distributed import LocalCluster

    from dashboard import large

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as local:
        before = os.environ.get(large.SCHEDULER_ENV)
        os.environ[large.SCHEDULER_ENV] = local.scheduler_address
        try:
            yield local
        finally:
            if before is None:
                os.environ.pop(large.SCHEDULER_ENV, None)
            else:
                os.environ[large.SCHEDULER_ENV] = before
            known = large._CLIENTS.pop(local.scheduler_address, None)
            if known is not None:
                known.close()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """3 Parquet files of 1,500 rows: an id, groups, two binary labels (one rare), a regression target, a feature."""
    root = tmp_path_factory.mktemp("large") / "clicks"
    root.mkdir()
    rng = np.random.default_rng(5)
    for part in range(FILES):
        n = ROWS_PER_FILE
        frame = pd.DataFrame({
            "id": np.arange(part * n, (part + 1) * n),
            "user": rng.integers(0, 300, n),
            "click": (rng.random(n) < 0.3).astype(np.int8),
            "buy": (rng.random(n) < 0.05).astype(np.int8),
            "dwell": rng.gamma(2.0, 3.0, n),
            "x": rng.standard_normal(n),
        })  # fmt: skip
        frame.to_parquet(root / f"part-{part:03d}.parquet", index=False)
    return root


def open_path(at: AppTest, path: str, sample_rows: int | None = None) -> AppTest:
    """Pick the large-dataset source on the Data page, type ``path`` (and the rows to sample) and press Open."""
    at.radio(key="data_source").set_value("A large dataset on the server").run()
    at.text_input(key="data_path").set_value(path)
    if sample_rows is not None:
        at.number_input(key="data_sample_rows").set_value(sample_rows)
    next(button for button in at.button if button.label == "Open").click().run()
    return at


def test_a_parquet_folder_opens_by_path(cluster, folder):
    from dashboard import large, state

    at = open_path(open_app(), str(folder))
    assert not at.exception and not at.error
    data = at.session_state[state.DATASET]
    assert data.name == "clicks" and data.n_rows == ROWS_PER_FILE * FILES
    assert data.frame.index.name == large.ROW and data.frame.index.is_unique
    source = large.source_of(data.fingerprint)
    assert source is not None and source.n_rows == ROWS_PER_FILE * FILES
    assert any("rows of" in caption.value and str(folder) in caption.value for caption in at.caption)


def test_a_sample_is_stated_and_keeps_each_rows_position(cluster, folder):
    from dashboard import large

    data, source = large.open_large(f"{folder}/part-*.parquet", sample_rows=1_000, seed=3)
    assert source.sampled and source.n_rows == ROWS_PER_FILE * FILES and data.n_rows == 1_000
    assert "random sample of 1,000 of the 4,500 rows" in data.description
    whole = pd.concat([pd.read_parquet(folder / f"part-{p:03d}.parquet") for p in range(FILES)], ignore_index=True)
    pd.testing.assert_frame_equal(data.frame.reset_index(drop=True), whole.loc[data.frame.index].reset_index(drop=True))


@pytest.fixture(scope="module")
def bad_places(tmp_path_factory):
    """An empty folder, and a folder whose one .parquet file is not Parquet."""
    root = tmp_path_factory.mktemp("bad")
    (root / "empty").mkdir()
    (root / "broken").mkdir()
    (root / "broken" / "part-0.parquet").write_text("id,label\n1,0\n")
    return root


@pytest.mark.parametrize("bad", ["/no/such/folder", "{bad}/empty", "{bad}/*.csv", "{bad}/broken", " "])
def test_a_bad_path_is_one_error_line(cluster, bad_places, bad):
    from dashboard import state

    at = open_app()
    before = at.session_state[state.DATASET].name
    open_path(at, bad.format(bad=bad_places))
    assert not at.exception
    assert len(at.error) == 1 and "\n" not in at.error[0].value
    assert at.session_state[state.DATASET].name == before


@pytest.fixture(scope="module")
def opened(cluster, folder):
    """The app on the large folder with two tasks (click, buy) chosen, and the whole split's expected rows."""
    from core.tasks import Task
    from dashboard import state

    at = open_path(open_app(), str(folder), sample_rows=1_000)
    at.session_state[state.TASKS] = (Task("click", ("click",), "binary"), Task("buy", ("buy",), "binary"))
    at.run()
    assert not at.exception and not at.error
    return at


@pytest.mark.slow
def test_split_diagnostics_and_export_work_from_the_whole_data(opened, folder, tmp_path):
    """Split (sizes over every row), Diagnostics (scorecard equal to the in-memory one on every row), Export
    (the command, run as a user would against the same cluster, writes the same split), Model (on the sample,
    each sampled row in its split of the whole data)."""
    import shlex
    import subprocess
    import sys

    from core.diagnostics import split_quality
    from core.splits import split
    from core.tasks import encode_tasks
    from dashboard import state

    at = opened
    config = at.session_state[state.SPLIT_CONFIG]
    at.switch_page("views/split.py").run()
    assert not at.exception and not at.error
    total = ROWS_PER_FILE * FILES
    assert any(f"Sizes over all {total:,} rows" in caption.value for caption in at.caption)
    assert any(f"{total:,} rows (1,000 sampled)" in line.value for line in at.sidebar.markdown)
    assert sum(int(metric.value.replace(",", "")) for metric in at.metric) == total

    at.switch_page("views/diagnostics.py").run()
    assert not at.exception and not at.error
    assert any(f"cover all {total:,} rows" in caption.value for caption in at.caption)
    whole = pd.concat([pd.read_parquet(folder / f"part-{p:03d}.parquet") for p in range(FILES)], ignore_index=True)
    tasks = at.session_state[state.TASKS]
    in_memory = split(whole, list(tasks), config).assignment
    expected = split_quality(encode_tasks(whole, tasks).matrix, in_memory, config.fractions)
    shown = {card.value for card in at.markdown if card.value.startswith("### ")}
    assert f"### {expected.ld:.3g}" in shown
    table = next(md.value for md in at.markdown if md.value.startswith("| check | verdict"))
    for title in ("Groups in more than one split", "Near-duplicates across splits", "A single feature predicting"):
        assert title in table, table  # the last two on the sample: the cluster does not run them (new-user test 3)
    assert "On a random sample of 1,000 rows:" in table

    at.switch_page("views/model.py").run()
    assert not at.exception and not at.error
    assert any(f"random sample of 1,000 of the {total:,} rows" in caption.value for caption in at.caption)
    on_server = read_split(whole_split_of(at).out)
    sample = at.session_state[state.DATASET].frame
    assert len(sample) == 1_000 and len(on_server) == total
    in_sample = whole_split_of(at).sample.assignment
    assert (in_sample.to_numpy() == on_server[sample.index.to_numpy()]).all()  # each sampled row's own split

    at.switch_page("views/export.py").run()
    assert not at.exception and not at.error
    labels = {button.proto.label for button in at.get("download_button")}
    assert {"Split config (JSON)", "Workspace (JSON)"} <= labels
    command = at.code[0].value
    assert command.startswith(f"python -m core split {folder} --engine dask --scheduler ")
    words = shlex.split(command)
    (tmp_path / words[words.index("--config") + 1]).write_text(config.to_json())  # the config it offers
    command = command.replace("tcp://SCHEDULER:8786", opened_scheduler()).replace("python", sys.executable, 1)
    done = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    written = read_split(next(tmp_path.glob("*-split")))
    assert (written == on_server).all()

    at.button(key="export_build_report").click().run()
    assert not at.exception and not at.error
    assert any(button.proto.label.startswith("HTML report (") for button in at.get("download_button"))



def opened_scheduler() -> str:
    from dashboard import large

    return os.environ[large.SCHEDULER_ENV]


def whole_split_of(at: AppTest):
    """The app's whole-data split of its current work (written on the server)."""
    from dashboard import large, state

    data = at.session_state[state.DATASET]
    return large.whole_split_of(data.fingerprint, at.session_state[state.TASKS], at.session_state[state.SPLIT_CONFIG])


def read_split(out: Path) -> np.ndarray:
    """Every row's split from an engine output folder, in row order."""
    files = sorted(Path(out).rglob("*.parquet"))
    written = pd.concat([pd.read_parquet(f, columns=["row", "split"]) for f in files], ignore_index=True)
    return written.sort_values("row")["split"].astype(str).to_numpy()


def test_task_scores_from_counts_equal_the_in_memory_ones():
    """The Diagnostics page's per-task JS of a large split, from label counts, is task_scores' on the rows."""
    from core.data import load_builtin
    from core.diagnostics import label_distribution, task_scores
    from core.splits import SplitConfig, split
    from dashboard import large

    data = load_builtin("happiness")  # multiclass and binary tasks, each missing in different rows
    assignment = split(data.frame, data.tasks, SplitConfig(strategy="random", seed=4)).assignment
    counts = label_distribution(data.frame, data.tasks, assignment).counts
    ours = large.task_scores_of_counts(counts).set_index(["task", "split"])
    theirs = task_scores(data.frame, data.tasks, assignment).frame.set_index(["task", "split"])
    theirs = theirs.loc[ours.index]
    np.testing.assert_allclose(ours["js_distance"], theirs["js_distance"], atol=1e-12)
    np.testing.assert_array_equal(ours["rows"], theirs["rows"])
    np.testing.assert_allclose(ours["missing_share"], theirs["missing_share"], atol=1e-12)
    np.testing.assert_array_equal(ours["absent_classes"], theirs["absent_classes"])
    assert len(ours) == len(theirs) == len(data.tasks) * 3


@pytest.mark.slow
def test_a_reload_keeps_the_large_dataset_its_tasks_roles_and_split(cluster, folder):
    """The page address names the path and the rows sampled (as it names an upload): a reload opens the same
    sample with the same tasks, roles and split instead of falling back to the default dataset. The Data page's
    Rows metric counts every row of the data (new-user test 3)."""
    from core.data import with_roles
    from core.splits import SplitConfig
    from core.tasks import Task
    from dashboard import state

    at = open_path(open_app(), str(folder), sample_rows=1_000)
    rows = next(metric for metric in at.metric if metric.label == "Rows")  # it said 1,000, the sample's
    assert rows.value == f"{ROWS_PER_FILE * FILES:,}" and "1,000 of them sampled" in rows.proto.help
    data = with_roles(at.session_state[state.DATASET], group_column="user", time_column=None, id_column="id")
    tasks = (Task("click", ("click",), "binary"), Task("dwell", ("dwell",), "regression"))
    at.session_state[state.DATASET] = data
    at.session_state[state.TASKS] = tasks
    at.session_state[state.SPLIT_CONFIG] = SplitConfig(strategy="group", group_column="user", id_column="id", seed=4)
    at.run()
    assert not at.exception and not at.error
    assert at.query_params["path"] in (str(folder), [str(folder)])
    assert at.query_params["sample"] in ("1000", ["1000"])

    again = reload(at)
    restored = again.session_state[state.DATASET]
    assert restored.fingerprint == data.fingerprint and restored.n_rows == 1_000
    assert (restored.group_column, restored.time_column, restored.id_column) == ("user", None, "id")
    assert again.session_state[state.TASKS] == tasks
    config = again.session_state[state.SPLIT_CONFIG]
    assert (config.strategy, config.group_column, config.seed) == ("group", "user", 4)
    assert again.radio(key="data_source").value == "A large dataset on the server"
    assert not again.warning, [w.value for w in again.warning]


def test_a_reload_of_a_path_gone_from_the_server_says_so(cluster, bad_places):
    at = new_app()
    at.query_params["path"] = f"{bad_places}/empty"
    at.query_params["task"] = "click:binary"
    at.run()
    assert not at.exception
    from dashboard import state

    warnings = [w.value for w in at.warning]
    assert any(f"{bad_places}/empty could not be opened again" in w and "wagepan" in w for w in warnings), warnings
    assert at.session_state[state.DATASET].name == "wagepan"


def test_split_folders_of_servers_no_longer_running_are_swept(tmp_path):
    """A server killed before it cleaned up leaves server-<pid>: the next server removes it, and flat folders of
    the older layout once a day old; a running server's folder stays."""
    import subprocess
    import sys
    import time

    from dashboard import split_folders

    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True).stdout)
    for name in (f"server-{dead}", f"server-{os.getpid()}", "0a1b2c-old", "3d4e5f-new"):
        (tmp_path / name / "part").mkdir(parents=True)
    old = time.time() - split_folders.LEGACY_AGE - 60
    os.utime(tmp_path / "0a1b2c-old", (old, old))
    removed = split_folders.sweep(tmp_path)
    assert sorted(p.name for p in removed) == ["0a1b2c-old", f"server-{dead}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["3d4e5f-new", f"server-{os.getpid()}"]


def test_a_server_removes_its_whole_data_splits_when_it_stops(tmp_path):
    """Every whole-data split of a server lies in its own folder under $TMPDIR/tasksplit-app, deleted at exit."""
    import subprocess
    import sys

    script = ("from dashboard import large\n"
              "folder = large.server_folder()\n"
              "assert large._split_folder(('key',)).parent == folder\n"
              "(folder / 'a-split').mkdir()\n"
              "print(folder)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    folder = Path(done.stdout.strip().splitlines()[-1])
    assert folder.parent == tmp_path / "tasksplit-app" and folder.name.startswith("server-")
    assert not folder.exists() and (tmp_path / "tasksplit-app").is_dir()



def test_a_large_leakage_table_takes_the_exact_checks_and_the_rest_from_the_sample():
    """New-user test 3: a large dataset's Diagnostics listed 3 checks (one 'skipped') where an upload lists 5."""
    import doctest

    from core.diagnostics import leakage
    from dashboard import large

    assert doctest.testmod(large).failed == 0
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"user": rng.integers(0, 50, 400), "day": rng.integers(0, 30, 400),
                          "x": rng.standard_normal(400), "y": rng.integers(0, 2, 400)})
    assignment = np.where(frame["day"] < 20, "train", np.where(frame["day"] < 25, "val", "test"))
    sampled = leakage(frame, assignment, group_column="user", time_column="day", feature_columns=["x"]).to_frame()
    exact = sampled[sampled["check"].isin(["group", "duplicates", "time"])].drop(columns="seconds")  # as the cluster's
    exact.loc[exact["check"] == "time", ["status", "detail"]] = ("skipped", "No time column given.")
    table = large.checks_with_sample(exact, sampled, 400).set_index("check")
    assert list(table.index) == list(sampled["check"])
    on_sample = table["detail"].str.startswith("On a random sample of 400 rows: ")
    assert sorted(table.index[on_sample]) == ["near_duplicates", "predictor", "time"]
    assert table.loc["group", "detail"] == exact.set_index("check").loc["group", "detail"]


def test_opening_the_whole_table_keeps_the_work_done_on_a_file_of_it(cluster, folder):
    """New-user test 5, item 2: tasks (one a multi-label task made on the page), roles and split picked on an upload
    of one part of the table are kept when the whole table is opened by path, as a corrected upload keeps them;
    before, all of them were dropped without a word."""
    from dashboard import state

    at = open_app()
    at.radio(key="data_source").set_value("Upload a file").run()
    part = (folder / "part-000.parquet").read_bytes()
    at.file_uploader(key="data_upload").set_value(("part-000.parquet", part, "application/octet-stream")).run()
    fingerprint = at.session_state[state.DATASET].fingerprint
    at.selectbox(key=f"data_group_{fingerprint}").select("user").run()
    at.multiselect(key=f"data_tasks_{fingerprint}").set_value(["dwell"]).run()
    at.text_input(key="data_combine_name").input("actions")
    at.multiselect(key="data_combine_columns").set_value(["click", "buy"])
    at.button(key="FormSubmitter:data_combine-Add task").click().run()
    assert not at.exception and not at.error
    tasks = at.session_state[state.TASKS]
    assert [(t.name, t.kind) for t in tasks] == [("dwell", "regression"), ("actions", "multilabel")]

    open_path(at, str(folder), sample_rows=1_000)
    assert not at.exception and not at.error
    data = at.session_state[state.DATASET]
    assert data.n_rows == 1_000 and data.group_column == "user"
    assert at.session_state[state.TASKS] == tasks
    assert any(info.value.startswith("Kept the 2 task(s)") for info in at.info), [i.value for i in at.info]


@pytest.mark.slow
def test_a_large_time_split_says_which_times_each_split_covers(opened):
    """The in-memory Split page names each split's time span; the large path said nothing (new-user trial 5,
    item 14). Its spans come from the sampled rows, each in its split of the whole data, and say so."""
    from dataclasses import replace

    from dashboard import state

    at = opened
    before = at.session_state[state.SPLIT_CONFIG]
    at.session_state[state.SPLIT_CONFIG] = replace(before, strategy="time", time_column="id")
    try:
        at.switch_page("views/split.py").run()
        assert not at.exception and not at.error
        spans = [c.value for c in at.caption if c.value.startswith("id: train ")]
        assert spans and spans[0].endswith("(over the 1,000 sampled rows)"), [c.value for c in at.caption]
        sample = at.session_state[state.DATASET].frame
        first_val = int(sample["id"][whole_split_of(at).sample.assignment == "val"].min())
        assert f"val {first_val} to " in spans[0]
    finally:
        at.session_state[state.SPLIT_CONFIG] = before
