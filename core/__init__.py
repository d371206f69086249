"""TaskSplit: split multi-task datasets well, show that the split is good, try a model on it.

The library never imports streamlit and never prints. Start with
:func:`core.data._dataset.load_builtin`, :class:`core.tasks._task.Task` and
:func:`core.splits._split.split`.
"""

from core.errors import ConfigError, DataError

__all__ = ["ConfigError", "DataError"]
__version__ = "0.1.0"
