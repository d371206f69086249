"""Widget values kept across pages: Streamlit forgets a widget's value once a run does not draw it."""

from __future__ import annotations

import datetime

import streamlit as st

from dashboard.state._keys import DRAWN_FROM_WORK, KEPT_WIDGETS, PAGE_PREFIXES

_KEPT_SCALARS = (bool, int, float, str, datetime.date, datetime.time)


def keep_widget_values(page_title: str) -> None:
    """Put back the last values of the widgets of every page but ``page_title`` (the one this run draws).

    Streamlit forgets a widget's value once a run does not draw it, and on a page switch before the new
    page's run even starts, so leaving a page reset it. :func:`remember_widget_values` notes every value
    at the end of each run; here, at the start of a run, the other pages' values are written back under
    their keys as plain session state. Plain state outlives runs and page switches, and when its page is
    drawn again the widget takes the value up (and Streamlit shows it in the browser). A value is never
    written in a run that draws its widget, so Streamlit's "created with a default value but also had its
    value set via the Session State API" check does not fire. A kept choice that is no longer among a
    widget's options (another dataset, another split) falls back to the widget's default, as Streamlit
    does for any stale selectbox value.
    """
    own = PAGE_PREFIXES.get(page_title)
    for key, value in st.session_state.get(KEPT_WIDGETS, {}).items():
        if own and key.startswith(own):
            continue
        st.session_state[key] = value
        del st.session_state[key]  # unties the key from its old widget, so the value is stored under the key
        st.session_state[key] = value


def remember_widget_values(page_title: str | None = None) -> None:
    """Note the values of the keyed widgets, for :func:`keep_widget_values`.

    app.py calls it after every run with the page it drew: that page's values replace the ones noted
    before (a value its run dropped is dropped). A fragment whose widgets should be kept calls it at its
    end without a page (a fragment's rerun does not run app.py): its values are added. Only plain values
    are kept (numbers, text, booleans, dates, lists of them): file uploads, chart selections and tables
    cannot be set through the session state, and widgets drawn from the work itself
    (:data:`DRAWN_FROM_WORK`) follow the work.
    """
    own = PAGE_PREFIXES.get(page_title) if page_title else None
    prefixes = (own,) if own else tuple(PAGE_PREFIXES.values())
    kept = dict(st.session_state.get(KEPT_WIDGETS, {}))
    if own:
        kept = {key: value for key, value in kept.items() if not key.startswith(own)}
    for key in list(st.session_state.keys()):
        if not isinstance(key, str) or not key.startswith(prefixes) or key.startswith(DRAWN_FROM_WORK):
            continue
        value = st.session_state[key]
        if _keepable(value):
            kept[key] = value
    st.session_state[KEPT_WIDGETS] = kept


def _keepable(value: object) -> bool:
    if isinstance(value, (list, tuple)):
        return all(isinstance(item, _KEPT_SCALARS) for item in value)
    return isinstance(value, _KEPT_SCALARS)
