"""Cached computations of the dashboard, keyed by content so a new upload never gets an old result.

Large objects (datasets, split results) go through ``st.cache_resource``, which
shares one read-only object instead of copying it on every hit as
``st.cache_data`` would; pages never mutate them. Small results use
``st.cache_data``. Every function takes the dataset's content hash
(``fingerprint``) as a plain argument and the frame itself with a leading
underscore, so the frame is not hashed on every call but a different frame
always means a different key.
"""

from __future__ import annotations

import hashlib
import logging
from typing import NamedTuple

import pandas as pd
import streamlit as st

from core.data import Dataset, load_builtin, load_file
from core.data import column_summary as _column_summary
from core.splits import WHOLE, SplitConfig, SplitResult, split
from core.tasks import Task
from dashboard import large

log = logging.getLogger(__name__)


@st.cache_resource(max_entries=8, show_spinner="Loading the dataset…")
def builtin_dataset(name: str) -> Dataset:
    return load_builtin(name)


def content_digest(content: bytes) -> str:
    return hashlib.blake2b(content, digest_size=16).hexdigest()


@st.cache_resource(max_entries=4, show_spinner="Reading the file…")
def uploaded_dataset(digest: str, filename: str, _content: bytes) -> Dataset:
    return load_file(_content, filename)


def split_result(fingerprint: str, tasks: tuple[Task, ...], config: SplitConfig, _frame: pd.DataFrame) -> SplitResult:
    """The split of the dataset; of a large one (opened by path), the whole data's split, read on its sample's rows."""
    if large.source_of(fingerprint) is None:
        return _split_in_memory(fingerprint, tasks, config, _frame)
    return whole_split(fingerprint, tasks, config, _frame).sample


@st.cache_resource(max_entries=32, show_spinner="Splitting…")
def _split_in_memory(fingerprint: str, tasks: tuple[Task, ...], config: SplitConfig, _frame: pd.DataFrame
                     ) -> SplitResult:
    return split(_frame, list(tasks), config)


def whole_split(fingerprint: str, tasks: tuple[Task, ...], config: SplitConfig, _frame: pd.DataFrame
                ) -> large.WholeSplit | None:
    """A large dataset's split of every row (made on the cluster with a progress bar the first time), else None."""
    source = large.source_of(fingerprint)
    if source is None:
        return None
    known = large.whole_split_of(fingerprint, tasks, config)
    if known is not None:
        return known
    bar = st.progress(0.0, text=f"Splitting all {source.n_rows:,} rows…")
    try:
        return large.whole_split(source, fingerprint, tasks, config, _frame,
                                 progress=lambda share, text: bar.progress(min(max(share, 0.0), 1.0), text=text))
    finally:
        bar.empty()


@st.cache_data(max_entries=16, show_spinner=False)
def column_summary(fingerprint: str, _frame: pd.DataFrame) -> pd.DataFrame:
    return _column_summary(_frame)


@st.cache_data(max_entries=16, show_spinner=False)
def repeated_ids(fingerprint: str, _frame: pd.DataFrame):
    from core.data import repeated_id_candidates

    return repeated_id_candidates(_frame)


@st.cache_data(max_entries=64, show_spinner=False)
def label_notes(fingerprint: str, task: Task, _frame: pd.DataFrame) -> tuple[str, ...]:
    from core.tasks import label_notes as notes

    return notes(_frame, task)


@st.cache_data(max_entries=64, show_spinner=False)
def duplicate_tasks(fingerprint: str, tasks: tuple[Task, ...], _frame: pd.DataFrame) -> tuple[str, ...]:
    from core.tasks import duplicate_task_notes

    return duplicate_task_notes(_frame, tasks)


@st.cache_data(max_entries=16, show_spinner=False)
def strip_order(fingerprint: str, by: tuple[str, ...], _frame: pd.DataFrame):
    from core.figures import strip_order as order

    return order(_frame, list(by))


@st.cache_data(max_entries=16, show_spinner=False)
def time_strip_order(fingerprint: str, time_column: str, group_column: str | None, group_time: str, _frame):
    """Rows in the order a time split placed them (``core.splits.time_order``)."""
    from core.splits import time_order

    config = SplitConfig(strategy="time", time_column=time_column, group_column=group_column,
                         group_time=group_time)
    return time_order(_frame, config)


# --------------------------------------------------------------------------- Diagnostics page (issue 5)
# Keyed on (fingerprint, tasks, config): together they fix the assignment, so the
# assignment itself is passed unhashed (leading underscore). The encoded tasks
# (a sparse matrix as long as the data) and the split codes are shared objects
# (cache_resource); the diagnostics are small frames (cache_data, copied per hit).


