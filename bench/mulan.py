"""The MULAN multi-label sets in ``../shared/data/mulan`` (beside the repository), read in place.

The folder is not part of the project (a fresh clone has none): :func:`mulan_dir` finds it (beside
the repository root or, in a git worktree, beside the main checkout; ``TASKSPLIT_MULAN`` overrides),
:func:`mulan_sets` lists the sets it holds, and :func:`read_labels` reads one set's label matrix
from its sparse ARFF file and the XML file naming its labels. Nothing is copied into the project.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
MULAN = ROOT.parent / "shared" / "data" / "mulan"  # where a plain checkout finds it

_ATTRIBUTE = re.compile(r"@attribute\s+('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\S+)", re.IGNORECASE)


def mulan_dir() -> Path | None:
    """``../shared/data/mulan`` beside the repository root (or the main checkout of a worktree), or None."""
    candidates = [Path(os.environ["TASKSPLIT_MULAN"])] if os.environ.get("TASKSPLIT_MULAN") else []
    candidates += [MULAN] + [root.parent / "shared" / "data" / "mulan" for root in _main_checkout()]
    return next((path for path in candidates if path.is_dir()), None)


def _main_checkout() -> list[Path]:
    """The main checkout's root when this repository is a git worktree (``.git`` is a file), else []."""
    marker = ROOT / ".git"
    if not marker.is_file():
        return []
    gitdir = Path(marker.read_text().removeprefix("gitdir:").strip())
    common = gitdir / "commondir"
    if not common.exists():
        return []
    return [(gitdir / common.read_text().strip()).resolve().parent]


def mulan_sets() -> list[str]:
    """The names of the sets in the MULAN folder (an ``.arff`` with its ``.xml``), or [] without one."""
    folder = mulan_dir()
    if folder is None:
        return []
    return sorted(path.stem for path in folder.glob("*.arff") if path.with_suffix(".xml").exists())


def read_labels(name: str, folder: Path | None = None) -> sp.csr_matrix:
    """The 0/1 label matrix (rows x labels, uint8 CSR) of MULAN set ``name``, labels in the XML's order.

    Reads the sparse ARFF rows (``{index value, ...}``) and keeps the entries of the attributes the
    XML names as labels; a dense ARFF row (comma-separated values) is read too.

    Examples
    --------
    >>> read_labels("medical").shape  # doctest: +SKIP
    (978, 45)
    """
    folder = folder or mulan_dir()
    if folder is None:
        raise FileNotFoundError(f"no MULAN folder at {MULAN}; put the sets there to read {name!r}.")
    names = [node.get("name") for node in ElementTree.parse(folder / f"{name}.xml").getroot().iter() if node.get("name")]
    with open(folder / f"{name}.arff", encoding="utf-8", errors="replace") as arff:
        attributes = []
        for line in arff:
            if line.lstrip().lower().startswith("@data"):
                break
            found = _ATTRIBUTE.match(line.strip())
            if found:
                attributes.append(found.group(1).strip("'\""))
        column_of = np.full(len(attributes), -1, dtype=np.int64)
        position = {label: j for j, label in enumerate(names)}
        for i, attribute in enumerate(attributes):
            column_of[i] = position.get(attribute, -1)
        rows, cols = [], []
        n = 0
        for line in arff:
            line = line.strip()
            if not line or line.startswith("%"):
                continue
            if line.startswith("{"):
                for entry in line.strip("{}").split(","):
                    index, _, value = entry.strip().partition(" ")
                    column = column_of[int(index)]
                    if column >= 0 and value.strip() not in ("0", ""):
                        rows.append(n)
                        cols.append(column)
            else:
                for index, value in enumerate(line.split(",")):
                    if column_of[index] >= 0 and value.strip() not in ("0", "?"):
                        rows.append(n)
                        cols.append(column_of[index])
            n += 1
    data = np.ones(len(rows), dtype=np.uint8)
    return sp.csr_matrix((data, (np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64))), shape=(n, len(names)))
