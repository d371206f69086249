"""The sidebar: the current dataset, tasks and split, on every page."""

from __future__ import annotations

import streamlit as st

from core.splits import STRATEGIES
from dashboard import large, state

KIND_SHORT = {"binary": "bin", "multiclass": "cls", "multilabel": "multi", "regression": "reg"}
COLUMN_WORD = {"time_column": "time", "id_column": "id", "split_column": "column"}  # group_column: "groups" above


def describe_split(config) -> str:
    """One line for a split config: strategy, sizes or folds, and the columns it uses."""
    if config.n_folds:
        sizes = f"{config.n_folds} folds"
    else:
        sizes = " / ".join(f"{name} {share:.0%}" for name, share in dict(config.fractions).items())
    extra = []
    if config.group_column:
        placed = {"first": " by first time", "last": " by last time", "rows": " may straddle splits"}
        extra.append(f"groups: `{config.group_column}`{placed.get(config.time_groups, '')}")
    column = STRATEGIES[config.strategy].column  # the column the strategy reads, beside the groups
    if column in COLUMN_WORD and getattr(config, column):
        extra.append(f"{COLUMN_WORD[column]}: `{getattr(config, column)}`")
    return f"**{config.strategy}** · {sizes}" + ("  \n" + ", ".join(extra) if extra else "")


def show(container) -> None:
    """Fill ``container`` (a slot in the sidebar) with the current dataset, tasks and split."""
    data = state.dataset()
    with container:
        st.markdown("### Current work")
        source = large.source_of(data.fingerprint)
        rows = (f"{source.n_rows:,} rows ({data.n_rows:,} sampled)" if source and source.sampled
                else f"{source.n_rows if source else data.n_rows:,} rows")
        st.markdown(f"**Dataset** `{data.name}`  \n{rows} × {data.frame.shape[1]:,} columns")
        chosen = state.tasks()
        if chosen:
            listed = ", ".join(f"`{t.name}` ({KIND_SHORT[t.kind]})" for t in chosen)
            st.markdown(f"**Tasks** ({len(chosen)}): {listed}")
        else:
            st.markdown("**Tasks**: none chosen yet")
        st.markdown(f"**Split** {describe_split(state.split_config())}")
