"""The two error types TaskSplit raises for bad input, and how a user's value is shown in them.

Both are ``ValueError`` subclasses, so callers that already catch
``ValueError`` keep working. Every message is one line that names the
problem and says how to fix it; the dashboard shows it with ``st.error`` and
the command line prints it to stderr with exit status 2. A message that would
span lines (a column name holding a newline, say) is folded onto one.
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["DataError", "ConfigError", "TaskSplitError", "shown"]

_LINE_BREAKS = re.compile(r"\s*[\r\n\u2028\u2029\x0b\x0c\x85]+\s*")


class TaskSplitError(ValueError):
    """Base class of the errors a user can fix by changing their input.

    Examples
    --------
    >>> str(DataError("Unknown column 'a\\nb'; check the spelling."))
    "Unknown column 'a b'; check the spelling."
    """

    def __str__(self) -> str:
        return _LINE_BREAKS.sub(" ", super().__str__())


class DataError(TaskSplitError):
    """The data cannot be used as given: unreadable file, unusable column, bad task."""


class ConfigError(TaskSplitError):
    """A setting is invalid: unknown strategy, fractions not summing to 1, bad k."""


def shown(value: object, limit: int = 40) -> str:
    """A user's value as a message shows it: numpy scalars as plain numbers, text quoted and cut short.

    Examples
    --------
    >>> shown(np.int64(1)), shown("soon"), shown("x" * 50, limit=8)
    ('1', "'soon'", "'xxxxxxx…'")
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str) and len(value) > limit:
        value = value[: limit - 1] + "…"
    return repr(value)