@st.cache_resource(max_entries=8, show_spinner="Encoding the tasks…")
def encoded_tasks(fingerprint: str, tasks: tuple[Task, ...], n_bins: int, _frame: pd.DataFrame):
    from core.tasks import encode_tasks

    return encode_tasks(_frame, tasks, n_bins)


@st.cache_resource(max_entries=16, show_spinner=False)
def assignment_codes(fingerprint: str, tasks: tuple[Task, ...], config: SplitConfig, _assignment: pd.Series):
    """Split code per row (-1 excluded) and the split names, for drill-down masks."""
    from core.splits import split_codes

    return split_codes(_assignment.to_numpy(), len(_assignment))


@st.cache_data(max_entries=16, show_spinner="Counting labels per split…")
def label_distribution(fingerprint: str, tasks: tuple[Task, ...], config: SplitConfig, _frame, _assignment):
    from core.diagnostics import label_distribution as distribution

    encoded = encoded_tasks(fingerprint, tasks, config.n_bins, _frame)
    return distribution(_frame, encoded, _assignment, n_bins=config.n_bins)


@st.cache_data(max_entries=16, show_spinner="Scoring the split…")
def split_scores(fingerprint: str, tasks: tuple[Task, ...], config: SplitConfig, _frame, _assignment):
    """The scorecard (one verdict per score, judged on what the strategy promises) and the per task and split scores."""
    from core.diagnostics import judge_split

    encoded = encoded_tasks(fingerprint, tasks, config.n_bins, _frame)
    _, scores, card = judge_split(_frame, encoded, _assignment, config)
    return card, scores.to_frame()


@st.cache_data(max_entries=16, show_spinner="Checking for leakage (sampled on large data)…")
def leakage_report(
    fingerprint: str, tasks: tuple[Task, ...], config: SplitConfig, group_column: str | None,
    feature_columns: tuple[str, ...], _frame, _assignment,
):
    """The whole leakage report (checks and the predictor scores), once per data, split and features."""
    from core.diagnostics import leakage

    return leakage(
        _frame, _assignment, tasks=tasks, group_column=group_column, time_column=config.time_column,
        feature_columns=list(feature_columns), seed=config.seed, group_time=config.time_groups,
    )


def leakage_checks(
    fingerprint: str, tasks: tuple[Task, ...], config: SplitConfig, group_column: str | None,
    feature_columns: tuple[str, ...], _frame, _assignment,
) -> pd.DataFrame:
    """The leakage table; ``group_column`` is the dataset's group even when the split ignores it."""
    return leakage_report(fingerprint, tasks, config, group_column, feature_columns, _frame, _assignment).to_frame()


# --------------------------------------------------------------------------- features (issue 12)
# The one feature list of core.data.feature_columns, for the current tasks and the roles of both
# the dataset and the split. Telling id-like columns apart counts every column's values (1.6 s on a
# million rows), so that part is cached per table; the rest is set arithmetic, done on every call.


def features(data: Dataset, tasks: tuple[Task, ...], config: SplitConfig) -> tuple[str, ...]:
    """The model features now: the dataset's curated list or every column, minus tasks, roles and ids."""
    from core.data import feature_columns

    id_like = None if data.feature_columns else id_like_columns(data.fingerprint, data.frame)
    return tuple(feature_columns(
        data, tasks, group_column=config.group_column, time_column=config.time_column, id_column=config.id_column,
        exclude=[config.split_column] if config.split_column else (), id_like=id_like,
    ))


@st.cache_data(max_entries=16, show_spinner="Looking for id and free-text columns…")
def id_like_columns(fingerprint: str, _frame: pd.DataFrame) -> dict[str, str]:
    """Columns that look like ids, row numbers or free text, with why (``core.data._feature_columns.id_like_columns``)."""
    from core.data import id_like_columns as id_like

    return id_like(_frame)


@st.cache_data(max_entries=64, show_spinner=False)
def cooccurrence_pairs(
    fingerprint: str, tasks: tuple[Task, ...], config: SplitConfig, split: str | None, _frame, _assignment
) -> pd.DataFrame:
    """``Cooccurrence.to_frame()`` of one split (None: all rows but excluded ones)."""
    from core.diagnostics import cooccurrence

    encoded = encoded_tasks(fingerprint, tasks, config.n_bins, _frame)
    return cooccurrence(_frame, encoded, _assignment, split, n_bins=config.n_bins).to_frame()


@st.cache_data(max_entries=64, show_spinner=False)
def cooccurrence_shift_pairs(
    fingerprint: str, tasks: tuple[Task, ...], config: SplitConfig, split_a: str, split_b: str, _frame, _assignment
) -> pd.DataFrame:
    """``CooccurrenceShift.to_frame()``: P(column | row) in ``split_b`` minus in ``split_a``."""
    from core.diagnostics import cooccurrence_shift

    encoded = encoded_tasks(fingerprint, tasks, config.n_bins, _frame)
    return cooccurrence_shift(_frame, encoded, _assignment, split_a, split_b, n_bins=config.n_bins).to_frame()


