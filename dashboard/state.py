"""Every session_state key of the dashboard, in one place, with typed accessors.

Pages read and write the session through these functions only, so a key is
never spelled twice. On the first visit :func:`init` loads the default dataset,
selects its suggested tasks and a group split, so every page has content at once.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from core.data import DEFAULT_DATASET, Dataset
from core.errors import TaskSplitError
from core.splits import SplitConfig
from core.tasks import Task
from dashboard import compute, link

# The session's working state. Widget keys live beside the widgets, prefixed by page.
DATASET = "dataset"            # core.data.Dataset: the table and its column roles
TASKS = "tasks"                # tuple[core.tasks.Task]: the chosen prediction targets
SPLIT_CONFIG = "split_config"  # core.splits.SplitConfig: how to split
TRAINING = "training"          # dashboard.training_run.TrainingRun or None: the live or last run
SPLIT_WIDGETS = "split_widgets_version"  # int: bumped when the config is set from outside the Split page
LINK_NOTES = "link_notes"      # list[str]: what a page address asked for that could not be used, shown once


def init() -> None:
    """Fill the session once: the work the page address names, else the default dataset and a split."""
    if DATASET in st.session_state:
        return
    notes: list[str] = []
    name = st.query_params.get("dataset")
    data = None
    if name:
        try:
            data = compute.builtin_dataset(name)
        except TaskSplitError as error:
            notes.append(str(error))
    set_dataset(data or compute.builtin_dataset(DEFAULT_DATASET))
    if data is not None:
        _apply_link(data, notes)
    st.session_state[LINK_NOTES] = notes


def _apply_link(data: Dataset, notes: list[str]) -> None:
    specs = st.query_params.get_all("task")
    if specs:
        chosen, dropped = link.tasks_from_params(data, specs)
        if chosen:
            set_tasks(chosen)
        if dropped:
            notes.append(f"The link's task(s) {', '.join(dropped)} do not fit {data.name}; they were left out.")
    params = {key: st.query_params.get(key) for key in st.query_params}
    params.pop("dataset", None)
    params.pop("task", None)
    if params:
        try:
            set_split_config(link.config_from_params(params))
        except TaskSplitError as error:
            notes.append(f"The link's split settings were not used: {error}")


def take_link_notes() -> list[str]:
    """What the page address asked for that could not be used; empty after the first call."""
    return st.session_state.pop(LINK_NOTES, [])


def write_link() -> None:
    """Put the current dataset, tasks and split in the page address (no-op when it already says so)."""
    wanted = link.to_params(dataset(), tasks(), split_config())
    current = {key: st.query_params.get_all(key) for key in st.query_params}
    normal = {key: value if isinstance(value, list) else [value] for key, value in wanted.items()}
    if normal != current:
        st.query_params.from_dict(wanted)


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


def set_dataset(data: Dataset) -> None:
    """Switch to another dataset: its suggested tasks, a default split, no training run."""
    run = st.session_state.get(TRAINING)
    if run is not None:  # its thread would otherwise train on until the session's next rerun
        run.stop()
    st.session_state[DATASET] = data
    st.session_state[TASKS] = tuple(data.tasks)
    set_split_config(default_split_config(data))
    st.session_state[TRAINING] = None


def set_roles(data: Dataset) -> None:
    """The same table with other group, time or id columns: the split follows the new roles."""
    st.session_state[DATASET] = data
    config = split_config()
    strategy = config.strategy
    if strategy == "group" and not data.group_column:
        strategy = "stratified"
    if strategy == "time" and not data.time_column:
        strategy = "stratified"
    if strategy == "hash" and not data.id_column:
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
    if not from_split_page:
        st.session_state[SPLIT_WIDGETS] = split_widget_version() + 1


def split_widget_version() -> int:
    return st.session_state.get(SPLIT_WIDGETS, 0)


def training():
    return st.session_state.get(TRAINING)


def set_training(run) -> None:
    st.session_state[TRAINING] = run
