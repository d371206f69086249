"""TaskSplit: split multi-task datasets well, show that the split is good, try a model on it.

The library never imports streamlit and never prints. Start with
:func:`core.data.load_builtin`, :class:`core.tasks.Task` and
:func:`core.splits.split`; ``docs/architecture.md`` maps the packages.
"""

from core.errors import ConfigError, DataError

__all__ = ["ConfigError", "DataError"]
__version__ = "0.1.0"
