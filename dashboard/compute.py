"""Cached computations of the dashboard, keyed by content so a new upload never gets an old result.

Large objects (datasets, split results) go through ``st.cache_resource``, which
shares one read-only object instead of copying it on every hit as
``st.cache_data`` would; pages never mutate them. Small results use
``st.cache_data``. Every function takes the dataset's content hash
(``fingerprint``) as a plain argument and the frame itself with a leading
underscore, so the frame is not hashed on every call but a different frame
always means a different key.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from core.data import Dataset, load_builtin, load_file
from core.data import column_summary as _column_summary
from core.splits import SplitConfig, SplitResult, split
from core.tasks import Task


@st.cache_resource(max_entries=8, show_spinner="Loading the dataset…")
def builtin_dataset(name: str) -> Dataset:
    return load_builtin(name)


def content_digest(content: bytes) -> str:
    return hashlib.blake2b(content, digest_size=16).hexdigest()


@st.cache_resource(max_entries=4, show_spinner="Reading the file…")
def uploaded_dataset(digest: str, filename: str, _content: bytes) -> Dataset:
    return load_file(_content, filename)


@st.cache_resource(max_entries=32, show_spinner="Splitting…")
def split_result(fingerprint: str, tasks: tuple[Task, ...], config: SplitConfig, _frame: pd.DataFrame) -> SplitResult:
    return split(_frame, list(tasks), config)


@st.cache_data(max_entries=16, show_spinner=False)
def column_summary(fingerprint: str, _frame: pd.DataFrame) -> pd.DataFrame:
    return _column_summary(_frame)


@st.cache_data(max_entries=16, show_spinner=False)
def strip_order(fingerprint: str, by: tuple[str, ...], _frame: pd.DataFrame):
    from core.figures.split import strip_order as order

    return order(_frame, list(by))
