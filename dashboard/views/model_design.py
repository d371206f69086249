"""The Model page's design controls: how tasks share the network, how their losses combine, and what the design shows.

``render(...)`` of :mod:`dashboard.views.model` calls these: :func:`architecture_controls`
(hard, soft, MMoE, hierarchical and their parameters), :func:`weighting_label` (the
weightings and gradient methods, in words), :func:`normalize_control`, and while and after a
run :func:`run_notes` (the loss-scale warning with its offer to normalise, the MMoE gates).
"""

from __future__ import annotations

import re

import streamlit as st

from core import figures
from core.model import ARCHITECTURES
from core.tasks import Task
from core.training import gates_frame, loss_scale_message
from dashboard import state

DK = state.ModelDesignKeys
MAX_DEPTH = 8  # the trunk depth input's upper limit
ARCHITECTURE_HELP = {
    "hard": "one trunk shared by every task",
    "soft": "a trunk per task, pulled together",
    "mmoe": "shared experts, a gate per task",
    "hierarchical": "each head reads its own layer",
    "cross_stitch": "a trunk per task, mixed after each layer",
}
WEIGHTING_HELP = {
    "equal": "every task's loss counts once",
    "manual": "your weight per task",
    "uncertainty": "learned from each task's noise (Kendall et al. 2018)",
    "gradnorm": "balances the tasks' gradient sizes (Chen et al. 2018)",
    "dwa": "favours tasks whose loss falls slowest (Liu et al. 2019)",
    "mgda": "gradient method: min-norm mix of the tasks' gradients (MGDA-UB, Sener & Koltun 2018)",
    "pcgrad": "gradient method: removes conflicting gradient parts (PCGrad, Yu et al. 2020)",
    "cagrad": "gradient method: helps the worst-off task most (CAGrad, Liu et al. 2021)",
    "upgrad": "gradient method: no task's loss goes up (UPGrad, Quinton & Rey 2024)",
}


def weighting_label(weighting: str) -> str:
    """``name: what it does`` for the weighting select box."""
    return f"{weighting}: {WEIGHTING_HELP.get(weighting, '')}"


def architecture_controls(tasks: tuple[Task, ...], depth: int) -> dict:
    """The sharing design and its parameters, as ``ModelConfig`` keyword arguments."""
    architecture = st.selectbox("Sharing", ARCHITECTURES, state.linked_index(DK.ARCHITECTURE, ARCHITECTURES), key=DK.ARCHITECTURE,
                                format_func=lambda a: f"{a}: {ARCHITECTURE_HELP[a]}",
                                help="How the tasks share the network; the single-task baselines use the same design.")
    if architecture == "soft":
        coupling = st.number_input("Coupling", 0.0, 1000.0, state.linked(DK.COUPLING, 0.01, 0.0, 1000.0), 0.01, format="%g",
                                   key=DK.COUPLING,
                                   help="Strength of the L2 pull between the task trunks' weights: 0 trains "
                                        "independent nets; large values keep one trunk (hard sharing).")
        return {"architecture": architecture, "coupling": float(coupling)}
    if architecture == "mmoe":
        experts = st.number_input("Experts", 1, 32, state.linked(DK.EXPERTS, 4, 1, 32), key=DK.EXPERTS,
                                  help="Small MLPs (half the width each) that every task's gate mixes.")
        return {"architecture": architecture, "experts": int(experts)}
    if architecture == "hierarchical":
        st.caption("The trunk layer each task's head reads (a low-level task can supervise an early layer)")
        head_depth = {  # bounded by the depth input's own limit: a depth past the trunk's is the config's error
            task.name: int(box.number_input(
                task.name, 1, MAX_DEPTH, state.linked(DK.head_depth(task.name), min(depth, MAX_DEPTH), 1, MAX_DEPTH),
                key=DK.head_depth(task.name), label_visibility="collapsed"))
            for task, box in task_rows(tasks)
        }
        return {"architecture": architecture, "head_depth": head_depth}
    return {"architecture": architecture}


def task_rows(tasks: tuple[Task, ...]):
    """``(task, column)`` per task: its name on the left of its own row, the column for its input on the right.

    One row per task keeps every input on one line whatever the length of the names (a grid of inputs
    under labels of two or three lines went out of line, and too narrow for the +/- buttons).
    """
    for task in tasks:
        name, box = st.columns([1, 1], vertical_alignment="center")
        name.markdown(re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$])", r"\\\1", task.name))  # the name as typed, not markdown
        yield task, box


def normalize_control() -> bool:
    """Whether to divide each task's loss by its first-epoch value."""
    return st.checkbox("Normalise the task losses (divide each by its first-epoch value)",
                       state.linked(DK.NORMALIZE, False), key=DK.NORMALIZE,
                       help="Puts tasks whose losses differ by orders of magnitude on one scale.")


def _offer_normalize() -> None:
    state.put(DK.NORMALIZE, True)


def run_notes(snapshot, config) -> None:
    """While and after a run: the loss-scale warning (from epoch 1 on) and which experts each task uses (MMoE)."""
    records = snapshot.records
    if not records:
        return
    message = loss_scale_message(records, normalized=config.normalize_losses)
    if message:
        text, button = st.columns([5, 1], vertical_alignment="center")
        text.warning(message, icon=":material/balance:")
        if button.button("Normalise", key=DK.OFFER_NORMALIZE, on_click=_offer_normalize, width="stretch",
                         help="Ticks 'Normalise the task losses' above; train again to use it."):
            st.rerun(scope="app")  # this runs in the curves' fragment: redraw the page, so the box shows ticked
    gates = gates_frame(records)
    if not gates.empty:
        try:
            figure = figures.expert_gates_heatmap(gates)
        except figures.FIGURE_ERRORS as error:
            st.warning(figures.failure_note("expert gates", error), icon=":material/broken_image:")
            return
        st.plotly_chart(figure, width="stretch", key=DK.GATES)
