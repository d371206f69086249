"""TaskSplit dashboard: navigation, the sidebar summary, and nothing else.

The page is drawn under ``if __name__ == "__main__"``, as every script that starts processes must be: Streamlit runs
this file as ``__main__``, and a process started with ``spawn`` (a Dask worker of the large-dataset engine, a
torch.multiprocessing child) re-imports it as ``__mp_main__``, where drawing a page fails and the worker dies.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> None:
    import streamlit as st

    from dashboard import sidebar, state

    st.set_page_config(page_title="TaskSplit", page_icon=":material/call_split:", layout="wide")
    state.init()
    pages = [
        st.Page("views/data.py", title="Data", icon=":material/table_chart:", default=True),
        st.Page("views/split.py", title="Split", icon=":material/call_split:"),
        st.Page("views/diagnostics.py", title="Diagnostics", icon=":material/query_stats:"),
        st.Page("views/model.py", title="Model", icon=":material/model_training:"),
        st.Page("views/export.py", title="Export", icon=":material/download:"),
    ]
    page = st.navigation(pages)
    state.keep_widget_values(page.title)
    summary = st.sidebar.container()
    for note in state.take_link_notes():
        st.warning(note)
    try:
        page.run()
    finally:  # drawn after the page, so it shows what the page just chose
        sidebar.show(summary)
        state.write_link()
        state.remember_widget_values(page.title)


if __name__ == "__main__":
    main()
