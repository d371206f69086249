"""Split page (not built yet): says in one sentence what it will show."""

import streamlit as st

st.title("Split")
st.info("This page will split the chosen tasks with the strategy you pick and show the split sizes and a strip of rows coloured by split.")
