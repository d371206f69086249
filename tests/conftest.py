"""Shared fixtures: small datasets, and the switches that keep the suite fast and offline."""

from __future__ import annotations

import os
import tempfile

import pytest
from hypothesis import settings

os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")

# Property tests try the same examples on every run (a seed from each test's name), so the suite never passes on one
# run and fails on the next: `make test` and CI are repeatable. `TASKSPLIT_HYPOTHESIS=explore make test` draws fresh
# examples to hunt for new failures; a failure prints the blob that replays it (`@reproduce_failure`). The profile is
# loaded here, before the test modules build their own `settings(...)`, which inherit it.
settings.register_profile("repeatable", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("TASKSPLIT_HYPOTHESIS", "repeatable"))
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
