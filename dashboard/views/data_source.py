"""The Data page's source: a built-in dataset, an uploaded file (which keeps the work of the file before it when
it has the same columns) or a large dataset by its path on the server."""

from __future__ import annotations

import streamlit as st

import core.data
from core.data import BUILTIN_NAMES, Dataset, builtin, check_size
from core.errors import DataError
from dashboard import compute, large, state

UPLOAD_TYPES = ["csv", "tsv", "txt", "parquet", "pq", "xlsx", "xls", "json", "jsonl", "ndjson", "gz"]
K = state.DataKeys


SOURCES = ["Built-in dataset", "Upload a file", "A large dataset on the server"]


def choose_source(current: Dataset) -> None:
    """A built-in dataset, an uploaded file or a large dataset by path; a new one becomes the session's dataset."""
    # The default follows the current dataset: Streamlit drops a widget's state while another page shows, and
    # coming back to "Built-in dataset" would replace an uploaded file with the built-in one.
    index = 0 if current.builtin else 2 if large.source_of(current.fingerprint) else 1
    source = st.radio("Source", SOURCES, index=index, horizontal=True, key=K.SOURCE)
    if source == SOURCES[0]:
        choose_builtin(current)
    elif source == SOURCES[1]:
        choose_upload(current)
    else:
        choose_path(current)


def choose_builtin(current: Dataset) -> None:
    names = list(BUILTIN_NAMES)
    base = current.name.split(":")[0] if current.builtin else names[0]
    left, right = st.columns([3, 2])
    name = left.selectbox(
        "Built-in dataset", names, index=names.index(base) if base in names else 0,
        format_func=lambda n: f"{n} — {builtin(n).description}", key=K.BUILTIN,
    )
    if name == "synthetic":
        # defaults from the current dataset: widget state is dropped while another page shows
        size = current.name.partition(":")[2] if current.builtin and base == "synthetic" else ""
        rows_now, _, labels_now = size.partition("x")
        rows_now, labels_now = min(max(int(rows_now or 10_000), 100), 5_000_000), int(labels_now or 10)
        rows = right.number_input("Rows", 100, 5_000_000, rows_now, step=10_000, key=K.SYNTHETIC_ROWS)
        labels = right.number_input("Labels", 2, 500, labels_now, key=K.SYNTHETIC_LABELS)
        name = f"synthetic:{int(rows)}x{int(labels)}"
    if not current.builtin or current.name != name:
        try:
            state.set_dataset(compute.builtin_dataset(name))
        except DataError as error:
            st.error(str(error))
        else:
            state.forget(K.UPLOAD_DIGEST)  # the same file uploaded again is read again


def choose_upload(current: Dataset) -> None:
    cap = core.data.MAX_UPLOAD_MB  # read at every run, as a page's own import would (a test lowers it)
    uploaded = st.file_uploader(
        f"Upload a table (CSV, TSV, Parquet, Excel or JSON, also gzipped as .csv.gz; up to {cap} MB)",
        type=UPLOAD_TYPES, key=K.UPLOADER,
    )
    if uploaded is None:
        if current.builtin:
            st.info("No file yet: the dataset below stays as it is until a file is read.")
        else:  # the uploader forgets its file when another page shows; the dataset read from it stays
            st.info(f"Using **{current.name}** ({current.n_rows:,} rows), uploaded this session. "
                    "Upload another file to replace it.")
        return
    try:
        check_size(uploaded.size, uploaded.name, max_mb=cap)  # before the content is read
        content = uploaded.getvalue()
        digest = compute.content_digest(content)
        if state.value(K.UPLOAD_DIGEST) == digest:
            return
        data = compute.uploaded_dataset(digest, uploaded.name, content)
    except DataError as error:
        st.error(str(error))
        st.caption(f"Still using **{state.dataset().name}**.")
        return
    state.put(K.UPLOAD_DIGEST, digest)
    replace_dataset(data, upload=(digest, uploaded.name, content))  # kept on the server for a reload


def replace_dataset(data: Dataset, **where) -> None:
    """Make ``data`` the session's dataset, keeping the tasks, roles and split of the one before when every column
    they use is in it (a corrected export, or the whole table behind the file tried first), else saying which
    tasks it replaces."""
    previous = (state.dataset(), state.tasks(), state.split_config())
    state.set_dataset(data, **where)
    kept = state.keep_work(*previous)
    if kept:
        state.put(K.KEPT, kept)
    else:
        state.put(K.REPLACED, [task.name for task in previous[1]])


def choose_path(current: Dataset) -> None:
    """A Parquet folder or glob on the server, too large for memory: its sample becomes the session's dataset."""
    source = large.source_of(current.fingerprint)
    with st.form(K.PATH_FORM, border=False):
        path = st.text_input(
            "Path on the server: a folder of Parquet files, a glob, or one .parquet file",
            value=source.path if source else "", key=K.PATH, placeholder="/data/clicks/ or /data/clicks/part-*.parquet",
            help="Read where the app runs, not uploaded. The split and its scores cover every row.",
        )
        rows = st.number_input("Rows to sample", large.SAMPLE_MIN, large.SAMPLE_MAX,
                               max(source.sample_rows, large.SAMPLE_MIN) if source else large.SAMPLE_ROWS,
                               step=50_000, key=K.SAMPLE_ROWS,
                               help="A random sample of this many rows is what the tables, the drill-down and the "
                                    "Model page show; the split, its sizes and its scores cover every row.")
        opened = st.form_submit_button("Open", icon=":material/folder_open:")
    if not opened:
        return
    bar = st.progress(0.0, text="Opening…")
    try:
        data, _ = large.open_large(path, sample_rows=int(rows),
                                   progress=lambda share, text: bar.progress(min(share, 1.0), text=text))
    except DataError as error:
        bar.empty()
        st.error(str(error))
        return
    bar.empty()
    if data.fingerprint != current.fingerprint:
        replace_dataset(data)
        state.forget(K.UPLOAD_DIGEST)
