"""Data page: pick a built-in dataset or upload a file, look at it, choose the tasks."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.data import NO_TARGET, Dataset, group_reason, with_roles
from core.errors import DataError
from core.splits import SplitConfig
from core.tasks import KINDS, Task, make_task, task_source_columns, yes_no_values
from dashboard import compute, large, state
from dashboard.views.data_source import choose_source

NONE = "(none)"
PREVIEW_COLUMNS = 60  # a wide table's preview shows its task and role columns first, then the next ones
K = state.DataKeys


def header(data: Dataset):
    """The dataset's name, description and warnings; returns the slot for its metrics (filled last)."""
    st.markdown(f"#### {data.name}")
    if data.description:
        st.caption(f"{data.description}  Source: {data.source}.")
    for message in data.warnings:
        st.warning(message)
    return st.container()  # filled at the end of the page, from the tasks and roles chosen below


def guessed_note(data: Dataset) -> str | None:
    """What an upload guessed and why, while its guessed tasks are still the chosen ones (a built-in's are curated)."""
    kept = state.take(K.KEPT)
    if kept:  # the run that read the file, which kept the tasks of the file before it
        return f"{kept} Change them below."
    replaced = state.take(K.REPLACED)
    if data.builtin or state.tasks() != data.tasks:
        return None
    listed = ", ".join(f"`{task.name}` ({task.kind})" for task in data.tasks)
    note = data.task_note or (f"Guessed tasks: {listed}." if data.tasks else NO_TARGET)
    if data.tasks:
        note += " Change them below."
    if replaced is not None:  # the run that read the file
        roles = [f"{role} `{column}`" for role, column in
                 (("group", data.group_column), ("time", data.time_column), ("id", data.id_column)) if column]
        if data.group_column:
            roles[0] += group_reason(data.frame, data.group_column, data.time_column)  # crime4's county: a panel's unit
        note += f" Guessed roles: {', '.join(roles) if roles else 'none'}."
        if replaced:
            note += f" These replace the previous dataset's tasks ({', '.join(replaced)})."
    return note


# --------------------------------------------------------------------------- roles


def role_picker(data: Dataset, label: str, current: str | None, role: str, help_text: str) -> str | None:
    options = [NONE, *data.frame.columns]
    index = options.index(current) if current in options else 0
    chosen = st.selectbox(label, options, index=index, key=K.role(role, data.fingerprint), help=help_text)
    return None if chosen == NONE else chosen


def choose_roles(data: Dataset) -> Dataset:
    """The group, time and id pickers; returns the dataset with the roles picked (the session's from now on)."""
    st.markdown("##### Column roles")
    group_box, time_box, id_box = st.columns(3)
    with group_box:
        group = role_picker(data, "Group column", data.group_column, "group",
                            "Rows sharing a value (a person, a patient) belong together and must not straddle splits.")
    with time_box:
        time = role_picker(data, "Time column", data.time_column, "time", "Orders rows for time-based splits.")
    with id_box:
        row_id = role_picker(data, "Id column", data.id_column, "id", "A stable row id, for hash-stable splits.")
    if (group, time, row_id) != (data.group_column, data.time_column, data.id_column):
        data = with_roles(data, group_column=group, time_column=time, id_column=row_id)
        state.set_roles(data)
    if row_id is not None:
        repeated_id_warning(data.frame, row_id, group)
    return data


def repeated_id_warning(frame: pd.DataFrame, column: str, group: str | None) -> None:
    """One warning when the Id column repeats: it cannot name a row in the exported assignment."""
    distinct = int(frame[column].nunique(dropna=False))
    if distinct == len(frame):
        return
    keep = "" if group == column else f" To keep the rows of one `{column}` together, make it the Group column."
    st.warning(f"Id column `{column}` repeats ({distinct:,} values on {len(frame):,} rows): it does not name one "
               "row, so the exported assignment cannot be joined back on it alone. Pick a column with one value "
               f"per row, or {NONE} to name rows by their position.{keep}", icon=":material/fingerprint:")


def use_as_group(picker: str, column: str) -> None:
    """A proposal's button: runs before the rerun, so the Group picker (a keyed widget) shows the new group."""
    state.put(picker, column)


def propose_groups(data: Dataset) -> None:
    """Up to two columns whose values repeat (rows of one person?), each with a button to make it the group."""
    taken = {data.group_column, data.time_column, data.id_column} | task_source_columns(state.tasks())
    for candidate in [c for c in compute.repeated_ids(data.fingerprint, data.frame) if c.column not in taken][:2]:
        ask, act = st.columns([4, 1], vertical_alignment="center")
        ask.info(f"`{candidate.column}` repeats {candidate.mean_rows:.1f} times on average: rows of one person "
                 "(or one thing)? Use it as the group, so that the rows of one stay in one split.")
        act.button(f"Use {candidate.column} as the group", key=K.use_group(candidate.column),
                   on_click=use_as_group, args=(K.role("group", data.fingerprint), candidate.column))


