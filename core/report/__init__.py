"""Report: one self-contained HTML page of a split (sizes, label balance, co-occurrence, leakage, the comparison
of strategies, a training run), the split's assignment file and digest, the code that reproduces it, and the
workspace file that saves a session.
"""

from ._diagnosis import (
    Diagnosis,
    Progress,
    comparison_configs,
    diagnose,
)
from ._export import (
    assignment_digest,
    assignment_frame,
    reproduce_code,
    write_assignment,
)
from ._html import (
    escape,
)
from ._render import render_report, write_report
from ._workspace import (
    WORKSPACE_FORMAT,
    WORKSPACE_VERSION,
    Workspace,
    check_tasks,
    is_workspace,
    read_split_config,
)

__all__ = [
    "render_report",
    "write_report",
    "Progress",
    "Diagnosis",
    "diagnose",
    "comparison_configs",
    "escape",
    "assignment_frame",
    "write_assignment",
    "assignment_digest",
    "reproduce_code",
    "WORKSPACE_FORMAT",
    "WORKSPACE_VERSION",
    "Workspace",
    "read_split_config",
    "is_workspace",
    "check_tasks",
]
