"""Every session_state key of the dashboard, in one place, with typed accessors.

Pages read and write the session through these functions only, so a key is
never spelled twice: the work (dataset, tasks, split, training run) has typed
accessors; each page's widget keys and its own plain keys are declared in one
class per page (:class:`DataKeys`, :class:`SplitKeys`, :class:`DiagnosticsKeys`,
:class:`ModelKeys`, :class:`ExportKeys`) and read through :func:`value`,
:func:`put`, :func:`take` and :func:`forget`. No other file indexes
``st.session_state`` (a test checks it). On the first visit :func:`init` loads
the default dataset, selects its suggested tasks and a group split, so every
page has content at once.
"""

from __future__ import annotations

import datetime
import threading
import uuid
from collections import OrderedDict
from dataclasses import replace

import streamlit as st

from core.data import DEFAULT_DATASET, Dataset, with_roles
from core.errors import DataError, TaskSplitError
from core.report import Workspace, check_tasks
from core.splits import STRATEGIES, SplitConfig
from core.tasks import Task
from dashboard import compute, link
from dashboard.affinity_jobs import AffinityJob
from dashboard.run_queue import RunQueue
from dashboard.training_run import RunRequest, TrainingRun

# The session's working state. Widget keys are declared per page below, prefixed by page.
DATASET = "dataset"            # core.data.Dataset: the table and its column roles
TASKS = "tasks"                # tuple[core.tasks.Task]: the chosen prediction targets
SPLIT_CONFIG = "split_config"  # core.splits.SplitConfig: how to split
TRAINING = "training"          # dashboard.training_run.TrainingRun or None: the live or last run
AFFINITY_JOBS = "affinity_jobs"  # dict[str, dashboard.affinity_jobs.AffinityJob]: the Model page's TAG / grouping jobs
RUN_QUEUE = "run_queue"        # dashboard.run_queue.RunQueue or None: the queued runs (repeat with seeds)
SPLIT_WIDGETS = "split_widgets_version"  # int: bumped when the config is set from outside the Split page
LINK_NOTES = "link_notes"      # list[str]: what a page address asked for that could not be used, shown once
SPLIT_PROBLEM = "split_problem"  # (settings in words, why) or None: the Split page's settings made no split
UPLOAD = "upload"              # (content digest, file name) of the uploaded file the dataset came from, or None
SESSION_TOKEN = "session_token"  # str: this session's own random id, which shared server stores file its things under
UPLOADS_KEPT = 8               # uploaded files the server keeps for reloads (shared by sessions, by content digest)
UPLOAD_BYTES_KEPT = 1_000_000_000  # and at most this many bytes of them, the newest first

# Widget keys start with their page's prefix. Their values are kept while another page shows
# (keep_widget_values), except the widgets drawn from the work itself (dataset, tasks, roles, split):
# those follow the work, which a link, a workspace file or another page may have changed meanwhile.
KEPT_WIDGETS = "kept_widgets"  # dict[str, object]: the last value of every page's keyed widget
PAGE_PREFIXES = {"Data": "data_", "Split": "split_", "Diagnostics": "diag_", "Model": "model_", "Export": "export_"}
DRAWN_FROM_WORK = ("data_builtin", "data_source", "data_syn_", "data_tasks_", "data_kind_", "data_group_",
                   "data_time_", "data_id_", "split_", "model_features_")
_KEPT_SCALARS = (bool, int, float, str, datetime.date, datetime.time)


