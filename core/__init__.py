"""TaskSplit: split multi-task datasets well, show that the split is good, try a model on it.

The library never imports streamlit and never prints. Start with
:func:`core.data.load_builtin`, :class:`core.tasks.Task` and
:func:`core.splits.split`; ``docs/architecture.md`` maps the packages.

Installed with pip, the same files are the package ``tasksplit``. The sklearn-style splitters
are importable from the top, loaded on first use (as sklearn loads its submodules), so
``import core`` / ``import tasksplit`` stays cheap.

Examples
--------
>>> from core import MultiTaskStratifiedKFold
>>> from core.splits import MultiTaskStratifiedKFold as same
>>> MultiTaskStratifiedKFold is same
True
"""

import typing

if typing.TYPE_CHECKING:  # for type checkers and editors; at run time __getattr__ imports them
    from .splits import (
        MultiTaskStratifiedGroupKFold,
        MultiTaskStratifiedKFold,
        MultiTaskStratifiedShuffleSplit,
        RepeatedMultiTaskStratifiedKFold,
        multitask_train_test_split,
    )

# The public splitters of .splits, re-exported here and nowhere else (tests/test_architecture.py).
__all__ = [
    "MultiTaskStratifiedKFold",
    "MultiTaskStratifiedShuffleSplit",
    "MultiTaskStratifiedGroupKFold",
    "RepeatedMultiTaskStratifiedKFold",
    "multitask_train_test_split",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    """Import a splitter from :mod:`.splits` on first use (PEP 562) and keep it here."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import splits

    value = getattr(splits, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
