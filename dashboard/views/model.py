"""Model page: train a shared-trunk model on the current split and watch each task's loss live.

Training runs in a background thread (``dashboard.training_run``); while it runs, one
fragment redraws the progress, the curves and the runs table every half second
(one poll: two polled fragments cut each other's runs short), and a full rerun
draws the test metrics once the run ends.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.data import Dataset, date_columns
from core.diagnostics import PREDICTOR_FAIL
from core.errors import TaskSplitError
from core.model import NORMS, WEIGHTINGS, ModelConfig
from core.splits import SplitConfig, fold_name
from core.tasks import Task, label_name, task_source_columns
from core.training import METRICS, FeatureConfig, TrainConfig
from dashboard import compute, large, state
from dashboard.guards import Work, require_work
from dashboard.training_run import RunRequest, TrainingRun
from dashboard.views import model_affinity, model_design, model_last, model_runs

K = state.ModelKeys
MAX_CONFUSION_CLASSES = 30  # a larger confusion matrix is unreadable on the page: named, not drawn
REFRESH_SECONDS = 0.5  # how often the live curves (and the runs table with them) redraw while a run is going
METRIC_ORDER = list(dict.fromkeys(m for names in METRICS.values() for m in names))
ROW_PIXELS, MAX_TABLE_ROWS = 35, 25  # tables show up to 25 rows whole, then scroll


def table_height(rows: int) -> int:
    """Pixels for a table of ``rows`` rows and its header, so no row is cut off (up to 25 rows)."""
    return ROW_PIXELS * (min(rows, MAX_TABLE_ROWS) + 1) + 3


def feature_controls(work: Work) -> tuple[str, ...]:
    """The feature columns, editable: by default the one list of ``core.data.feature_columns``.

    The default follows the current tasks and roles (the dataset's and the split's); role columns, ids,
    row numbers and free text are left out by default and named under the picker, with why.
    """
    data, tasks, config, frame = work.data, work.tasks, work.config, work.frame
    sources = task_source_columns(tasks) | {task.name for task in tasks}
    options = [str(c) for c in frame.columns if str(c) not in sources]
    default = list(compute.features(data, tasks, config))
    roles: dict[str, str] = {}
    for column, role in ((data.group_column, "group"), (config.group_column, "group"), (data.time_column, "time"),
                         (config.time_column, "time"), (data.id_column, "id"), (config.id_column, "id"),
                         (config.split_column, "split")):
        if column and column in options:
            roles.setdefault(column, role)
    names = ",".join(task.name for task in tasks)
    key = K.features(data.fingerprint, names, ",".join(roles))  # other roles, a new default
    chosen = st.multiselect(
        f"Feature columns ({len(options)} available)", options, key=key,
        default=state.linked_features(key, default, options, data.fingerprint),  # as the address says after a reload
        help="A task's own columns are never features. The default leaves out the group, time and id columns, "
             "columns that name rows rather than describe them (ids, row numbers, free text), and dates.",
    )
    left_out = [", ".join(f"`{column}` ({role} column)" for column, role in roles.items())]
    by_reason: dict[str, list[str]] = {}
    id_like = {} if data.feature_columns else compute.id_like_columns(data.fingerprint, frame)  # curated: as listed
    dates = {} if data.feature_columns else date_columns(frame)
    for column, why in {**id_like, **dates}.items():
        if column in options and column not in roles and column not in default:
            by_reason.setdefault(why, []).append(f"`{column}`")
    left_out += [f"{', '.join(columns)}: {why}" for why, columns in by_reason.items()]
    if any(left_out):
        st.caption("Left out by default: " + "; ".join(p for p in left_out if p)
                   + ". Add any of them above if it is a feature.")
    return tuple(chosen)


def manual_weights(tasks: tuple[Task, ...]) -> dict[str, float]:
    st.caption("Weight of each task's loss in the objective")
    return {  # one row per task, as the head depths: a grid of inputs under wrapped names went out of line
        task.name: float(box.number_input(
            task.name, 0.0, 100.0, state.linked(K.weight(task.name), 1.0, 0.0, 100.0), 0.1, key=K.weight(task.name),
            label_visibility="collapsed"))
        for task, box in model_design.task_rows(tasks)
    }


def settings(work: Work) -> tuple[TrainConfig, ModelConfig, dict] | None:
    """The run's settings from the widgets; None (after one error) when they do not make a valid config."""
    architecture, training, inputs = st.columns([1, 1, 1.4], gap="medium")
    with architecture:
        st.markdown("**Architecture**")
        width = st.number_input("Width (units per layer)", 4, 2048, state.linked(K.WIDTH, 128, 4, 2048), 16, key=K.WIDTH)
        depth = st.number_input("Depth (layers)", 1, 8, state.linked(K.DEPTH, 2, 1, 8), key=K.DEPTH)
        dropout = st.slider("Dropout", 0.0, 0.9, state.linked(K.DROPOUT, 0.0, 0.0, 0.9), 0.05, key=K.DROPOUT)
        norm = st.selectbox("Normalisation", NORMS, state.linked_index(K.NORM, NORMS), key=K.NORM)
        design = model_design.architecture_controls(work.tasks, int(depth))
    with training:
        st.markdown("**Training**")
        epochs = st.number_input("Epochs", 1, 1000, state.linked(K.EPOCHS, 50, 1, 1000), key=K.EPOCHS)
        batch = st.number_input("Batch size", 8, 65536, state.linked(K.BATCH, 1024, 8, 65536), 128, key=K.BATCH)
        lr = st.number_input("Learning rate", 1e-6, 1.0, state.linked(K.LR, 3e-3, 1e-6, 1.0), 1e-3, format="%g", key=K.LR)
        patience = st.number_input("Early stopping patience (0 = off)", 0, 1000, state.linked(K.PATIENCE, 10, 0, 1000), key=K.PATIENCE,
                                   help="Stop after this many epochs without a better val loss; the best epoch is kept.")
        seed = st.number_input("Seed", 0, 2**32 - 1, state.linked(K.SEED, 0, 0, 2**32 - 1), key=K.SEED)
    with inputs:
        st.markdown("**Inputs and loss**")
        features = feature_controls(work)
        weighting = st.selectbox("Loss weighting", WEIGHTINGS, state.linked_index(K.WEIGHTING, WEIGHTINGS), key=K.WEIGHTING, format_func=model_design.weighting_label)
        weights = manual_weights(work.tasks) if weighting == "manual" else {}
        normalize = model_design.normalize_control()
        test_fold = 0
        if work.config.n_folds:
            test_fold = st.selectbox("Test fold (the other folds train; 10% of them validate)",
                                     range(work.config.n_folds), state.linked_index(K.TEST_FOLD, range(work.config.n_folds)), key=K.TEST_FOLD, format_func=fold_name)
        baselines = st.checkbox("Also train single-task baselines (one model per task, after the shared one)",
                                state.linked(K.BASELINES, False), key=K.BASELINES, help="Shows which tasks gain from sharing the trunk.")
    try:
        train_config = TrainConfig(epochs=int(epochs), batch_size=int(batch), lr=float(lr), weighting=weighting,
                                   weights=weights, patience=int(patience) or None, seed=int(seed),
                                   normalize_losses=normalize)
        model_config = ModelConfig(width=int(width), depth=int(depth), dropout=float(dropout), norm=norm, **design)
    except TaskSplitError as error:
        st.error(str(error))
        return None
    return train_config, model_config, {"features": features, "test_fold": int(test_fold), "baselines": baselines}