class DataKeys:
    """The Data page's widget keys and its own session keys (all start with ``data_``)."""

    SOURCE = "data_source"                # radio: built-in dataset, upload, or a large dataset on the server
    PATH_FORM = "data_path_form"          # form: open a large dataset by its path on the server
    PATH = "data_path"                    # text input: that path (a Parquet folder or glob)
    SAMPLE_ROWS = "data_sample_rows"      # number input: rows of it sampled for tables, drill-down and the Model page
    BUILTIN = "data_builtin"              # selectbox: the built-in dataset
    SYNTHETIC_ROWS = "data_syn_rows"      # number inputs: the synthetic dataset's size
    SYNTHETIC_LABELS = "data_syn_labels"
    UPLOADER = "data_upload"              # file uploader
    UPLOAD_DIGEST = "data_upload_digest"  # str: content digest of the file last read, so a rerun does not read it again
    REPLACED = "data_upload_replaced"     # list[str]: the tasks an upload just replaced, said once
    COMBINED = "data_combine_result"      # ("error" | "added", message) of the last Add task, said once
    TASKS_SHOWN = "data_tasks_shown"      # list[str]: the task names the Tasks multiselect was last given
    REFUSED = "data_tasks_refused"        # list[str]: why picked columns could not be tasks, said on the next rerun
    REMOVE_GUESSED = "data_remove_guessed"  # button
    COMBINE_FORM = "data_combine"         # form: combine columns into one task
    COMBINE_NAME = "data_combine_name"
    COMBINE_COLUMNS = "data_combine_columns"
    COMBINE_KIND = "data_combine_kind"

    @staticmethod
    def role(role: str, fingerprint: str) -> str:
        """Selectbox of a column role (``group``, ``time``, ``id``), one per dataset."""
        return f"data_{role}_{fingerprint}"

    @staticmethod
    def use_group(column: str) -> str:
        """Button: use ``column`` as the group column."""
        return f"data_use_group_{column}"

    @staticmethod
    def tasks(fingerprint: str) -> str:
        """Multiselect of the tasks, one per dataset."""
        return f"data_tasks_{fingerprint}"

    @staticmethod
    def kind(fingerprint: str, task: str) -> str:
        """Selectbox of a task's kind."""
        return f"data_kind_{fingerprint}_{task}"


class SplitKeys:
    """The Split page's widget keys (all start with ``split_``)."""

    STRIP = "split_strip"  # charts
    SIZES = "split_sizes"

    @staticmethod
    def control(name: str, version: int) -> str:
        """A setting's widget; the key carries the config version, so a config set elsewhere redraws it."""
        return f"split_{name}_{version}"


class DiagnosticsKeys:
    """The Diagnostics page's widget keys and its own session keys (all start with ``diag_``)."""

    DISTRIBUTION = "diag_dist"            # chart, clickable
    COOCCURRENCE_VIEW = "diag_cooc_view"
    COOCCURRENCE_MEASURE = "diag_cooc_measure"
    COOCCURRENCE_NEGATIVES = "diag_cooc_negatives"
    COOCCURRENCE_CHART = "diag_cooc_chart"  # chart, clickable
    ASSOCIATION = "diag_association"      # chart
    DRILL = "diag_drill"                  # container: the element a click scrolls to (CSS class st-key-diag_drill)
    DRILLS = "diag_drills"                # dict: the drill-down (core.figures.Drill) of each dataset and task list
    DRILL_SCOPE = "diag_drill_scope"      # str: the scope the drill-down pickers were last drawn for
    DRILL_SPLIT = "diag_drill_split"      # the drill-down's pickers: a split and up to two labels
    DRILL_LABEL = "diag_drill_a"
    DRILL_OTHER_LABEL = "diag_drill_b"
    DRILL_PICKERS = (DRILL_SPLIT, DRILL_LABEL, DRILL_OTHER_LABEL)
    DRILL_ROWS = "diag_drill_rows"        # table
    SEEN = "diag_seen_selections"         # dict: the last selection seen per chart, to tell a new click from an old one
    CLICKS = "diag_drill_clicks"          # int: clicks that set the drill-down; each new one scrolls to it once
    COMPARE_RUN = "diag_compare_run"      # button: compare strategies on large data
    COMPARE_CHART = "diag_compare_chart"

    @staticmethod
    def compared(fingerprint: str) -> str:
        """bool: strategies were asked to be compared on this (large) dataset."""
        return f"diag_compare_{fingerprint}"