@st.cache_data(max_entries=16, show_spinner="Measuring task association…")
def task_association(fingerprint: str, tasks: tuple[Task, ...], config: SplitConfig, _frame, _assignment):
    from core.diagnostics import task_association as association

    encoded = encoded_tasks(fingerprint, tasks, config.n_bins, _frame)
    return association(_frame, encoded, _assignment, n_bins=config.n_bins)


@st.cache_data(max_entries=8, show_spinner="Splitting with each strategy and scoring it…")
def strategy_comparison(
    fingerprint: str, tasks: tuple[Task, ...], configs: tuple[tuple[str, SplitConfig], ...],
    group_column: str | None, _frame,
) -> pd.DataFrame:
    """``StrategyComparison.to_frame()`` only: its split results would be copied on every hit."""
    from core.diagnostics import compare_strategies

    return compare_strategies(_frame, tasks, dict(configs), group_column=group_column).to_frame()


def _clickable(figure):
    """The layout a chart drawn with ``on_select="rerun", selection_mode="points"`` gets, set before it is sent.

    Streamlit's chart sets ``clickmode``, ``dragmode`` and ``hovermode`` in the browser when the figure
    lacks them, and a new ``clickmode`` makes plotly.js draw the whole chart a second time.
    """
    return figure.update_layout(clickmode="event+select", dragmode="pan", hovermode="closest")


@st.cache_resource(max_entries=32, show_spinner="Drawing the label distributions…")
def distribution_figure(fingerprint: str, tasks: tuple[Task, ...], config: SplitConfig, _frame, _assignment):
    """Every task's label distribution in one faceted figure, shared: plotly validation is the slow part.

    st.plotly_chart copies a figure (``to_dict``) before drawing it, so a shared figure is never changed.
    """
    from core.figures import label_distribution_grid

    distribution = label_distribution(fingerprint, tasks, config, _frame, _assignment)
    return _clickable(label_distribution_grid(distribution.counts, distribution.histogram))


@st.cache_resource(max_entries=32, show_spinner=False)
def association_figure(fingerprint: str, tasks: tuple[Task, ...], config: SplitConfig, split: str, _frame,
                       _assignment):
    """The task association heatmap of ``split`` (``all``: every row but excluded ones)."""
    from core.figures import association_heatmap

    association = task_association(fingerprint, tasks, config, _frame, _assignment)
    rows = "all data" if split == WHOLE else split
    return association_heatmap(association.matrices[split], title=f"Task association, Cramér's V ({rows})")


@st.cache_resource(max_entries=16, show_spinner=False)
def comparison_figure(fingerprint: str, tasks: tuple[Task, ...], configs: tuple[tuple[str, SplitConfig], ...],
                      group_column: str | None, recommended: str | None, _comparison: pd.DataFrame):
    """The strategy comparison chart; ``_comparison`` is ``strategy_comparison`` of the same arguments."""
    from core.figures import strategy_comparison as comparison_chart

    return comparison_chart(_comparison, recommended=recommended)


def binary_negatives(fingerprint: str, tasks: tuple[Task, ...], n_bins: int, _frame) -> list[str]:
    """The ``task=0`` labels of binary tasks (the class :func:`core.figures.positive_label` is not)."""
    from core.figures import positive_label
    from core.tasks import label_name

    encoded = encoded_tasks(fingerprint, tasks, n_bins, _frame)
    negatives = []
    for part in encoded.tasks:
        classes = [str(c) for c in part.classes]
        positive = positive_label(classes) if part.task.kind == "binary" else None
        negatives += [label_name(part.task.name, c) for c in classes if positive is not None and c != positive]
    return negatives


@st.cache_resource(max_entries=64, show_spinner=False)
def cooccurrence_figure(
    fingerprint: str, tasks: tuple[Task, ...], config: SplitConfig, split: str | None, versus: str | None,
    measure: str, max_labels: int, _frame, _assignment, with_negatives: bool = True,
):
    """The co-occurrence heatmap of ``split`` (None: all rows), or its change from ``versus`` when given.

    Returns the figure, the labels drawn and the labels in all (the most frequent ``max_labels`` are drawn).
    Without ``with_negatives`` the ``=0`` labels of binary tasks are left out (they say what does not co-occur).
    """
    from core.figures import cooccurrence_heatmap

    whole = cooccurrence_pairs(fingerprint, tasks, config, None, _frame, _assignment)
    diagonal = whole[whole["row_label"] == whole["col_label"]].set_index("row_label")["count"]
    if not with_negatives:
        diagonal = diagonal.drop(binary_negatives(fingerprint, tasks, config.n_bins, _frame), errors="ignore")
    kept = set(diagonal.nlargest(max_labels).index)
    labels = [label for label in diagonal.index if label in kept]
    if versus is not None:
        pairs = cooccurrence_shift_pairs(fingerprint, tasks, config, versus, split, _frame, _assignment)
        figure = cooccurrence_heatmap(pairs, measure="difference", labels=labels, split=split, versus=versus,
                                      title=f"Change in P(column | row): {split} − {versus}")
    else:
        pairs = cooccurrence_pairs(fingerprint, tasks, config, split, _frame, _assignment)
        figure = cooccurrence_heatmap(pairs, measure=measure, labels=labels, split=split or WHOLE)
    return _clickable(figure), len(labels), len(diagonal)


