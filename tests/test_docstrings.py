"""Every example in a docstring of ``core`` runs and prints what it shows (the modules' own tests may
check some again; this makes sure none is left out)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import core

MODULES = sorted(info.name for info in pkgutil.walk_packages(core.__path__, "core.") if info.name != "core.__main__")


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    found = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert found.failed == 0, f"{found.failed} of {found.attempted} examples failed in {module}"
