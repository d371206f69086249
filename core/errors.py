"""The two error types TaskSplit raises for bad input.

Both are ``ValueError`` subclasses, so callers that already catch
``ValueError`` keep working. Every message is one line that names the
problem and says how to fix it; the dashboard shows it with ``st.error`` and
the command line prints it to stderr with exit status 2.
"""

from __future__ import annotations

__all__ = ["DataError", "ConfigError", "TaskSplitError"]


class TaskSplitError(ValueError):
    """Base class of the errors a user can fix by changing their input."""


class DataError(TaskSplitError):
    """The data cannot be used as given: unreadable file, unusable column, bad task."""


class ConfigError(TaskSplitError):
    """A setting is invalid: unknown strategy, fractions not summing to 1, bad k."""