# --------------------------------------------------------------------------- Model page (issue 6)
# Keyed on the run's id (unique in the process) and how far it has got, so the live
# fragment builds a figure once per epoch and reuses it between epochs; the run's
# records and result are passed unhashed (leading underscore). Every figure comes as
# ``Drawn(figure, note)``: a figure that fails to build is a one-line note instead, and is
# cached as such, so the page draws the rest and the fragment does not retry (and fail) every poll.


class Drawn(NamedTuple):
    """A figure, or (when building it failed) None and one line saying so."""

    figure: object | None
    note: str | None = None


def _drawn(what: str, build) -> Drawn:
    """``build()`` as a :class:`Drawn`; a figure error is logged with its traceback and becomes a note."""
    from core.figures import FIGURE_ERRORS, failure_note

    try:
        return Drawn(build())
    except FIGURE_ERRORS as error:
        log.exception("The %s figure failed", what)
        return Drawn(None, failure_note(what, error))


@st.cache_resource(max_entries=16, show_spinner=False)
def training_curves(run_id: int, epochs_done: int, smoothing: float, log_y: bool, best_epoch: int | None,
                    _snapshot, so_far_at: float | None = None) -> tuple[Drawn, Drawn]:
    """The loss small multiples and the task-weight lines of a run's first ``epochs_done`` epochs, and the epoch
    under way at ``so_far_at`` (``snapshot.so_far``: a poll's chart moves between epochs)."""
    from core import figures

    running = _snapshot.so_far if so_far_at is not None else None
    losses = _drawn("loss curves", lambda: figures.loss_curves(
        _snapshot.history_frame(), smoothing=smoothing, log_y=log_y, best_epoch=best_epoch, running=running))
    return losses, _weight_curves(run_id, epochs_done, _snapshot)


@st.cache_resource(max_entries=4, show_spinner=False)
def _weight_curves(run_id: int, epochs_done: int, _snapshot) -> Drawn:
    """The task-weight lines of a run's first ``epochs_done`` epochs: they change at epoch ends only, not with the
    epoch under way that redraws the loss curves on every poll."""
    from core import figures

    return _drawn("task weights", lambda: figures.weight_curves(_snapshot.weights_frame()))


@st.cache_resource(max_entries=8, show_spinner=False)
def training_result_figures(run_id: int, _result, _gain) -> tuple[tuple[tuple[str, Drawn], ...], Drawn | None]:
    """A finished run's confusion heatmaps ``((task, drawn), ...)`` and its transfer-gain bars (or None)."""
    from core import figures

    confusions = tuple(
        (task, _drawn(f"{task} confusion matrix", lambda m=matrix, t=task: figures.confusion_heatmap(m.to_frame(), task=t)))
        for task, matrix in _result.confusion.items()
    )
    gain = None if _gain is None else _drawn("multi-task vs single-task", lambda: figures.transfer_gain_bars(
        _gain.to_frame(), delta_m=_gain.delta_m, delta_m_interval=(_gain.delta_m_low, _gain.delta_m_high)))
    return confusions, gain


# --------------------------------------------------------------------------- a large dataset's scores (issue 15)


def whole_scores(whole: large.WholeSplit, config: SplitConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The scorecard and the per task and split scores of a large dataset's split, from its counts of every row.

    LD, ED, LPD, FZ, FLZ are the engine's (equal to the in-memory ones); the Jensen-Shannon distance of each
    task's labels per split is computed here from the label counts (as :func:`core.diagnostics.task_scores`
    does on rows). The KS statistic of a regression target needs the values, so it is not given.
    """
    from core.diagnostics import scorecard

    diagnosis = whole.cluster.diagnosis
    table = large.task_scores_of_counts(diagnosis.label_counts())
    worst = table["js_distance"].max() if table["js_distance"].notna().any() else None
    return scorecard(diagnosis.quality, worst_js=worst, strategy=config.strategy), table
