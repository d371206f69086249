"""The session's work: the dataset, its tasks and split config, the uploaded file it came from,
and the plain accessors (:func:`value`, :func:`put`, :func:`take`, :func:`forget`) of the pages' own keys."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import replace

import streamlit as st

from core.data import Dataset, with_roles
from core.errors import DataError
from core.report import Workspace, check_tasks
from core.splits import STRATEGIES, SplitConfig
from core.tasks import Task, make_task
from dashboard.state._jobs import set_training
from dashboard.state._keys import (
    DATASET,
    SESSION_TOKEN,
    SPLIT_CONFIG,
    SPLIT_PROBLEM,
    SPLIT_WIDGETS,
    TASKS,
    UPLOAD,
)

UPLOADS_KEPT = 8               # uploaded files the server keeps for reloads (shared by sessions, by content digest)
UPLOAD_BYTES_KEPT = 1_000_000_000  # and at most this many bytes of them, the newest first


def dataset() -> Dataset:
    return st.session_state[DATASET]


def tasks() -> tuple[Task, ...]:
    return st.session_state[TASKS]


def split_config() -> SplitConfig:
    return st.session_state[SPLIT_CONFIG]


def default_split_config(data: Dataset) -> SplitConfig:
    """Whole groups per split when the data has groups (a panel), else multi-task stratified."""
    if data.group_column:
        return SplitConfig(strategy="group", group_column=data.group_column, time_column=data.time_column)
    return SplitConfig(strategy="stratified", time_column=data.time_column)


def set_dataset(data: Dataset, *, upload: tuple[str, str, bytes] | None = None) -> None:
    """Switch to another dataset: its suggested tasks, a default split, no training run.

    ``upload`` is ``(content digest, file name, bytes)`` when the data came from an uploaded file: the
    server keeps the bytes and the page address names the digest, so a reload reads the file again.
    """
    set_training(None)  # stops the run: its thread would otherwise train on for data no longer shown
    st.session_state[DATASET] = data
    st.session_state[TASKS] = tuple(data.tasks)
    set_split_config(default_split_config(data))
    st.session_state[UPLOAD] = None
    if upload is not None:
        digest, name, content = upload
        _keep_upload(digest, name, content)
        st.session_state[UPLOAD] = (digest, name)


def keep_work(previous: Dataset, chosen: tuple[Task, ...], config: SplitConfig) -> str | None:
    """Carry an upload's tasks, roles and split over to the data opened after it (another upload, or a table by
    path), when every column they use is in it (a corrected or newer export of the same table, or the whole table);
    returns what was kept, in words, else None (the new data's guesses stay). Call it just after :func:`set_dataset`.

    A built-in dataset's tasks are its own, never the user's work: they are not carried over.
    """
    data = dataset()
    roles = (previous.group_column, previous.time_column, previous.id_column)
    needed = {c for task in chosen for c in task.columns} | {c for c in roles if c}
    if previous.builtin or not chosen or not needed <= set(data.frame.columns):
        return None
    try:
        kept = tuple(make_task(data.frame, task.name, task.columns, task.kind) for task in chosen)
    except DataError:  # a column changed too much for its task (a class too many): the new guesses it is
        return None
    set_roles(with_roles(data, group_column=roles[0], time_column=roles[1], id_column=roles[2]))
    set_tasks(kept)
    set_split_config(config)
    named = [f"{role} `{column}`" for role, column in zip(("group", "time", "id"), roles, strict=True) if column]
    return (f"Kept the {len(kept)} task(s) ({', '.join(t.name for t in kept)})"
            + (f", the roles ({', '.join(named)})" if named else "")
            + f" and the {config.strategy} split of {previous.name}: every column they use is in {data.name}.")


def upload_name() -> tuple[str, str] | None:
    """``(content digest, file name)`` of the uploaded file the current dataset was read from, else None."""
    return st.session_state.get(UPLOAD)


def workspace() -> Workspace:
    """The current work as a workspace file's content (the Export page writes it)."""
    return Workspace.of(dataset(), tasks(), split_config())


def apply_workspace(saved: Workspace, *, other_data: bool = False) -> bool:
    """Make ``saved``'s tasks, roles and split the session's, when it was made on the current data (or, with
    ``other_data``, on any data that has every column it uses: the user said to use it there).

    Returns whether anything changed. A workspace of other data is a :class:`DataError` naming the data it
    was made for.
    """
    data = dataset()
    if not saved.fits(data) and not other_data:
        raise DataError(f"This workspace was made for {saved.made_for()}, not for {data.name} "
                        f"(content hash {data.fingerprint[:12]}); open that data first (upload the same file), "
                        "then load the workspace again.")
    check_tasks(saved, data)
    roles = (saved.group_column, saved.time_column, saved.id_column)
    changed = False
    if roles != (data.group_column, data.time_column, data.id_column):
        set_roles(with_roles(data, group_column=roles[0], time_column=roles[1], id_column=roles[2]))
        changed = True
    if saved.tasks != tasks():
        set_tasks(saved.tasks)
        changed = True
    if saved.config != split_config():
        set_split_config(saved.config)
        changed = True
    return changed


def set_roles(data: Dataset) -> None:
    """The same table with other group, time or id columns: the split follows the new roles."""
    st.session_state[DATASET] = data
    config = split_config()
    strategy = config.strategy
    needed = STRATEGIES[strategy].column  # a strategy whose role column is gone falls back to stratified
    if needed in ("group_column", "time_column", "id_column") and not getattr(data, needed):
        strategy = "stratified"
    set_split_config(replace(
        config, strategy=strategy, group_column=data.group_column, time_column=data.time_column,
        id_column=data.id_column,
    ))


def set_tasks(chosen: tuple[Task, ...]) -> None:
    st.session_state[TASKS] = tuple(chosen)


def set_split_config(config: SplitConfig, *, from_split_page: bool = False) -> None:
    """Use ``config``; the Split page's widgets redraw from it unless they made it."""
    st.session_state[SPLIT_CONFIG] = config
    st.session_state[SPLIT_PROBLEM] = None  # settings that split, or set elsewhere: the widgets redraw from them
    if not from_split_page:
        st.session_state[SPLIT_WIDGETS] = split_widget_version() + 1


def split_problem() -> tuple[str, str] | None:
    """The Split page's settings that could not make a split, in words, and why; None when they split."""
    return st.session_state.get(SPLIT_PROBLEM)


def set_split_problem(settings: str, reason: str) -> None:
    """The Split page's settings (in words) could not make a split: the last config that did stays in use."""
    st.session_state[SPLIT_PROBLEM] = (settings, reason)


def clear_split_problem() -> None:
    st.session_state[SPLIT_PROBLEM] = None


def split_widget_version() -> int:
    return st.session_state.get(SPLIT_WIDGETS, 0)


def value(key: str, default=None):
    """A widget's value or a page's own session value, under a key declared above; ``default`` when unset."""
    return st.session_state.get(key, default)


def put(key: str, content) -> None:
    """Set a page's own session value, or a widget's value before its widget is drawn (or in its callback)."""
    st.session_state[key] = content


def take(key: str, default=None):
    """A value said once: read and forget it (``default`` when unset)."""
    return st.session_state.pop(key, default)


def forget(*keys: str) -> None:
    """Drop ``keys`` from the session (a widget drawn again then starts from its default)."""
    for key in keys:
        st.session_state.pop(key, None)


def session_token() -> str:
    """This session's own random id, made on first use: shared server stores keep each session's things apart.

    (Streamlit's session id is not used: every ``AppTest`` has the same one.)
    """
    if SESSION_TOKEN not in st.session_state:
        st.session_state[SESSION_TOKEN] = uuid.uuid4().hex
    return st.session_state[SESSION_TOKEN]


@st.cache_resource(show_spinner=False)
def _uploads() -> tuple[OrderedDict, threading.Lock]:
    """Uploaded files by content digest, ``{digest: (file name, bytes)}``, newest last, shared by the sessions
    of this server process: a reload (a new session) gets its upload back. Gone when the server restarts."""
    return OrderedDict(), threading.Lock()


def _keep_upload(digest: str, name: str, content: bytes) -> None:
    files, lock = _uploads()
    with lock:
        files[digest] = (name, content)
        files.move_to_end(digest)
        while len(files) > 1 and (len(files) > UPLOADS_KEPT
                                  or sum(len(kept) for _, kept in files.values()) > UPLOAD_BYTES_KEPT):
            files.popitem(last=False)


def kept_upload(digest: str) -> tuple[str, bytes] | None:
    """``(file name, bytes)`` of the upload the server keeps under ``digest``, or None when it is gone."""
    files, lock = _uploads()
    with lock:
        return files.get(digest)
