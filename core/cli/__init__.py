"""The command line: ``python -m core split|report|train DATA --task T ...`` (``core/__main__.py`` runs :func:`main`).

Installed with pip the command is ``tasksplit`` (``tasksplit split ...``); its entry is the dashboard's launcher,
``dashboard/launch.py``, which adds ``tasksplit app`` (in the repository: ``python -m dashboard app``) and hands
every other command to :func:`main` here. The library itself never imports streamlit or the dashboard.

DATA is a CSV/TSV/Parquet/Excel/JSON path, ``builtin:NAME`` or ``builtin:synthetic:ROWSxLABELS``; with
``--engine dask`` a Parquet folder, file or glob (or any fsspec URL) or CSV globs, split on a Dask cluster
(a LocalCluster sized to the machine, or ``--scheduler ADDR``) into an output folder.
``--task col`` is one column (kind inferred), ``--task col:kind`` forces the kind,
``--task name=a+b+c`` is a multilabel task of 0/1 columns. Without ``--task``, a built-in dataset's suggested tasks are used.
Bad input exits with status 2 and one line on stderr, never a traceback.
"""

from ._main import EXIT_BAD_INPUT, main
from ._parser import ExtraCommand
from ._steps import parse_mapping, read_config_file, read_split_file

__all__ = ["main", "ExtraCommand", "EXIT_BAD_INPUT", "parse_mapping", "read_split_file", "read_config_file"]
