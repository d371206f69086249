"""What a page needs before it can draw: chosen tasks and a split that works, else one clear message."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from core.data import Dataset
from core.errors import TaskSplitError
from core.splits import EXCLUDED, SplitConfig, SplitResult, config_words
from core.tasks import Task
from dashboard import compute, state


@dataclass(frozen=True)
class Work:
    """What a page works on: the session's dataset, tasks and split config, and the split they make."""

    data: Dataset
    tasks: tuple[Task, ...]
    config: SplitConfig
    result: SplitResult

    @property
    def frame(self) -> pd.DataFrame:
        return self.data.frame

    @property
    def assignment(self) -> pd.Series:
        return self.result.assignment

    @property
    def key(self) -> tuple:
        """The first arguments of the cached computations and what a run is made for: ``(fingerprint, tasks, config)``."""
        return (self.data.fingerprint, self.tasks, self.config)

    @property
    def split_names(self) -> list[str]:
        """The splits, without the rows a time gap leaves out."""
        return [name for name in self.result.split_names if name != EXCLUDED]


def require_work(data: Dataset, tasks: tuple[Task, ...], config: SplitConfig, nothing_to: str) -> Work:
    """:class:`Work` of the current split, or a message and ``st.stop()`` (see :func:`require_split`)."""
    return Work(data, tasks, config, require_split(nothing_to))


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
