"""The dashboard's session keys: the work's keys, and one class of widget and plain keys per page.

Every key of ``st.session_state`` is spelled here and nowhere else (``tests/test_dashboard_state.py``
checks it); pages reach them as ``state.DataKeys.SOURCE`` and so on.
"""

from __future__ import annotations

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
CHOICES = "linked_choices"     # dict[str, str | list[str]]: the Model page's choices as the address carries them
CHOICE_DEFAULTS = "choice_defaults"  # dict[str, object]: the default of each Model page widget drawn, by key
FEATURES_SHOWN = "features_shown"  # (widget key, default columns, data fingerprint) of the feature picker last drawn

# Widget keys start with their page's prefix. Their values are kept while another page shows
# (keep_widget_values), except the widgets drawn from the work itself (dataset, tasks, roles, split):
# those follow the work, which a link, a workspace file or another page may have changed meanwhile.
KEPT_WIDGETS = "kept_widgets"  # dict[str, object]: the last value of every page's keyed widget
PAGE_PREFIXES = {"Data": "data_", "Split": "split_", "Diagnostics": "diag_", "Model": "model_", "Export": "export_"}
DRAWN_FROM_WORK = ("data_builtin", "data_source", "data_syn_", "data_tasks_", "data_kind_", "data_group_",
                   "data_time_", "data_id_", "split_", "model_features_")


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
    KEPT = "data_upload_kept"             # str: what an upload kept of the work on the file before it, said once
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
    LAST_LOSSES = "model_last_losses"    # after a reload: the last run's curves, from its folder
    LAST_DOWNLOAD = "model_last_download"  # and its metrics.json

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
    OTHER_DATA = "export_other_data"  # button: use a workspace of other data (all its columns here) on this data
    CSV = "export_csv"
    PARQUET = "export_parquet"
    WORKSPACE = "export_config"
    BUILD_REPORT = "export_build_report"
    REPORT = "export_report"
    SPLIT_CONFIG = "export_split_config"  # download: the split config alone (a large dataset's cluster command reads it)