def start(work: Work, train_config: TrainConfig, model_config: ModelConfig, options: dict) -> bool:
    """Start a run in its thread, unless one is going (a second click while it runs is refused).

    The session owns the run (``state.start_training``): a new run replaces, and stops, the last one.
    """
    current = state.training()
    if current is not None and current.running:
        st.warning("A run is still going: stop it before starting another.")
        return False
    request = RunRequest(
        frame=work.frame, tasks=work.tasks, assignment=work.assignment, config=train_config,
        model_config=model_config, feature_columns=options["features"], test_fold=options["test_fold"],
        group_column=work.config.group_column, id_column=work.data.id_column, time_column=work.data.time_column,
        baselines=options["baselines"], key=work.key, runs_dir=model_runs.chosen_runs_dir(),
        data={"name": work.data.name, "fingerprint": work.data.fingerprint},
    )
    state.start_training(request)
    return True


def leakage_warning(work: Work, features: tuple[str, ...]) -> None:
    """A warning when the Diagnostics leakage check finds one of ``features`` predicting a task alone.

    The same cached computation as the Diagnostics page (``compute.leakage_report``) with the
    features this model uses, so it is computed once per data, split and feature choice.
    """
    if not features:
        return
    data, config = work.data, work.config
    group_column = config.group_column or data.group_column
    try:
        report = compute.leakage_report(data.fingerprint, work.tasks, config, group_column, tuple(features),
                                        work.frame, work.assignment)
    except TaskSplitError:
        return  # the Diagnostics page shows the error; the model can still be trained
    checks = report.checks.set_index("check")
    if "predictor" not in checks.index or checks.loc["predictor", "status"] != "fail":
        return
    flagged = report.predictors[report.predictors["score"] >= PREDICTOR_FAIL]
    if flagged.empty:
        return
    found = []
    for feature, rows in flagged.groupby("feature", sort=False):  # best first, as the check ranks them
        targets = [t if label == t else label_name(t, label) for t, label in zip(rows["task"], rows["label"], strict=True)]
        more = f" and {len(targets) - 2} more" if len(targets) > 2 else ""
        best = rows.iloc[0]
        found.append(f"'{feature}' predicts {', '.join(targets[:2])}{more} alone ({best.metric} {best.score:.3f})")
    names = ", ".join(dict.fromkeys(str(f) for f in flagged["feature"]))
    tasks_hit = flagged["task"].nunique()
    extra = f"; and {len(found) - 3} more features" if len(found) > 3 else ""
    st.warning(f"Diagnostics found {'; '.join(found[:3])}{extra}: the test metrics of "
               f"{'that task' if tasks_hit == 1 else 'those tasks'} say little; drop {names} "
               "from the features to measure the model.", icon=":material/warning:")