# --------------------------------------------------------------------------- tasks


def candidate_tasks(data: Dataset) -> dict[str, Task]:
    """The dataset's suggested tasks and the chosen ones, by name."""
    known = {task.name: task for task in data.tasks}
    known.update({task.name: task for task in state.tasks()})
    return known


def choose_tasks(data: Dataset) -> None:
    """The Tasks multiselect and each task's kind; a change becomes the session's tasks (and reruns)."""
    frame = data.frame
    st.markdown("##### Tasks")
    st.caption(
        "Each task is one prediction target. Pick columns; the kind is inferred and you can change it. "
        "Columns a task is made from are never used as model features."
    )
    known = candidate_tasks(data)
    options = list(known) + [c for c in frame.columns if c not in known]
    tasks_key = K.tasks(data.fingerprint)
    # The multiselect shows the chosen tasks. A keyed widget keeps its own value over a new default, so when the
    # tasks were changed elsewhere (Add task below, a link, a workspace), the widget is told the new list.
    chosen_now = [t.name for t in state.tasks()]
    if state.value(tasks_key) is None or state.value(K.TASKS_SHOWN) != chosen_now:
        state.put(tasks_key, chosen_now)
    state.put(K.TASKS_SHOWN, chosen_now)
    chosen_names = st.multiselect("Tasks to split for and predict", options, key=tasks_key)
    chosen: list[Task] = []
    refused: list[str] = []
    for name in chosen_names:
        try:
            chosen.append(known[name] if name in known else make_task(frame, name, name))
        except DataError as error:
            refused.append(str(error))
    chosen, clashes = refuse_label_clashes(data, chosen)
    refused += clashes
    for message in [*state.take(K.REFUSED, []), *refused]:
        st.error(message)

    for task in chosen:
        for message in compute.label_notes(data.fingerprint, task, frame):
            st.warning(message)
    for message in compute.duplicate_tasks(data.fingerprint, tuple(chosen), frame):
        st.warning(message)
    shared_columns_note(chosen)
    if chosen:
        choose_kinds(data, chosen)
    if tuple(chosen) != state.tasks() or refused:
        state.set_tasks(tuple(chosen))
        if refused:  # the multiselect drops the refused column on the rerun, which says why once more
            state.put(K.REFUSED, refused)
            state.forget(K.TASKS_SHOWN)
        st.rerun()


def refuse_label_clashes(data: Dataset, chosen: list[Task]) -> tuple[list[Task], list[str]]:
    """The tasks whose labels read like another task's (``a`` with the value ``b=1`` and ``a=b`` with ``1`` both
    read ``a=b=1``), refused at pick time with the library's one line, instead of failing every later page.

    Such a clash needs a task name with ``=``, so other picks cost nothing; the tasks are encoded as the Split page
    will encode them (and that encoding is cached for it).
    """
    if not any("=" in task.name for task in chosen):
        return chosen, []
    kept: list[Task] = []
    refused: list[str] = []
    for task in chosen:
        try:
            compute.encoded_tasks(data.fingerprint, (*kept, task), state.split_config().n_bins, data.frame)
        except DataError as error:
            refused.append(str(error))
        else:
            kept.append(task)
    return kept, refused


def shared_columns_note(chosen: list[Task]) -> None:
    """Say which columns are in two or more of the ``chosen`` tasks.

    A column in two tasks (an upload's guessed 0/1 column, then a multi-label task made of it and others) is
    allowed: the two tasks ask different questions of it (alone, and among its co-labels), and removing either
    silently would undo a choice the user made. It is said, because the column then counts twice.
    """
    shared: dict[tuple[str, ...], list[str]] = {}  # the tasks a column is in -> the columns in just those
    for column in dict.fromkeys(c for t in chosen for c in t.columns):
        names = tuple(t.name for t in chosen if column in t.columns)
        if len(names) > 1:
            shared.setdefault(names, []).append(f"`{column}`")
    for names, columns in shared.items():
        one, times = len(columns) == 1, "twice" if len(names) == 2 else f"{len(names)} times"
        st.caption(f"{'Column' if one else 'Columns'} {', '.join(columns)} {'is' if one else 'are each'} in "
                   f"{len(names)} tasks ({', '.join(names)}): each task is kept, so {'its' if one else 'their'} "
                   f"labels count {times} when the split balances labels, and the model learns "
                   f"{'it' if one else 'them'} {times}. Remove a task if that is not what you want.")


