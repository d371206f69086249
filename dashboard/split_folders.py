"""Where the app server keeps its whole-data splits: one folder per server process, removed when it stops.

``$TMPDIR/tasksplit-app/server-<pid>`` holds the split outputs of :mod:`dashboard.large`; the folders of
servers that are no longer running (killed before they could clean up) are swept when a server makes its own.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
from pathlib import Path

import streamlit as st

__all__ = ["SERVER_PREFIX", "LEGACY_AGE", "splits_root", "sweep", "server_folder"]

SERVER_PREFIX = "server-"  # $TMPDIR/tasksplit-app/server-<pid>: one folder per app server process
LEGACY_AGE = 24 * 3600.0  # seconds: split folders of the older flat layout are removed once this old


def splits_root() -> Path:
    """``$TMPDIR/tasksplit-app``: the app servers' whole-data splits, one folder per server process."""
    return Path(tempfile.gettempdir()) / "tasksplit-app"


def _alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) sends CTRL_C_EVENT there: never probe, never remove
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, run by another user
        return True
    return True


def sweep(root: Path, *, now: float | None = None) -> list[Path]:
    """Remove the split folders under ``root`` that no running server uses; returns the folders removed.

    A ``server-<pid>`` folder goes once its process is gone (a server killed before it could clean up);
    a folder of the older flat layout once it is a day old. A running server's folder stays.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / f"server-{os.getpid()}").mkdir()
    >>> sweep(root), [p.name for p in root.iterdir()] == [f"server-{os.getpid()}"]
    ([], True)
    >>> shutil.rmtree(root)
    """
    now = time.time() if now is None else now
    removed = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if not folder.is_dir():
            continue
        if folder.name.startswith(SERVER_PREFIX):
            pid = folder.name[len(SERVER_PREFIX):]
            gone = pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid))
        else:
            gone = now - folder.stat().st_mtime > LEGACY_AGE
        if gone:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@st.cache_resource
def server_folder() -> Path:
    """This server's folder of whole-data splits, made once: removed when the server stops, and the folders
    of servers no longer running are removed as it is made."""
    root = splits_root()
    sweep(root)
    folder = root / f"{SERVER_PREFIX}{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)  # a dead server's, whose pid this process now has
    folder.mkdir(parents=True)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder
