"""Every session_state key of the dashboard, in one place, with typed accessors.

Pages read and write the session through ``from dashboard import state`` only, so a key is never
spelled twice. The package holds:

- ``_keys``: the work's keys and one class of keys per page (:class:`DataKeys`, :class:`SplitKeys`,
  :class:`DiagnosticsKeys`, :class:`ModelKeys`, :class:`AffinityKeys`, :class:`ModelDesignKeys`,
  :class:`ExportKeys`);
- ``_work``: typed accessors of the work (dataset, tasks, split config, roles, workspace, the uploaded
  file) and :func:`value`, :func:`put`, :func:`take` and :func:`forget` for the pages' own keys;
- ``_jobs``: the session's training run, task-affinity jobs and queue of runs;
- ``_link``: the first visit (:func:`init` loads the work a page address names, else the default dataset
  with its suggested tasks and a split, so every page has content at once) and the address of the work;
- ``_widgets``: widget values kept while another page shows;
- ``_choices``: the Model page's choices in the page address (:func:`linked` and its kin give its widgets
  their defaults), so a reload keeps them.

No other file indexes ``st.session_state`` (a test checks it).
"""

from dashboard.state._choices import linked, linked_features, linked_index
from dashboard.state._jobs import (
                                   affinity_job,
                                   cancel_queue,
                                   run_queue,
                                   set_queue,
                                   set_training,
                                   start_affinity_job,
                                   start_queue,
                                   start_training,
                                   stop_affinity_jobs,
                                   stop_training,
                                   training,
)
from dashboard.state._keys import (
                                   AFFINITY_JOBS,
                                   DATASET,
                                   DRAWN_FROM_WORK,
                                   KEPT_WIDGETS,
                                   LINK_NOTES,
                                   PAGE_PREFIXES,
                                   RUN_QUEUE,
                                   SESSION_TOKEN,
                                   SPLIT_CONFIG,
                                   SPLIT_PROBLEM,
                                   SPLIT_WIDGETS,
                                   TASKS,
                                   TRAINING,
                                   UPLOAD,
                                   AffinityKeys,
                                   DataKeys,
                                   DiagnosticsKeys,
                                   ExportKeys,
                                   ModelDesignKeys,
                                   ModelKeys,
                                   SplitKeys,
)
from dashboard.state._link import init, take_link_notes, write_link
from dashboard.state._widgets import keep_widget_values, remember_widget_values
from dashboard.state._work import (
                                   UPLOAD_BYTES_KEPT,
                                   UPLOADS_KEPT,
                                   apply_workspace,
                                   clear_split_problem,
                                   dataset,
                                   default_split_config,
                                   forget,
                                   keep_work,
                                   put,
                                   session_token,
                                   set_dataset,
                                   set_roles,
                                   set_split_config,
                                   set_split_problem,
                                   set_tasks,
                                   split_config,
                                   split_problem,
                                   split_widget_version,
                                   take,
                                   tasks,
                                   upload_name,
                                   value,
                                   workspace,
)

__all__ = [
    # keys
    "DATASET", "TASKS", "SPLIT_CONFIG", "TRAINING", "AFFINITY_JOBS", "RUN_QUEUE", "SPLIT_WIDGETS", "LINK_NOTES",
    "SPLIT_PROBLEM", "UPLOAD", "SESSION_TOKEN", "KEPT_WIDGETS", "PAGE_PREFIXES", "DRAWN_FROM_WORK",
    "DataKeys", "SplitKeys", "DiagnosticsKeys", "ModelKeys", "AffinityKeys", "ModelDesignKeys", "ExportKeys",
    # the work
    "UPLOADS_KEPT", "UPLOAD_BYTES_KEPT", "dataset", "tasks", "split_config", "default_split_config", "set_dataset",
    "upload_name", "workspace", "apply_workspace", "set_roles", "set_tasks", "set_split_config", "split_problem",
    "set_split_problem", "clear_split_problem", "split_widget_version", "value", "put", "take", "forget", "keep_work",
    "session_token",
    # jobs
    "training", "set_training", "start_training", "stop_training", "affinity_job", "start_affinity_job",
    "stop_affinity_jobs", "run_queue", "set_queue", "start_queue", "cancel_queue",
    # the first visit and the link; widget values across pages
    "init", "take_link_notes", "write_link", "keep_widget_values", "remember_widget_values",
    # the Model page's choices in the address
    "linked", "linked_index", "linked_features",
]