def choose_kinds(data: Dataset, chosen: list[Task]) -> None:
    """A kind picker per chosen task; a changed kind remakes its task in ``chosen``."""
    st.caption("Kind of each task (inferred; change it if the guess is wrong):")
    grid = st.columns(min(len(chosen), 4))
    for i, task in enumerate(list(chosen)):
        sources = ", ".join(task.columns) if len(task.columns) <= 6 else f"{task.columns[0]} … {task.columns[-1]}"
        kind = grid[i % len(grid)].selectbox(
            task.name, KINDS, index=KINDS.index(task.kind), key=K.kind(data.fingerprint, task.name),
            help=f"Made from: {sources}",
        )
        if kind == task.kind:
            continue
        try:
            chosen[i] = make_task(data.frame, task.name, task.columns, kind)
        except DataError as error:
            st.error(str(error))


def remove_guessed_tasks() -> None:
    """The kept guess's button, run before the rerun: the Tasks multiselect above then shows the new list."""
    guessed = set(state.dataset().tasks)
    state.set_tasks(tuple(t for t in state.tasks() if t not in guessed))


def offer_to_remove_guesses(data: Dataset) -> None:
    """An upload's guessed tasks stay when the user adds their own (removing them would surprise), but they are
    said to be guesses, with one click to remove them, while all of them are still chosen next to the user's."""
    tasks_now = state.tasks()
    if data.builtin or not data.tasks or len(tasks_now) <= len(data.tasks) or not set(data.tasks) <= set(tasks_now):
        return
    one = len(data.tasks) == 1
    guessed_names = ", ".join(f"`{t.name}`" for t in data.tasks)
    ask, act = st.columns([4, 1], vertical_alignment="center")
    ask.info(f"{guessed_names} {'is' if one else 'are'} guessed from the file, not picked by you, and kept next to "
             f"your tasks. Remove {'it' if one else 'them'} if you do not mean to predict {'it' if one else 'them'}.")
    act.button("Remove the guessed task" if one else "Remove the guessed tasks", key=K.REMOVE_GUESSED,
               on_click=remove_guessed_tasks)


def add_combined_task() -> None:
    """The form's Add task, run before the rerun: the Tasks multiselect above then shows the new list."""
    frame = state.dataset().frame
    members = tuple(state.value(K.COMBINE_COLUMNS))
    kind = state.value(K.COMBINE_KIND)
    if len(members) < 2:
        state.put(K.COMBINED, ("error", "Pick two or more 0/1 columns to combine into one task."))
        return
    try:
        task = make_task(frame, state.value(K.COMBINE_NAME).strip() or "+".join(members), members,
                         None if kind == "infer" else kind)
    except DataError as error:
        state.put(K.COMBINED, ("error", str(error)))
        return
    state.set_tasks((*[t for t in state.tasks() if t.name != task.name], task))
    state.put(K.COMBINED, ("added", f"Added task `{task.name}` ({task.kind}, {len(members)} columns)."))
    state.put(K.COMBINE_NAME, "")  # a second task starts empty; an error above keeps them to fix
    state.put(K.COMBINE_COLUMNS, [])


@st.cache_data(max_entries=16, show_spinner=False)
def zero_one_columns(fingerprint: str, _frame: pd.DataFrame) -> list[str]:
    """The columns that hold only 0 and 1 (True and False, or yes/no words) besides missing values: the ones a
    combined task can be made of."""
    def zero_one(series: pd.Series) -> bool:
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            return yes_no_values(series) is not None
        values = pd.unique(series.dropna())
        return len(values) > 0 and set(values.tolist()) <= {0, 1}

    return [column for column in _frame.columns if zero_one(_frame[column])]


