"""The first visit and the page address: the work a link names, and the link of the current work."""

from __future__ import annotations

import streamlit as st

from core.data import DEFAULT_DATASET, Dataset, with_roles
from core.errors import TaskSplitError
from dashboard import compute, large, link
from dashboard.state._choices import choice_params, is_choice, read_choices
from dashboard.state._keys import DATASET, LINK_NOTES
from dashboard.state._work import (
    dataset,
    kept_upload,
    set_dataset,
    set_roles,
    set_split_config,
    set_tasks,
    split_config,
    tasks,
    upload_name,
)


def init() -> None:
    """Fill the session once: the work the page address names, else the default dataset and a split."""
    if DATASET in st.session_state:
        return
    notes: list[str] = []
    name = st.query_params.get("dataset")
    digest = st.query_params.get("upload")
    path = st.query_params.get("path")
    data = None
    if name:
        try:
            data = compute.builtin_dataset(name)
        except TaskSplitError as error:
            notes.append(str(error))
        if data is not None:
            set_dataset(data)
    elif digest:
        data = _restore_upload(digest, st.query_params.get("file") or "", notes)
    elif path:
        data = _restore_large(path, st.query_params.get("sample") or "", notes)
    if data is None:
        set_dataset(compute.builtin_dataset(DEFAULT_DATASET))
    else:
        _apply_link(data, notes)
    read_choices({key: st.query_params.get_all(key) for key in st.query_params}, dataset().fingerprint)
    st.session_state[LINK_NOTES] = notes


def _restore_upload(digest: str, name: str, notes: list[str]) -> Dataset | None:
    """The dataset of the upload the address names, or None with a note saying it is gone."""
    kept = kept_upload(digest)
    shown = f"**{name}**" if name else "you had uploaded"
    if kept is None:
        notes.append(f"The uploaded file {shown} is no longer on the server (it was restarted, or the file "
                     f"was dropped to make room); upload it again. Showing {DEFAULT_DATASET} meanwhile.")
        return None
    filename, content = kept
    try:
        data = compute.uploaded_dataset(digest, filename, content)
    except TaskSplitError as error:
        notes.append(f"The uploaded file {filename} could not be read again: {error}")
        return None
    set_dataset(data, upload=(digest, filename, content))
    return _apply_roles(data, filename, notes)


def _restore_large(path: str, sample: str, notes: list[str]) -> Dataset | None:
    """The sample of the large dataset the address names, opened again, or None with a note saying why not."""
    try:
        rows = int(sample) if sample else large.SAMPLE_ROWS
    except ValueError:
        notes.append(f"sample={sample!r} in the address is not a whole number; {large.SAMPLE_ROWS:,} rows are "
                     "sampled instead.")
        rows = large.SAMPLE_ROWS
    try:
        with st.spinner(f"Opening {path} again…"):
            data, _ = large.open_large(path, sample_rows=min(max(rows, large.SAMPLE_MIN), large.SAMPLE_MAX))
    except TaskSplitError as error:
        notes.append(f"The large dataset at {path} could not be opened again: {error} "
                     f"Showing {DEFAULT_DATASET} meanwhile.")
        return None
    set_dataset(data)
    return _apply_roles(data, path, notes)


def _apply_roles(data: Dataset, name: str, notes: list[str]) -> Dataset:
    """``data`` with the column roles the address names (none named: the ones read from the data)."""
    if not any(f"role_{role}" in st.query_params for role in link.ROLES):
        return data  # an address without roles: the ones read from the file
    roles = {role: st.query_params.get(f"role_{role}") or None for role in link.ROLES}
    missing = [column for column in roles.values() if column and column not in data.frame.columns]
    if missing:
        notes.append(f"The link's column role(s) {', '.join(missing)} are not columns of {name}; "
                     "they were left out.")
    roles = {role: column if column not in missing else None for role, column in roles.items()}
    set_roles(with_roles(data, group_column=roles["group"], time_column=roles["time"], id_column=roles["id"]))
    return dataset()


def _apply_link(data: Dataset, notes: list[str]) -> None:
    specs = st.query_params.get_all("task")
    if specs:
        chosen, dropped = link.tasks_from_params(data, specs)
        if chosen:
            set_tasks(chosen)
        if dropped:
            notes.append(f"The link's task(s) {', '.join(dropped)} do not fit {data.name}; they were left out.")
    params = {key: st.query_params.get(key) for key in st.query_params
              if key not in link.NOT_SPLIT and not is_choice(key)}
    if params:
        try:
            set_split_config(link.config_from_params(params))
        except TaskSplitError as error:
            notes.append(f"The link's split settings were not used: {error}")


def take_link_notes() -> list[str]:
    """What the page address asked for that could not be used; empty after the first call."""
    return st.session_state.pop(LINK_NOTES, [])


def write_link() -> None:
    """Put the current dataset, tasks, split and Model page choices in the page address (no-op when it already says so)."""
    data = dataset()
    source = None if data.builtin else large.source_of(data.fingerprint)
    wanted = link.to_params(data, tasks(), split_config(), upload=upload_name(),
                            large=(source.path, source.sample_rows) if source else None)
    choices = choice_params(data.fingerprint)
    if wanted:
        wanted.update(choices)
    current = {key: st.query_params.get_all(key) for key in st.query_params}
    normal = {key: value if isinstance(value, list) else [value] for key, value in wanted.items()}
    if normal != current:
        st.query_params.from_dict(wanted)
