"""Shared fixtures: small datasets, and the switches that keep the suite fast and offline."""

from __future__ import annotations

import os
import tempfile

import pytest

os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")
# The Model page writes every run to a runs folder: the tests' runs go to a temporary one, not ./runs.
os.environ.setdefault("TASKSPLIT_RUNS_DIR", tempfile.mkdtemp(prefix="tasksplit-test-runs-"))


@pytest.fixture(scope="session")
def wagepan():
    from core.data import load_builtin

    return load_builtin("wagepan")


@pytest.fixture(scope="session")
def penguins():
    from core.data import load_builtin

    return load_builtin("penguins")
