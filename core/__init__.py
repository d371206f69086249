"""TaskSplit: split multi-task datasets well, show that the split is good, try a model on it.

The library never imports streamlit and never prints. Start with
:func:`core.data.load_builtin`, :class:`core.tasks.Task` and
:func:`core.splits.split`; ``docs/architecture.md`` maps the packages.
"""

__all__: list[str] = []  # every name has one home: a package below, or core.errors
__version__ = "0.1.0"
