"""Every example in a docstring of ``core`` runs and prints what it shows; the modules whose examples
are their documentation must keep having some."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import core

MODULES = sorted(info.name for info in pkgutil.walk_packages(core.__path__, "core.") if info.name != "core.__main__")
MIN_EXAMPLES = {  # modules with examples that must not quietly disappear
    "core.figures._distribution": 1, "core.figures._facets": 1, "core.figures._diagnostics": 1, "core.figures._cooccurrence": 1,
    "core.figures._comparison": 1, "core.figures._drilldown": 1, "core.figures._training": 1,
    "core.report._render": 5, "core.model._network": 1, "core.training._features": 1, "core.training._metrics": 1, "core.training._loop": 1, "core.training._fit": 1,
}  # fmt: skip


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    found = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert found.failed == 0, f"{found.failed} of {found.attempted} examples failed in {module}"
    assert found.attempted >= MIN_EXAMPLES.get(module, 0), f"{module} has {found.attempted} examples"
