"""What a page needs before it can draw: chosen tasks and a split that works, else one clear message."""

from __future__ import annotations

import streamlit as st

from core.errors import TaskSplitError
from core.splits import SplitResult, config_words
from dashboard import compute, state


def require_split(nothing_to: str) -> SplitResult:
    """The current split, or a message and ``st.stop()``: no task chosen, or a split that cannot be made.

    ``nothing_to`` completes "No task is chosen, so there is nothing to ...", e.g. ``"diagnose"``.
    """
    data, tasks = state.dataset(), state.tasks()
    split_problem_banner()
    if not tasks:
        st.info(f"No task is chosen, so there is nothing to {nothing_to}; pick tasks on the Data page.")
        st.stop()
    try:
        return compute.split_result(data.fingerprint, tasks, state.split_config(), data.frame)
    except TaskSplitError as error:
        st.error(str(error))
        st.caption("Change the split's settings on the Split page.")
        st.stop()


def split_problem_banner() -> None:
    """When the Split page's settings could not make a split, say so: this page shows the last split that worked."""
    problem = state.split_problem()
    if problem is None:
        return
    settings, reason = problem
    st.warning(
        f"The Split page's settings ({settings}) could not be used: {reason.rstrip('.')}. Everything here is of "
        f"the last split that worked: {config_words(state.split_config())}.",
        icon=":material/warning:",
    )
