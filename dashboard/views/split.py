"""Split page: pick a strategy and its settings, see the split's sizes and where its rows fall."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.data import Dataset
from core.errors import TaskSplitError
from core.figures import fold_strip, split_sizes
from core.splits import (
    EXCLUDED,
    GROUP_TIME,
    NAMED_SPLITS,
    STRATEGIES,
    SplitConfig,
    SplitResult,
    config_words,
    default_group_time,
    is_fold,
    one_split_placings,
    time_order_words,
)
from core.tasks import Task
from dashboard import compute, state

NONE = "(none)"
GROUP_TIME_LABEL = {"first": "by its first time", "last": "by its last time", "rows": "rows by time, groups straddle"}
MODEL_SPLITS = NAMED_SPLITS  # what the Model page trains on, besides folds


def column_picker(label: str, current: str | None, key: str, help_text: str, columns: list[str],
                  container=st) -> str | None:
    options = [NONE, *columns]
    chosen = container.selectbox(label, options, index=options.index(current) if current in options else 0,
                                 key=key, help=help_text)
    return None if chosen == NONE else chosen


def placing_default(frame: pd.DataFrame, config: SplitConfig, group: str, time: str | None) -> tuple[str, str]:
    """How a time split places groups unless the user said so, and a note when a placing would fill one split.

    The config's own placing when it is already a time split of these columns (the user's choice, or a loaded
    config); else the first of first, last, rows that splits the groups (:func:`default_group_time`).
    """
    kept = config.time_groups is not None and config.group_column == group and config.time_column == time
    if not time:
        return config.group_time, ""
    try:
        failing = one_split_placings(frame, time, group)
    except TaskSplitError:  # an unparseable time column: the split below says so
        return config.group_time, ""
    chosen = config.group_time if kept else default_group_time(frame, time, group)
    if not failing:
        return chosen, ""
    edges = " and ".join({"first": "starts", "last": "ends"}[mode] for mode in failing)
    labels = " or ".join(f"*{GROUP_TIME_LABEL[mode]}*" for mode in failing)
    note = f"Every `{group}` group {edges} at the same `{time}`: placing groups {labels} would put them all in one split"
    if not kept and chosen != "first":
        note += f", so the default here is *{GROUP_TIME_LABEL[chosen]}*"
    return chosen, note + "."


def fraction_controls(config: SplitConfig, key, container) -> dict[str, float]:
    shares = dict(config.fractions) if not config.n_folds else {"train": 0.7, "val": 0.15, "test": 0.15}
    train = shares.get("train", 0.7)
    val = shares.get("val", 0.0)
    low, high = container.slider(
        "Train | val | test", 0.0, 1.0, (round(train, 2), round(train + val, 2)), step=0.05, key=key("bounds"),
        help="Drag the two handles: left of the first is train, between them val, right of the second test.",
    )
    fractions = {"train": round(low, 4), "val": round(high - low, 4), "test": round(1.0 - high, 4)}
    fractions = {name: share for name, share in fractions.items() if share > 0}
    container.caption(" · ".join(f"**{name}** {share:.0%}" for name, share in fractions.items()))
    return fractions


# --------------------------------------------------------------------------- controls


def sizes_controls(config: SplitConfig, key) -> tuple[dict[str, object], object]:
    """The strategy, its sizes (fractions or folds) and the seed: the left column's settings.

    Returns them, and the slot under the strategy that says whether it keeps groups whole.
    """
    names = list(STRATEGIES)
    strategy = st.selectbox("Strategy", names, index=names.index(config.strategy), key=key("strategy"))
    spec = STRATEGIES[strategy]  # what the picked strategy needs and allows
    st.caption(spec.description)
    keeps_groups = st.empty()  # filled once the Group column is known: random and stratified then deal whole groups
    options: dict[str, object] = {"strategy": strategy}
    if spec.folds:
        mode = st.radio("Sizes", ["Fractions", "k folds"], index=1 if config.n_folds else 0, horizontal=True,
                        key=key("mode"))
    else:
        mode = "Fractions"
    if not spec.given:
        if mode == "k folds":
            options["n_folds"] = int(st.number_input("Folds (k)", 2, 50, config.n_folds or 5, key=key("folds")))
        else:
            options["fractions"] = fraction_controls(config, key, st)
    options["seed"] = int(st.number_input("Seed", 0, 2**32 - 1, config.seed, key=key("seed"),
                                          help="Any whole number; the same seed gives the same split."))
    return options, keeps_groups


def time_controls(data: Dataset, config: SplitConfig, key, options: dict[str, object]) -> None:
    """The time split's Time column, gap and group placing, into ``options``."""
    columns = list(data.frame.columns)
    options["time_column"] = column_picker("Time column", config.time_column or data.time_column, key("time"),
                                           "Rows are ordered by it; ties stay together.", columns)
    options["gap"] = int(st.number_input("Gap (time values left out between splits)", 0, 1000, config.gap,
                                         key=key("gap")))
    if not options["group_column"]:
        st.caption("No Group column: rows are split by time alone.")
        return
    chosen, one_split = placing_default(data.frame, config, options["group_column"], options["time_column"])
    placing = st.radio(
        f"Each group of `{options['group_column']}` goes…", list(GROUP_TIME), horizontal=True,
        index=list(GROUP_TIME).index(chosen), format_func=GROUP_TIME_LABEL.get,
        key=key("group_time"), help="How a time split places groups: pick (none) as Group column to "
        "split rows by time alone.",
    )
    options["group_time"] = placing
    st.caption(GROUP_TIME[placing][0].upper() + GROUP_TIME[placing][1:] + ".")
    if one_split:
        st.caption(one_split)


