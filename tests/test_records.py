"""Records of more than four fields are built by keyword: a swapped field would otherwise pass silently.

Issue 13 item 5: a wide record (``TrainResult`` has 17 fields, two pairs of the same type) is a
``@dataclass(kw_only=True)``, and no wide tuple stands in for one.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import core
import dashboard

MAX_POSITIONAL_FIELDS = 4
# the pages run when imported; the records they use live in the modules walked here
NOT_IMPORTED = ("core.__main__", "dashboard.app", "dashboard.views")


def _modules():
    for package in (core, dashboard):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not info.name.startswith(NOT_IMPORTED):
                yield importlib.import_module(info.name)


def _classes():
    for module in _modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__:
                yield cls


def test_the_walk_finds_the_wide_records():
    names = {cls.__name__ for cls in _classes() if dataclasses.is_dataclass(cls)}
    assert {"TrainResult", "SplitConfig", "Diagnosis", "RunSnapshot", "EncodedTasks"} <= names


def test_every_dataclass_of_more_than_four_fields_is_keyword_only():
    positional = [
        f"{cls.__module__}.{cls.__qualname__} ({len(dataclasses.fields(cls))} fields)"
        for cls in _classes()
        if dataclasses.is_dataclass(cls) and len(dataclasses.fields(cls)) > MAX_POSITIONAL_FIELDS
        and not all(field.kw_only for field in dataclasses.fields(cls) if field.init)
    ]
    assert not positional, f"make these @dataclass(kw_only=True) and build them by keyword: {positional}"


def test_no_named_tuple_of_more_than_four_fields():
    wide = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _classes()
        if issubclass(cls, tuple) and hasattr(cls, "_fields") and len(cls._fields) > MAX_POSITIONAL_FIELDS
    ]
    assert not wide, f"make these kw_only frozen dataclasses: {wide}"
