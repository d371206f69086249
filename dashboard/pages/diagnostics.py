"""Diagnostics page (not built yet): says in one sentence what it will show."""

import streamlit as st

st.title("Diagnostics")
st.info("This page will show per-split label distributions for every task, cross-task co-occurrence, quality scores and leakage checks.")