def column_controls(data: Dataset, tasks: tuple[Task, ...], config: SplitConfig, key,
                    options: dict[str, object]) -> None:
    """The columns the strategy uses, its balance and bins: the right column's settings, into ``options``."""
    spec, columns = STRATEGIES[options["strategy"]], list(data.frame.columns)
    group_help = "Rows sharing a value stay in one split (every strategy but predefined keeps groups whole)."
    options["group_column"] = column_picker("Group column", config.group_column, key("group"), group_help, columns)
    if spec.column == "time_column":
        time_controls(data, config, key, options)
    else:
        options["time_column"] = config.time_column or data.time_column
    if spec.column == "id_column":
        options["id_column"] = column_picker("Id column", config.id_column or data.id_column, key("id"),
                                             "A stable id: a row keeps its split when the data grows.", columns)
    if spec.column == "split_column":
        options["split_column"] = column_picker("Split column", config.split_column, key("split_column"),
                                                "The column naming each row's split.", columns)
    if spec.stratifies:
        order = st.radio("Balance", [1, 2], index=config.order - 1, horizontal=True, key=key("order"),
                         format_func=lambda o: "each label" if o == 1 else "each label and label pair")
        options["order"] = int(order)
    if any(t.kind == "regression" for t in tasks):
        options["n_bins"] = int(st.number_input("Bins for regression tasks", 2, 20, config.n_bins, key=key("bins"),
                                                help="Regression targets are stratified by quantile bins."))


def candidate_config(config: SplitConfig, options: dict[str, object]) -> tuple[SplitConfig, str | None]:
    """The config the settings make, or the current one and why they make none (said on the page)."""
    spec = STRATEGIES[options["strategy"]]
    missing = spec.column is not None and not options.get(spec.column)  # the column it reads is not picked
    if missing and not spec.group_stands_in:
        st.error(spec.missing_column)
        return config, spec.missing_column
    if missing and not options["group_column"]:
        st.warning(spec.missing_column)
        return config, spec.missing_column
    if missing:
        st.warning(spec.group_stands_in.format(group=options["group_column"]))
    try:
        return SplitConfig(**options), None
    except TaskSplitError as error:
        st.error(str(error))
        return config, str(error)


def settings(data: Dataset, tasks: tuple[Task, ...], config: SplitConfig, version: int
             ) -> tuple[dict[str, object], SplitConfig, str | None]:
    """The settings' widgets; returns their values, the config they make and why they make none (or None)."""

    def key(name: str) -> str:
        return state.SplitKeys.control(name, version)

    left, right = st.columns([1, 1], gap="large")
    with left:
        options, keeps_groups = sizes_controls(config, key)
    with right:
        column_controls(data, tasks, config, key, options)

    if "group_time" not in options:  # kept for when time is picked again
        options["group_time"] = config.group_time
    spec = STRATEGIES[options["strategy"]]
    if spec.with_group and options["group_column"]:
        keeps_groups.caption(spec.with_group.format(group=options["group_column"]))
    candidate, problem = candidate_config(config, options)
    if not tasks and spec.stratifies:
        st.warning("No task is chosen, so there is nothing to stratify on; pick tasks on the Data page.")
    return options, candidate, problem


# --------------------------------------------------------------------------- result


def working_split(data: Dataset, tasks: tuple[Task, ...], config: SplitConfig, options: dict[str, object],
                  candidate: SplitConfig, problem: str | None) -> tuple[SplitConfig, SplitResult]:
    """The split the settings make, made the session's; else the last split that worked, said so."""
    if problem is None:
        try:
            result = compute.split_result(data.fingerprint, tasks, candidate, data.frame)
        except TaskSplitError as error:
            problem = str(error)
            st.error(problem)
    if problem is None:
        if candidate != config:
            state.set_split_config(candidate, from_split_page=True)
        else:
            state.clear_split_problem()
        return candidate, result
    # these settings make no split: the pages go on with the last split that worked, and this page says so
    state.set_split_problem(config_words(options), problem)
    try:
        result = compute.split_result(data.fingerprint, tasks, config, data.frame)
    except TaskSplitError:
        st.caption("Change a setting to try again.")
        st.stop()
    st.info(f"Below: **the last split that worked**, {config_words(config)}. Diagnostics, Model and Export "
            "use it until the settings above make a split.", icon=":material/history:")
    return config, result