class ModelKeys:
    """The Model page's widget keys (all start with ``model_``)."""

    WIDTH = "model_width"
    DEPTH = "model_depth"
    DROPOUT = "model_dropout"
    NORM = "model_norm"
    EPOCHS = "model_epochs"
    BATCH = "model_batch"
    LR = "model_lr"
    PATIENCE = "model_patience"
    SEED = "model_seed"
    WEIGHTING = "model_weighting"
    TEST_FOLD = "model_test_fold"
    BASELINES = "model_baselines"
    TRAIN = "model_train"
    STOP = "model_stop"
    SMOOTHING = "model_smoothing"
    LOG_SCALE = "model_log"
    LOSSES = "model_losses"  # charts and the metrics download
    WEIGHTS = "model_weights"
    GAIN = "model_gain"
    DOWNLOAD = "model_download"
    RUNS_DIR = "model_runs_dir"          # text input: the folder of run folders
    RUNS_TABLE = "model_runs_table"      # table of runs, rows selectable
    RUNS_CURVES = "model_runs_curves"    # chart: the selected runs' curves overlaid
    RUNS_PART = "model_runs_part"        # segmented control: train or val loss
    RUNS_SMOOTHING = "model_runs_smoothing"
    RUNS_LOG_X = "model_runs_log_x"
    RUNS_LOG_Y = "model_runs_log_y"
    RUNS_REPEAT = "model_runs_repeat"    # button: repeat the selected setting with 3 seeds
    RUNS_CANCEL = "model_runs_cancel"    # button: cancel the queue

    @staticmethod
    def features(fingerprint: str, tasks: str, roles: str) -> str:
        """Multiselect of the feature columns: other data, tasks or role columns get a new default."""
        return f"model_features_{fingerprint[:12]}_{tasks}_{roles}"

    @staticmethod
    def weight(task: str) -> str:
        """Number input of a task's manual loss weight."""
        return f"model_w_{task}"

    @staticmethod
    def confusion(task: str) -> str:
        """Chart of a task's confusion matrix."""
        return f"model_confusion_{task}"


class AffinityKeys:
    """The Model page's task affinity section (``views/model_affinity.py``); keys start with ``model_affinity_``."""

    HEATMAP = "model_affinity_heatmap"          # chart: the last epoch's gradient cosine (live)
    LOOKAHEAD = "model_affinity_lookahead"      # button: measure the lookahead affinity (TAG)
    LOOKAHEAD_MAP = "model_affinity_tag_map"    # chart: the lookahead affinity
    MAX_GROUPS = "model_affinity_max_groups"    # number input: at most this many groups
    TRAIN_GROUPS = "model_affinity_train"       # button: train the suggested grouping
    STOP = "model_affinity_stop"                # button: stop the job

    @staticmethod
    def source(choices: int) -> str:
        """Selectbox: which affinity the grouping reads; a new key once TAG is measured, so it then defaults to TAG."""
        return f"model_affinity_source_{choices}"


class ModelDesignKeys:
    """The Model page's design widgets (``dashboard/views/model_design.py``): architecture and loss combination."""

    ARCHITECTURE = "model_design_architecture"
    COUPLING = "model_design_coupling"
    EXPERTS = "model_design_experts"
    NORMALIZE = "model_design_normalize"
    OFFER_NORMALIZE = "model_design_offer_normalize"  # the loss-scale warning's button
    GATES = "model_design_gates"  # the MMoE gates chart

    @staticmethod
    def head_depth(task: str) -> str:
        """Number input of the trunk layer a task's head reads (hierarchical)."""
        return f"model_design_depth_{task}"


class ExportKeys:
    """The Export page's widget keys (all start with ``export_``)."""

    CONFIG_UPLOAD = "export_config_upload"
    CSV = "export_csv"
    PARQUET = "export_parquet"
    WORKSPACE = "export_config"
    BUILD_REPORT = "export_build_report"
    REPORT = "export_report"
    SPLIT_CONFIG = "export_split_config"  # download: the split config alone (a large dataset's cluster command reads it)


