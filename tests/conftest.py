"""Shared fixtures: small datasets, and the switches that keep the suite fast and offline."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")


@pytest.fixture(scope="session")
def wagepan():
    from core.data import load_builtin

    return load_builtin("wagepan")