def predefined_note(result: SplitResult, candidate: SplitConfig) -> str | None:
    """What the page does with split names other than train/val/test and fold-k, or None."""
    names = result.split_names
    others = [n for n in names if n != EXCLUDED and n not in MODEL_SPLITS and not is_fold(n)]
    if not others:
        return None
    counts = result.assignment.value_counts()
    found = ", ".join(f"`{name}` ({counts.get(name, 0):,} rows)" for name in names if name != EXCLUDED)
    reference = "train" if "train" in names else names[0]
    return (f"`{candidate.split_column}` holds {found}. Diagnostics compare them as they are, against `{reference}`; "
            "the Model page trains only on train/val/test or fold-0, fold-1, …, so rename "
            f"{', '.join(f'`{n}`' for n in others)} in the file to one of those to train on this split.")


def time_spans(times: pd.Series, result: SplitResult) -> str | None:
    """What times each split of a time split covers, in the time column's own words (dates without a midnight);
    None for a text column, whose smallest and largest values in text order would not be its first and last times.

    Examples
    --------
    >>> from core.splits import split
    >>> times = pd.Series(pd.to_datetime(["1987-03-01", "1988-05-02", "1989-06-03"]), name="Survey date")
    >>> time_spans(times, split(times.to_frame(), [], SplitConfig(strategy="time", time_column="Survey date")))
    'Survey date: train 1987-03-01 · val 1988-05-02 · test 1989-06-03'
    """
    def shown(value) -> str:
        if isinstance(value, pd.Timestamp):
            return value.strftime("%Y-%m-%d" if value == value.normalize() else "%Y-%m-%d %H:%M")
        return f"{value:g}" if isinstance(value, float) else str(value)  # a year stays 1987, not 1,987

    if not (pd.api.types.is_numeric_dtype(times) or pd.api.types.is_datetime64_any_dtype(times)):
        return None
    spans = []
    for name in result.split_names:
        kept = times[result.assignment == name].dropna()
        if name == EXCLUDED or kept.empty:
            continue
        low, high = kept.min(), kept.max()
        spans.append(f"{name} {shown(low)}" + ("" if low == high else f" to {shown(high)}"))
    return f"{times.name}: " + " · ".join(spans)


def show_split(data: Dataset, candidate: SplitConfig, result: SplitResult) -> None:
    """The split's sizes, and where each split's rows fall along the data."""
    for message in result.warnings:
        st.warning(message)
    if STRATEGIES[candidate.strategy].given and (note := predefined_note(result, candidate)):
        st.info(note)

    whole = compute.whole_split(data.fingerprint, state.tasks(), candidate, data.frame)
    sizes = whole.sizes if whole is not None else result.to_frame()  # a large dataset's: over every row
    if whole is not None:
        st.caption(f"Sizes over all {whole.source.n_rows:,} rows; where the rows fall is drawn for the "
                   f"{whole.source.sample_rows:,} sampled rows.")
    metrics = st.columns(min(len(sizes), 6))
    for column, row in zip(metrics, sizes.itertuples(index=False), strict=False):
        column.metric(f"{row.split} · {row.share:.1%} of rows", f"{row.rows:,}")
    if STRATEGIES[candidate.strategy].by_time and (spans := time_spans(data.frame[candidate.time_column], result)):
        # a large dataset's: the sampled rows' times, each with its split over every row (new-user trial 5, item 14)
        st.caption(spans if whole is None else f"{spans} (over the {whole.source.sample_rows:,} sampled rows)")

    by = [c for c in ((candidate.group_column,) if candidate.group_column else ()) if c]
    if candidate.time_column and candidate.group_column:
        by.append(candidate.time_column)
    ordered_by = ", then ".join(by) if by else "row order"
    with st.spinner("Drawing where each split's rows fall…"):  # seconds on flights: never a page without progress
        if STRATEGIES[candidate.strategy].by_time:  # the order the split itself used: each split is one block
            order = compute.time_strip_order(data.fingerprint, candidate.time_column, candidate.group_column,
                                             candidate.group_time, data.frame)
            ordered_by = time_order_words(candidate)
        else:
            order = compute.strip_order(data.fingerprint, tuple(by), data.frame)
        strip = fold_strip(result.assignment, order, split_names=list(result.split_names), ordered_by=ordered_by)
    st.plotly_chart(strip, width="stretch", key=state.SplitKeys.STRIP)
    st.plotly_chart(split_sizes(sizes), width="stretch", key=state.SplitKeys.SIZES)


def render(data: Dataset, tasks: tuple[Task, ...], config: SplitConfig, version: int) -> None:
    """The Split page for the session's work; ``version`` is the widgets' (``state.split_widget_version``)."""
    st.title("Split")
    options, candidate, problem = settings(data, tasks, config, version)
    candidate, result = working_split(data, tasks, config, options, candidate, problem)
    show_split(data, candidate, result)


render(state.dataset(), state.tasks(), state.split_config(), state.split_widget_version())
