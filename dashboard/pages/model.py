"""Model page (not built yet): says in one sentence what it will show."""

import streamlit as st

st.title("Model")
st.info("This page will train a small shared-trunk model on the split and draw per-task loss curves live.")