def controls(work: Work) -> bool:
    """The settings and the Train button; returns whether a run is live (the curves then poll)."""
    with st.container(border=True):
        chosen = settings(work)
        if chosen is not None:
            leakage_warning(work, chosen[2]["features"])
        run = state.training()
        live = run is not None and run.running
        clicked = st.button("Train", type="primary", icon=":material/play_arrow:", key=K.TRAIN,
                            disabled=chosen is None or live,
                            help="Runs in the background: you may switch pages meanwhile.")
        if clicked and start(work, *chosen):
            st.rerun()  # draw the page as it is during a run: Train disabled, Stop shown, curves polling
    return live


# --------------------------------------------------------------------------- live curves


def show(drawn: compute.Drawn, *, key: str, where=st) -> None:
    """A built figure, or its one-line note when it could not be built (the rest of the page draws on)."""
    if drawn.figure is None:
        where.warning(drawn.note, icon=":material/broken_image:")
    else:
        where.plotly_chart(drawn.figure, width="stretch", key=key)


def live_section(was_live: bool) -> None:
    """Progress, Stop and the curves; polled while the run goes, then one full rerun draws the results.

    Inside a fragment (see :func:`render`): :func:`live_page`'s poll while the run is live, else a fragment of
    its own that reruns alone when the smoothing or log scale changes.
    """
    run = state.training()
    if run is None:
        return
    snapshot = run.snapshot()
    if was_live and not snapshot.running:
        st.rerun()  # the run has just ended: redraw the whole page once, with its results, and stop polling
    share, text = snapshot.progress()
    bar, button = st.columns([5, 1], vertical_alignment="bottom")
    bar.progress(share, text=("Stopping… " if snapshot.running and run.stopping else "") + text)
    if snapshot.running:
        button.button("Stop", icon=":material/stop:", key=K.STOP, on_click=state.stop_training, width="stretch",
                      help="Ends the run within one epoch; the curves so far are kept.")
    if not snapshot.records:
        return
    model_design.run_notes(snapshot, run.request.config)
    view = st.columns([2, 1, 3], vertical_alignment="bottom")
    smoothing = view[0].slider("Smoothing (debiased EMA, as TensorBoard)", 0.0, 0.95, 0.0, 0.05,
                               key=K.SMOOTHING)
    log_y = view[1].toggle("Log scale", key=K.LOG_SCALE)
    best = snapshot.result.best_epoch if snapshot.result is not None and snapshot.result.config.restore_best else None
    so_far_at = snapshot.so_far[0] if snapshot.so_far is not None else None
    losses, weights = compute.training_curves(run.id, len(snapshot.records), smoothing, log_y, best, snapshot,
                                              so_far_at)
    show(losses, key=K.LOSSES)
    fixed = {"equal": "every task weighs 1", "manual": "the weights set above"}.get(run.request.config.weighting)
    if fixed:
        st.caption(f"Task weights stay fixed through training ({fixed}); the learned weightings "
                   "(uncertainty, gradnorm, dwa) draw them per epoch here.")
    else:
        show(weights, key=K.WEIGHTS)
    model_affinity.live(snapshot)
    state.remember_widget_values()  # the smoothing and log scale: a fragment's rerun does not run app.py


