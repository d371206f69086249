"""Export page (not built yet): says in one sentence what it will show."""

import streamlit as st

st.title("Export")
st.info("This page will download the assignment, the split config and a self-contained HTML report.")