@st.cache_data(max_entries=16, show_spinner=False)
def two_word_columns(fingerprint: str, _frame: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Text columns of two values other than yes/no words (``male``/``female``): a combined task cannot take
    them until they are saved as 0/1."""
    found = {}
    for column in _frame.columns:
        series = _frame[column]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            continue
        if yes_no_values(series) is not None:  # offered: yes/no words read as 1/0
            continue
        values = series.dropna().unique()
        if len(values) == 2:
            found[str(column)] = tuple(sorted(map(str, values)))
    return found


def two_word_note(data: Dataset) -> str | None:
    """Why the flags spelt in words are not offered to combine, and the fix, or None."""
    flags = two_word_columns(data.fingerprint, data.frame)
    if not flags:
        return None
    listed = ", ".join(f"{column} ({'/'.join(values)})" for column, values in list(flags.items())[:4])
    more = f" and {len(flags) - 4} more" if len(flags) > 4 else ""
    one = len(flags) == 1
    return (f"Not offered: {listed}{more} {'holds' if one else 'hold'} two words, neither 0/1 nor yes/no; save "
            f"{'it' if one else 'them'} as 0/1 in the file to combine {'it' if one else 'them'} "
            f"({'it' if one else 'each'} can be a binary task as it is).")


def combine_columns(data: Dataset) -> None:
    """The form that makes one task of several 0/1 columns, and what its last Add task did."""
    outcome, message = state.take(K.COMBINED, (None, None))
    if outcome == "error":
        st.error(message)
    elif outcome == "added":
        st.success(message)
    options = zero_one_columns(data.fingerprint, data.frame)
    picked = state.value(K.COMBINE_COLUMNS) or []
    if any(column not in options for column in picked):  # picked on another dataset
        state.put(K.COMBINE_COLUMNS, [column for column in picked if column in options])
    # open after an add or an error (the message above moves it, which would close it): the picks stay in view
    with st.expander("Combine several columns into one task (multi-label or one-hot)", expanded=outcome is not None), \
            st.form(K.COMBINE_FORM, clear_on_submit=False):
        st.text_input("Task name", key=K.COMBINE_NAME)
        st.multiselect("0/1 columns", options, key=K.COMBINE_COLUMNS,
                       placeholder="Choose columns" if options else "No column holds only 0 and 1",
                       help="The columns that hold only 0 and 1, or yes and no (true/false), missing values "
                            "allowed: each becomes one label of the task.")
        if note := two_word_note(data):
            st.caption(note)
        st.selectbox("Kind", ["infer", "multilabel", "multiclass"], key=K.COMBINE_KIND)
        st.form_submit_button("Add task", on_click=add_combined_task)


# --------------------------------------------------------------------------- look at the data

def preview_columns(data: Dataset) -> list[str]:
    """Every column of a narrow table; of a wide one, the task and role columns first, then the next ones.

    Sending 200 rows of 10,000 columns to the browser took seconds on every rerun.
    """
    frame = data.frame
    if frame.shape[1] <= PREVIEW_COLUMNS:
        return list(frame.columns)
    roles = [data.id_column, data.group_column, data.time_column]
    first = [c for t in state.tasks() for c in t.columns] + [c for c in roles if c]
    first = list(dict.fromkeys(first))[:PREVIEW_COLUMNS]
    rest = [c for c in frame.columns[: 2 * PREVIEW_COLUMNS] if c not in first]
    return first + rest[: PREVIEW_COLUMNS - len(first)]


def look(data: Dataset) -> None:
    """The first rows (the task and role columns first) and a summary of every column."""
    frame = data.frame
    preview, summary = st.tabs(["Preview", "Column summary"])
    with preview:
        shown_columns = preview_columns(data)
        st.dataframe(frame[shown_columns].head(200), width="stretch", height=320)
        st.caption(f"First {min(200, len(frame))} of {len(frame):,} rows"
                   + (f"; {len(shown_columns)} of {frame.shape[1]:,} columns (tasks and roles first): "
                      "the column summary lists them all." if len(shown_columns) < frame.shape[1] else "."))
    with summary:
        st.dataframe(compute.column_summary(data.fingerprint, frame), hide_index=True, width="stretch", height=320)


def show_metrics(metrics, data: Dataset, tasks: tuple[Task, ...], config: SplitConfig) -> None:
    """Rows, columns, tasks and features, in ``metrics`` (the slot under the name), from the work as it now is.

    The features are the one feature list of core.training._features (a task's source columns, the group, time and id
    columns, ids and free text are never model inputs).
    """
    features = compute.features(data, tasks, config)
    frame = data.frame
    with metrics:
        rows, cols, tasks_metric, features_metric = st.columns(4)
        source = None if data.builtin else large.source_of(data.fingerprint)
        if source is not None and source.sampled:  # the data's rows; the sample's are what the page shows
            rows.metric("Rows", f"{source.n_rows:,}", help=f"{source.sample_rows:,} of them sampled: the tables, "
                        "the drill-down and the Model page show the sample; the split and its scores cover every row.")
        else:
            rows.metric("Rows", f"{len(frame):,}")
        cols.metric("Columns", f"{frame.shape[1]:,}")
        tasks_metric.metric("Tasks chosen", len(tasks))
        features_metric.metric("Features", f"{len(features):,}", help="Columns a model learns from: not a task, "
                               "a group, time or id column, an id or free text (the Model page lists them).")


def render(current: Dataset) -> None:
    """The Data page, opening on the session's dataset ``current`` (which the source picked may replace)."""
    st.title("Data")
    st.caption("Pick a dataset and the columns to predict. Everything else in TaskSplit follows from this.")
    choose_source(current)
    data = state.dataset()
    metrics = header(data)
    note = guessed_note(data)
    if note:
        st.info(note)
    data = choose_roles(data)
    propose_groups(data)
    choose_tasks(data)
    offer_to_remove_guesses(data)
    combine_columns(data)
    look(data)
    # drawn last, from the tasks and roles as this run left them
    show_metrics(metrics, state.dataset(), state.tasks(), state.split_config())


render(state.dataset())