# --------------------------------------------------------------------------- results


def outcome_messages(run: TrainingRun, snapshot) -> None:
    """Why the run ended, when it was not simply all its epochs."""
    result = snapshot.result
    if snapshot.error:
        st.error(snapshot.error)
    if result is None:
        return
    if result.divergence:
        st.warning(result.divergence, icon=":material/trending_up:")
    if result.stopped == "non_finite":
        st.error(result.message)
    elif result.stopped == "caller":
        st.info(f"{result.message} The curves so far are kept; the metrics below are of the best epoch so far.")
    elif result.stopped == "early_stopping":
        st.caption(f"{result.message} The weights of epoch {result.best_epoch} are kept.")
    if run.request.baselines and snapshot.gain is None and not snapshot.error:
        st.info("The single-task baselines were not trained (or not finished), so there is no comparison.")


def metrics_table(result) -> pd.DataFrame:
    """One row per task: kind, primary metric, and every test metric as a column (as a reload shows it too)."""
    return model_last.test_table(result.test, result.kinds, result.test_notes, METRIC_ORDER)


def results_section(run: TrainingRun, split_key: tuple) -> None:
    snapshot = run.snapshot()
    result = snapshot.result
    outcome_messages(run, snapshot)
    if result is None:
        return
    if run.request.key != split_key:
        st.warning("These results are of an earlier dataset, task or split choice; train again for the current one.")
    st.subheader("Test metrics")
    metrics = metrics_table(result)
    st.dataframe(metrics, hide_index=True, width="stretch", placeholder="–", height=table_height(len(metrics)),
                 column_config=model_last.number_formats(metrics, METRIC_ORDER))
    st.download_button("Metrics (JSON)", result.to_json(indent=2), "metrics.json", "application/json",
                       key=K.DOWNLOAD, icon=":material/download:", on_click="ignore")
    confusions, gain_figure = compute.training_result_figures(run.id, result, snapshot.gain)
    too_many = {task: len(matrix.classes) for task, matrix in result.confusion.items()
                if len(matrix.classes) > MAX_CONFUSION_CLASSES}
    confusions = tuple((task, drawn) for task, drawn in confusions if task not in too_many)
    if confusions or too_many:
        st.subheader("Confusion matrices (test)")
        st.caption("Rows are the true labels, columns the predictions; colour is the share of the true label's rows."
                   + ("" if not too_many else " Not drawn, too many classes to read: "
                      + ", ".join(f"`{task}` ({n} classes)" for task, n in too_many.items()) + "."))
        grid = st.columns(2)
        for i, (task, drawn) in enumerate(confusions):
            show(drawn, key=K.confusion(task), where=grid[i % 2])
    if snapshot.gain is not None:
        gain = snapshot.gain
        st.subheader("Multi-task vs single-task")
        st.markdown(f"**{gain.summary()}**")
        st.caption(f"Each interval is the 95% percentile interval of the gain over {gain.resamples:,} bootstrap "
                   "resamples of the test rows, the same rows for both models; a task is judged only when its "
                   "interval lies on one side of 0 and a model beats a blind guess (R² 0.05, AUC 0.55).")
        headline, note = st.columns([1, 2], vertical_alignment="center")  # wide enough for "no clear difference"
        headline.metric("Δm (mean relative gain)", gain.delta_m_headline(),
                        help="Mean over tasks of (multi-task − single-task) / |single-task|, primary test metric; "
                             "tasks whose single-task metric is no better than a blind guess (R² below 0.05, AUC "
                             "below 0.55) are left out. A number only when its 95% interval lies on one side of 0.")
        note.caption(gain.delta_m_note())
        table = gain.to_frame().drop(columns=["relative_gain"])
        if _any_judged(table):  # else the chart is an empty axis of "not meaningful" rows: the table says it
            show(gain_figure, key=K.GAIN)
        st.dataframe(table if table["note"].notna().any() else table.drop(columns="note"), hide_index=True, placeholder="–",
                     width="stretch", height=table_height(len(table)),
                     column_config=model_last.number_formats(table, ("mtl", "stl", "gain", "low", "high")))