def init() -> None:
    """Fill the session once: the work the page address names, else the default dataset and a split."""
    if DATASET in st.session_state:
        return
    notes: list[str] = []
    name = st.query_params.get("dataset")
    digest = st.query_params.get("upload")
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
    if data is None:
        set_dataset(compute.builtin_dataset(DEFAULT_DATASET))
    else:
        _apply_link(data, notes)
    st.session_state[LINK_NOTES] = notes


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


def _restore_upload(digest: str, name: str, notes: list[str]) -> Dataset | None:
    """The dataset of the upload the address names, or None with a note saying it is gone."""
    files, lock = _uploads()
    with lock:
        kept = files.get(digest)
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
    if not any(f"role_{role}" in st.query_params for role in link.ROLES):
        return data  # an address without roles: the ones read from the file
    roles = {role: st.query_params.get(f"role_{role}") or None for role in link.ROLES}
    missing = [column for column in roles.values() if column and column not in data.frame.columns]
    if missing:
        notes.append(f"The link's column role(s) {', '.join(missing)} are not columns of {filename}; "
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
    params = {key: st.query_params.get(key) for key in st.query_params if key not in link.NOT_SPLIT}
    if params:
        try:
            set_split_config(link.config_from_params(params))
        except TaskSplitError as error:
            notes.append(f"The link's split settings were not used: {error}")


def keep_widget_values(page_title: str) -> None:
    """Put back the last values of the widgets of every page but ``page_title`` (the one this run draws).

    Streamlit forgets a widget's value once a run does not draw it, and on a page switch before the new
    page's run even starts, so leaving a page reset it. :func:`remember_widget_values` notes every value
    at the end of each run; here, at the start of a run, the other pages' values are written back under
    their keys as plain session state. Plain state outlives runs and page switches, and when its page is
    drawn again the widget takes the value up (and Streamlit shows it in the browser). A value is never
    written in a run that draws its widget, so Streamlit's "created with a default value but also had its
    value set via the Session State API" check does not fire. A kept choice that is no longer among a
    widget's options (another dataset, another split) falls back to the widget's default, as Streamlit
    does for any stale selectbox value.
    """
    own = PAGE_PREFIXES.get(page_title)
    for key, value in st.session_state.get(KEPT_WIDGETS, {}).items():
        if own and key.startswith(own):
            continue
        st.session_state[key] = value
        del st.session_state[key]  # unties the key from its old widget, so the value is stored under the key
        st.session_state[key] = value


def remember_widget_values(page_title: str | None = None) -> None:
    """Note the values of the keyed widgets, for :func:`keep_widget_values`.

    app.py calls it after every run with the page it drew: that page's values replace the ones noted
    before (a value its run dropped is dropped). A fragment whose widgets should be kept calls it at its
    end without a page (a fragment's rerun does not run app.py): its values are added. Only plain values
    are kept (numbers, text, booleans, dates, lists of them): file uploads, chart selections and tables
    cannot be set through the session state, and widgets drawn from the work itself
    (:data:`DRAWN_FROM_WORK`) follow the work.
    """
    own = PAGE_PREFIXES.get(page_title) if page_title else None
    prefixes = (own,) if own else tuple(PAGE_PREFIXES.values())
    kept = dict(st.session_state.get(KEPT_WIDGETS, {}))
    if own:
        kept = {key: value for key, value in kept.items() if not key.startswith(own)}
    for key in list(st.session_state.keys()):
        if not isinstance(key, str) or not key.startswith(prefixes) or key.startswith(DRAWN_FROM_WORK):
            continue
        value = st.session_state[key]
        if _keepable(value):
            kept[key] = value
    st.session_state[KEPT_WIDGETS] = kept


def _keepable(value: object) -> bool:
    if isinstance(value, (list, tuple)):
        return all(isinstance(item, _KEPT_SCALARS) for item in value)
    return isinstance(value, _KEPT_SCALARS)


def take_link_notes() -> list[str]:
    """What the page address asked for that could not be used; empty after the first call."""
    return st.session_state.pop(LINK_NOTES, [])


def write_link() -> None:
    """Put the current dataset, tasks and split in the page address (no-op when it already says so)."""
    wanted = link.to_params(dataset(), tasks(), split_config(), upload=upload_name())
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


def upload_name() -> tuple[str, str] | None:
    """``(content digest, file name)`` of the uploaded file the current dataset was read from, else None."""
    return st.session_state.get(UPLOAD)


def workspace() -> Workspace:
    """The current work as a workspace file's content (the Export page writes it)."""
    return Workspace.of(dataset(), tasks(), split_config())


def apply_workspace(saved: Workspace) -> bool:
    """Make ``saved``'s tasks, roles and split the session's, when it was made on the current data.

    Returns whether anything changed. A workspace of other data is a :class:`DataError` naming the data it
    was made for.
    """
    data = dataset()
    if not saved.fits(data):
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


def training() -> TrainingRun | None:
    """The session's training run, live or finished; None before the first (or after a new dataset)."""
    return st.session_state.get(TRAINING)


def set_training(run: TrainingRun | None) -> None:
    """Make ``run`` the session's run; the previous one, if another, is stopped (its thread ends within an epoch).

    The session owns its run: this is the one place a run is replaced, so a replaced run never trains on
    unseen. (``TrainingRun`` also stops itself when garbage-collected, a backstop for a session that ends.)
    """
    previous = st.session_state.get(TRAINING)
    if previous is not None and previous is not run:
        previous.stop()
    st.session_state[TRAINING] = run


def start_training(request: RunRequest) -> TrainingRun:
    """Start a run of ``request`` in its thread as the session's run, stopping the previous one first."""
    set_training(None)
    run = TrainingRun(request)
    set_training(run.start())
    return run


def affinity_job(kind: str) -> AffinityJob | None:
    """The session's last task-affinity job of ``kind`` (``lookahead`` or ``groups``), or None."""
    return st.session_state.get(AFFINITY_JOBS, {}).get(kind)


def start_affinity_job(job: AffinityJob) -> AffinityJob:
    """Start ``job`` as the session's job of its kind; the previous one of that kind is stopped."""
    jobs = dict(st.session_state.get(AFFINITY_JOBS, {}))
    previous = jobs.get(job.kind)
    if previous is not None:
        previous.stop()
    jobs[job.kind] = job.start()
    st.session_state[AFFINITY_JOBS] = jobs
    return job


def stop_affinity_jobs() -> None:
    """Ask every task-affinity job of the session to stop (the Stop button's callback)."""
    for job in st.session_state.get(AFFINITY_JOBS, {}).values():
        job.stop()


def stop_training() -> None:
    """Ask the session's run, if any, to stop (the Stop button's callback)."""
    run = training()
    if run is not None:
        run.stop()


def run_queue() -> RunQueue | None:
    """The session's queue of runs (repeat with seeds), live or finished; None before the first."""
    return st.session_state.get(RUN_QUEUE)


def set_queue(queue: RunQueue | None) -> None:
    """Make ``queue`` the session's queue; the previous one, if another, is cancelled (one queue per session)."""
    previous = st.session_state.get(RUN_QUEUE)
    if previous is not None and previous is not queue:
        previous.cancel()
    st.session_state[RUN_QUEUE] = queue


def start_queue(requests) -> RunQueue:
    """Start working off ``requests`` (``RunRequest``s with a ``runs_dir``) in the background as the session's queue."""
    queue = RunQueue(requests)
    set_queue(queue.start())
    return queue


def cancel_queue() -> None:
    """Cancel the session's queue, if any (the Cancel button's callback): the run in progress stops, the rest drop."""
    queue = run_queue()
    if queue is not None:
        queue.cancel()
