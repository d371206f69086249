"""The Model page's choices in the page address, so a reload keeps them as it keeps the split.

The address carries every Model page setting that differs from its default, under the widget's own key
(``?…&model_design_architecture=soft&model_weighting=pcgrad&model_baselines=1``), and the feature list as
the columns dropped from and added to the default list (``model_drop_feature=Lunch %``): the default
follows the tasks and roles, so the edit is what the user chose. A widget takes its default from
:func:`linked` (or :func:`linked_index`, :func:`linked_features`); the first run of a session (a
reload, a shared link) reads the address (:func:`read_choices`), and :func:`choice_params`, called
when the address is written, notes the current values. A value in the address that does not fit its
widget (not a number, out of range, not an option) is ignored: the widget keeps its default.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from dashboard.state._keys import CHOICE_DEFAULTS, CHOICES, FEATURES_SHOWN

PREFIX = "model_"  # the address parameters of the Model page start with it (its widget keys do)
DROP, ADD = "model_drop_feature", "model_add_feature"  # the feature columns dropped from / added to the default


def is_choice(param: str) -> bool:
    """Whether an address parameter is a Model page choice (not the dataset, tasks or split).

    Examples
    --------
    >>> is_choice("model_weighting"), is_choice("strategy")
    (True, False)
    """
    return param.startswith(PREFIX)


def read_choices(params: dict[str, list[str]], fingerprint: str) -> None:
    """Note the Model page choices of the address ``params`` (the first run of a session), for ``fingerprint``'s data."""
    chosen = {key: values if key in (DROP, ADD) else values[-1] for key, values in params.items() if is_choice(key)}
    st.session_state[CHOICES] = {**chosen, "_of": fingerprint}


def _parse(raw: str, default):
    if isinstance(default, bool):
        if raw not in ("0", "1"):
            raise ValueError(raw)
        return raw == "1"
    return type(default)(raw)


def _format(value) -> str:
    return ("1" if value else "0") if isinstance(value, bool) else str(value)


def linked(key: str, default, low=None, high=None):
    """A widget's default: the address's value for ``key`` (within ``low``..``high``) if it has one, else ``default``.

    Examples
    --------
    >>> linked.__name__  # in a page: st.number_input("Width", 4, 2048, state.linked(K.WIDTH, 128, 4, 2048), key=K.WIDTH)
    'linked'
    """
    st.session_state.setdefault(CHOICE_DEFAULTS, {})[key] = default
    raw = st.session_state.get(CHOICES, {}).get(key)
    if raw is None:
        return default
    try:
        value = _parse(raw, default)
    except ValueError:
        return default
    if (low is not None and value < low) or (high is not None and value > high):
        return default
    return value


def linked_index(key: str, options: Sequence, default: int = 0) -> int:
    """A select box's default index: the option the address names for ``key``, else ``default``."""
    st.session_state.setdefault(CHOICE_DEFAULTS, {})[key] = options[default] if len(options) else None
    raw = st.session_state.get(CHOICES, {}).get(key)
    names = [str(option) for option in options]
    return names.index(raw) if raw in names else default


def linked_features(key: str, default: Sequence[str], options: Sequence[str], fingerprint: str) -> list[str]:
    """The feature picker's default: ``default`` less the columns the address dropped, plus the ones it added."""
    st.session_state[FEATURES_SHOWN] = (key, tuple(default), fingerprint)
    choices = st.session_state.get(CHOICES, {})
    if choices.get("_of") != fingerprint:
        return list(default)
    dropped, added = set(choices.get(DROP, ())), choices.get(ADD, ())
    return [c for c in default if c not in dropped] + [c for c in added if c in options and c not in default]


def choice_params(fingerprint: str) -> dict[str, str | list[str]]:
    """The Model page choices for the address: each setting drawn that differs from its default, and the
    features' edit of the data of ``fingerprint``; a setting not drawn since the address was read keeps
    the address's value."""
    choices = dict(st.session_state.get(CHOICES, {}))
    for key, default in st.session_state.get(CHOICE_DEFAULTS, {}).items():
        if key not in st.session_state:
            continue
        current = st.session_state[key]
        if current == default or current is None:
            choices.pop(key, None)
        else:
            choices[key] = _format(current)
    shown = st.session_state.get(FEATURES_SHOWN)
    if shown is not None and shown[0] in st.session_state:
        key, default, fingerprint = shown
        chosen = list(st.session_state[key])
        choices[DROP] = [c for c in default if c not in chosen]
        choices[ADD] = [c for c in chosen if c not in default]
        choices["_of"] = fingerprint
    st.session_state[CHOICES] = choices
    other_data = choices.get("_of") != fingerprint  # the feature edit of other data stays out of the address
    return {key: value for key, value in choices.items()
            if is_choice(key) and value not in ([], "") and not (other_data and key in (DROP, ADD))}