def _any_judged(gains: pd.DataFrame) -> bool:
    """Whether some task's transfer gain has a bar to draw (a number that is not judged 'not meaningful')."""
    verdict = gains["verdict"] if "verdict" in gains else pd.Series(None, index=gains.index)
    return bool((pd.to_numeric(gains["gain"], errors="coerce").notna() & (verdict != "not meaningful")).any())


def live_page(work: Work) -> None:
    """What changes while the page's run trains: progress, curves and the runs table, polled as ONE fragment.

    The runs table had its own fragment polled every second beside the curves' half-second one: the two
    timers' reruns queued behind each other and each run's output was cut short by the next (about 50 a
    minute in Chromium), so the curves' longest gaps passed a second. Results are not drawn while the run goes,
    so the runs table comes right after the curves, as on the finished page.
    """
    live_section(True)
    model_runs.render(work, polled=True)
    state.remember_widget_values()  # the runs' view controls: a fragment's rerun does not run app.py


def _val_words(work: Work) -> str:
    """Who val is: the split's val rows, or, when it has none (a hash split of a small table), a share of train."""
    names = set(work.assignment.astype(str))
    if "val" in names or any(name.startswith("fold-") for name in names):
        return "val"
    share = FeatureConfig().val_fraction
    return (f"val ({share:.0%} of the train rows, held out: the split has no val rows"
            f"{', whole groups' if work.config.group_column else ''})")


def render(data: Dataset, tasks: tuple[Task, ...], config: SplitConfig) -> None:
    """The Model page for the session's dataset, tasks and split config (its run is read from the session)."""
    st.title("Model")
    work = require_work(data, tasks, config, "train")
    st.caption(
        f"A shared trunk with one head per task, trained on the **{config.strategy}** split's train rows of "
        f"`{data.name}` ({len(tasks)} task(s)); {_val_words(work)} picks the epoch to keep, test gives the "
        "metrics. Preprocessing is fitted on train only."
        + (f" It trains on a random sample of {data.n_rows:,} of the {source.n_rows:,} rows, each in the split the "
           "whole data's split gives it." if (source := large.source_of(data.fingerprint)) and source.sampled else "")
    )
    live = controls(work)
    if live:
        st.fragment(live_page, run_every=REFRESH_SECONDS)(work)
        return
    st.fragment(live_section)(False)
    run = state.training()  # after the fragment's first draw, as the page always read it
    if run is not None and not run.running:
        results_section(run, work.key)
        model_affinity.render(run)
    elif run is None:
        st.info("Set the model up above and press **Train**: the loss curves draw themselves as it learns.")
        model_last.render(work, METRIC_ORDER)  # after a reload: the last run made here, from its folder
    model_runs.render(work)


render(state.dataset(), state.tasks(), state.split_config())
